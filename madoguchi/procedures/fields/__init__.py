"""The catalog's field types, one class each, in one place (docs/development.md): what a
type accepts (validation, in Japanese), how long its longest valid value is, how it is typed
in at the counter, how it is shown (和暦 for dates), how it is written into a fixed-width
file, whether it is sealed (個人番号), and what the catalog must say of it. Adding a type is
one module here, registered with ``@register``, and its tests.

A repeating group (``group``) is not a value type but a structure of them: it stays with the
catalog's schema (procedures/schema.py)."""

from .base import FIELD_TYPES, FieldType, field_type, register, sealed
from .choice import Choice
from .codes import CorporateNumber, Digits, MyNumber
from .dates import Date
from .phone import Phone
from .postal import PostalCode
from .text import Kana, Text

__all__ = [
    "FIELD_TYPES",
    "Choice",
    "CorporateNumber",
    "Date",
    "Digits",
    "FieldType",
    "Kana",
    "MyNumber",
    "Phone",
    "PostalCode",
    "Text",
    "field_type",
    "register",
    "sealed",
]
