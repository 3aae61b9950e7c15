from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import TimeStampedModel


class EducationLevel(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    MIDDLE = "middle", _("Middle school")
    HIGH = "high", _("High school")
    UNDERGRADUATE = "undergraduate", _("Undergraduate")
    GRADUATE = "graduate", _("Graduate")
    PROFESSIONAL = "professional", _("Working professional")


class StudyFormat(models.TextChoices):
    VIDEO = "video", _("Watching videos")
    READING = "reading", _("Reading")
    PRACTICE = "practice", _("Practising with questions")


class LearnerProfile(TimeStampedModel):
    """What a student tells about themself; the plan and the recommendations use it."""

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile"
    )
    education_level = models.CharField(
        _("education level"), max_length=16, choices=EducationLevel.choices, blank=True
    )
    interest_subjects = models.JSONField(
        _("subjects of interest"), default=list, blank=True, help_text=_("Subject names.")
    )
    interest_tags = models.ManyToManyField(
        "courses.Tag", blank=True, related_name="+", verbose_name=_("topics of interest")
    )
    goal_text = models.TextField(_("goals"), blank=True, max_length=2000)
    exam_date = models.DateField(_("exam date"), null=True, blank=True)
    target_course = models.ForeignKey(
        "courses.Course",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("target course"),
    )
    preferred_formats = models.JSONField(
        _("preferred ways to study"), default=list, blank=True, help_text=_("StudyFormat values.")
    )
    weekly_minutes = models.PositiveSmallIntegerField(
        _("weekly study time (minutes)"),
        default=180,
        validators=[MinValueValidator(15), MaxValueValidator(60 * 40)],
    )
    study_days = models.JSONField(
        _("preferred study days"),
        default=list,
        blank=True,
        help_text=_("ISO weekdays, 1 (Monday) to 7 (Sunday)."),
    )
    onboarded_at = models.DateTimeField(_("onboarded at"), null=True, blank=True)

    class Meta:
        ordering = ["student_id"]
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_minutes__gte=15) & Q(weekly_minutes__lte=60 * 40),
                name="personalization_profile_weekly_minutes_range",
            ),
        ]

    def __str__(self):
        return str(self.student)


class ModelKind(models.TextChoices):
    CLASSICAL = "classical", _("Classical (logistic regression)")
    NEURAL = "neural", _("Neural (PyTorch)")
    ENSEMBLE = "ensemble", _("Ensemble")


class ModelVersion(models.Model):
    """A trained knowledge-tracing model; at most one is active, and the worker predicts with it."""

    kind = models.CharField(_("kind"), max_length=16)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    source = models.CharField(_("trained on"), max_length=300)
    interactions = models.PositiveIntegerField(_("interactions"), default=0)
    learners = models.PositiveIntegerField(_("learners"), default=0)
    metrics = models.JSONField(_("validation metrics"), default=dict)
    blob = models.BinaryField(_("model"))
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="personalization_one_active_model",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def auc(self) -> float | None:
        return self.metrics.get("auc")


class MasteryEstimate(models.Model):
    """The current estimate of one learner's mastery of one knowledge point."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastery_estimates"
    )
    knowledge_point = models.ForeignKey(
        "courses.KnowledgePoint", on_delete=models.CASCADE, related_name="mastery_estimates"
    )
    mastery = models.FloatField(_("mastery"))
    evidence = models.PositiveIntegerField(_("answers seen"), default=0)
    correct = models.PositiveIntegerField(_("answers correct"), default=0)
    last_practiced_at = models.DateTimeField(_("last practised"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["student_id", "knowledge_point_id"]
        verbose_name = _("mastery estimate")
        verbose_name_plural = _("mastery estimates")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "knowledge_point"], name="personalization_mastery_unique"
            ),
            models.CheckConstraint(
                condition=Q(mastery__gte=0) & Q(mastery__lte=1),
                name="personalization_mastery_range",
            ),
        ]
        indexes = [models.Index(fields=["knowledge_point", "mastery"])]

    def __str__(self):
        return f"{self.student_id}/{self.knowledge_point_id}: {self.mastery:.2f}"


class MasterySnapshot(models.Model):
    """The estimate as it stood after one refresh: the history behind the mastery charts."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastery_snapshots"
    )
    knowledge_point = models.ForeignKey(
        "courses.KnowledgePoint", on_delete=models.CASCADE, related_name="+"
    )
    mastery = models.FloatField(_("mastery"))
    at = models.DateTimeField(_("at"), db_index=True)
    attempt = models.ForeignKey(
        "assessments.Attempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["student_id", "knowledge_point_id", "at", "id"]
        indexes = [models.Index(fields=["student", "knowledge_point", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(mastery__gte=0) & Q(mastery__lte=1),
                name="personalization_snapshot_range",
            ),
        ]

    def __str__(self):
        return f"{self.student_id}/{self.knowledge_point_id}: {self.mastery:.2f} at {self.at}"


class RefreshStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class PlanRefresh(models.Model):
    """
    Outbox: a learner whose mastery and plan must be recomputed. Written in the transaction that
    caused it (a submitted attempt), so the request is never lost; a task works it off and a beat
    sweep re-enqueues what a dead broker or worker left behind.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_refreshes"
    )
    attempt = models.ForeignKey(
        "assessments.Attempt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=32)
    status = models.CharField(
        _("status"), max_length=8, choices=RefreshStatus.choices, default=RefreshStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("plan refresh")
        verbose_name_plural = _("plan refreshes")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="personalization_refresh_todo",
            ),
            models.Index(fields=["student", "status"]),
        ]

    def __str__(self):
        return f"{self.student_id} {self.reason} {self.status}"


class StudyPlan(models.Model):
    """A learner's personal plan, rebuilt after every assessment."""

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_plan"
    )
    revision = models.PositiveIntegerField(_("revision"), default=0)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    trigger = models.JSONField(
        _("what caused the last rebuild"), default=dict, blank=True
    )  # {"attempt": id, "assessment": "Unit test 2"} or {"reason": "profile"}
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recommended_at = models.DateTimeField(_("courses last recommended at"), null=True, blank=True)

    class Meta:
        ordering = ["student_id"]
        verbose_name = _("study plan")
        verbose_name_plural = _("study plans")

    def __str__(self):
        return f"{self.student} r{self.revision}"


class ItemKind(models.TextChoices):
    REVIEW = "review", _("Review a weak point")
    PRACTICE = "practice", _("Practice set")
    NEXT_LESSON = "next_lesson", _("Next lesson")
    SPACED_REVIEW = "spaced_review", _("Spaced review")
    COURSE = "course", _("Recommended course")
    TEACHER = "teacher", _("From your teacher")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")
    REMOVED = "removed", _("Removed by a teacher")


class PlanItem(models.Model):
    """
    One step of a plan. `key` names what the step is about (`review:kp:12`, `lesson:45`…), so a
    rebuild recognises a step the student already closed. The reason is stored as a code with
    its arguments and put into words when shown, in the reader's language.
    """

    plan = models.ForeignKey(StudyPlan, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    reason_code = models.CharField(max_length=32)
    reason_args = models.JSONField(default=dict, blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=10)
    within_budget = models.BooleanField(_("fits this week's study time"), default=True)
    knowledge_point = models.ForeignKey(
        "courses.KnowledgePoint", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    pinned = models.BooleanField(_("pinned by a teacher"), default=False)
    note = models.CharField(_("teacher's note"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["plan_id", "-pinned", "position", "id"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="personalization_item_key_unique"),
        ]

    def __str__(self):
        return f"{self.plan_id}:{self.key} ({self.status})"
