"""Writes for schools, people and classrooms, and the on-commit event broadcast."""

import asyncio
import os
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from lms.models import Classroom, ClassroomStudent, Membership, Role, School, User
from lms.signals import classroom_students_added


@transaction.atomic
def school_create(*, name: str, slug: str) -> School:
    school = School(name=name, slug=slug)
    school.full_clean()
    school.save()
    return school


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    email: str = "",
    display_name: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user; with no password the account cannot sign in until one is set."""
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        display_name=display_name,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def membership_grant(*, user: User, school: School, role: str) -> Membership:
    """Give `user` `role` in `school`; granting a role already held changes nothing."""
    existing = Membership.objects.filter(user=user, school=school, role=role).first()
    if existing:
        return existing
    membership = Membership(user=user, school=school, role=role)
    membership.full_clean()
    membership.save()
    return membership


def _require_role(*, users: Iterable[User], school: School, role: str) -> None:
    user_ids = {user.pk for user in users}
    members = set(
        Membership.objects.filter(school=school, role=role, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    outsiders = sorted(user.username for user in users if user.pk in user_ids - members)
    if outsiders:
        raise ValidationError(
            _("Not a %(role)s of %(school)s: %(users)s.")
            % {"role": Role(role).label, "school": school, "users": ", ".join(outsiders)}
        )


@transaction.atomic
def classroom_create(
    *, school: School, name: str, homeroom_teachers: Iterable[User] = ()
) -> Classroom:
    homeroom_teachers = list(homeroom_teachers)
    _require_role(users=homeroom_teachers, school=school, role=Role.TEACHER)
    classroom = Classroom(school=school, name=name)
    classroom.full_clean()
    classroom.save()
    classroom.homeroom_teachers.set(homeroom_teachers)
    return classroom


@transaction.atomic
def classroom_add_students(*, classroom: Classroom, students: Iterable[User]) -> list[User]:
    """Seat students in a classroom; returns those who were not in it yet."""
    students = list(students)
    _require_role(users=students, school=classroom.school, role=Role.STUDENT)
    seated = set(
        ClassroomStudent.objects.filter(classroom=classroom).values_list("student_id", flat=True)
    )
    added = [student for student in students if student.pk not in seated]
    ClassroomStudent.objects.bulk_create(
        [ClassroomStudent(classroom=classroom, student=student) for student in added],
        ignore_conflicts=True,
    )
    if added:
        classroom_students_added.send(sender=Classroom, classroom=classroom, students=added)
    return added


def user_group_name(user_id: int) -> str:
    """The channel group that reaches every open page of one user."""
    return f"user.{user_id}"


class _SendLoop:
    """
    One event loop per process, in its own thread, for channel-layer sends made by synchronous
    code (views, services, Celery tasks). `async_to_sync` would start a loop, and channels_redis
    a Redis connection, for every send (measured at 4-9 ms each by `bench/exam_rush.py`); this
    loop keeps its connections, in a layer instance of its own (closing the shared layer's
    pools, as tests do, never touches them). A process forked after first use starts afresh.
    """

    SEND_TIMEOUT_SECONDS = 5

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._layer = None
        self._pid: int | None = None

    def _started(self):
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="channel-send", daemon=True).start()
                self._layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
                self._loop, self._pid = loop, os.getpid()
            return self._loop, self._layer

    def group_send(self, group: str, message: dict) -> None:
        shared = get_channel_layer()
        if isinstance(shared, InMemoryChannelLayer):
            # Embedded mode: the in-memory layer's queues live in the one shared instance (a
            # layer of its own would reach nobody), and it holds no connections to keep.
            async_to_sync(shared.group_send)(group, message)
            return
        loop, layer = self._started()
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
        future.result(timeout=self.SEND_TIMEOUT_SECONDS)


_send_loop = _SendLoop()


def event_send_on_commit(*, group: str, event: str, payload: dict) -> None:
    """
    Broadcast `event` to a channel group once the current transaction commits, so that no
    client hears of a change that was rolled back. Consumers receive it as a `broadcast` message.
    A broadcast that fails (Redis down) is logged; the committed change stands.
    """

    def send():
        _send_loop.group_send(group, {"type": "broadcast", "event": event, "payload": payload})

    transaction.on_commit(send, robust=True)


def user_api_tokens_revoke(*, user: User) -> None:
    """End every API session of the user (after a password change or reset)."""
    Token.objects.filter(user=user).delete()


def user_email_managed_by(*, user: User, school: School) -> bool:
    """
    Whether the admins of `school` may change the user's email (where password-reset links
    go): only for accounts of that school alone, never for staff. Otherwise an admin could
    take over an account that another school, or the site, relies on.
    """
    if user.is_staff or user.is_superuser:
        return False
    return not Membership.objects.filter(user=user).exclude(school=school).exists()


@transaction.atomic
def user_update(*, user: User, display_name: str, email: str, school: School) -> User:
    """Change a member's name and email, on behalf of `school`'s admins."""
    email = User.objects.normalize_email(email)
    if email.lower() != user.email.lower() and not user_email_managed_by(user=user, school=school):
        raise ValidationError(
            {
                "email": _(
                    "This account also belongs elsewhere: only its owner can change its email."
                )
            }
        )
    user.display_name = display_name
    user.email = email
    user.full_clean()
    user.save(update_fields=["display_name", "email"])
    return user


@transaction.atomic
def membership_revoke(*, user: User, school: School, role: str) -> None:
    """Take a role away; a school always keeps at least one admin."""
    if role == Role.ADMIN:
        admins = Membership.objects.select_for_update().filter(school=school, role=Role.ADMIN)
        if not admins.exclude(user=user).exists():
            raise ValidationError(_("A school needs at least one admin."))
    Membership.objects.filter(user=user, school=school, role=role).delete()
    if role == Role.STUDENT:
        ClassroomStudent.objects.filter(classroom__school=school, student=user).delete()
    if role == Role.TEACHER:
        for classroom in Classroom.objects.filter(school=school, homeroom_teachers=user):
            classroom.homeroom_teachers.remove(user)


@transaction.atomic
def classroom_update(
    *, classroom: Classroom, name: str, homeroom_teachers: Iterable[User]
) -> Classroom:
    homeroom_teachers = list(homeroom_teachers)
    _require_role(users=homeroom_teachers, school=classroom.school, role=Role.TEACHER)
    classroom.name = name
    classroom.full_clean()
    classroom.save(update_fields=["name", "updated_at"])
    classroom.homeroom_teachers.set(homeroom_teachers)
    return classroom


@transaction.atomic
def classroom_remove_student(*, classroom: Classroom, student: User) -> None:
    """Take a student out of a classroom; their course enrollments stay as they are."""
    ClassroomStudent.objects.filter(classroom=classroom, student=student).delete()
