"""
The live class heatmap through the real Redis channel layer: who may open the socket, the whole
heatmap on connect, the changed students' rows after a `mastery.updated` broadcast (a burst
coalesced), and frames from the page answered with an error.
"""

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from courses.models import Enrollment, EnrollmentStatus
from lms.consumers import CLOSE_FORBIDDEN
from lms.models import Role
from lms.services import event_send_on_commit
from personalization.models import MasteryEstimate
from personalization.services.mastery import course_mastery_group_name
from tests.factories import EnrollmentFactory, member
from tests.personalization.test_mastery_pages import mastery_world
from tests.sockets import WATCHERS, session_for, socket, watcher_session

__all__ = ["mastery_world"]


def _socket(course_id: int, session: str | None):
    return socket(f"/ws/personalization/courses/{course_id}/mastery/", session)


def _broadcast(course_id: int, payload: dict) -> None:
    with transaction.atomic():
        event_send_on_commit(
            group=course_mastery_group_name(course_id), event="mastery.updated", payload=payload
        )


def _set_mastery(student, point, value: float, course_id: int) -> None:
    """What the refresh service does: write the estimate, then announce it after commit."""
    with transaction.atomic():
        MasteryEstimate.objects.update_or_create(
            student=student,
            knowledge_point=point,
            defaults={"mastery": value, "evidence": 5, "correct": 3},
        )
        event_send_on_commit(
            group=course_mastery_group_name(course_id),
            event="mastery.updated",
            payload={"student": student.pk, "course": course_id},
        )


async def _until(communicator, kind: str, condition, tries: int = 10) -> tuple[dict, int]:
    """
    The first `kind` message meeting `condition`, and how many `kind` messages came until then
    (another test run may broadcast to a group of the same name: its messages are skipped).
    """
    seen = 0
    for _ in range(tries):
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] != kind:
            continue
        seen += 1
        if condition(message["payload"]):
            return message["payload"], seen
    raise AssertionError(f"no {kind} message met the condition")


def _row(payload: dict, student) -> dict | None:
    return next((row for row in payload["students"] if row["student"] == student.pk), None)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("person", WATCHERS)
