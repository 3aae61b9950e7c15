"""
Reads for personalization. Who may look at a learner's plan, mastery and profile: the learner;
a teacher of a course the learner is actively enrolled in; a homeroom teacher of one of the
learner's classrooms; an admin of a school the learner belongs to. Nobody from another school.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextChoices,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from assessments.models import Attempt, AttemptStatus, Question, Response
from courses.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    KnowledgePoint,
    Lesson,
    LessonProgress,
    Tag,
)
from courses.selectors import course_list_editable, course_list_visible
from lms.models import Classroom, Membership, Role, User
from lms.selectors import school_ids_for_user
from personalization.models import (
    ItemKind,
    ItemStatus,
    LearnerProfile,
    MasteryEstimate,
    MasterySnapshot,
    PlanItem,
    StudyFormat,
    StudyPlan,
)


def student_list_visible(*, user: User) -> QuerySet[User]:
    """The learners whose plan, mastery and profile `user` may see (themself included)."""
    if not user.is_authenticated:
        return User.objects.none()
    taught = Enrollment.objects.filter(
        course__in=course_list_editable(user=user), status=EnrollmentStatus.ACTIVE
    ).values("student_id")
    administered = Membership.objects.filter(
        school__in=school_ids_for_user(user, roles=(Role.ADMIN,)), role=Role.STUDENT
    ).values("user_id")
    return User.objects.filter(
        Q(pk=user.pk)
        | Q(pk__in=taught)
        | Q(pk__in=administered)
        | Q(classrooms__homeroom_teachers=user)
    ).distinct()


def student_is_visible(*, user: User, student_id: int) -> bool:
    return student_list_visible(user=user).filter(pk=student_id).exists()


def student_course_list(*, student: User) -> QuerySet[Course]:
    """The courses the learner is actively enrolled in."""
    return Course.objects.filter(
        enrollments__student=student, enrollments__status=EnrollmentStatus.ACTIVE
    ).order_by("title", "pk")


def student_knowledge_point_list(*, student: User) -> QuerySet[KnowledgePoint]:
    """The knowledge points of the courses the learner is actively enrolled in."""
    return KnowledgePoint.objects.filter(
        course__enrollments__student=student,
        course__enrollments__status=EnrollmentStatus.ACTIVE,
    ).select_related("course")


# A response counts as correct for knowledge tracing when it earned full credit.
CORRECT_FRACTION = Decimal(1)


@dataclass(frozen=True)
class Interaction:
    """One graded answer, as knowledge tracing sees it."""

    question_id: int
    knowledge_point_ids: tuple[int, ...]
    correct: bool
    at: datetime
    attempt_id: int


def _graded_responses(student_id: int) -> QuerySet[Response]:
    return Response.objects.filter(
        attempt__student_id=student_id,
        attempt__status=AttemptStatus.SUBMITTED,
        fraction__isnull=False,
    )


def learner_interactions(*, student_id: int, limit: int) -> list[Interaction]:
    """
    The learner's latest `limit` graded answers to questions tagged with knowledge points, oldest
    first (answers in time order; unanswered questions of a submitted attempt count as wrong,
    at the submission time). Two queries.
    """
    tagged = Question.knowledge_points.through.objects.filter(question_id=OuterRef("question_id"))
    rows = list(
        _graded_responses(student_id)
        .filter(Exists(tagged))
        .annotate(submitted_at=F("attempt__submitted_at"))
        .order_by("-submitted_at", "-attempt_id", "-answered_at", "-position")
        .values_list("question_id", "fraction", "answered_at", "submitted_at", "attempt_id")[:limit]
    )
    rows.reverse()
    points: dict[int, list[int]] = {}
    for question_id, point_id in Question.knowledge_points.through.objects.filter(
        question_id__in={row[0] for row in rows}
    ).values_list("question_id", "knowledgepoint_id"):
        points.setdefault(question_id, []).append(point_id)
    return [
        Interaction(
            question_id=question_id,
            knowledge_point_ids=tuple(sorted(points.get(question_id, ()))),
            correct=fraction >= CORRECT_FRACTION,
            at=min(answered_at or submitted_at, submitted_at),
            attempt_id=attempt_id,
        )
        for question_id, fraction, answered_at, submitted_at, attempt_id in rows
    ]


@dataclass(frozen=True)
class Evidence:
    answers: int
    correct: int
    last_at: datetime


def learner_evidence(*, student_id: int) -> dict[int, Evidence]:
    """Per knowledge point: the learner's graded answers, how many were right, and the latest."""
    rows = (
        _graded_responses(student_id)
        .filter(question__knowledge_points__isnull=False)
        .values(point_id=F("question__knowledge_points"))
        .annotate(
            answers=Count("pk"),
            correct=Count("pk", filter=Q(fraction__gte=CORRECT_FRACTION)),
            last_at=Max("attempt__submitted_at"),
        )
        .order_by()
    )
    return {
        row["point_id"]: Evidence(
            answers=row["answers"], correct=row["correct"], last_at=row["last_at"]
        )
        for row in rows
    }


