"""
Lecture pages: who may open what, the room's settings for its script, the course page's
lectures, recordings, the calendar feed, the "gone live" notice and the confusion report.
Whoever may not see a lecture gets a 404; anonymous visitors go to the login page.
"""

import json
import re
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from courses.models import Course
from livestream.calendar import calendar_token
from livestream.models import BlockedWord, Danmaku, Lecture
from livestream.selectors import confusion_timeline
from livestream.services.danmaku import blocked_word_add, danmaku_send
from livestream.services.lectures import lecture_create, lecture_start
from lms.models import Role
from tests.courses.conftest import PEOPLE, page_status
from tests.factories import CourseFactory, EnrollmentFactory
from tests.sockets import session_for, socket

WATCHERS = {"enrolled_student", "course_teacher", "school_admin"}
EDITORS = {"course_teacher", "school_admin"}
SIGNED_IN = set(PEOPLE) - {"anonymous"}


def _expected(person: str, allowed: set, status: int = 200):
    if person == "anonymous":
        return "login"
    return status if person in allowed else 404


# name, method, url args (world keys), POST data, who may, their status
PAGES = {
    "list": ("list", "get", [], None, SIGNED_IN, 200),
    "room": ("lecture", "get", ["lecture"], None, WATCHERS, 200),
    "new": ("new", "get", ["course"], None, EDITORS, 200),
    "edit": ("edit", "get", ["lecture"], None, EDITORS, 200),
    "start": ("state", "post", ["scheduled"], {"action": "start"}, EDITORS, 302),
    "end": ("state", "post", ["lecture"], {"action": "end"}, EDITORS, 302),
    "delete": ("delete", "post", ["scheduled"], {}, EDITORS, 302),
    "report": ("report", "get", ["lecture"], None, EDITORS, 200),
}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("view", PAGES)
def test_the_page_permission_matrix(view, person, as_person, lecture_world, scheduled_lecture):
    # given
    name, method, args, data, allowed, status = PAGES[view]
    world = {**lecture_world, "scheduled": scheduled_lecture}
    client = as_person(person)
    states = dict(Lecture.objects.values_list("pk", "state"))
    # when
    path = reverse(f"livestream:{name}", args=[world[arg].pk for arg in args])
    response = client.get(path) if method == "get" else client.post(path, data)
    # then
    assert page_status(response) == _expected(person, allowed, status)
    if page_status(response) != status:
        assert dict(Lecture.objects.values_list("pk", "state")) == states


def test_going_live_and_ending_from_the_room_change_the_state(
    client, lecture_world, scheduled_lecture
):
    # given
    client.force_login(lecture_world["teacher"])
    path = reverse("livestream:state", args=[scheduled_lecture.pk])
    # when / then
    assert client.post(path, {"action": "start"}).status_code == 302
    assert Lecture.objects.get(pk=scheduled_lecture.pk).state == "live"
    assert client.post(path, {"action": "end"}).status_code == 302
    assert Lecture.objects.get(pk=scheduled_lecture.pk).state == "ended"
    assert client.post(path, {"action": "explode"}).status_code == 302
    assert Lecture.objects.get(pk=scheduled_lecture.pk).state == "ended"
    assert client.get(path).status_code == 405


def test_deleting_a_live_lecture_from_its_page_is_refused(client, lecture_world):
    # given
    client.force_login(lecture_world["teacher"])
    # when
    response = client.post(reverse("livestream:delete", args=[lecture_world["lecture"].pk]))
    # then
    assert response.status_code == 302
    assert Lecture.objects.filter(pk=lecture_world["lecture"].pk).exists()


