from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Course, KnowledgePoint, Lesson, Module, Tag
from lms.models import Classroom, School, TimeStampedModel


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True / false")
    NUMERIC = "numeric", _("Numeric")
    SHORT_TEXT = "short_text", _("Short text")
    ORDERING = "ordering", _("Ordering")


# Default orderings name foreign keys by their `_id` column: ordering by the relation itself
# would join every related table (course, school…) into each query just to sort, and lock
# those rows too in a `select_for_update()` without `of=`.


class Question(TimeStampedModel):
    """
    A question in a school's bank. What it asks and how it is graded lives in its versions: a
    question that has been answered is never changed in place, so every attempt stays graded
    against the version its student saw.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="questions")
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="questions", verbose_name=_("course")
    )
    kind = models.CharField(_("type"), max_length=16, choices=QuestionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (easy) to 5 (hard)."),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions", verbose_name=_("tags"))
    knowledge_points = models.ManyToManyField(
        KnowledgePoint, blank=True, related_name="questions", verbose_name=_("knowledge points")
    )
    current_version = models.ForeignKey(
        "QuestionVersion", on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["course_id", "title", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=QuestionKind.values), name="assessments_question_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1, difficulty__lte=5),
                name="assessments_question_difficulty",
            ),
        ]
        indexes = [models.Index(fields=["course", "is_archived", "difficulty"])]

    def __str__(self):
        return self.title


class QuestionVersion(models.Model):
    """
    One immutable state of a question: stem, answers (`spec`, see assessments.spec) and points.
    `spec` also carries each option's rendered HTML (`html`, `feedback_html`).
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    stem = models.TextField(_("question text"), help_text=_("Markdown; LaTeX between $…$."))
    stem_html = models.TextField(editable=False)
    spec = models.JSONField()
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("Shown on review, after the answer.")
    )
    explanation_html = models.TextField(editable=False, blank=True)
    points = models.DecimalField(
        _("points"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="assessments_questionversion_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(points__gte=0), name="assessments_questionversion_points"
            ),
        ]

    def __str__(self):
        return f"{self.question} (v{self.number})"


class AssessmentKind(models.TextChoices):
    PRACTICE = "practice", _("Practice quiz")
    UNIT_TEST = "unit_test", _("Unit test")
    EXAM = "exam", _("Exam")
    MOCK_EXAM = "mock_exam", _("Mock exam")
    # One question pushed during a live lecture (app livestream): answered like a test, so it
    # reaches mastery, but kept off the course page, the teachers' lists and the gradebook.
    LIVE = "live", _("Live lecture question")


# The kinds a teacher sets up by hand.
AUTHORED_KINDS = [choice for choice in AssessmentKind.choices if choice[0] != AssessmentKind.LIVE]


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Highest attempt")
    LAST = "last", _("Last attempt")
    AVERAGE = "average", _("Average of attempts")


class ReviewPolicy(models.TextChoices):
    IMMEDIATELY = "immediately", _("Right after submitting")
    AFTER_CLOSE = "after_close", _("After the assessment closes")
    NEVER = "never", _("Never")


class Layout(models.TextChoices):
    ONE_PER_PAGE = "one_per_page", _("One question per page")
    ALL_ON_ONE_PAGE = "all_on_one_page", _("All questions on one page")


class Selection(models.TextChoices):
    FIXED = "fixed", _("A fixed list of questions")
    RANDOM = "random", _("Drawn at random for each student")