# --- Profile and recommendations (views/profile.py, api/profile.py, recommend.py) -------------


def student_school_ids(*, student: User) -> QuerySet:
    """Ids of the schools where `student` is a student (a subquery): where they may enroll."""
    return school_ids_for_user(student, roles=(Role.STUDENT,))


def user_is_student(*, user: User) -> bool:
    """Whether `user` is a student of some school: only students have a learner profile."""
    return (
        user.is_authenticated and Membership.objects.filter(user=user, role=Role.STUDENT).exists()
    )


def profile_get(*, student: User) -> LearnerProfile | None:
    """The student's own profile with its topics and target course (None before the first save)."""
    return (
        LearnerProfile.objects.filter(student=student)
        .select_related("target_course")
        .prefetch_related(Prefetch("interest_tags", queryset=Tag.objects.order_by("name", "pk")))
        .first()
    )


def profile_needs_onboarding(*, student: User) -> bool:
    """A student who has not yet filled in (or only skipped) the welcome questions."""
    return (
        user_is_student(user=student)
        and not LearnerProfile.objects.filter(student=student, onboarded_at__isnull=False).exists()
    )


@dataclass(frozen=True)
class ProfileView:
    """A learner's profile as one reader may see it (`profile` is None before the first save)."""

    student: User
    profile: LearnerProfile | None
    interest_tags: list[Tag]
    target_course: Course | None

    @property
    def format_labels(self) -> list[str]:
        formats = self.profile.preferred_formats if self.profile else []
        return [StudyFormat(value).label for value in formats if value in StudyFormat.values]

    @property
    def day_names(self) -> list[str]:
        days = self.profile.study_days if self.profile else []
        return [WEEKDAYS[day - 1] for day in days if isinstance(day, int) and 1 <= day <= 7]

    @property
    def exam_is_past(self) -> bool:
        exam = self.profile.exam_date if self.profile else None
        return exam is not None and exam < timezone.localdate()


def profile_view(*, student: User, viewer: User | None = None) -> ProfileView:
    """
    The learner's profile as `viewer` reads it: all of it for the learner (`viewer` None or the
    learner); for anyone else, who must be allowed to see the learner (`student_is_visible`),
    only the topics and target course of schools `viewer` belongs to.
    """
    other = viewer is not None and viewer.pk != student.pk
    tags = Tag.objects.order_by("name", "pk")
    if other:
        tags = tags.filter(school__in=school_ids_for_user(viewer))
    profile = (
        LearnerProfile.objects.filter(student=student)
        .select_related("target_course")
        .prefetch_related(Prefetch("interest_tags", queryset=tags))
        .first()
    )
    target = profile.target_course if profile else None
    if (
        target is not None
        and other
        and not Membership.objects.filter(user=viewer, school_id=target.school_id).exists()
    ):
        target = None
    return ProfileView(
        student=student,
        profile=profile,
        interest_tags=list(profile.interest_tags.all()) if profile else [],
        target_course=target,
    )


@dataclass(frozen=True)
class ProfileChoices:
    """What a student may pick in their profile: all of it from the schools they study at."""

    subjects: list[str]
    tags: QuerySet[Tag]
    courses: QuerySet[Course]


