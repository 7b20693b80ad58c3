"""方式4 一括取込: batch files of one procedure for its core system, with a manifest.

Each file holds the records waiting for hand-over (配信状態 待ち), in the layout of the
procedure version they were filed on. The file and its manifest take their names when the
transaction that marks the records 送付済 commits; then the plugin places them where the
core system takes them. See docs/core-systems.md for the layouts.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.applications.models import Evidence
from madoguchi.applications.sealing import unseal
from madoguchi.lib import fixedwidth, windows31j
from madoguchi.lib.cells import line_writer
from madoguchi.lib.codes import ATENA_NUMBER_MAX_LENGTH, RECEIPT_NUMBER_MAX_LENGTH
from madoguchi.lib.files import DiskFull
from madoguchi.procedures.fields import field_type
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.schema import field_at
from madoguchi.vocabulary import Status

from .actions import record_batch
from .constants import BatchFormat, DeliveryState, HandoffMethod
from .deliveries import hold_back_many, record_send_failure
from .gaiji import GaijiMap
from .models import BatchFile, Delivery
from .plugins import CoreSystem, DeliveryError, core_system
from .records import HeldBack, RecordBuilder, RecordSource

ENCODINGS = {
    BatchFormat.CSV_UTF8: "utf-8",
    BatchFormat.CSV_STANDARD: "utf-8",
    BatchFormat.CSV_CP932: "cp932",
    BatchFormat.FIXED: "cp932",
}
EXTENSIONS = {
    BatchFormat.CSV_UTF8: "csv",
    BatchFormat.CSV_STANDARD: "csv",
    BatchFormat.CSV_CP932: "csv",
    BatchFormat.FIXED: "dat",
}
# Fixed-length widths in CP932 bytes for what is not a form field.
FIXED_WIDTHS = {
    "application.receipt_number": RECEIPT_NUMBER_MAX_LENGTH,
    "application.submitted_date": 10,
    "resident.atena_number": ATENA_NUMBER_MAX_LENGTH,
}
MANIFEST_FORMAT = "madoguchi-handoff/1"

log = logging.getLogger(__name__)


def fixed_width(procedure: Procedure, source: str) -> int:
    """A column's byte width, derived from the version's own field rules, so that every
    valid value fits and a version's layout never changes (docs/core-systems.md)."""
    if source in FIXED_WIDTHS:
        return FIXED_WIDTHS[source]
    field = field_at(procedure.fields, source.removeprefix("form."))
    if field is None:
        raise ValueError(source)
    return field_type(field["type"]).export_width(field)


@dataclass
class ExportReport:
    files: list[Path] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    send_errors: list[str] = field(default_factory=list)


class RecordWriter:
    """Encodes records in one format; a value that does not fit comes back as HeldBack."""

    def __init__(
        self,
        procedure: Procedure,
        columns: list[dict[str, str]],
        file_format: BatchFormat,
        gaiji: GaijiMap,
        cp932: str = "windows",
    ) -> None:
        self.columns = columns
        self.fixed = file_format == BatchFormat.FIXED
        self.encoding = ENCODINGS[file_format]
        self.gaiji = gaiji if self.encoding == "cp932" else GaijiMap()
        if self.encoding == "cp932" and cp932 == "windows":
            self.encoding = windows31j.NAME  # the IBM extension codes, as Windows writes
        self.widths = [fixed_width(procedure, c["source"]) for c in self.columns]
        self._csv = line_writer()

    def header(self) -> bytes:
        if self.fixed:
            return b""
        return self._line([c["header"] for c in self.columns])

    def _line(self, row: list[str]) -> bytes:
        line: str = self._csv.writerow(row)
        return line.encode(self.encoding)

    def encode(self, receipt_number: str, values: list[str]) -> bytes | HeldBack:
        """One record's values (checked by the RecordBuilder), mapped and encoded at once
        (values never hold NUL, and no CP932 byte sequence contains 0x00), cell by cell only
        to name a problem."""
        mapped = self.gaiji.apply("\x00".join(values))
        try:
            if not self.fixed:
                return self._line(mapped.split("\x00"))
            return fixedwidth.record(mapped.encode(self.encoding).split(b"\x00"), self.widths)
        except (UnicodeEncodeError, ValueError):  # a character, or a field too long
            return self._problem(receipt_number, values, mapped.split("\x00"))

    def _problem(self, receipt_number: str, values: list[str], cells: list[str]) -> HeldBack:
        for column, width, raw, value in zip(self.columns, self.widths, values, cells, strict=True):
            try:
                data = value.encode(self.encoding)
            except UnicodeEncodeError as exc:
                bad = value[exc.start : exc.end]
                return HeldBack(
                    receipt_number,
                    column["header"],
                    raw,
                    f"「{bad}」(U+{ord(bad[0]):04X})は出力先の文字コードで表せません",
                )
            if self.fixed and len(data) > width:
                return HeldBack(
                    receipt_number,
                    column["header"],
                    raw,
                    f"{len(data)}バイトで、項目の長さ{width}バイトを超えます",
                )
        raise AssertionError("a record that does not encode has a cell that does not")


