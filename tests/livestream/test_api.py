"""
The livestream REST API (/api/v1/livestream/): every endpoint for every person, bad input, and
the comment log by video time and by sequence number.

Anonymous callers get 401. Whoever may not see a lecture gets 404, never 403: a lecture's room
is for its course's active students, its teachers and its school's admins; running it (editing,
going live, deleting comments, the confusion meter, the questions) for the teachers and admins;
blocked words for the school's admins. A refused request changes nothing. Never a 500.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from livestream.models import BlockedWord, Danmaku, Lecture
from livestream.services.danmaku import blocked_word_add, danmaku_hide, danmaku_send
from livestream.services.lectures import lecture_create
from lms.models import Role
from tests.assessments.test_api_permissions import INF, Raw, assert_error, error_codes, send
from tests.courses.conftest import PEOPLE
from tests.factories import KnowledgePointFactory

WATCHERS = {"enrolled_student", "course_teacher", "school_admin"}
EDITORS = {"course_teacher", "school_admin"}
ADMINS = {"school_admin"}
UNKNOWN = 999_999


def url(name: str, *args) -> str:
    return reverse(f"livestream-api:{name}", args=args)


def db_state() -> dict:
    """Every row of the livestream app (m2m tables too)."""
    models = apps.get_app_config("livestream").get_models(include_auto_created=True)
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def say(lecture, author, text, video_time, *, moderator=True) -> Danmaku:
    return danmaku_send(
        lecture=lecture, author=author, text=text, video_time=video_time, moderator=moderator
    )


@pytest.fixture
def api_world(lecture_world, scheduled_lecture):
    """lecture_world with a scheduled lecture, a student's comment, and a blocked word of A."""
    comment = say(lecture_world["lecture"], lecture_world["student"], "hello", 12.0)
    word = blocked_word_add(school=lecture_world["a"]["school"], word="spoiler")
    return {**lecture_world, "scheduled": scheduled_lecture, "comment": comment, "word": word}


# --- The permission matrix --------------------------------------------------------------------

# (name, method, url args as api_world keys, body, who may, the status they get)
ENDPOINTS = {
    "lecture-list": ("lectures", "get", [], None, set(PEOPLE) - {"anonymous"}, 200),
    "lecture-create": (
        "lectures",
        "post",
        [],
        {"course": "course", "title": "Extra", "scheduled_at": "2030-01-01T09:00:00Z"},
        EDITORS,
        201,
    ),
    "lecture-detail": ("lecture", "get", ["lecture"], None, WATCHERS, 200),
    "lecture-update": ("lecture", "patch", ["lecture"], {"title": "Renamed"}, EDITORS, 200),
    "lecture-delete": ("lecture", "delete", ["scheduled"], None, EDITORS, 204),
    "lecture-start": ("start", "post", ["scheduled"], None, EDITORS, 200),
    "lecture-end": ("end", "post", ["lecture"], None, EDITORS, 200),
    "danmaku-window": ("danmaku", "get", ["lecture", "?from=0&to=60"], None, WATCHERS, 200),
    "danmaku-backfill": ("danmaku", "get", ["lecture", "?after=0"], None, WATCHERS, 200),
    "danmaku-send": (
        "danmaku",
        "post",
        ["lecture"],
        {"text": "a question?", "video_time": 30},
        WATCHERS,
        201,
    ),
    "danmaku-hide": ("danmaku_hide", "delete", ["lecture", "comment"], None, EDITORS, 204),
    "confusion": ("confusion", "get", ["lecture"], None, EDITORS, 200),
    "questions": ("questions", "get", ["lecture"], None, EDITORS, 200),
    "blocked-word-list": ("blocked_words", "get", ["school"], None, ADMINS, 200),
    "blocked-word-add": ("blocked_words", "post", ["school"], {"word": "cheat"}, ADMINS, 201),
    "blocked-word-remove": ("blocked_word", "delete", ["school", "word"], None, ADMINS, 204),
}


