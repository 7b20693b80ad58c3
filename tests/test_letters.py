"""Letters as a PDF reader sees them (poppler's pdftotext and pdffonts), the municipality's
document settings edited on screen and versioned, and the former-address rule."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.lib.wareki import to_wareki
from madoguchi.notices.models import DocumentSettings, Letter
from madoguchi.residents.actions import load_links
from madoguchi.residents.loader import COLUMNS
from madoguchi.residents.models import Resident
from madoguchi.vocabulary import Identification
from tests.factories import make_application

pytestmark = pytest.mark.django_db

# 旧字・異体字 and a character beyond the BMP, as real registries hold them.
OLD_NAME = "髙田　𠮷子"
NEW_NAME = "𠮷﨑　髙子"


def pdftotext(path: Path, *options: str) -> str:
    done = subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def squeezed(text: str) -> str:
    """The text without the spaces and line breaks layout puts between words."""
    return re.sub(r"[\s\u3000]+", "", text)


@pytest.fixture
def moved(tmp_path: Path, catalog: None) -> Resident:
    """A resident who moved and married: the registry exports 旧氏名 and 前住所 too."""
    path = tmp_path / "links.csv"
    header = ",".join([*COLUMNS, "previous_name", "previous_address"])
    row = ",".join(
        [
            "0A1B2C3D",
            "12345678901",
            "700001",
            NEW_NAME,
            "ヤマサキ　タカコ",
            "1990-05-05",
            "2",
            "東京都千代田区神田須田町1-1",
            "2026-01-01T00:00:00+09:00",
            "",
            OLD_NAME,
            "北海道札幌市中央区北1条西2丁目",
        ]
    )
    path.write_text(f"{header}\r\n{row}\r\n", encoding="utf-8")
    load_links(path)
    return Resident.objects.get(atena_number="700001")


def test_the_registry_keeps_the_former_name_and_address(moved: Resident) -> None:
    assert (moved.previous_name, moved.previous_address) == (
        OLD_NAME,
        "北海道札幌市中央区北1条西2丁目",
    )


def test_a_receipt_letter_reads_back_whole_with_its_font_embedded(
    moved: Resident, tmp_path: Path, settings, capsys, caplog
) -> None:
    settings.MUNICIPALITY_NAME = "千代田区"
    application = make_application(
        name=NEW_NAME, kana="ヤマサキ　タカコ", resident=moved,
        identification=Identification.IDENTIFIED,
    )  # fmt: skip
    call_command("notices", "batch", "--kind", "receipt", "--out", str(tmp_path), "--json")
    report = json.loads(capsys.readouterr().out)
    letters = Path(next(p for p in report["files"] if p.endswith("letters.pdf")))
    text = squeezed(pdftotext(letters))
    today = to_wareki(timezone.localdate())
    expected = squeezed(
        f"""{today} 千代田区長 (公印省略)
        〒 東京都千代田区神田須田町1-1 {NEW_NAME} 様
        受理通知
        {today}に到達した「児童手当 認定請求」の申請(受付番号 {application.receipt_number})を
        受理しましたので、通知します。
        1 / 1 · {application.receipt_number}"""
    )
    assert text == expected
    fonts = subprocess.run(
        ["pdffonts", str(letters)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in row.split("CID")[-1] for row in rows), fonts
    assert any("IPAex" in row for row in rows), fonts
    # 𠮷 is not in IPAex: IPAmj明朝 draws it, where a box (.notdef) would otherwise print.
    assert any("IPAmj" in row for row in rows), fonts
    assert not [r.message for r in caplog.records if "notdef" in r.getMessage()]


def test_the_former_address_rule_sends_the_receipt_to_the_old_address_and_name(
    moved: Resident, tmp_path: Path, administrator, client, capsys
) -> None:
    sign_in(client, administrator)
    page = client.get("/notices/settings/")
    assert page.status_code == 200 and "初期値" in page.content.decode()
    response = client.post(
        "/notices/settings/",
        {
            "municipality": "千代田区",
            "sender": "千代田区長　千代田　一郎",
            "seal": "(公印省略)",
            "contact": "子育て支援課 03-0000-0000",
            "kairan": "起案,係長,課長",
            "text-receipt": "{手続}の届出(受付番号 {受付番号})を受理しました。",
            "rule-receipt": "former",
            "text-correction": "{手続}について補正をお願いします。",
            "rule-correction": "current",
            "text-rejection": "{手続}の申請を却下しました。",
            "rule-rejection": "current",
            "text-general": "{手続}についてお知らせします。",
            "rule-general": "current",
        },
    )
    assert response.status_code == 302
    saved = DocumentSettings.current()
    assert saved.version == 1 and saved.rule_for("receipt") == "former"
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_SETTINGS_CHANGED)
    assert event.actor == administrator and "address_rules" in event.extra["changed"]

    application = make_application(
        resident=moved, identification=Identification.IDENTIFIED, name=NEW_NAME
    )
    call_command("notices", "batch", "--kind", "receipt", "--out", str(tmp_path), "--json")
    report = json.loads(capsys.readouterr().out)
    letter = Letter.objects.get(application=application)
    assert (letter.recipient_name, letter.address, letter.address_source) == (
        OLD_NAME,
        "北海道札幌市中央区北1条西2丁目",
        "前住所",
    )
    assert letter.settings_version == 1
    text = squeezed(pdftotext(Path(next(p for p in report["files"] if p.endswith("letters.pdf")))))
    assert squeezed(f"{OLD_NAME} 様") in text and "札幌市中央区" in text
    assert squeezed("千代田区長　千代田　一郎") in text and "子育て支援課03-0000-0000" in text
    assert f"児童手当認定請求の届出(受付番号{application.receipt_number})を受理しました。" in text

    # The print view's 回議欄 follows the settings too.
    printed = tmp_path / "print.pdf"
    printed.write_bytes(client.get(f"/applications/{application.receipt_number}/print.pdf").content)
    row = next(line for line in pdftotext(printed, "-layout").splitlines() if "起案" in line)
    assert re.search(r"起案\s+係長\s+課長", row), row


def test_document_settings_are_the_administrators_and_have_previews(
    catalog: None, reviewer, administrator, client
) -> None:
    sign_in(client, reviewer)
    assert client.get("/notices/settings/").status_code == 403
    sign_in(client, administrator)
    for kind in ("receipt", "correction", "rejection"):
        preview = client.get(f"/notices/settings/preview/{kind}.pdf")
        assert preview["Content-Type"] == "application/pdf"
        assert preview.content.startswith(b"%PDF-")
    assert client.get("/notices/settings/preview/other.pdf").status_code == 404


def test_a_letter_sent_keeps_the_version_it_was_printed_with(
    catalog: None, administrator, tmp_path: Path
) -> None:
    from madoguchi.notices.actions import save_document_settings, send_letters
    from madoguchi.notices.models import LetterKind

    application = make_application()
    first = send_letters(LetterKind.RECEIPT, tmp_path, day=timezone.localdate())
    assert [letter.settings_version for letter in first.letters] == [0]
    save_document_settings(
        {"municipality": "千代田区", "sender": "", "seal": "印", "contact": "", "kairan": "起案",
         "texts": {}, "address_rules": {}},
        actor=administrator,
    )  # fmt: skip
    assert Letter.objects.get(application=application).settings_version == 0
    make_application(received_at=timezone.now() - dt.timedelta(minutes=1))
    second = send_letters(LetterKind.RECEIPT, tmp_path, day=timezone.localdate())
    assert [letter.settings_version for letter in second.letters] == [1]


def test_letters_asked_for_on_screen_are_made_by_the_worker_with_their_progress(
    catalog: None, reviewer, kaigo_clerk, client, monkeypatch
) -> None:
    from madoguchi.jobs import JobState
    from madoguchi.notices import actions
    from madoguchi.notices.models import LetterRun

    for _n in range(3):
        make_application()
    make_application("kaigo-nintei")  # another department's: not in this batch
    sign_in(client, reviewer)
    assert 'data-testid="batch-link"' in client.get("/notices/letters/").content.decode()
    response = client.post(
        "/notices/batch/", {"kind": "receipt", "day": timezone.localdate().isoformat()}
    )
    run = LetterRun.objects.get()
    assert response["Location"] == f"/notices/batch/{run.pk}/"
    waiting = client.get(f"/notices/batch/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="waiting"' in waiting and 'hx-trigger="every 1s"' in waiting

    seen: list[tuple[int, int]] = []
    real = actions.send_letters

    def watched(*args, **kwargs):
        on_progress = kwargs["on_progress"]

        def record(done: int, total: int) -> None:
            on_progress(done, total)
            stored = LetterRun.objects.get(pk=run.pk)
            seen.append((stored.done, stored.total))
            shown = client.get(f"/notices/batch/{run.pk}/", HTTP_HX_REQUEST="true")
            if done < total:  # the count and the bar, from the first moment
                assert f"作成中: {done} / {total} 通" in shown.content.decode()
                assert f'value="{100 * done // total}"' in shown.content.decode()
            else:
                assert "発送簿を作成し、記録しています" in shown.content.decode()

        return real(*args, **{**kwargs, "on_progress": record})

    monkeypatch.setattr(actions, "CHUNK", 2)
    monkeypatch.setattr(actions, "send_letters", watched)
    assert actions.make_waiting_letters() == 1
    # Saved from the start and chunk by chunk, for the screen to show.
    assert seen == [(0, 3), (2, 3), (3, 3)]
    run.refresh_from_db()
    assert run.state == JobState.DONE and run.total == 3 and len(run.files) == 3
    page = client.get(f"/notices/batch/{run.pk}/").content.decode()
    assert 'data-state="done"' in page and "hx-trigger" not in page
    name = next(n for n in run.files if n.endswith("letters.pdf"))
    download = client.get(f"/notices/batch/{run.pk}/{name}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(
        action=AuditAction.LETTERS_DOWNLOADED, actor=reviewer, target_id=str(run.pk)
    ).exists()
    assert client.get(f"/notices/batch/{run.pk}/../../secret").status_code == 404
    sign_in(client, kaigo_clerk)
    assert client.get(f"/notices/batch/{run.pk}/").status_code == 404


def test_a_batch_that_fails_says_why_and_the_worker_goes_on(
    catalog: None, reviewer, monkeypatch
) -> None:
    from madoguchi.jobs import JobState
    from madoguchi.notices import actions
    from madoguchi.notices.models import LetterKind, LetterRun

    make_application()
    first = actions.request_letters(LetterKind.RECEIPT, timezone.localdate(), "", actor=reviewer)
    second = actions.request_letters(LetterKind.RECEIPT, timezone.localdate(), "", actor=reviewer)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(actions, "send_letters", broken)
    assert actions.make_waiting_letters() == 2
    states = dict(LetterRun.objects.values_list("pk", "state"))
    assert states == {first.pk: JobState.FAILED, second.pk: JobState.FAILED}
    assert "disk full" in LetterRun.objects.get(pk=first.pk).error


def test_a_general_notice_says_the_departments_words_and_may_be_sent_again(
    catalog: None, tmp_path: Path, capsys
) -> None:
    from django.core.management.base import CommandError

    first, second = make_application(), make_application()
    with pytest.raises(CommandError, match="本文"):
        call_command("notices", "batch", "--kind", "general", "--out", str(tmp_path))
    for message in ("窓口の受付時間が変わります。", "必要な書類を追加でお送りください。"):
        call_command(
            "notices", "batch", "--kind", "general", "--out", str(tmp_path), "--json",
            "--message", message,
        )  # fmt: skip
        report = json.loads(capsys.readouterr().out)
        letters = Path(next(p for p in report["files"] if p.endswith("letters.pdf")))
        text = squeezed(pdftotext(letters))
        assert "お知らせ" in text and squeezed(message) in text
        assert first.receipt_number in text and second.receipt_number in text
    assert Letter.objects.filter(kind="general").count() == 4


def test_letters_go_to_the_applications_an_inbox_filter_chose(
    catalog: None, reviewer, client
) -> None:
    from madoguchi.notices import actions
    from madoguchi.notices.models import LetterRun

    kept = [make_application(name="佐藤　一郎"), make_application(name="佐藤　花子")]
    other = make_application(name="鈴木　次郎")
    sign_in(client, reviewer)
    listing = client.get("/applications/", {"q": "佐藤"}).content.decode()
    assert 'data-testid="letters-from-list"' in listing
    page = client.get("/notices/batch/", {"from": "q=佐藤"}).content.decode()
    assert "申請一覧の条件に当たる 2 件が対象です" in page
    client.post(
        "/notices/batch/",
        {"from": "q=佐藤", "kind": "general", "day": "2001-01-01", "message": "ご案内"},
    )
    run = LetterRun.objects.get()
    assert sorted(run.receipt_numbers) == sorted(a.receipt_number for a in kept)
    actions.make_waiting_letters()
    told = set(Letter.objects.values_list("application__receipt_number", flat=True))
    assert told == {a.receipt_number for a in kept} and other.receipt_number not in told
