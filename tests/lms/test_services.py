import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from lms import services
from lms.models import ClassroomStudent, Membership, Role
from tests.factories import UserFactory


def test_homeroom_teacher_must_teach_at_the_school(school_world):
    with pytest.raises(ValidationError, match="Not a Teacher of School A"):
        services.classroom_create(
            school=school_world["a"]["school"],
            name="New class",
            homeroom_teachers=[school_world["b"][Role.TEACHER]],
        )


def test_only_students_of_the_school_can_be_seated(school_world):
    a, b = school_world["a"], school_world["b"]
    with pytest.raises(ValidationError, match="Not a Student of School A: student_b"):
        services.classroom_add_students(classroom=a["classroom"], students=[b[Role.STUDENT]])
    with pytest.raises(ValidationError, match="teacher_a"):
        services.classroom_add_students(classroom=a["classroom"], students=[a[Role.TEACHER]])
    assert ClassroomStudent.objects.filter(classroom=a["classroom"]).count() == 1


def test_seating_twice_changes_nothing(school_world):
    a = school_world["a"]
    added = services.classroom_add_students(classroom=a["classroom"], students=[a["classmate"]])
    again = services.classroom_add_students(classroom=a["classroom"], students=[a["classmate"]])
    assert added == [a["classmate"]]
    assert again == []


def test_membership_grant_is_idempotent_and_checks_the_role(school_world):
    a = school_world["a"]
    first = services.membership_grant(user=a["classmate"], school=a["school"], role=Role.TEACHER)
    again = services.membership_grant(user=a["classmate"], school=a["school"], role=Role.TEACHER)
    assert first.pk == again.pk
    with pytest.raises(ValidationError):
        services.membership_grant(user=a["classmate"], school=a["school"], role="headmaster")
    assert not Membership.objects.filter(role="headmaster").exists()


def test_emails_are_unique_whatever_their_case(db):
    UserFactory(username="one", email="Ada@Example.org")
    with pytest.raises(ValidationError, match="email address already exists"):
        services.user_create(username="two", email="ada@example.ORG")


def test_user_without_password_cannot_sign_in(db):
    user = services.user_create(username="imported")
    assert not user.has_usable_password()


@pytest.mark.django_db(transaction=True)
def test_failed_broadcast_does_not_undo_or_break_the_write():
    # given a channel layer that cannot be reached
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    # when a write announces itself on commit
    with override_settings(CHANNEL_LAYERS=layers), transaction.atomic():
        user = UserFactory(username="kept")
        services.event_send_on_commit(group="user.1", event="x", payload={})
    # then the write stands and no error escaped
    user.refresh_from_db()
    assert user.username == "kept"
