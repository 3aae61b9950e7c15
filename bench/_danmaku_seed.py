"""
Data for `python -m bench danmaku_fanout`, created through the project's services in the bench
database: one school, one course taught by one teacher, N students enrolled through a classroom,
and one live lecture. Each student gets a signed-in session (the configured session store:
cached_db, so PostgreSQL and the Redis cache), as a browser would have after logging in.

Run as `python -m bench._danmaku_seed --students N` with DJANGO_SETTINGS_MODULE=bench._settings.
Prints one line `BENCH_SEED {"lecture_id", "cookie_name", "sessions": [...]}`.
"""

import argparse
import json
import time
from datetime import timedelta

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from bench._seed import _person  # noqa: E402
from courses.models import Level  # noqa: E402
from courses.services import authoring, enrollment  # noqa: E402
from livestream.services.lectures import lecture_create, lecture_start  # noqa: E402
from lms import services  # noqa: E402
from lms.models import Role  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"


@transaction.atomic
def _seed(count: int) -> dict:
    school = services.school_create(name="Danmaku School", slug="danmaku")
    teacher = _person("danmaku-teacher", school=school, role=Role.TEACHER)
    students = [
        _person(f"danmaku-student{i:05d}", school=school, role=Role.STUDENT)
        for i in range(1, count + 1)
    ]
    classroom = services.classroom_create(
        school=school, name="Lecture hall", homeroom_teachers=[teacher]
    )
    services.classroom_add_students(classroom=classroom, students=students)
    course = authoring.course_create(
        school=school,
        code="LIVE-101",
        title="Live lecture course",
        subject="Physics",
        level=Level.SENIOR,
        teachers=[teacher],
        is_published=True,
    )
    enrollment.classroom_enroll(classroom=classroom, course=course)
    lecture = lecture_create(
        course=course,
        teacher=teacher,
        title="Fan-out under load",
        scheduled_at=timezone.now() - timedelta(minutes=1),
        duration_minutes=90,
    )
    lecture_start(lecture=lecture)
    return {"lecture": lecture, "students": students}


def _session(store_class, user) -> str:
    store = store_class()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, required=True)
    args = parser.parse_args()
    assert BACKEND in settings.AUTHENTICATION_BACKENDS
    started = time.perf_counter()
    seeded = _seed(args.students)
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    sessions = [_session(store_class, user) for user in seeded["students"]]
    print(
        "BENCH_SEED "
        + json.dumps(
            {
                "lecture_id": seeded["lecture"].pk,
                "cookie_name": settings.SESSION_COOKIE_NAME,
                "sessions": sessions,
                "seed_seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
