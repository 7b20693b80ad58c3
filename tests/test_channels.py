"""Every channel, one workflow: the counter (書かない窓口) and the mail (重複の可能性:
test_channels_duplicates.py)."""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import sign_in
from madoguchi.accounts.models import ApiToken
from madoguchi.applications.actions.filing import (
    PaperFile,
    file_application,
    receive_paper_signature,
)
from madoguchi.applications.actions.workflow import change_status
from madoguchi.applications.models import (
    Application,
    PortalStatusUpdate,
)
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.lib.mynumber import MASKED
from madoguchi.lib.office_calendar import deadline
from madoguchi.procedures.life_events import life_events
from madoguchi.procedures.models import Procedure
from madoguchi.vocabulary import Channel, Identification, Role, Status
from tests.factories import KAIGO_NINTEI, complete_form, file_kaigo_at_counter, procedure

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_counter_application_is_identified_numbered_and_filed_by_the_clerk(
    catalog: None, kaigo_clerk, resident
) -> None:
    form = complete_form("kaigo-nintei", **KAIGO_NINTEI)
    first = file_application(
        procedure("kaigo-nintei"), resident, form, actor=kaigo_clerk, channel=Channel.COUNTER
    )
    second = file_application(
        procedure("kaigo-nintei"), resident, form, actor=kaigo_clerk, channel=Channel.COUNTER
    )
    today = timezone.localdate()
    assert first.receipt_number == f"C{today:%Y%m%d}0001"
    assert second.receipt_number == f"C{today:%Y%m%d}0002"
    assert first.channel == Channel.COUNTER and first.filed_by == kaigo_clerk
    assert first.identification == Identification.IDENTIFIED and first.resident == resident
    assert first.form_errors == {}
    assert first.applicant_name == "介護　太郎"
    event = AuditEvent.objects.get(
        action=AuditAction.APPLICATION_FILED, target_id=first.receipt_number
    )
    assert event.actor == kaigo_clerk and event.extra["channel"] == "counter"
    # One workflow, but the portal knows nothing of it: no status goes there.
    change_status(first.pk, Status.IN_REVIEW, actor=kaigo_clerk)
    assert not PortalStatusUpdate.objects.filter(application=first).exists()
    # The clerk's search finds it by its number, as it finds a portal number.
    assert list(Application.objects.search(first.receipt_number.lower())) == [first]


def test_a_bad_item_is_refused_by_name_and_nothing_is_filed(
    catalog: None, kaigo_clerk, resident
) -> None:
    form = complete_form("kaigo-nintei", **KAIGO_NINTEI) | {
        "applicant_phone": "12345",
        "applicant_kana": "かいご",
    }
    with pytest.raises(ValidationError) as refused:
        file_application(
            procedure("kaigo-nintei"), resident, form, actor=kaigo_clerk, channel=Channel.COUNTER
        )
    assert set(refused.value.message_dict) == {"applicant_phone", "applicant_kana"}
    assert "全角カタカナ" in refused.value.message_dict["applicant_kana"][0]
    assert not Application.objects.exists()


def test_only_the_procedures_department_files_and_the_administrator_does_not(
    catalog: None, counter_clerk, administrator, resident
) -> None:
    form = complete_form("kaigo-nintei", **KAIGO_NINTEI)
    for someone in (counter_clerk, administrator):  # 子育て支援課, and the administrator
        with pytest.raises(PermissionDenied):
            file_application(
                procedure("kaigo-nintei"), resident, form, actor=someone, channel=Channel.COUNTER
            )
    assert not Application.objects.exists()


