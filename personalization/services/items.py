"""Changes to plan steps by students (done, dismissed) and teachers (pinned, removed, added)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Enrollment, EnrollmentStatus, Lesson
from lms.models import User
from lms.services import event_send_on_commit, user_group_name
from personalization.models import ItemKind, ItemStatus, PlanItem, StudyPlan

STUDENT_STATUSES = (ItemStatus.OPEN, ItemStatus.DONE, ItemStatus.DISMISSED)
TEACHER_ACTIONS = ("pin", "unpin", "remove", "restore")


def _plan_changed(plan: StudyPlan, *, by: str) -> None:
    """Tell the learner's open plan pages (a teacher's change shows up at once)."""
    event_send_on_commit(
        group=user_group_name(plan.student_id),
        event="plan.updated",
        payload={"revision": plan.revision, "trigger": {"reason": by}},
    )


def _locked(item: PlanItem) -> PlanItem:
    """
    The item, read again under its plan's row lock: the lock a rebuild holds, so a change made
    while the plan is rebuilt waits for it and applies to what the rebuild left.
    """
    StudyPlan.objects.select_for_update().filter(pk=item.plan_id).first()
    locked = PlanItem.objects.select_related("plan").filter(pk=item.pk).first()
    if locked is None:
        raise ValidationError(_("This step is no longer in the plan: it was just rebuilt."))
    return locked


@transaction.atomic
def plan_item_set_status(*, item: PlanItem, status: str, student: User) -> PlanItem:
    """The learner marks a step done, dismisses it, or takes it back (`open`)."""
    item = _locked(item)
    if item.plan.student_id != student.pk:
        raise ValidationError(_("This step is not in your plan."))
    if status not in STUDENT_STATUSES:
        raise ValidationError({"status": _("Choose done, dismissed or open.")})
    if item.status == ItemStatus.REMOVED:
        raise ValidationError(_("Your teacher removed this step."))
    item.status = status
    item.closed_at = None if status == ItemStatus.OPEN else timezone.now()
    item.changed_by = student
    item.save(update_fields=["status", "closed_at", "changed_by"])
    return item


@transaction.atomic
def plan_item_teacher_action(*, item: PlanItem, action: str, teacher: User) -> PlanItem:
    """A teacher pins a step to the top (kept by every rebuild), removes it, or undoes that."""
    item = _locked(item)
    if action not in TEACHER_ACTIONS:
        raise ValidationError({"action": _("Choose pin, unpin, remove or restore.")})
    if action in ("pin", "unpin"):
        item.pinned = action == "pin"
        if item.pinned and item.status != ItemStatus.OPEN:
            item.status, item.closed_at = ItemStatus.OPEN, None
    elif action == "remove":
        item.status, item.closed_at, item.pinned = ItemStatus.REMOVED, timezone.now(), False
    else:
        item.status, item.closed_at = ItemStatus.OPEN, None
    item.changed_by = teacher
    item.save(update_fields=["pinned", "status", "closed_at", "changed_by"])
    _plan_changed(item.plan, by="teacher")
    return item


def _lesson_in_courses_of(lesson: Lesson, student: User) -> bool:
    return Enrollment.objects.filter(
        student=student, course_id=lesson.module.course_id, status=EnrollmentStatus.ACTIVE
    ).exists()


@transaction.atomic
def plan_item_add(
    *, student: User, teacher: User, title: str, note: str = "", lesson: Lesson | None = None
) -> PlanItem:
    """A step a teacher writes into the learner's plan; pinned at the top until done."""
    title, note = title.strip(), note.strip()
    if not title:
        raise ValidationError({"title": _("Give the step a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("Keep the title under 200 characters.")})
    if len(note) > 300:
        raise ValidationError({"note": _("Keep the note under 300 characters.")})
    if lesson is not None and not _lesson_in_courses_of(lesson, student):
        raise ValidationError({"lesson": _("Choose a lesson of one of the student's courses.")})
    plan, _created = StudyPlan.objects.get_or_create(student=student)
    item = PlanItem(
        plan=plan,
        key=f"teacher:{uuid.uuid4().hex}",
        kind=ItemKind.TEACHER,
        position=0,
        reason_code="teacher",
        reason_args={"title": title, "note": note},
        lesson=lesson,
        course=lesson.module.course if lesson else None,
        pinned=True,
        note=note,
        changed_by=teacher,
        estimated_minutes=lesson.estimated_minutes if lesson else 15,
    )
    item.full_clean()
    item.save()
    _plan_changed(plan, by="teacher")
    return item
