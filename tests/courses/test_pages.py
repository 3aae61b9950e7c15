"""Student-facing course pages: permission matrix, behaviour, query counts."""

import pytest
from django.db.models import F
from django.urls import reverse

from courses.models import Course, Enrollment, LessonProgress
from courses.services.authoring import block_create, lesson_set_prerequisites
from lms.models import Role
from tests.courses.conftest import page_status
from tests.factories import CourseFactory, EnrollmentFactory, LessonFactory, ModuleFactory, member


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", "login"),
        ("enrolled_student", 200),
        ("other_student", 200),
        ("course_teacher", 200),
        ("other_teacher", 200),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_course_page_matrix(as_person, course_world, person, expected):
    response = as_person(person).get(
        reverse("courses:course_detail", args=[course_world["course"].pk])
    )
    assert page_status(response) == expected


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", "login"),
        ("enrolled_student", 404),
        ("other_student", 404),
        ("course_teacher", 200),
        ("other_teacher", 404),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_draft_course_page_matrix(as_person, course_world, person, expected):
    course = course_world["course"]
    course.is_published = False
    course.save()
    assert (
        page_status(as_person(person).get(reverse("courses:course_detail", args=[course.pk])))
        == expected
    )


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", "login"),
        ("enrolled_student", 200),
        ("other_student", 302),  # sent to the course page to enroll
        ("course_teacher", 200),  # preview
        ("other_teacher", 302),
        ("school_admin", 200),
        ("other_school", 404),
    ],
)
def test_lesson_page_matrix(as_person, course_world, person, expected):
    lesson = course_world["lessons"][0]
    block_create(lesson=lesson, kind="text", body="Solve $x^2 = 4$.")
    response = as_person(person).get(reverse("courses:lesson_detail", args=[lesson.pk]))
    assert page_status(response) == expected
    if expected == 200:
        assert "<math" in response.content.decode()


def test_catalog_lists_published_courses_of_the_users_school_only(as_person, course_world):
    CourseFactory(school=course_world["a"]["school"], title="Hidden draft", is_published=False)
    html = as_person("other_student").get(reverse("courses:catalog")).content.decode()
    assert "Algebra" in html
    assert "Hidden draft" not in html
    assert "B&#x27;s algebra" not in html
    assert "B's algebra" not in html


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"q": "algeb"}, True),
        ({"q": "nothing-like-it"}, False),
        ({"subject": "Mathematics"}, True),
        ({"subject": "History"}, False),
        ({"level": "senior"}, True),
        ({"level": "primary"}, False),
        ({"level": "<script>"}, True),  # unknown level is ignored, not an error
        ({"q": "x" * 5000}, False),
        ({"page": "abc"}, True),
        ({"page": "99999"}, True),
    ],
)
def test_catalog_search_and_filters(as_person, params, found):
    response = as_person("other_student").get(reverse("courses:catalog"), params)
    assert response.status_code == 200
    assert ("Algebra" in response.content.decode()) is found


def test_catalog_htmx_request_gets_only_the_results(as_person):
    response = as_person("other_student").get(
        reverse("courses:catalog"), {"q": "alg"}, headers={"hx-request": "true"}
    )
    html = response.content.decode()
    assert "Algebra" in html
    assert "<html" not in html


def test_self_enrollment_from_the_course_page(as_person, course_world):
    client = as_person("other_student")
    response = client.post(reverse("courses:course_enroll", args=[course_world["course"].pk]))
    assert response.status_code == 302
    assert Enrollment.objects.filter(student=course_world["a"]["classmate"]).exists()


def test_enroll_is_refused_with_a_message_when_not_allowed(as_person, course_world):
    course = course_world["course"]
    course.allows_self_enrollment = False
    course.save()
    response = as_person("other_student").post(
        reverse("courses:course_enroll", args=[course.pk]), follow=True
    )
    assert "Ask your school" in response.content.decode()
    assert not Enrollment.objects.filter(student=course_world["a"]["classmate"]).exists()


def test_enroll_needs_post(as_person, course_world):
    response = as_person("other_student").get(
        reverse("courses:course_enroll", args=[course_world["course"].pk])
    )
    assert response.status_code == 405


def test_completing_a_lesson_moves_to_the_next_and_shows_progress(as_person, course_world):
    client = as_person("enrolled_student")
    first, second, *_ = course_world["lessons"]
    response = client.post(reverse("courses:lesson_complete", args=[first.pk]))
    assert response.url == reverse("courses:lesson_detail", args=[second.pk])
    html = client.get(
        reverse("courses:course_detail", args=[course_world["course"].pk])
    ).content.decode()
    assert 'value="25"' in html  # 1 of 4 lessons


