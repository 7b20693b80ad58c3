"""The minutes out of madoguchi: a PDF through the document engine (和暦 date, attendees, the
text by speaker), plain text and DOCX (python-docx) for the 課's own editing. Each download
is audited: the text holds what was said in the meeting."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TypedDict

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from madoguchi.lib.wareki import to_wareki
from madoguchi.notices.pdf import render_pdf

from .actions import record_export
from .models import Meeting, MeetingState
from .views import meeting_of


@dataclass
class Turn:
    """Consecutive segments of one speaker, as minutes print them."""

    speaker: str
    start: float
    texts: list[str]
    english: list[str]

    @property
    def text(self) -> str:
        return "".join(self.texts)

    @property
    def clock(self) -> str:
        seconds = int(self.start)
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def turns(meeting: Meeting) -> list[Turn]:
    result: list[Turn] = []
    for segment in meeting.segments.all():
        speaker = segment.speaker or _("(発言者未設定)")
        if not result or result[-1].speaker != speaker:
            result.append(Turn(speaker, segment.start, [], []))
        result[-1].texts.append(segment.text)
        if segment.english and segment.english != "-":
            result[-1].english.append(segment.english)
    return result


class Document(TypedDict):
    meeting: Meeting
    held_on: str
    draft: bool
    turns: list[Turn]


def _document(meeting: Meeting) -> Document:
    return {
        "meeting": meeting,
        "held_on": to_wareki(meeting.held_on),
        "draft": meeting.state != MeetingState.FIXED,
        "turns": turns(meeting),
    }


def _download(data: bytes | str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    return response


@login_required
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user, meeting = meeting_of(request, pk)
    pdf = render_pdf("minutes/minutes_pdf.html", _document(meeting))
    record_export(meeting, user, "pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-{meeting.pk}.pdf"'
    return response


def plain_text(meeting: Meeting) -> str:
    doc = _document(meeting)
    lines = [meeting.title, _("開催日: %s") % doc["held_on"], _("課: %s") % meeting.department]
    if meeting.attendees:
        lines.append(_("出席者: %s") % "、".join(meeting.attendees))
    if doc["draft"]:
        lines.append(_("(案: 確定していません)"))
    lines.append("")
    for turn in doc["turns"]:
        lines.append(f"[{turn.clock}] {turn.speaker}: {turn.text}")
        if turn.english:
            lines.append(f"    (English) {' '.join(turn.english)}")
    return "\n".join(lines) + "\n"


@login_required
def minutes_text(request: HttpRequest, pk: int) -> HttpResponse:
    user, meeting = meeting_of(request, pk)
    record_export(meeting, user, "txt")
    return _download(plain_text(meeting), "text/plain; charset=utf-8", f"minutes-{meeting.pk}.txt")


@login_required
def minutes_docx(request: HttpRequest, pk: int) -> HttpResponse:
    from docx import Document  # python-docx: only for this download

    user, meeting = meeting_of(request, pk)
    doc = _document(meeting)
    word = Document()
    word.add_heading(meeting.title, level=1)
    word.add_paragraph(_("開催日: %s") % doc["held_on"])
    word.add_paragraph(_("課: %s") % meeting.department)
    if meeting.attendees:
        word.add_paragraph(_("出席者: %s") % "、".join(meeting.attendees))
    if doc["draft"]:
        word.add_paragraph(_("(案: 確定していません)"))
    for turn in doc["turns"]:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{turn.speaker}: ").bold = True
        paragraph.add_run(turn.text)
        if turn.english:
            word.add_paragraph().add_run(" ".join(turn.english)).italic = True
    out = io.BytesIO()
    word.save(out)
    record_export(meeting, user, "docx")
    return _download(
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        f"minutes-{meeting.pk}.docx",
    )
