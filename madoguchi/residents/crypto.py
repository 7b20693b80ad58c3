"""個人番号 encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256), keys from settings.

Every column that holds something under these keys is a ``SealedField``, so that
``residents.actions.rotate_keys`` finds and re-keys them all (the registry's numbers, the
個人番号 of application forms, and the signed packages that carry them) without knowing
the apps that declare them."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models


def _fernet() -> MultiFernet:
    return _fernet_of(tuple(settings.MY_NUMBER_KEYS))


@functools.lru_cache(maxsize=4)
def _fernet_of(keys: tuple[str, ...]) -> MultiFernet:
    """Built once for a set of keys, not for every value (an export unseals each record)."""
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_bytes(data: bytes) -> bytes:
    """Bytes (a package as signed) under the keys; a third larger (Fernet is base64)."""
    return _fernet().encrypt(bytes(data))


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))


def encrypt(value: str) -> bytes:
    return encrypt_bytes(value.encode("ascii"))


def decrypt(token: bytes) -> str:
    return decrypt_bytes(token).decode("ascii")


def rotate(token: bytes) -> bytes:
    """Re-encrypt under the newest key (decrypting with whichever key made it)."""
    return _fernet().rotate(bytes(token))


class SealedField(models.BinaryField):
    """A Fernet token under MY_NUMBER_KEYS (null when there is nothing to keep)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
