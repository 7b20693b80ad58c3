"""個人番号 in application forms (catalog type ``my_number``), kept out of the clear.

At intake, at the counter and when a 補正 answer comes, the values of a form's 個人番号
items move into a token under the 個人番号 keys (``Application.form_secrets``) and the form
keeps ``MASKED`` in their place: every screen, list, print view, letter and CSV for people
shows the mask by construction. They are opened only for the core systems (batch files,
the pull API) and for an audited reveal to a role that may read them. The signed package
of such a procedure is kept encrypted too, since it carries the same numbers."""

from __future__ import annotations

import json
from typing import Any

from madoguchi.lib.mynumber import MASKED
from madoguchi.procedures.fields import sealed
from madoguchi.procedures.schema import GROUP, GROUP_KEY, all_fields
from madoguchi.residents import crypto


def has_my_number(fields: list[dict[str, Any]]) -> bool:
    """Whether a procedure version asks for a 個人番号 anywhere (groups included)."""
    return any(sealed(field) for field in all_fields(fields))


def my_number_keys(fields: list[dict[str, Any]], form: dict[str, str]) -> list[str]:
    """The form's keys that hold a 個人番号 item with a value (in groups too). Runs for
    every package received: a procedure without such items costs one pass over its fields."""
    top = {f["id"] for f in fields if sealed(f)}
    inside = {
        (group["id"], f["id"])
        for group in fields
        if group.get("type") == GROUP
        for f in group["fields"]
        if sealed(f)
    }
    if not top and not inside:
        return []
    keys = []
    for key, value in form.items():
        if not value:
            continue
        slot = GROUP_KEY.match(key) if inside and key not in top else None
        if key in top or (slot and (slot.group(1), slot.group(3)) in inside):
            keys.append(key)
    return keys


def seal(fields: list[dict[str, Any]], form: dict[str, str]) -> tuple[dict[str, str], bytes | None]:
    """(the form with each 個人番号 masked, the token of the values or None). A value that
    is not a valid number is sealed too: it may be a real number mistyped."""
    keys = my_number_keys(fields, form)
    if not keys:
        return form, None
    values = {key: form[key] for key in keys}
    masked = {key: MASKED if key in values else value for key, value in form.items()}
    # ensure_ascii: an applicant's full-width digits are escaped, the token stays ASCII.
    return masked, crypto.encrypt(json.dumps(values, ensure_ascii=True, sort_keys=True))


def unseal(form: dict[str, str], token: bytes | None) -> dict[str, str]:
    """The form with its 個人番号 values in clear; callers audit or hand over."""
    if token is None:
        return dict(form)
    return dict(form) | json.loads(crypto.decrypt(token))


def kept_package(data: bytes, sealed: bool) -> tuple[bytes, bytes | None]:
    """(what the plain column keeps, the encrypted copy): a package that carries 個人番号
    is kept only encrypted."""
    return (b"", crypto.encrypt_bytes(data)) if sealed else (data, None)


def package_bytes(plain: bytes | memoryview, sealed: bytes | memoryview | None) -> bytes:
    """The package exactly as received, whichever way it is kept."""
    return crypto.decrypt_bytes(bytes(sealed)) if sealed is not None else bytes(plain)
