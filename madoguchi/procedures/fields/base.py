"""What every field type offers, and the registry of types by their catalog name."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _


class FieldType:
    """A value type of the catalog (``type = "…"`` of a field). Subclasses set the class
    attributes and override what differs."""

    name: ClassVar[str]
    label: ClassVar[Any]  # lazily translated: the catalog screen shows it
    # Valid values are ASCII only: a byte a character in every export encoding.
    ascii_only: ClassVar[bool] = False
    # The longest valid value in characters, when the type fixes it.
    longest: ClassVar[int | None] = None
    # Without max_length in the catalog (text, kana) or length (digits).
    default_max_length: ClassVar[int] = 50
    # At the counter: the input's type, the keyboard it asks for, a hint beside it.
    input_type: ClassVar[str] = "text"
    inputmode: ClassVar[str] = ""
    hint: ClassVar[Any] = ""
    # Kept encrypted, masked on every screen, never compared in the clear (個人番号).
    sealed: ClassVar[bool] = False

    def max_length(self, field: dict[str, Any]) -> int:
        """The longest value the validator lets through for this field, in characters."""
        if self.longest is not None:
            return self.longest
        return int(field.get("max_length") or self.default_max_length)

    def export_width(self, field: dict[str, Any]) -> int:
        """Its width in CP932 bytes in a fixed-length file: every valid value fits, and a
        version's layout never changes (docs/core-systems.md)."""
        return (1 if self.ascii_only else 2) * self.max_length(field)

    def errors(self, field: dict[str, Any], value: str) -> list[str]:
        """A value's problems (a value is there, with no control character: the schema has
        checked both)."""
        longest = self.max_length(field)
        if len(value) > longest:
            return [_("%(n)d 文字以内で入力してください") % {"n": longest}]
        return self.value_errors(field, value)

    def value_errors(self, field: dict[str, Any], value: str) -> list[str]:
        return []

    def typed(self, value: str) -> str:
        """What a clerk typed at the counter, tidied as the type writes it (never applied to
        what an applicant signed)."""
        return value

    def catalog_problem(self, field: dict[str, Any]) -> str | None:
        """What a catalog file must say of a field of this type and does not, or None."""
        return None

    def warnings(
        self, field: dict[str, Any], value: str, fields: list[dict[str, Any]], form: dict[str, str]
    ) -> list[str]:
        """What a clerk should look at twice, never a refusal (the rest of the form given)."""
        return []

    def may_carry(self, field: dict[str, Any], value: str) -> bool:
        """Whether a value known from elsewhere (the registry, an earlier form of the same
        visit) may be carried into or out of this field: never a sealed one."""
        return not self.sealed

    def display(self, value: str) -> str:
        """The value as a clerk reads it beside a core system's screen."""
        return value


FIELD_TYPES: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    FIELD_TYPES[cls.name] = cls()
    return cls


def field_type(name: str) -> FieldType:
    """The type a catalog name stands for (the catalog check has refused unknown names)."""
    return FIELD_TYPES[name]


def sealed(field: dict[str, Any]) -> bool:
    """Whether a catalog field holds a sealed value (個人番号)."""
    kind = FIELD_TYPES.get(str(field.get("type")))
    return kind is not None and kind.sealed
