"""
The lecture room's limits and moderation over the socket: rate limit, slow mode, duplicates,
blocked words, mutes, deletions, pins, who may moderate, and hostile text. A refused frame gets
an `error` frame with its code, changes nothing, and the socket stays open.
"""

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from courses.models import Enrollment
from courses.services.enrollment import enrollment_drop
from livestream.models import Danmaku, Lecture, LectureMute
from livestream.services.danmaku import blocked_word_add, danmaku_send
from lms.models import Role
from tests.livestream.conftest import forget_rate, join, leave, next_of, nothing_of

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _count(**filters) -> int:
    return Danmaku.objects.filter(**filters).count()


count = sync_to_async(_count)


def _window(user, lecture_id: int) -> list[dict]:
    client = Client()
    client.force_login(user)
    response = client.get(
        reverse("livestream-api:danmaku", args=[lecture_id]), {"from": 0, "to": 3600}
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


window = sync_to_async(_window)


async def send(communicator, text: str, client_id: str | None = None, **fields) -> None:
    frame = {"type": "send", "text": text, "video_time": 5, **fields}
    if client_id is not None:
        frame["client_id"] = client_id
    await communicator.send_json_to(frame)


# --- Limits -----------------------------------------------------------------------------------


async def test_a_second_message_within_three_seconds_is_rate_limited(lecture_world, hub):
    # given a student who has just sent a comment
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    try:
        await send(student, "first", "c1")
        await next_of(student, "sent")
        await next_of(student, "danmaku")
        # when it sends another at once
        await send(student, "second", "c2")
        # then it is refused with how long to wait, and only the first was saved
        error = await next_of(student, "error")
        assert error["code"] == "rate_limited"
        assert error["client_id"] == "c2"
        assert 0 < error["retry_after"] <= 3
        assert await count() == 1
        await nothing_of(student, "danmaku", timeout=0.3)
    finally:
        await leave(student)


async def test_slow_mode_reaches_viewers_and_refuses_a_students_second_message(lecture_world, hub):
    # given a student, a classmate and the teacher in the room
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    classmate, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        # when the teacher turns slow mode on
        await teacher.send_json_to({"type": "slow_mode", "seconds": 30})
        # then every viewer hears of it, and it is saved
        for viewer in (student, classmate, teacher):
            assert await next_of(viewer, "slow_mode") == {"seconds": 30}
        assert (await sync_to_async(Lecture.objects.get)(pk=lecture.pk)).slow_mode_seconds == 30
        # when the student sends twice
        await send(student, "one")
        await next_of(student, "sent")
        await send(student, "two", "c2")
        # then the second waits for slow mode (longer than the plain rate limit)
        error = await next_of(student, "error")
        assert error["code"] == "slow_mode"
        assert 3 < error["retry_after"] <= 30
        assert await count(author=lecture_world["student"]) == 1
        # and the teacher is not slowed down
        await send(teacher, "teacher one")
        await next_of(teacher, "sent")
        await send(teacher, "teacher two")
        await next_of(teacher, "sent")
    finally:
        await leave(student, classmate, teacher)


async def test_a_slow_mode_out_of_range_is_refused(lecture_world, hub):
    # given
    lecture = lecture_world["lecture"]
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        for seconds in (-1, 301, "10", 2.5, True, None):
            # when
            await teacher.send_json_to({"type": "slow_mode", "seconds": seconds})
            # then
            assert (await next_of(teacher, "error"))["code"] == "invalid"
        assert (await sync_to_async(Lecture.objects.get)(pk=lecture.pk)).slow_mode_seconds == 0
    finally:
        await leave(teacher)


async def test_the_same_text_twice_is_a_duplicate_but_not_for_another_student(lecture_world, hub):
    # given a student who has sent a comment
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    classmate, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    try:
        await send(student, "Same thing")
        await next_of(student, "sent")
        await sync_to_async(forget_rate)(lecture.pk, lecture_world["student"].pk)
        # when it sends the same text again (other case and spacing), past the rate limit
        await send(student, "  same   THING ", "again")
        # then it is refused as a duplicate
        error = await next_of(student, "error")
        assert (error["code"], error["client_id"]) == ("duplicate", "again")
        # when a classmate sends the same text
        await send(classmate, "Same thing")
        # then that is fine
        await next_of(classmate, "sent")
        assert await count(text="Same thing") == 2
        assert await count() == 2
    finally:
        await leave(student, classmate)


async def test_a_schools_blocked_word_is_refused_whatever_its_case(lecture_world, hub):
    # given school A blocks a word, school B another
    lecture = lecture_world["lecture"]
    await sync_to_async(blocked_word_add)(school=lecture_world["a"]["school"], word="Spoiler")
    await sync_to_async(blocked_word_add)(school=lecture_world["b"]["school"], word="hello")
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    try:
        # when the student writes it in capitals inside a sentence
        await send(student, "big SPOILERS ahead", "c1")
        # then it is refused and nothing is saved
        error = await next_of(student, "error")
        assert (error["code"], error["client_id"]) == ("blocked_word", "c1")
        assert await count() == 0
        # when it writes another school's blocked word
        await send(student, "hello everyone")
        # then that is fine
        assert (await next_of(student, "danmaku"))["text"] == "hello everyone"
    finally:
        await leave(student)


# --- Mutes ------------------------------------------------------------------------------------


async def test_a_muted_student_cannot_write_until_unmuted(lecture_world, hub):
    # given a student, a classmate and the teacher in the room
    lecture, muted = lecture_world["lecture"], lecture_world["student"]
    student, _state, _backfill = await join(muted, lecture.pk)
    classmate, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        # when the teacher mutes the student
        await teacher.send_json_to({"type": "mute", "user": muted.pk})
        # then everyone hears of it
        for viewer in (student, classmate, teacher):
            assert await next_of(viewer, "muted") == {"user": muted.pk}
        # and the student's comments are refused
        await send(student, "can I still talk?", "c1")
        error = await next_of(student, "error")
        assert (error["code"], error["client_id"]) == ("muted", "c1")
        assert await count() == 0
        # and a viewer joining now is told it is muted
        again, state, _backfill = await join(muted, lecture.pk)
        assert state["you"]["muted"] is True
        await leave(again)
        # when the teacher unmutes it
        await teacher.send_json_to({"type": "unmute", "user": muted.pk})
        # then everyone hears of it, and the student may write again
        for viewer in (student, classmate, teacher):
            assert await next_of(viewer, "unmuted") == {"user": muted.pk}
        await send(student, "thanks")
        await next_of(student, "sent")
        assert not await sync_to_async(LectureMute.objects.exists)()
    finally:
        await leave(student, classmate, teacher)


@pytest.mark.parametrize("target", ["teacher", "admin"])
async def test_muting_a_teacher_or_admin_of_the_course_is_refused(target, lecture_world, hub):
    # given
    lecture = lecture_world["lecture"]
    user = lecture_world["teacher"] if target == "teacher" else lecture_world["a"][Role.ADMIN]
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        # when
        await teacher.send_json_to({"type": "mute", "user": user.pk})
        # then
        assert (await next_of(teacher, "error"))["code"] == "forbidden"
        assert not await sync_to_async(LectureMute.objects.exists)()
        await nothing_of(teacher, "muted", timeout=0.3)
    finally:
        await leave(teacher)


@pytest.mark.parametrize("user", ["classmate", "other_school_student", 999_999, "x", None])
async def test_muting_someone_not_in_the_lecture_is_not_found_or_invalid(user, lecture_world, hub):
    # given
    lecture = lecture_world["lecture"]
    user_id = {
        "classmate": lecture_world["a"]["classmate"].pk,  # same school, not enrolled
        "other_school_student": lecture_world["b"][Role.STUDENT].pk,
    }.get(user, user)
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        # when
        await teacher.send_json_to({"type": "mute", "user": user_id})
        # then
        error = await next_of(teacher, "error")
        assert error["code"] == ("invalid" if user in ("x", None) else "not_found")
        assert not await sync_to_async(LectureMute.objects.exists)()
    finally:
        await leave(teacher)


# --- Deletions and pins -----------------------------------------------------------------------


async def test_a_hidden_message_disappears_for_everyone_and_from_the_replay(lecture_world, hub):
    # given a student's comment seen by everyone
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    classmate, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        await send(student, "rude remark")
        sent = await next_of(student, "sent")
        await send(teacher, "kept remark")
        await next_of(teacher, "sent")
        # when the teacher hides the student's comment
        await teacher.send_json_to({"type": "hide", "id": sent["id"]})
        # then every viewer is told, with the deletion's own sequence number
        for viewer in (student, classmate, teacher):
            hidden = await next_of(viewer, "hidden")
            assert hidden == {"id": sent["id"], "seq": sent["seq"] + 2}
        # and the row is kept, hidden, and the replay no longer has it
        row = await sync_to_async(Danmaku.objects.get)(pk=sent["id"])
        assert row.hidden_at is not None
        assert (row.hidden_seq, row.hidden_by_id) == (sent["seq"] + 2, lecture_world["teacher"].pk)
        texts = [m["text"] for m in await window(lecture_world["student"], lecture.pk)]
        assert texts == ["kept remark"]
        # and a viewer joining now does not get it in its backfill
        again, _state, backfill = await join(lecture_world["second"], lecture.pk)
        assert [m["text"] for m in backfill["messages"]] == ["kept remark"]
        await leave(again)
    finally:
        await leave(student, classmate, teacher)


async def test_hiding_a_message_of_another_lecture_is_not_found(
    lecture_world, scheduled_lecture, hub
):
    # given a comment in another lecture of the course (its replay, after it ended)
    await sync_to_async(Lecture.objects.filter(pk=scheduled_lecture.pk).update)(state="ended")
    foreign = await sync_to_async(danmaku_send)(
        lecture=await sync_to_async(Lecture.objects.select_related("course").get)(
            pk=scheduled_lecture.pk
        ),
        author=lecture_world["student"],
        text="elsewhere",
        video_time=1,
    )
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture_world["lecture"].pk)
    try:
        # when the teacher of this room hides it by id
        await teacher.send_json_to({"type": "hide", "id": foreign.pk})
        # then
        assert (await next_of(teacher, "error"))["code"] == "not_found"
        assert (await sync_to_async(Danmaku.objects.get)(pk=foreign.pk)).hidden_at is None
    finally:
        await leave(teacher)


