"""The lecture room socket through the real Redis fan-out: joining, sending, catching up."""

import pytest
from asgiref.sync import sync_to_async

from livestream.models import Danmaku
from tests.livestream.conftest import join, next_of
from tests.sockets import WATCHERS, socket, watcher_session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

# Who may open a lecture's room: its course's students and teachers, and the school's admins.
JOINERS = {
    **{person: refused for person, (_where, refused) in WATCHERS.items()},
    "enrolled_student": None,
}


@pytest.mark.parametrize("person", JOINERS)
async def test_only_the_courses_students_and_teachers_may_join(person, lecture_world, hub):
    # given
    refused_with = JOINERS[person]
    session = await watcher_session(lecture_world, person)
    communicator = socket(f"/ws/lectures/{lecture_world['lecture'].pk}/", session)
    # when
    try:
        connected, code = await communicator.connect(timeout=5)
        # then
        if refused_with is None:
            assert connected
            assert (await communicator.receive_json_from(timeout=5))["type"] == "state"
        else:
            assert not connected
            assert code == refused_with
    finally:
        await communicator.disconnect()


async def test_a_comment_reaches_every_viewer_once_saved(lecture_world, hub):
    # given two students and the teacher in the room
    lecture = lecture_world["lecture"]
    sender, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    other, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    teacher, state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    assert state["you"]["can_moderate"] is True
    try:
        # when one of them sends a comment
        await sender.send_json_to(
            {"type": "send", "text": "<b>hi</b>", "video_time": 12.5, "client_id": "c1"}
        )
        # then the sender gets its ack, and everyone the comment, as it was saved
        ack = await next_of(sender, "sent")
        assert ack["client_id"] == "c1"
        for viewer in (sender, other, teacher):
            frame = await next_of(viewer, "danmaku")
            assert frame["id"] == ack["id"]
            assert frame["text"] == "<b>hi</b>"
            assert frame["video_time"] == 12.5
        saved = await sync_to_async(Danmaku.objects.get)(pk=ack["id"])
        assert (saved.seq, saved.author_id) == (ack["seq"], lecture_world["student"].pk)
    finally:
        for viewer in (sender, other, teacher):
            await viewer.disconnect()


async def test_a_viewer_reconnecting_gets_what_it_missed_and_nothing_twice(lecture_world, hub):
    # given a viewer that saw the first comment, then dropped
    lecture = lecture_world["lecture"]
    sender, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    viewer, _state, _backfill = await join(lecture_world["second"], lecture.pk)
    await sender.send_json_to({"type": "send", "text": "one", "video_time": 1})
    seen = await next_of(viewer, "danmaku")
    await viewer.disconnect()
    # when two more are sent (the first deleted by the teacher) and it comes back
    teacher, _state, _backfill = await join(lecture_world["teacher"], lecture.pk)
    try:
        await teacher.send_json_to({"type": "send", "text": "two", "video_time": 2})
        await next_of(teacher, "sent")
        await teacher.send_json_to({"type": "send", "text": "three", "video_time": 3})
        await next_of(teacher, "sent")
        await teacher.send_json_to({"type": "hide", "id": seen["id"]})
        await next_of(teacher, "hidden")
        back, state, backfill = await join(lecture_world["second"], lecture.pk, after=seen["seq"])
        # then the backfill holds exactly what it missed
        assert [m["text"] for m in backfill["messages"]] == ["two", "three"]
        assert backfill["hidden"] == [seen["id"]]
        assert backfill["last_seq"] == state["last_seq"] == seen["seq"] + 3
        await back.disconnect()
    finally:
        await sender.disconnect()
        await teacher.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"no": "type"}',
        '{"type": "launch"}',
        '{"type": "send"}',
        '{"type": "send", "text": "", "video_time": 1}',
        '{"type": "send", "text": "' + "x" * 101 + '", "video_time": 1}',
        '{"type": "send", "text": "a\\u0000b", "video_time": 1}',
        '{"type": "send", "text": "ok", "video_time": -1}',
        '{"type": "send", "text": "ok", "video_time": "soon"}',
        '{"type": "send", "text": "ok", "video_time": 1, "color": "#123456"}',
        '{"type": "send", "text": "ok", "video_time": 1, "mode": "sideways"}',
        '{"type": "hide", "id": 1}',
        "x" * 5000,
    ],
)
async def test_a_bad_frame_gets_an_error_saves_nothing_and_the_socket_stays(
    frame, lecture_world, hub
):
    # given
    lecture = lecture_world["lecture"]
    viewer, _state, _backfill = await join(lecture_world["student"], lecture.pk)
    try:
        # when
        await viewer.send_to(text_data=frame)
        # then
        error = await next_of(viewer, "error")
        assert error["code"] in {"bad_frame", "invalid", "forbidden"}
        assert error["detail"]
        assert await sync_to_async(Danmaku.objects.count)() == 0
        await viewer.send_json_to({"type": "ping"})
        await next_of(viewer, "pong")
    finally:
        await viewer.disconnect()