def test_locked_lesson_shows_the_reason_and_hides_its_content(as_person, course_world):
    first, second, *_ = course_world["lessons"]
    lesson_set_prerequisites(lesson=second, prerequisites=[first])
    block_create(lesson=second, kind="text", body="secret answer")
    client = as_person("enrolled_student")
    html = client.get(reverse("courses:lesson_detail", args=[second.pk])).content.decode()
    assert "This lesson is locked" in html
    assert "secret answer" not in html
    response = client.post(reverse("courses:lesson_complete", args=[second.pk]), follow=True)
    assert "first" in response.content.decode()
    assert not LessonProgress.objects.filter(lesson=second, completed_at__isnull=False).exists()


def test_student_home_lists_their_courses_with_progress(as_person, course_world):
    html = as_person("enrolled_student").get("/").content.decode()
    assert "Algebra" in html
    assert "0 of 4 lessons" in html


def test_course_page_query_count_is_constant(
    as_person, course_world, django_assert_max_num_queries
):
    course = course_world["course"]
    client = as_person("enrolled_student")
    url = reverse("courses:course_detail", args=[course.pk])
    with django_assert_max_num_queries(100) as small:
        client.get(url)
    for _ in range(5):
        module = ModuleFactory(course=course)
        for _ in range(6):
            lesson = LessonFactory(module=module)
            lesson.knowledge_points.create(course=course, name=f"kp {lesson.pk}")
            lesson.prerequisites.add(course_world["lessons"][0])
    for n in range(20):
        EnrollmentFactory(
            course=course, student=member(course.school, Role.STUDENT, username=f"s{n}")
        )
    # factories bypass the services that invalidate the cached outline: do what they do
    Course.objects.filter(pk=course.pk).update(content_version=F("content_version") + 1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('<li class="outline-lesson') == 34
    # once the outline is cached, the page reads only the student's own state
    with django_assert_max_num_queries(len(small.captured_queries) - 3):
        client.get(url)


def test_outline_changes_reach_the_course_page_at_once(as_person, course_world):
    from courses.services.authoring import lesson_update, module_create

    client = as_person("enrolled_student")
    url = reverse("courses:course_detail", args=[course_world["course"].pk])
    client.get(url)  # cached now
    lesson_update(lesson=course_world["lessons"][0], title="Renamed lesson", estimated_minutes=7)
    module_create(course=course_world["course"], title="Brand-new module")
    html = client.get(url).content.decode()
    assert "Renamed lesson" in html
    assert "Brand-new module" in html


def test_catalog_query_count_is_constant(as_person, course_world, django_assert_max_num_queries):
    client = as_person("other_student")
    url = reverse("courses:catalog")
    with django_assert_max_num_queries(100) as small:
        client.get(url)
    school = course_world["a"]["school"]
    teacher = course_world["a"][Role.TEACHER]
    for n in range(15):
        course = CourseFactory(school=school, title=f"Extra {n}")
        course.teachers.add(teacher)
        course.tags.create(school=school, name=f"tag {n}")
        LessonFactory(module__course=course)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "Extra 14" in response.content.decode()


def test_cached_outline_follows_the_students_own_progress(as_person, course_world):
    client = as_person("enrolled_student")
    first = course_world["lessons"][0]
    url = reverse("courses:course_detail", args=[course_world["course"].pk])
    assert "is-done" not in client.get(url).content.decode()
    client.post(reverse("courses:lesson_complete", args=[first.pk]))
    html = client.get(url).content.decode()
    assert f'class="outline-lesson is-done" data-lesson="{first.pk}"' in html
    # another student who has done nothing still sees nothing done
    other = as_person("other_student")
    other.post(reverse("courses:course_enroll", args=[course_world["course"].pk]))
    assert "is-done" not in other.get(url).content.decode()


def test_course_page_offers_to_continue_where_the_student_stopped(as_person, course_world):
    client = as_person("enrolled_student")
    first, second, *_ = course_world["lessons"]
    url = reverse("courses:course_detail", args=[course_world["course"].pk])
    assert (
        f'href="/courses/lessons/{first.pk}/">Start: {first.title}'
        in client.get(url).content.decode()
    )
    client.post(reverse("courses:lesson_complete", args=[first.pk]))
    html = client.get(url).content.decode()
    assert f'href="/courses/lessons/{second.pk}/">Continue: {second.title}' in html
