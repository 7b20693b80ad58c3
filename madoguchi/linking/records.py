"""One hand-over record for every 方式: the columns of the plugin's layout (the core system's
input order), each column's value read from the application, and the one decision to hold a
record back for a clerk. The transcription screen (方式1), the RPA view (方式2), the pull API
(方式3) and the batch file (方式4) all take their records from a RecordBuilder
(``plugin.records(procedure)``); a batch file's encoding adds only what its bytes need
(CP932, fixed widths: linking/batch.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from madoguchi.applications.models import Application
from madoguchi.lib import repertoire
from madoguchi.lib.cells import row_problem
from madoguchi.lib.mynumber import MASKED
from madoguchi.procedures.fields import Date, FieldType, field_type
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import field_at, slot_limits, slot_overflow


@dataclass(frozen=True)
class RecordSource:
    """What a record's columns are taken from (read without the whole application, so that a
    100,000-record export stays fast)."""

    receipt_number: str
    submitted_at: dt.datetime
    form: dict[str, Any]
    atena_number: str

    @classmethod
    def of(cls, application: Application, form: dict[str, Any] | None = None) -> RecordSource:
        """From an application; its form as stored (個人番号 masked) unless given."""
        atena = application.resident.atena_number if application.resident else ""
        return cls(
            application.receipt_number,
            application.submitted_at,
            application.form if form is None else form,
            atena,
        )


@dataclass(frozen=True)
class Item:
    """One item of a record, in the core system's input order."""

    number: int
    header: str
    source: str
    value: str
    # As a clerk reads it beside the core system's screen (和暦 for a date).
    display: str = ""
    # A sealed value (個人番号): masked unless the record was built from the clear form.
    sealed: bool = False

    @property
    def is_masked(self) -> bool:
        """A 個人番号 shown as the mask (not revealed)."""
        return self.sealed and self.value == MASKED


@dataclass
class HeldBack:
    """A record kept back for a clerk: the column, and the character or value that failed."""

    receipt_number: str
    column: str
    value: str
    reason: str

    @property
    def message(self) -> str:
        """For the core system's side (the pull API's 409): what and why, in Japanese."""
        # A group's overflow reads on from its name (「子」が 3 件あり…); the rest are about
        # the column's value (「氏名」の改行・制御文字…).
        particle = "" if self.reason.startswith("が") else "の"
        return f"「{self.column}」{particle}{self.reason}。職員の確認待ちです"


def source_type(procedure: Procedure, source: str) -> FieldType | None:
    """The catalog type of a column's source: the form field's, a date for the date of
    submission, None for the other application and resident columns."""
    if source == "application.submitted_date":
        return field_type(Date.name)
    field = field_at(procedure.fields, source.removeprefix("form."))
    return field_type(field["type"]) if field is not None else None


def column_getter(source: str) -> Callable[[RecordSource], str]:
    """How to read one column (a layout's `source`) from a record."""
    if source == "application.receipt_number":
        return lambda record: record.receipt_number
    if source == "application.submitted_date":
        zone = timezone.get_default_timezone()
        return lambda record: record.submitted_at.astimezone(zone).date().isoformat()
    if source == "resident.atena_number":
        return lambda record: record.atena_number or ""
    if source.startswith("form."):
        field_id = source.removeprefix("form.")
        return lambda record: str(record.form.get(field_id, ""))
    raise ValueError(source)


def _outside_repertoire(values: list[str]) -> tuple[int, str] | None:
    """The first value with a character outside the 文字要件 repertoire, and why. One pass
    over the whole row (apart by line breaks, which the set allows) before naming a cell."""
    if not repertoire.outside("\n".join(values)):
        return None
    for index, value in enumerate(values):
        beyond = repertoire.outside(value)
        if beyond:
            return index, f"{repertoire.named(beyond[0])}は行政事務標準文字(文字要件)にありません"
    return None


# How many different sets of form keys a RecordBuilder remembers the slot count of.
_SHAPES = 1024


class RecordBuilder:
    """The records of one procedure version in one layout (a plugin's: plugin.records)."""

    def __init__(
        self,
        procedure: Procedure,
        columns: list[dict[str, str]],
        *,
        standard_characters: bool = False,
    ) -> None:
        self.procedure = procedure
        self.columns = columns
        # 文字要件: every value within the MJ文字 repertoire (lib/repertoire.py), or held back.
        self.standard_characters = standard_characters
        self._getters = [column_getter(c["source"]) for c in columns]
        self._types = [source_type(procedure, c["source"]) for c in columns]
        self._limits = slot_limits(procedure.fields, columns)
        # Whether a group overflows depends on the form's keys only, and most forms of a
        # file share a few sets of keys: each set is counted once (up to _SHAPES of them).
        self._overflow: dict[tuple[str, ...], tuple[str, str] | None] = {}

    def values(self, record: RecordSource) -> list[str] | HeldBack:
        """The record's values, column by column; or why it is held back. A group with more
        entries than the layout has slots, or a value with a control character, a bidi
        control or a formula start (lib/cells.py), is carried exactly or not at all."""
        shape = tuple(record.form)
        try:
            overflow = self._overflow[shape]
        except KeyError:
            overflow = slot_overflow(self._limits, record.form)
            if len(self._overflow) < _SHAPES:
                self._overflow[shape] = overflow
        if overflow:
            return HeldBack(record.receipt_number, overflow[0], "", overflow[1])
        values = [get(record) for get in self._getters]
        found = row_problem(values)
        if found is None and self.standard_characters:
            found = _outside_repertoire(values)
        if found is not None:
            index, problem = found
            return HeldBack(
                record.receipt_number, self.columns[index]["header"], values[index], problem
            )
        return values

    def items(self, record: RecordSource) -> list[Item]:
        """The record's items as a clerk or a core system reads them, numbered in the
        layout's order; shown as they are (the screens make hidden characters visible)."""
        items = []
        columns = zip(self.columns, self._types, self._getters, strict=True)
        for number, (column, kind, get) in enumerate(columns, start=1):
            value = get(record)
            items.append(
                Item(
                    number=number,
                    header=column["header"],
                    source=column["source"],
                    value=value,
                    display=kind.display(value) if kind else value,
                    sealed=kind is not None and kind.sealed,
                )
            )
        return items

    @property
    def sealed_headers(self) -> list[str]:
        """The headers of the columns that carry a sealed value (個人番号)."""
        return [
            column["header"]
            for column, kind in zip(self.columns, self._types, strict=True)
            if kind is not None and kind.sealed
        ]