def test_mail_counts_from_the_day_stamped_on_arrival_and_keeps_the_scan(
    catalog: None, kaigo_clerk, resident, client
) -> None:
    form = complete_form("kaigo-nintei", **KAIGO_NINTEI)
    kaigo = procedure("kaigo-nintei")
    with pytest.raises(ValidationError) as refused:
        file_application(kaigo, resident, form, actor=kaigo_clerk, channel=Channel.MAIL)
    assert "arrived_on" in refused.value.message_dict
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        file_application(
            kaigo, resident, form, actor=kaigo_clerk, channel=Channel.MAIL, arrived_on=tomorrow
        )
    with pytest.raises(ValidationError) as refused:
        file_application(
            kaigo,
            resident,
            form,
            actor=kaigo_clerk,
            channel=Channel.MAIL,
            arrived_on=timezone.localdate(),
            scans=[PaperFile("form.html", b"<script>alert(1)</script>")],
        )
    assert "PDF・PNG・JPEG" in refused.value.message_dict["scan"][0]

    arrived = dt.date(2026, 11, 20)
    application = file_application(
        kaigo,
        resident,
        form,
        actor=kaigo_clerk,
        channel=Channel.MAIL,
        arrived_on=arrived,
        scans=[PaperFile("../../郵送申請書.png", PNG)],
    )
    assert application.receipt_number == "M202611200001"
    assert timezone.localdate(application.submitted_at) == arrived
    assert application.due_date == deadline(
        arrived, kaigo.processing_days, kaigo.processing_unit, []
    )
    assert [a["name"] for a in application.attachments] == ["郵送申請書.png"]
    sign_in(client, kaigo_clerk)
    shown = client.get(f"/applications/{application.receipt_number}/attachments/0/")
    assert shown.status_code == 200 and shown.content == PNG
    # Kept like the rest of what carries a 個人番号: only encrypted.
    from tests.test_my_number_fields import stored_in_clear

    scanned = PNG + "個人番号 123456789018".encode()
    file_application(
        kaigo,
        resident,
        form | {"insured_number": "0000654321"},
        actor=kaigo_clerk,
        channel=Channel.MAIL,
        arrived_on=arrived,
        scans=[PaperFile("numbered.png", scanned)],
    )
    assert "applications.PaperDocument.content" not in stored_in_clear("123456789018")
    assert shown["Content-Security-Policy"].startswith("sandbox")


