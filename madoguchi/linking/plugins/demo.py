"""Demo core systems, so that every path can be tried without a vendor's system.

``demo`` behaves as a core system that takes batch files: it reads each file it is handed,
refuses a record without 宛名番号 (a core system files everything under it), gives the
others its own number, and writes a result file into ``result_dir``, which the worker then
reconciles. ``failing-demo`` is a core system that is never reachable.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import ClassVar

from madoguchi.lib import fixedwidth

from .base import RESULT_HEADER, RESULT_NG, RESULT_OK, CoreSystem, DeliveryError
from .registry import register


@register
class DemoCoreSystem(CoreSystem):
    plugin_name: ClassVar[str] = "demo"

    def send(self, path: Path) -> None:
        super().send(path)
        if self.config.result_dir is None:
            return
        manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text())
        records = self._records(path.read_bytes(), manifest)
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(RESULT_HEADER)
        prefix = self.key[:2].upper()
        for receipt_number, atena_number in records:
            if atena_number:
                key = f"{prefix}-{receipt_number[-8:]}"
                writer.writerow([receipt_number, RESULT_OK, key, ""])
            else:
                writer.writerow([receipt_number, RESULT_NG, "", "宛名番号がないため取り込めません"])
        self.config.result_dir.mkdir(parents=True, exist_ok=True)
        target = self.config.result_dir / f"{path.stem}.result.csv"
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_text(out.getvalue(), encoding="utf-8")
        os.replace(tmp, target)

    def _records(self, data: bytes, manifest: dict) -> list[tuple[str, str]]:
        """(受付番号, 宛名番号) of each record, read as the core system would."""
        columns = manifest["columns"]
        receipt = next(i for i, c in enumerate(columns) if c["header"] == "受付番号")
        atena = next((i for i, c in enumerate(columns) if c["header"] == "宛名番号"), None)
        text = data.decode(manifest["encoding"])
        if manifest["file_format"] == "fixed":
            widths = [column["bytes"] for column in columns]
            rows = [
                [fixedwidth.decode_field(cell) for cell in fixedwidth.fields(line, widths)]
                for _number, line in fixedwidth.records(data)
            ]
        else:
            rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
        return [(row[receipt], row[atena] if atena is not None else "") for row in rows]


@register
class FailingDemoCoreSystem(CoreSystem):
    plugin_name: ClassVar[str] = "failing-demo"

    def send(self, path: Path) -> None:
        raise DeliveryError("基幹システムに接続できません(デモ: 常に失敗する基幹システム)")
