"""
Settings for `python -m bench pages`: production settings (DEBUG off, PostgreSQL, Redis) served
over plain HTTP on 127.0.0.1, with one extra URL for the baseline view.

The bench sets SECRET_KEY, DATABASE_URL and REDIS_URL in the environment of the processes that
load this module; `lms.settings.base` refuses to load with DEBUG off and no SECRET_KEY.
"""

import os

from lms.settings.base import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench._urls"
ALLOWED_HOSTS = ["127.0.0.1", "testserver"]

# Plain HTTP on the loopback interface: no TLS redirect, cookies sent without TLS.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# `{% static %}` without a collected manifest; whitenoise finds the files in the apps.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# `python -m bench plan_latency`: the bench-only task (bench/_tasks.py), and a queue of the run's
# own so that its worker takes only that run's tasks (other runs' leftovers stay where they are).
CELERY_IMPORTS = ["bench._tasks"]
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "celery")
