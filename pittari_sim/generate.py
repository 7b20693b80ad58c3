"""``pittari-sim generate``: applications, the matching 番号紐付情報, and the trust files."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import os
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .forms import fill_form, load_procedures
from .package import PackageSpec, build_package
from .people import MUNICIPALITY_CODE, Person, certificate_form, make_person
from .pki import CA, new_key

JST = dt.timezone(dt.timedelta(hours=9), "JST")
# Rough shares of what residents file online (the rest weigh 1 each).
WEIGHTS = {
    "jidou-teate-nintei": 8,
    "hoiku-moshikomi": 5,
    "kaigo-nintei": 5,
    "kaigo-koshin": 4,
    "ninshin-todokede": 3,
    "jidou-teate-henko": 3,
    "tenshutsu-tennyu-yoyaku": 3,
}
LINK_COLUMNS = [
    "serial_number",
    "resident_code",
    "atena_number",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "address",
    "valid_from",
    "valid_to",
    "my_number",
    # The 世帯 as the 住基 side exports it beside the links, in the optional columns of
    # the published file format (docs/registry-links.md): 世帯番号, 続柄, 郵便番号.
    "household_number",
    "relationship",
    "postal_code",
]


def tiny_png(seed: int) -> bytes:
    """A valid 1×1 PNG, different per seed (stands in for a scanned document)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixel = bytes([0, seed % 256, (seed >> 8) % 256, 200])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixel))
        + chunk(b"IEND", b"")
    )


# An 8×8 JPEG (stands in for a photograph of damage or of a renovation).
TINY_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1R"
    "V19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL"
    "/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJico"
    "KSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKz"
    "tLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAEC"
    "AwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYk"
    "NOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJma"
    "oqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDa"
    "ooorzzc//9k="
)


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF (stands in for a 就労証明書 or a receipt)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def attachments_for(
    definition: dict[str, Any], rng: random.Random, form: dict[str, str] | None = None
) -> list[tuple[str, str, bytes]]:
    """Every required attachment (also one the form requires: required_when, docs/catalog.md)
    and about half the optional ones, in an allowed format."""
    files = []
    for attachment in definition.get("attachments", []):
        needed = attachment.get("required") or _wanted(attachment, form or {})
        if not needed and rng.random() < 0.5:
            continue
        first = attachment.get("media_types", ["image/png"])[0]
        name = attachment["id"]
        if first == "application/pdf":
            files.append((f"{name}.pdf", first, tiny_pdf(name)))
        elif first == "image/jpeg":
            files.append((f"{name}.jpg", first, TINY_JPEG))
        else:
            files.append((f"{name}.png", "image/png", tiny_png(rng.randrange(65536))))
    return files


def _wanted(attachment: dict[str, Any], form: dict[str, str]) -> bool:
    condition = attachment.get("required_when")
    if not condition:
        return False
    values = condition["in"] if "in" in condition else [condition["equals"]]
    if "group" in condition:
        return any(
            key.startswith(f"{condition['group']}.")
            and key.endswith(f".{condition['field']}")
            and value in values
            for key, value in form.items()
        )
    return form.get(condition["field"]) in values


@dataclass
class Generated:
    receipt_number: str
    procedure_id: str
    form: dict[str, str]
    path: Path


def load_or_create_ca(out: Path) -> CA:
    ca_dir = out / "ca"
    key_file, cert_file = ca_dir / "ca-key.pem", ca_dir / "ca.pem"
    if key_file.exists():
        return CA.load(key_file.read_bytes(), cert_file.read_bytes())
    ca = CA.create()
    ca_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(ca.key_pem())
    cert_file.write_bytes(ca.cert_pem())
    return ca


def write_trust(out: Path, ca: CA) -> None:
    trust = out / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "ca.pem").write_bytes(ca.cert_pem())
    number_file = out / "ca" / "crl-number"
    number = int(number_file.read_text()) + 1 if number_file.exists() else 1
    number_file.write_text(str(number))
    (trust / "ca.crl").write_bytes(ca.crl([], number=number))


