"""
Data for `python -m bench exam_rush`, created through the project's services in the bench database.

Run by the bench as `python -m bench._exam_seed --students N --warmup W` with
DJANGO_SETTINGS_MODULE=bench._settings and DATABASE_URL pointing at the throw-away bench database.
Creates one school, one course, a bank of questions of the six kinds, the exam the students take
(fixed list, questions and choices shuffled, 90 minutes) and a second assessment with the same
questions that every student has already started: the rows the baseline views write.

Prints one line `BENCH_SEED {json}`: the exam's id, each student's API token and baseline attempt,
each question's points with a right and a wrong answer (in the canonical shape the API stores, so
the bench can compare the database with what it sent and compute each score itself), and the
profile of each endpoint: SQL queries, SQL time and in-process time through Django's test client
(no server), plus where a submit's time goes (cProfile, cumulative time of a few functions).
"""

import argparse
import cProfile
import json
import pstats
import statistics
import time
from decimal import Decimal
from functools import partial

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from assessments.models import AssessmentKind  # noqa: E402
from assessments.services.attempts import attempt_start  # noqa: E402
from assessments.services.authoring import (  # noqa: E402
    assessment_create,
    assessment_publish,
    assessment_set_questions,
)
from assessments.services.questions import question_create  # noqa: E402
from bench._seed import _counted, _person  # noqa: E402
from courses.models import Level  # noqa: E402
from courses.services import authoring, enrollment  # noqa: E402
from lms import services  # noqa: E402
from lms.models import Role  # noqa: E402

QUESTIONS = 20
# Students outside the load who are profiled in-process (one for the query counts, the rest timed).
PROFILE_STUDENTS = 6
KINDS = ("single_choice", "numeric", "short_text", "multiple_choice", "true_false", "ordering")
POINTS = (Decimal(1), Decimal(2), Decimal("1.5"), Decimal("0.5"))


def _question(i: int) -> dict:
    """
    Question `i`: kind, points, spec, and answers in the shape `answer_clean` stores them, so the
    database must hold exactly what was sent. `right` variants earn full credit, `wrong` none.
    """
    kind = KINDS[i % len(KINDS)]
    n = i + 1
    points = POINTS[i % len(POINTS)]
    stem = f"**Question {n}.** Solve and answer: $x^{{{n % 3 + 2}}} + {n}x = {n * 7}$."
    match kind:
        case "single_choice":
            right = f"c{i % 4 + 1}"
            spec = {
                "choices": [
                    {
                        "id": f"c{k}",
                        "text": f"Option {k}: $x = {k + n}$",
                        "fraction": 1 if f"c{k}" == right else 0,
                        "feedback": "Check the sign." if f"c{k}" != right else "",
                    }
                    for k in range(1, 5)
                ]
            }
            wrong = "c1" if right != "c1" else "c2"
            rights, wrongs = [{"choice": right}], [{"choice": wrong}]
        case "multiple_choice":
            spec = {
                "choices": [
                    {"id": f"m{k}", "text": f"Statement {k}", "fraction": 0.5 if k in (1, 3) else 0}
                    for k in range(1, 6)
                ],
                "partial_credit": False,
            }
            rights = [{"choices": ["m1", "m3"]}]
            wrongs = [{"choices": ["m1"]}, {"choices": ["m1", "m2", "m3"]}]
        case "true_false":
            truth = i % 2 == 0
            spec = {"answer": truth, "feedback_true": "", "feedback_false": "Read it again."}
            rights, wrongs = [{"value": truth}], [{"value": not truth}]
        case "numeric":
            value = Decimal(n) + Decimal("0.5")
            spec = {
                "answers": [{"value": str(value), "tolerance": "0.01", "fraction": 1}],
                "unit": "m",
            }
            rights = [
                {"value": str(value), "unit": "m"},
                {"value": str(value + Decimal("0.005")), "unit": ""},
                {"value": f"{value}0", "unit": "M"},
            ]
            wrongs = [{"value": str(value + 1), "unit": "m"}, {"value": str(value), "unit": "kg"}]
        case "short_text":
            word = ("Photosynthesis", "Mitochondria", "Equilibrium", "Catalyst")[i % 4]
            spec = {"answers": [{"text": word, "fraction": 1}], "case_sensitive": False}
            full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in word.upper())
            rights = [{"text": word}, {"text": f"  {word.lower()}  "}, {"text": full_width}]
            wrongs = [{"text": "Respiration"}, {"text": ""}]
        case _:  # ordering
            spec = {
                "items": [{"id": f"i{k}", "text": f"Step {k}"} for k in range(1, 5)],
                "partial_credit": False,
            }
            rights = [{"order": ["i1", "i2", "i3", "i4"]}]
            wrongs = [{"order": ["i2", "i1", "i3", "i4"]}, {"order": ["i4", "i3", "i2", "i1"]}]
    return {
        "kind": kind,
        "points": points,
        "stem": stem,
        "spec": spec,
        "right": rights,
        "wrong": wrongs,
    }


