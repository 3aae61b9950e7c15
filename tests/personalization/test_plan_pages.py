"""The plan's pages and endpoints: who may do what, and bad input refused without a change."""

import pytest

from lms.models import Role
from personalization.models import ItemKind, ItemStatus, PlanItem
from personalization.services.learner import learner_refresh
from tests.factories import EnrollmentFactory, MembershipFactory
from tests.personalization.conftest import PEOPLE, page_status, take

# Who may see the student's plan besides the student: their course's teacher (also their
# homeroom teacher) and the school's admin.
TEACHERS = {"course_teacher", "school_admin"}


@pytest.fixture
def planned(plan_world):
    """The enrolled student's plan after a test with every Equations answer wrong."""
    take(plan_world["student"], plan_world["test"], [False, False, False, True])
    plan = learner_refresh(student_id=plan_world["student"].pk)
    review = plan.items.get(kind=ItemKind.REVIEW)
    return {**plan_world, "plan": plan, "review": review}


@pytest.mark.parametrize("person", PEOPLE)
def test_everyone_signed_in_has_a_plan_page(as_person, planned, person):
    response = as_person(person).get("/learn/plan/")
    assert page_status(response) == ("login" if person == "anonymous" else 200)


def test_the_plan_page_shows_the_steps_and_their_reasons(as_person, planned):
    # when
    response = as_person("enrolled_student").get("/learn/plan/")
    # then
    html = response.content.decode()
    assert "Review “Equations”" in html
    assert "after “Unit test 1”" in html
    assert "Practice: Equations" in html
    assert 'id="plan-steps"' in html


def test_the_fragment_is_only_the_steps(as_person, planned):
    response = as_person("enrolled_student").get("/learn/plan/?fragment=1")
    html = response.content.decode()
    assert "Review “Equations”" in html
    assert "<html" not in html


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_student_marks_their_steps(as_person, planned, person):
    review = planned["review"]
    response = as_person(person).post(f"/learn/plan/steps/{review.pk}/done/")
    review.refresh_from_db()
    if person == "enrolled_student":
        assert response.status_code == 302
        assert review.status == ItemStatus.DONE
    else:
        assert page_status(response) in ("login", 404)
        assert review.status == ItemStatus.OPEN


