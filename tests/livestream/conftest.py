from datetime import timedelta

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.utils import timezone

from assessments.services.questions import question_create
from livestream.services.lectures import lecture_create, lecture_start
from lms.models import Role
from tests.courses.conftest import PEOPLE, as_person, course_world, page_status  # noqa: F401
from tests.factories import EnrollmentFactory, KnowledgePointFactory, member
from tests.sockets import session_for, socket


@pytest.fixture
def lecture_world(course_world):  # noqa: F811
    """
    course_world's course with a live lecture on two knowledge points, a second enrolled
    student ("classmate2"), and a bank question of each of two kinds.
    """
    a = course_world["a"]
    course, teacher = course_world["course"], a[Role.TEACHER]
    points = [KnowledgePointFactory(course=course, name=n) for n in ("Limits", "Derivatives")]
    second = member(a["school"], Role.STUDENT, username="student_a2")
    EnrollmentFactory(student=second, course=course)
    lecture = lecture_create(
        course=course,
        teacher=teacher,
        title="Derivatives, live",
        scheduled_at=timezone.now() - timedelta(minutes=5),
        duration_minutes=45,
        knowledge_points=points,
    )
    lecture_start(lecture=lecture)
    lecture.refresh_from_db()
    single = question_create(
        course=course,
        kind="single_choice",
        stem="What is $d/dx\\, x^2$?",
        spec={
            "choices": [
                {"id": "a", "text": "$2x$", "fraction": 1},
                {"id": "b", "text": "$x$"},
                {"id": "c", "text": "$x^2$"},
            ]
        },
        knowledge_points=points[1:],
        explanation="The power rule.",
    )
    true_false = question_create(
        course=course,
        kind="true_false",
        stem="A limit always exists.",
        spec={"answer": False},
        knowledge_points=points[:1],
    )
    return {
        **course_world,
        "lecture": lecture,
        "teacher": teacher,
        "student": a[Role.STUDENT],
        "second": second,
        "points": points,
        "single": single,
        "true_false": true_false,
    }


@pytest_asyncio.fixture
async def hub(channel_layer):
    """The lecture fan-out of the test's event loop, closed after the test."""
    from livestream import fanout

    yield
    await fanout.hub_close()


async def join(user, lecture_id: int, *, after: int | None = None):
    """A connected viewer, past its `state` and `backfill`: (communicator, state, backfill)."""
    session = await sync_to_async(session_for)(user) if user is not None else None
    path = f"/ws/lectures/{lecture_id}/" + (f"?after={after}" if after is not None else "")
    communicator = socket(path, session)
    connected, code = await communicator.connect(timeout=5)
    assert connected, code
    state = await communicator.receive_json_from(timeout=5)
    backfill = await communicator.receive_json_from(timeout=5)
    assert (state["type"], backfill["type"]) == ("state", "backfill")
    return communicator, state["payload"], backfill["payload"]


async def next_of(communicator, kind: str, timeout: float = 5):
    """
    The next frame of `kind`. Frames of other kinds that arrive first are kept for later calls
    (a comment's broadcast may overtake its sender's ack), except viewer counts.
    """
    backlog = communicator.__dict__.setdefault("backlog", [])
    for index, frame in enumerate(backlog):
        if frame["type"] == kind:
            return backlog.pop(index)["payload"]
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame["payload"]
        if frame["type"] != "viewers":
            backlog.append(frame)


__all__ = ["PEOPLE", "as_person", "join", "next_of", "page_status"]


# --- Helpers of the moderation, question, API and page tests ---------------------------------


@pytest.fixture
def scheduled_lecture(lecture_world):
    """A second lecture of lecture_world's course, scheduled for tomorrow (not live)."""
    return lecture_create(
        course=lecture_world["course"],
        teacher=lecture_world["teacher"],
        title="Integrals, tomorrow",
        scheduled_at=timezone.now() + timedelta(days=1),
        duration_minutes=60,
    )


def forget_rate(lecture_id: int, user_id: int) -> None:
    """Free the user's one-message-every-3-seconds slot in the lecture (a test can't wait)."""
    from django.core.cache import cache

    cache.delete(f"livestream:rate:{lecture_id}:{user_id}")


async def nothing_of(communicator, kind: str, timeout: float = 0.5) -> None:
    """No frame of `kind` arrives within `timeout` (frames of other kinds are kept)."""
    backlog = communicator.__dict__.setdefault("backlog", [])
    assert not [frame for frame in backlog if frame["type"] == kind], backlog
    while True:
        if await communicator.receive_nothing(timeout=timeout):
            return
        frame = await communicator.receive_json_from(timeout=timeout)
        assert frame["type"] != kind, frame
        if frame["type"] != "viewers":
            backlog.append(frame)


async def leave(*communicators) -> None:
    for communicator in communicators:
        await communicator.disconnect()
