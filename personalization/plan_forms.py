from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _


class PlanStepForm(forms.Form):
    """A step a teacher adds to a student's plan."""

    title = forms.CharField(label=_("Step"), max_length=200)
    note = forms.CharField(
        label=_("Note for the student"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    lesson = forms.ModelChoiceField(label=_("Lesson (optional)"), queryset=None, required=False)

    def __init__(self, *args, lessons: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lesson"].queryset = lessons.select_related("module__course").order_by(
            "module__course__title", "module__position", "position"
        )
        self.fields["lesson"].label_from_instance = lambda lesson: (
            f"{lesson.module.course.title} · {lesson.title}"
        )
