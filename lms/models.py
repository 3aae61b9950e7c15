from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """A person who signs in: student, teacher or school admin, by their memberships."""

    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("How the name is shown, e.g. 王小明 or Emma Smith."),
    )

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="lms_user_email_unique_ci",
                violation_error_message=_("A user with this email address already exists."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class School(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=64, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")
    ADMIN = "admin", _("School admin")


class Membership(TimeStampedModel):
    """A user's role in a school. A user may hold several roles in one school."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("school")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        # By ids: ordering by the related rows would join them into every query.
        ordering = ["school_id", "role", "user_id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school", "role"], name="lms_membership_unique_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="lms_membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["school", "role"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.school}"


class Classroom(TimeStampedModel):
    """A named group of students in a school, such as "Grade 10 · Class 3"."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="classrooms", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=120)
    students = models.ManyToManyField(
        User,
        through="ClassroomStudent",
        related_name="classrooms",
        verbose_name=_("students"),
    )
    homeroom_teachers = models.ManyToManyField(
        User,
        blank=True,
        related_name="homeroom_classrooms",
        verbose_name=_("homeroom teachers"),
    )

    class Meta:
        ordering = ["school", "name"]
        verbose_name = _("classroom")
        verbose_name_plural = _("classrooms")
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="lms_classroom_unique_name"),
        ]

    def __str__(self):
        return self.name


class ClassroomStudent(TimeStampedModel):
    """A student's place in a classroom; `created_at` is when they joined."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="seats")
    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="classroom_seats")

    class Meta:
        ordering = ["classroom", "student"]
        verbose_name = _("classroom student")
        verbose_name_plural = _("classroom students")
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "student"], name="lms_classroomstudent_unique"
            ),
        ]

    def __str__(self):
        return f"{self.student} @ {self.classroom}"
