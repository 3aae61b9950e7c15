"""
Lecture rooms in Chromium: danmaku reach every viewer and leave when a teacher deletes them, a
pushed question is answered and counted live, replay shows comments at their video time, and
hostile comments stay plain text inside the player.
"""

import shutil
import subprocess
import unicodedata
from datetime import timedelta

import pytest
from django.core.files import File
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from assessments.models import Attempt
from livestream.models import Danmaku
from livestream.services.danmaku import danmaku_send
from livestream.services.lectures import lecture_create, lecture_end, lecture_start
from tests.courses.conftest import course_world
from tests.e2e.test_assessments import log_in
from tests.livestream.conftest import forget_rate, lecture_world

pytestmark = pytest.mark.e2e
__all__ = ["course_world", "lecture_world"]  # fixtures

RECORDING_SECONDS = 8
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "\u202eevil.exe gnp.txt",
    "W" * 100,
    "👩\u200d👩\u200d👧\u200d👦 family\u200bzero\u200dwidth\u200c",
    "{{7*7}} ${7*7} #{7*7}",
    "</textarea><iframe src=javascript:alert(1)>",
]


def shown(text: str) -> str:
    """What the room shows of a comment: the server drops bidi controls and trims."""
    return unicodedata.normalize("NFC", text.translate(BIDI_CONTROLS)).strip()


@pytest.fixture
def recording(tmp_path):
    """A short WebM (VP8 and Vorbis) test pattern, made with ffmpeg in a temporary folder."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.fail("ffmpeg is missing: apt-get install -y ffmpeg (make test does)")
    path = tmp_path / "replay.webm"
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={RECORDING_SECONDS}:size=320x180:rate=25",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={RECORDING_SECONDS}",
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "300k",
            "-c:a",
            "libvorbis",
            "-shortest",
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return path


@pytest.fixture
def replay_world(lecture_world, recording):
    """lecture_world plus yesterday's ended lecture: its recording and a comment at 2 s."""
    started = timezone.now() - timedelta(days=1)
    with recording.open("rb") as handle:
        lecture = lecture_create(
            course=lecture_world["course"],
            teacher=lecture_world["teacher"],
            title="Limits, recorded",
            scheduled_at=started,
            duration_minutes=45,
            recording=File(handle, name="replay.webm"),
        )
    lecture = lecture_start(lecture=lecture, now=started)
    comment = danmaku_send(
        lecture=lecture,
        author=lecture_world["second"],
        text="two seconds in",
        video_time=2.0,
        now=started + timedelta(seconds=2),
    )
    lecture = lecture_end(lecture=lecture, now=started + timedelta(seconds=RECORDING_SECONDS))
    return {**lecture_world, "replay": lecture, "comment": comment}


