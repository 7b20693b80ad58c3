"""The staff screens of the workflow, one module per screen family."""
