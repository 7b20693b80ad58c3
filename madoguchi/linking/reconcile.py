"""Reading a core system's result file (取込結果) back: 取込済 or 失敗 per record.

Each line stands alone: a line that cannot be applied is reported with its number and
reason, and every other line still counts. The file itself is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from .actions import acknowledge, record_results_read
from .constants import DeliveryState
from .models import Delivery
from .plugins import core_system
from .plugins.base import RESULT_NG, RESULT_OK


class ResultFileError(ValueError):
    """The file as a whole cannot be read (not CSV, wrong header)."""


@dataclass
class LineError:
    line: int
    receipt_number: str
    reason: str


@dataclass
class ReconcileOutcome:
    acknowledged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    kept_as: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "acknowledged": self.acknowledged,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "errors": [e.__dict__ for e in self.errors],
            "kept_as": str(self.kept_as) if self.kept_as else None,
        }


def _keep(data: bytes, file_name: str, key: str) -> Path:
    folder = Path(settings.DATA_DIR) / "handoff" / key / "results"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"{stamp}_{Path(file_name).name}"
    path.write_bytes(data)
    return path


def import_results(data: bytes, file_name: str, core_system_key: str) -> ReconcileOutcome:
    plugin = core_system(core_system_key)
    outcome = ReconcileOutcome(kept_as=_keep(data, file_name, plugin.key))
    try:
        lines = plugin.read_result(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"取込結果ファイルとして読めません: {exc}") from exc
    deliveries = {
        d.application.receipt_number: d
        for d in Delivery.objects.filter(
            core_system=plugin.key,
            application__receipt_number__in=[line.receipt_number for line in lines],
        ).select_related("application")
    }
    for line in lines:
        delivery = deliveries.get(line.receipt_number)
        if delivery is not None:
            delivery.refresh_from_db(fields=["state"])  # a file may name a record twice
        if line.result not in (RESULT_OK, RESULT_NG):
            reason = f"結果「{line.result}」は OK か NG ではありません"
        elif delivery is None:
            reason = "この基幹システムへ送付した申請ではありません"
        elif delivery.state == DeliveryState.PENDING:
            reason = "まだ送付していない申請です(再送待ちの可能性があります)"
        elif delivery.state == DeliveryState.ACKNOWLEDGED and line.ok:
            outcome.unchanged.append(line.receipt_number)
            continue
        else:
            try:
                acknowledge(
                    delivery.pk,
                    ok=line.ok,
                    external_key=line.external_key,
                    error=line.error,
                    via="batch_result",
                )
            except ValidationError as exc:
                reason = " ".join(exc.messages)
            else:
                (outcome.acknowledged if line.ok else outcome.failed).append(line.receipt_number)
                continue
        outcome.errors.append(LineError(line.line, line.receipt_number, reason))
    record_results_read(
        plugin.key,
        file_name,
        acknowledged=len(outcome.acknowledged),
        failed=len(outcome.failed),
        errors=len(outcome.errors),
    )
    return outcome