def profile_choices(*, student: User, profile: LearnerProfile | None = None) -> ProfileChoices:
    """
    The subjects of the published courses of the student's schools, the schools' topics (tags),
    and the courses the student may see there as a target. What `profile` holds already stays
    choosable (a course unpublished since, a subject no longer taught) so that saving the profile
    again never fails on it.
    """
    schools = student_school_ids(student=student)
    subjects = set(
        Course.objects.filter(school__in=schools, is_published=True).values_list(
            "subject", flat=True
        )
    )
    kept = Q(pk__in=[])
    if profile is not None and profile.pk is not None:
        subjects.update(s for s in profile.interest_subjects if isinstance(s, str))
        if profile.target_course_id is not None:
            kept = Q(pk=profile.target_course_id)
    visible = course_list_visible(user=student).values("pk")
    return ProfileChoices(
        subjects=sorted(subjects, key=lambda s: (s.casefold(), s)),
        tags=Tag.objects.filter(school__in=schools).order_by("name", "pk"),
        courses=Course.objects.filter(Q(pk__in=visible) | kept, school__in=schools).order_by(
            "title", "pk"
        ),
    )


def course_list_enrollable(*, student: User, school=None) -> QuerySet[Course]:
    """
    Courses the student may enroll in themself and has never been enrolled in (a course they
    dropped is not offered again): published, open to self-enrollment, not ended, in a school
    where they are a student (or in `school` only).
    """
    taken = Enrollment.objects.filter(student=student, course=OuterRef("pk"))
    courses = Course.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()),
        school__in=student_school_ids(student=student),
        is_published=True,
        allows_self_enrollment=True,
    ).exclude(Exists(taken))
    if school is not None:
        courses = courses.filter(school=school)
    return courses


# --- Study plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanStep:
    """A plan item as pages and the API show it."""

    item: PlanItem
    title: str
    url: str | None
    reason: str


def _step_title_and_url(item, *, own: bool) -> tuple[str, str | None]:
    args = item.reason_args or {}
    if item.kind == ItemKind.PRACTICE and item.assessment_id:
        # A practice set is the student's own: nobody else may open it.
        url = reverse("assessments:detail", args=[item.assessment_id]) if own else None
        return item.assessment.title, url
    if item.kind in (ItemKind.REVIEW, ItemKind.SPACED_REVIEW) and item.knowledge_point_id:
        title = (
            _("Review “%(point)s”") if item.kind == ItemKind.REVIEW else _("Refresh “%(point)s”")
        ) % {"point": item.knowledge_point.name}
        url = reverse("courses:lesson_detail", args=[item.lesson_id]) if item.lesson_id else None
        return title, url
    if item.kind == ItemKind.NEXT_LESSON and item.lesson_id:
        return (
            _("Lesson %(lesson)s") % {"lesson": args.get("lesson") or item.lesson.title},
            reverse("courses:lesson_detail", args=[item.lesson_id]),
        )
    if item.kind == ItemKind.COURSE and item.course_id:
        return item.course.title, reverse("courses:course_detail", args=[item.course_id])
    url = reverse("courses:lesson_detail", args=[item.lesson_id]) if item.lesson_id else None
    return args.get("title") or _("A step from your teacher"), url


def plan_items_visible(*, plan: StudyPlan, viewer: User) -> QuerySet[PlanItem]:
    """The plan's items `viewer` may see: all for the learner, their schools' for a teacher."""
    items = PlanItem.objects.filter(plan__student_id=plan.student_id)
    if viewer.pk != plan.student_id:
        items = items.filter(
            Q(course__isnull=True) | Q(course__school__in=school_ids_for_user(viewer))
        )
    return items


def plan_steps(*, plan: StudyPlan, viewer: User) -> list[PlanStep]:
    """The plan's items `viewer` may see in order, each with its title, link and reason."""
    from personalization.reasons import reason_text

    items = plan_items_visible(plan=plan, viewer=viewer).select_related(
        "knowledge_point", "lesson", "course", "assessment"
    )
    own = viewer.pk == plan.student_id
    steps = []
    for item in items:
        title, url = _step_title_and_url(item, own=own)
        steps.append(
            PlanStep(
                item=item,
                title=title,
                url=url,
                reason=reason_text(item.reason_code, item.reason_args),
            )
        )
    return steps


