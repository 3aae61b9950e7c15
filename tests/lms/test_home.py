import pytest
from django.urls import reverse

from lms.models import Role
from lms.school_context import SESSION_KEY
from tests.factories import ClassroomFactory, MembershipFactory


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", Role.values)
def test_each_role_gets_its_own_dashboard(client, school_world, role):
    client.force_login(school_world["a"][role])
    response = client.get("/")
    assert response.status_code == 200
    assert f'data-dashboard="{role}"' in response.content.decode()


def test_student_dashboard_shows_their_classroom_and_homeroom_teacher(client, school_world):
    a = school_world["a"]
    client.force_login(a["student"])
    html = client.get("/").content.decode()
    assert a["classroom"].name in html
    assert a["teacher"].name in html
    assert a["other_classroom"].name not in html


def test_admin_dashboard_counts_members_of_their_school_only(client, school_world):
    client.force_login(school_world["a"]["admin"])
    response = client.get("/")
    assert response.context["member_counts"] == {"student": 2, "teacher": 1, "admin": 1}
    assert "Class B1" not in response.content.decode()


def test_user_with_several_roles_can_switch_dashboards(client, school_world):
    a = school_world["a"]
    MembershipFactory(user=a["teacher"], school=a["school"], role=Role.ADMIN)
    client.force_login(a["teacher"])
    assert 'data-dashboard="admin"' in client.get("/").content.decode()
    assert 'data-dashboard="teacher"' in client.get("/?role=teacher").content.decode()
    # a role not held falls back to the first one held
    assert 'data-dashboard="admin"' in client.get("/?role=student").content.decode()


def test_member_of_two_schools_switches_school(client, school_world):
    a, b = school_world["a"], school_world["b"]
    MembershipFactory(user=a["teacher"], school=b["school"], role=Role.TEACHER)
    client.force_login(a["teacher"])
    response = client.post(reverse("school_switch"), {"school": b["school"].pk})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == b["school"].pk
    assert client.get("/").context["school"] == b["school"]


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_switching_to_a_school_one_is_not_in_changes_nothing(client, school_world, value):
    a, b = school_world["a"], school_world["b"]
    client.force_login(a["teacher"])
    if value == "999999":
        value = str(b["school"].pk)
    response = client.post(reverse("school_switch"), {"school": value}, follow=True)
    assert SESSION_KEY not in client.session
    assert response.context["school"] == a["school"]
    assert "You are not a member of that school." in response.content.decode()


def test_user_without_school_is_told_so(client, django_user_model, db):
    client.force_login(django_user_model.objects.create_user("loner", password="x"))
    assert "not a member of any school" in client.get("/").content.decode()


def test_home_in_simplified_chinese(client, school_world):
    client.force_login(school_world["a"]["student"])
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "我的课程" in html  # "My courses"


def test_teacher_dashboard_lists_only_their_homeroom_classes(client, school_world):
    a = school_world["a"]
    client.force_login(a["teacher"])
    html = client.get("/").content.decode()
    assert a["classroom"].name in html
    assert a["other_classroom"].name not in html


@pytest.mark.parametrize("role", Role.values)
def test_home_page_query_count_does_not_grow_with_rows(
    client, school_world, django_assert_max_num_queries, role
):
    a = school_world["a"]
    client.force_login(a[role])
    with django_assert_max_num_queries(100) as small:
        client.get("/")
    for n in range(10):
        classroom = ClassroomFactory(school=a["school"], name=f"More {n}")
        classroom.homeroom_teachers.add(a["teacher"])
        classroom.seats.create(student=a["student"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/")


def test_unknown_page_gets_the_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_static_files_are_served(client, db):
    response = client.get("/static/css/pathwise.css")
    assert response.status_code == 200


def test_seed_demo_refuses_in_production_mode(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo")


def test_seed_demo_is_idempotent(db, django_user_model):
    from django.core.management import call_command

    from courses.models import Course, Enrollment, KnowledgePoint, Lesson, Program
    from lms.models import ClassroomStudent, School

    call_command("seed_demo", force=True)
    call_command("seed_demo", force=True)
    assert School.objects.count() == 1
    assert django_user_model.objects.count() == 33
    assert ClassroomStudent.objects.count() == 30
    assert Course.objects.filter(is_published=True).count() == 3
    assert Lesson.objects.count() == 14
    # the classroom takes two courses: 30 students, 2 enrollments each
    assert Enrollment.objects.count() == 60
    assert KnowledgePoint.objects.filter(course__code="ML-101").count() == 7
    assert Program.objects.get().steps.count() == 2
    student = django_user_model.objects.get(username="student01")
    assert student.check_password("pathwise-demo")
