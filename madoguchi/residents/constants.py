from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    """Codes as the JPKI certificate carries them."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNKNOWN = "3", _("不明")