def plan_for_student(*, student: User) -> StudyPlan | None:
    """The learner's plan, or None before the first one is built."""
    return StudyPlan.objects.filter(student=student).first()


# --- Mastery: the student's charts, the class heatmap, students at risk -------------------------

# Mastery is a probability, 0 to 1. At or above MASTERED_AT a knowledge point counts as mastered;
# below WEAK_BELOW it needs work; in between the learner is still learning it. A point without a
# graded answer yet (no estimate, or one without evidence) is "not assessed yet". The study plan
# (personalization.services.plan) uses these too, so pages and plan agree on a weak point.
MASTERED_AT = 0.7
WEAK_BELOW = 0.6
# A knowledge point's history chart shows its latest this many refreshes at most, from this far
# back at most (the window also bounds what the heatmap and the at-risk rules scan).
HISTORY_POINTS = 30
HISTORY_WINDOW = timedelta(days=180)


class MasteryLevel(TextChoices):
    NOT_ASSESSED = "not_assessed", gettext_lazy("Not assessed yet")
    NEEDS_WORK = "needs_work", gettext_lazy("Needs work")
    LEARNING = "learning", gettext_lazy("Learning")
    MASTERED = "mastered", gettext_lazy("Mastered")


def mastery_level(mastery: float | None) -> str:
    if mastery is None:
        return MasteryLevel.NOT_ASSESSED
    if mastery >= MASTERED_AT:
        return MasteryLevel.MASTERED
    if mastery < WEAK_BELOW:
        return MasteryLevel.NEEDS_WORK
    return MasteryLevel.LEARNING


def mastery_percent_value(mastery: float) -> int:
    """Mastery as a whole percentage, halves rounded up (as the heatmap's script does)."""
    return math.floor(mastery * 100 + 0.5)


def mastery_percent(mastery: float) -> str:
    """Mastery as teachers and learners read it: a whole percentage."""
    return f"{mastery_percent_value(mastery)}%"


def _average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class MasteryPoint:
    """The estimate as one refresh left it."""

    at: datetime
    mastery: float
    attempt_id: int | None
    assessment: str | None  # the title of the attempt's assessment


@dataclass(frozen=True)
class PointMastery:
    """A learner's mastery of one knowledge point; `mastery` is None until it is assessed."""

    knowledge_point: KnowledgePoint
    mastery: float | None
    evidence: int
    correct: int
    last_practiced_at: datetime | None
    history: tuple[MasteryPoint, ...]

    @property
    def level(self) -> str:
        return mastery_level(self.mastery)


@dataclass(frozen=True)
class CourseMastery:
    course: Course
    points: tuple[PointMastery, ...]

    @property
    def assessed_count(self) -> int:
        return sum(1 for point in self.points if point.mastery is not None)

    @property
    def mastered_count(self) -> int:
        return sum(1 for point in self.points if point.level == MasteryLevel.MASTERED)


def _assessed_estimates(**filters) -> QuerySet[MasteryEstimate]:
    """Estimates backed by at least one graded answer: the others are not assessed yet."""
    return MasteryEstimate.objects.filter(evidence__gt=0, **filters).order_by()


def _latest_snapshots(*, limit: int, **filters) -> QuerySet[MasterySnapshot]:
    """The latest `limit` snapshots per learner and knowledge point among `filters`, in order."""
    recency = Window(
        RowNumber(),
        partition_by=[F("student_id"), F("knowledge_point_id")],
        order_by=[F("at").desc(), F("pk").desc()],
    )
    return (
        MasterySnapshot.objects.filter(at__gte=timezone.now() - HISTORY_WINDOW, **filters)
        .annotate(recency=recency)
        .filter(recency__lte=limit)
        .order_by("student_id", "knowledge_point_id", "at", "pk")
    )


