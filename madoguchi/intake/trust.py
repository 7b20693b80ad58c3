"""Trust anchors and CRLs: fetching what the administrator loads (the loading itself, checked
before it is believed, is intake's action: intake/actions.py)."""

from __future__ import annotations

import urllib.request

from django.utils.translation import gettext as _

MAX_CRL_BYTES = 50 * 1024 * 1024


class TrustError(Exception):
    pass


def fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (scheme checked)
            data: bytes = response.read(MAX_CRL_BYTES + 1)
    else:
        with open(source, "rb") as f:
            data = f.read(MAX_CRL_BYTES + 1)
    if len(data) > MAX_CRL_BYTES:
        raise TrustError(_("CRLが大きすぎます"))
    return data
