"""Demo question banks, assessments and past attempts for `seed_demo` (after the demo courses)."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, Question
from assessments.services.attempts import attempt_start, attempt_submit, response_save
from assessments.services.authoring import (
    DrawRuleSpec,
    assessment_create,
    assessment_publish,
    assessment_set_draw_rules,
    assessment_set_questions,
)
from assessments.services.questions import question_create
from assessments.spec import answer_clean
from courses.models import Course
from lms.demo import DemoSchool

# code → [(kind, knowledge point, difficulty, stem, spec, explanation, a right answer)]
BANKS = {
    "MATH-10": [
        (
            "single_choice",
            "One-step equations",
            1,
            "Solve $x + 5 = 12$.",
            {
                "choices": [
                    {"text": "$x = 7$", "fraction": 1, "feedback": "Subtract 5 from both sides."},
                    {"text": "$x = 17$", "feedback": "You added 5 instead of subtracting it."},
                    {"text": "$x = -7$"},
                ]
            },
            "Undo the addition: $x = 12 - 5 = 7$.",
            {"choice": "c1"},
        ),
        (
            "numeric",
            "Two-step equations",
            2,
            "Solve $3x - 4 = 11$ for $x$.",
            {"answers": [{"value": 5, "tolerance": 0}]},
            "Add 4, then divide by 3: $x = 15 / 3 = 5$.",
            {"value": "5"},
        ),
        (
            "multiple_choice",
            "Factoring",
            3,
            "Which values solve $x^2 - 5x + 6 = 0$?",
            {
                "choices": [
                    {"text": "$2$", "fraction": 0.5},
                    {"text": "$3$", "fraction": 0.5},
                    {"text": "$-2$", "fraction": -1},
                    {"text": "$6$", "fraction": -1},
                ],
                "partial_credit": True,
            },
            "$x^2 - 5x + 6 = (x - 2)(x - 3)$.",
            {"choices": ["c1", "c2"]},
        ),
        (
            "true_false",
            "Quadratic formula",
            2,
            "A quadratic with a negative discriminant has two real roots.",
            {"answer": False, "feedback_true": "A negative $b^2 - 4ac$ gives no real root."},
            "The roots are real only when $b^2 - 4ac \\ge 0$.",
            {"value": False},
        ),
        (
            "ordering",
            "Two-step equations",
            3,
            "Put the steps for solving $2x + 3 = 9$ in order.",
            {
                "items": [
                    {"text": "Subtract 3 from both sides"},
                    {"text": "Divide both sides by 2"},
                    {"text": "Check: $2 \\cdot 3 + 3 = 9$"},
                ],
                "partial_credit": True,
            },
            "",
            {"order": ["i1", "i2", "i3"]},
        ),
        (
            "short_text",
            "Equations",
            1,
            "What do we call the letter we solve for?",
            {"answers": [{"text": "unknown"}, {"text": "variable"}, {"text": "未知数"}]},
            "",
            {"text": "unknown"},
        ),
    ],
    "ML-101": [
        (
            "single_choice",
            "Squared error",
            2,
            "For targets $y = (1, 3)$ and predictions $\\hat y = (2, 3)$, what is the mean "
            "squared error?",
            {
                "choices": [
                    {"text": "$0.5$", "fraction": 1},
                    {"text": "$1$", "feedback": "Divide by $n$."},
                    {"text": "$0.25$"},
                ]
            },
            "$\\frac{1}{2}((1-2)^2 + 0^2) = 0.5$.",
            {"choice": "c1"},
        ),
        (
            "numeric",
            "Sigmoid",
            2,
            "What is $\\sigma(0)$, the sigmoid of zero?",
            {"answers": [{"value": 0.5, "tolerance": 0.001}]},
            "$\\sigma(0) = 1 / (1 + e^0) = 1/2$.",
            {"value": "0.5"},
        ),
        (
            "true_false",
            "Gradient descent",
            2,
            "A larger learning rate always makes gradient descent converge faster.",
            {"answer": False, "feedback_true": "Too large a step overshoots and may diverge."},
            "",
            {"value": False},
        ),
        (
            "short_text",
            "Cross-entropy",
            3,
            "Which loss is minimised when fitting logistic regression by maximum likelihood?",
            {
                "answers": [{"text": "cross-entropy"}, {"text": "log loss"}],
                "regex": "(binary )?cross[- ]?entropy( loss)?",
            },
            "",
            {"text": "cross-entropy"},
        ),
        (
            "multiple_choice",
            "Classification threshold",
            3,
            "Raising the classification threshold from 0.5 to 0.8 usually…",
            {
                "choices": [
                    {"text": "raises precision", "fraction": 1},
                    {"text": "lowers recall", "fraction": 0},
                    {"text": "raises recall", "fraction": 0},
                ],
                "partial_credit": False,
            },
            "Fewer positives are predicted: those left are surer (precision up), more are missed.",
            {"choices": ["c1"]},
        ),
    ],
    "CHN-7": [
        (
            "single_choice",
            "五言绝句",
            1,
            "《静夜思》的作者是谁？",
            {
                "choices": [
                    {"text": "李白", "fraction": 1},
                    {"text": "杜甫"},
                    {"text": "王维"},
                ]
            },
            "《静夜思》是李白的五言绝句。",
            {"choice": "c1"},
        ),
        (
            "true_false",
            "五言律诗",
            2,
            "律诗每首有八句。",
            {"answer": True},
            "律诗八句，绝句四句。",
            {"value": True},
        ),
        (
            "short_text",
            "意象",
            2,
            "“国破山河在”的下一句是什么？",
            {"answers": [{"text": "城春草木深"}]},
            "杜甫《春望》。",
            {"text": "城春草木深"},
        ),
    ],
}


def _bank(course: Course, teacher) -> list[Question]:
    points = {p.name: p for p in course.knowledge_points.all()}
    questions = []
    for kind, point, difficulty, stem, spec, explanation, _right in BANKS[course.code]:
        questions.append(
            question_create(
                course=course,
                kind=kind,
                stem=stem,
                spec=spec,
                explanation=explanation,
                difficulty=difficulty,
                knowledge_points=[points[point]] if point in points else [],
                tags=["demo"],
                created_by=teacher,
            )
        )
    return questions


def _past_attempts(assessment: Assessment, students, rights: dict[int, dict], rng) -> int:
    """Some students took it an hour ago, each with their own share of right answers."""
    taken = 0
    started = timezone.now() - timedelta(hours=1)
    for n, student in enumerate(students):
        attempt, created = attempt_start(assessment=assessment, student=student, now=started)
        if not created:
            continue
        skill = 0.35 + 0.6 * (n / max(1, len(students) - 1))
        for response in attempt.responses.select_related("question", "version"):
            if rng.random() < skill:
                answer = rights[response.question_id]
            else:
                answer = _wrong_answer(response.question.kind, response.version.spec, rng)
            answer = answer_clean(response.question.kind, response.version.spec, answer)
            response_save(
                attempt=attempt,
                question_id=response.question_id,
                answer=answer,
                seq=1,
                now=started + timedelta(minutes=5),
            )
        attempt_submit(attempt=attempt, now=started + timedelta(minutes=10))
        taken += 1
    return taken


def _wrong_answer(kind: str, spec: dict, rng) -> dict:
    match kind:
        case "single_choice":
            return {"choice": rng.choice([c for c in spec["choices"] if c["fraction"] < 1])["id"]}
        case "multiple_choice":
            return {"choices": [c["id"] for c in spec["choices"] if c["fraction"] <= 0][:1]}
        case "true_false":
            return {"value": not spec["answer"]}
        case "numeric":
            return {"value": str(float(spec["answers"][0]["value"]) + 1)}
        case "short_text":
            return {"text": "?"}
        case _:
            return {"order": [item["id"] for item in reversed(spec["items"])]}


@transaction.atomic
def seed_demo_assessments(demo: DemoSchool) -> list[str]:
    rng = random.Random(7)
    lines = []
    for code in BANKS:
        course = Course.objects.filter(school=demo.school, code=code).first()
        if course is None or course.questions.exists():
            continue
        teacher = course.teachers.first()
        questions = _bank(course, teacher)
        rights = {q.pk: entry[6] for q, entry in zip(questions, BANKS[code], strict=True)}
        practice = assessment_create(
            course=course,
            created_by=teacher,
            title="Practice quiz",
            kind="practice",
            instructions="Practise as often as you like: answers and feedback right away.",
            attempts_allowed=0,
            layout="all_on_one_page",
            shuffle_choices=True,
        )
        assessment_set_questions(assessment=practice, questions=questions)
        assessment_publish(assessment=practice, published=True)
        unit = assessment_create(
            course=course,
            created_by=teacher,
            title="Unit test 1",
            kind="unit_test",
            instructions="One attempt, 20 minutes. Answers are shown after the test closes.",
            time_limit_minutes=20,
            closes_at=timezone.now() + timedelta(days=14),
            review_policy="after_close",
            shuffle_questions=True,
        )
        assessment_set_questions(assessment=unit, questions=questions)
        assessment_publish(assessment=unit, published=True)
        mock = assessment_create(
            course=course,
            created_by=teacher,
            title="Mock exam",
            kind="mock_exam",
            instructions="Questions are drawn at random from the bank for each student.",
            time_limit_minutes=30,
            selection="random",
            attempts_allowed=2,
        )
        assessment_set_draw_rules(
            assessment=mock, rules=[DrawRuleSpec(count=min(4, len(questions)))]
        )
        assessment_publish(assessment=mock, published=True)
        enrolled = [s for s in demo.students if course.enrollments.filter(student=s).exists()]
        taken = _past_attempts(practice, enrolled[:6], rights, rng)
        taken += _past_attempts(unit, enrolled[:4], rights, rng)
        lines.append(f"  {code}: {len(questions)} questions, 3 assessments, {taken} past attempts")
    return lines
