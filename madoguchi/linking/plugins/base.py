from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings

from madoguchi.applications.models import Application
from madoguchi.procedures.models import Procedure

from ..constants import BatchFormat, HandoffMethod
from ..gaiji import GaijiMap, parse_entry
from ..models import GaijiEntry
from ..records import Item, RecordBuilder, RecordSource


class DeliveryError(Exception):
    """The core system could not be reached or refused the hand-over; worth retrying."""


@dataclass(frozen=True)
class ResultLine:
    """One line of a core system's result file (取込結果)."""

    line: int
    receipt_number: str
    result: str  # OK or NG; anything else is reported back as unreadable
    external_key: str
    error: str

    @property
    def ok(self) -> bool:
        return self.result == RESULT_OK


@dataclass(frozen=True)
class Config:
    key: str
    name: str
    plugin: str
    method: HandoffMethod = HandoffMethod.TRANSCRIPTION
    procedures: dict[str, HandoffMethod] = field(default_factory=dict)
    batch_format: BatchFormat = BatchFormat.CSV_CP932
    drop_dir: Path | None = None
    # 方式4 to object storage (共通機能標準仕様書 §2.2.2 ②): "s3://bucket/prefix", and the
    # S3-compatible endpoint's URL when it is not AWS (docs/core-systems.md).
    bucket: str = ""
    s3_endpoint: str = ""
    # 方式4 with the 申請ZIP: each batch file also has "<file>.packages.zip", holding every
    # record's signed package as received (<受付番号>.zip), listed in the manifest.
    packages: bool = False
    result_dir: Path | None = None
    batch_every_minutes: int | None = None
    era_dates: bool = False
    # CP932 files: "windows" writes the 388 doubled characters at their IBM extension codes
    # as Windows and Java do (lib/windows31j.py); "nec" at the NEC-selected codes.
    cp932: str = "windows"
    # 文字要件: "standard" holds back, from the pull API and every batch file, a record with a
    # character outside the MJ文字 repertoire (a csv-standard file always does); "any" does not.
    characters: str = "any"
    # 業務ID of the 標準準拠システム (scopes "${業務ID}:records:read"); the key by default.
    business_id: str = ""
    gaiji_table: Path | None = None
    max_attempts: int = 5
    retry_seconds: int = 60
    options: dict[str, Any] = field(default_factory=dict)


RESULT_HEADER = ["受付番号", "結果", "基幹システム番号", "エラー内容"]
RESULT_OK, RESULT_NG = "OK", "NG"


def own_gaiji(key: str) -> dict[str, str]:
    """The 外字 rows entered on screen for this core system, as they are written."""
    return {
        e.character: parse_entry(e.character, e.replacement)
        for e in GaijiEntry.objects.filter(core_system=key)
    }


class CoreSystem:
    """The standard link: the catalog's layout, batch files placed in a drop folder, and
    result files in the documented CSV layout (docs/core-systems.md)."""

    plugin_name: ClassVar[str] = "standard"

    def __init__(self, config: Config) -> None:
        self.config = config
        self.gaiji = GaijiMap.for_table(config.gaiji_table, own=own_gaiji(config.key))

    @property
    def key(self) -> str:
        return self.config.key

    @property
    def name(self) -> str:
        return self.config.name

    def method_for(self, procedure: Procedure) -> HandoffMethod:
        return self.config.procedures.get(procedure.procedure_id, self.config.method)

    def layout(self, procedure: Procedure) -> list[dict[str, str]]:
        """The columns, in the core system's input order (the catalog's `export.columns`)."""
        return procedure.export_columns

    def records(self, procedure: Procedure) -> RecordBuilder:
        """The records of a procedure version in this core system's layout."""
        standard = self.config.characters == "standard"
        return RecordBuilder(procedure, self.layout(procedure), standard_characters=standard)

    def items(self, application: Application, form: dict[str, Any] | None = None) -> list[Item]:
        """The record's items; 個人番号 masked unless the form with them is given (for the
        core system itself, or an audited reveal)."""
        record = RecordSource.of(application, form)
        return self.records(application.procedure).items(record)

    def send(self, path: Path) -> None:
        """Place a finished batch file (its 申請ZIP archive first, where there is one) and its
        manifest where the core system takes them.

        The manifest goes last: a core system that waits for it never reads half a file.
        """
        manifest = path.with_name(path.name + ".manifest.json")
        packages = path.with_name(path.name + ".packages.zip")
        files = [*([packages] if packages.exists() else []), path, manifest]
        if self.config.bucket:
            self._upload(files)
        if self.config.drop_dir is None:
            return
        try:
            self.config.drop_dir.mkdir(parents=True, exist_ok=True)
            for source in files:
                tmp = self.config.drop_dir / f".{source.name}.part"
                shutil.copyfile(source, tmp)
                os.replace(tmp, self.config.drop_dir / source.name)
        except OSError as exc:
            raise DeliveryError(
                f"取込フォルダ {self.config.drop_dir} に置けませんでした: {exc.strerror or exc}"
            ) from exc

    def _upload(self, files: list[Path]) -> None:
        """The files, the manifest last, as objects of the bucket: each appears whole (an S3
        PUT is atomic), the manifest last, so a reader that waits for it reads a whole file.
        Credentials: MADOGUCHI_S3_ACCESS_KEY_ID and _SECRET_ACCESS_KEY, else boto3's own."""
        import boto3  # type: ignore[import-untyped]  # the s3 extra: madoguchi[s3]
        from botocore.exceptions import (  # type: ignore[import-untyped]
            BotoCoreError,
            ClientError,
        )

        bucket, _, prefix = self.config.bucket.removeprefix("s3://").partition("/")
        client = boto3.client(
            "s3",
            endpoint_url=self.config.s3_endpoint or None,
            aws_access_key_id=settings.S3_ACCESS_KEY_ID or None,
            aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY or None,
            region_name=settings.S3_REGION,
        )
        try:
            for source in files:
                client.put_object(
                    Bucket=bucket,
                    Key=f"{prefix.rstrip('/')}/{source.name}".lstrip("/"),
                    Body=source.read_bytes(),
                )
        except (BotoCoreError, ClientError, OSError) as exc:
            raise DeliveryError(
                f"オブジェクトストレージ {self.config.bucket} に置けませんでした: {exc}"
            ) from exc

    def read_result(self, data: bytes) -> list[ResultLine]:
        """The core system's result file: CSV, UTF-8 (BOM allowed) or CP932, with the header
        受付番号,結果,基幹システム番号,エラー内容 and 結果 OK or NG."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp932")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows or [c.strip() for c in rows[0][:4]] != RESULT_HEADER:
            raise ValueError("1行目が見出し(" + ",".join(RESULT_HEADER) + ")ではありません")
        lines = []
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = [c.strip() for c in row] + [""] * (4 - len(row))
            lines.append(ResultLine(number, cells[0], cells[1].upper(), cells[2], cells[3]))
        return lines
