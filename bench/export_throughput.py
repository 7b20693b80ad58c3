"""方式4 export: 100,000 records to one CP932 CSV and to one fixed-length file.

    bench/run export [COUNT]      SQLite (set DATABASE_URL … see bench/run for PostgreSQL)
    python bench/export_throughput.py --count 100000 [--database-url URL]

Setup (not timed): 40 signed 児童手当 applications go through intake, then their forms are
copied to COUNT applications waiting for hand-over. Timed: `madoguchi export batch` as an
administrator runs it, in its own process, start to finish (Django start-up included);
peak memory is that process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, database_name, median  # noqa: E402
from bench.setup import start_django, trust_portal  # noqa: E402


def run_process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one command, run to its end."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command[:4]} failed ({status})")
    return elapsed, usage.ru_maxrss / 1024


def run_export(file_format: str, out: Path) -> tuple[float, float]:
    return run_process(
        [sys.executable, "-m", "madoguchi", "export", "batch", "--procedure",
         "jidou-teate-nintei", "--format", file_format, "--out", str(out)]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from madoguchi.applications.models import Application
    from madoguchi.intake.actions import import_package
    from madoguchi.linking.batch import fixed_width
    from madoguchi.linking.constants import DeliveryState, HandoffMethod
    from madoguchi.linking.models import Delivery
    from madoguchi.vocabulary import Status
    from pittari_sim.generate import generate

    portal = work / "portal"
    generated = generate(portal, 40, seed=3, procedure_id="jidou-teate-nintei", key_pool=8)
    trust_portal(portal)
    for item in generated:
        import_package(item.path.read_bytes(), item.path.name)
    # The version pittari-sim fills today (the newest), whose layout the core system reads.
    newest = Application.objects.order_by("-id").first()
    assert newest is not None, "no package was accepted"
    sources = list(Application.objects.filter(procedure=newest.procedure))
    now = timezone.now()
    print(f"setting up {args.count} applications …", flush=True)
    for start in range(0, args.count, 5000):
        batch = []
        for n in range(start, min(start + 5000, args.count)):
            source = sources[n % len(sources)]
            batch.append(
                Application(
                    receipt_number=f"9{n:015d}",
                    procedure=source.procedure,
                    status=Status.READY_FOR_HANDOFF,
                    submitted_at=source.submitted_at,
                    status_changed_at=now,
                    submitter=source.submitter,
                    municipality_code=source.municipality_code,
                    form=source.form,
                    # The 個人番号 sealed apart: without it the copies carried only the mask,
                    # which the fixed-length layout refused for every record.
                    form_secrets=source.form_secrets,
                    applicant_name=source.applicant_name,
                    applicant_kana=source.applicant_kana,
                    resident=source.resident,
                    identification=source.identification,
                    due_date=source.due_date,
                )
            )
        created = Application.objects.bulk_create(batch)
        Delivery.objects.bulk_create(
            Delivery(application=a, core_system="jidou_teate", method=HandoffMethod.BATCH)
            for a in created
        )
    if connection.vendor == "postgresql":
        # As in a database in service, where autovacuum keeps the statistics current; right
        # after a bulk load the planner would take these tables for empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()

    database = database_name()
    settings_db = connection.settings_dict
    target = str(settings_db["NAME"]) if connection.vendor == "sqlite" else str(args.database_url)
    procedure_pk = newest.procedure_id
    floor_command = [
        sys.executable, str(Path(__file__).parent / "floors" / "export.py"), "--database",
        target, "--procedure-pk", str(procedure_pk), "--out", str(work / "floor.csv"),
    ]  # fmt: skip
    # The floor of the fixed-length file writes the same bytes: the layout's widths, as
    # madoguchi derives them from the version's field rules, are given to it.
    widths = [fixed_width(newest.procedure, c["source"]) for c in newest.procedure.export_columns]
    floor_commands = {
        "csv-cp932": floor_command,
        "fixed": [
            *floor_command[:-1],
            str(work / "floor.fixed"),
            "--widths",
            ",".join(map(str, widths)),
        ],
    }
    # The floor opens the sealed 個人番号 with the installation's keys, as madoguchi does.
    floor_env = os.environ | {"FLOOR_MY_NUMBER_KEYS": ",".join(settings.MY_NUMBER_KEYS)}
    measured: dict[str, list[tuple[float, float]]] = {}
    # Records madoguchi held back for a clerk (a value the layout cannot carry), which the
    # floor writes anyway: said beside the figure, not hidden in it.
    held: dict[str, int] = {}
    for _round in range(args.rounds):
        for file_format in ("csv-cp932", "fixed"):
            out = work / "out" / f"{file_format}-{_round}"
            measured.setdefault(file_format, []).append(run_export(file_format, out))
            held[file_format] = Delivery.objects.filter(state=DeliveryState.PENDING).count()
            Delivery.objects.update(state=DeliveryState.PENDING, batch=None)  # waiting again
            floor = run_process(floor_commands[file_format], floor_env)
            measured.setdefault(f"floor {file_format}", []).append(floor)
            Delivery.objects.update(state=DeliveryState.PENDING, batch=None)
    # Both fixed-length files hold records of the same length: the same layout.
    [ours] = (work / "out" / "fixed-0").glob("*.dat")
    for written in (ours, work / "floor.fixed"):
        assert len(written.read_bytes().split(b"\r\n", 1)[0]) == sum(widths), written
    for file_format in ("csv-cp932", "fixed"):
        floor_us = median([s for s, _ in measured[f"floor {file_format}"]]) / args.count * 1e6
        per_record = median([s for s, _ in measured[file_format]]) / args.count * 1e6
        Figure(
            benchmark="export",
            what=f"{args.count:,} records, {file_format}",
            database=database,
            unit="µs/record",
            madoguchi=per_record,
            floor=floor_us,
            target="≤ ×1.3",
            peak_mib=max(m for _, m in measured[file_format]),
            note=(
                f"{1e6 / per_record:,.0f} records/s, start-up included; "
                f"{held[file_format]:,} held back ({held[file_format] / args.count:.1%}), "
                "which the floor writes"
            ),
        ).emit()


if __name__ == "__main__":
    main()