async def test_pinning_and_unpinning_reach_every_viewer(lecture_world, hub):
    # given a comment in the room
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        await send(student, "good question")
        sent = await next_of(student, "sent")
        # when the teacher pins it
        await teacher.send_json_to({"type": "pin", "id": sent["id"]})
        # then everyone gets it pinned, and a joining viewer sees it in its state
        for viewer in (student, teacher):
            pinned = (await next_of(viewer, "pinned"))["message"]
            assert (pinned["id"], pinned["text"]) == (sent["id"], "good question")
        assert (await sync_to_async(Lecture.objects.get)(pk=lecture.pk)).pinned_id == sent["id"]
        again, state, _backfill = await join(lecture_world["second"], lecture.pk)
        assert state["pinned"]["id"] == sent["id"]
        await leave(again)
        # when it unpins
        await teacher.send_json_to({"type": "pin", "id": None})
        # then
        for viewer in (student, teacher):
            assert await next_of(viewer, "pinned") == {"message": None}
        assert (await sync_to_async(Lecture.objects.get)(pk=lecture.pk)).pinned_id is None
    finally:
        await leave(student, teacher)


async def test_hiding_the_pinned_message_unpins_it(lecture_world, hub):
    # given a pinned comment
    lecture = lecture_world["lecture"]
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        await send(teacher, "read chapter 3")
        sent = await next_of(teacher, "sent")
        await teacher.send_json_to({"type": "pin", "id": sent["id"]})
        await next_of(teacher, "pinned")
        # when it is hidden
        await teacher.send_json_to({"type": "hide", "id": sent["id"]})
        # then it is unpinned for everyone
        await next_of(teacher, "hidden")
        assert await next_of(teacher, "pinned") == {"message": None}
        assert (await sync_to_async(Lecture.objects.get)(pk=lecture.pk)).pinned_id is None
    finally:
        await leave(teacher)


