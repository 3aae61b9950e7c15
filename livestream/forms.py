from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import Course, KnowledgePoint
from livestream.models import Lecture

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class LectureForm(forms.ModelForm):
    """A lecture's schedule, stream and recording. Times are in the current time zone."""

    scheduled_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    stream_url = forms.URLField(
        label=_("Live stream (HLS)"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("The .m3u8 address your school's streaming server gives (fed by OBS, say)."),
    )
    recording_url = forms.URLField(
        label=_("Recording address"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("An HLS (.m3u8) or video file address, instead of an uploaded file."),
    )
    knowledge_points = forms.ModelMultipleChoiceField(
        label=_("Knowledge points taught"),
        queryset=KnowledgePoint.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Lecture
        fields = [
            "title",
            "description",
            "scheduled_at",
            "duration_minutes",
            "knowledge_points",
            "stream_url",
            "recording",
            "recording_url",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["knowledge_points"].queryset = course.knowledge_points.order_by("name")
        self.fields["recording"].widget.attrs["accept"] = "video/*"

    def _post_clean(self):
        # The services run full_clean(); the form only checks its own fields.
        pass


class BlockedWordForm(forms.Form):
    word = forms.CharField(label=_("Word or phrase"), max_length=50)
