"""
Live questions over the socket: a bank question pushed to the room is answered once per student
as a graded attempt of a hidden `live` assessment (so it reaches mastery and the plan); a poll
is counted per option. Moderators follow the tally; the answer key stays on the server until
the reveal. `live` assessments never show where the course's assessments are listed.
"""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, Attempt, AttemptStatus
from assessments.services.questions import question_create
from livestream.models import LiveQuestion, PollVote
from livestream.services.questions import live_question_push
from personalization.models import PlanRefresh
from tests.livestream.conftest import join, leave, next_of, nothing_of


def _push(world, key="single", seconds=30) -> dict:
    return {"type": "question.push", "question": world[key].pk, "seconds": seconds}


def _poll(options, prompt="Pace?", seconds=30) -> dict:
    return {"type": "poll.push", "prompt": prompt, "options": options, "seconds": seconds}


def _leaks(card: dict) -> list[str]:
    """Words of the answer key found in what a student is shown of a question."""
    shown = json.dumps({"stem": card["stem_html"], "options": card["options"]})
    return [word for word in ("fraction", "answer", "power rule") if word in shown.lower()]


async def _pushed(teacher, viewers, frame) -> dict:
    """Push `frame` as the teacher; every viewer's `question` card (the same for everyone)."""
    await teacher.send_json_to(frame)
    cards = [await next_of(viewer, "question") for viewer in viewers]
    assert all(card == {**cards[0], "server_now": card["server_now"]} for card in cards)
    return cards[0]


async def _room(world, *people):
    return [(await join(world[person], world["lecture"].pk))[0] for person in people]


# --- Bank questions ---------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["student", "second", "teacher"])
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_pushed_question_reaches_every_viewer_without_its_answer_key(person, lecture_world):
    # given the room
    student, second, teacher = await _room(lecture_world, "student", "second", "teacher")
    viewer = {"student": student, "second": second, "teacher": teacher}[person]
    try:
        # when the teacher pushes a bank question
        await teacher.send_json_to(_push(lecture_world))
        # then the viewer gets the question card, with nothing of the answer key
        card = await next_of(viewer, "question")
        assert (card["kind"], card["question_kind"]) == ("question", "single_choice")
        assert card["seconds"] == 30
        assert [option["id"] for option in card["options"]] == ["a", "b", "c"]
        assert all(set(option) == {"id", "html"} for option in card["options"])
        assert _leaks(card) == []
        assert (card["revealed"], card["tally"], card["answered"]) == (None, None, False)
        assert card["your_answer"] is None
    finally:
        await leave(student, second, teacher)


