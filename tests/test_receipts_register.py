"""`madoguchi notices receipts`: the day's 受付簿 per department, PDF and CP932 CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from tests.factories import make_application

pytestmark = pytest.mark.django_db
JST = timezone.get_default_timezone()


def test_the_days_register_per_department_in_pdf_and_cp932(catalog, tmp_path, capsys):
    day = dt.date(2026, 12, 1)
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=JST)
    make_application(name="山田　花子", received_at=at)
    make_application(name="𠮷田　太郎", received_at=at + dt.timedelta(minutes=5))
    make_application("kaigo-nintei", name="鈴木　一郎", received_at=at)
    make_application(name="前日　受付", received_at=at - dt.timedelta(days=1))

    call_command("notices", "receipts", "--date", "2026-12-01", "--out", str(tmp_path), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["counts"] == {"kaigo": 1, "kosodate": 2}
    rows = list(
        csv.reader(io.StringIO((tmp_path / "受付簿-2026-12-01-kosodate.csv").read_text("cp932")))
    )
    assert rows[0][:3] == ["番号", "受付番号", "受付時刻"]
    assert [(r[0], r[2], r[5]) for r in rows[1:]] == [
        ("1", "09:30", "山田　花子"),
        ("2", "09:35", "〓田　太郎"),
    ]
    assert rows[2][-1].startswith("外字は〓")
    pdf = pdfium.PdfDocument(tmp_path / "受付簿-2026-12-01-kosodate.pdf")
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert "受付簿" in text and "令和8年12月1日" in text and "𠮷田" in text and "前日" not in text
    written = AuditEvent.objects.get(action=AuditAction.RECEIPTS_REGISTER_WRITTEN)
    assert written.target_id == day.isoformat()


def test_a_date_that_is_not_one_is_refused_in_japanese(catalog, tmp_path):
    """From the command line this is argparse's bad usage (exit 2)."""
    with pytest.raises(CommandError, match="日付は YYYY-MM-DD で指定してください"):
        call_command("notices", "receipts", "--date", "2026-02-30", "--out", str(tmp_path))
    assert not list(tmp_path.iterdir())


def test_letters_go_out_once_to_the_registry_address_with_their_register(
    client, trusted, reviewer, kaigo_clerk, tmp_path, capsys, settings
):
    """A 却下通知 for the day's rejections: one page each, addressed from the 住民記録, with
    the reason and the 教示; the 発送簿 lists them; a second run sends none again."""
    from madoguchi.applications.actions.workflow import change_status
    from madoguchi.applications.models import Application
    from madoguchi.intake.actions import import_package
    from madoguchi.notices.models import Letter
    from madoguchi.vocabulary import Status

    settings.MUNICIPALITY_NAME = "千代田区"
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    mine = Application.objects.filter(
        procedure__department=reviewer.department, resident__isnull=False
    ).order_by("id")[:2]
    for application in mine:
        change_status(application.pk, Status.IN_REVIEW, actor=reviewer)
        change_status(application.pk, Status.REJECTED, actor=reviewer, reason="所得が限度額超過")

    call_command("notices", "batch", "--kind", "rejection", "--out", str(tmp_path), "--json")
    report = json.loads(capsys.readouterr().out)
    assert [r["to"] for r in report["letters"]] == ["住民記録", "住民記録"]
    letters_pdf = next(p for p in report["files"] if p.endswith("letters.pdf"))
    pages = list(pdfium.PdfDocument(letters_pdf))
    assert len(pages) == 2
    # Letters go out in the 発送簿's order, not the test's: the page that names the receipt.
    first = next(
        text
        for text in (page.get_textpage().get_text_range() for page in pages)
        if mine[0].receipt_number in "".join(text.split())
    )
    resident = mine[0].resident
    assert "却下通知" in first and "所得が限度額超過" in first and "千代田区長" in first
    assert "".join(resident.name.split()) in "".join(first.split())
    assert "".join(resident.address.split())[:10] in "".join(first.split())
    register = next(p for p in report["files"] if p.endswith(".csv"))
    rows = list(csv.reader(io.StringIO(Path(register).read_text(encoding="cp932"))))
    assert rows[0] == [
        "番号",
        "受付日",
        "届出種別",
        "届出人",
        "対象者",
        "〒・送付先",
        "発送日",
        "返戻",
    ]
    assert len(rows) == 3
    kept = Letter.objects.get(application=mine[0])
    assert len(pdfium.PdfDocument(bytes(kept.pdf))) == 1
    assert AuditEvent.objects.filter(
        action=AuditAction.LETTER_SENT, target_id=mine[0].receipt_number
    ).exists()

    call_command("notices", "batch", "--kind", "rejection", "--out", str(tmp_path), "--json")
    assert json.loads(capsys.readouterr().out)["letters"] == []

    # 返戻: marked on the 発送簿 screen by the department, kept on the letter and in the 経過.
    url = f"/notices/letters/{kept.pk}/returned/"
    sign_in(client, kaigo_clerk)
    assert (
        client.post(url, {"returned_on": "2026-12-03", "reason": "転居先不明"}).status_code == 404
    )
    sign_in(client, reviewer)
    assert 'data-testid="mark-returned"' in client.get("/notices/letters/").content.decode()
    client.post(url, {"returned_on": "2026-12-03", "reason": "転居先不明"})
    kept.refresh_from_db()
    assert (kept.returned_on, kept.returned_reason) == (dt.date(2026, 12, 3), "転居先不明")
    assert 'data-testid="returned"' in client.get("/notices/letters/").content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.LETTER_RETURNED, target_id=mine[0].receipt_number, actor=reviewer
    ).exists()
    # In the 経過 it reads as the reason it came back, not as a message to the applicant.
    history = client.get(f"/applications/{mine[0].receipt_number}/").content.decode()
    assert "返戻理由: 転居先不明" in history and "申請者へ: 転居先不明" not in history