class Assessment(TimeStampedModel):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("course")
    )
    module = models.ForeignKey(
        Module, on_delete=models.SET_NULL, null=True, blank=True, related_name="assessments"
    )
    lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="assessments"
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AssessmentKind.choices)
    instructions = models.TextField(_("instructions"), blank=True, help_text=_("Markdown."))
    instructions_html = models.TextField(editable=False, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"),
        default=1,
        validators=[MaxValueValidator(100)],
        help_text=_("0 for no limit."),
    )
    grading_method = models.CharField(
        _("grade"), max_length=8, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_choices = models.BooleanField(_("shuffle choices"), default=False)
    review_policy = models.CharField(
        _("answers and feedback shown"),
        max_length=12,
        choices=ReviewPolicy.choices,
        default=ReviewPolicy.IMMEDIATELY,
    )
    layout = models.CharField(
        _("layout"), max_length=16, choices=Layout.choices, default=Layout.ONE_PER_PAGE
    )
    selection = models.CharField(
        _("questions"), max_length=8, choices=Selection.choices, default=Selection.FIXED
    )
    questions = models.ManyToManyField(
        Question, through="AssessmentQuestion", related_name="assessments", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    personal_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_assessments",
        verbose_name=_("made for"),
        help_text=_("A practice set made for one student by their study plan: only they see it."),
    )

    class Meta:
        ordering = ["course_id", "opens_at", "pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AssessmentKind.values), name="assessments_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True)
                | models.Q(closes_at__isnull=True)
                | models.Q(closes_at__gt=models.F("opens_at")),
                name="assessments_window_ordered",
            ),
        ]

    def __str__(self):
        return self.title


class AssessmentQuestion(models.Model):
    """A question in an assessment's fixed list, in order."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["assessment_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="assessments_assessmentquestion_unique"
            ),
        ]

    def __str__(self):
        return f"{self.assessment} · {self.question}"


class DrawRule(models.Model):
    """Draw `count` questions of the course's bank on a knowledge point, in a difficulty band."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="draw_rules")
    knowledge_point = models.ForeignKey(
        KnowledgePoint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    difficulty_min = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    difficulty_max = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    count = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["assessment_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(difficulty_min__lte=models.F("difficulty_max")),
                name="assessments_drawrule_band",
            ),
        ]

    def __str__(self):
        return f"{self.assessment} · {self.count} of {self.knowledge_point or '*'}"


class Accommodation(TimeStampedModel):
    """Extra time and attempts for one student or for every student of a classroom."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="accommodations"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    extra_minutes = models.PositiveIntegerField(
        _("extra minutes"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    extra_attempts = models.PositiveSmallIntegerField(
        _("extra attempts"), default=0, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["assessment_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(student__isnull=True, classroom__isnull=False)
                | models.Q(student__isnull=False, classroom__isnull=True),
                name="assessments_accommodation_one_target",
            ),
            models.UniqueConstraint(
                fields=["assessment", "student"], name="assessments_accommodation_student"
            ),
            models.UniqueConstraint(
                fields=["assessment", "classroom"], name="assessments_accommodation_classroom"
            ),
        ]


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class Attempt(TimeStampedModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(
        null=True, blank=True, help_text=_("None when neither a time limit nor a close applies.")
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=0)

    class Meta:
        ordering = ["assessment_id", "student_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "student", "number"], name="assessments_attempt_unique"
            ),
            models.UniqueConstraint(
                fields=["assessment", "student"],
                condition=models.Q(status="in_progress"),
                name="assessments_attempt_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AttemptStatus.values),
                name="assessments_attempt_status",
            ),
        ]
        indexes = [
            models.Index(fields=["assessment", "status"]),
            models.Index(
                fields=["deadline"],
                condition=models.Q(status="in_progress"),
                name="assessments_attempt_open_due",
            ),
        ]

    def __str__(self):
        return f"{self.student} · {self.assessment} #{self.number}"


class Response(models.Model):
    """
    A question as one attempt shows it (version, place, choice order) and the student's answer.
    Created when the attempt starts; autosaves update `answer`, never insert. `answer_seq` is the
    client's counter: a save replayed out of order never overwrites a later one.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="responses")
    position = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=6, decimal_places=2)
    option_order = models.JSONField(default=list, blank=True)
    answer = models.JSONField(null=True, blank=True)
    answer_seq = models.BigIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    fraction = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["attempt_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="assessments_response_unique"
            ),
            models.UniqueConstraint(
                fields=["attempt", "position"], name="assessments_response_position"
            ),
        ]

    def __str__(self):
        return f"{self.attempt} · {self.question}"