def _waiting(procedure: Procedure, method: HandoffMethod | None) -> Any:
    waiting = Delivery.objects.select_for_update(of=("self",), skip_locked=True).filter(
        state=DeliveryState.PENDING,
        application__procedure=procedure,
        application__status=Status.READY_FOR_HANDOFF,
    )
    if method is not None:
        waiting = waiting.filter(method=method)
    return waiting.order_by("application__received_at", "application_id").values_list(
        "pk",
        "application__receipt_number",
        "application__submitted_at",
        "application__form",
        "application__form_secrets",
        "application__resident__atena_number",
    )


def _write_file(
    builder: RecordBuilder,
    writer: RecordWriter,
    out: IO[bytes],
    report: ExportReport,
    method: HandoffMethod | None,
) -> tuple[list[int], str, int]:
    """Write every waiting record; (delivery ids written, sha256, bytes)."""
    digest = hashlib.sha256()
    size = 0
    ids: list[int] = []
    held: list[tuple[int, str, str]] = []

    def put(data: bytes) -> None:
        nonlocal size
        out.write(data)
        digest.update(data)
        size += len(data)

    put(writer.header())
    for pk, number, submitted_at, form, secrets, atena in _waiting(
        builder.procedure, method
    ).iterator(chunk_size=2000):
        # The core system gets the 個人番号 in clear: it is the file's reader.
        record = RecordSource(number, submitted_at, unseal(form, secrets), atena)
        values = builder.values(record)
        data = (
            values if isinstance(values, HeldBack) else writer.encode(record.receipt_number, values)
        )
        if isinstance(data, HeldBack):
            report.held_back.append(data)
            held.append((pk, data.column, data.reason))
            continue
        put(data)
        ids.append(pk)
        report.exported.append(record.receipt_number)
    # Shown to the department's staff as needing attention (the records stay 待ち).
    hold_back_many(held)
    return ids, digest.hexdigest(), size


def _manifest(
    plugin: CoreSystem,
    procedure: Procedure,
    writer: RecordWriter,
    target: Path,
    file_format: BatchFormat,
    records: int,
    sha256: str,
    size: int,
    held_back: int,
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "core_system": plugin.key,
        "procedure_id": procedure.procedure_id,
        "procedure_version": procedure.version,
        "file": target.name,
        "file_format": file_format.value,
        "encoding": ENCODINGS[file_format],
        # Which of CP932's doubled codes the file uses (docs/core-systems.md): "ibm" as
        # Windows and Java write them, "nec" as Python's cp932 does. Both decode as cp932.
        **(
            {"cp932_codes": "ibm" if writer.encoding == windows31j.NAME else "nec"}
            if ENCODINGS[file_format] == "cp932"
            else {}
        ),
        "records": records,
        "bytes": size,
        "sha256": sha256,
        "held_back": held_back,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "columns": [
            {"header": c["header"], "source": c["source"]}
            | ({"bytes": width} if writer.fixed else {})
            for c, width in zip(writer.columns, writer.widths, strict=True)
        ],
    }


def _packages_part(target: Path) -> Path:
    return target.with_name(f".{target.name}.packages.zip.part")


def _write_packages(ids: list[int], target: Path) -> dict[str, Any]:
    """Every exported record's 申請ZIP exactly as received, stored (not compressed again) as
    <受付番号>.zip in one archive beside the batch file; what the manifest says of it. An
    application filed at the counter or by mail has none: its 受付番号 is listed as such."""
    part = _packages_part(target)
    numbers = dict(
        Delivery.objects.filter(pk__in=ids).values_list(
            "application_id", "application__receipt_number"
        )
    )
    entries, without = [], set(numbers.values())
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as archive:
        for evidence in (
            Evidence.objects.filter(application_id__in=numbers)
            .order_by("application__receipt_number")
            .iterator(chunk_size=100)
        ):
            number = numbers[evidence.application_id]
            data = evidence.package_bytes
            archive.writestr(zipfile.ZipInfo(f"{number}.zip", (1980, 1, 1, 0, 0, 0)), data)
            entries.append({"receipt_number": number, "sha256": evidence.package_sha256})
            without.discard(number)
    with open(part, "rb+") as written:
        os.fsync(written.fileno())
        digest = hashlib.sha256()
        while chunk := written.read(1 << 20):
            digest.update(chunk)
    return {
        "file": f"{target.name}.packages.zip",
        "bytes": part.stat().st_size,
        "sha256": digest.hexdigest(),
        "entries": entries,
        "without_package": sorted(without),
    }


def _publish(tmp: Path, target: Path, manifest: dict[str, Any]) -> None:
    """The names, the manifest last: a reader that waits for it finds the rest whole."""
    if _packages_part(target).exists():
        os.replace(_packages_part(target), target.with_name(f"{target.name}.packages.zip"))
    os.replace(tmp, target)
    manifest_path = target.with_name(target.name + ".manifest.json")
    part = manifest_path.with_name(f".{manifest_path.name}.part")
    part.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(part, manifest_path)


