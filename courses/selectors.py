"""Reads for courses. Each takes the acting user and returns only what that user may see."""

import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from courses.models import (
    ContentBlock,
    Course,
    Enrollment,
    EnrollmentStatus,
    KnowledgePoint,
    Lesson,
    LessonProgress,
    Module,
    Program,
    ProgramCourse,
    Tag,
)
from courses.permissions import course_can_edit
from lms.models import Role, School, User
from lms.selectors import school_ids_for_user, school_member_list


class SubqueryCount(Subquery):
    """COUNT(*) of a correlated subquery: counts rows without multiplying the outer joins."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def _count(queryset: QuerySet) -> SubqueryCount:
    return SubqueryCount(queryset.order_by().values("pk"))


def progress_percent(done: int, total: int) -> int:
    """`done` of `total` lessons as a whole percentage (0 for a course without lessons)."""
    return round(100 * done / total) if total else 0


def _editable(user: User) -> Q:
    """The courses `user` may change: those they teach, and all of the schools they administer."""
    return Q(school__in=school_ids_for_user(user, roles=(Role.ADMIN,))) | Q(
        school__in=school_ids_for_user(user, roles=(Role.TEACHER,)), teachers=user
    )


def _published_for_member(queryset: QuerySet, *, user: User, school: School) -> QuerySet:
    """The published rows of `queryset` in `school`, when `user` is a member of it."""
    return queryset.filter(school=school, school__in=school_ids_for_user(user), is_published=True)


def course_list_visible(*, user: User) -> QuerySet[Course]:
    """
    Courses the user may open: the published courses of their schools, every course they teach,
    and every course of a school they administer.
    """
    if not user.is_authenticated:
        return Course.objects.none()
    return Course.objects.filter(
        Q(school__in=school_ids_for_user(user), is_published=True) | _editable(user)
    ).distinct()


def course_list_editable(*, user: User) -> QuerySet[Course]:
    """Courses the user may change: those they teach, and all of the schools they administer."""
    if not user.is_authenticated:
        return Course.objects.none()
    return Course.objects.filter(_editable(user)).distinct()


def module_list_editable(*, user: User) -> QuerySet[Module]:
    return Module.objects.filter(course__in=course_list_editable(user=user)).select_related(
        "course__school"
    )


def lesson_list_editable(*, user: User) -> QuerySet[Lesson]:
    return Lesson.objects.filter(module__course__in=course_list_editable(user=user)).select_related(
        "module__course__school"
    )


def block_list_editable(*, user: User) -> QuerySet[ContentBlock]:
    return ContentBlock.objects.filter(
        lesson__module__course__in=course_list_editable(user=user)
    ).select_related("lesson__module__course__school")


def knowledge_point_list_editable(*, user: User) -> QuerySet[KnowledgePoint]:
    return KnowledgePoint.objects.filter(course__in=course_list_editable(user=user)).select_related(
        "course__school"
    )


def course_cards(courses: QuerySet[Course], *, user: User) -> QuerySet[Course]:
    """`courses` with what a course card shows: tags, teachers, lesson count, enrolled or not."""
    return (
        courses.select_related("school")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch("teachers", queryset=User.objects.order_by("username")),
        )
        .annotate(
            lesson_count=_count(Lesson.objects.filter(module__course=OuterRef("pk"))),
            is_enrolled=Exists(
                Enrollment.objects.filter(course=OuterRef("pk"), student=user).exclude(
                    status=EnrollmentStatus.DROPPED
                )
            ),
        )
    )


def catalog_course_list(
    *,
    user: User,
    school: School,
    query: str = "",
    subject: str = "",
    level: str = "",
    tag: str = "",
) -> QuerySet[Course]:
    """The school's published courses, searched and filtered, for a member of the school."""
    courses = _published_for_member(Course.objects.all(), user=user, school=school)
    if query:
        courses = courses.filter(
            Q(title__icontains=query)
            | Q(code__icontains=query)
            | Q(description__icontains=query)
            | Q(tags__name__icontains=query)
        ).distinct()
    if subject:
        courses = courses.filter(subject__iexact=subject)
    if level:
        courses = courses.filter(level=level)
    if tag:
        courses = courses.filter(tags__name__iexact=tag).distinct()
    return course_cards(courses, user=user).order_by("title", "pk")


