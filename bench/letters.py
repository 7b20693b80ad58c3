"""Letters: COUNT 受理通知 and their 発送簿 in one `notices batch` run, against the floor of
rendering the same letters and the same 発送簿 with bare WeasyPrint (the same templates'
HTML, one write_pdf each).

    python bench/letters.py [--count 1900] [--database-url URL]

Setup (not timed): signed applications through intake, copied to COUNT applications received
today. Timed: send_letters(receipt) (selection, addressing, one PDF, the split into one page
per letter, the 発送簿 CSV and PDF, the records and audit events); then the floor: the two
documents' HTML built untimed, then each written once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Figure, database_name, peak_mib  # noqa: E402
from bench.setup import copy_applications, start_django, trust_portal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1900)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = start_django(args.database_url)
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import CSS, HTML

    from madoguchi.applications.models import Application
    from madoguchi.intake.actions import IntakePass, import_package
    from madoguchi.notices.actions import REGISTER_COLUMNS, REGISTER_WIDTHS, send_letters
    from madoguchi.notices.models import LetterKind
    from madoguchi.notices.pdf import PAGE_CSS
    from pittari_sim.generate import generate

    portal = work / "portal"
    generated = generate(portal, 40, seed=9, procedure_id="jidou-teate-nintei", key_pool=8)
    trust_portal(portal)
    run = IntakePass()
    for item in generated:
        import_package(item.path.read_bytes(), item.path.name, run)
    copy_applications(args.count, "7")
    Application.objects.update(received_at=timezone.now())

    started = time.perf_counter()
    batch = send_letters(LetterKind.RECEIPT, work / "out", day=timezone.localdate())
    ours = time.perf_counter() - started
    assert len(batch.letters) == args.count
    ours_peak = peak_mib()

    # The floor: the same letters' HTML through bare WeasyPrint, once.
    letters = [
        {
            "number": n,
            "application": a,
            "name": a.applicant_name,
            "postal": "100-0001",
            "address": "東京都千代田区千代田1番1号",
            "arrived": "令和8年12月1日",
        }
        for n, a in enumerate(Application.objects.select_related("procedure"), start=1)
    ]
    html = render_to_string(
        "notices/letters.html",
        {"kind": LetterKind.RECEIPT, "letters": letters, "today": "令和8年12月1日"},
    )
    # …and the same 発送簿: a row per letter, through the register's own template.
    register = render_to_string(
        "notices/receipts.html",
        {
            "day": "令和8年12月1日",
            "department": "受理通知 発送簿",
            "municipality": "",
            "columns": REGISTER_COLUMNS,
            "widths": REGISTER_WIDTHS,
            "rows": [
                [
                    str(item["number"]),
                    "令和8年12月1日",
                    "受理通知",
                    item["name"],
                    item["name"],
                    f"〒{item['postal']} {item['address']}",
                    "令和8年12月1日",
                    "",
                ]
                for item in letters
            ],
        },
    )
    started = time.perf_counter()
    HTML(string=html).write_pdf(stylesheets=[CSS(string=PAGE_CSS)])
    HTML(string=register).write_pdf(stylesheets=[CSS(string=PAGE_CSS)])
    floor = time.perf_counter() - started
    Figure(
        benchmark="letters",
        what=f"{args.count:,} 受理通知 and their 発送簿",
        database=database_name(),
        unit="s",
        madoguchi=ours,
        floor=floor,
        target="< 60 s, ≤ ×1.5",
        peak_mib=ours_peak,
        note=f"{args.count / ours:.0f} letters/s",
    ).emit()


if __name__ == "__main__":
    main()