@pytest.mark.parametrize("kind", ["single", "true_false"])
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_viewer_joining_during_a_question_gets_it_without_the_answer_key(
    kind, lecture_world
):
    # given a question on screen
    (teacher,) = await _room(lecture_world, "teacher")
    try:
        await teacher.send_json_to(_push(lecture_world, kind))
        await next_of(teacher, "question")
        # when a student joins
        student, state, _backfill = await join(
            lecture_world["student"], lecture_world["lecture"].pk
        )
        # then its state holds the question, without the key or the tally
        card = state["question"]
        assert card["answered"] is False
        assert (card["revealed"], card["tally"]) == (None, None)
        assert _leaks(card) == []
        await leave(student)
    finally:
        await leave(teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_answer_is_acknowledged_counted_for_the_teacher_and_taken_once(lecture_world):
    # given a question on screen
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student, teacher], _push(lecture_world))
        # when the student answers
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "b"}}
        )
        # then it gets an ack without its correctness
        answered = await next_of(student, "answered")
        assert (answered["question"], answered["correct"]) == (card["id"], None)
        # and the teacher a tally
        tally = await next_of(teacher, "question.tally")
        assert tally == {"id": card["id"], "answered": 1, "correct": 0, "counts": {"b": 1}}
        # and the student is not sent the tally
        await nothing_of(student, "question.tally", timeout=0.6)
        # when it answers again
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        # then it is refused and the first answer stands
        assert (await next_of(student, "error"))["code"] == "already_answered"
        attempts = await sync_to_async(list)(Attempt.objects.values_list("student", "score"))
        assert attempts == [(lecture_world["student"].pk, 0)]
    finally:
        await leave(student, teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_answer_is_a_graded_attempt_of_a_live_assessment_that_reaches_the_plan(
    lecture_world,
):
    # given a question on screen
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student, teacher], _push(lecture_world))
        # when the student answers it right
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        await next_of(student, "answered")
        # then it is a submitted, graded attempt of the question's own `live` assessment
        attempt = await sync_to_async(Attempt.objects.select_related("assessment").get)()
        live = await sync_to_async(LiveQuestion.objects.get)(pk=card["id"])
        assert attempt.assessment_id == live.assessment_id
        assert attempt.assessment.kind == AssessmentKind.LIVE
        assert attempt.student_id == lecture_world["student"].pk
        assert attempt.status == AttemptStatus.SUBMITTED
        assert attempt.score == attempt.max_score > 0
        # and a plan refresh is queued for it (so it reaches mastery)
        refresh = await sync_to_async(PlanRefresh.objects.get)()
        assert (refresh.student_id, refresh.attempt_id) == (lecture_world["student"].pk, attempt.pk)
    finally:
        await leave(student, teacher)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"choice": "z"}, id="unknown-choice"),
        pytest.param({"choices": ["a"]}, id="wrong-shape"),
        pytest.param("a", id="string"),
        pytest.param([1, 2], id="list"),
        pytest.param({"choice": 1}, id="number-choice"),
        pytest.param(None, id="missing"),
    ],
)
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_malformed_answer_is_invalid_and_saves_nothing(answer, lecture_world):
    # given a question on screen
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student], _push(lecture_world))
        # when the student sends a malformed answer
        frame = {"type": "answer", "question": card["id"]}
        if answer is not None:
            frame["answer"] = answer
        await student.send_json_to(frame)
        # then it is refused, nothing is saved, and it may still answer properly
        assert (await next_of(student, "error"))["code"] == "invalid"
        assert not await sync_to_async(Attempt.objects.exists)()
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        await next_of(student, "answered")
    finally:
        await leave(student, teacher)


@pytest.mark.parametrize(
    ("question", "code"),
    [
        pytest.param(999_999, "not_found", id="unknown"),
        pytest.param("1", "invalid", id="string"),
        pytest.param(None, "invalid", id="missing"),
        pytest.param(-1, "invalid", id="negative"),
    ],
)
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_answering_an_unknown_question_is_refused(question, code, lecture_world):
    # given
    (student,) = await _room(lecture_world, "student")
    try:
        # when
        await student.send_json_to({"type": "answer", "question": question, "answer": {}})
        # then
        assert (await next_of(student, "error"))["code"] == code
    finally:
        await leave(student)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_answering_after_the_time_is_up_is_closed(lecture_world):
    # given a question whose time ran out a while ago
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student], _push(lecture_world))
        past = timezone.now() - timedelta(minutes=1)
        await sync_to_async(LiveQuestion.objects.filter(pk=card["id"]).update)(
            opened_at=past - timedelta(seconds=30), closes_at=past
        )
        # when the student answers
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        # then
        assert (await next_of(student, "error"))["code"] == "closed"
        assert not await sync_to_async(Attempt.objects.exists)()
    finally:
        await leave(student, teacher)


