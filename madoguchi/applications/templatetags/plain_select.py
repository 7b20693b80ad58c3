"""``{% select name choices %}``: a plain ``<select>`` from a form's ``options()`` (value,
label, selected). The included template it replaces cost four template nodes per option —
about 2 ms of the inbox's nine lists on every page (bench/README.md, "2026-12-03, evening")."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def select(name: str, choices: Iterable[tuple[str, str, bool]]) -> SafeString:
    options = "".join(
        f'<option value="{escape(value)}"{" selected" if chosen else ""}>{escape(label)}</option>'
        for value, label, chosen in choices
    )
    name = escape(name)
    return mark_safe(f'<select name="{name}" id="id_{name}">{options}</select>')  # noqa: S308