def test_scheduling_a_lecture_through_the_form(client, lecture_world):
    # given
    client.force_login(lecture_world["teacher"])
    course = lecture_world["course"]
    # when
    response = client.post(
        reverse("livestream:new", args=[course.pk]),
        {
            "title": "Chain rule",
            "scheduled_at": "2030-03-01T10:00",
            "duration_minutes": 50,
            "knowledge_points": [lecture_world["points"][1].pk],
        },
    )
    # then
    lecture = Lecture.objects.get(title="Chain rule")
    assert response.status_code == 302
    assert response.url == reverse("livestream:lecture", args=[lecture.pk])
    assert (lecture.teacher, lecture.course, lecture.state) == (
        lecture_world["teacher"],
        course,
        "scheduled",
    )
    assert list(lecture.knowledge_points.all()) == [lecture_world["points"][1]]


def test_the_form_refuses_an_over_long_title_and_another_courses_point(client, lecture_world):
    # given
    from tests.factories import KnowledgePointFactory

    b_point = KnowledgePointFactory(course=lecture_world["other_course"], name="B's skill")
    client.force_login(lecture_world["teacher"])
    # when
    response = client.post(
        reverse("livestream:new", args=[lecture_world["course"].pk]),
        {
            "title": "x" * 201,
            "scheduled_at": "2030-03-01T10:00",
            "duration_minutes": 50,
            "knowledge_points": [b_point.pk],
        },
    )
    # then
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "knowledge_points"}
    assert Lecture.objects.count() == 1


# --- The room ---------------------------------------------------------------------------------


def _room(response) -> dict:
    found = re.search(
        r'<script id="lecture-room" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, "no lecture-room json_script"
    return json.loads(found.group(1))


@pytest.mark.parametrize("person", sorted(WATCHERS))
def test_the_room_page_gives_its_script_the_room_and_who_may_moderate(
    person, as_person, lecture_world
):
    # given
    lecture = lecture_world["lecture"]
    # when
    response = as_person(person).get(reverse("livestream:lecture", args=[lecture.pk]))
    # then
    room = _room(response)
    moderator = person in EDITORS
    assert room["can_moderate"] is moderator
    assert response.context["can_moderate"] is moderator
    assert room["lecture"] == lecture.pk
    assert room["socket"] == f"/ws/lectures/{lecture.pk}/"
    assert room["state"] == "live"
    assert room["max_length"] == 100
    assert room["palette"][0] == "#ffffff"
    assert room["api"]["danmaku"] == reverse("livestream-api:danmaku", args=[lecture.pk])
    bank = {question["id"] for question in room["bank"]}
    expected = {lecture_world["single"].pk, lecture_world["true_false"].pk}
    assert bank == (expected if moderator else set())


def test_the_room_escapes_a_hostile_title_in_its_script_data(client, lecture_world):
    # given a lecture whose title tries to close the script
    lecture = lecture_world["lecture"]
    Lecture.objects.filter(pk=lecture.pk).update(title="</script><script>alert(1)</script>")
    client.force_login(lecture_world["student"])
    # when
    response = client.get(reverse("livestream:lecture", args=[lecture.pk]))
    # then
    assert b"<script>alert(1)</script>" not in response.content
    assert _room(response)["lecture"] == lecture.pk


# --- Recordings -------------------------------------------------------------------------------

VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4


@pytest.fixture
def recorded(client, lecture_world):
    """lecture_world's lecture, ended, with a tiny recording uploaded through the edit form."""
    lecture = lecture_world["lecture"]
    client.force_login(lecture_world["teacher"])
    client.post(reverse("livestream:state", args=[lecture.pk]), {"action": "end"})
    response = client.post(
        reverse("livestream:edit", args=[lecture.pk]),
        {
            "title": lecture.title,
            "scheduled_at": "2030-03-01T10:00",
            "duration_minutes": 45,
            "recording": SimpleUploadedFile("lecture.mp4", VIDEO, content_type="video/mp4"),
        },
    )
    assert response.status_code == 302, response.content
    client.logout()
    return Lecture.objects.get(pk=lecture.pk)


def test_an_uploaded_recording_plays_in_the_room_and_seeks_by_range(
    client, lecture_world, recorded
):
    # given
    assert recorded.recording.name.endswith(".mp4")
    client.force_login(lecture_world["student"])
    path = reverse("livestream:recording", args=[recorded.pk])
    # when
    room = client.get(reverse("livestream:lecture", args=[recorded.pk]))
    whole = client.get(path)
    part = client.get(path, HTTP_RANGE="bytes=4-11")
    # then
    assert room.context["video"] == {"kind": "file", "url": path}
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content if whole.streaming else [whole.content]) == VIDEO
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 4-11/{len(VIDEO)}"
    assert part.content == VIDEO[4:12]