@pytest.mark.parametrize("action", ["question.close", "question.reveal"])
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_answering_after_the_teacher_closed_or_revealed_the_question_is_closed(
    action, lecture_world
):
    # given a question the teacher has just closed (or revealed: the answer key is out)
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student], _push(lecture_world))
        await teacher.send_json_to({"type": action, "id": card["id"]})
        assert await next_of(student, "question.closed") == {"id": card["id"]}
        # when the student answers
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        # then it is refused: no more answers once closed
        assert (await next_of(student, "error"))["code"] == "closed"
        assert not await sync_to_async(Attempt.objects.exists)()
    finally:
        await leave(student, teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_answer_sent_once_the_right_answer_is_revealed_is_refused(lecture_world):
    # given a question revealed a moment ago (as the reveal leaves it: closed, revealed now)
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student], _push(lecture_world))
        now = timezone.now()
        await sync_to_async(LiveQuestion.objects.filter(pk=card["id"]).update)(
            closes_at=now, revealed_at=now
        )
        # when a student who has seen the right answer sends it
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        # then it is refused, not graded as right
        assert (await next_of(student, "error"))["code"] == "closed"
        assert not await sync_to_async(Attempt.objects.exists)()
    finally:
        await leave(student, teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_reveal_shows_everyone_the_right_answer_and_the_counts(lecture_world):
    # given two answers, one right
    student, second, teacher = await _room(lecture_world, "student", "second", "teacher")
    try:
        card = await _pushed(teacher, [student, second, teacher], _push(lecture_world))
        for viewer, choice in ((student, "a"), (second, "c")):
            await viewer.send_json_to(
                {"type": "answer", "question": card["id"], "answer": {"choice": choice}}
            )
            await next_of(viewer, "answered")
        # when the teacher reveals it
        await teacher.send_json_to({"type": "question.reveal", "id": card["id"]})
        # then everyone sees it closed, with the right answer and how the room answered
        for viewer in (student, second, teacher):
            assert await next_of(viewer, "question.closed") == {"id": card["id"]}
            revealed = await next_of(viewer, "question.revealed")
            assert revealed["id"] == card["id"]
            assert revealed["correct"] == {"choice": "a"}
            assert revealed["counts"] == {"a": 1, "c": 1}
            assert revealed["answered"] == 2
            assert "power rule" in revealed["explanation_html"]
        assert (await sync_to_async(LiveQuestion.objects.get)(pk=card["id"])).revealed_at
    finally:
        await leave(student, second, teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_pushing_a_new_question_closes_the_open_one(lecture_world):
    # given a poll on screen
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        poll = await _pushed(teacher, [student], _poll(["yes", "no"]))
        # when the teacher pushes a bank question
        await teacher.send_json_to(_push(lecture_world))
        # then the poll closes for everyone, and the question comes next
        assert await next_of(student, "question.closed") == {"id": poll["id"]}
        card = await next_of(student, "question")
        assert card["id"] != poll["id"]
        old = await sync_to_async(LiveQuestion.objects.get)(pk=poll["id"])
        assert old.closes_at <= timezone.now()
        # and the poll no longer takes votes (once its grace is over)
        await sync_to_async(LiveQuestion.objects.filter(pk=poll["id"]).update)(
            opened_at=old.opened_at - timedelta(minutes=1),
            closes_at=old.closes_at - timedelta(seconds=30),
        )
        await student.send_json_to(
            {"type": "answer", "question": poll["id"], "answer": {"choice": "a"}}
        )
        assert (await next_of(student, "error"))["code"] == "closed"
    finally:
        await leave(student, teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_pushing_when_the_lecture_is_not_live_is_refused(lecture_world, scheduled_lecture):
    # given the teacher in a lecture that has not gone live
    teacher, _state, _backfill = await join(lecture_world["teacher"], scheduled_lecture.pk)
    try:
        for frame in (_push(lecture_world), _poll(["yes", "no"])):
            # when
            await teacher.send_json_to(frame)
            # then
            assert (await next_of(teacher, "error"))["code"] == "not_live"
        assert not await sync_to_async(LiveQuestion.objects.exists)()
        assert not await sync_to_async(Assessment.objects.exists)()
    finally:
        await leave(teacher)


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_pushing_a_question_of_another_courses_bank_is_not_found(lecture_world):
    # given a question of school B's course
    foreign = await sync_to_async(question_create)(
        course=lecture_world["other_course"],
        kind="true_false",
        stem="B's question",
        spec={"answer": True},
    )
    (teacher,) = await _room(lecture_world, "teacher")
    try:
        # when the teacher pushes it
        await teacher.send_json_to({"type": "question.push", "question": foreign.pk, "seconds": 30})
        # then
        assert (await next_of(teacher, "error"))["code"] == "not_found"
        assert not await sync_to_async(LiveQuestion.objects.exists)()
    finally:
        await leave(teacher)


@pytest.mark.parametrize("seconds", [9, 601, "30", None, 30.5])
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_pushing_with_a_time_out_of_range_is_invalid(seconds, lecture_world):
    # given
    (teacher,) = await _room(lecture_world, "teacher")
    try:
        # when
        await teacher.send_json_to(_push(lecture_world, seconds=seconds))
        # then
        assert (await next_of(teacher, "error"))["code"] == "invalid"
        assert not await sync_to_async(LiveQuestion.objects.exists)()
    finally:
        await leave(teacher)


# --- Polls ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_poll_is_voted_once_and_tallied_per_option(lecture_world):
    # given a poll of three options, the prompt and options as typed
    student, second, teacher = await _room(lecture_world, "student", "second", "teacher")
    try:
        card = await _pushed(
            teacher,
            [student, second, teacher],
            _poll(["Too fast", "<b>OK</b>", "Too slow"], prompt="How is the pace?"),
        )
        assert (card["kind"], card["question_kind"]) == ("poll", None)
        assert card["stem_html"] == "How is the pace?"
        assert card["options"] == [
            {"id": "a", "html": "Too fast"},
            {"id": "b", "html": "&lt;b&gt;OK&lt;/b&gt;"},
            {"id": "c", "html": "Too slow"},
        ]
        # when two students vote
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "b"}}
        )
        await next_of(student, "answered")
        await second.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "b"}}
        )
        await next_of(second, "answered")
        # then the teacher's tally counts every option
        tally = await next_of(teacher, "question.tally")
        while tally["answered"] < 2:
            tally = await next_of(teacher, "question.tally")
        assert tally == {
            "id": card["id"],
            "answered": 2,
            "correct": None,
            "counts": {"a": 0, "b": 2, "c": 0},
        }
        # when a student votes again
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": "a"}}
        )
        # then
        assert (await next_of(student, "error"))["code"] == "already_answered"
        votes = await sync_to_async(list)(PollVote.objects.values_list("option", flat=True))
        assert sorted(votes) == ["b", "b"]
        # and polls are not graded
        assert not await sync_to_async(Attempt.objects.exists)()
    finally:
        await leave(student, second, teacher)


