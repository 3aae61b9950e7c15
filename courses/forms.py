from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import (
    BlockKind,
    ContentBlock,
    Course,
    DeliveryMode,
    KnowledgePoint,
    Lesson,
    Level,
    Program,
)
from courses.selectors import school_teacher_list
from lms.models import User


class CourseForm(forms.ModelForm):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. algebra, functions."),
    )
    teachers = forms.ModelMultipleChoiceField(
        label=_("Teachers"), queryset=User.objects.none(), required=False
    )

    class Meta:
        model = Course
        fields = [
            "code",
            "title",
            "subject",
            "level",
            "description",
            "allows_self_enrollment",
            "starts_on",
            "ends_on",
            "cover_image",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = Level.choices
        self.fields["teachers"].queryset = school_teacher_list(school=school).order_by("username")
        if self.instance.pk:
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())
            self.initial["teachers"] = list(self.instance.teachers.all())

    def tag_names(self) -> list[str]:
        return [name for name in self.cleaned_data["tags"].split(",") if name.strip()]

    def _post_clean(self):
        # Services run full_clean(); the form only checks its own fields.
        pass


class CourseCopyForm(forms.Form):
    code = forms.CharField(label=_("Code of the copy"), max_length=32)
    title = forms.CharField(label=_("Title of the copy"), max_length=200)


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Module title"), max_length=200)


class LessonForm(forms.Form):
    title = forms.CharField(label=_("Lesson title"), max_length=200)
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes"), min_value=1, max_value=600, initial=10
    )


class LessonTaggingForm(forms.Form):
    knowledge_points = forms.ModelMultipleChoiceField(
        label=_("Knowledge points taught"),
        queryset=KnowledgePoint.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    prerequisites = forms.ModelMultipleChoiceField(
        label=_("Lessons to complete first"),
        queryset=Lesson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, lesson: Lesson, **kwargs):
        super().__init__(*args, **kwargs)
        course = lesson.module.course
        self.fields["knowledge_points"].queryset = course.knowledge_points.order_by("name")
        self.fields["prerequisites"].queryset = (
            Lesson.objects.filter(module__course=course)
            .exclude(pk=lesson.pk)
            .order_by("module__position", "position")
        )
        self.initial.setdefault("knowledge_points", list(lesson.knowledge_points.all()))
        self.initial.setdefault("prerequisites", list(lesson.prerequisites.all()))


class BlockForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Video URL"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = ContentBlock
        fields = ["kind", "title", "body", "language", "url", "file", "captions", "alt_text"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": _("Markdown for text (math as $x^2$ or $$…$$); source code for code examples."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = BlockKind.choices
        if self.instance.pk:
            self.fields["kind"].disabled = True

    def _post_clean(self):
        pass


class KnowledgePointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PrerequisiteForm(forms.Form):
    knowledge_point = forms.ModelChoiceField(label=_("Knowledge point"), queryset=None)
    prerequisite = forms.ModelChoiceField(label=_("requires"), queryset=None)

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["knowledge_point"].queryset = course.knowledge_points.order_by("name")
        self.fields["prerequisite"].queryset = (
            KnowledgePoint.objects.filter(course__school=course.school)
            .select_related("course")
            .order_by("course__title", "name")
        )
        self.fields["prerequisite"].label_from_instance = lambda kp: f"{kp.name} ({kp.course.code})"


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = ["title", "goal", "audience", "level"]
        widgets = {"goal": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass


class ProgramStepForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    delivery_mode = forms.ChoiceField(label=_("Delivery"), choices=DeliveryMode.choices)
    expected_weeks = forms.IntegerField(
        label=_("Expected weeks"), min_value=1, max_value=520, initial=4
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = (
            Course.objects.filter(school=program.school)
            .exclude(program_steps__program=program)
            .order_by("title")
        )
