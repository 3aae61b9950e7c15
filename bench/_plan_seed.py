"""
Data for `python -m bench plan_latency`, created through the project's services in the bench
database.

Run by the bench as `python -m bench._plan_seed --students N` with
DJANGO_SETTINGS_MODULE=bench._settings and DATABASE_URL pointing at the throw-away bench database.
Creates one school, one published course with six knowledge points in a prerequisite chain,
twelve lessons tagged with them, a bank of 20 true/false and single-choice questions tagged with
them, and a published unit test of the 20 questions with unlimited attempts. Every one of the N
enrolled students has an API token, a signed-in session (cached_db, as a login leaves it) and an
attempt at the test already started with all 20 answers saved, right or wrong by a pattern that
leaves each student a few weak knowledge points: the bench then measures only submit → plan.

Then, outside the load, a few more students submit in this process and their refresh
(`personalization.services.learner.learner_refresh`) is timed in-process, split into mastery,
plan and the rest (locks, outbox, commit and the push), with the SQL queries of one refresh.

Prints one line `BENCH_SEED {json}`: the students (id, token, session key, attempt), the session
cookie's name, the test's id and the in-process profile.
"""

import argparse
import itertools
import json
import math
import multiprocessing
import statistics
import time
from collections import defaultdict
from functools import partial
from importlib import import_module

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

import personalization.services.learner as learner_module  # noqa: E402
from assessments.models import Assessment  # noqa: E402
from assessments.services.attempts import attempt_start, attempt_submit, response_save  # noqa: E402
from assessments.services.authoring import (  # noqa: E402
    assessment_create,
    assessment_publish,
    assessment_set_questions,
)
from assessments.services.questions import question_create  # noqa: E402
from bench._exam_seed import KINDS  # noqa: E402
from bench._exam_seed import _question as _exam_question  # noqa: E402
from bench._seed import _counted, _person  # noqa: E402
from courses.models import Level  # noqa: E402
from courses.services import authoring, enrollment  # noqa: E402
from lms import services  # noqa: E402
from lms.models import Role, User  # noqa: E402