def student_mastery(*, student: User, viewer: User | None = None) -> list[CourseMastery]:
    """
    The learner's mastery of every knowledge point of each course they are actively enrolled in,
    with each point's latest `HISTORY_POINTS` refreshes. Four queries. The caller checks that the
    acting user may see the learner (`student_list_visible`); a `viewer` other than the learner
    sees only the courses of their own schools.
    """
    courses = student_course_list(student=student)
    points = student_knowledge_point_list(student=student)
    if viewer is not None and viewer.pk != student.pk:
        courses = courses.filter(school__in=school_ids_for_user(viewer))
        points = points.filter(course__school__in=school_ids_for_user(viewer))
    courses = list(courses)
    points = list(points.order_by("name", "pk"))
    point_ids = [point.pk for point in points]
    estimates = {
        estimate.knowledge_point_id: estimate
        for estimate in _assessed_estimates(student=student, knowledge_point_id__in=point_ids)
    }
    history: dict[int, list[MasteryPoint]] = {}
    for point_id, *step in _latest_snapshots(
        limit=HISTORY_POINTS, student=student, knowledge_point_id__in=point_ids
    ).values_list(
        "knowledge_point_id", "at", "mastery", "attempt_id", "attempt__assessment__title"
    ):
        history.setdefault(point_id, []).append(MasteryPoint(*step))
    by_course: dict[int, list[PointMastery]] = {}
    for point in points:
        estimate = estimates.get(point.pk)
        by_course.setdefault(point.course_id, []).append(
            PointMastery(
                knowledge_point=point,
                mastery=estimate.mastery if estimate else None,
                evidence=estimate.evidence if estimate else 0,
                correct=estimate.correct if estimate else 0,
                last_practiced_at=estimate.last_practiced_at if estimate else None,
                history=tuple(history.get(point.pk, ())) if estimate else (),
            )
        )
    return [
        CourseMastery(course=course, points=tuple(by_course.get(course.pk, ())))
        for course in courses
    ]


class HeatmapSort(TextChoices):
    NAME = "name", gettext_lazy("By name")
    WEAKNESS = "weakness", gettext_lazy("Weakest first")


@dataclass(frozen=True)
class HeatmapCell:
    knowledge_point_id: int
    mastery: float | None
    evidence: int
    correct: int

    @property
    def level(self) -> str:
        return mastery_level(self.mastery)


@dataclass(frozen=True)
class HeatmapRow:
    student: User
    cells: tuple[HeatmapCell, ...]
    average: float | None
    assessed_count: int
    weak_count: int


@dataclass(frozen=True)
class HeatmapColumn:
    knowledge_point: KnowledgePoint
    average: float | None
    assessed_count: int


@dataclass(frozen=True)
class Heatmap:
    course: Course
    columns: tuple[HeatmapColumn, ...]
    rows: tuple[HeatmapRow, ...]
    average: float | None


def _name_key(student: User) -> tuple[str, str]:
    return (student.name.casefold(), student.username)


def _weakness_key(row: HeatmapRow) -> tuple:
    """Lowest average first, then more points needing work; students not assessed come last."""
    return (row.average is None, row.average or 0, -row.weak_count, *_name_key(row.student))


def course_mastery_heatmap(
    *,
    course: Course,
    classroom: Classroom | None = None,
    student_ids: Iterable[int] | None = None,
    sort: str = HeatmapSort.NAME,
) -> Heatmap:
    """
    The course's actively enrolled students (of `classroom`, or among `student_ids`, when given)
    by its knowledge points: each cell the student's mastery, None when not assessed yet; averages
    over the assessed cells of each row, each column and the whole. Three queries. The caller
    checks that the acting user may edit the course.
    """
    points = list(course.knowledge_points.order_by("name", "pk"))
    enrollments = Enrollment.objects.filter(course=course, status=EnrollmentStatus.ACTIVE)
    if classroom is not None:
        enrollments = enrollments.filter(student__classroom_seats__classroom=classroom)
    if student_ids is not None:
        enrollments = enrollments.filter(student_id__in=list(student_ids))
    students = [enrollment.student for enrollment in enrollments.select_related("student")]
    estimates = {
        (student_id, point_id): (mastery, evidence, correct)
        for student_id, point_id, mastery, evidence, correct in _assessed_estimates(
            student_id__in=[student.pk for student in students],
            knowledge_point_id__in=[point.pk for point in points],
        ).values_list("student_id", "knowledge_point_id", "mastery", "evidence", "correct")
    }
    rows = []
    for student in students:
        cells = tuple(
            HeatmapCell(point.pk, *estimates.get((student.pk, point.pk), (None, 0, 0)))
            for point in points
        )
        assessed = [cell.mastery for cell in cells if cell.mastery is not None]
        rows.append(
            HeatmapRow(
                student=student,
                cells=cells,
                average=_average(assessed),
                assessed_count=len(assessed),
                weak_count=sum(1 for value in assessed if value < WEAK_BELOW),
            )
        )
    if sort == HeatmapSort.WEAKNESS:
        rows.sort(key=_weakness_key)
    else:
        rows.sort(key=lambda row: _name_key(row.student))
    columns = []
    for index, point in enumerate(points):
        assessed = [row.cells[index].mastery for row in rows]
        assessed = [value for value in assessed if value is not None]
        columns.append(HeatmapColumn(point, _average(assessed), len(assessed)))
    everything = [cell.mastery for row in rows for cell in row.cells if cell.mastery is not None]
    return Heatmap(
        course=course, columns=tuple(columns), rows=tuple(rows), average=_average(everything)
    )


