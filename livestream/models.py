import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment, Question
from courses.models import Course, KnowledgePoint
from lms.models import School, TimeStampedModel

MAX_TEXT = 100
RECORDING_EXTENSIONS = ["mp4", "webm", "m4v", "ogv", "mov"]
# The colours a danmaku may take (bilibili's palette): free colours make unreadable comments.
PALETTE = [
    "#ffffff",
    "#fe0302",
    "#ff7204",
    "#ffaa02",
    "#ffd302",
    "#ffff00",
    "#a0ee00",
    "#00cd00",
    "#019899",
    "#4266be",
    "#89d5ff",
    "#cc0273",
    "#222222",
    "#9b9b9b",
]


def upload_to_recordings(instance, filename: str) -> str:
    """Random names, served only through a view that checks who may watch (as course files)."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"livestream/recordings/{uuid.uuid4().hex}{suffix}"


class LectureState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")


class Lecture(TimeStampedModel):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="lectures", verbose_name=_("course")
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="lectures_given",
        verbose_name=_("teacher"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    knowledge_points = models.ManyToManyField(
        KnowledgePoint, blank=True, related_name="lectures", verbose_name=_("knowledge points")
    )
    scheduled_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=45,
        validators=[MinValueValidator(5), MaxValueValidator(8 * 60)],
    )
    state = models.CharField(
        _("state"), max_length=10, choices=LectureState.choices, default=LectureState.SCHEDULED
    )
    started_at = models.DateTimeField(_("went live at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    stream_url = models.URLField(
        _("live stream (HLS)"),
        blank=True,
        max_length=500,
        help_text=_("The .m3u8 address your school's streaming server gives (fed by OBS, say)."),
    )
    recording = models.FileField(
        _("recording file"),
        upload_to=upload_to_recordings,
        blank=True,
        validators=[FileExtensionValidator(RECORDING_EXTENSIONS)],
    )
    recording_url = models.URLField(
        _("recording address"),
        blank=True,
        max_length=500,
        help_text=_("An HLS (.m3u8) or video file address, instead of an uploaded file."),
    )
    slow_mode_seconds = models.PositiveSmallIntegerField(
        _("slow mode (seconds between messages)"),
        default=0,
        validators=[MaxValueValidator(300)],
    )
    pinned = models.ForeignKey(
        "Danmaku",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pinned message"),
    )
    # The last sequence number given to a message or a deletion; both move it by one, so a
    # reconnecting viewer can ask for everything after the last number it saw.
    last_seq = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["scheduled_at", "pk"]
        verbose_name = _("lecture")
        verbose_name_plural = _("lectures")
        indexes = [models.Index(fields=["course", "scheduled_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=LectureState.values), name="livestream_lecture_state"
            ),
        ]

    def __str__(self):
        return self.title

    def stream_seconds(self, now) -> float:
        """Seconds into the live stream at `now` (0 unless live): a comment's default time."""
        if self.state != LectureState.LIVE or self.started_at is None:
            return 0.0
        return max(0.0, (now - self.started_at).total_seconds())


class DanmakuMode(models.TextChoices):
    SCROLL = "scroll", _("Scrolling")
    TOP = "top", _("Top")
    BOTTOM = "bottom", _("Bottom")


class DanmakuSize(models.TextChoices):
    SMALL = "small", _("Small")
    NORMAL = "normal", _("Normal")
    LARGE = "large", _("Large")


class Danmaku(models.Model):
    """A comment in a lecture: shown over the video at `video_time` and in the chat list."""

    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="danmaku")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="danmaku"
    )
    text = models.CharField(_("text"), max_length=MAX_TEXT)
    mode = models.CharField(
        _("mode"), max_length=8, choices=DanmakuMode.choices, default=DanmakuMode.SCROLL
    )
    color = models.CharField(_("colour"), max_length=7, default=PALETTE[0])
    size = models.CharField(
        _("size"), max_length=8, choices=DanmakuSize.choices, default=DanmakuSize.NORMAL
    )
    video_time = models.FloatField(_("video time (seconds)"))
    created_at = models.DateTimeField(_("sent at"), db_index=True)
    confused = models.BooleanField(
        _("signals confusion"), default=False, help_text=_("Set from the text when it is sent.")
    )
    hidden_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_seq = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["lecture_id", "seq"]
        verbose_name = _("danmaku")
        verbose_name_plural = _("danmaku")
        indexes = [
            models.Index(
                fields=["lecture", "video_time"],
                condition=models.Q(hidden_at__isnull=True),
                name="livestream_danmaku_replay",
            ),
            models.Index(fields=["lecture", "hidden_seq"], name="livestream_danmaku_hidden"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lecture", "seq"], name="livestream_danmaku_seq"),
            models.CheckConstraint(
                condition=models.Q(video_time__gte=0), name="livestream_danmaku_video_time"
            ),
            models.CheckConstraint(
                condition=models.Q(mode__in=DanmakuMode.values), name="livestream_danmaku_mode"
            ),
            models.CheckConstraint(
                condition=models.Q(size__in=DanmakuSize.values), name="livestream_danmaku_size"
            ),
            models.CheckConstraint(
                condition=models.Q(color__in=PALETTE), name="livestream_danmaku_color"
            ),
        ]

    def __str__(self):
        return self.text


class LectureMute(TimeStampedModel):
    """A user who may watch the lecture but not write in it."""

    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["lecture_id", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["lecture", "user"], name="livestream_mute_unique"),
        ]

    def __str__(self):
        return f"{self.user} ({self.lecture})"


class BlockedWord(TimeStampedModel):
    """A word or phrase a school refuses in comments (matched case-insensitively)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="blocked_words")
    word = models.CharField(_("word or phrase"), max_length=50)

    class Meta:
        ordering = ["word"]
        verbose_name = _("blocked word")
        verbose_name_plural = _("blocked words")
        constraints = [
            models.UniqueConstraint("school", Lower("word"), name="livestream_blocked_word_ci"),
        ]

    def __str__(self):
        return self.word


class LiveQuestionKind(models.TextChoices):
    QUESTION = "question", _("Question from the bank")
    POLL = "poll", _("Quick poll")


class LiveQuestion(TimeStampedModel):
    """
    A question pushed to every viewer. A bank question is answered as an attempt of its own
    one-question assessment (graded like a test, so it reaches mastery and the plan); a poll
    has no right answer and its votes are kept here.
    """

    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("kind"), max_length=10, choices=LiveQuestionKind.choices)
    question = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assessment = models.OneToOneField(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="live_question"
    )
    prompt = models.CharField(_("prompt"), max_length=300, blank=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    seconds = models.PositiveSmallIntegerField(
        _("time to answer (seconds)"), validators=[MinValueValidator(10), MaxValueValidator(600)]
    )
    video_time = models.FloatField(default=0)
    opened_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    revealed_at = models.DateTimeField(null=True, blank=True)
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["lecture_id", "opened_at", "pk"]
        verbose_name = _("live question")
        verbose_name_plural = _("live questions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LiveQuestionKind.values),
                name="livestream_question_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opened_at")),
                name="livestream_question_window",
            ),
        ]

    def __str__(self):
        return self.prompt or str(self.question)


class PollVote(models.Model):
    live_question = models.ForeignKey(LiveQuestion, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    option = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["live_question", "voter"], name="livestream_vote_once"),
        ]

    def __str__(self):
        return f"{self.voter_id} → {self.option}"
