"""An application's attachments: served sandboxed, PDF pages rendered in a child process."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from madoguchi.accounts.access import staff_user
from madoguchi.applications.actions.reads import (
    record_read,
)
from madoguchi.audit.constants import AuditAction
from madoguchi.lib.pdfpages import PdfError, render_in_child

from ..access import access_application
from ..models import (
    Application,
)

# Media types shown in the browser; anything else is only downloaded.
# Raster images are shown as they are; a PDF is shown as pictures of its pages rendered on
# the server (lib/pdfpages.py): a PDF can carry script, and the clerk's browser never gets it.
INLINE_TYPES = {"image/png", "image/jpeg"}


PDF = "application/pdf"


def _attachment(
    request: HttpRequest, receipt_number: str, index: int
) -> tuple[Application, dict[str, Any], bytes]:
    """(application, attachment entry, bytes as signed), within the department boundary."""
    user = staff_user(request)
    application = access_application(user, receipt_number)
    if not 0 <= index < len(application.attachments):
        raise Http404
    meta = application.attachments[index]
    if "paper" in meta:  # a scan kept at the counter or from the mail
        document = application.paper_documents.filter(pk=meta["paper"]).first()
        if document is None or not (document.content or document.content_sealed):
            raise Http404  # purged at the end of its retention
        return application, meta, document.content_bytes
    if "reply" in meta:  # brought by a 補正 answer
        package = application.correction_replies.get(pk=meta["reply"]).package_bytes
    else:
        evidence = getattr(application, "evidence", None)
        package = evidence.package_bytes if evidence is not None else b""
    if not package:
        raise Http404
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        content = archive.read(f"attachments/{meta['name']}")
    return application, meta, content


def _sandboxed(response: HttpResponse) -> HttpResponse:
    # The file is the applicant's: it may not run script or be framed by anything.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment(request: HttpRequest, receipt_number: str, index: int) -> HttpResponse:
    """An attachment as the applicant signed it (its digest was checked at intake): an image
    shown inline, a PDF shown as page pictures, anything downloaded; each an audited read."""
    application, meta, content = _attachment(request, receipt_number, index)
    wants_view = request.GET.get("download") != "1"
    if wants_view and meta["media_type"] == PDF:
        return redirect("applications:attachment_pages", receipt_number=receipt_number, index=index)
    inline = wants_view and meta["media_type"] in INLINE_TYPES
    record_read(
        application,
        staff_user(request),
        AuditAction.ATTACHMENT_VIEWED,
        {"name": meta["name"], "inline": inline},
    )
    response = HttpResponse(
        content, content_type=meta["media_type"] if inline else "application/octet-stream"
    )
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(meta['name'])}"
    return _sandboxed(response)


@login_required
def attachment_pages(request: HttpRequest, receipt_number: str, index: int) -> HttpResponse:
    """A PDF attachment as one picture per page."""
    application, meta, content = _attachment(request, receipt_number, index)
    if meta["media_type"] != PDF:
        raise Http404
    try:
        pages = int(render_in_child(content, "count"))
    except (PdfError, ValueError):
        pages = 0
    if request.GET.get("format") == "json":
        # For the viewer beside the form: how many pages to page through.
        return JsonResponse({"pages": pages})
    return render(
        request,
        "applications/attachment_pages.html",
        {
            "application": application,
            "attachment": meta,
            "index": index,
            "pages": range(1, pages + 1),
        },
    )


@login_required
def attachment_page(
    request: HttpRequest, receipt_number: str, index: int, page: int
) -> HttpResponse:
    """One page of a PDF attachment as PNG; an audited read."""
    application, meta, content = _attachment(request, receipt_number, index)
    if meta["media_type"] != PDF:
        raise Http404
    try:
        png = render_in_child(content, "render", str(page))
    except PdfError as exc:
        raise Http404(_("このページを表示できません")) from exc
    record_read(
        application,
        staff_user(request),
        AuditAction.ATTACHMENT_VIEWED,
        {"name": meta["name"], "inline": True, "page": page},
    )
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(meta['name'])}-{page}.png"
    return _sandboxed(response)
