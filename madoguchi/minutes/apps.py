from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    name = "madoguchi.minutes"
    verbose_name = _("会議録作成支援")
    default_auto_field = "django.db.models.BigAutoField"
