"""``visible_controls``: a value an applicant signed, shown so that no control or bidi
control can reorder or hide the text around it (lib/cells.py). A builtin of every template."""

from __future__ import annotations

from django import template

from madoguchi.lib.cells import visible_controls as _visible_controls

register = template.Library()


@register.filter
def visible_controls(value: object) -> str:
    return _visible_controls("" if value is None else str(value))