def watch(page: Page) -> list[str]:
    """Dialogs the page opens (an alert from injected markup): each is dismissed and recorded."""
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def enter(browser: Browser, base: str, user, lecture) -> Page:
    """A new browser (its own session) of `user`, in the lecture room, connected."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base, user.username)
    page.goto(base + reverse("livestream:lecture", args=[lecture.pk]))
    expect(page.locator(".live-state")).to_have_attribute("data-state", "live", timeout=10_000)
    return page


def send(page: Page, text: str) -> None:
    form = page.locator("#danmaku-form")
    form.locator("[name=text]").fill(text)
    form.locator('[type="submit"]').click()


def choose_mode(page: Page, mode: str) -> None:
    """Pick where the next comments show (the send box's style menu)."""
    menu = page.locator("#danmaku-form .send-style")
    menu.locator("summary").click()
    menu.locator(f'input[name="mode"][value="{mode}"]').check()
    menu.locator("summary").click()


def on_screen(page: Page, danmaku_id: int):
    return page.locator(f'.danmaku-layer .danmaku-item[data-id="{danmaku_id}"]')


def in_chat(page: Page, danmaku_id: int):
    return page.locator(f'.chat-list .chat-row[data-id="{danmaku_id}"]')


def test_a_comment_reaches_everyone_and_leaves_everywhere_when_the_teacher_hides_it(
    live_asgi_server, lecture_world, browser: Browser
):
    # given two students and the teacher in the live lecture
    base, lecture = live_asgi_server, lecture_world["lecture"]
    sender = enter(browser, base, lecture_world["student"], lecture)
    other = enter(browser, base, lecture_world["second"], lecture)
    teacher = enter(browser, base, lecture_world["teacher"], lecture)
    expect(teacher.locator(".viewer-count")).to_have_text("3", timeout=10_000)
    # when one student sends a comment
    send(sender, "Is the limit 0 here")
    own_row = sender.locator(".chat-list .chat-row", has_text="Is the limit 0 here")
    expect(own_row).to_have_count(1)
    danmaku = Danmaku.objects.get(lecture=lecture)
    assert own_row.get_attribute("data-id") == str(danmaku.pk)
    # then it flies over the video and is listed in the chat of the other two
    for page in (other, teacher):
        expect(on_screen(page, danmaku.pk)).to_have_text("Is the limit 0 here")
        expect(in_chat(page, danmaku.pk)).to_contain_text("Is the limit 0 here")
    # when the teacher deletes it
    in_chat(teacher, danmaku.pk).locator(".hide-message").click()
    # then it leaves both students' screens and chat lists (before it could have flown off)
    for page in (sender, other):
        expect(in_chat(page, danmaku.pk)).to_have_count(0, timeout=3_000)
        expect(on_screen(page, danmaku.pk)).to_have_count(0, timeout=3_000)
    expect(in_chat(teacher, danmaku.pk)).to_have_count(0)
    danmaku.refresh_from_db()
    assert danmaku.hidden_at is not None


def test_a_pushed_bank_question_is_answered_and_counted_on_the_teachers_screen(
    live_asgi_server, lecture_world, browser: Browser
):
    # given the teacher and a student in the live lecture
    base, lecture, single = live_asgi_server, lecture_world["lecture"], lecture_world["single"]
    teacher = enter(browser, base, lecture_world["teacher"], lecture)
    student = enter(browser, base, lecture_world["student"], lecture)
    # when the teacher pushes the bank question
    push = teacher.locator("form.push-question")
    push.locator('[name="question"]').select_option(str(single.pk))
    push.locator('[name="seconds"]').fill("120")
    push.locator('[type="submit"]').click()
    # then the student sees it, answers and submits
    card = student.locator(".live-question")
    expect(card).to_be_visible(timeout=5_000)
    live_id = card.get_attribute("data-question")
    expect(teacher.locator(f'.live-question[data-question="{live_id}"]')).to_be_visible()
    expect(teacher.locator(".tally-answered")).to_contain_text("0")
    card.locator('input[name="answer"][value="a"]').check()
    card.locator(".question-submit").click()
    # and the teacher's tally counts one answer without a reload
    expect(teacher.locator(".tally-answered")).to_contain_text("1", timeout=5_000)
    expect(teacher.locator('.tally [data-option="a"]')).to_contain_text("1")
    attempt = Attempt.objects.get(assessment__kind="live", assessment__course=single.course)
    assert (attempt.student, attempt.status) == (lecture_world["student"], "submitted")


def test_replay_shows_a_comment_when_the_playhead_reaches_it_and_seeking_back_clears_it(
    live_asgi_server, replay_world, browser: Browser
):
    # given a student at the start of yesterday's recording, with a comment made at 2 s
    base, lecture, comment = live_asgi_server, replay_world["replay"], replay_world["comment"]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base, replay_world["student"].username)
    page.goto(base + reverse("livestream:lecture", args=[lecture.pk]))
    video = page.locator("#lecture-video")
    expect(video).to_be_visible()
    page.wait_for_function(
        "() => document.getElementById('lecture-video').readyState >= 1", timeout=10_000
    )
    # the screen does not show the comment yet
    expect(on_screen(page, comment.pk)).to_have_count(0)
    # when the video plays past 2 s
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        f"""() => {{
            const v = document.getElementById('lecture-video');
            const item = document.querySelector(
                '.danmaku-layer .danmaku-item[data-id="{comment.pk}"]');
            if (item && window.__pathwiseSeenAt === undefined) {{
                window.__pathwiseSeenAt = v.currentTime;
            }}
            return Boolean(item);
        }}""",
        polling="raf",
        timeout=10_000,
    )
    seen_at = page.evaluate("() => window.__pathwiseSeenAt")
    # then the comment appears over the video, and only once the playhead passed 2 s
    assert seen_at >= 2.0, f"shown at {seen_at:.2f} s of video, before its time (2 s)"
    expect(on_screen(page, comment.pk)).to_have_text("two seconds in")
    # when the viewer seeks back before it
    video.evaluate("v => { v.pause(); v.currentTime = 0.5; }")
    page.wait_for_function(
        "() => { const v = document.getElementById('lecture-video'); "
        "return !v.seeking && Math.abs(v.currentTime - 0.5) < 0.1; }",
        timeout=5_000,
    )
    # then the screen is cleared and stays clear while the playhead is before 2 s
    expect(on_screen(page, comment.pk)).to_have_count(0)
    page.wait_for_timeout(500)
    expect(on_screen(page, comment.pk)).to_have_count(0)


