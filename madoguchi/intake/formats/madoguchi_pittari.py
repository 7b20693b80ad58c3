"""Reader of the ``madoguchi-pittari/1`` package format (docs/package-format.md).

The real ぴったりサービス format would be read by a module beside this one, returning the
same ``VerifiedPackage``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from django.conf import settings
from lxml import etree

from madoguchi.lib.codes import RECEIPT_NUMBER, is_valid_municipality_code

from ..certs import CertificateCheck, Trust
from ..constants import Reason, Rejection
from ..signature import verify_signed_xml
from ..zipsafe import read_zip

FORMAT = "madoguchi-pittari/1"
XML_NS = "urn:madoguchi:pittari:1"
RECEIPT_RE = RECEIPT_NUMBER
ENVELOPE_FIELDS = (
    "format",
    "receipt_number",
    "procedure_id",
    "procedure_version",
    "submitted_at",
    "municipality_code",
    "submitter",
    "attachments",
)
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    sha256: str
    content: bytes


@dataclass(frozen=True)
class VerifiedPackage:
    receipt_number: str
    procedure_id: str
    procedure_version: str
    submitted_at: dt.datetime
    municipality_code: str
    submitter: str
    form: dict[str, str]
    attachments: tuple[Attachment, ...]
    certificate: x509.Certificate
    certificate_check: CertificateCheck
    # 補正: the receipt number of the returned application this one answers (signed).
    correction_of: str = ""


def peek_receipt_number(data: bytes) -> str:
    """The receipt number the envelope claims, for labelling a rejected package; or ''."""
    try:
        envelope = json.loads(read_zip(data).get("envelope.json", b"{}"))
        value = envelope.get("receipt_number", "") if isinstance(envelope, dict) else ""
        return value if isinstance(value, str) and RECEIPT_RE.fullmatch(value) else ""
    except (Rejection, ValueError):
        return ""


def read_package(
    data: bytes,
    now: dt.datetime,
    trust: Trust | None = None,
    *,
    fetched_at: dt.datetime | None = None,
    late_accepted: bool = False,
) -> VerifiedPackage:
    """``fetched_at``: when the relay took the package from the portal (else ``now``). The
    envelope's ``submitted_at`` is unsigned and sets the time the certificate is judged at:
    it must lie within settings.INTAKE_ARRIVAL_WINDOW before the fetch, unless a person who
    checked it says so (``late_accepted``, from the quarantine screen)."""
    files = read_zip(data)
    envelope = _read_envelope(files.get("envelope.json"), now)
    fetched_at = fetched_at or now
    window = dt.timedelta(days=settings.INTAKE_ARRIVAL_WINDOW_DAYS)
    if not late_accepted and envelope["submitted_at"] < fetched_at - window:
        raise Rejection(
            Reason.SUBMITTED_AT_OUT_OF_WINDOW,
            f"submitted_at {envelope['submitted_at'].isoformat()}, fetched "
            f"{fetched_at.isoformat()} (window {settings.INTAKE_ARRIVAL_WINDOW_DAYS} days)",
        )
    xml = files.get("application.xml")
    if xml is None:
        raise Rejection(Reason.XML_INVALID, "application.xml missing")
    verified = verify_signed_xml(xml, signing_time=envelope["submitted_at"], trust=trust)
    signed = _read_signed_content(verified.root)

    for key in ("receipt_number", "procedure_id", "procedure_version", "submitter"):
        if envelope[key] != signed[key]:
            raise Rejection(Reason.ENVELOPE_MISMATCH, key)
    if envelope.get("correction_of", "") != signed["correction_of"]:
        raise Rejection(Reason.ENVELOPE_MISMATCH, "correction_of")
    envelope_attachments = {(a["name"], a["sha256"]) for a in envelope["attachments"]}
    signed_attachments = {(a["name"], a["sha256"]) for a in signed["attachments"]}
    if envelope_attachments != signed_attachments:
        raise Rejection(Reason.ENVELOPE_MISMATCH, "attachments")

    # Names that differ only in normalisation or case are one file on many disks and to
    # a clerk's eye: which one was signed would be ambiguous.
    folded = [unicodedata.normalize("NFC", a["name"]).casefold() for a in signed["attachments"]]
    if len(set(folded)) != len(folded):
        raise Rejection(
            Reason.ATTACHMENT_NAME_COLLISION,
            ", ".join(a["name"] for a in signed["attachments"]),
        )
    attachments = []
    listed = set()
    for item in signed["attachments"]:
        path = f"attachments/{item['name']}"
        listed.add(path)
        content = files.get(path)
        if content is None:
            raise Rejection(Reason.ATTACHMENT_MISSING, item["name"])
        if hashlib.sha256(content).hexdigest() != item["sha256"]:
            raise Rejection(Reason.ATTACHMENT_DIGEST_MISMATCH, item["name"])
        attachments.append(Attachment(item["name"], item["media_type"], item["sha256"], content))
    extra = set(files) - listed - {"envelope.json", "application.xml"}
    if extra:
        raise Rejection(Reason.ATTACHMENT_UNEXPECTED, ", ".join(sorted(extra)))

    return VerifiedPackage(
        receipt_number=signed["receipt_number"],
        procedure_id=signed["procedure_id"],
        procedure_version=signed["procedure_version"],
        submitted_at=envelope["submitted_at"],
        municipality_code=envelope["municipality_code"],
        submitter=signed["submitter"],
        form=signed["form"],
        attachments=tuple(attachments),
        certificate=verified.certificate,
        certificate_check=verified.check,
        correction_of=signed["correction_of"],
    )


def _read_envelope(raw: bytes | None, now: dt.datetime) -> dict[str, Any]:
    if raw is None:
        raise Rejection(Reason.ENVELOPE_INVALID, "envelope.json missing")
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Rejection(Reason.ENVELOPE_INVALID, f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise Rejection(Reason.ENVELOPE_INVALID, "not an object")
    missing = [key for key in ENVELOPE_FIELDS if key not in envelope]
    if missing:
        raise Rejection(Reason.ENVELOPE_INVALID, f"missing {', '.join(missing)}")
    if envelope["format"] != FORMAT:
        raise Rejection(Reason.ENVELOPE_INVALID, f"format {envelope['format']!r}")
    for key in ENVELOPE_FIELDS[1:7]:
        if not isinstance(envelope[key], str):
            raise Rejection(Reason.ENVELOPE_INVALID, f"{key} is not a string")
    if not RECEIPT_RE.fullmatch(envelope["receipt_number"]):
        raise Rejection(Reason.ENVELOPE_INVALID, "receipt_number")
    code = envelope["municipality_code"]
    if not is_valid_municipality_code(code):
        raise Rejection(Reason.MUNICIPALITY_INVALID, repr(code))
    if code != settings.MUNICIPALITY_CODE:
        raise Rejection(
            Reason.MUNICIPALITY_MISMATCH,
            f"{code} (this municipality: {settings.MUNICIPALITY_CODE or 'not configured'})",
        )
    if envelope["submitter"] not in ("self", "proxy"):
        raise Rejection(Reason.ENVELOPE_INVALID, "submitter")
    try:
        submitted_at = dt.datetime.fromisoformat(envelope["submitted_at"])
    except ValueError as exc:
        raise Rejection(Reason.ENVELOPE_INVALID, "submitted_at") from exc
    if submitted_at.tzinfo is None or submitted_at > now + CLOCK_SKEW:
        raise Rejection(Reason.ENVELOPE_INVALID, "submitted_at must be a past time with offset")
    envelope["submitted_at"] = submitted_at
    attachments = envelope["attachments"]
    if not isinstance(attachments, list) or not all(
        isinstance(a, dict) and isinstance(a.get("name"), str) and isinstance(a.get("sha256"), str)
        for a in attachments
    ):
        raise Rejection(Reason.ENVELOPE_INVALID, "attachments")
    return envelope


def _q(name: str) -> str:
    return f"{{{XML_NS}}}{name}"


def _all_text(element: etree._Element) -> str:
    """The element's text with comments dropped (signxml excises them from the signed tree)."""
    return "".join(str(part) for part in element.itertext())