@transaction.atomic
def _seed(students_count: int) -> dict:
    school = services.school_create(name="Exam Rush School", slug="exam-rush")
    teacher = _person("exam-teacher", school=school, role=Role.TEACHER)
    students = [
        _person(f"exam-student{i:05d}", school=school, role=Role.STUDENT)
        for i in range(1, students_count + PROFILE_STUDENTS + 1)
    ]
    classroom = services.classroom_create(
        school=school, name="Exam hall", homeroom_teachers=[teacher]
    )
    services.classroom_add_students(classroom=classroom, students=students)
    course = authoring.course_create(
        school=school,
        code="EXAM-101",
        title="Final exam course",
        subject="Mathematics",
        level=Level.SENIOR,
        teachers=[teacher],
        is_published=True,
    )
    enrollment.classroom_enroll(classroom=classroom, course=course)

    catalog = [_question(i) for i in range(QUESTIONS)]
    questions = [
        question_create(
            course=course,
            kind=q["kind"],
            stem=q["stem"],
            spec=q["spec"],
            points=q["points"],
            explanation="Work it out step by step: $\\frac{a}{b}$.",
            created_by=teacher,
        )
        for q in catalog
    ]
    exams = []
    for title in ("Final exam", "Baseline copy (bench only)"):
        exam = assessment_create(
            course=course,
            created_by=teacher,
            title=title,
            kind=AssessmentKind.EXAM,
            time_limit_minutes=90,
            shuffle_questions=True,
            shuffle_choices=True,
        )
        assessment_set_questions(assessment=exam, questions=questions)
        assessment_publish(assessment=exam, published=True)
        exams.append(exam)
    exam, baseline_exam = exams
    Token.objects.bulk_create(Token(user=s, key=Token.generate_key()) for s in students)
    return {
        "course": course,
        "exam": exam,
        "baseline_exam": baseline_exam,
        "students": students,
        "questions": [
            {
                "id": question.pk,
                "kind": q["kind"],
                "points": str(q["points"]),
                "right": q["right"],
                "wrong": q["wrong"],
            }
            for question, q in zip(questions, catalog, strict=True)
        ],
    }


def _baseline_attempts(baseline_exam, students) -> list[int]:
    """Every student's attempt at the baseline copy, started through the service."""
    ids = []
    for student in students:
        attempt, _created = attempt_start(assessment=baseline_exam, student=student)
        ids.append(attempt.pk)
    return ids


# --- Profile ----------------------------------------------------------------------------------


