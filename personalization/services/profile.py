"""Writes of the learner profile: what a student tells about themself (onboarding and later)."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course, Tag
from lms.exceptions import ApplicationError
from lms.models import User
from personalization.models import LearnerProfile, StudyFormat
from personalization.selectors import profile_choices, user_is_student
from personalization.services.refresh import Reason, plan_refresh_request

PROFILE_FIELDS = (
    "education_level",
    "interest_subjects",
    "interest_tags",
    "goal_text",
    "exam_date",
    "target_course",
    "preferred_formats",
    "weekly_minutes",
    "study_days",
)
MAX_SUBJECTS = 30
MAX_TAGS = 50
MAX_GOAL_TEXT = 2000
# An exam date outside these years is a typing mistake.
EXAM_YEARS = range(2000, 2200)


def _subjects_clean(values: Iterable, allowed: list[str]) -> list[str]:
    if isinstance(values, str):
        raise ValidationError({"interest_subjects": _("Give a list of subjects.")})
    names = list(dict.fromkeys(values))
    if len(names) > MAX_SUBJECTS:
        raise ValidationError(
            {"interest_subjects": _("At most %(limit)d subjects.") % {"limit": MAX_SUBJECTS}}
        )
    unknown = [name for name in names if not isinstance(name, str) or name not in allowed]
    if unknown:
        raise ValidationError(
            {
                "interest_subjects": _("No course of your school has the subject “%(name)s”.")
                % {"name": str(unknown[0])[:80]}
            }
        )
    return names


def _tags_clean(tags: Iterable[Tag], allowed_ids: set[int]) -> list[Tag]:
    tags = list({tag.pk: tag for tag in tags}.values())
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            {"interest_tags": _("At most %(limit)d topics.") % {"limit": MAX_TAGS}}
        )
    if any(tag.pk not in allowed_ids for tag in tags):
        raise ValidationError({"interest_tags": _("Choose topics of your own school.")})
    return tags


def _formats_clean(values: Iterable) -> list[str]:
    if isinstance(values, str):
        raise ValidationError({"preferred_formats": _("Give a list of ways to study.")})
    chosen = set(values)
    if not chosen <= set(StudyFormat.values):
        raise ValidationError({"preferred_formats": _("Unknown way to study.")})
    return [value for value in StudyFormat.values if value in chosen]


def _days_clean(values: Iterable) -> list[int]:
    if isinstance(values, str):
        raise ValidationError({"study_days": _("Give a list of weekdays.")})
    days = set(values)
    if any(type(day) is not int or not 1 <= day <= 7 for day in days):
        raise ValidationError({"study_days": _("Weekdays are numbered 1 (Monday) to 7 (Sunday).")})
    return sorted(days)


def _goal_text_clean(value: str) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_GOAL_TEXT:
        raise ValidationError(
            {"goal_text": _("At most %(limit)d characters.") % {"limit": MAX_GOAL_TEXT}}
        )
    return text


def _exam_date_clean(value: date | None, *, previous: date | None) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise ValidationError({"exam_date": _("Enter a valid date.")})
    if value.year not in EXAM_YEARS:
        raise ValidationError({"exam_date": _("Choose a date between 2000 and 2199.")})
    if value != previous and value < timezone.localdate():
        raise ValidationError({"exam_date": _("The exam date is in the past.")})
    return value


@transaction.atomic
def profile_update(*, student: User, **fields) -> LearnerProfile:
    """
    Set the fields given (the others keep their value) of the student's profile, creating it on
    the first save, which also marks the student as onboarded; then ask for their plan to be
    rebuilt. Topics (`interest_tags`, Tag objects), subjects and the target course must come
    from the schools where `student` is a student (`profile_choices`).
    """
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {sorted(unknown)}")
    if not user_is_student(user=student):
        raise ApplicationError(
            _("Only students have a learner profile."), code="not_a_student", status=403
        )
    profile, _created = LearnerProfile.objects.select_for_update().get_or_create(student=student)
    choices = profile_choices(student=student, profile=profile)
    tags = None
    if "interest_subjects" in fields:
        profile.interest_subjects = _subjects_clean(fields["interest_subjects"], choices.subjects)
    if "interest_tags" in fields:
        allowed = set(choices.tags.values_list("pk", flat=True))
        tags = _tags_clean(fields["interest_tags"], allowed)
    if "target_course" in fields:
        course: Course | None = fields["target_course"]
        if course is not None and not choices.courses.filter(pk=course.pk).exists():
            raise ValidationError({"target_course": _("Choose a course of your own school.")})
        profile.target_course = course
    if "preferred_formats" in fields:
        profile.preferred_formats = _formats_clean(fields["preferred_formats"])
    if "study_days" in fields:
        profile.study_days = _days_clean(fields["study_days"])
    if "goal_text" in fields:
        profile.goal_text = _goal_text_clean(fields["goal_text"] or "")
    if "exam_date" in fields:
        profile.exam_date = _exam_date_clean(fields["exam_date"], previous=profile.exam_date)
    if "education_level" in fields:
        profile.education_level = fields["education_level"] or ""
    if "weekly_minutes" in fields:
        profile.weekly_minutes = fields["weekly_minutes"]
    if profile.onboarded_at is None:
        profile.onboarded_at = timezone.now()
    profile.full_clean()
    profile.save()
    if tags is not None:
        profile.interest_tags.set(tags)
    plan_refresh_request(student_id=student.pk, reason=Reason.PROFILE)
    return profile