@pytest.mark.parametrize("person", PEOPLE)
def test_the_recording_is_for_the_lectures_viewers_only(person, as_person, recorded):
    # when
    response = as_person(person).get(reverse("livestream:recording", args=[recorded.pk]))
    # then
    assert page_status(response) == _expected(person, WATCHERS)


def test_a_recording_that_is_not_a_video_file_is_refused(client, lecture_world):
    # given
    lecture = lecture_world["lecture"]
    client.force_login(lecture_world["teacher"])
    # when
    response = client.post(
        reverse("livestream:edit", args=[lecture.pk]),
        {
            "title": lecture.title,
            "scheduled_at": "2030-03-01T10:00",
            "duration_minutes": 45,
            "recording": SimpleUploadedFile("evil.html", b"<script>alert(1)</script>"),
        },
    )
    # then
    assert response.status_code == 200
    assert "recording" in response.context["form"].errors
    assert not Lecture.objects.get(pk=lecture.pk).recording


# --- Blocked words ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_the_blocked_words_page_is_for_school_admins_only(person, as_person, lecture_world):
    # given a word blocked by school A
    blocked_word_add(school=lecture_world["a"]["school"], word="spoiler")
    # when
    response = as_person(person).get(reverse("livestream:blocked_words"))
    # then admins see their own school's words, everyone else gets a 404
    admins = {"school_admin", "other_school"}
    assert page_status(response) == _expected(person, admins)
    if person == "school_admin":
        assert "spoiler" in response.content.decode()
    if person == "other_school":
        assert "spoiler" not in response.content.decode()


def test_an_admin_blocks_and_unblocks_a_word_through_the_page(client, lecture_world):
    # given
    client.force_login(lecture_world["a"][Role.ADMIN])
    # when
    added = client.post(reverse("livestream:blocked_words"), {"word": "Cheat"})
    word = BlockedWord.objects.get()
    removed = client.post(reverse("livestream:blocked_word_delete"), {"word": word.pk})
    # then
    assert (added.status_code, removed.status_code) == (302, 302)
    assert word.school == lecture_world["a"]["school"]
    assert not BlockedWord.objects.exists()


def test_another_schools_admin_cannot_unblock_a_word(client, lecture_world):
    # given
    word = blocked_word_add(school=lecture_world["a"]["school"], word="spoiler")
    client.force_login(lecture_world["b"][Role.ADMIN])
    # when
    client.post(reverse("livestream:blocked_word_delete"), {"word": word.pk})
    # then
    assert BlockedWord.objects.filter(pk=word.pk).exists()


# --- The course page --------------------------------------------------------------------------


@pytest.mark.parametrize("person", sorted(SIGNED_IN))
def test_the_course_page_shows_the_lectures_to_its_students_and_teachers(
    person, as_person, lecture_world
):
    # given a live lecture
    lecture = lecture_world["lecture"]
    # when
    response = as_person(person).get(
        reverse("courses:course_detail", args=[lecture_world["course"].pk])
    )
    # then the course's students and editors see it live, with a link to join
    page = response.content.decode()
    room = reverse("livestream:lecture", args=[lecture.pk])
    if person in WATCHERS:
        assert response.status_code == 200
        assert 'id="lectures-heading"' in page
        assert "badge-live" in page
        assert f'href="{room}"' in page
    else:
        assert 'id="lectures-heading"' not in page
        assert room not in page