@dataclass(frozen=True)
class CatalogFacets:
    subjects: list[str]
    tags: list[str]


def catalog_facets(*, user: User, school: School) -> CatalogFacets:
    published = _published_for_member(Course.objects.all(), user=user, school=school)
    subjects = sorted(set(published.values_list("subject", flat=True)), key=str.casefold)
    tags = list(
        Tag.objects.filter(courses__in=published)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )
    return CatalogFacets(subjects=subjects, tags=tags)


def program_list_visible(*, user: User) -> QuerySet[Program]:
    """The published programs of every school the user is a member of."""
    return Program.objects.filter(school__in=school_ids_for_user(user), is_published=True)


def program_list_for_catalog(*, user: User, school: School) -> QuerySet[Program]:
    return (
        _published_for_member(Program.objects.all(), user=user, school=school)
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ProgramCourse.objects.select_related("course").order_by("position", "pk"),
            )
        )
        .order_by("title")
    )


def enrollment_list_for_student(*, user: User) -> QuerySet[Enrollment]:
    """The student's own active and completed enrollments, with lesson counts for progress."""
    if not user.is_authenticated:
        return Enrollment.objects.none()
    return (
        Enrollment.objects.filter(student=user, course__school__in=school_ids_for_user(user))
        .exclude(status=EnrollmentStatus.DROPPED)
        .select_related("course", "course__school")
        .annotate(
            lesson_count=_count(Lesson.objects.filter(module__course=OuterRef("course_id"))),
            completed_count=_count(
                LessonProgress.objects.filter(
                    student=OuterRef("student_id"),
                    lesson__module__course=OuterRef("course_id"),
                    completed_at__isnull=False,
                )
            ),
        )
        .order_by("status", "course__title")
    )


@dataclass(frozen=True)
class LessonInfo:
    """What an outline shows of a lesson: plain data, cached per course content version."""

    pk: int
    title: str
    estimated_minutes: int
    knowledge_points: tuple[str, ...]
    prerequisite_ids: tuple[int, ...]
    knowledge_point_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModuleInfo:
    pk: int
    title: str
    lessons: tuple[LessonInfo, ...]


STRUCTURE_CACHE_SECONDS = 24 * 60 * 60


def course_structure(*, course: Course) -> tuple[ModuleInfo, ...]:
    """
    The modules and lessons of a course in order, with knowledge points and gates. Read from
    the cache under the course's `content_version`, which every outline change raises.
    """
    key = f"courses:structure:v2:{course.pk}:{course.content_version}"
    structure = cache.get(key)
    if structure is None:
        lessons = Lesson.objects.order_by("position", "pk").prefetch_related(
            Prefetch("knowledge_points", queryset=KnowledgePoint.objects.order_by("name")),
            Prefetch("prerequisites", queryset=Lesson.objects.only("pk")),
        )
        modules = course.modules.order_by("position", "pk").prefetch_related(
            Prefetch("lessons", lessons)
        )
        structure = tuple(
            ModuleInfo(
                pk=module.pk,
                title=module.title,
                lessons=tuple(
                    LessonInfo(
                        pk=lesson.pk,
                        title=lesson.title,
                        estimated_minutes=lesson.estimated_minutes,
                        knowledge_points=tuple(kp.name for kp in lesson.knowledge_points.all()),
                        prerequisite_ids=tuple(p.pk for p in lesson.prerequisites.all()),
                        knowledge_point_ids=tuple(kp.pk for kp in lesson.knowledge_points.all()),
                    )
                    for lesson in module.lessons.all()
                ),
            )
            for module in modules
        )
        cache.set(key, structure, STRUCTURE_CACHE_SECONDS)
    return structure


@dataclass
class LessonEntry:
    lesson: LessonInfo
    completed: bool = False
    locked_by: list[LessonInfo] = field(default_factory=list)

    @property
    def locked(self) -> bool:
        return bool(self.locked_by)


@dataclass
class ModuleEntry:
    module: ModuleInfo
    lessons: list[LessonEntry]


