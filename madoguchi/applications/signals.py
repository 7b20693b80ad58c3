"""What the workflow announces to the apps above it (DESIGN §4: a lower app triggers a higher
one only through a signal or hook the higher app registers). Both are sent inside the status
change's transaction with the locked application; a receiver that raises (a ValidationError
with a reason a clerk can read) stops the change and rolls it back."""

from django.dispatch import Signal

# The application enters 基幹連携待ち: the hand-over schedules its delivery (linking).
entering_handoff = Signal()
# It leaves 基幹連携待ち other than by a hand-over (back to 審査中, 取下げ): the hand-over drops
# what was not sent, and refuses the change if the core system may already hold it.
leaving_handoff = Signal()
