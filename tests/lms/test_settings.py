import json
import secrets

import pytest

from tests.helpers import run_django

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from lms.celery import app
print(json.dumps({
    "database": settings.DATABASES["default"]["ENGINE"],
    "database_name": settings.DATABASES["default"]["NAME"],
    "pool_max_size": (settings.DATABASES["default"].get("OPTIONS", {}).get("pool") or {}).get(
        "max_size"
    ),
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": app.conf.broker_url,
    "eager": app.conf.task_always_eager,
    "acks_late": app.conf.task_acks_late,
    "reject_on_worker_lost": app.conf.task_reject_on_worker_lost,
    "debug": settings.DEBUG,
}))
"""


def settings_with(**env):
    result = run_django(["-c", PRINT_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_variables_select_the_embedded_default():
    # given no service variables, only development mode
    # when the settings load
    config = settings_with(DEBUG="true")
    # then everything runs in one process
    assert config["database"] == "django.db.backends.sqlite3"
    assert config["database_name"].endswith("db.sqlite3")
    assert config["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert config["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert config["eager"] is True
    assert config["broker"] == "memory://"


def test_service_variables_select_postgresql_and_redis():
    # given both service URLs
    config = settings_with(
        DEBUG="true",
        DATABASE_URL="postgres://pw:secret@db.example:5432/pathwise",
        REDIS_URL="redis://cache.example:6379/2",
    )
    # then PostgreSQL through psycopg's pool, and Redis for cache, layer and broker
    assert config["database"] == "django.db.backends.postgresql"
    assert config["database_name"] == "pathwise"
    assert config["pool_max_size"] >= 1
    assert config["conn_max_age"] == 0  # persistent connections leak under ASGI (#33497)
    assert config["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert config["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert config["broker"] == "redis://cache.example:6379/2"
    assert config["eager"] is False
    assert config["acks_late"] is True
    assert config["reject_on_worker_lost"] is True


def test_deploy_check_warns_when_emails_would_not_be_sent():
    result = run_django(
        ["manage.py", "check", "--deploy"],
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="lms.example.edu",
    )
    assert "lms.W001" in result.stderr + result.stdout


def test_cache_lives_in_its_own_redis_database():
    # cache.clear() flushes a whole Redis database: it must never hold the task queue
    result = run_django(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['LOCATION'])",
        ],
        DEBUG="true",
        REDIS_URL="redis://cache.example:6379/2",
    )
    assert result.stdout.strip() == "redis://cache.example:6379/3"


def test_debug_defaults_to_off():
    config = settings_with(SECRET_KEY="x" * 60)
    assert config["debug"] is False


def test_production_mode_without_secret_key_refuses_to_start():
    # given DEBUG off and no SECRET_KEY
    # when Django starts
    result = run_django(["manage.py", "check"], DEBUG="false")
    # then it stops with a message that says what to set
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("debug", ["false", ""])
def test_production_mode_with_secret_key_starts(debug):
    env = {"SECRET_KEY": secrets.token_urlsafe(50)}
    if debug:
        env["DEBUG"] = debug
    result = run_django(["manage.py", "check"], **env)
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_variables():
    # given the variables a production deployment sets
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="lms.example.edu",
        DATABASE_URL="postgres://pathwise@127.0.0.1:5432/pathwise",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp+tls://pathwise:secret@smtp.example.edu:587",
    )
    # then Django's deployment checklist has nothing to say
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
