from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Tag
from lms.models import User
from personalization.models import EducationLevel, LearnerProfile, StudyFormat
from personalization.selectors import profile_choices
from personalization.services.profile import MAX_GOAL_TEXT

DEFAULT_WEEKLY_MINUTES = 180


class TextField(forms.CharField):
    """Text from a textarea, with the browser's CRLF line endings made plain newlines."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


class ProfileForm(forms.Form):
    """
    The learner profile, for onboarding and the profile page. Choices come from the student's
    own schools (`profile_choices`): anything else is "not one of the available choices".
    Its `cleaned_data` are the arguments of `profile_update`.
    """

    interest_subjects = forms.MultipleChoiceField(
        label=_("Subjects you like"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interest_tags = forms.ModelMultipleChoiceField(
        label=_("Topics you are curious about"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    education_level = forms.ChoiceField(
        label=_("Where you are in your studies"),
        choices=[("", _("Rather not say")), *EducationLevel.choices],
        required=False,
    )
    exam_date = forms.DateField(
        label=_("Date of your next important exam"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty if there is none."),
    )
    target_course = forms.ModelChoiceField(
        label=_("A course you aim for"),
        queryset=Course.objects.none(),
        required=False,
        empty_label=_("None in particular"),
    )
    goal_text = TextField(
        label=_("Your goals, in your own words"),
        required=False,
        max_length=MAX_GOAL_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: pass the algebra exam, get better at essays."),
    )
    preferred_formats = forms.MultipleChoiceField(
        label=_("How you like to study"),
        choices=StudyFormat.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    weekly_minutes = forms.IntegerField(
        label=_("Study time per week (minutes)"),
        min_value=15,
        max_value=60 * 40,
        initial=DEFAULT_WEEKLY_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("From 15 minutes to 40 hours: 180 is three hours."),
    )
    study_days = forms.TypedMultipleChoiceField(
        label=_("Days you can study"),
        choices=[(day, WEEKDAYS[day - 1]) for day in range(1, 8)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, student: User, profile: LearnerProfile | None, **kwargs):
        if profile is not None:
            kwargs.setdefault(
                "initial",
                {
                    "interest_subjects": profile.interest_subjects,
                    "interest_tags": list(profile.interest_tags.all()),
                    "education_level": profile.education_level,
                    "exam_date": profile.exam_date,
                    "target_course": profile.target_course,
                    "goal_text": profile.goal_text,
                    "preferred_formats": profile.preferred_formats,
                    "weekly_minutes": profile.weekly_minutes,
                    "study_days": profile.study_days,
                },
            )
        super().__init__(*args, **kwargs)
        choices = profile_choices(student=student, profile=profile)
        self.fields["interest_subjects"].choices = [(s, s) for s in choices.subjects]
        self.fields["interest_tags"].queryset = choices.tags
        self.fields["target_course"].queryset = choices.courses