def _path(world, name: str, args: list) -> str:
    ids, query = [], ""
    for arg in args:
        if arg.startswith("?"):
            query = arg
        elif arg == "school":
            ids.append(world["a"]["school"].pk)
        else:
            ids.append(world[arg].pk)
    return url(name, *ids) + query


def _body(world, body):
    if isinstance(body, dict) and body.get("course") == "course":
        return {**body, "course": world["course"].pk}
    return body


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_permission_matrix(endpoint, person, as_person, api_world):
    # given
    name, method, args, body, allowed, status = ENDPOINTS[endpoint]
    client = as_person(person)
    before = db_state()
    # when
    response = send(client, method, _path(api_world, name, args), _body(api_world, body))
    # then
    if person in allowed:
        assert response.status_code == status, response.content
    else:
        assert_error(response, 401 if person == "anonymous" else 404)
        assert db_state() == before


@pytest.mark.parametrize(
    ("person", "sees"),
    [
        ("enrolled_student", ["lecture", "scheduled"]),
        ("other_student", []),
        ("course_teacher", ["lecture", "scheduled"]),
        ("other_teacher", []),
        ("school_admin", ["lecture", "scheduled"]),
        ("other_school", []),
    ],
)
def test_the_lecture_list_holds_the_lectures_the_person_may_join(
    person, sees, as_person, api_world
):
    # when
    response = as_person(person).get(url("lectures"))
    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [api_world[key].pk for key in sees]


def test_a_student_whose_enrollment_ended_no_longer_sees_the_lecture(client, api_world):
    # given
    from courses.models import Enrollment
    from courses.services.enrollment import enrollment_drop

    enrollment_drop(
        enrollment=Enrollment.objects.get(student=api_world["student"], course=api_world["course"])
    )
    client.force_login(api_world["student"])
    # when
    listed = client.get(url("lectures"))
    detail = client.get(url("lecture", api_world["lecture"].pk))
    sent = send(
        client, "post", url("danmaku", api_world["lecture"].pk), {"text": "hi", "video_time": 1}
    )
    # then
    assert listed.json() == []
    assert_error(detail, 404)
    assert_error(sent, 404)


def test_the_lecture_list_filters_by_course(as_person, api_world):
    # when
    mine = as_person("course_teacher").get(url("lectures"), {"course": api_world["course"].pk})
    other = as_person("course_teacher").get(
        url("lectures"), {"course": api_world["other_course"].pk}
    )
    # then
    assert len(mine.json()) == 2
    assert other.json() == []


