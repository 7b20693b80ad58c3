from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The top floor: the long-running worker, which drives every app's background work."""

    name = "madoguchi.operations"
    label = "operations"
    verbose_name = "運用"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
