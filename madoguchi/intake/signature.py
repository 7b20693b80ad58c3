"""XML signature verification of the signed form, hardened (DESIGN.md §3).

Only what the signature covers is returned; callers never read the raw tree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    VerifyResult,
    XMLVerifier,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from .certs import CertificateCheck, Trust, check_certificate
from .constants import Reason, Rejection

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS}

ALLOWED_SIGNATURE_METHODS = frozenset(
    {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
)
ALLOWED_DIGESTS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)
ALLOWED_C14N = frozenset({CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0})
ALLOWED_TRANSFORMS = frozenset(
    {"http://www.w3.org/2000/09/xmldsig#enveloped-signature", *(m.value for m in ALLOWED_C14N)}
)
MAX_XML_BYTES = 5 * 1024 * 1024


class Utf8XMLVerifier(XMLVerifier):
    """signxml re-serialises nodes as ASCII, which cannot carry a Japanese element name
    (申請書 forms use them); UTF-8 can, and the digest is over the canonical form anyway."""

    def _tostring(self, xml_node: etree._Element, **kwargs: object) -> bytes:
        kwargs.setdefault("encoding", "utf-8")
        return bytes(etree.tostring(xml_node, **kwargs))  # type: ignore[call-overload]


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=False,
    )


@dataclass(frozen=True)
class VerifiedXml:
    root: etree._Element  # the signed content only
    certificate: x509.Certificate
    check: CertificateCheck


def verify_signed_xml(
    data: bytes, signing_time: dt.datetime, trust: Trust | None = None
) -> VerifiedXml:
    if len(data) > MAX_XML_BYTES:
        raise Rejection(Reason.ZIP_LIMITS, "application.xml too large")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Rejection(Reason.XML_FORBIDDEN, "DOCTYPE/ENTITY")
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise Rejection(Reason.XML_INVALID, str(exc)) from exc
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        raise Rejection(Reason.XML_FORBIDDEN, "DOCTYPE")

    signatures = root.findall(".//ds:Signature", NS)
    if len(signatures) != 1 or signatures[0].getparent() is not root:
        raise Rejection(Reason.SIGNATURE_ALGORITHM, "exactly one enveloped ds:Signature expected")
    signature = signatures[0]
    _check_algorithms(signature)
    certificate = _signer_certificate(signature)

    check = check_certificate(certificate, signing_time, trust)

    config = SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=ALLOWED_SIGNATURE_METHODS,
        digest_algorithms=ALLOWED_DIGESTS,
        verification_time=signing_time,
    )
    try:
        result = Utf8XMLVerifier().verify(
            data, x509_cert=certificate, parser=hardened_parser(), expect_config=config
        )
    except (InvalidSignature, InvalidDigest, InvalidInput, InvalidCertificate) as exc:
        raise Rejection(Reason.SIGNATURE_INVALID, str(exc)) from exc
    assert isinstance(result, VerifyResult)  # one reference expected, so one result
    signed = result.signed_xml
    if signed is None or signed.tag != root.tag:
        raise Rejection(Reason.SIGNATURE_ALGORITHM, "signature does not cover the whole form")
    return VerifiedXml(root=signed, certificate=certificate, check=check)


def _check_algorithms(signature: etree._Element) -> None:
    def algorithms(path: str) -> list[str]:
        return [el.get("Algorithm", "") for el in signature.findall(path, NS)]

    c14n = algorithms("ds:SignedInfo/ds:CanonicalizationMethod")
    methods = algorithms("ds:SignedInfo/ds:SignatureMethod")
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    digests = algorithms("ds:SignedInfo/ds:Reference/ds:DigestMethod")
    transforms = algorithms("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform")
    allowed_c14n = {m.value for m in ALLOWED_C14N}
    if len(c14n) != 1 or c14n[0] not in allowed_c14n:
        raise Rejection(Reason.SIGNATURE_ALGORITHM, f"canonicalization {c14n}")
    if len(methods) != 1 or methods[0] not in {m.value for m in ALLOWED_SIGNATURE_METHODS}:
        raise Rejection(Reason.SIGNATURE_ALGORITHM, f"signature method {methods}")
    if len(references) != 1 or references[0].get("URI") != "":
        raise Rejection(Reason.SIGNATURE_ALGORITHM, "exactly one reference to the whole document")
    if len(digests) != 1 or digests[0] not in {d.value for d in ALLOWED_DIGESTS}:
        raise Rejection(Reason.SIGNATURE_ALGORITHM, f"digest {digests}")
    if not set(transforms) <= ALLOWED_TRANSFORMS:
        raise Rejection(Reason.SIGNATURE_ALGORITHM, f"transforms {transforms}")


def _signer_certificate(signature: etree._Element) -> x509.Certificate:
    certs = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    if len(certs) != 1:
        raise Rejection(Reason.CERTIFICATE_UNTRUSTED, "exactly one X509Certificate expected")
    text = "".join((certs[0].text or "").split())
    try:
        pem = f"-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n"
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise Rejection(Reason.CERTIFICATE_UNTRUSTED, f"unreadable certificate: {exc}") from exc
