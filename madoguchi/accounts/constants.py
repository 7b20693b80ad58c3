from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTER_CLERK = "counter_clerk", _("窓口担当")
    REVIEWER = "reviewer", _("審査担当")
    MANAGER = "manager", _("所属長")
    ADMINISTRATOR = "administrator", _("システム管理者")
