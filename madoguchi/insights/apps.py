from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "madoguchi.insights"
    verbose_name = "業務の見える化"