# --- Who may moderate -------------------------------------------------------------------------


async def test_a_student_sending_moderator_frames_is_forbidden_and_nothing_changes(
    lecture_world, hub
):
    # given a classmate's comment
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    classmate, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    try:
        await send(classmate, "my comment")
        sent = await next_of(classmate, "sent")
        frames = [
            {"type": "hide", "id": sent["id"]},
            {"type": "pin", "id": sent["id"]},
            {"type": "mute", "user": lecture_world["second"].pk},
            {"type": "unmute", "user": lecture_world["second"].pk},
            {"type": "slow_mode", "seconds": 60},
            {"type": "question.push", "question": lecture_world["single"].pk, "seconds": 30},
            {"type": "poll.push", "prompt": "Ready?", "options": ["yes", "no"], "seconds": 30},
            {"type": "question.reveal", "id": 1},
            {"type": "question.close", "id": 1},
        ]
        for frame in frames:
            # when the student sends a moderator's frame
            await student.send_json_to(frame)
            # then it is refused
            assert (await next_of(student, "error"))["code"] == "forbidden", frame
        # and nothing changed
        lecture_now = await sync_to_async(Lecture.objects.get)(pk=lecture.pk)
        assert (lecture_now.slow_mode_seconds, lecture_now.pinned_id) == (0, None)
        assert (await sync_to_async(Danmaku.objects.get)(pk=sent["id"])).hidden_at is None
        assert not await sync_to_async(LectureMute.objects.exists)()
        assert not await sync_to_async(lecture_now.questions.exists)()
        await nothing_of(classmate, "hidden", timeout=0.3)
    finally:
        await leave(student, classmate)


