"""会議録 screens: the department's meetings, a new meeting, the meeting itself (upload or
record, the transcript growing as the worker writes it, corrections against the audio,
確定), and the room's display. A meeting belongs to its 課: staff of another 課 get a 404,
as for an application."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from madoguchi.accounts.access import staff_user
from madoguchi.accounts.models import Department, User
from madoguchi.jobs import JobState
from madoguchi.web import bad_request

from . import actions
from .models import AudioPiece, Meeting, MeetingState, Segment

# The longest upload taken in one request (a two-hour meeting in MP3 is about 120 MB); it
# goes from Django's temporary file to the meeting's folder a chunk at a time.
MAX_AUDIO_BYTES = 512 * 1024 * 1024
# The recording page may use the microphone (every other page may not: middleware.py).
MICROPHONE_POLICY = "camera=(), microphone=(self), geolocation=()"


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["title", "held_on", "department", "participants", "vocabulary", "translate"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "participants": forms.Textarea(attrs={"rows": 4}),
            "vocabulary": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "participants": gettext_lazy("1行に1人。修正のときに発言者として選べます"),
            "vocabulary": gettext_lazy(
                "1行に1語。地名・人名・事業名などを書くと、その表記で文字起こしされやすくなります"
            ),
            "translate": gettext_lazy("文字起こしのあと、発言ごとに英語の訳を付けます"),
        }

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        departments: QuerySet[Department] = Department.objects.order_by("code")
        if not user.sees_all_departments:
            departments = departments.filter(pk=user.department_id or 0)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        field.initial = user.department_id


def meetings_for(user: User) -> QuerySet[Meeting]:
    meetings = Meeting.objects.select_related("department")
    return meetings if user.sees_all_departments else meetings.filter(department=user.department)


def meeting_of(request: HttpRequest, pk: int) -> tuple[User, Meeting]:
    user = staff_user(request)
    return user, get_object_or_404(meetings_for(user), pk=pk)


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return render(request, "minutes/list.html", {"meetings": meetings_for(user)[:200]})


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = MeetingForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        meeting = actions.create_meeting(user, **form.cleaned_data)
        return redirect("minutes:detail", pk=meeting.pk)
    return render(request, "minutes/new.html", {"form": form})


def _transcript_context(meeting: Meeting) -> dict[str, object]:
    pieces = list(meeting.pieces.all())
    waiting = [p for p in pieces if p.state in (JobState.WAITING, JobState.RUNNING)]
    done = [p for p in pieces if p.delay is not None]
    return {
        "meeting": meeting,
        "speakers": meeting.attendees,
        "segments": meeting.segments.select_related("piece"),
        "waiting": waiting,
        "failed": [p for p in pieces if p.state == JobState.FAILED],
        "held": [p for p in waiting if p.error],
        "delay": round(done[-1].delay or 0) if done else None,
        "pending_english": meeting.segments.filter(english_wanted=True, english="").count(),
    }


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _user, meeting = meeting_of(request, pk)
    response = render(request, "minutes/detail.html", _transcript_context(meeting))
    response["Permissions-Policy"] = MICROPHONE_POLICY
    return response


@login_required
def transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """The transcript as it stands (polled while audio waits or the meeting is recorded)."""
    _user, meeting = meeting_of(request, pk)
    template = "minutes/_display.html" if request.GET.get("view") == "display" else None
    return render(request, template or "minutes/_transcript.html", _transcript_context(meeting))


@login_required
def display(request: HttpRequest, pk: int) -> HttpResponse:
    """For the room's screen: the latest words, large."""
    _user, meeting = meeting_of(request, pk)
    return render(request, "minutes/display.html", _transcript_context(meeting))


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    user, meeting = meeting_of(request, pk)
    audio = request.FILES.get("audio")
    if audio is None:
        return bad_request(request, _("音声ファイルを選んでください"))
    if audio.size is not None and audio.size > MAX_AUDIO_BYTES:
        return bad_request(request, _("音声ファイルが大きすぎます (512 MB まで)"))
    try:
        actions.add_audio(
            meeting, user, audio.chunks(), Path(audio.name or "").suffix, size=audio.size
        )
    except actions.MinutesError as exc:
        return bad_request(request, str(exc))
    return redirect("minutes:detail", pk=meeting.pk)


@login_required
@require_POST
def chunk(request: HttpRequest, pk: int) -> HttpResponse:
    """A few seconds of a recording in progress (minutes.js): 202 with its number."""
    user, meeting = meeting_of(request, pk)
    audio = request.FILES.get("audio")
    try:
        offset = float(request.POST.get("offset", ""))
    except ValueError:
        offset = -1
    try:
        if audio is None:
            raise actions.MinutesError(_("音声がありません"))
        suffix = ".ogg" if "ogg" in (audio.content_type or "") else ".webm"
        piece = actions.add_audio(meeting, user, audio.read(), suffix, offset=offset, live=True)
    except actions.MinutesError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"seq": piece.seq}, status=202)


@login_required
@require_POST
def segment_edit(request: HttpRequest, pk: int, segment_pk: int) -> HttpResponse:
    user, meeting = meeting_of(request, pk)
    segment = get_object_or_404(Segment, pk=segment_pk, meeting=meeting)
    error = ""
    try:
        segment = actions.edit_segment(
            segment,
            user,
            text=request.POST.get("text", ""),
            speaker=request.POST.get("speaker", ""),
        )
    except actions.MinutesError as exc:
        if not request.headers.get("HX-Request"):
            return bad_request(request, str(exc))
        error = str(exc)  # said beside the segment, the typed text kept in its field
        segment.text = request.POST.get("text", "")
    if request.headers.get("HX-Request"):
        return render(
            request,
            "minutes/_segment.html",
            {"segment": segment, "meeting": meeting, "error": error},
        )
    return redirect("minutes:detail", pk=meeting.pk)


@login_required
def segment_versions(request: HttpRequest, pk: int, segment_pk: int) -> HttpResponse:
    _user, meeting = meeting_of(request, pk)
    segment = get_object_or_404(Segment, pk=segment_pk, meeting=meeting)
    return render(
        request,
        "minutes/versions.html",
        {"meeting": meeting, "segment": segment, "versions": segment.versions.all()},
    )


@login_required
@require_POST
def translate(request: HttpRequest, pk: int, segment_pk: int | None = None) -> HttpResponse:
    """英訳: the whole meeting, or one segment (its button beside it)."""
    user, meeting = meeting_of(request, pk)
    segment = None
    if segment_pk is not None:
        segment = get_object_or_404(Segment, pk=segment_pk, meeting=meeting)
    try:
        actions.ask_translation(meeting, user, segment)
    except actions.MinutesError as exc:
        return bad_request(request, str(exc))
    return redirect("minutes:detail", pk=meeting.pk)


@login_required
@require_POST
def fix(request: HttpRequest, pk: int) -> HttpResponse:
    user, meeting = meeting_of(request, pk)
    try:
        actions.fix(meeting, user)
    except actions.MinutesError as exc:
        return bad_request(request, str(exc))
    return redirect("minutes:detail", pk=meeting.pk)


@login_required
def audio(request: HttpRequest, pk: int, seq: int) -> FileResponse:
    """One piece's audio, for playing a segment while correcting it."""
    _user, meeting = meeting_of(request, pk)
    piece = get_object_or_404(AudioPiece, meeting=meeting, seq=seq)
    if not piece.file_name or meeting.state != MeetingState.OPEN:
        raise Http404
    try:
        return FileResponse(open(piece.path, "rb"))  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError as exc:
        raise Http404 from exc