KNOWLEDGE_POINTS = ["Numbers", "Expressions", "Equations", "Inequalities", "Functions", "Graphs"]
LESSONS_PER_POINT = 2
QUESTIONS = 20
# Students outside the load whose refresh is timed in this process (the first loads the model).
PROFILE_STUDENTS = 6
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _question_spec(i: int) -> dict:
    """
    Question `i` of the bank: exam_rush's true/false (even `i`) and single-choice (odd `i`)
    questions (bench/_exam_seed.py), with one right and one wrong answer.
    """
    question = _exam_question(6 * (i // 2) + (KINDS.index("true_false") if i % 2 == 0 else 0))
    assert question["kind"] in ("true_false", "single_choice"), question["kind"]
    return question


def _is_right(student: int, question: int, point: int) -> bool:
    """Each student is weak on about a third of the knowledge points and strong on the rest."""
    if (student + point) % 3 == 0:
        return (student + question) % 4 == 0  # weak: one answer in four right
    return (student * 7 + question * 3) % 5 != 0  # strong: four in five right


def _session_key(user) -> str:
    """A signed-in session as `django.contrib.auth.login` leaves it; the cookie's value."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = SESSION_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


@transaction.atomic
def _world(count: int) -> dict:
    school = services.school_create(name="Plan Latency School", slug="plan-latency")
    teacher = _person("plan-teacher", school=school, role=Role.TEACHER)
    students = [
        _person(f"plan-student{i:05d}", school=school, role=Role.STUDENT)
        for i in range(1, count + 1)
    ]
    classroom = services.classroom_create(
        school=school, name="Grade 9 · Class 1", homeroom_teachers=[teacher]
    )
    services.classroom_add_students(classroom=classroom, students=students)
    course = authoring.course_create(
        school=school,
        code="ALG-090",
        title="Algebra basics",
        subject="Mathematics",
        level=Level.JUNIOR,
        teachers=[teacher],
        is_published=True,
    )
    points = [authoring.knowledge_point_create(course=course, name=n) for n in KNOWLEDGE_POINTS]
    for earlier, later in itertools.pairwise(points):
        authoring.knowledge_point_add_prerequisite(knowledge_point=later, prerequisite=earlier)
    for m, point in enumerate(points):
        module = authoring.module_create(course=course, title=f"{m + 1}. {point.name}")
        for n in range(LESSONS_PER_POINT):
            authoring.lesson_create(
                module=module,
                title=f"{point.name} {m + 1}.{n + 1}",
                estimated_minutes=10 + 5 * n,
                knowledge_points=[point],
            )
    enrollment.classroom_enroll(classroom=classroom, course=course)
    bank, questions = [], []
    for i in range(QUESTIONS):
        spec = _question_spec(i)
        point_index = i % len(points)
        question = question_create(
            course=course,
            kind=spec["kind"],
            stem=spec["stem"],
            spec=spec["spec"],
            points=spec["points"],
            knowledge_points=[points[point_index]],
            created_by=teacher,
        )
        bank.append(
            {
                "id": question.pk,
                "point": point_index,
                "right": spec["right"][0],
                "wrong": spec["wrong"][0],
            }
        )
        questions.append(question)
    test = assessment_create(
        course=course, created_by=teacher, title="Unit test 1", kind="unit_test", attempts_allowed=0
    )
    assessment_set_questions(assessment=test, questions=questions)
    assessment_publish(assessment=test, published=True)
    Token.objects.bulk_create(Token(user=s, key=Token.generate_key()) for s in students)
    return {"course": course, "test": test, "students": students, "bank": bank}


def _started_attempt(test, student, index: int, bank: list[dict]):
    """The student's attempt, started and every answer saved, through the services."""
    attempt, _created = attempt_start(assessment=test, student=student)
    by_question = {q["id"]: (i, q) for i, q in enumerate(bank)}
    for response in attempt.responses.order_by("position"):
        i, q = by_question[response.question_id]
        answer = q["right"] if _is_right(index, i, q["point"]) else q["wrong"]
        response_save(attempt=attempt, question_id=response.question_id, answer=answer, seq=1)
    return attempt


def _students_ready(test_id: int, bank: list[dict], chunk: list[tuple[int, int]]) -> list[dict]:
    """
    For each (index, student id) of `chunk`, in one transaction: the attempt started with all
    answers saved, and a signed-in session. Runs in a pool process of its own.
    """
    test = Assessment.objects.get(pk=test_id)
    students = User.objects.in_bulk([student_id for _index, student_id in chunk])
    tokens = dict(Token.objects.filter(user_id__in=list(students)).values_list("user_id", "key"))
    found = []
    with transaction.atomic():
        for index, student_id in chunk:
            student = students[student_id]
            attempt = _started_attempt(test, student, index, bank)
            found.append(
                {
                    "id": student_id,
                    "token": tokens[student_id],
                    "session": _session_key(student),
                    "attempt": attempt.pk,
                }
            )
    connections.close_all()
    return found


def _all_students_ready(test_id: int, bank: list[dict], students: list, jobs: int) -> list[dict]:
    """`_students_ready` for every student, `jobs` processes at once (most time is SQL)."""
    pairs = [(index, student.pk) for index, student in enumerate(students)]
    size = max(1, math.ceil(len(pairs) / (4 * jobs)))
    chunks = [pairs[k : k + size] for k in range(0, len(pairs), size)]
    connections.close_all()
    # Spawned, not forked: a forked child would share the parent's connection pool.
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        done = pool.map(partial(_students_ready, test_id, bank), chunks, chunksize=1)
    return [student for chunk in done for student in chunk]


# --- Profile ------------------------------------------------------------------------------------


def _timing(spent: dict[str, list[float]], name: str, function):
    """`function`, timed into `spent[name]` (wall milliseconds)."""

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name].append(1000 * (time.perf_counter() - started))

    return timed


def _profile(test, students: list, bank: list[dict], offset: int) -> dict:
    """Submit, then time each student's refresh in this process (as the worker runs it)."""
    spent: dict[str, list[float]] = defaultdict(list)
    learner_module.mastery_refresh = _timing(spent, "mastery", learner_module.mastery_refresh)
    learner_module.plan_rebuild = _timing(spent, "plan", learner_module.plan_rebuild)
    totals, queries = [], None
    for k, student in enumerate(students):
        attempt = _started_attempt(test, student, offset + k, bank)
        attempt_submit(attempt=attempt, student=student)
        started = time.perf_counter()
        if k == 1:
            _plan, queries = _counted(
                lambda s=student: learner_module.learner_refresh(student_id=s.pk)
            )
        else:
            learner_module.learner_refresh(student_id=student.pk)
        totals.append(1000 * (time.perf_counter() - started))
    # The first refresh loads the model and warms this process; the others are the steady state.
    # The query-counted one (the second) is left out of the medians too.
    steady = [k for k in range(len(students)) if k not in (0, 1)]

    def median(values: list[float]) -> float:
        return round(statistics.median(values[k] for k in steady), 2)

    rest = [totals[k] - spent["mastery"][k] - spent["plan"][k] for k in range(len(students))]
    return {
        "refreshes": len(steady),
        "first_refresh_ms": round(totals[0], 2),
        "refresh_median_ms": median(totals),
        "mastery_median_ms": median(spent["mastery"]),
        "plan_median_ms": median(spent["plan"]),
        "rest_median_ms": median(rest),
        "refresh_sql_queries": len(queries or []),
        "refresh_sql_ms": round(sum(s["ms"] for s in queries or []), 2),
        "note": (
            "learner_refresh timed in the seed process (no server, no worker), after a submit "
            "of 20 answers; medians over the students after the first (model load) and the "
            "second (whose SQL statements were counted); mastery = mastery_refresh, plan = "
            "plan_rebuild, rest = the learner's lock, outbox rows, commit and the push"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, required=True)
    parser.add_argument("--jobs", type=int, default=3, help="processes starting the attempts")
    args = parser.parse_args()
    started = time.perf_counter()
    world = _world(args.students + PROFILE_STUDENTS)
    test, bank = world["test"], world["bank"]
    students, profiled = world["students"][: args.students], world["students"][args.students :]
    found = _all_students_ready(test.pk, bank, students, args.jobs)
    seed_seconds = time.perf_counter() - started
    profile = _profile(test, profiled, bank, len(students))
    seeded = {
        "course_id": world["course"].pk,
        "test_id": test.pk,
        "questions": len(bank),
        "knowledge_points": len(KNOWLEDGE_POINTS),
        "lessons": len(KNOWLEDGE_POINTS) * LESSONS_PER_POINT,
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "students": found,
        "profile_student_ids": [s.pk for s in profiled],
        "seed_seconds": round(seed_seconds, 1),
        "seed_jobs": args.jobs,
        "profile": profile,
    }
    print("BENCH_SEED " + json.dumps(seeded))


if __name__ == "__main__":
    main()
