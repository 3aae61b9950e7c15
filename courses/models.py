import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from lms.models import Classroom, School, TimeStampedModel


def _private_upload(folder: str):
    """
    Uploads get random names (an original name can be guessed, and can say too much); they are
    served only through views that check who may see them (see courses.views.media).
    """

    def upload_to(instance, filename: str) -> str:
        suffix = PurePath(filename).suffix.lower()[:10]
        return f"courses/{folder}/{uuid.uuid4().hex}{suffix}"

    upload_to.__name__ = f"upload_to_{folder}"
    upload_to.__qualname__ = upload_to.__name__
    return upload_to


upload_to_covers = _private_upload("covers")
upload_to_blocks = _private_upload("blocks")
upload_to_captions = _private_upload("captions")


class Level(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary")
    UNIVERSITY = "university", _("University")
    PROFESSIONAL = "professional", _("Professional")


class Tag(TimeStampedModel):
    """A label on courses, kept per school so that schools never share vocabularies."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="course_tags")
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint("school", Lower("name"), name="courses_tag_unique_name_ci"),
        ]

    def __str__(self):
        return self.name


class Course(TimeStampedModel):
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="courses", verbose_name=_("school")
    )
    code = models.CharField(
        _("code"), max_length=32, help_text=_("Short code, unique in the school, e.g. MATH-101.")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    subject = models.CharField(_("subject"), max_length=80)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses", verbose_name=_("tags"))
    cover_image = models.ImageField(_("cover image"), upload_to=upload_to_covers, blank=True)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="taught_courses",
        verbose_name=_("teachers"),
    )
    is_published = models.BooleanField(_("published"), default=False)
    allows_self_enrollment = models.BooleanField(_("students may enroll themselves"), default=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    # Raised by every change to the outline (modules, lessons, their tags and gates): cached
    # outlines are keyed by it, so a change is never served stale.
    content_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["school", "code"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.UniqueConstraint(
                "school",
                Lower("code"),
                name="courses_course_unique_code_ci",
                violation_error_message=_("A course with this code already exists in the school."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="courses_course_ends_after_start",
                violation_error_message=_("A course cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="courses_course_level_valid"
            ),
        ]
        indexes = [models.Index(fields=["school", "is_published", "subject"])]

    def __str__(self):
        return f"{self.code} · {self.title}"


class Module(TimeStampedModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["course", "position", "pk"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self):
        return self.title


class KnowledgePoint(TimeStampedModel):
    """
    A skill, such as "solving linear equations". Lessons are tagged with the knowledge points
    they teach and questions with the ones they test; prerequisites form an acyclic graph.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="knowledge_points")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    prerequisites = models.ManyToManyField(
        "self",
        through="KnowledgePointPrerequisite",
        symmetrical=False,
        related_name="dependents",
        blank=True,
        verbose_name=_("prerequisites"),
    )

    class Meta:
        ordering = ["course", "name"]
        verbose_name = _("knowledge point")
        verbose_name_plural = _("knowledge points")
        constraints = [
            models.UniqueConstraint(
                "course",
                Lower("name"),
                name="courses_kp_unique_name_ci",
                violation_error_message=_("The course already has a knowledge point of this name."),
            ),
        ]

    def __str__(self):
        return self.name


class KnowledgePointPrerequisite(models.Model):
    """`knowledge_point` requires `prerequisite` to be mastered first."""

    knowledge_point = models.ForeignKey(
        KnowledgePoint, on_delete=models.CASCADE, related_name="prerequisite_links"
    )
    prerequisite = models.ForeignKey(
        KnowledgePoint, on_delete=models.CASCADE, related_name="dependent_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["knowledge_point", "prerequisite"], name="courses_kp_prereq_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(knowledge_point=models.F("prerequisite")),
                name="courses_kp_prereq_not_self",
            ),
        ]

    def __str__(self):
        return f"{self.prerequisite} → {self.knowledge_point}"


class Lesson(TimeStampedModel):
    """A small unit of teaching, about one knowledge point's worth, made of content blocks."""

    TITLE_MAX_LENGTH = 200

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    position = models.PositiveIntegerField(_("position"), default=0)
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
    )
    knowledge_points = models.ManyToManyField(
        KnowledgePoint, blank=True, related_name="lessons", verbose_name=_("knowledge points")
    )
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="unlocks",
        verbose_name=_("lessons to complete first"),
    )

    class Meta:
        ordering = ["module", "position", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self):
        return self.title


class BlockKind(models.TextChoices):
    TEXT = "text", _("Text")
    VIDEO = "video", _("Video")
    IMAGE = "image", _("Image")
    FILE = "file", _("File")
    CODE = "code", _("Code example")


