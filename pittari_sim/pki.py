"""A test JPKI: a CA, 署名用電子証明書 carrying the 基本4情報, and CRLs."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

OID_NAME = "1.2.392.200149.8.5.5.1"
OID_BIRTH_DATE = "1.2.392.200149.8.5.5.3"
OID_SEX = "1.2.392.200149.8.5.5.4"
OID_ADDRESS = "1.2.392.200149.8.5.5.5"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _der_utf8(value: str) -> bytes:
    body = value.encode("utf-8")
    if len(body) < 0x80:
        return bytes([0x0C, len(body)]) + body
    length = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([0x0C, 0x80 | len(length)]) + length + body


def _der_printable(value: str) -> bytes:
    body = value.encode("ascii")
    return bytes([0x13, len(body)]) + body


@dataclass
class CA:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, common_name: str = "Pittari Sim JPKI Signing CA") -> CA:
        key = new_key()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pittari-sim"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=3650))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def load(cls, key_pem: bytes, cert_pem: bytes) -> CA:
        key = serialization.load_pem_private_key(key_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cls(key, x509.load_pem_x509_certificate(cert_pem))

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue_signing_certificate(
        self,
        key: rsa.RSAPrivateKey,
        *,
        name: str,
        birth_date: str,
        sex: str,
        address: str,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        serial: int | None = None,
        key_usage: str = "signing",
    ) -> x509.Certificate:
        """A 署名用電子証明書: 基本4情報 in subjectAltName otherName, nonRepudiation usage."""
        now = _now()
        san = x509.SubjectAlternativeName(
            [
                x509.OtherName(x509.ObjectIdentifier(OID_NAME), _der_utf8(name)),
                x509.OtherName(x509.ObjectIdentifier(OID_BIRTH_DATE), _der_printable(birth_date)),
                x509.OtherName(x509.ObjectIdentifier(OID_SEX), _der_printable(sex)),
                x509.OtherName(x509.ObjectIdentifier(OID_ADDRESS), _der_utf8(address)),
            ]
        )
        signing = key_usage == "signing"
        usage = x509.KeyUsage(
            digital_signature=signing,
            content_commitment=signing,
            key_encipherment=not signing,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        return (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                        x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(8)),
                    ]
                )
            )
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(not_before or now - dt.timedelta(days=365))
            .not_valid_after(not_after or now + dt.timedelta(days=365 * 4))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(san, critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def crl(
        self,
        revoked: list[tuple[int, dt.datetime]],
        *,
        number: int,
        this_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
        signer: rsa.RSAPrivateKey | None = None,
    ) -> bytes:
        """A DER CRL; ``signer`` other than the CA's key makes a CRL with a bad signature."""
        this_update = this_update or _now() - dt.timedelta(minutes=5)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(this_update)
            .next_update(next_update or this_update + dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(number), critical=False)
        )
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        crl = builder.sign(signer or self.key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)