def generate(
    out: Path,
    count: int,
    seed: int | None = None,
    procedure_id: str | None = None,
    now: dt.datetime | None = None,
    unlinked_rate: float = 0.05,
    key_pool: int | None = None,
) -> list[Generated]:
    """Write ``count`` packages; ``unlinked_rate`` of them are signed with a card renewed
    after the registry export (the registry knows only the person's previous serial).
    ``key_pool`` reuses that many signing keys across certificates, for large runs where
    generating a key per applicant would take minutes."""
    keys = [new_key() for _ in range(key_pool)] if key_pool else None
    rng = random.Random(seed)
    now = now or dt.datetime.now(JST)
    procedures = load_procedures()
    if procedure_id is not None and procedure_id not in procedures:
        raise KeyError(procedure_id)
    chosen: list[dict[str, Any]] = (
        [procedures[procedure_id]] if procedure_id else list(procedures.values())
    )
    ca = load_or_create_ca(out)
    write_trust(out, ca)
    packages = out / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    registry = out / "registry"
    registry.mkdir(parents=True, exist_ok=True)
    links_file = registry / "links.csv"
    new_file = not links_file.exists()
    generated = []
    with open(links_file, "a", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        if new_file:
            writer.writerow(LINK_COLUMNS)
        for _ in range(count):
            definition = rng.choices(chosen, [WEIGHTS.get(d["id"], 1) for d in chosen])[0]
            is_kaigo = definition["department"]["code"] == "kaigo"
            applicant = make_person(
                rng, age_range=(65, 95) if is_kaigo else (22, 45), today=now.date()
            )
            child = (
                None
                if is_kaigo
                else make_person(
                    rng,
                    age_range=(0, 10),
                    today=now.date(),
                    surname=(applicant.surname, applicant.surname_kana),
                    address=(applicant.postal_code, applicant.address),
                    phone=applicant.phone,
                )
            )
            # 代理申請: a family member signs for an elderly applicant, in about 3 of 10.
            signer = applicant
            if is_kaigo and rng.random() < 0.3:
                signer = make_person(
                    rng,
                    age_range=(35, 60),
                    today=now.date(),
                    surname=(applicant.surname, applicant.surname_kana),
                    address=(applicant.postal_code, applicant.address),
                    phone=applicant.phone,
                )
                # The person concerned is in the registry too (with a card of their own).
                card_issued = now - dt.timedelta(days=rng.randint(30, 900))
                writer.writerow(
                    _link_row(
                        applicant,
                        f"{rng.getrandbits(64):X}",
                        card_issued,
                        household=(applicant.atena_number, "世帯主"),
                    )
                )
            # The family shares the applicant's 世帯番号 (the atena number: unique, no draw).
            household = (applicant.atena_number, "世帯主" if signer is applicant else "世帯員")
            submitted_at = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 7))
            receipt = _receipt_number(rng, submitted_at, packages)
            key = rng.choice(keys) if keys else new_key()
            issued = submitted_at - dt.timedelta(days=rng.randint(30, 900))
            card_name, name_substitutes = certificate_form(signer.name)
            card_address, address_substitutes = certificate_form(signer.address)
            certificate = ca.issue_signing_certificate(
                key,
                name=card_name,
                name_substitutes=name_substitutes,
                birth_date=signer.birth_date,
                sex=signer.sex,
                address=card_address,
                address_substitutes=address_substitutes,
                not_before=issued,
                not_after=issued + dt.timedelta(days=365 * 5),
            )
            spec = PackageSpec(
                receipt_number=receipt,
                procedure_id=definition["id"],
                procedure_version=definition["version"],
                submitted_at=submitted_at,
                municipality_code=MUNICIPALITY_CODE,
                submitter="self" if signer is applicant else "proxy",
                form=(form := fill_form(definition, applicant, child, rng, now.date())),
                attachments=attachments_for(definition, rng, form),
            )
            path = packages / f"{receipt}.zip"
            path.write_bytes(build_package(spec, key, certificate))
            save_card(out, receipt, key, certificate)
            if rng.random() < unlinked_rate:
                # The card was renewed after the last 住基 export: the registry still knows
                # only the previous serial, so madoguchi cannot link this one (特定不可).
                previous = issued - dt.timedelta(days=365 * 5)
                writer.writerow(
                    _link_row(
                        signer,
                        f"{rng.getrandbits(64):X}",
                        previous,
                        ended=issued,
                        household=household,
                    )
                )
            else:
                serial = format(certificate.serial_number, "X")
                writer.writerow(_link_row(signer, serial, issued, household=household))
            if child is not None:
                # The child of the 世帯: in the registry, with no card (no link).
                writer.writerow(
                    _link_row(child, "", None, household=(applicant.atena_number, "子"))
                )
            generated.append(Generated(receipt, definition["id"], spec.form, path))
    return generated


