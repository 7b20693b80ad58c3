"""会議録 in Chromium with a microphone: Chromium's fake capture device plays Japanese speech
from espeak-ng, the page records and sends a piece every few seconds, the worker's step
transcribes it, and the text appears on the page while recording goes on; a correction is
saved beside its segment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from madoguchi.lib import speech
from madoguchi.minutes.models import AudioPiece, Meeting, Segment
from madoguchi.minutes.tasks import transcribe_waiting
from tests.browser import BROWSER_MARKS, chromium, login
from tests.test_minutes import AOMORI, speak

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def speaking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose microphone says 「青森県の会議です」 over and over."""
    wav = speak(AOMORI, tmp_path_factory.mktemp("voice") / "voice.wav")
    fake_microphone = (
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    )
    with chromium(*fake_microphone) as browser:
        yield browser


@pytest.fixture
def room(speaking: Browser) -> Iterator[Page]:
    context = speaking.new_context(locale="ja-JP", permissions=["microphone"])
    yield context.new_page()
    context.close()


def test_recording_in_the_browser_grows_the_transcript_as_it_goes(
    live_server, room, counter_clerk, settings, tmp_path_factory
):
    settings.WHISPER_MODEL_DIR = speech.install_base_model(
        tmp_path_factory.mktemp("whisper") / "base"
    )
    meeting = Meeting.objects.create(
        title="子育て支援会議",
        held_on=timezone.localdate(),
        department=counter_clerk.department,
        participants="山田",
        vocabulary="青森県",
    )
    login(room, live_server.url, counter_clerk.username)
    room.goto(f"{live_server.url}/minutes/{meeting.pk}/")
    room.get_by_test_id("record-start").click()
    expect(room.get_by_test_id("record-stop")).to_be_visible()

    # The first pieces arrive while recording goes on; the worker's step transcribes them.
    for _ in range(40):
        if AudioPiece.objects.filter(meeting=meeting).count() >= 2:
            break
        room.wait_for_timeout(500)
    assert transcribe_waiting() >= 2
    written = list(Segment.objects.filter(meeting=meeting).values_list("text", flat=True))
    assert written and all(written)
    # On the page without reloading it (the transcript follows the pieces as they are sent).
    expect(room.get_by_test_id("segment")).to_have_count(len(written), timeout=10000)
    expect(room.get_by_test_id("segment-text").first).to_have_value(written[0])
    # The transcript goes on following the recording under a correction begun, and the
    # correction survives its refresh (the poll's swap, done here at once): the typed words
    # and the focus stay, also after the clerk left the field to press 再生.
    typing = room.get_by_test_id("segment-text").first
    refresh = """url => {
        document.querySelector('#transcript').dataset.before = 'refresh';
        return htmx.ajax('GET', url, {target: '#transcript', swap: 'outerHTML'});
    }"""
    typing.fill("青森県の")
    room.evaluate(refresh, f"/minutes/{meeting.pk}/transcript/")
    expect(room.locator("#transcript[data-before]")).to_have_count(0)  # refreshed
    expect(typing).to_have_value("青森県の")
    expect(typing).to_be_focused()
    typing.blur()
    room.evaluate(refresh, f"/minutes/{meeting.pk}/transcript/")
    expect(room.locator("#transcript[data-before]")).to_have_count(0)
    expect(typing).to_have_value("青森県の")
    room.get_by_test_id("record-stop").click()

    # A correction, saved beside its segment without leaving the page.
    first = Segment.objects.filter(meeting=meeting).first()
    assert first is not None
    field = room.locator(f"#segment-{first.pk} [data-testid=segment-text]")
    field.fill("青森県の会議です。")
    room.locator(f"#segment-{first.pk}").get_by_role("button", name="保存").click()
    expect(room.locator(f"#segment-{first.pk}")).to_contain_text("第2版")
    first.refresh_from_db()
    assert first.text == "青森県の会議です。" and first.version == 2
