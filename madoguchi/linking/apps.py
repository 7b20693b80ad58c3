from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "madoguchi.linking"
    label = "linking"
    verbose_name = "基幹システム連携"
