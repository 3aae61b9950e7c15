import pytest

from assessments.services.authoring import assessment_create, assessment_set_questions
from assessments.services.questions import question_create
from lms.models import Role
from tests.courses.conftest import PEOPLE, as_person, course_world, page_status
from tests.factories import KnowledgePointFactory

# One question of every type, with the answer that earns full credit and one that earns none.
QUESTIONS = {
    "single_choice": (
        {
            "choices": [
                {"id": "a", "text": "$x = 2$", "fraction": 1, "feedback": "Yes."},
                {"id": "b", "text": "$x = 3$", "feedback": "Check the sign."},
                {"id": "c", "text": "$x = -2$"},
            ]
        },
        {"choice": "a"},
        {"choice": "b"},
    ),
    "multiple_choice": (
        {
            "choices": [
                {"id": "a", "text": "2", "fraction": 0.5},
                {"id": "b", "text": "3", "fraction": 0.5},
                {"id": "c", "text": "4", "fraction": -1},
            ],
            "partial_credit": True,
        },
        {"choices": ["a", "b"]},
        {"choices": ["c"]},
    ),
    "true_false": ({"answer": True}, {"value": True}, {"value": False}),
    "numeric": (
        {"answers": [{"value": "9.81", "tolerance": "0.05"}], "unit": "m/s²"},
        {"value": "9.8", "unit": "m/s²"},
        {"value": "10.5"},
    ),
    "short_text": (
        {"answers": [{"text": "photosynthesis"}]},
        {"text": " Photosynthesis "},
        {"text": "respiration"},
    ),
    "ordering": (
        {
            "items": [
                {"id": "1", "text": "one"},
                {"id": "2", "text": "two"},
                {"id": "3", "text": "three"},
            ]
        },
        {"order": ["1", "2", "3"]},
        {"order": ["3", "2", "1"]},
    ),
}


def make_question(course, kind="single_choice", **fields):
    spec = QUESTIONS[kind][0]
    return question_create(
        course=course,
        kind=kind,
        stem=fields.pop("stem", f"A {kind.replace('_', ' ')} question"),
        spec=spec,
        **fields,
    )


@pytest.fixture
def exam_world(course_world):
    """
    course_world plus a bank with one question of every type (one point each, tagged with a
    knowledge point) and a published unit test listing all six, open now, no time limit.
    """
    course = course_world["course"]
    point = KnowledgePointFactory(course=course, name="Equations")
    questions = {
        kind: make_question(course, kind, title=f"Q {kind}", knowledge_points=[point])
        for kind in QUESTIONS
    }
    assessment = assessment_create(
        course=course, title="Unit test 1", kind="unit_test", attempts_allowed=2
    )
    assessment_set_questions(assessment=assessment, questions=list(questions.values()))
    assessment.is_published = True
    assessment.save()
    return {
        **course_world,
        "student": course_world["a"][Role.STUDENT],
        "teacher": course_world["a"][Role.TEACHER],
        "point": point,
        "questions": questions,
        "assessment": assessment,
    }


__all__ = ["PEOPLE", "QUESTIONS", "as_person", "course_world", "make_question", "page_status"]