def test_the_signed_paper_form_is_recorded_once_with_its_scan(
    catalog: None, kaigo_clerk, resident, client
) -> None:
    application = file_kaigo_at_counter(resident, kaigo_clerk)
    sign_in(client, kaigo_clerk)
    page = client.get(f"/applications/{application.receipt_number}/")
    assert "署名済の申請書を受領した" in page.content.decode()
    response = client.post(
        f"/applications/{application.receipt_number}/paper-signature/",
        {"scan": io.BytesIO(PNG)},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.paper_signed_at is not None
    assert application.attachments[0]["media_type"] == "image/png"
    assert AuditEvent.objects.filter(
        action=AuditAction.PAPER_SIGNATURE_RECEIVED, target_id=application.receipt_number
    ).exists()
    with pytest.raises(ValidationError):
        receive_paper_signature(application.pk, actor=kaigo_clerk)
    # The 申請書 printed for the resident to check carries the signature box.
    pdf = client.get(f"/applications/{application.receipt_number}/print.pdf")
    document = pdfium.PdfDocument(pdf.content)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "申請者署名" in text and "窓口" in text


def test_every_life_event_names_procedures_of_the_catalog(catalog: None) -> None:
    known = set(Procedure.objects.values_list("procedure_id", flat=True))
    for event in life_events():
        assert event.procedure_ids and set(event.procedure_ids) <= known, event.name


def test_the_counter_screens_find_the_resident_and_carry_answers_to_the_next_form(
    catalog: None, kaigo_clerk, resident, client
) -> None:
    sign_in(client, kaigo_clerk)
    found = client.get("/applications/counter/", {"birth": "1945-04-01", "who": "かいご"})
    assert f"/applications/counter/{resident.atena_number}/" in found.content.decode()
    searched = AuditEvent.objects.get(action=AuditAction.RESIDENTS_SEARCHED)
    assert searched.actor == kaigo_clerk and searched.extra["count"] == 1
    assert (
        "生年月日か宛名番号"
        in client.get("/applications/counter/", {"who": "介護"}).content.decode()
    )

    chooser = client.get(f"/applications/counter/{resident.atena_number}/").content.decode()
    assert 'data-testid="event-tennyu"' in chooser and "児童手当 認定請求(子育て支援課)" in chooser
    url = f"/applications/counter/{resident.atena_number}/forms/?event=tennyu&channel=counter"
    page = client.get(url).content.decode()
    for procedure_id in ("kaigo-tennyu-nintei", "kaigo-kyotaku-keikaku", "kaigo-futangendo"):
        assert f'data-testid="form-{procedure_id}"' in page
    assert 'data-testid="form-jidou-teate-nintei"' not in page  # another department's
    assert 'value="介護　太郎"' in page and 'value="1945-04-01"' in page  # from the registry
    assert 'name="f-applicant_my_number" id="kaigo-tennyu-nintei-applicant_my_number"' in page
    assert 'inputmode="numeric" autocomplete="off"' in page  # not kept in the form history

    posted = {f"f-{k}": v for k, v in complete_form("kaigo-tennyu-nintei", **KAIGO_NINTEI).items()}
    refused = client.post(
        url, {**posted, "f-applicant_phone": "x", "procedure": "kaigo-tennyu-nintei"}
    )
    assert refused.status_code == 400 and "電話番号は" in refused.content.decode()
    response = client.post(url, {**posted, "procedure": "kaigo-tennyu-nintei"})
    assert response.status_code == 302
    filed = Application.objects.get()
    assert f"filed={filed.receipt_number}" in response["Location"]
    after = client.get(response["Location"]).content.decode()
    assert 'data-testid="form-kaigo-tennyu-nintei"' not in after
    assert 'value="0000123456"' in after and 'value="03-1234-5678"' in after  # carried over
    assert filed.form["applicant_my_number"] == MASKED  # kept sealed, carried nowhere
    assert "123456789018" not in after and MASKED not in after
    assert f"/applications/{filed.receipt_number}/sheet.pdf" in after


def test_the_counter_tidies_what_is_typed_says_where_and_asks_before_a_duplicate(
    catalog: None, kaigo_clerk, counter_clerk, resident, client
) -> None:
    """1000011 is filed as 100-0011; a birth date in the future is refused; a refused form
    answers with a summary at its top linking to each field; a second 認定 of the same
    resident is held for the clerk to look at before it is filed."""
    sign_in(client, kaigo_clerk)
    url = f"/applications/counter/{resident.atena_number}/forms/?procedure=kaigo-tennyu-nintei"
    posted = {f"f-{k}": v for k, v in complete_form("kaigo-tennyu-nintei", **KAIGO_NINTEI).items()}
    posted |= {"procedure": "kaigo-tennyu-nintei", "f-applicant_postal_code": "１０００００１"}
    future = client.post(url, posted | {"f-applicant_birth_date": "2030-01-01"})
    page = future.content.decode()
    assert future.status_code == 400 and "生年月日に未来の日付は入力できません" in page
    summary = page.split('data-testid="error-summary"')[1].split("</div>")[0]
    assert 'href="#kaigo-tennyu-nintei-applicant_birth_date"' in summary
    assert "data-focus-on-load" in page
    assert client.post(url, posted).status_code == 302
    assert Application.objects.get().form["applicant_postal_code"] == "100-0001"

    again = client.post(url, posted)
    assert again.status_code == 409 and 'data-testid="duplicate-warning"' in again.content.decode()
    assert Application.objects.count() == 1  # nothing filed yet, the typing kept on the page
    assert 'value="0000123456"' in again.content.decode()
    assert client.post(url, posted | {"duplicates_checked": "1"}).status_code == 302
    assert Application.objects.count() == 2

    # A group's entries beyond those required are optional: marked so, not 必須.
    sign_in(client, counter_clerk)
    nintei = f"/applications/counter/{resident.atena_number}/forms/?procedure=jidou-teate-nintei"
    form = client.get(nintei).content.decode()
    entries = form.split('<fieldset class="entry">')[1:]
    assert "入力するときは必須" not in entries[0] and "必須" in entries[0]
    assert all("入力するときは必須" in entry for entry in entries[1:])


def test_the_residents_sheet_reads_back_as_typed_with_a_signature_box_on_every_page(
    catalog: None, kaigo_clerk, kaigo_reviewer, make_staff, resident, client, tmp_path
) -> None:
    """The 申請書 the resident checks and signs: every value as typed, the 個人番号 in full
    (they check the number the clerk typed; an audited read), 確認・署名 on each page, and
    nothing of the office's (回議欄, 宛名番号, 処理期限, status). Only the clerk who filed it
    or a role that may read 個人番号."""
    from tests.test_letters import pdftotext, squeezed

    form = complete_form("kaigo-nintei", **KAIGO_NINTEI) | {"applicant_my_number": "123456789018"}
    filed = file_application(
        procedure("kaigo-nintei"), resident, form, actor=kaigo_clerk, channel=Channel.COUNTER
    )
    sign_in(client, kaigo_clerk)
    sheet = client.get(f"/applications/{filed.receipt_number}/sheet.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(sheet.content)
    text = squeezed(pdftotext(path, "-layout"))
    for value in ("介護太郎", "0000123456", "123456789018", "確認・署名", "署名"):
        assert value in text, value
    for internal in ("回議", "宛名番号", "処理期限", "ステータス", resident.atena_number):
        assert internal not in text, internal
    pages = pdftotext(path, "-layout").split("\f")
    filled = [p for p in pages if p.strip()]
    assert len(filled) >= 2 and all("確認・署名" in p for p in filled)  # on every page
    assert AuditEvent.objects.filter(
        action=AuditAction.MY_NUMBER_VIEWED, actor=kaigo_clerk, target_id=filed.receipt_number
    ).exists()
    sign_in(client, kaigo_reviewer)  # may read 個人番号
    assert client.get(f"/applications/{filed.receipt_number}/sheet.pdf").status_code == 200
    sign_in(client, make_staff("kaigo2", Role.COUNTER_CLERK, "kaigo"))  # did not file it
    assert client.get(f"/applications/{filed.receipt_number}/sheet.pdf").status_code == 404


def test_a_one_stop_counter_files_for_the_departments_it_was_given_and_reads_only_its_own(
    catalog: None, counter_clerk, administrator, kaigo_reviewer, resident, client
) -> None:
    """総合窓口: the administrator lets a 子育て支援課 clerk file for 介護保険課 too (audited); the
    clerk files a 介護 form in the same visit as a 児童手当 one, it goes to 介護保険課's inbox,
    the clerk prints the resident's sheet that day — and cannot open the application."""
    from madoguchi.accounts.models import Department

    kaigo = Department.objects.get(code="kaigo")
    sign_in(client, administrator)
    client.post(f"/staff/{counter_clerk.pk}/counter/", {"files_for": [kaigo.pk]})
    assert list(counter_clerk.files_for.all()) == [kaigo]
    changed = AuditEvent.objects.get(
        action=AuditAction.STAFF_UPDATED, target_id=counter_clerk.username
    )
    assert changed.extra["files_for"] == ["kaigo"]

    sign_in(client, counter_clerk)
    chooser = client.get(f"/applications/counter/{resident.atena_number}/").content.decode()
    url = f"/applications/counter/{resident.atena_number}/forms/?event=tennyu&channel=counter"
    page = client.get(url).content.decode()
    assert 'data-testid="form-kaigo-tennyu-nintei"' in page
    assert 'data-testid="form-jidou-teate-nintei"' in page
    assert 'data-testid="form-hoiku-moshikomi"' not in page  # not given: still named elsewhere
    assert "保育" in chooser
    posted = {f"f-{k}": v for k, v in complete_form("kaigo-tennyu-nintei", **KAIGO_NINTEI).items()}
    response = client.post(url, {**posted, "procedure": "kaigo-tennyu-nintei"})
    assert response.status_code == 302
    filed = Application.objects.get()
    assert filed.procedure.department == kaigo and filed.filed_by == counter_clerk
    after = client.get(response["Location"]).content.decode()
    assert filed.receipt_number in after and "介護保険課へ" in after
    assert client.get(f"/applications/{filed.receipt_number}/sheet.pdf").status_code == 200
    assert client.get(f"/applications/{filed.receipt_number}/").status_code == 404
    sign_in(client, kaigo_reviewer)
    inbox = client.get("/applications/").content.decode()
    assert filed.receipt_number in inbox


def test_the_api_files_with_the_screens_validation(
    catalog: None, kaigo_clerk, administrator, resident, client
) -> None:
    _row, token = ApiToken.issue(kaigo_clerk, "窓口キオスク")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {
        "procedure": "kaigo-nintei",
        "atena_number": resident.atena_number,
        "form": complete_form("kaigo-nintei", **KAIGO_NINTEI),
    }
    created = client.post(
        "/api/v1/counter-applications", body, content_type="application/json", **auth
    )
    assert created.status_code == 201
    assert created.json()["channel"] == "counter"
    assert created.json()["receipt_number"].startswith("C")

    bad = body | {"form": body["form"] | {"applicant_postal_code": "1000001"}}
    refused = client.post(
        "/api/v1/counter-applications", bad, content_type="application/json", **auth
    )
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["applicant_postal_code"]
    unknown = client.post(
        "/api/v1/counter-applications",
        body | {"atena_number": "nobody"},
        content_type="application/json",
        **auth,
    )
    assert unknown.status_code == 400 and "atena_number" in unknown.json()["fields"]
    elsewhere = client.post(
        "/api/v1/counter-applications",
        body | {"procedure": "jidou-teate-nintei"},
        content_type="application/json",
        **auth,
    )
    assert elsewhere.status_code == 404
    mail = client.post(
        "/api/v1/counter-applications",
        body | {"channel": "mail"},
        content_type="application/json",
        **auth,
    )
    assert mail.status_code == 400 and "arrived_on" in mail.json()["fields"]
    _row, admin_token = ApiToken.issue(administrator, "管理")
    forbidden = client.post(
        "/api/v1/counter-applications",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_token}",
    )
    assert forbidden.status_code == 403
    assert Application.objects.count() == 1