@pytest.mark.parametrize("choice", ["d", "A", 1, None, ["a"]])
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_vote_for_no_option_of_the_poll_is_refused(choice, lecture_world):
    # given
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        card = await _pushed(teacher, [student], _poll(["yes", "no", "maybe"]))
        # when
        await student.send_json_to(
            {"type": "answer", "question": card["id"], "answer": {"choice": choice}}
        )
        # then
        assert (await next_of(student, "error"))["code"] == "invalid"
        assert not await sync_to_async(PollVote.objects.exists)()
    finally:
        await leave(student, teacher)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(_poll(["only one"]), id="one-option"),
        pytest.param(_poll([f"option {n}" for n in range(7)]), id="seven-options"),
        pytest.param(_poll([]), id="no-options"),
        pytest.param(_poll("yes,no"), id="options-not-a-list"),
        pytest.param(_poll(["yes", ""]), id="empty-option"),
        pytest.param(_poll(["yes", 2]), id="number-option"),
        pytest.param(_poll(["yes", "x" * 81]), id="long-option"),
        pytest.param(_poll(["yes", "no\x00"]), id="control-option"),
        pytest.param(_poll(["yes", "no"], prompt=""), id="empty-prompt"),
        pytest.param(_poll(["yes", "no"], prompt="x" * 301), id="long-prompt"),
        pytest.param(_poll(["yes", "no"], seconds=5), id="too-short"),
    ],
)
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_bad_poll_is_refused(frame, lecture_world):
    # given
    (teacher,) = await _room(lecture_world, "teacher")
    try:
        # when
        await teacher.send_json_to(frame)
        # then
        assert (await next_of(teacher, "error"))["code"] == "invalid"
        assert not await sync_to_async(LiveQuestion.objects.exists)()
    finally:
        await leave(teacher)