# --- The lecture list and its calendar feed ---------------------------------------------------


def test_the_lecture_list_shows_the_students_live_lectures_only(client, lecture_world):
    # given a lecture of another course of the school
    other = CourseFactory(school=lecture_world["a"]["school"], code="PHYS-1", title="Physics")
    lecture_create(
        course=other,
        teacher=lecture_world["other_teacher"],
        title="Optics, live",
        scheduled_at=timezone.now(),
    )
    client.force_login(lecture_world["student"])
    # when
    page = client.get(reverse("livestream:list")).content.decode()
    # then
    assert "Derivatives, live" in page
    assert "Optics, live" not in page
    assert calendar_token(lecture_world["student"]) in page


def _feed(client, token: str):
    return client.get(reverse("livestream:calendar", args=[token]))


def test_the_calendar_feed_lists_the_users_lectures(client, lecture_world, scheduled_lecture):
    # given no signed-in session: the token stands for the user
    token = calendar_token(lecture_world["student"])
    # when
    response = _feed(client, token)
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = {
        str(event["summary"]): event
        for event in Calendar.from_ical(response.content).walk("VEVENT")
    }
    assert set(events) == {"Algebra: Derivatives, live", "Algebra: Integrals, tomorrow"}
    event = events["Algebra: Integrals, tomorrow"]
    assert event.decoded("dtstart") == scheduled_lecture.scheduled_at.replace(microsecond=0)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("forged", id="no-mac"),
        pytest.param("{pk}-{bad}", id="wrong-mac"),
        pytest.param("{other}-{mac}", id="other-users-id"),
        pytest.param("{pk}-", id="empty-mac"),
        pytest.param("-{mac}", id="empty-id"),
        pytest.param("9" * 30 + "-{mac}", id="huge-id"),
    ],
)
def test_a_forged_calendar_token_is_404(token, client, lecture_world):
    # given
    student = lecture_world["student"]
    mac = calendar_token(student).partition("-")[2]
    token = token.format(pk=student.pk, bad="0" * 32, other=lecture_world["second"].pk, mac=mac)
    # when / then
    assert _feed(client, token).status_code == 404


def test_changing_the_password_revokes_the_calendar_feed(client, lecture_world):
    # given a feed address
    student = lecture_world["student"]
    token = calendar_token(student)
    assert _feed(client, token).status_code == 200
    # when the password changes
    student.set_password("a-new-password-42")
    student.save()
    # then the old address is dead, the new one works
    assert _feed(client, token).status_code == 404
    assert _feed(client, calendar_token(student)).status_code == 200


def test_the_feed_of_a_deactivated_user_is_404(client, lecture_world):
    # given
    student = lecture_world["student"]
    token = calendar_token(student)
    student.is_active = False
    student.save()
    # when / then
    assert _feed(client, token).status_code == 404


# --- "Gone live" reaches the course's students ------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_going_live_tells_the_enrolled_students_open_pages_only(
    lecture_world, scheduled_lecture, channel_layer
):
    # given an enrolled student's page, and a page of a student of another course
    def other_course_student():
        course = CourseFactory(school=lecture_world["a"]["school"], code="PHYS-1", title="Physics")
        EnrollmentFactory(student=lecture_world["a"]["classmate"], course=course)
        return lecture_world["a"]["classmate"]

    outsider = await sync_to_async(other_course_student)()
    enrolled = socket("/ws/events/", await sync_to_async(session_for)(lecture_world["student"]))
    other = socket("/ws/events/", await sync_to_async(session_for)(outsider))
    try:
        assert (await enrolled.connect(timeout=5))[0]
        assert (await other.connect(timeout=5))[0]
        # when the lecture goes live
        await sync_to_async(lecture_start)(lecture=scheduled_lecture)
        # then the enrolled student hears of it, with the room's address
        message = await enrolled.receive_json_from(timeout=5)
        assert message["type"] == "lecture.live"
        assert message["payload"]["lecture"] == scheduled_lecture.pk
        assert message["payload"]["url"] == reverse(
            "livestream:lecture", args=[scheduled_lecture.pk]
        )
        assert message["payload"]["course"] == "Algebra"
        # and the other student does not
        assert await other.receive_nothing(timeout=0.5)
    finally:
        await enrolled.disconnect()
        await other.disconnect()