async def test_only_the_courses_editors_may_watch(person, mastery_world, channel_layer):
    # given
    _where, refused_with = WATCHERS[person]
    session = await watcher_session(mastery_world, person)
    communicator = _socket(mastery_world["course"].pk, session)
    # when
    try:
        connected, code = await communicator.connect()
        # then
        if refused_with is None:
            assert connected
            first = await communicator.receive_json_from(timeout=5)
            assert first["type"] == "heatmap"
            row = _row(first["payload"], mastery_world["student"])
            assert [cell["mastery"] for cell in row["cells"]] == [0.85, 0.44, None]
        else:
            assert not connected
            assert code == refused_with
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_another_schools_course_is_refused_even_to_an_admin(mastery_world, channel_layer):
    session = await sync_to_async(session_for)(mastery_world["a"][Role.ADMIN])
    communicator = _socket(mastery_world["other_course"].pk, session)
    try:
        connected, code = await communicator.connect()
        assert (connected, code) == (False, CLOSE_FORBIDDEN)
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_broadcast_brings_the_changed_students_row(mastery_world, channel_layer):
    # given the teacher watching
    course, student = mastery_world["course"], mastery_world["student"]
    session = await sync_to_async(session_for)(mastery_world["teacher"])
    communicator = _socket(course.pk, session)
    connected, _ = await communicator.connect()
    assert connected
    try:
        await _until(communicator, "heatmap", lambda payload: True)
        # when the student's Ratios gets its first estimate and the refresh announces it
        await sync_to_async(_set_mastery)(student, mastery_world["ratios"], 0.9, course.pk)
        # then the student's row arrives with the new cell, level and average
        payload, _seen = await _until(
            communicator, "rows", lambda payload: _row(payload, student) is not None
        )
        row = _row(payload, student)
        assert payload["course"] == course.pk
        assert row["cells"][2] == {
            "knowledge_point": mastery_world["ratios"].pk,
            "mastery": 0.9,
            "mastery_level": "mastered",
            "evidence": 5,
            "correct": 3,
        }
        assert row["average"] == pytest.approx((0.85 + 0.44 + 0.9) / 3)
        assert (row["name"], row["weak"], row["assessed"]) == (student.name, 1, 3)
        assert payload["removed"] == []
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_burst_of_submits_is_coalesced_into_few_messages(mastery_world, channel_layer):
    # given the admin watching, and two more students in the course
    course, school = mastery_world["course"], mastery_world["a"]["school"]

    def two_more():
        students = [member(school, Role.STUDENT, username=f"burst{i}") for i in range(2)]
        for student in students:
            EnrollmentFactory(student=student, course=course)
        return students

    students = [mastery_world["student"], *await sync_to_async(two_more)()]
    session = await sync_to_async(session_for)(mastery_world["a"][Role.ADMIN])
    communicator = _socket(course.pk, session)
    connected, _ = await communicator.connect()
    assert connected
    try:
        await _until(communicator, "heatmap", lambda payload: True)

        # when each of the three gets three updates at once
        def burst():
            for round_ in range(3):
                for student in students:
                    _set_mastery(student, mastery_world["fractions"], 0.1 * (round_ + 5), course.pk)

        await sync_to_async(burst)()
        # then a message or two carry all three rows with the last values
        last: dict[int, float] = {}

        def all_final(payload):
            for row in payload["students"]:
                last[row["student"]] = row["cells"][1]["mastery"]
            return all(last.get(s.pk) == pytest.approx(0.7) for s in students)

        _payload, messages = await _until(communicator, "rows", all_final)
        assert messages <= 3  # for 9 broadcasts
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_student_who_left_the_course_is_reported_removed(mastery_world, channel_layer):
    # given
    course, student = mastery_world["course"], mastery_world["student"]
    session = await sync_to_async(session_for)(mastery_world["teacher"])
    communicator = _socket(course.pk, session)
    await communicator.connect()
    try:
        await _until(communicator, "heatmap", lambda payload: True)

        # when the student drops the course and a refresh is announced
        def drop():
            Enrollment.objects.filter(student=student, course=course).update(
                status=EnrollmentStatus.DROPPED
            )
            _broadcast(course.pk, {"student": student.pk, "course": course.pk})

        await sync_to_async(drop)()
        # then
        payload, _seen = await _until(
            communicator, "rows", lambda payload: student.pk in payload["removed"]
        )
        assert _row(payload, student) is None
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_broadcast_naming_no_student_brings_the_whole_heatmap(mastery_world, channel_layer):
    course = mastery_world["course"]
    session = await sync_to_async(session_for)(mastery_world["teacher"])
    communicator = _socket(course.pk, session)
    await communicator.connect()
    try:
        await _until(communicator, "heatmap", lambda payload: True)
        await sync_to_async(_broadcast)(course.pk, {"course": course.pk})
        payload, _seen = await _until(communicator, "heatmap", lambda payload: True)
        assert [c["name"] for c in payload["knowledge_points"]] == [
            "Decimals",
            "Fractions",
            "Ratios",
        ]
    finally:
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_frames_from_the_page_get_an_error_frame_and_the_socket_stays_open(
    mastery_world, channel_layer
):
    session = await sync_to_async(session_for)(mastery_world["teacher"])
    communicator = _socket(mastery_world["course"].pk, session)
    await communicator.connect()
    try:
        await _until(communicator, "heatmap", lambda payload: True)
        for frame in ("not json", '{"type": "rows"}', "x" * 100_000):
            await communicator.send_to(text_data=frame)
            error = await communicator.receive_json_from(timeout=5)
            assert error["type"] == "error"
            assert error["detail"]
    finally:
        await communicator.disconnect()
