from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "madoguchi.intake"
    label = "intake"
    verbose_name = "申請データ取込"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
