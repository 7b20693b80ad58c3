"""Building one signed package in the madoguchi-pittari/1 format (docs/package-format.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

FORMAT = "madoguchi-pittari/1"
NS = "urn:madoguchi:pittari:1"


@dataclass
class PackageSpec:
    receipt_number: str
    procedure_id: str
    procedure_version: str
    submitted_at: dt.datetime
    municipality_code: str
    submitter: str
    form: dict[str, str]
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, bytes
    # 補正: the receipt number of the returned application this one answers.
    correction_of: str = ""


def application_xml(spec: PackageSpec) -> etree._Element:
    root = etree.Element(f"{{{NS}}}Application", nsmap={None: NS})  # type: ignore[dict-item]
    for tag, value in (
        ("ReceiptNumber", spec.receipt_number),
        ("ProcedureId", spec.procedure_id),
        ("ProcedureVersion", spec.procedure_version),
        ("Submitter", spec.submitter),
    ):
        etree.SubElement(root, f"{{{NS}}}{tag}").text = value
    if spec.correction_of:
        etree.SubElement(root, f"{{{NS}}}CorrectionOf").text = spec.correction_of
    form = etree.SubElement(root, f"{{{NS}}}Form")
    for key, value in spec.form.items():
        item = etree.SubElement(form, f"{{{NS}}}Item", id=key)
        item.text = value
    attachments = etree.SubElement(root, f"{{{NS}}}Attachments")
    for name, media_type, content in spec.attachments:
        etree.SubElement(
            attachments,
            f"{{{NS}}}Attachment",
            name=name,
            mediaType=media_type,
            sha256=hashlib.sha256(content).hexdigest(),
        )
    return root


class Utf8XMLSigner(XMLSigner):
    """signxml re-serialises nodes as ASCII, which cannot carry Japanese element names."""

    def _tostring(self, xml_node: etree._Element, **kwargs: object) -> bytes:
        kwargs.setdefault("encoding", "utf-8")
        return bytes(etree.tostring(xml_node, **kwargs))  # type: ignore[call-overload]


def default_signer() -> XMLSigner:
    return Utf8XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )


def sign(
    root: etree._Element,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    signer: XMLSigner | None = None,
) -> bytes:
    signed = (signer or default_signer()).sign(
        root,
        key=key,
        cert=[certificate.public_bytes(serialization.Encoding.PEM).decode()],
        always_add_key_value=False,
    )
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def envelope(spec: PackageSpec) -> dict[str, object]:
    return {
        "format": FORMAT,
        "receipt_number": spec.receipt_number,
        "procedure_id": spec.procedure_id,
        "procedure_version": spec.procedure_version,
        "submitted_at": spec.submitted_at.isoformat(),
        "municipality_code": spec.municipality_code,
        "submitter": spec.submitter,
        **({"correction_of": spec.correction_of} if spec.correction_of else {}),
        "attachments": [
            {"name": n, "media_type": t, "sha256": hashlib.sha256(c).hexdigest()}
            for n, t, c in spec.attachments
        ],
    }


def build_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def package_files(spec: PackageSpec, signed_xml: bytes) -> dict[str, bytes]:
    files = {
        "envelope.json": json.dumps(envelope(spec), ensure_ascii=False, indent=2).encode(),
        "application.xml": signed_xml,
    }
    for name, _media_type, content in spec.attachments:
        files[f"attachments/{name}"] = content
    return files


def build_package(
    spec: PackageSpec, key: rsa.RSAPrivateKey, certificate: x509.Certificate
) -> bytes:
    return build_zip(package_files(spec, sign(application_xml(spec), key, certificate)))
