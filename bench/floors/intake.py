"""The floor of intake: what any 申請管理システム must do with one signed package.

Open the ZIP, read the envelope, parse the XML (hardened), check the enveloped signature
(exclusive c14n of the document without its Signature, SHA-256 digest, RSA over the
canonical SignedInfo), check the signer's certificate against the CA (signature, validity,
key usage) and its serial against the loaded CRL (one indexed query), and store the package
with its form in one insert, committed. Three statements per package: the revocation lookup,
the insert, the commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

DS = "{http://www.w3.org/2000/09/xmldsig#}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def verify(data: bytes, ca: x509.Certificate) -> tuple[str, str, dict[str, str]]:
    """(receipt number, signer serial, form) of a package whose signature holds."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    envelope = json.loads(files["envelope.json"])
    signing_time = dt.datetime.fromisoformat(envelope["submitted_at"])
    root = etree.fromstring(files["application.xml"], parser=PARSER)
    signature = root.find(f"{DS}Signature")
    assert signature is not None
    signed_info = signature.find(f"{DS}SignedInfo")
    assert signed_info is not None
    digest = base64.b64decode(signed_info.findtext(f"{DS}Reference/{DS}DigestValue") or "")
    value = base64.b64decode(signature.findtext(f"{DS}SignatureValue") or "")
    der = "".join((signature.findtext(f".//{DS}X509Certificate") or "").split())
    certificate = x509.load_der_x509_certificate(base64.b64decode(der))

    certificate.verify_directly_issued_by(ca)
    if not certificate.not_valid_before_utc <= signing_time <= certificate.not_valid_after_utc:
        raise ValueError("certificate not valid at the signing time")
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    if not usage.digital_signature:
        raise ValueError("key usage")

    canonical_signed_info = etree.tostring(signed_info, method="c14n", exclusive=True)
    root.remove(signature)
    if hashlib.sha256(etree.tostring(root, method="c14n", exclusive=True)).digest() != digest:
        raise ValueError("digest")
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(value, canonical_signed_info, padding.PKCS1v15(), hashes.SHA256())

    for name, content in files.items():
        if name.startswith("attachments/"):
            hashlib.sha256(content).hexdigest()
    ns = "{urn:madoguchi:pittari:1}"
    form = {item.get("id", ""): item.text or "" for item in root.iter(f"{ns}Item")}
    return envelope["receipt_number"], format(certificate.serial_number, "X"), form


def run(
    packages: Sequence[bytes],
    ca_pem: bytes,
    revoked: set[str],
    connect: Callable[[], Any],
    placeholder: str,
) -> float:
    """Seconds to take every package in; ``connect`` opens a DB-API connection of the same
    database the benchmark uses (a table of its own is made in it)."""
    ca = x509.load_pem_x509_certificate(ca_pem)
    db = connect()
    cursor = db.cursor()
    blob = "BYTEA" if placeholder == "%s" else "BLOB"
    cursor.execute("DROP TABLE IF EXISTS floor_revoked")
    cursor.execute("DROP TABLE IF EXISTS floor_package")
    cursor.execute("CREATE TABLE floor_revoked (serial VARCHAR(64) PRIMARY KEY)")
    cursor.execute(
        f"CREATE TABLE floor_package (receipt_number VARCHAR(20) PRIMARY KEY, "
        f"form TEXT NOT NULL, package {blob} NOT NULL)"
    )

    def sql(text: str) -> str:
        return text.replace("?", placeholder)

    revoked_rows = [(serial,) for serial in revoked]
    cursor.executemany(sql("INSERT INTO floor_revoked (serial) VALUES (?)"), revoked_rows)
    db.commit()
    lookup = sql("SELECT 1 FROM floor_revoked WHERE serial = ?")
    insert = sql("INSERT INTO floor_package (receipt_number, form, package) VALUES (?, ?, ?)")
    started = time.perf_counter()
    for data in packages:
        receipt_number, serial, form = verify(data, ca)
        cursor.execute(lookup, (serial,))
        if cursor.fetchone() is not None:
            raise ValueError("revoked")
        cursor.execute(insert, (receipt_number, json.dumps(form, ensure_ascii=False), data))
        db.commit()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed
