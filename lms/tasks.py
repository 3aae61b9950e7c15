from celery import shared_task
from django.db import connection


@shared_task(name="lms.ping")
def ping_task(token: str) -> dict:
    """Round trip through broker, worker and database; used by deep health checks and tests."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"token": token, "database": one == 1}
