from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "madoguchi.accounts"
    label = "accounts"
    verbose_name = "職員・所属"
