"""Helpers for WebSocket tests: a signed-in browser's cookie, a socket, who may watch what."""

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from lms.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from lms.models import Role


def session_for(user) -> str:
    """The session cookie's value of a browser signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket(path: str, session: str | None = None, *, origin="http://testserver"):
    """A WebSocket to the project's ASGI application, signed in with `session` if given."""
    from lms.asgi import application

    headers = [(b"origin", origin.encode())] if origin else []
    if session:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


# Who opens a teacher's live socket (a course_world key, as in tests/courses/conftest.PEOPLE),
# and the close code they get (None: let in).
WATCHERS = {
    "anonymous": (None, CLOSE_UNAUTHENTICATED),
    "enrolled_student": (("a", Role.STUDENT), CLOSE_FORBIDDEN),
    "other_student": (("a", "classmate"), CLOSE_FORBIDDEN),
    "other_teacher": ((None, "other_teacher"), CLOSE_FORBIDDEN),
    "other_school": (("b", Role.ADMIN), CLOSE_FORBIDDEN),
    "course_teacher": (("a", Role.TEACHER), None),
    "school_admin": (("a", Role.ADMIN), None),
}


async def watcher_session(world: dict, person: str) -> str | None:
    """The session of `person` of WATCHERS in a course_world (None for anonymous)."""
    where, _refused_with = WATCHERS[person]
    if where is None:
        return None
    school, key = where
    user = world[key] if school is None else world[school][key]
    return await sync_to_async(session_for)(user)