def test_the_lecture_list_takes_as_many_queries_for_many_lectures_as_for_one(client, api_world):
    # given
    client.force_login(api_world["student"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("lectures")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(8):
        lecture_create(
            course=api_world["course"],
            teacher=api_world["teacher"],
            title=f"Extra {n}",
            scheduled_at=timezone.now() + timedelta(days=n + 2),
            knowledge_points=api_world["points"],
        )
    # when / then
    assert queries() == few


def test_creating_a_lecture_makes_the_caller_its_teacher(client, api_world):
    # given
    client.force_login(api_world["teacher"])
    points = [point.pk for point in api_world["points"]]
    # when
    response = send(
        client,
        "post",
        url("lectures"),
        {
            "course": api_world["course"].pk,
            "title": "Series",
            "scheduled_at": "2030-01-01T09:00:00Z",
            "knowledge_points": points,
            "state": "live",
        },
    )
    # then
    assert response.status_code == 201, response.content
    lecture = Lecture.objects.get(pk=response.json()["id"])
    assert (lecture.teacher, lecture.course, lecture.state) == (
        api_world["teacher"],
        api_world["course"],
        "scheduled",
    )
    assert sorted(lecture.knowledge_points.values_list("pk", flat=True)) == sorted(points)


def test_the_read_only_fields_of_a_lecture_cannot_be_patched(client, api_world):
    # given
    client.force_login(api_world["teacher"])
    lecture = api_world["scheduled"]
    # when
    response = send(
        client,
        "patch",
        url("lecture", lecture.pk),
        {"state": "ended", "slow_mode_seconds": 60, "course": api_world["other_course"].pk},
    )
    # then
    assert response.status_code == 200, response.content
    lecture.refresh_from_db()
    assert (lecture.state, lecture.slow_mode_seconds, lecture.course) == (
        "scheduled",
        0,
        api_world["course"],
    )


def test_a_live_lecture_cannot_be_deleted(client, api_world):
    # given
    client.force_login(api_world["teacher"])
    # when
    response = client.delete(url("lecture", api_world["lecture"].pk))
    # then
    assert_error(response, 400)
    assert Lecture.objects.filter(pk=api_world["lecture"].pk).exists()


def test_a_scheduled_lecture_cannot_be_ended(client, api_world):
    # given
    client.force_login(api_world["teacher"])
    # when
    response = client.post(url("end", api_world["scheduled"].pk))
    # then
    assert_error(response, 400)
    api_world["scheduled"].refresh_from_db()
    assert api_world["scheduled"].state == "scheduled"


def test_going_live_and_ending_set_the_state_and_times(client, api_world):
    # given
    client.force_login(api_world["teacher"])
    lecture = api_world["scheduled"]
    # when
    started = client.post(url("start", lecture.pk)).json()
    ended = client.post(url("end", lecture.pk)).json()
    # then
    assert started["state"] == "live"
    assert started["started_at"]
    assert ended["state"] == "ended"
    assert ended["ended_at"]
    assert ended["started_at"] == started["started_at"]


# --- The comment log --------------------------------------------------------------------------


def test_the_window_is_in_video_time_order_without_hidden_comments(client, api_world):
    # given comments out of video-time order, one hidden, one at each edge
    lecture, teacher = api_world["lecture"], api_world["teacher"]
    made = {t: say(lecture, teacher, f"at {t}", t) for t in (50, 20, 30, 60, 20.5, 19.999)}
    danmaku_hide(danmaku=made[30], by=teacher)
    client.force_login(api_world["student"])
    # when
    response = client.get(url("danmaku", lecture.pk), {"from": 20, "to": 60})
    # then 20 <= video_time < 60, by video time
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["results"]] == ["at 20", "at 20.5", "at 50"]
    first = response.json()["results"][0]
    assert set(first) == {
        "id",
        "seq",
        "text",
        "mode",
        "color",
        "size",
        "video_time",
        "sent_at",
        "author",
        "confused",
    }
    assert first["author"] == {"id": teacher.pk, "name": teacher.name}


def test_the_backfill_holds_what_came_after_and_what_was_hidden_since(client, api_world):
    # given a viewer that saw up to the first comment ("hello", seq 1)
    lecture, teacher = api_world["lecture"], api_world["teacher"]
    second = say(lecture, teacher, "second", 20)
    third = say(lecture, teacher, "third", 21)
    danmaku_hide(danmaku=api_world["comment"], by=teacher)
    client.force_login(api_world["student"])
    # when
    response = client.get(url("danmaku", lecture.pk), {"after": api_world["comment"].seq})
    # then
    body = response.json()
    assert [m["id"] for m in body["messages"]] == [second.pk, third.pk]
    assert body["hidden"] == [api_world["comment"].pk]
    assert body["last_seq"] == 4


def test_a_comment_posted_over_rest_is_saved_and_a_second_within_three_seconds_is_429(
    client, api_world
):
    # given
    client.force_login(api_world["second"])
    path = url("danmaku", api_world["lecture"].pk)
    # when
    first = send(client, "post", path, {"text": "what is a limit?", "video_time": 30.25})
    again = send(client, "post", path, {"text": "and a derivative?", "video_time": 31})
    # then
    assert first.status_code == 201, first.content
    assert first.json()["text"] == "what is a limit?"
    assert first.json()["confused"] is True
    assert first.json()["video_time"] == 30.25
    body = assert_error(again, 429)
    assert body["errors"][0]["code"] == "rate_limited"
    assert 1 <= int(again["Retry-After"]) <= 3
    assert Danmaku.objects.filter(author=api_world["second"]).count() == 1


def test_a_comment_posted_over_rest_to_a_scheduled_lecture_is_refused(client, api_world):
    # given
    client.force_login(api_world["student"])
    # when
    response = send(
        client, "post", url("danmaku", api_world["scheduled"].pk), {"text": "hi", "video_time": 1}
    )
    # then
    body = assert_error(response, 409)
    assert error_codes(response) == ["not_live"], body


def test_a_blocked_word_posted_over_rest_is_refused(client, api_world):
    # given
    client.force_login(api_world["student"])
    # when
    response = send(
        client,
        "post",
        url("danmaku", api_world["lecture"].pk),
        {"text": "SPOILER: it ends", "video_time": 1},
    )
    # then
    assert_error(response, 400)
    assert error_codes(response) == ["blocked_word"]


def test_hiding_a_comment_over_rest_is_idempotent(client, api_world):
    # given
    client.force_login(api_world["teacher"])
    path = url("danmaku_hide", api_world["lecture"].pk, api_world["comment"].pk)
    # when
    first, again = client.delete(path), client.delete(path)
    # then
    assert (first.status_code, again.status_code) == (204, 204)
    comment = Danmaku.objects.get(pk=api_world["comment"].pk)
    assert comment.hidden_seq == 2
    assert Lecture.objects.get(pk=api_world["lecture"].pk).last_seq == 2


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="nothing"),
        pytest.param("?from=0", id="to-missing"),
        pytest.param("?to=60", id="from-missing"),
        pytest.param("?from=60&to=60", id="to-equals-from"),
        pytest.param("?from=60&to=10", id="to-before-from"),
        pytest.param("?from=-1&to=60", id="negative-from"),
        pytest.param("?from=0&to=-5", id="negative-to"),
        pytest.param("?from=abc&to=60", id="non-numeric-from"),
        pytest.param("?from=0&to=soon", id="non-numeric-to"),
        pytest.param("?from=0&to=1e400", id="infinite-to"),
        pytest.param("?from=nan&to=60", id="nan-from"),
        pytest.param("?from=0&to=90000", id="beyond-a-day"),
        pytest.param("?after=-1", id="negative-after"),
        pytest.param("?after=abc", id="non-numeric-after"),
        pytest.param("?after=1.5", id="fractional-after"),
        pytest.param(f"?after={2**63}", id="huge-after"),
        pytest.param("?after=1&from=0&to=60", id="after-and-window"),
        pytest.param("?after=1&from=0", id="after-and-from"),
    ],
)
def test_a_bad_danmaku_query_is_400(query, client, api_world):
    # given
    client.force_login(api_world["student"])
    # when
    response = client.get(url("danmaku", api_world["lecture"].pk) + query)
    # then
    assert_error(response, 400)


