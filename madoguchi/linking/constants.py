from django.db import models
from django.utils.translation import gettext_lazy as _


class HandoffMethod(models.TextChoices):
    """The standard's four ways data reaches a core system (DESIGN.md §1)."""

    TRANSCRIPTION = "transcription", _("方式1 照会画面からの転記")
    RPA = "rpa", _("方式2 RPA等簡易ツール")
    PULL_API = "pull_api", _("方式3 入力画面取込(API)")
    BATCH = "batch", _("方式4 一括取込")


# Methods where a person (or an RPA tool in their place) marks a record as 転記済.
MARKED_BY_STAFF = frozenset({HandoffMethod.TRANSCRIPTION, HandoffMethod.RPA})


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待ち")
    SENT = "sent", _("送付済")
    ACKNOWLEDGED = "acknowledged", _("取込済")
    FAILED = "failed", _("失敗")


class BatchFormat(models.TextChoices):
    CSV_UTF8 = "csv-utf8", _("CSV (UTF-8)")
    # 文字要件: UTF-8 within the MJ文字 repertoire (lib/repertoire.py); a record with a
    # character outside is held back, as CP932's are.
    CSV_STANDARD = "csv-standard", _("CSV (UTF-8・文字要件)")
    CSV_CP932 = "csv-cp932", _("CSV (Shift_JIS/CP932)")
    FIXED = "fixed", _("固定長 (CP932)")
