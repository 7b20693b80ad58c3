from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    """Codes as the JPKI certificate carries them."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")
    UNKNOWN = "3", _("不明")


class Identification(models.TextChoices):
    """③-4's outcome for an application's applicant, separate from its status."""

    IDENTIFIED = "identified", _("特定済")
    NEEDS_REVIEW = "needs_review", _("要確認")
    UNIDENTIFIED = "unidentified", _("特定不可")
    REVOCATION_PENDING = "revocation_pending", _("確認待ち")
    # Held as 確認待ち, then a fresh CRL showed the certificate revoked before signing.
    CERTIFICATE_REVOKED = "certificate_revoked", _("証明書失効")