@dataclass
class CourseOutline:
    course: Course
    modules: list[ModuleEntry]
    enrollment: Enrollment | None
    lesson_count: int
    completed_count: int

    @property
    def percent(self) -> int:
        return progress_percent(self.completed_count, self.lesson_count)

    @property
    def next_lesson(self) -> LessonInfo | None:
        """Where to resume: the first lesson, in order, neither completed nor locked."""
        for module in self.modules:
            for entry in module.lessons:
                if not entry.completed and not entry.locked:
                    return entry.lesson
        return None

    @property
    def is_enrolled(self) -> bool:
        return self.enrollment is not None and self.enrollment.status != EnrollmentStatus.DROPPED

    @property
    def state_key(self) -> str:
        """Names everything a rendered outline depends on besides the structure's version:
        the lessons completed and whether the user is enrolled (for the links)."""
        done = sorted(e.lesson.pk for m in self.modules for e in m.lessons if e.completed)
        state = repr((done, self.is_enrolled)).encode()
        digest = hashlib.blake2b(state, digest_size=8).hexdigest()
        return f"{self.course.pk}.{self.course.content_version}.{digest}"

    def entry(self, lesson_id: int) -> LessonEntry | None:
        for module in self.modules:
            for entry in module.lessons:
                if entry.lesson.pk == lesson_id:
                    return entry
        return None

    def neighbours(self, lesson_id: int) -> tuple[LessonInfo | None, LessonInfo | None]:
        flat = [entry.lesson for module in self.modules for entry in module.lessons]
        index = next(i for i, lesson in enumerate(flat) if lesson.pk == lesson_id)
        return (
            flat[index - 1] if index > 0 else None,
            flat[index + 1] if index + 1 < len(flat) else None,
        )


def course_outline(*, course: Course, user: User) -> CourseOutline:
    """
    Modules and lessons of a course in order, with the user's completion and the locks of
    gated lessons: the cached structure plus two queries for the user's own state.
    """
    structure = course_structure(course=course)
    completed = set(
        LessonProgress.objects.filter(
            student=user, lesson__module__course=course, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    enrollment = Enrollment.objects.filter(student=user, course=course).first()
    by_id = {lesson.pk: lesson for module in structure for lesson in module.lessons}
    entries = [
        ModuleEntry(
            module=module,
            lessons=[
                LessonEntry(
                    lesson=lesson,
                    completed=lesson.pk in completed,
                    locked_by=[
                        by_id[pk]
                        for pk in lesson.prerequisite_ids
                        if pk not in completed and pk in by_id
                    ],
                )
                for lesson in module.lessons
            ],
        )
        for module in structure
    ]
    return CourseOutline(
        course=course,
        modules=entries,
        enrollment=enrollment,
        lesson_count=len(by_id),
        completed_count=sum(e.completed for m in entries for e in m.lessons),
    )


@dataclass(frozen=True)
class LessonAccess:
    """What a user may do with one lesson: the one place that decides it."""

    outline: CourseOutline
    entry: LessonEntry | None
    is_editor: bool

    @property
    def may_open(self) -> bool:
        """Editors always (a preview); students once enrolled."""
        return self.is_editor or self.outline.is_enrolled

    @property
    def may_see_content(self) -> bool:
        """Blocks and files: editors always; enrolled students once the lesson is unlocked."""
        if self.is_editor:
            return True
        return self.outline.is_enrolled and self.entry is not None and not self.entry.locked


def lesson_access(*, user: User, lesson: Lesson) -> LessonAccess:
    """Call with a lesson from `lesson_list_visible` (its course already visible to `user`)."""
    course = lesson.module.course
    outline = course_outline(course=course, user=user)
    return LessonAccess(
        outline=outline,
        entry=outline.entry(lesson.pk),
        is_editor=course_can_edit(user=user, course=course),
    )


def lesson_lock_reason(*, student: User, lesson: Lesson) -> str | None:
    """Why the lesson is locked for the student (which lessons to complete first), or None."""
    done = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), student=student, completed_at__isnull=False
    )
    missing = list(
        lesson.prerequisites.exclude(Exists(done)).order_by("module__position", "position")
    )
    if not missing:
        return None
    return _("Complete %(lessons)s first.") % {
        "lessons": ", ".join(f"“{other.title}”" for other in missing)
    }


