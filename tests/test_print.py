"""/applications/<受付番号>/print.pdf: the application on A4 for the 決裁 file."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from django.utils import timezone

from conftest import sign_in
from madoguchi.applications.models import Application
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.intake.actions import import_package
from madoguchi.notices.pdf import render_pdf

pytestmark = pytest.mark.django_db

A4_POINTS = (595, 842)


def text_of(pdf: bytes) -> tuple[list[tuple[int, int]], str]:
    document = pdfium.PdfDocument(pdf)
    sizes = [tuple(round(x) for x in page.get_size()) for page in document]
    text = "".join(page.get_textpage().get_text_range() for page in document)
    return sizes, text


def test_the_print_view_is_an_a4_pdf_of_the_form_in_japanese_with_a_kairan_and_audited(
    client, trusted, reviewer, settings
):
    settings.MUNICIPALITY_NAME = "千代田区"
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    application = Application.objects.filter(procedure__department=reviewer.department).first()
    sign_in(client, reviewer)
    response = client.get(f"/applications/{application.receipt_number}/print.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    sizes, text = text_of(response.content)
    assert all(size == A4_POINTS for size in sizes)
    assert "".join(text.split())  # the Japanese font is embedded: the text reads back
    for expected in (
        application.receipt_number,
        application.procedure.name,
        "起案者",
        "課長",
        "令和",
        "千代田区",
    ):
        assert expected in text, expected
    name_field = application.procedure.field_for("applicant.name")
    assert "".join(application.form[name_field].split()) in "".join(text.split())
    assert application.evidence.package_sha256[:16] in text
    printed = AuditEvent.objects.get(action=AuditAction.APPLICATION_PRINTED)
    assert (printed.actor, printed.target_id) == (reviewer, application.receipt_number)


def test_another_department_cannot_print_it(client, trusted, kaigo_clerk, reviewer):
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    application = Application.objects.filter(procedure__department=reviewer.department).first()
    sign_in(client, kaigo_clerk)
    assert client.get(f"/applications/{application.receipt_number}/print.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.APPLICATION_PRINTED).exists()


def test_a_document_never_fetches_what_it_points_to(tmp_path, settings):
    """A URL that got into a document (an image, a stylesheet) is refused, not fetched."""
    # Were the stylesheet fetched, its words would be in the PDF.
    stylesheet = tmp_path / "leak.css"
    stylesheet.write_text('p::after { content: "漏えい"; }', encoding="utf-8")
    template_dir = tmp_path / "templates"
    (template_dir / "notices").mkdir(parents=True)
    (template_dir / "notices" / "probe.html").write_text(
        f'<html><head><link rel="stylesheet" href="file://{stylesheet}">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        "<body><p>本文</p></body></html>",
        encoding="utf-8",
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [template_dir, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    _sizes, text = text_of(render_pdf("notices/probe.html", {}))
    assert "本文" in text and "漏えい" not in text


def test_the_days_applications_print_as_one_pdf_each_an_audited_print(client, trusted, reviewer):
    for path in trusted.packages:
        import_package(path.read_bytes(), path.name)
    mine = Application.objects.filter(procedure__department=reviewer.department)
    sign_in(client, reviewer)
    today = timezone.localdate().isoformat()
    response = client.get("/applications/print.pdf", {"date": today})
    assert response["Content-Type"] == "application/pdf"
    sizes, text = text_of(response.content)
    assert set(sizes) == {A4_POINTS} and len(sizes) >= mine.count()
    for application in mine:
        assert application.receipt_number in text
    others = Application.objects.exclude(procedure__department=reviewer.department)
    assert all(a.receipt_number not in text for a in others)
    printed = AuditEvent.objects.filter(action=AuditAction.APPLICATION_PRINTED, actor=reviewer)
    assert {e.target_id for e in printed} == {a.receipt_number for a in mine}
    assert client.get("/applications/print.pdf", {"date": "x"}).status_code == 400
    assert client.get("/applications/print.pdf", {"date": "2001-01-01"}).status_code == 404


def test_the_days_print_is_made_by_the_worker_with_its_progress(
    client, catalog, reviewer, kaigo_clerk, monkeypatch, settings, tmp_path
):
    """From the inbox: the day's print is a job; its page shows 0 / N, then each step, then
    the PDF for the one who asked (each application an audited print); nobody else sees it."""
    from madoguchi.notices import print_runs
    from madoguchi.notices.models import PrintRun
    from tests.factories import make_application

    settings.DATA_DIR = tmp_path
    made = [make_application().receipt_number for _ in range(3)]
    sign_in(client, reviewer)
    today = timezone.localdate().isoformat()
    asked = client.post("/notices/prints/", {"date": today})
    run = PrintRun.objects.get()
    assert asked["Location"] == f"/notices/prints/{run.pk}/"
    waiting = client.get(asked["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="waiting"' in waiting and 'hx-trigger="every 1s"' in waiting

    seen: list[str] = []
    real = print_runs.render_day

    def watched(user, day, applications, on_progress=None):
        def step(done: int, total: int) -> None:
            on_progress(done, total)
            page = client.get(f"/notices/prints/{run.pk}/", HTTP_HX_REQUEST="true")
            seen.append(page.content.decode().split('role="status">')[1].split("<")[0])

        return real(user, day, applications, step)

    monkeypatch.setattr(print_runs, "CHUNK", 2)
    monkeypatch.setattr(print_runs, "render_day", watched)
    assert print_runs.make_waiting_prints() == 1
    assert seen == ["作成中: 0 / 3 件", "作成中: 2 / 3 件", "作成中: 3 / 3 件"]
    done = client.get(f"/notices/prints/{run.pk}/").content.decode()
    assert 'data-testid="print-file"' in done and "hx-trigger" not in done
    pdf = client.get(f"/notices/prints/{run.pk}/file")
    _sizes, text = text_of(pdf.content)
    assert all(receipt in text for receipt in made)
    printed = AuditEvent.objects.filter(action=AuditAction.APPLICATION_PRINTED, actor=reviewer)
    assert {e.target_id for e in printed} == set(made)
    sign_in(client, kaigo_clerk)
    assert client.get(f"/notices/prints/{run.pk}/file").status_code == 404
    wrong = client.post("/notices/prints/", {"date": "2026-02-30"})
    assert wrong.status_code == 400 and "YYYY-MM-DD" in wrong.content.decode()