def export_version(
    procedure: Procedure,
    file_format: BatchFormat,
    out_dir: Path,
    report: ExportReport,
    *,
    actor: User | None,
    plugin: CoreSystem,
    deliver: bool,
    method: HandoffMethod | None = None,
) -> None:
    """One file for one procedure version, in one transaction: every waiting record, or
    only those configured for ``method``."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
    name = f"{procedure.procedure_id}_{procedure.version}_{stamp}_{file_format.value}"
    target = out_dir / f"{name}.{EXTENSIONS[file_format]}"
    tmp = out_dir / f".{target.name}.part"
    builder = plugin.records(procedure)
    builder.standard_characters |= file_format == BatchFormat.CSV_STANDARD
    writer = RecordWriter(
        procedure, builder.columns, file_format, plugin.gaiji, plugin.config.cp932
    )
    held_before = len(report.held_back)
    with transaction.atomic():
        try:
            with open(tmp, "wb") as out:
                ids, sha256, size = _write_file(builder, writer, out, report, method)
                out.flush()
                os.fsync(out.fileno())
            packages = _write_packages(ids, target) if ids and plugin.config.packages else None
        except OSError as exc:
            # Nothing of it stays (a half file would hold the space a retry needs); the
            # deliveries stay waiting and go out with the next file.
            tmp.unlink(missing_ok=True)
            _packages_part(target).unlink(missing_ok=True)
            if exc.errno == errno.ENOSPC:
                raise DiskFull(out_dir) from exc
            raise
        if not ids:
            tmp.unlink()
            return
        manifest = _manifest(
            plugin,
            procedure,
            writer,
            target,
            file_format,
            len(ids),
            sha256,
            size,
            len(report.held_back) - held_before,
        )
        if packages is not None:
            manifest["packages"] = packages
        batch = record_batch(
            plugin.key,
            procedure,
            file_name=target.name,
            file_format=file_format,
            delivery_ids=ids,
            sha256=sha256,
            manifest=manifest,
            actor=actor,
            my_number_columns=builder.sealed_headers,
        )
        transaction.on_commit(
            _after_commit(batch.pk, tmp, target, manifest, plugin, ids, report, deliver)
        )
    report.files.append(target)


def _after_commit(
    batch_id: int,
    tmp: Path,
    target: Path,
    manifest: dict[str, Any],
    plugin: CoreSystem,
    ids: list[int],
    report: ExportReport,
    deliver: bool,
) -> Callable[[], None]:
    """The file takes its name only once the hand-over is committed; then it is sent."""

    def publish_and_send() -> None:
        _publish(tmp, target, manifest)
        try:
            BatchFile.objects.filter(pk=batch_id).update(published_at=timezone.now())
        except DatabaseError:
            # The file has its name: the next pass finds it so and takes note.
            log.warning("hand-over: %s published, not yet noted as such", target.name)
        if not deliver:
            return
        try:
            plugin.send(target)
        except DeliveryError as exc:
            report.send_errors.append(str(exc))
            record_send_failure(
                ids,
                str(exc),
                max_attempts=plugin.config.max_attempts,
                retry_seconds=plugin.config.retry_seconds,
            )

    return publish_and_send


def export_batch(
    procedure_id: str,
    file_format: str,
    out_dir: Path,
    *,
    actor: User | None,
    deliver: bool = False,
) -> ExportReport:
    """Write every record of the procedure waiting for hand-over, one file per version.

    On demand (the command line) this takes every waiting record of the procedure, whatever
    method is configured for it: the administrator asked for a file. With ``deliver`` the
    plugin also places the files where the core system takes them.
    """
    fmt = BatchFormat(file_format)
    procedures = list(Procedure.objects.filter(procedure_id=procedure_id))
    if not procedures:
        raise LookupError(procedure_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    plugin = core_system(procedures[0].core_system)
    for procedure in procedures:
        export_version(procedure, fmt, out_dir, report, actor=actor, plugin=plugin, deliver=deliver)
    return report


def publish_unpublished(plugin: CoreSystem, out_dir: Path) -> int:
    """A worker that died after a hand-over committed and before its file took its name
    left the file under its temporary name, its records 送付済: publish and send it now, as
    it would have been (the same bytes, the same manifest), so no record is lost and none
    is written twice. Returns how many it published."""
    published = 0
    for batch in BatchFile.objects.filter(core_system=plugin.key, published_at=None):
        target = out_dir / batch.file_name
        tmp = target.with_name(f".{target.name}.part")
        if target.exists() or not tmp.exists():
            # Published (the worker died just after), or written elsewhere (a command's
            # --out): nothing to do but take note.
            BatchFile.objects.filter(pk=batch.pk).update(published_at=batch.created_at)
            continue
        ids = list(Delivery.objects.filter(batch=batch).values_list("pk", flat=True))
        _after_commit(batch.pk, tmp, target, batch.manifest, plugin, ids, ExportReport(), True)()
        published += 1
    return published
