"""The school-isolation helpers: a member of school A never sees school B's rows."""

import pytest
from django.contrib.auth.models import AnonymousUser

from lms.models import Classroom, Membership, Role
from lms.selectors import (
    classroom_list_for_user,
    membership_list_for_user,
    school_list_for_user,
    scope_to_user_schools,
    user_has_school_role,
)
from tests.factories import MembershipFactory


@pytest.mark.parametrize("role", Role.values)
def test_member_sees_only_their_own_school(school_world, role):
    user = school_world["a"][role]
    assert list(school_list_for_user(user=user)) == [school_world["a"]["school"]]


@pytest.mark.parametrize("role", Role.values)
def test_scoped_rows_never_include_another_schools(school_world, role):
    user = school_world["a"][role]
    memberships = scope_to_user_schools(Membership.objects.all(), user=user)
    assert memberships.exists()
    assert not memberships.filter(school=school_world["b"]["school"]).exists()
    classrooms = scope_to_user_schools(Classroom.objects.all(), user=user)
    assert set(classrooms) == {school_world["a"]["classroom"], school_world["a"]["other_classroom"]}


def test_scope_by_role_keeps_only_schools_where_the_role_is_held(school_world):
    teacher_a = school_world["a"]["teacher"]
    MembershipFactory(user=teacher_a, school=school_world["b"]["school"], role=Role.STUDENT)
    as_teacher = scope_to_user_schools(
        Classroom.objects.all(), user=teacher_a, roles=(Role.TEACHER,)
    )
    assert {c.school for c in as_teacher} == {school_world["a"]["school"]}
    any_role = scope_to_user_schools(Classroom.objects.all(), user=teacher_a)
    assert {c.school for c in any_role} == {
        school_world["a"]["school"],
        school_world["b"]["school"],
    }


def test_anonymous_sees_nothing(school_world):
    anonymous = AnonymousUser()
    assert not school_list_for_user(user=anonymous).exists()
    assert not classroom_list_for_user(user=anonymous).exists()
    assert not membership_list_for_user(user=anonymous).exists()
    assert not scope_to_user_schools(Classroom.objects.all(), user=anonymous).exists()


def test_user_without_membership_sees_nothing(school_world, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x")
    assert not school_list_for_user(user=loner).exists()
    assert not classroom_list_for_user(user=loner).exists()


def test_students_see_only_their_own_classrooms(school_world):
    a = school_world["a"]
    assert list(classroom_list_for_user(user=a["student"])) == [a["classroom"]]
    assert list(classroom_list_for_user(user=a["classmate"])) == [a["other_classroom"]]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.ADMIN])
def test_staff_see_every_classroom_of_their_school_only(school_world, role):
    a = school_world["a"]
    assert set(classroom_list_for_user(user=a[role])) == {a["classroom"], a["other_classroom"]}


def test_classroom_counts_all_students_not_only_the_viewers_seat(school_world):
    a = school_world["a"]
    a["classroom"].seats.create(student=a["classmate"])
    (classroom,) = classroom_list_for_user(user=a["student"])
    assert classroom.student_count == 2


def test_role_check(school_world):
    a, b = school_world["a"], school_world["b"]
    assert user_has_school_role(user=a["admin"], school=a["school"], roles=(Role.ADMIN,))
    assert not user_has_school_role(user=a["admin"], school=b["school"], roles=(Role.ADMIN,))
    assert not user_has_school_role(user=a["student"], school=a["school"], roles=(Role.TEACHER,))
    assert user_has_school_role(user=a["student"], school=a["school"])
    assert not user_has_school_role(user=AnonymousUser(), school=a["school"])