def heatmap_classroom_list(*, course: Course) -> QuerySet[Classroom]:
    """The classrooms of the course's school with a student actively enrolled in the course."""
    enrolled = Enrollment.objects.filter(course=course, status=EnrollmentStatus.ACTIVE)
    return (
        Classroom.objects.filter(
            school_id=course.school_id, seats__student_id__in=enrolled.values("student_id")
        )
        .distinct()
        .order_by("name")
    )


# The rules of `at_risk_students`. A student is at risk in a course, with one reason per rule met:
# - low mastery: the average over their assessed knowledge points is below AT_RISK_AVERAGE_BELOW,
#   or at least AT_RISK_WEAK_POINTS points need work (below WEAK_BELOW);
# - falling mastery: a point's current mastery is at least AT_RISK_DROP below its highest value
#   among its latest AT_RISK_DROP_SNAPSHOTS refreshes;
# - inactivity: no submitted attempt and no lesson progress in the course for AT_RISK_INACTIVE_DAYS
#   days while enrolled (counted from the enrollment or the course's start, whichever is later;
#   never before the course starts or after it ends).
AT_RISK_AVERAGE_BELOW = 0.4
AT_RISK_WEAK_POINTS = 3
AT_RISK_DROP = 0.15
AT_RISK_DROP_SNAPSHOTS = 5
AT_RISK_INACTIVE_DAYS = 14
# A weak-points reason names this many of the weakest points.
AT_RISK_NAMED_POINTS = 3
# Mastery values differing by less than this are equal (0.59 - 0.44 is 0.1499999… in floats).
_EPSILON = 1e-9


class AtRiskCode(TextChoices):
    LOW_AVERAGE = "low_average", gettext_lazy("Low average mastery")
    WEAK_POINTS = "weak_points", gettext_lazy("Many weak points")
    FALLING = "falling", gettext_lazy("Falling mastery")
    INACTIVE = "inactive", gettext_lazy("No recent activity")


@dataclass(frozen=True)
class AtRiskReason:
    """
    Why a student is at risk: a code and its arguments (plain JSON values), put into words in
    the reader's language when shown.
    """

    code: str
    args: dict

    @property
    def text(self) -> str:
        args = self.args
        if self.code == AtRiskCode.LOW_AVERAGE:
            return ngettext(
                "Average mastery %(average)s over %(count)d assessed knowledge point",
                "Average mastery %(average)s over %(count)d assessed knowledge points",
                args["count"],
            ) % {"average": mastery_percent(args["average"]), "count": args["count"]}
        if self.code == AtRiskCode.WEAK_POINTS:
            names = [point["name"] for point in args["knowledge_points"]]
            if args["count"] > len(names):
                names.append("…")
            return ngettext(
                "%(count)d knowledge point needs work: %(names)s",
                "%(count)d knowledge points need work: %(names)s",
                args["count"],
            ) % {"count": args["count"], "names": ", ".join(names)}
        if self.code == AtRiskCode.FALLING:
            values = {
                "point": args["name"],
                "before": mastery_percent(args["before"]),
                "after": mastery_percent(args["after"]),
                "assessment": args["assessment"],
            }
            if args["assessment"]:
                return (
                    _(
                        "Mastery of “%(point)s” fell from %(before)s to %(after)s "
                        "after “%(assessment)s”"
                    )
                    % values
                )
            return _("Mastery of “%(point)s” fell from %(before)s to %(after)s") % values
        if args["last_activity"] is None:
            return ngettext(
                "No activity since enrolling %(days)d day ago",
                "No activity since enrolling %(days)d days ago",
                args["days"],
            ) % {"days": args["days"]}
        return ngettext(
            "No activity for %(days)d day", "No activity for %(days)d days", args["days"]
        ) % {"days": args["days"]}


