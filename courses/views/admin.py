"""Pages for school admins: who is enrolled where, CSV import and export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from courses.exports import enrollments_csv_response
from courses.models import Course, EnrollmentSource, ImportJob, ImportStatus
from courses.selectors import course_list_editable, enrollment_export_list
from courses.services.enrollment import (
    classroom_enroll,
    classroom_unenroll,
    enrollment_create,
    enrollment_drop,
)
from courses.services.imports import import_job_create, import_job_forget_file, import_job_start
from lms.http import posted_id
from lms.models import Classroom, Role, User
from lms.permissions import school_admin_required


def _admin_course(request, course_id: int) -> Course:
    return get_object_or_404(Course.objects.filter(school=request.school), pk=course_id)


def _roster_url(course: Course) -> str:
    return reverse("courses:roster", args=[course.pk])


def _done(request, action) -> None:
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved."))


@school_admin_required
@require_POST
def enroll_classroom(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _admin_course(request, course_id)
    classroom = get_object_or_404(
        Classroom.objects.filter(school=request.school), pk=posted_id(request.POST.get("classroom"))
    )
    _done(request, lambda: classroom_enroll(classroom=classroom, course=course))
    return redirect(_roster_url(course))


@school_admin_required
@require_POST
def unenroll_classroom(request: HttpRequest, course_id: int, classroom_id: int) -> HttpResponse:
    course = _admin_course(request, course_id)
    classroom = get_object_or_404(Classroom.objects.filter(school=request.school), pk=classroom_id)
    _done(request, lambda: classroom_unenroll(classroom=classroom, course=course))
    return redirect(_roster_url(course))


@school_admin_required
@require_POST
def enroll_student(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _admin_course(request, course_id)
    student = get_object_or_404(
        User.objects.filter(memberships__school=request.school, memberships__role=Role.STUDENT),
        pk=posted_id(request.POST.get("student")),
    )
    _done(
        request,
        lambda: enrollment_create(student=student, course=course, source=EnrollmentSource.ADMIN),
    )
    return redirect(_roster_url(course))


@school_admin_required
@require_POST
def drop_enrollment(request: HttpRequest, course_id: int, enrollment_id: int) -> HttpResponse:
    course = _admin_course(request, course_id)
    enrollment = get_object_or_404(course.enrollments, pk=enrollment_id)
    _done(request, lambda: enrollment_drop(enrollment=enrollment))
    return redirect(_roster_url(course))


@school_admin_required
def enrollments_export(request: HttpRequest) -> HttpResponse:
    rows = enrollment_export_list(school=request.school)
    stamp = timezone.localdate().isoformat()
    return enrollments_csv_response(f"enrollments-{request.school.slug}-{stamp}.csv", rows)


@login_required
def course_enrollments_export(request: HttpRequest, course_id: int) -> HttpResponse:
    """One course's roster with progress: for its teachers and the school's admins."""
    course = get_object_or_404(course_list_editable(user=request.user), pk=course_id)
    rows = enrollment_export_list(school=course.school, course=course)
    return enrollments_csv_response(
        f"enrollments-{course.code}-{timezone.localdate().isoformat()}.csv", rows
    )


@school_admin_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error = _("Choose a CSV file.")
        else:
            try:
                job = import_job_create(
                    school=request.school,
                    created_by=request.user,
                    uploaded_file=uploaded,
                    dry_run=request.POST.get("dry_run") == "1",
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                import_job_start(job=job)
                return redirect("courses:import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(school=request.school).select_related("created_by")[:20]
    return render(
        request,
        "courses/import.html",
        {"jobs": jobs, "error": error},
        status=400 if error else 200,
    )


def _job(request, job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.filter(school=request.school), pk=job_id)


@school_admin_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    running = job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    template = "courses/_import_status.html" if request.htmx else "courses/import_job.html"
    return render(request, template, {"job": job, "running": running})


@school_admin_required
@require_POST
@transaction.atomic  # the dry run's row stays locked: two confirms cannot both import
def import_job_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """Run, for real, the file of a dry run that found no error."""
    dry_run = get_object_or_404(
        ImportJob.objects.select_for_update().filter(school=request.school), pk=job_id
    )
    if not (dry_run.dry_run and dry_run.report.get("valid") and dry_run.file):
        messages.error(request, _("Only a dry run without errors can be imported."))
        return redirect("courses:import_job", job_id=dry_run.pk)
    with dry_run.file.open("rb") as stored:
        job = import_job_create(
            school=request.school,
            created_by=request.user,
            uploaded_file=File(stored, name=dry_run.filename),
            dry_run=False,
        )
    import_job_forget_file(job=dry_run)
    import_job_start(job=job)
    return redirect("courses:import_job", job_id=job.pk)
