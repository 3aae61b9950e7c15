"""
The class heatmap: students by knowledge points, coloured and written as percentages, with row,
column and class averages; a classroom filter and a weakest-first order; the course's teachers
and the school's admins only; a handful of queries whatever the size of the class.
"""

import re

import pytest
from django.urls import reverse

from courses.models import Enrollment, EnrollmentStatus
from lms.models import Role
from personalization.models import MasteryEstimate
from tests.factories import (
    ClassroomStudentFactory,
    EnrollmentFactory,
    KnowledgePointFactory,
    member,
)
from tests.personalization.conftest import PEOPLE, page_status
from tests.personalization.test_mastery_pages import estimate, mastery_world

EDITORS = {"course_teacher", "school_admin"}

__all__ = ["mastery_world"]


@pytest.fixture
def class_world(mastery_world):
    """
    mastery_world plus two students in A's second classroom: Bea (Fractions 0.20, Decimals
    0.30) and Cy (nothing assessed), and Dee, who dropped the course.
    """
    a = mastery_world["a"]
    bea = member(a["school"], Role.STUDENT, username="bea", display_name="Bea")
    cy = member(a["school"], Role.STUDENT, username="cy", display_name="Cy")
    dee = member(a["school"], Role.STUDENT, username="dee", display_name="Dee")
    for student in (bea, cy):
        EnrollmentFactory(student=student, course=mastery_world["course"])
        ClassroomStudentFactory(classroom=a["other_classroom"], student=student)
    EnrollmentFactory(student=dee, course=mastery_world["course"], status=EnrollmentStatus.DROPPED)
    estimate(bea, mastery_world["fractions"], 0.20)
    estimate(bea, mastery_world["decimals"], 0.30)
    estimate(dee, mastery_world["fractions"], 0.99)
    mastery_world["student"].display_name = "Ann"
    mastery_world["student"].save()
    return {**mastery_world, "bea": bea, "cy": cy, "dee": dee}


def _page(world) -> str:
    return reverse("personalization:course_mastery", args=[world["course"].pk])


def _api(world) -> str:
    return reverse("personalization-api:course_mastery", args=[world["course"].pk])


def _row_names(html: str) -> list[str]:
    return re.findall(r'<tr data-student="\d+" data-name="([^"]+)"', html)


def test_cells_rows_and_columns_show_mastery_and_averages(as_person, class_world):
    # when
    response = as_person("course_teacher").get(_page(class_world))
    # then
    assert response.status_code == 200
    heatmap = response.context["heatmap"]
    assert [c.knowledge_point.name for c in heatmap.columns] == ["Decimals", "Fractions", "Ratios"]
    rows = {row.student.name: row for row in heatmap.rows}
    assert list(rows) == ["Ann", "Bea", "Cy"]  # not Dee, who dropped the course
    assert [cell.mastery for cell in rows["Ann"].cells] == [0.85, 0.44, None]
    assert rows["Ann"].average == pytest.approx(0.645)
    assert (rows["Bea"].weak_count, rows["Cy"].average) == (2, None)
    decimals, fractions, ratios = heatmap.columns
    assert (decimals.average, decimals.assessed_count) == (pytest.approx(0.575), 2)
    assert fractions.average == pytest.approx(0.32)
    assert (ratios.average, ratios.assessed_count) == (None, 0)
    assert heatmap.average == pytest.approx((0.85 + 0.44 + 0.20 + 0.30) / 4)
    html = response.content.decode()
    # colour and text: the cell carries its value for the stylesheet and writes it out
    fractions_cell = 'data-mastery="0.4400" style="--m: 0.4400" title="Needs work · 6 answers, 2'
    assert f'{fractions_cell} correct">44</td>' in html
    assert html.count('<span class="visually-hidden">Not assessed yet</span>') == 5
    assert '<td class="heat-average">65%</td>' in html  # Ann: (0.85 + 0.44) / 2, half up
    point = class_world["fractions"].pk
    assert f'<td class="heat-column-average" data-kp="{point}">32</td>' in html
    # each student links to their mastery page
    assert reverse("personalization:student_mastery", args=[class_world["bea"].pk]) in html
    assert f'data-socket="/ws/personalization/courses/{class_world["course"].pk}/mastery/"' in html


def test_weakest_first_puts_the_lowest_average_on_top_and_the_unassessed_last(
    as_person, class_world
):
    response = as_person("course_teacher").get(_page(class_world), {"sort": "weakness"})
    assert _row_names(response.content.decode()) == ["Bea", "Ann", "Cy"]
    assert 'aria-sort="ascending"><a href="?sort=weakness">' in response.content.decode()


def test_an_unknown_order_falls_back_to_names(as_person, class_world):
    response = as_person("course_teacher").get(_page(class_world), {"sort": "<script>"})
    assert response.status_code == 200
    assert _row_names(response.content.decode()) == ["Ann", "Bea", "Cy"]


def test_a_classroom_filter_keeps_its_students_and_their_averages(as_person, class_world):
    # given
    classroom = class_world["a"]["other_classroom"]
    # when
    response = as_person("course_teacher").get(_page(class_world), {"classroom": classroom.pk})
    # then
    html = response.content.decode()
    assert _row_names(html) == ["Bea", "Cy"]
    assert response.context["heatmap"].columns[1].average == pytest.approx(0.20)
    assert "data-filtered" in html
    assert f"students of {classroom.name}" in html
    # the choice lists only classrooms with students in the course
    assert [c.name for c in response.context["classrooms"]] == ["Class A1", "Class A2"]