def _text(root: etree._Element, name: str) -> str:
    element = root.find(_q(name))
    if element is None:
        raise Rejection(Reason.XML_INVALID, f"{name} missing from the signed form")
    return _all_text(element).strip()


def _optional_text(root: etree._Element, name: str) -> str:
    element = root.find(_q(name))
    if element is None:
        return ""
    value = _all_text(element).strip()
    if not RECEIPT_RE.fullmatch(value):
        raise Rejection(Reason.XML_INVALID, f"{name} is not a receipt number")
    return value


def _read_signed_content(root: etree._Element) -> dict[str, Any]:
    if root.tag != _q("Application"):
        raise Rejection(Reason.XML_INVALID, f"root element {root.tag}")
    form: dict[str, str] = {}
    form_element = root.find(_q("Form"))
    if form_element is None:
        raise Rejection(Reason.XML_INVALID, "Form missing")
    for item in form_element.findall(_q("Item")):
        key = item.get("id")
        if not key or key in form:
            raise Rejection(Reason.XML_INVALID, f"form item id {key!r}")
        form[key] = _all_text(item)
    attachments = []
    for element in root.findall(f"{_q('Attachments')}/{_q('Attachment')}"):
        name = element.get("name", "")
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise Rejection(Reason.UNSAFE_PATH, name)
        attachments.append(
            {
                "name": name,
                "media_type": element.get("mediaType", "application/octet-stream"),
                "sha256": element.get("sha256", "").lower(),
            }
        )
    return {
        "receipt_number": _text(root, "ReceiptNumber"),
        "procedure_id": _text(root, "ProcedureId"),
        "procedure_version": _text(root, "ProcedureVersion"),
        "submitter": _text(root, "Submitter"),
        "correction_of": _optional_text(root, "CorrectionOf"),
        "form": form,
        "attachments": attachments,
    }
