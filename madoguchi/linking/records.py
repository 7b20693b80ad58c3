"""One hand-over record for every 方式: the plugin's own layout (the columns in the core
system's input order), each column's value, and the one decision to hold a record back for a
clerk. The transcription screen (方式1), the RPA view (方式2), the pull API (方式3) and the batch
file (方式4) all take their records from here; a batch file's encoding adds only what its
bytes need (CP932, fixed widths, linking/batch.py)."""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.lib.cells import row_problem
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import slot_overflow

from .plugins import CoreSystem
from .plugins.base import RecordSource, column_getter


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


class RecordBuilder:
    """The records of one procedure version for one core system, in the plugin's layout."""

    def __init__(self, plugin: CoreSystem, procedure: Procedure) -> None:
        self.procedure = procedure
        self.columns = plugin.layout(procedure)
        self._getters = [column_getter(c["source"]) for c in self.columns]

    def values(self, record: RecordSource) -> list[str] | HeldBack:
        """The record's values, column by column; or why it is held back. A group with more
        entries than the layout has slots, or a value with a control character, a bidi
        control or a formula start (lib/cells.py), is carried exactly or not at all."""
        overflow = slot_overflow(self.procedure.fields, self.columns, record.form)
        if overflow:
            return HeldBack(record.receipt_number, overflow[0], "", overflow[1])
        values = [get(record) for get in self._getters]
        found = row_problem(values)
        if found is not None:
            index, problem = found
            return HeldBack(
                record.receipt_number, self.columns[index]["header"], values[index], problem
            )
        return values