@pytest.mark.parametrize("classroom", ["999999", str(2**70), "abc", "-1"])
def test_a_classroom_without_students_in_the_course_is_404(as_person, class_world, classroom):
    response = as_person("course_teacher").get(_page(class_world), {"classroom": classroom})
    assert response.status_code == 404


def test_the_api_gives_the_same_heatmap(as_person, class_world):
    # when
    response = as_person("school_admin").get(_api(class_world), {"sort": "weakness"})
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["course"] == class_world["course"].pk
    assert [(c["name"], c["assessed"]) for c in body["knowledge_points"]] == [
        ("Decimals", 2),
        ("Fractions", 2),
        ("Ratios", 0),
    ]
    assert [s["name"] for s in body["students"]] == ["Bea", "Ann", "Cy"]
    bea = body["students"][0]
    assert (bea["average"], bea["weak"], bea["assessed"]) == (0.25, 2, 2)
    assert bea["cells"][1] == {
        "knowledge_point": class_world["fractions"].pk,
        "mastery": 0.2,
        "mastery_level": "needs_work",
        "evidence": 4,
        "correct": 1,
    }
    assert body["students"][2]["cells"][0]["mastery"] is None
    classroom = class_world["a"]["classroom"]
    only_a1 = as_person("school_admin").get(_api(class_world), {"classroom": classroom.pk})
    assert [s["name"] for s in only_a1.json()["students"]] == ["Ann"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"classroom": "abc"}, 400),
        ({"classroom": "0"}, 400),
        ({"classroom": str(2**70)}, 400),
        ({"classroom": "999999"}, 404),
        ({"sort": "sideways"}, 400),
        ({"sort": "x" * 10_000}, 400),
    ],
)
def test_the_api_refuses_bad_input_with_a_clear_4xx(as_person, class_world, query, status):
    response = as_person("course_teacher").get(_api(class_world), query)
    assert response.status_code == status
    assert response.json()["errors"][0]["detail"]


# --- Who may look ---------------------------------------------------------------------------------


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_page_matrix(as_person, mastery_world, person):
    status = page_status(as_person(person).get(_page(mastery_world)))
    assert status == ("login" if person == "anonymous" else 200 if person in EDITORS else 404)


@pytest.mark.parametrize("person", list(PEOPLE))
def test_the_api_matrix(as_person, mastery_world, person):
    response = as_person(person).get(_api(mastery_world))
    assert response.status_code == (
        401 if person == "anonymous" else 200 if person in EDITORS else 404
    )
    if response.status_code != 200:
        assert "0.44" not in response.content.decode()


def test_another_schools_course_is_404_even_for_an_admin(as_person, mastery_world):
    other = mastery_world["other_course"]
    client = as_person("school_admin")
    page = client.get(reverse("personalization:course_mastery", args=[other.pk]))
    api = client.get(reverse("personalization-api:course_mastery", args=[other.pk]))
    assert (page.status_code, api.status_code) == (404, 404)


# --- Queries --------------------------------------------------------------------------------------


def _big_class(world, *, students: int, points: int) -> None:
    course, school = world["course"], world["a"]["school"]
    kps = [KnowledgePointFactory(course=course, name=f"Skill {i:02d}") for i in range(points)]
    people = [
        member(school, Role.STUDENT, username=f"pupil{i:02d}", display_name=f"Pupil {i:02d}")
        for i in range(students)
    ]
    Enrollment.objects.bulk_create(
        Enrollment(student=student, course=course, source="admin") for student in people
    )
    for student in people[:3]:
        ClassroomStudentFactory(classroom=world["a"]["classroom"], student=student)
    MasteryEstimate.objects.bulk_create(
        MasteryEstimate(
            student=student, knowledge_point=kp, mastery=((i * 7 + j * 3) % 10) / 10, evidence=3
        )
        for i, student in enumerate(people)
        for j, kp in enumerate(kps)
        if (i + j) % 5
    )


@pytest.mark.parametrize("query", [{}, {"sort": "weakness"}, {"classroom": "CLASSROOM"}])
def test_40_students_by_30_points_take_a_handful_of_queries(
    as_person, mastery_world, django_assert_max_num_queries, query
):
    # given
    client = as_person("course_teacher")
    if "classroom" in query:
        query = {"classroom": mastery_world["a"]["classroom"].pk}
    with django_assert_max_num_queries(20) as small:
        assert client.get(_page(mastery_world), query).status_code == 200
    with django_assert_max_num_queries(10) as small_api:
        assert client.get(_api(mastery_world), query).status_code == 200
    # when
    _big_class(mastery_world, students=40, points=30)
    # then
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(_page(mastery_world), query)
    expected_rows = 4 if "classroom" in query else 41
    assert len(_row_names(response.content.decode())) == expected_rows
    with django_assert_max_num_queries(len(small_api.captured_queries)):
        body = client.get(_api(mastery_world), query).json()
    assert len(body["students"]) == expected_rows
    assert len(body["knowledge_points"]) == 33