def test_the_register_is_downloaded_from_the_screen_for_the_clerks_own_department(
    catalog, client, reviewer
):
    """受付簿 without the command line: the day's count for the clerk's 課, its PDF and
    CSV (each download audited); another 課's is not there; a date that is not one answers
    with a Japanese error page."""
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=JST)
    make_application(name="山田　花子", received_at=at)
    make_application("kaigo-nintei", name="鈴木　一郎", received_at=at)
    sign_in(client, reviewer)
    page = client.get("/notices/receipts/", {"date": "2026-12-01"}).content.decode()
    assert "子育て支援課: 1 件" in page and "介護保険課" not in page
    csv_file = client.get("/notices/receipts/2026-12-01/kosodate.csv")
    assert csv_file.status_code == 200
    assert "山田　花子" in csv_file.content.decode("cp932")
    pdf_file = client.get("/notices/receipts/2026-12-01/kosodate.pdf")
    assert pdf_file.content.startswith(b"%PDF-")
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.RECEIPTS_REGISTER_WRITTEN, actor=reviewer
        ).count()
        == 2
    )
    assert client.get("/notices/receipts/2026-12-01/kaigo.csv").status_code == 404
    wrong = client.get("/notices/receipts/", {"date": "2026-02-30"})
    assert wrong.status_code == 400
    assert "日付は YYYY-MM-DD の形で指定してください" in wrong.content.decode()
    assert 'data-testid="error-page"' in wrong.content.decode()


def test_a_row_is_never_split_across_two_pages(catalog) -> None:
    """A 手続 name long enough to fill five lines of its column, forty rows: whatever falls
    at a page's end, each row's 受付番号 and the end of its 手続 are on the same page."""
    from madoguchi.notices.registers import register_pdf, registers
    from madoguchi.procedures.models import Procedure

    long_name = "児童手当の認定請求に係る長い手続名" * 6 + "【末尾】"
    Procedure.objects.filter(procedure_id="jidou-teate-nintei").update(name=long_name)
    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST)
    made = [
        make_application(received_at=at + dt.timedelta(minutes=n)).receipt_number for n in range(40)
    ]
    [register] = registers(dt.date(2026, 12, 1))
    pdf = pdfium.PdfDocument(register_pdf(dt.date(2026, 12, 1), register, "千代田区"))
    assert len(pdf) > 2
    seen = 0
    for page in pdf:
        text = page.get_textpage().get_text_range().replace("\r\n", "").replace("\n", "")
        numbers = sum(1 for receipt in made if receipt in text)
        assert numbers == text.count("【末尾】"), "a row was split across pages"
        seen += numbers
    assert seen == 40
