import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The permission matrix's cast (the `as_person` fixture in tests/conftest.py signs them in).
PEOPLE = ["anonymous", "student", "teacher", "admin", "other_school_admin"]

# Variables that select services or modes; a subprocess starts from none of them.
SETTINGS_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run_django(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run `python <args>` from the project root with base settings and exactly `env` set."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings.base",
            "ENV_FILE": str(ROOT / "does-not-exist.env"),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