@dataclass(frozen=True)
class AtRisk:
    student: User
    reasons: tuple[AtRiskReason, ...]


def _low_mastery_reasons(
    estimates: list[tuple[float, KnowledgePoint]],
) -> list[AtRiskReason]:
    if not estimates:
        return []
    reasons = []
    average = sum(mastery for mastery, _point in estimates) / len(estimates)
    if average < AT_RISK_AVERAGE_BELOW:
        reasons.append(
            AtRiskReason(
                AtRiskCode.LOW_AVERAGE, {"average": round(average, 4), "count": len(estimates)}
            )
        )
    weak = sorted(
        ((mastery, point) for mastery, point in estimates if mastery < WEAK_BELOW),
        key=lambda pair: (pair[0], pair[1].name),
    )
    if len(weak) >= AT_RISK_WEAK_POINTS:
        named = [
            {"id": point.pk, "name": point.name, "mastery": round(mastery, 4)}
            for mastery, point in weak[:AT_RISK_NAMED_POINTS]
        ]
        reasons.append(
            AtRiskReason(AtRiskCode.WEAK_POINTS, {"count": len(weak), "knowledge_points": named})
        )
    return reasons


def _falling_reasons(
    history: dict[int, list[tuple[float, str | None]]], points: dict[int, KnowledgePoint]
) -> list[AtRiskReason]:
    falls = []
    for point_id, snapshots in history.items():
        if len(snapshots) < 2:
            continue
        after, assessment = snapshots[-1]
        before = max(mastery for mastery, _title in snapshots[:-1])
        if before - after >= AT_RISK_DROP - _EPSILON:
            falls.append((before - after, points[point_id], before, after, assessment))
    falls.sort(key=lambda fall: (-fall[0], fall[1].name))
    return [
        AtRiskReason(
            AtRiskCode.FALLING,
            {
                "knowledge_point": point.pk,
                "name": point.name,
                "before": round(before, 4),
                "after": round(after, 4),
                "assessment": assessment,
            },
        )
        for _drop, point, before, after, assessment in falls
    ]


def _course_bounds(course: Course, today: date) -> tuple[bool, datetime | None]:
    """Whether the course is running on `today`, and when it started (None: no start date)."""
    if course.starts_on and course.starts_on > today:
        return False, None
    if course.ends_on and course.ends_on < today:
        return False, None
    if course.starts_on is None:
        return True, None
    return True, timezone.make_aware(datetime.combine(course.starts_on, time.min))


def _inactivity_reason(
    *, now: datetime, enrolled_at: datetime, started_at: datetime | None, last: datetime | None
) -> AtRiskReason | None:
    since = max(filter(None, (enrolled_at, started_at, last)))
    days = (now - since).days
    if days < AT_RISK_INACTIVE_DAYS:
        return None
    return AtRiskReason(
        AtRiskCode.INACTIVE,
        {"days": days, "last_activity": last.isoformat() if last else None},
    )