def _timed(call) -> tuple[object, float, float]:
    """(result, wall milliseconds, this process's CPU milliseconds)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


# Where a submit's time goes: cumulative time in these functions (file suffix, name). When a name
# matches nested functions (Serializer.data calls BaseSerializer.data) the outermost one counts.
_BREAKDOWN = {
    "view (AttemptSubmitApi.post)": ("assessments/api/views.py", "post"),
    "service (attempt_submit: lock, load, grade, save; no commit)": (
        "assessments/services/attempts.py",
        "attempt_submit",
    ),
    "grading (assessments.grading.grade)": ("assessments/grading.py", "grade"),
    "commit (Atomic.__exit__, with the on-commit callbacks)": (
        "django/db/transaction.py",
        "__exit__",
    ),
    "on-commit broadcast (lms.services._SendLoop.group_send)": ("lms/services.py", "group_send"),
    "result (assessments.selectors.attempt_review)": ("assessments/selectors.py", "attempt_review"),
    "serializing the result (Serializer.data)": ("rest_framework/serializers.py", "data"),
    "rendering JSON (Response.rendered_content)": (
        "rest_framework/response.py",
        "rendered_content",
    ),
    "authentication (Request._authenticate)": ("rest_framework/request.py", "_authenticate"),
    "throttles (SimpleRateThrottle.allow_request, Redis)": (
        "rest_framework/throttling.py",
        "allow_request",
    ),
    "sql (CursorWrapper._execute: psycopg and PostgreSQL)": (
        "django/db/backends/utils.py",
        "_execute",
    ),
}


def _breakdown(calls) -> dict:
    """Milliseconds per call spent in each `_BREAKDOWN` function, under cProfile (inflated)."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for call in calls:
        call()
    profiler.disable()
    total = (time.perf_counter() - started) * 1000 / len(calls)
    stats = pstats.Stats(profiler).stats
    found = {"total (test client request)": round(total, 2)}
    for label, (suffix, name) in _BREAKDOWN.items():
        cumulative = max(
            (
                entry[3]
                for (filename, _line, function), entry in stats.items()
                if function == name and filename.endswith(suffix)
            ),
            default=0.0,
        )
        found[label] = round(1000 * cumulative / len(calls), 2)
    return found