def module_list_with_content(*, course: Course) -> QuerySet[Module]:
    """A course's modules in order with their lessons (tags, gates) and blocks, for its editors."""
    lessons = Lesson.objects.order_by("position", "pk").prefetch_related(
        "knowledge_points",
        "prerequisites",
        Prefetch("blocks", ContentBlock.objects.order_by("position", "pk")),
    )
    return course.modules.order_by("position", "pk").prefetch_related(Prefetch("lessons", lessons))


def lesson_blocks(*, lesson: Lesson) -> QuerySet[ContentBlock]:
    return lesson.blocks.order_by("position", "pk")


def lesson_list_visible(*, user: User) -> QuerySet[Lesson]:
    """Lessons of the courses the user may open."""
    return Lesson.objects.filter(module__course__in=course_list_visible(user=user)).select_related(
        "module", "module__course", "module__course__school"
    )


def roster_for_course(*, course: Course) -> QuerySet[Enrollment]:
    """Every enrollment of a course with the student's completed-lesson count."""
    return (
        Enrollment.objects.filter(course=course)
        .select_related("student")
        .annotate(
            completed_count=_count(
                LessonProgress.objects.filter(
                    student=OuterRef("student_id"),
                    lesson__module__course=course,
                    completed_at__isnull=False,
                )
            )
        )
        .order_by("student__username")
    )


def enrollable_student_list(*, user: User, course: Course) -> QuerySet[User]:
    """
    Students of the course's school not (or no longer) enrolled in it, for an admin of the
    school acting as `user` (nobody else gets any).
    """
    enrolled = Enrollment.objects.filter(course=course).exclude(status=EnrollmentStatus.DROPPED)
    return school_member_list(user=user, school=course.school, role=Role.STUDENT).exclude(
        pk__in=enrolled.values("student_id")
    )


def school_teacher_list(*, school: School) -> QuerySet[User]:
    """The teachers of a school: who may be given its courses to teach."""
    return User.objects.filter(memberships__school=school, memberships__role=Role.TEACHER)


def knowledge_point_list(*, course: Course) -> QuerySet[KnowledgePoint]:
    return course.knowledge_points.prefetch_related(
        Prefetch("prerequisites", queryset=KnowledgePoint.objects.order_by("name"))
    ).order_by("name")


def enrollment_export_list(*, school, course: Course | None = None) -> QuerySet[Enrollment]:
    """Enrollments of a school (or one course) with progress figures, for CSV export."""
    enrollments = Enrollment.objects.filter(course__school=school)
    if course is not None:
        enrollments = enrollments.filter(course=course)
    progress = LessonProgress.objects.filter(
        student=OuterRef("student_id"), lesson__module__course=OuterRef("course_id")
    )
    return (
        enrollments.select_related("student", "course")
        .annotate(
            lesson_count=_count(Lesson.objects.filter(module__course=OuterRef("course_id"))),
            completed_count=_count(progress.filter(completed_at__isnull=False)),
            seconds_spent=Coalesce(
                Subquery(
                    progress.order_by()
                    .values("student")
                    .annotate(total=Sum("time_spent_seconds"))
                    .values("total"),
                    output_field=IntegerField(),
                ),
                0,
            ),
        )
        .order_by("course__code", "student__username")
    )


@dataclass
class ProgramStepProgress:
    step: ProgramCourse
    status: str | None  # the student's enrollment status in the course, or None
    percent: int


def program_progress(*, program: Program, user: User) -> list[ProgramStepProgress]:
    """Each course of a program with the user's enrollment status and progress in it."""
    steps = list(program.steps.select_related("course").order_by("position", "pk"))
    enrollments = {
        e.course_id: e
        for e in enrollment_list_for_student(user=user).filter(
            course__in=[step.course_id for step in steps]
        )
    }
    result = []
    for step in steps:
        enrollment = enrollments.get(step.course_id)
        result.append(
            ProgramStepProgress(
                step=step,
                status=enrollment.status if enrollment else None,
                percent=progress_percent(enrollment.completed_count, enrollment.lesson_count)
                if enrollment
                else 0,
            )
        )
    return result


def program_is_enrolled(*, program: Program, user: User) -> bool:
    return program.enrollments.filter(student=user).exists()
