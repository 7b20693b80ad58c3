from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "madoguchi.accounts"
    label = "accounts"
    verbose_name = "職員・所属"

    def ready(self) -> None:
        from . import login  # noqa: F401 (connects the login signal receivers)