TEXT = {"text": "fine", "video_time": 10}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="empty-body"),
        pytest.param(["text"], id="json-list"),
        pytest.param(Raw("not json"), id="not-json"),
        pytest.param(Raw('{"text": '), id="truncated-json"),
        pytest.param({"video_time": 10}, id="text-missing"),
        pytest.param({**TEXT, "text": ""}, id="text-empty"),
        pytest.param({**TEXT, "text": "   "}, id="text-blank"),
        pytest.param({**TEXT, "text": "x" * 101}, id="text-too-long"),
        pytest.param({**TEXT, "text": "a\x00b"}, id="text-nul"),
        pytest.param({**TEXT, "text": "a\x07b"}, id="text-bel"),
        pytest.param({**TEXT, "text": "a\ud800b"}, id="text-surrogate"),
        pytest.param({**TEXT, "text": ["a"]}, id="text-list"),
        pytest.param({"text": "fine"}, id="video-time-missing"),
        pytest.param({**TEXT, "video_time": -1}, id="video-time-negative"),
        pytest.param({**TEXT, "video_time": "soon"}, id="video-time-text"),
        pytest.param({**TEXT, "video_time": INF}, id="video-time-infinite"),
        pytest.param({**TEXT, "video_time": "NaN"}, id="video-time-nan"),
        pytest.param({**TEXT, "color": "#123456"}, id="color-off-palette"),
        pytest.param({**TEXT, "mode": "sideways"}, id="mode-unknown"),
        pytest.param({**TEXT, "size": "huge"}, id="size-unknown"),
    ],
)
def test_a_bad_comment_is_400_and_saves_nothing(body, client, api_world):
    # given
    client.force_login(api_world["second"])
    before = Danmaku.objects.count()
    # when
    response = send(client, "post", url("danmaku", api_world["lecture"].pk), body)
    # then
    assert_error(response, 400)
    assert Danmaku.objects.count() == before


