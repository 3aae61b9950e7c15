"""Writes that decide who takes which course: enrollment, classrooms, programs."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import (
    ClassroomEnrollment,
    Course,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    Program,
    ProgramEnrollment,
)
from lms.models import Classroom, Role, User
from lms.selectors import user_has_school_role


def _require_student(*, student: User, course: Course) -> None:
    if not user_has_school_role(user=student, school=course.school, roles=(Role.STUDENT,)):
        raise ValidationError(
            _("%(user)s is not a student of %(school)s.")
            % {"user": student.username, "school": course.school}
        )


@transaction.atomic
def enrollment_create(*, student: User, course: Course, source: str) -> Enrollment:
    """
    Enroll `student` in `course`. Enrolling someone already active changes nothing; a dropped
    enrollment becomes active again (with its progress kept).
    """
    _require_student(student=student, course=course)
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        student=student, course=course, defaults={"source": source}
    )
    if not created and enrollment.status == EnrollmentStatus.DROPPED:
        enrollment.status = EnrollmentStatus.ACTIVE
        enrollment.source = source
        enrollment.dropped_at = None
        enrollment.save(update_fields=["status", "source", "dropped_at", "updated_at"])
    return enrollment


@transaction.atomic
def enrollment_self_enroll(*, student: User, course: Course) -> Enrollment:
    if not course.is_published:
        raise ValidationError(_("This course is not open yet."))
    if not course.allows_self_enrollment:
        raise ValidationError(_("Ask your school to enroll you in this course."))
    if course.ends_on and course.ends_on < timezone.localdate():
        raise ValidationError(_("This course has ended."))
    return enrollment_create(student=student, course=course, source=EnrollmentSource.SELF)


@transaction.atomic
def enrollment_drop(*, enrollment: Enrollment) -> Enrollment:
    """Drop an enrollment; progress is kept so that re-enrolling resumes where it stopped."""
    if enrollment.status != EnrollmentStatus.DROPPED:
        enrollment.status = EnrollmentStatus.DROPPED
        enrollment.dropped_at = timezone.now()
        enrollment.save(update_fields=["status", "dropped_at", "updated_at"])
    return enrollment


def _enroll_many(*, students: Iterable[User], course: Course, source: str) -> int:
    """Enroll students in bulk (inactive ones reactivated); returns how many changed."""
    students = list(students)
    existing = {
        e.student_id: e
        for e in Enrollment.objects.select_for_update().filter(course=course, student__in=students)
    }
    new = [
        Enrollment(student=s, course=course, source=source)
        for s in students
        if s.pk not in existing
    ]
    Enrollment.objects.bulk_create(new, ignore_conflicts=True)
    revived = [e.pk for e in existing.values() if e.status == EnrollmentStatus.DROPPED]
    Enrollment.objects.filter(pk__in=revived).update(
        status=EnrollmentStatus.ACTIVE, source=source, dropped_at=None, updated_at=timezone.now()
    )
    return len(new) + len(revived)


@transaction.atomic
def classroom_enroll(*, classroom: Classroom, course: Course) -> int:
    """
    Enroll a whole classroom: its students now, and students who join it later (see
    `classroom_students_joined`). Returns how many students were newly enrolled.
    """
    if classroom.school_id != course.school_id:
        raise ValidationError(_("The classroom and the course belong to different schools."))
    ClassroomEnrollment.objects.get_or_create(classroom=classroom, course=course)
    return _enroll_many(
        students=classroom.students.all(), course=course, source=EnrollmentSource.CLASSROOM
    )


@transaction.atomic
def classroom_unenroll(*, classroom: Classroom, course: Course) -> None:
    """Stop enrolling newcomers; students already enrolled keep their enrollment."""
    ClassroomEnrollment.objects.filter(classroom=classroom, course=course).delete()


@transaction.atomic
def classroom_students_joined(*, classroom: Classroom, students: Iterable[User]) -> None:
    """Students who joined a classroom follow it into the courses it is enrolled in."""
    students = list(students)
    for link in ClassroomEnrollment.objects.filter(classroom=classroom).select_related("course"):
        _enroll_many(students=students, course=link.course, source=EnrollmentSource.CLASSROOM)


@transaction.atomic
def program_enroll(*, student: User, program: Program) -> ProgramEnrollment:
    """Enroll in a program: the student is enrolled in its first course not yet completed."""
    if not program.is_published:
        raise ValidationError(_("This program is not open yet."))
    if not user_has_school_role(user=student, school=program.school, roles=(Role.STUDENT,)):
        raise ValidationError(_("Only students of the school can enroll in its programs."))
    enrollment, _created = ProgramEnrollment.objects.get_or_create(student=student, program=program)
    if enrollment.status == EnrollmentStatus.DROPPED:
        enrollment.status = EnrollmentStatus.ACTIVE
        enrollment.save(update_fields=["status", "updated_at"])
    program_advance(student=student, program=program)
    return enrollment


@transaction.atomic
def program_advance(*, student: User, program: Program) -> Course | None:
    """
    Enroll the student in the program's next course: the first one, in order, that they have
    not completed. Returns that course, or None when the program is complete.
    """
    completed = set(
        Enrollment.objects.filter(student=student, status=EnrollmentStatus.COMPLETED).values_list(
            "course_id", flat=True
        )
    )
    steps = program.steps.select_related("course").order_by("position", "pk")
    for step in steps.filter(course__is_published=True):  # a course unpublished since is skipped
        if step.course_id not in completed:
            enrollment_create(student=student, course=step.course, source=EnrollmentSource.PROGRAM)
            return step.course
    ProgramEnrollment.objects.filter(student=student, program=program).update(
        status=EnrollmentStatus.COMPLETED, updated_at=timezone.now()
    )
    return None