async def test_a_scheduled_lecture_refuses_comments(lecture_world, scheduled_lecture, hub):
    # given a lecture that has not gone live
    student, state, _backfill = await join(lecture_world["student"], scheduled_lecture.pk)
    assert state["lecture"]["state"] == "scheduled"
    try:
        # when a student comments
        await send(student, "is it starting?", "c1")
        # then
        error = await next_of(student, "error")
        assert (error["code"], error["client_id"]) == ("not_live", "c1")
        assert await count() == 0
    finally:
        await leave(student)


async def test_a_student_dropped_mid_lecture_is_forbidden_on_the_next_send(lecture_world, hub):
    # given an enrolled student in the room
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    try:
        # when its enrollment is dropped while the socket is open
        enrollment = await sync_to_async(Enrollment.objects.get)(
            student=lecture_world["student"], course=lecture_world["course"]
        )
        await sync_to_async(enrollment_drop)(enrollment=enrollment)
        await send(student, "still here?", "c1")
        # then its next comment is refused
        error = await next_of(student, "error")
        assert (error["code"], error["client_id"]) == ("forbidden", "c1")
        assert await count() == 0
    finally:
        await leave(student)


# --- Hostile text -----------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)> & &amp; "\'`'


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        pytest.param(SCRIPT, SCRIPT, id="html-and-script"),
        pytest.param("abc\u202edcba\u202c!", "abcdcba!", id="bidi-override-stripped"),
        pytest.param("\u2066left\u2069 \u202bright", "left right", id="bidi-isolates-stripped"),
        pytest.param("zero\u200bwidth\u200d\ufeff", "zero\u200bwidth\u200d\ufeff", id="zero-width"),
        pytest.param("🎉👍🏽👨\u200d👩\u200d👧 ok", "🎉👍🏽👨\u200d👩\u200d👧 ok", id="emoji"),
        pytest.param("数" * 100, "数" * 100, id="100-cjk"),
        pytest.param("{{ 7*7 }} ${7*7} %s", "{{ 7*7 }} ${7*7} %s", id="template-syntax"),
    ],
)
async def test_hostile_text_is_stored_and_echoed_as_plain_text(text, stored, lecture_world, hub):
    # given
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    classmate, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    try:
        # when
        await send(student, text, "c1")
        # then it is saved and sent exactly as text, bidi controls removed
        sent = await next_of(student, "sent")
        for viewer in (student, classmate):
            assert (await next_of(viewer, "danmaku"))["text"] == stored
        assert (await sync_to_async(Danmaku.objects.get)(pk=sent["id"])).text == stored
        assert [m["text"] for m in await window(lecture_world["second"], lecture.pk)] == [stored]
    finally:
        await leave(student, classmate)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("bell\x07", id="bel"),
        pytest.param("\x1b[31mred", id="ansi-escape"),
        pytest.param("two\nlines", id="newline"),
        pytest.param("tab\there", id="tab"),
        pytest.param("del\x7f", id="del"),
        pytest.param("nel\x85", id="c1-control"),
        pytest.param("\u202e", id="only-bidi"),
        pytest.param("数" * 101, id="101-cjk"),
    ],
)
async def test_control_characters_and_overlong_text_are_refused(text, lecture_world, hub):
    # given
    lecture = lecture_world["lecture"]
    student, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    try:
        # when
        await send(student, text, "c1")
        # then
        error = await next_of(student, "error")
        assert (error["code"], error["client_id"]) == ("invalid", "c1")
        assert error["detail"]
        assert await count() == 0
    finally:
        await leave(student)