class ContentBlock(TimeStampedModel):
    """
    One piece of a lesson. Which fields matter depends on `kind`: text and code use `body`;
    video uses `file` or `url` (and `captions`); image and file use `file`.
    """

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="blocks")
    kind = models.CharField(_("kind"), max_length=8, choices=BlockKind.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True, max_length=100_000)
    # `body` rendered and sanitized when it is written (see courses.content), for text blocks.
    body_html = models.TextField(editable=False, blank=True)
    language = models.CharField(
        _("programming language"), max_length=32, blank=True, help_text=_("For code examples.")
    )
    file = models.FileField(_("file"), upload_to=upload_to_blocks, blank=True)
    url = models.URLField(_("video URL"), blank=True, max_length=500)
    captions = models.FileField(
        _("captions (WebVTT)"),
        upload_to=upload_to_captions,
        blank=True,
        validators=[FileExtensionValidator(["vtt"])],
    )
    alt_text = models.CharField(_("alternative text"), max_length=300, blank=True)

    class Meta:
        ordering = ["lesson", "position", "pk"]
        verbose_name = _("content block")
        verbose_name_plural = _("content blocks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=BlockKind.values), name="courses_block_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.title or self.lesson}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    DROPPED = "dropped", _("Dropped")


class EnrollmentSource(models.TextChoices):
    SELF = "self", _("Self-enrolled")
    ADMIN = "admin", _("Enrolled by an admin")
    CLASSROOM = "classroom", _("With their classroom")
    PROGRAM = "program", _("Through a program")
    IMPORT = "import", _("CSV import")


class Enrollment(TimeStampedModel):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.ACTIVE,
    )
    source = models.CharField(_("source"), max_length=10, choices=EnrollmentSource.choices)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)

    class Meta:
        ordering = ["course", "student"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="courses_enrollment_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=EnrollmentStatus.values),
                name="courses_enrollment_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["course", "status"])]

    def __str__(self):
        return f"{self.student} in {self.course}"


class ClassroomEnrollment(TimeStampedModel):
    """A whole classroom enrolled in a course: students who join the classroom later follow."""

    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, related_name="course_enrollments"
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="classroom_enrollments"
    )

    class Meta:
        ordering = ["course", "classroom"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "course"], name="courses_classroomenrollment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.classroom} in {self.course}"


class LessonProgress(TimeStampedModel):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(_("time spent (seconds)"), default=0)
    video_position_seconds = models.FloatField(
        _("video position (seconds)"), default=0, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["student", "lesson"]
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["student", "lesson"], name="courses_progress_unique"),
            models.CheckConstraint(
                condition=models.Q(video_position_seconds__gte=0),
                name="courses_progress_position_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.student} · {self.lesson}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class Audience(models.TextChoices):
    SCHOOL_STUDENTS = "school_students", _("School students")
    RESEARCHERS = "researchers", _("Researchers")
    ENGINEERS = "engineers", _("Engineers")
    CAREER_CHANGERS = "career_changers", _("Career changers")


class DeliveryMode(models.TextChoices):
    ONLINE = "online", _("Online")
    FACE_TO_FACE = "face_to_face", _("Face to face")
    BLENDED = "blended", _("Blended")
    PRACTICE = "practice", _("Hands-on practice")


class Program(TimeStampedModel):
    """A training plan: an ordered set of courses toward a goal."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="programs")
    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    courses = models.ManyToManyField(Course, through="ProgramCourse", related_name="programs")
    is_published = models.BooleanField(_("published"), default=False)

    class Meta:
        ordering = ["school", "title"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self):
        return self.title


class ProgramCourse(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="program_steps")
    position = models.PositiveIntegerField(_("position"), default=0)
    delivery_mode = models.CharField(
        _("delivery mode"), max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.ONLINE
    )
    expected_weeks = models.PositiveSmallIntegerField(
        _("expected weeks"), default=4, validators=[MinValueValidator(1), MaxValueValidator(520)]
    )

    class Meta:
        ordering = ["program", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "course"], name="courses_programcourse_unique"
            ),
        ]

    def __str__(self):
        return f"{self.program}: {self.course}"


class ProgramEnrollment(TimeStampedModel):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_enrollments"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.ACTIVE,
    )

    class Meta:
        ordering = ["program", "student"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "program"], name="courses_programenrollment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.student} in {self.program}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(TimeStampedModel):
    """
    A CSV import of users and enrollments into one school: a dry run (a report of what would
    happen, row by row) or a real run (all rows or none). Large files run in a Celery worker;
    `processed_rows` lets the page show progress.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"