def _profile(seeded: dict, profiled: list, baseline_ids: list[int]) -> dict:
    """Queries and in-process time of each endpoint, Django's test client, no server."""
    exam_id = seeded["exam"].pk
    questions = seeded["questions"]
    clients = []
    for student in profiled:
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.get(user=student).key}"
        clients.append(client)

    def start(client):
        response = client.post(f"/api/v1/assessments/{exam_id}/attempts/")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def save(client, attempt_id, question, seq):
        body = {"answer": question["right"][0], "seq": seq}
        url = f"/api/v1/assessments/attempts/{attempt_id}/responses/{question['id']}/"
        response = client.put(url, body, content_type="application/json")
        assert response.status_code == 200, response.content

    def submit(client, attempt_id):
        response = client.post(f"/api/v1/assessments/attempts/{attempt_id}/submit/")
        assert response.status_code == 200, response.content

    def baseline_save(client, attempt_id, position, seq):
        body = {"answer": {"choice": "c1"}, "seq": seq}
        url = f"/bench/exam-baseline/save/?attempt={attempt_id}&position={position}"
        response = client.put(url, body, content_type="application/json")
        assert response.status_code == 200, response.content

    def baseline_submit(client, attempt_id):
        response = client.post(f"/bench/exam-baseline/submit/?attempt={attempt_id}")
        assert response.status_code == 200, response.content

    # The first student: query counts and SQL time of one request of each kind.
    first = clients[0]
    counted = {}
    attempt_id, counted["start"] = _counted(partial(start, first))
    saves = [_counted(partial(save, first, attempt_id, q, k + 1)) for k, q in enumerate(questions)]
    counted["autosave"] = saves[-1][1]
    _, counted["submit"] = _counted(partial(submit, first, attempt_id))
    _, counted["submit_again"] = _counted(partial(submit, first, attempt_id))
    _, counted["baseline_autosave"] = _counted(partial(baseline_save, first, baseline_ids[0], 0, 1))
    _, counted["baseline_submit"] = _counted(partial(baseline_submit, first, baseline_ids[0]))

    # The others: in-process times (not instrumented), then the submit breakdown under cProfile.
    timed = {name: [] for name in ("start", "autosave", "submit")}
    timed |= {"baseline_autosave": [], "baseline_submit": []}
    for client, baseline_id in zip(clients[1:3], baseline_ids[1:3], strict=True):
        attempt, *times = _timed(partial(start, client))
        timed["start"].append(times)
        for k, q in enumerate(questions):
            timed["autosave"].append(_timed(partial(save, client, attempt, q, k + 1))[1:])
        timed["submit"].append(_timed(partial(submit, client, attempt))[1:])
        for position in range(len(questions)):
            call = partial(baseline_save, client, baseline_id, position, 1)
            timed["baseline_autosave"].append(_timed(call)[1:])
        call = partial(baseline_submit, client, baseline_id)
        timed["baseline_submit"].append(_timed(call)[1:])
    submits = []
    for client in clients[3:]:
        attempt = start(client)
        for k, q in enumerate(questions):
            save(client, attempt, q, k + 1)
        submits.append(partial(submit, client, attempt))
    breakdown = _breakdown(submits)
    # What one on-commit broadcast costs from a request thread (a submit and a start send one).
    broadcast = [
        _timed(
            lambda: services._send_loop.group_send(
                f"assessment.{exam_id}", {"type": "broadcast", "event": "bench", "payload": {}}
            )
        )[1:]
        for _ in range(20)
    ]
    found = {}
    for name, statements in counted.items():
        found[name] = {
            "sql_queries": len(statements),
            "sql_ms": round(sum(s["ms"] for s in statements), 2),
        }
        if name in timed:
            found[name] |= {
                "test_client_median_ms": round(statistics.median(t[0] for t in timed[name]), 2),
                "test_client_median_cpu_ms": round(statistics.median(t[1] for t in timed[name]), 2),
            }
        found[name]["statements"] = statements
    found["submit"]["breakdown_ms_under_cprofile"] = breakdown
    found["submit"]["on_commit_broadcast_median_ms"] = round(
        statistics.median(t[0] for t in broadcast), 2
    )
    found["submit"]["on_commit_broadcast_median_cpu_ms"] = round(
        statistics.median(t[1] for t in broadcast), 2
    )
    found["note"] = (
        "statements of one request of each kind, seen by a connection.execute_wrapper (BEGIN "
        "and COMMIT are not statements there; `joins` counts JOINs); test-client medians over 2 "
        "students (start, submit) or 40 requests (autosaves), CPU = this process's, which also "
        "runs the test client; the breakdown is cumulative time per submit under cProfile "
        f"(which inflates Python time), over {PROFILE_STUDENTS - 3} submits; the broadcast is "
        "the channel-layer send that event_send_on_commit makes (lms.services._SendLoop)"
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    seeded = _seed(args.students)
    students = seeded["students"]
    baseline_ids = _baseline_attempts(seeded["baseline_exam"], students)
    seed_seconds = time.perf_counter() - started
    load_students = students[: args.students]
    profile = _profile(seeded, students[args.students :], baseline_ids[args.students :])
    tokens = dict(Token.objects.filter(user__in=load_students).values_list("user_id", "key"))
    found = {
        "course_id": seeded["course"].pk,
        "exam_id": seeded["exam"].pk,
        "baseline_exam_id": seeded["baseline_exam"].pk,
        "students": [
            {"id": s.pk, "token": tokens[s.pk], "baseline_attempt": baseline_ids[i]}
            for i, s in enumerate(load_students)
        ],
        "questions": seeded["questions"],
        "profile_student_ids": [s.pk for s in students[args.students :]],
        "seed_seconds": round(seed_seconds, 1),
        "profile": profile,
    }
    print("BENCH_SEED " + json.dumps(found))


if __name__ == "__main__":
    main()
