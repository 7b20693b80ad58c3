from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The top floor: the long-running worker, which drives every app's background work."""

    name = "madoguchi.operations"
    label = "operations"
    verbose_name = "運用"
