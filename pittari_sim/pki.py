"""A test JPKI: a CA, 署名用電子証明書 carrying the 基本4情報, and CRLs."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# The J-LIS profile of the 署名用電子証明書 (公的個人認証サービス 証明書プロファイル): the 基本4情報
# and where they use 代替文字, as subjectAltName otherName entries.
OID_NAME = "1.2.392.200149.8.5.5.1"  # 氏名, surname and given name split by U+3000
OID_NAME_SUBSTITUTES = "1.2.392.200149.8.5.5.2"  # 氏名代替文字の使用位置
OID_SEX = "1.2.392.200149.8.5.5.3"  # 1 男, 2 女, 3 不明
OID_BIRTH_DATE = "1.2.392.200149.8.5.5.4"  # 元号区分 (0 不明 1 明治 … 5 令和) + YYYYMMDD
OID_ADDRESS = "1.2.392.200149.8.5.5.5"  # 住所, from the prefecture
OID_ADDRESS_SUBSTITUTES = "1.2.392.200149.8.5.5.6"  # 住所代替文字の使用位置
# 改元日 of each era and its 元号区分 digit, newest first.
ERA_STARTS = [
    (dt.date(2019, 5, 1), "5"),
    (dt.date(1989, 1, 8), "4"),
    (dt.date(1926, 12, 25), "3"),
    (dt.date(1912, 7, 30), "2"),
    (dt.date(1868, 1, 25), "1"),
]


def card_birth_date(day: dt.date) -> str:
    """生年月日 as the card carries it: the era digit, then the Gregorian date."""
    era = next((code for start, code in ERA_STARTS if day >= start), "0")
    return f"{era}{day:%Y%m%d}"


def positions_field(value: str, substituted: set[int]) -> str:
    """代替文字の使用位置: one flag per character of the value, 1 where it is a substitute."""
    return "".join("1" if i in substituted else "0" for i in range(len(value)))


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
    if len(body) < 0x80:
        return bytes([0x13, len(body)]) + body
    length = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([0x13, 0x80 | len(length)]) + length + body


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
        birth_date: dt.date | str,
        sex: str,
        address: str,
        name_substitutes: set[int] | None = None,
        address_substitutes: set[int] | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        serial: int | None = None,
        key_usage: str = "signing",
        extended_key_usage: list[str] | None = None,
    ) -> x509.Certificate:
        """A 署名用電子証明書: 基本4情報 in subjectAltName otherName, nonRepudiation usage.

        ``birth_date`` is a date (written with its era digit) or the field's raw text, for
        malformed cases; the ``*_substitutes`` are the character indexes that are 代替文字;
        ``extended_key_usage`` (dotted OIDs) adds the extension the card's profile leaves out,
        for certificates that are not the card's."""
        now = _now()
        raw_birth_date = birth_date if isinstance(birth_date, str) else card_birth_date(birth_date)
        entries = [
            (OID_NAME, _der_utf8(name)),
            (
                OID_NAME_SUBSTITUTES,
                _der_printable(positions_field(name, name_substitutes or set())),
            ),
            (OID_SEX, _der_printable(sex)),
            (OID_BIRTH_DATE, _der_printable(raw_birth_date)),
            (OID_ADDRESS, _der_utf8(address)),
            (
                OID_ADDRESS_SUBSTITUTES,
                _der_printable(positions_field(address, address_substitutes or set())),
            ),
        ]
        san = x509.SubjectAlternativeName(
            [x509.OtherName(x509.ObjectIdentifier(oid), value) for oid, value in entries]
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
        builder = (
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
        )
        if extended_key_usage:
            purposes = [x509.ObjectIdentifier(oid) for oid in extended_key_usage]
            builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
        return builder.sign(self.key, hashes.SHA256())

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