LAYOUT_CHECK = """
([text, mode]) => {
    const layer = document.querySelector('.danmaku-layer');
    const item = [...layer.querySelectorAll('.danmaku-item')]
        .find((node) => node.textContent === text);
    if (!item) return null;
    const box = item.getBoundingClientRect();
    const frame = layer.getBoundingClientRect();
    return {
        mode: item.dataset.mode,
        children: item.children.length,
        inside: box.left >= frame.left - 1 && box.right <= frame.right + 1
            && box.top >= frame.top - 1 && box.bottom <= frame.bottom + 1,
        box: [box.left, box.top, box.right, box.bottom],
        frame: [frame.left, frame.top, frame.right, frame.bottom],
    };
}
"""

ROW_CHECK = """
(id) => {
    const row = document.querySelector(`.chat-list .chat-row[data-id="${id}"]`);
    const scroller = document.querySelector('.chat-scroll');
    const text = row.querySelector('.chat-text') || row;
    const box = row.getBoundingClientRect();
    const frame = scroller.getBoundingClientRect();
    return {
        text: text.textContent,
        children: text.children.length,
        rowFits: row.scrollWidth <= row.clientWidth + 1,
        listFits: scroller.scrollWidth <= scroller.clientWidth + 1,
        inside: box.left >= frame.left - 1 && box.right <= frame.right + 1,
    };
}
"""


def test_hostile_comments_show_as_plain_text_inside_the_player(
    live_asgi_server, lecture_world, browser: Browser
):
    # given a student who writes in fixed positions, a classmate and the teacher watching
    base, lecture = live_asgi_server, lecture_world["lecture"]
    sender = enter(browser, base, lecture_world["student"], lecture)
    other = enter(browser, base, lecture_world["second"], lecture)
    teacher = enter(browser, base, lecture_world["teacher"], lecture)
    pages = (sender, other, teacher)
    dialogs = [watch(page) for page in pages]
    errors: list[str] = []
    for page in pages:
        page.on("pageerror", lambda error: errors.append(str(error)))
    for n, text in enumerate(HOSTILE):
        mode = "top" if n % 2 == 0 else "bottom"
        choose_mode(sender, mode)
        forget_rate(lecture.pk, lecture_world["student"].pk)  # one comment every 3 s otherwise
        # when the student sends it
        send(sender, text)
        expected = shown(text)
        for page in pages:
            # then it is shown over the video as the very text sent, without markup, in the box
            handle = page.wait_for_function(
                LAYOUT_CHECK, arg=[expected, mode], timeout=5_000, polling=100
            )
            layout = handle.json_value()
            assert layout["children"] == 0, (text, layout)
            assert layout["mode"] == mode, (text, layout)
            assert layout["inside"], (text, layout)
            # and listed in the chat as that text, without widening it
            danmaku = Danmaku.objects.get(lecture=lecture, text=expected)
            expect(in_chat(page, danmaku.pk)).to_be_visible()
            row = page.evaluate(ROW_CHECK, danmaku.pk)
            assert row["text"] == expected, (text, row)
            assert row["children"] == 0, (text, row)
            assert row["rowFits"], (text, row)
            assert row["listFits"], (text, row)
            assert row["inside"], (text, row)
    # and nothing ran: no dialog, no injected element, no template evaluated
    for page in pages:
        assert (
            page.locator(".danmaku-layer img, .danmaku-layer svg, .danmaku-layer script").count()
            == 0
        )
        assert (
            page.locator(
                ".chat-list img, .chat-list svg, .chat-list iframe, .chat-list script"
            ).count()
            == 0
        )
    assert dialogs == [[], [], []]
    assert errors == []
