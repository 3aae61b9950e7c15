from celery import shared_task

from courses.models import ImportJob, ImportStatus
from courses.services.imports import import_files_sweep, import_job_run


@shared_task(name="courses.import_job_run", acks_late=True, reject_on_worker_lost=True)
def import_job_run_task(job_id: int) -> str:
    """
    Run a CSV import job. A job that already finished is not run again; one left `running` by a
    worker that died is run again (its import transaction was rolled back).
    """
    job = ImportJob.objects.select_related("school").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return job.status
    return import_job_run(job=job).status


@shared_task(name="courses.import_files_sweep")
def import_files_sweep_task() -> int:
    """Hourly (Celery beat): delete import files that are no longer needed."""
    return import_files_sweep()
