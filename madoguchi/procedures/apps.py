from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "madoguchi.procedures"
    label = "procedures"
    verbose_name = "手続カタログ"