def at_risk_students(*, course: Course, now: datetime | None = None) -> list[AtRisk]:
    """
    The course's actively enrolled students who meet one of the at-risk rules above, each with
    every reason that applies; most reasons first, then by name. Six queries whatever the number
    of students. The caller checks that the acting user may edit the course.
    """
    now = now or timezone.now()
    running, started_at = _course_bounds(course, timezone.localdate(now))
    enrollments = list(
        Enrollment.objects.filter(course=course, status=EnrollmentStatus.ACTIVE).select_related(
            "student"
        )
    )
    student_ids = [enrollment.student_id for enrollment in enrollments]
    points = course.knowledge_points.in_bulk()
    estimates: dict[int, list[tuple[float, KnowledgePoint]]] = {}
    for student_id, point_id, mastery in _assessed_estimates(
        student_id__in=student_ids, knowledge_point_id__in=list(points)
    ).values_list("student_id", "knowledge_point_id", "mastery"):
        estimates.setdefault(student_id, []).append((mastery, points[point_id]))
    history: dict[int, dict[int, list[tuple[float, str | None]]]] = {}
    for student_id, point_id, mastery, title in _latest_snapshots(
        limit=AT_RISK_DROP_SNAPSHOTS,
        student_id__in=student_ids,
        knowledge_point_id__in=list(points),
    ).values_list("student_id", "knowledge_point_id", "mastery", "attempt__assessment__title"):
        history.setdefault(student_id, {}).setdefault(point_id, []).append((mastery, title))
    last_activity: dict[int, datetime] = {}
    if running:
        submitted = (
            Attempt.objects.filter(
                assessment__course=course,
                student_id__in=student_ids,
                status=AttemptStatus.SUBMITTED,
            )
            .values("student_id")
            .annotate(last=Max("submitted_at"))
        )
        progress = (
            LessonProgress.objects.filter(lesson__module__course=course, student_id__in=student_ids)
            .values("student_id")
            .annotate(last=Max("updated_at"))
        )
        for rows in (submitted, progress):
            for student_id, last in rows.order_by().values_list("student_id", "last"):
                if last and (student_id not in last_activity or last > last_activity[student_id]):
                    last_activity[student_id] = last
    found = []
    for enrollment in enrollments:
        student_id = enrollment.student_id
        reasons = [
            *_low_mastery_reasons(estimates.get(student_id, [])),
            *_falling_reasons(history.get(student_id, {}), points),
        ]
        if running:
            inactive = _inactivity_reason(
                now=now,
                enrolled_at=enrollment.created_at,
                started_at=started_at,
                last=last_activity.get(student_id),
            )
            if inactive:
                reasons.append(inactive)
        if reasons:
            found.append(AtRisk(student=enrollment.student, reasons=tuple(reasons)))
    found.sort(key=lambda risk: (-len(risk.reasons), *_name_key(risk.student)))
    return found


# --- Plan steps for actions -------------------------------------------------------------------


def plan_item_list_for_student(*, student: User) -> QuerySet[PlanItem]:
    """The steps of the learner's own plan."""
    return PlanItem.objects.filter(plan__student=student)


def student_list_taught(*, user: User) -> QuerySet[User]:
    """The learners `user` may look at as a teacher or admin (not themself)."""
    return student_list_visible(user=user).exclude(pk=user.pk)


def plan_item_list_for_teacher(*, teacher: User, student: User) -> QuerySet[PlanItem]:
    """The steps of the learner's plan that `teacher` may see and change (their schools')."""
    return plan_items_visible(plan=StudyPlan(student=student), viewer=teacher)


def lesson_list_for_plan_step(*, teacher: User, student: User) -> QuerySet[Lesson]:
    """Lessons a teacher may put in a learner's plan: those of the learner's courses they see."""
    return Lesson.objects.filter(
        module__course__in=student_course_list(student=student).filter(
            school__in=school_ids_for_user(teacher)
        )
    )


@dataclass(frozen=True)
class CourseSuggestion:
    course: Course
    reason: str


def plan_course_recommendations(*, student: User, school) -> list[CourseSuggestion] | None:
    """The open course steps of the learner's plan in `school`, or None before any ranking."""
    from personalization.reasons import reason_text

    plan = plan_for_student(student=student)
    if plan is None or plan.recommended_at is None:
        return None
    items = plan.items.filter(
        kind=ItemKind.COURSE, status=ItemStatus.OPEN, course__school=school
    ).select_related("course")
    return [
        CourseSuggestion(course=item.course, reason=reason_text(item.reason_code, item.reason_args))
        for item in items.order_by("position", "pk")
    ]