def test_marking_a_step_with_htmx_returns_the_new_steps(as_person, planned):
    review = planned["review"]
    client = as_person("enrolled_student")
    response = client.post(
        f"/learn/plan/steps/{review.pk}/dismissed/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "1 step done or set aside" in response.content.decode()
    # and back
    client.post(f"/learn/plan/steps/{review.pk}/open/")
    review.refresh_from_db()
    assert review.status == ItemStatus.OPEN


def test_an_unknown_status_is_refused_and_changes_nothing(as_person, planned):
    review = planned["review"]
    response = as_person("enrolled_student").post(
        f"/learn/plan/steps/{review.pk}/removed/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "Choose done, dismissed or open" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ItemStatus.OPEN


@pytest.mark.parametrize("person", PEOPLE)
def test_a_students_plan_is_open_to_their_teachers_only(as_person, planned, person):
    student = planned["student"]
    response = as_person(person).get(f"/learn/students/{student.pk}/plan/")
    expected = 200 if person in TEACHERS else ("login" if person == "anonymous" else 404)
    assert page_status(response) == expected


@pytest.mark.parametrize("person", PEOPLE)
def test_only_teachers_pin_and_remove_steps(as_person, planned, person):
    student, review = planned["student"], planned["review"]
    response = as_person(person).post(f"/learn/students/{student.pk}/plan/steps/{review.pk}/pin/")
    review.refresh_from_db()
    assert review.pinned == (person in TEACHERS)
    if person not in TEACHERS:
        assert page_status(response) in ("login", 404)


def test_a_teacher_adds_a_step_and_bad_input_adds_nothing(as_person, planned):
    # given
    student, lesson = planned["student"], planned["lessons"][1]
    client = as_person("course_teacher")
    url = f"/learn/students/{student.pk}/plan/"
    # when the title is missing, or the lesson is another school's
    client.post(url, {"title": "", "note": "x"})
    other_lesson = planned["other_course"].modules.create(title="M").lessons.create(title="L")
    client.post(url, {"title": "Read this", "lesson": other_lesson.pk})
    # then nothing was added
    assert not PlanItem.objects.filter(kind=ItemKind.TEACHER).exists()
    # when well formed
    response = client.post(
        url, {"title": "Redo exercise 4", "note": "Use the hint", "lesson": lesson.pk}
    )
    # then
    assert response.status_code == 302
    item = PlanItem.objects.get(kind=ItemKind.TEACHER)
    assert (item.pinned, item.lesson, item.note) == (True, lesson, "Use the hint")
    page = as_person("enrolled_student").get("/learn/plan/").content.decode()
    assert "Redo exercise 4" in page
    assert "Use the hint" in page


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_api_plan_is_the_callers_own(as_person, planned, person):
    response = as_person(person).get("/api/v1/personalization/plan/")
    if person == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    body = response.json()
    if person == "enrolled_student":
        assert body["revision"] == 1
        kinds = {step["kind"] for step in body["steps"]}
        assert {"review", "practice"} <= kinds
        review = next(s for s in body["steps"] if s["kind"] == "review")
        assert "Unit test 1" in review["reason"]
    else:
        assert body["steps"] == []


@pytest.mark.parametrize("person", PEOPLE)
def test_api_step_status_only_by_its_student(as_person, planned, person):
    review = planned["review"]
    response = as_person(person).patch(
        f"/api/v1/personalization/plan/steps/{review.pk}/",
        {"status": "done"},
        content_type="application/json",
    )
    review.refresh_from_db()
    if person == "enrolled_student":
        assert response.status_code == 200
        assert response.json()["status"] == "done"
    else:
        assert response.status_code in (401, 403, 404)
        assert review.status == ItemStatus.OPEN


@pytest.mark.parametrize(
    "payload", [{}, {"status": "removed"}, {"status": 3}, {"status": "x" * 5000}, []]
)
def test_api_step_status_bad_input_is_a_clear_400(as_person, planned, payload):
    review = planned["review"]
    response = as_person("enrolled_student").patch(
        f"/api/v1/personalization/plan/steps/{review.pk}/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    review.refresh_from_db()
    assert review.status == ItemStatus.OPEN


@pytest.mark.parametrize("person", PEOPLE)
def test_api_student_plan_for_teachers_only(as_person, planned, person):
    student = planned["student"]
    response = as_person(person).get(f"/api/v1/personalization/students/{student.pk}/plan/")
    if person in TEACHERS:
        assert response.status_code == 200
        assert response.json()["student"] == student.pk
    else:
        assert response.status_code in (401, 403, 404)


@pytest.mark.parametrize("person", PEOPLE)
def test_api_teacher_actions_matrix(as_person, planned, person):
    student, review = planned["student"], planned["review"]
    client = as_person(person)
    removed = client.patch(
        f"/api/v1/personalization/students/{student.pk}/plan/steps/{review.pk}/",
        {"action": "remove"},
        content_type="application/json",
    )
    added = client.post(
        f"/api/v1/personalization/students/{student.pk}/plan/steps/",
        {"title": "Watch the recap"},
        content_type="application/json",
    )
    review.refresh_from_db()
    if person in TEACHERS:
        assert (removed.status_code, added.status_code) == (200, 201)
        assert review.status == ItemStatus.REMOVED
        assert added.json()["pinned"] is True
    else:
        assert removed.status_code in (401, 403, 404)
        assert added.status_code in (401, 403, 404)
        assert review.status == ItemStatus.OPEN
        assert not PlanItem.objects.filter(kind=ItemKind.TEACHER).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": ""},
        {"title": "x" * 201},
        {"title": "ok", "lesson": "one"},
        {"title": "ok", "lesson": 999999},
    ],
)
def test_api_teacher_step_bad_input_is_a_clear_400(as_person, planned, payload):
    student = planned["student"]
    response = as_person("course_teacher").post(
        f"/api/v1/personalization/students/{student.pk}/plan/steps/",
        payload,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    assert not PlanItem.objects.filter(kind=ItemKind.TEACHER).exists()


def test_api_unknown_action_is_refused(as_person, planned):
    student, review = planned["student"], planned["review"]
    response = as_person("course_teacher").patch(
        f"/api/v1/personalization/students/{student.pk}/plan/steps/{review.pk}/",
        {"action": "delete"},
        content_type="application/json",
    )
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == ItemStatus.OPEN


def test_a_teacher_of_another_school_sees_only_their_schools_part(planned, client):
    # given the student is also a student of school B, enrolled in B's course
    student, b = planned["student"], planned["b"]
    MembershipFactory(user=student, school=b["school"], role=Role.STUDENT)
    EnrollmentFactory(student=student, course=planned["other_course"])
    client.force_login(b[Role.TEACHER])
    # when B's teacher looks at the student's plan and mastery
    plan = client.get(f"/api/v1/personalization/students/{student.pk}/plan/").json()
    mastery = client.get(f"/api/v1/personalization/students/{student.pk}/mastery/").json()
    pin = client.patch(
        f"/api/v1/personalization/students/{student.pk}/plan/steps/{planned['review'].pk}/",
        {"action": "pin"},
        content_type="application/json",
    )
    # then school A's steps and courses stay hidden and out of reach
    assert plan["steps"] == []
    assert "Algebra" not in str(mastery)
    assert "B's algebra" in str(mastery)
    assert pin.status_code == 404
    planned["review"].refresh_from_db()
    assert not planned["review"].pinned
