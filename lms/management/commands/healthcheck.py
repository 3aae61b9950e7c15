import json

from django.core.management.base import BaseCommand, CommandError

from lms.health import run_checks


class Command(BaseCommand):
    help = (
        "Check the database, cache, channel layer and Celery broker; print JSON and exit "
        "non-zero when one is down (for process managers and container health checks)."
    )

    def handle(self, *args, **options):
        healthy, report = run_checks(verbose=True)
        self.stdout.write(json.dumps(report, indent=2))
        if not healthy:
            down = ", ".join(name for name, r in report["checks"].items() if r["status"] != "ok")
            raise CommandError(f"Unhealthy: {down}", returncode=1)
