"""Test settings: only what tests need differs from base.py."""

import os
import tempfile
from pathlib import Path

# Tests run with DEBUG off, like production; they must not need a real secret.
os.environ.setdefault("SECRET_KEY", "pathwise-test-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: F403
from .base import REDIS_URL, _redis_database, env

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Uploads made by tests never land in the working tree.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pathwise-test-media-"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# The test client and the live test server speak plain HTTP.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# No collectstatic before tests: serve straight from the finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # A test database per run: two runs against one server (a developer's and an editor's, or
    # two worktrees) never drop each other's database. Runs that finish drop theirs.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"  # noqa: F405
    }

if REDIS_URL:
    # Keep test keys apart from a development server sharing the same Redis, and from other
    # test runs: each test empties only its own run's keys (tests/conftest.py).
    CACHES["default"]["KEY_PREFIX"] = f"pathwise-test-{os.getpid()}"  # noqa: F405
    # A database of their own, not a server's.
    CACHES["default"]["LOCATION"] = _redis_database(REDIS_URL, 2)  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "pathwise-test:asgi"  # noqa: F405
    LIVESTREAM_CHANNEL_PREFIX = f"pathwise-test-{os.getpid()}:live"
    # A queue per run, for the same reason: a worker of one run never takes another run's tasks.
    CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TEST_QUEUE", default=f"pathwise-test-{os.getpid()}")
else:
    # Without Redis, tests still go through a real worker thread, on Celery's in-memory transport.
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_RESULT_BACKEND = "cache+memory://"
