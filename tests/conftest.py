import os
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
from django.conf import settings

from lms.models import Role
from tests.factories import ClassroomFactory, ClassroomStudentFactory, SchoolFactory, member


def pytest_sessionstart(session):
    """In CI the suite runs on the real PostgreSQL and Redis, never on the embedded stand-ins."""
    if os.environ.get("PATHWISE_REQUIRE_REAL_SERVICES") != "1":
        return
    import redis

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis is unreachable at REDIS_URL: {exc}")
    if problems:
        pytest.exit("Real services required: " + "; ".join(problems), returncode=3)


def pytest_sessionfinish(session):
    """Remove this run's uploads: lms/settings/test.py gives each run a MEDIA_ROOT of its own."""
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.name.startswith("pathwise-test-media-"):
        shutil.rmtree(media_root, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """
    Browser tests run last: Playwright's sync API keeps an event loop running in the main thread
    for the rest of the session, where pytest-asyncio could no longer start its own.
    """
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


_worker_started = False


@pytest.fixture(scope="session")
def celery_worker_thread():
    """A real Celery worker (a thread of this process) consuming from the configured broker."""
    from celery.contrib.testing.worker import start_worker

    from lms.celery import app

    global _worker_started
    app.control.purge()
    with start_worker(app, perform_ping_check=False, shutdown_timeout=60, loglevel="WARNING"):
        _worker_started = True
        yield


def _worker_idle(app) -> bool:
    """Nothing queued for this run's worker, nothing reserved or running in it."""
    from celery.worker import state

    if state.active_requests or state.reserved_requests:
        return False
    with app.connection_for_read() as connection:
        queue = app.conf.task_default_queue
        try:
            return connection.default_channel.queue_declare(queue, passive=True).message_count == 0
        except Exception:  # the in-memory transport, or no queue yet
            return True


@pytest.fixture(autouse=True)
def _drain_celery_worker(request):
    """
    A test with the real worker (or a transactional test while the worker runs) ends only once
    the worker is idle: tasks its data set off (a plan refresh after a submit) must not run into
    the next test's database, or into the flush that empties the database after the test.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    uses_worker = "celery_worker_thread" in request.fixturenames
    if not (uses_worker or (transactional and _worker_started)):
        yield
        return
    # Set up the test database first, so that it is flushed only after the drain below.
    request.getfixturevalue("_django_db_helper")
    yield
    import time

    from lms.celery import app

    deadline = time.monotonic() + 30
    quiet_since = None
    while time.monotonic() < deadline:
        if _worker_idle(app):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.3:
                return
        else:
            quiet_since = None
        time.sleep(0.05)


@pytest_asyncio.fixture
async def channel_layer():
    """The project's channel layer; its connections of the test's event loop closed after."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    yield layer
    if hasattr(layer, "close_pools"):  # channels_redis: release this event loop's connections
        await layer.close_pools()


@pytest.fixture(scope="session")
def _cache_redis():
    """A client of the cache's Redis database (test settings give it one of its own), or None."""
    if not settings.REDIS_URL:
        yield None
        return
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _empty_cache(_cache_redis):
    """Each test starts with an empty cache: database rows are rolled back, cached copies too."""
    from django.core.cache import cache

    if _cache_redis is None:
        cache.clear()
        return
    # Only this run's keys (its KEY_PREFIX): a FLUSHDB would empty the cache under another run.
    keys = list(_cache_redis.scan_iter(match=cache.make_key("*"), count=1000))
    if keys:
        _cache_redis.delete(*keys)


@pytest.fixture
def school_world(db):
    """
    Two schools with a member of every role each, and a classroom per school with one student
    of the two in it: the cast of the permission and isolation tests.
    """
    world = {}
    for key in ("a", "b"):
        school = SchoolFactory(slug=f"school-{key}", name=f"School {key.upper()}")
        people = {role: member(school, role, username=f"{role}_{key}") for role in Role.values}
        classmate = member(school, Role.STUDENT, username=f"classmate_{key}")
        classroom = ClassroomFactory(school=school, name=f"Class {key.upper()}1")
        classroom.homeroom_teachers.add(people[Role.TEACHER])
        ClassroomStudentFactory(classroom=classroom, student=people[Role.STUDENT])
        other_classroom = ClassroomFactory(school=school, name=f"Class {key.upper()}2")
        ClassroomStudentFactory(classroom=other_classroom, student=classmate)
        world[key] = {
            "school": school,
            "classroom": classroom,
            "other_classroom": other_classroom,
            "classmate": classmate,
            **people,
        }
    return world


@pytest.fixture
def as_person(client, school_world):
    """Sign the test client in as one of `PEOPLE` (tests/helpers.py) of school a."""

    def sign_in(person):
        if person == "other_school_admin":
            client.force_login(school_world["b"][Role.ADMIN])
        elif person != "anonymous":
            client.force_login(school_world["a"][person])
        return client

    return sign_in