LECTURE = {"title": "Fine", "scheduled_at": "2030-01-01T09:00:00Z"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(None, 400, id="empty-body"),
        pytest.param(Raw("[]"), 400, id="json-list"),
        pytest.param(LECTURE, 400, id="course-missing"),
        pytest.param({**LECTURE, "course": "abc"}, 400, id="course-text"),
        pytest.param({**LECTURE, "course": 0}, 400, id="course-zero"),
        pytest.param({**LECTURE, "course": 2**70}, 400, id="course-huge"),
        pytest.param({**LECTURE, "course": UNKNOWN}, 404, id="course-unknown"),
        pytest.param({**LECTURE, "course": "other_course"}, 404, id="course-of-other-school"),
        pytest.param({**LECTURE, "course": "course", "title": ""}, 400, id="title-empty"),
        pytest.param({**LECTURE, "course": "course", "title": "x" * 201}, 400, id="title-long"),
        pytest.param({"course": "course", "title": "No time"}, 400, id="time-missing"),
        pytest.param({**LECTURE, "course": "course", "scheduled_at": "soon"}, 400, id="time-bad"),
        pytest.param({**LECTURE, "course": "course", "duration_minutes": 4}, 400, id="too-short"),
        pytest.param({**LECTURE, "course": "course", "duration_minutes": 481}, 400, id="too-long"),
        pytest.param({**LECTURE, "course": "course", "duration_minutes": "x"}, 400, id="dur-text"),
        pytest.param(
            {**LECTURE, "course": "course", "description": "x" * 5001}, 400, id="description-long"
        ),
        pytest.param({**LECTURE, "course": "course", "stream_url": "nope"}, 400, id="bad-url"),
        pytest.param(
            {**LECTURE, "course": "course", "stream_url": "javascript:alert(1)"},
            400,
            id="javascript-url",
        ),
        pytest.param(
            {**LECTURE, "course": "course", "knowledge_points": ["b_point"]},
            400,
            id="point-of-other-course",
        ),
        pytest.param(
            {**LECTURE, "course": "course", "knowledge_points": [UNKNOWN]}, 400, id="point-unknown"
        ),
        pytest.param(
            {**LECTURE, "course": "course", "knowledge_points": "abc"}, 400, id="points-text"
        ),
    ],
)
def test_a_bad_new_lecture_is_refused(body, status, client, api_world):
    # given
    b_point = KnowledgePointFactory(course=api_world["other_course"], name="B's skill")
    refs = {
        "course": api_world["course"].pk,
        "other_course": api_world["other_course"].pk,
        "b_point": b_point.pk,
    }
    if isinstance(body, dict):
        body = {
            key: (refs.get(value, value) if isinstance(value, str) and key == "course" else value)
            for key, value in body.items()
        }
        if "knowledge_points" in body and isinstance(body["knowledge_points"], list):
            body["knowledge_points"] = [refs.get(p, p) for p in body["knowledge_points"]]
    client.force_login(api_world["teacher"])
    before = db_state()
    # when
    response = send(client, "post", url("lectures"), body)
    # then
    assert_error(response, status)
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"title": "x" * 201}, id="title-long"),
        pytest.param({"title": ""}, id="title-empty"),
        pytest.param({"scheduled_at": None}, id="time-null"),
        pytest.param({"duration_minutes": -5}, id="duration-negative"),
        pytest.param({"knowledge_points": ["b_point"]}, id="point-of-other-course"),
        pytest.param(Raw("[1]"), id="json-list"),
    ],
)
def test_a_bad_lecture_update_is_400_and_changes_nothing(body, client, api_world):
    # given
    b_point = KnowledgePointFactory(course=api_world["other_course"], name="B's skill")
    if isinstance(body, dict) and "knowledge_points" in body:
        body = {"knowledge_points": [b_point.pk]}
    client.force_login(api_world["teacher"])
    before = db_state()
    # when
    response = send(client, "patch", url("lecture", api_world["lecture"].pk), body)
    # then
    assert_error(response, 400)
    assert db_state() == before


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        ("lecture", "get", [UNKNOWN]),
        ("lecture", "patch", [UNKNOWN]),
        ("lecture", "delete", [UNKNOWN]),
        ("start", "post", [UNKNOWN]),
        ("end", "post", [UNKNOWN]),
        ("danmaku", "get", [UNKNOWN]),
        ("danmaku", "post", [UNKNOWN]),
        ("danmaku_hide", "delete", [UNKNOWN, 1]),
        ("danmaku_hide", "delete", ["lecture", UNKNOWN]),
        ("danmaku_hide", "delete", ["scheduled", "comment"]),
        ("confusion", "get", [UNKNOWN]),
        ("questions", "get", [UNKNOWN]),
        ("blocked_words", "get", [UNKNOWN]),
        ("blocked_words", "post", [UNKNOWN]),
        ("blocked_word", "delete", ["school", UNKNOWN]),
        ("blocked_word", "delete", ["school_b", "b_word"]),
    ],
)
def test_unknown_ids_are_404(name, method, args, client, api_world):
    # given an admin of school A (who may do everything in it)
    b_word = blocked_word_add(school=api_world["b"]["school"], word="bword")
    refs = {
        "lecture": api_world["lecture"].pk,
        "scheduled": api_world["scheduled"].pk,
        "comment": api_world["comment"].pk,
        "school": api_world["a"]["school"].pk,
        "school_b": api_world["b"]["school"].pk,
        "b_word": b_word.pk,
    }
    client.force_login(api_world["a"][Role.ADMIN])
    before = db_state()
    # when
    path = url(name, *[refs.get(arg, arg) for arg in args])
    response = send(
        client, method, path, {"text": "hi", "video_time": 1, "word": "w", "title": "t"}
    )
    # then
    assert_error(response, 404)
    assert db_state() == before


