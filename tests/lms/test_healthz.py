import json

import pytest
from django.conf import settings
from django.test import override_settings

from lms.celery import app as celery_app
from tests.helpers import run_django

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def healthz(client):
    def get():
        response = client.get("/healthz")
        return response.status_code, response.json()

    return get


@pytest.mark.django_db
def test_healthz_reports_every_service_up(healthz):
    status, body = healthz()
    assert status == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "channel_layer", "broker"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    expected_db = (
        "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    )
    assert body["checks"]["database"]["detail"] == expected_db


@pytest.mark.django_db
def test_healthz_is_503_when_the_cache_is_down(healthz):
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": CLOSED_PORT_REDIS,
            }
        }
    ):
        status, body = healthz()
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"]["cache"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_channel_layer_is_down(healthz):
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CLOSED_PORT_REDIS]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        status, body = healthz()
    assert status == 503
    assert body["checks"]["channel_layer"]["status"] == "down"
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(healthz, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", CLOSED_PORT_REDIS)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    status, body = healthz()
    assert status == 503
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_healthz_hides_error_messages_from_anonymous_callers(healthz):
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": CLOSED_PORT_REDIS,
            }
        }
    ):
        _, body = healthz()
    assert "127.0.0.1" not in json.dumps(body)


def test_healthcheck_command_fails_when_the_database_is_down():
    # given a database URL pointing at a closed port
    result = run_django(
        ["manage.py", "healthcheck"],
        DEBUG="true",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/pathwise",
    )
    # then the command prints the report and exits non-zero
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "down"
    assert report["checks"]["database"]["status"] == "down"
    assert "Unhealthy: database" in result.stderr


def test_healthcheck_command_passes_on_the_embedded_default():
    result = run_django(
        ["manage.py", "healthcheck"], DEBUG="true", DATABASE_URL="sqlite:///:memory:"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok"