# --- The confusion meter ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "confused"),
    [
        ("why is that?", True),
        ("？", True),
        ("没听懂", True),
        ("老师我没听懂这一步", True),
        ("I don't understand", True),
        ("I DONT GET IT", True),
        ("too fast", True),
        ("great explanation", False),
        ("2x", False),
        ("谢谢老师", False),
    ],
)
def test_a_comment_that_signals_confusion_is_flagged(text, confused, lecture_world):
    # when
    danmaku = danmaku_send(
        lecture=lecture_world["lecture"], author=lecture_world["student"], text=text, video_time=1
    )
    # then
    assert Danmaku.objects.get(pk=danmaku.pk).confused is confused


def _confusion_world(world) -> None:
    """Calm comments over ten minutes, and a burst of confusion 120-150 s into the lecture."""
    lecture, teacher = world["lecture"], world["teacher"]
    for n in range(20):
        danmaku_send(
            lecture=lecture, author=teacher, text=f"nice {n}", video_time=30.0 * n, moderator=True
        )
    for n, text in enumerate(["what?", "没听懂", "I don't understand", "huh?", "lost me"]):
        danmaku_send(
            lecture=lecture,
            author=teacher,
            text=f"{text} {n}",
            video_time=121.0 + n,
            moderator=True,
        )


def test_the_confusion_timeline_lists_spikes_with_the_lectures_knowledge_points(
    client, lecture_world
):
    # given
    _confusion_world(lecture_world)
    client.force_login(lecture_world["teacher"])
    # when
    response = client.get(
        reverse("livestream-api:confusion", args=[lecture_world["lecture"].pk]), {"bucket": 30}
    )
    # then
    body = response.json()
    assert body["bucket_seconds"] == 30
    assert len(body["buckets"]) == 20
    assert body["buckets"][4] == {"start": 120, "total": 6, "confused": 5}
    assert body["spikes"] == [
        {
            "start": 120,
            "end": 150,
            "confused": 5,
            "total": 6,
            "knowledge_points": ["Derivatives", "Limits"],
        }
    ]


def test_hidden_comments_do_not_count_in_the_confusion_timeline(lecture_world):
    # given
    from livestream.services.danmaku import danmaku_hide

    _confusion_world(lecture_world)
    for danmaku in Danmaku.objects.filter(confused=True):
        danmaku_hide(danmaku=danmaku, by=lecture_world["teacher"])
    # when
    timeline = confusion_timeline(lecture=lecture_world["lecture"])
    # then
    assert timeline["spikes"] == []
    assert sum(bucket["confused"] for bucket in timeline["buckets"]) == 0


def test_the_report_shows_the_spikes_and_the_knowledge_points(client, lecture_world):
    # given
    _confusion_world(lecture_world)
    client.force_login(lecture_world["teacher"])
    # when
    response = client.get(reverse("livestream:report", args=[lecture_world["lecture"].pk]))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="spike" data-start="120"' in page
    assert "Derivatives, Limits" in page or "Limits, Derivatives" in page


def test_a_lecture_of_another_course_is_not_in_the_course_page(client, lecture_world):
    # given school B's lecture
    other_course = Course.objects.get(pk=lecture_world["other_course"].pk)
    lecture_create(
        course=other_course,
        teacher=lecture_world["b"][Role.TEACHER],
        title="B's lecture",
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(lecture_world["teacher"])
    # when
    page = client.get(reverse("courses:course_detail", args=[lecture_world["course"].pk]))
    # then
    assert "B&#x27;s lecture" not in page.content.decode()
    assert "B's lecture" not in page.content.decode()
