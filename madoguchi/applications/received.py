"""What intake hands to the workflow: a verified package as plain values (no certificate
objects, no trust rows), so that applications depends on nothing of intake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from madoguchi.lib.jpki import BasicFour


@dataclass(frozen=True)
class ReceivedAttachment:
    name: str
    media_type: str
    sha256: str
    size: int

    def as_dict(self) -> dict[str, str | int]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "sha256": self.sha256,
            "size": self.size,
        }


@dataclass(frozen=True)
class ReceivedPackage:
    """A package whose signature, certificate and envelope intake has verified."""

    receipt_number: str
    submitted_at: dt.datetime
    municipality_code: str
    submitter: str
    form: dict[str, str]
    attachments: tuple[ReceivedAttachment, ...]
    signer_certificate_pem: str
    signer_serial: str
    basic_four: BasicFour | None
    trust_anchor_subject: str
    crl_number: int | None
    crl_this_update: dt.datetime | None
    # No fresh CRL at the signing time: held as 確認待ち, re-checked when one is loaded.
    revocation_pending: bool
    # 補正: the receipt number of the returned application this one answers (signed).
    correction_of: str = ""


@dataclass(frozen=True)
class RevocationFinding:
    """What a fresh CRL says of a certificate held as 確認待ち."""

    revoked_at: dt.datetime | None
    crl_number: int | None
    crl_this_update: dt.datetime | None
