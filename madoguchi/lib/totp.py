"""TOTP (RFC 6238, SHA-1, 6 digits, 30 s): what authenticator apps implement."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
import urllib.parse

from .codes import is_digits

STEP = 30
DIGITS = 6


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def code_at(secret: str, counter: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def counter_now(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP)


def matching_counter(secret: str, code: str, *, after: int, now: float | None = None) -> int | None:
    """The time step the code belongs to (one step of clock drift either way), if it is later
    than ``after`` — a code already used is refused."""
    code = code.strip().replace(" ", "")
    if not is_digits(code, DIGITS):
        return None
    current = counter_now(now)
    for counter in (current - 1, current, current + 1):
        if counter > after and hmac.compare_digest(code_at(secret, counter), code):
            return counter
    return None


def provisioning_uri(secret: str, account: str, issuer: str = "madoguchi") -> str:
    label = urllib.parse.quote(f"{issuer}:{account}")
    query = urllib.parse.urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS})
    return f"otpauth://totp/{label}?{query}"