def save_card(
    out: Path, receipt: str, key: rsa.RSAPrivateKey, certificate: x509.Certificate
) -> None:
    """The applicant's card (key and certificate) as it signed this application: the
    simulated applicant signs a 補正 reply with the same card."""
    cards = out / "cards"
    cards.mkdir(exist_ok=True)
    (cards / f"{receipt}.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + certificate.public_bytes(serialization.Encoding.PEM)
    )


def load_card(out: Path, receipt: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate] | None:
    path = out / "cards" / f"{receipt}.pem"
    if not path.exists():
        return None
    data = path.read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key, x509.load_pem_x509_certificate(data)


def correction_reply(out: Path, original: Path, changes: dict[str, str]) -> Path | None:
    """The applicant answers a 補正 request: the same procedure and card, the form with
    ``changes``, signed again, under a new receipt number. None if the card is unknown."""
    from lxml import etree

    from .package import NS

    with zipfile.ZipFile(original) as archive:
        envelope = json.loads(archive.read("envelope.json"))
        root = etree.fromstring(archive.read("application.xml"))
        attachments = [
            (a["name"], a["media_type"], archive.read(f"attachments/{a['name']}"))
            for a in envelope["attachments"]
        ]
    card = load_card(out, envelope["receipt_number"])
    if card is None:
        return None
    form = {str(item.get("id")): item.text or "" for item in root.iter(f"{{{NS}}}Item")}
    now = dt.datetime.now(JST)
    receipt = _receipt_number(random.Random(), now, out / "packages")
    spec = PackageSpec(
        receipt_number=receipt,
        procedure_id=envelope["procedure_id"],
        procedure_version=envelope["procedure_version"],
        submitted_at=now,
        municipality_code=envelope["municipality_code"],
        submitter=envelope["submitter"],
        form=form | changes,
        attachments=attachments,
        correction_of=envelope["receipt_number"],
    )
    key, certificate = card
    path = out / "packages" / f"{receipt}.zip"
    tmp = path.with_suffix(".part")
    tmp.write_bytes(build_package(spec, key, certificate))
    os.replace(tmp, path)
    save_card(out, receipt, key, certificate)
    return path


def _receipt_number(rng: random.Random, submitted_at: dt.datetime, packages: Path) -> str:
    while True:
        receipt = f"{submitted_at:%Y%m%d}{rng.randrange(10**7, 10**8)}"
        if not (packages / f"{receipt}.zip").exists():
            return receipt


def _link_row(
    person: Person,
    serial: str,
    issued: dt.datetime | None,
    ended: dt.datetime | None = None,
    *,
    household: tuple[str, str] = ("", ""),
) -> list[str]:
    """A row of the 番号紐付情報 export; without a serial and ``issued``, a 世帯員 who has no
    signing certificate (a child) — in the registry, linked to nothing."""
    return [
        serial,
        person.resident_code,
        person.atena_number,
        person.name,
        person.kana,
        person.birth_date.isoformat(),
        person.sex,
        person.address,
        issued.isoformat() if issued else "",
        ended.isoformat() if ended else "",
        person.my_number,
        household[0],
        household[1],
        person.postal_code,
    ]
