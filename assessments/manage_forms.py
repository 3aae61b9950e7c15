"""Forms of the teacher's assessment pages (set-up, questions, draw rules, accommodations)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import AUTHORED_KINDS, Assessment, QuestionKind
from assessments.services.authoring import SETTINGS_FIELDS
from courses.models import Course, Enrollment, EnrollmentStatus, KnowledgePoint, Lesson, Module
from lms.models import Classroom, User

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DIFFICULTIES = [(n, str(n)) for n in range(1, 6)]


def _optional_choice(label, model, empty_label) -> forms.ModelChoiceField:
    """A choice of one of `model`'s rows, or none; the form's __init__ sets the rows offered."""
    return forms.ModelChoiceField(
        label=label, queryset=model.objects.none(), required=False, empty_label=empty_label
    )


def _datetime_field(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class AssessmentSettingsForm(forms.ModelForm):
    """Every setting of an assessment. Times are read and shown in the current time zone."""

    module = _optional_choice(_("Module"), Module, _("None"))
    lesson = _optional_choice(_("Lesson"), Lesson, _("None"))
    opens_at = _datetime_field(_("Opens at"))
    closes_at = _datetime_field(_("Closes at"))
    time_limit_minutes = forms.IntegerField(
        label=_("Time limit (minutes)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        help_text=_("Leave empty for no time limit."),
    )
    attempts_allowed = forms.IntegerField(
        label=_("Attempts allowed"),
        min_value=0,
        max_value=100,
        initial=1,
        help_text=_("0 for no limit."),
    )

    class Meta:
        model = Assessment
        fields = list(SETTINGS_FIELDS)
        widgets = {"instructions": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = AUTHORED_KINDS
        self.fields["module"].queryset = course.modules.order_by("position", "pk")
        self.fields["lesson"].queryset = (
            Lesson.objects.filter(module__course=course)
            .select_related("module")
            .order_by("module__position", "module__pk", "position", "pk")
        )
        self.fields["lesson"].label_from_instance = lambda lesson: (
            f"{lesson.module.title} · {lesson.title}"
        )
        self.fields["module"].error_messages["invalid_choice"] = _(
            "Choose a module of this course."
        )
        self.fields["lesson"].error_messages["invalid_choice"] = _(
            "Choose a lesson of this course."
        )

    def _post_clean(self):
        # The services run full_clean(); the form only checks its own fields.
        pass


class BankFilterForm(forms.Form):
    """Filters of the course bank shown next to a fixed list. Bad values filter nothing."""

    knowledge_point = _optional_choice(
        _("Knowledge point"), KnowledgePoint, _("All knowledge points")
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *QuestionKind.choices]
    )
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any difficulty")), *DIFFICULTIES],
    )
    q = forms.CharField(label=_("Text"), required=False, max_length=100)

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["knowledge_point"].queryset = course.knowledge_points.order_by("name")

    def filters(self) -> dict:
        """The valid filters only: a bad value in one field does not blank the others."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}


class DrawRuleForm(forms.Form):
    knowledge_point = _optional_choice(
        _("Knowledge point"), KnowledgePoint, _("Any knowledge point")
    )
    difficulty_min = forms.TypedChoiceField(
        label=_("Lowest difficulty"), choices=DIFFICULTIES, coerce=int, initial=1
    )
    difficulty_max = forms.TypedChoiceField(
        label=_("Highest difficulty"), choices=DIFFICULTIES, coerce=int, initial=5
    )
    count = forms.IntegerField(label=_("Questions to draw"), min_value=1, max_value=200, initial=1)

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["knowledge_point"].queryset = course.knowledge_points.order_by("name")
        self.fields["knowledge_point"].error_messages["invalid_choice"] = _(
            "Choose a knowledge point of this course."
        )

    def clean(self):
        data = super().clean()
        low, high = data.get("difficulty_min"), data.get("difficulty_max")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("The lowest difficulty must not be above the highest."))
        return data


class AccommodationForm(forms.Form):
    """Extra time and attempts for one enrolled student or for one classroom of the school."""

    student = _optional_choice(_("Student"), User, _("No student: a classroom"))
    classroom = _optional_choice(_("or classroom"), Classroom, _("No classroom: a student"))
    extra_minutes = forms.IntegerField(
        label=_("Extra minutes"), min_value=0, max_value=24 * 60, initial=0
    )
    extra_attempts = forms.IntegerField(
        label=_("Extra attempts"), min_value=0, max_value=100, initial=0
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        student = self.fields["student"]
        enrolled = Enrollment.objects.filter(course=course).exclude(status=EnrollmentStatus.DROPPED)
        student.queryset = User.objects.filter(pk__in=enrolled.values("student")).order_by(
            "username"
        )
        student.label_from_instance = lambda user: f"{user.name} ({user.username})"
        student.error_messages["invalid_choice"] = _("This student is not enrolled in the course.")
        classroom = self.fields["classroom"]
        classroom.queryset = Classroom.objects.filter(school=course.school_id).order_by("name")
        classroom.error_messages["invalid_choice"] = _("Choose a classroom of the course's school.")

    def clean(self):
        data = super().clean()
        if (
            "student" in data
            and "classroom" in data
            and ((data["student"] is None) == (data["classroom"] is None))
        ):
            raise forms.ValidationError(_("Choose either a student or a classroom."))
        return data
