from django.apps import AppConfig


class RelayConfig(AppConfig):
    name = "madoguchi.relay"
    label = "relay"
    verbose_name = "連携サーバ"
