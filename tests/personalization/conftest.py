import pytest

from assessments.services.attempts import attempt_start, attempt_submit, response_save
from assessments.services.authoring import assessment_create, assessment_set_questions
from assessments.services.questions import question_create
from courses.models import KnowledgePointPrerequisite
from lms.models import Role
from tests.courses.conftest import PEOPLE, as_person, course_world, page_status
from tests.factories import KnowledgePointFactory


def true_false(course, point, title):
    return question_create(
        course=course,
        kind="true_false",
        title=title,
        stem=f"{title}?",
        spec={"answer": True},
        knowledge_points=[point],
    )


def take(student, assessment, answers):
    """Start, answer (True = right, False = wrong, per question in order) and submit."""
    attempt, _ = attempt_start(assessment=assessment, student=student)
    for response, right in zip(attempt.responses.order_by("position"), answers, strict=False):
        response_save(
            attempt=attempt, question_id=response.question_id, answer={"value": right}, seq=1
        )
    return attempt_submit(attempt=attempt)


@pytest.fixture
def plan_world(course_world):
    """
    course_world's course with two knowledge points, Equations before Quadratics: lesson 1.1
    teaches Equations, lesson 2.1 Quadratics. The bank holds four true/false questions on
    Equations and three on Quadratics; "Unit test 1" (published, attempts unlimited) lists three
    on Equations and one on Quadratics.
    """
    course = course_world["course"]
    equations = KnowledgePointFactory(course=course, name="Equations")
    quadratics = KnowledgePointFactory(course=course, name="Quadratics")
    KnowledgePointPrerequisite.objects.create(knowledge_point=quadratics, prerequisite=equations)
    lessons = course_world["lessons"]
    lessons[0].knowledge_points.add(equations)
    lessons[2].knowledge_points.add(quadratics)
    course.content_version += 1
    course.save(update_fields=["content_version"])
    on_equations = [true_false(course, equations, f"Equation {i}") for i in range(4)]
    on_quadratics = [true_false(course, quadratics, f"Quadratic {i}") for i in range(3)]
    test = assessment_create(
        course=course, title="Unit test 1", kind="unit_test", attempts_allowed=0
    )
    assessment_set_questions(assessment=test, questions=[*on_equations[:3], on_quadratics[0]])
    test.is_published = True
    test.save()
    return {
        **course_world,
        "student": course_world["a"][Role.STUDENT],
        "teacher": course_world["a"][Role.TEACHER],
        "equations": equations,
        "quadratics": quadratics,
        "test": test,
    }


__all__ = ["PEOPLE", "as_person", "course_world", "page_status", "plan_world", "take"]
