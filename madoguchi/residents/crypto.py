"""個人番号 encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256), keys from settings."""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.MY_NUMBER_KEYS])


def encrypt(value: str) -> bytes:
    return _fernet().encrypt(value.encode("ascii"))


def decrypt(token: bytes) -> str:
    return _fernet().decrypt(bytes(token)).decode("ascii")


def rotate(token: bytes) -> bytes:
    """Re-encrypt under the newest key (decrypting with whichever key made it)."""
    return _fernet().rotate(bytes(token))