@pytest.mark.parametrize(
    "query", ["?bucket=0", "?bucket=4", "?bucket=601", "?bucket=abc", "?bucket=1.5"]
)
def test_a_bad_confusion_bucket_is_400(query, client, api_world):
    # given
    client.force_login(api_world["teacher"])
    # when
    response = client.get(url("confusion", api_world["lecture"].pk) + query)
    # then
    assert_error(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="empty-body"),
        pytest.param({}, id="word-missing"),
        pytest.param({"word": ""}, id="word-empty"),
        pytest.param({"word": "   "}, id="word-blank"),
        pytest.param({"word": "x" * 51}, id="word-long"),
        pytest.param({"word": "a\x00b"}, id="word-nul"),
        pytest.param({"word": "a\x07b"}, id="word-bel"),
        pytest.param({"word": ["a"]}, id="word-list"),
        pytest.param(Raw("[]"), id="json-list"),
    ],
)
def test_a_bad_blocked_word_is_400(body, client, api_world):
    # given
    client.force_login(api_world["a"][Role.ADMIN])
    # when
    response = send(client, "post", url("blocked_words", api_world["a"]["school"].pk), body)
    # then
    assert_error(response, 400)
    assert list(BlockedWord.objects.values_list("word", flat=True)) == ["spoiler"]


def test_a_blocked_word_is_added_once_whatever_its_case(client, api_world):
    # given
    client.force_login(api_world["a"][Role.ADMIN])
    path = url("blocked_words", api_world["a"]["school"].pk)
    # when
    again = send(client, "post", path, {"word": "SPOILER"})
    new = send(client, "post", path, {"word": " Cheat "})
    listed = client.get(path)
    # then
    assert again.status_code == 201
    assert again.json()["id"] == api_world["word"].pk
    assert new.json()["word"] == "Cheat"
    assert [row["word"] for row in listed.json()] == ["Cheat", "spoiler"]
