from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "madoguchi.residents"
    label = "residents"
    verbose_name = "住民・番号紐付情報"