@pytest.mark.parametrize("count", [2, 6])
@pytest.mark.usefixtures("hub")
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_poll_of_two_to_six_options_is_pushed(count, lecture_world):
    # given
    student, teacher = await _room(lecture_world, "student", "teacher")
    try:
        # when
        card = await _pushed(teacher, [student], _poll([f"option {n}" for n in range(count)]))
        # then
        assert [option["id"] for option in card["options"]] == list("abcdef")[:count]
    finally:
        await leave(student, teacher)


# --- Live assessments stay out of the course's lists ------------------------------------------


@pytest.fixture
def live_assessment(lecture_world):
    """The hidden assessment of a question pushed in lecture_world's live lecture, answered."""
    from livestream.services.questions import live_answer

    live = live_question_push(
        lecture=lecture_world["lecture"],
        question=lecture_world["single"],
        seconds=60,
        by=lecture_world["teacher"],
    )
    live_answer(live=live, student=lecture_world["student"], answer={"choice": "a"})
    return live.assessment


def _page(client, user, name, *args):
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_a_live_assessment_is_not_on_the_course_page(client, lecture_world, live_assessment):
    # given a live assessment; when the student and the teacher open the course page
    for user in (lecture_world["student"], lecture_world["teacher"]):
        page = _page(client, user, "courses:course_detail", lecture_world["course"].pk)
        # then it is not listed
        assert live_assessment.title not in page
        assert reverse("assessments:detail", args=[live_assessment.pk]) not in page


def test_a_live_assessment_is_not_in_the_teachers_manage_list_or_gradebook(
    client, lecture_world, live_assessment
):
    # given a live assessment with a graded attempt
    teacher, course = lecture_world["teacher"], lecture_world["course"]
    # when the teacher opens the manage list and the gradebook
    manage = _page(client, teacher, "assessments:manage_list", course.pk)
    gradebook = _page(client, teacher, "assessments:gradebook", course.pk)
    # then neither shows it
    assert live_assessment.title not in manage
    assert live_assessment.title not in gradebook


@pytest.mark.parametrize("person", ["student", "teacher"])
def test_the_assessments_api_does_not_list_live_assessments(
    person, client, lecture_world, live_assessment
):
    # given a live assessment
    client.force_login(lecture_world[person])
    # when
    response = client.get(reverse("assessments-api:assessment-list"))
    # then
    assert response.status_code == 200
    assert live_assessment.pk not in [row["id"] for row in response.json()]


def test_a_student_cannot_open_or_start_a_live_assessment_as_a_test(
    client, lecture_world, live_assessment
):
    # given
    client.force_login(lecture_world["second"])
    # when
    page = client.get(reverse("assessments:detail", args=[live_assessment.pk]))
    start = client.post(reverse("assessments-api:attempt-start", args=[live_assessment.pk]))
    # then
    assert page.status_code == 404
    assert start.status_code == 404
    assert Attempt.objects.filter(student=lecture_world["second"]).count() == 0


def test_the_assessments_api_refuses_to_create_a_live_assessment(client, lecture_world):
    # given
    client.force_login(lecture_world["teacher"])
    # when
    response = client.post(
        reverse("assessments-api:assessment-list"),
        {"course": lecture_world["course"].pk, "title": "Sneaky", "kind": "live"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "kind"
    assert not Assessment.objects.filter(title="Sneaky").exists()
