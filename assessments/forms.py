"""
Forms of the question bank pages: a question's common fields, its answers for each kind, and
the import form. `QuestionEditor` puts the three parts of a question's page together and turns
them into the arguments of `question_create` / `question_update`.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from assessments import spec as specs
from assessments.formats import MAX_INPUT_BYTES
from assessments.models import Question
from assessments.services.questions import MAX_EXPLANATION, MAX_STEM
from courses.models import Course

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MORE_ROWS = 3
DIFFICULTIES = [
    (1, _("1 · very easy")),
    (2, _("2 · easy")),
    (3, _("3 · medium")),
    (4, _("4 · hard")),
    (5, _("5 · very hard")),
]


class TextField(forms.CharField):
    """Text from a textarea, with the browser's CRLF line endings made plain newlines."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


def tag_names_clean(value: str) -> list[str]:
    names = list(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    if len(names) > MAX_TAGS:
        raise ValidationError(_("At most %(limit)d tags.") % {"limit": MAX_TAGS})
    if any(len(name) > MAX_TAG_LENGTH for name in names):
        raise ValidationError(
            _("A tag is at most %(limit)d characters.") % {"limit": MAX_TAG_LENGTH}
        )
    return names


def _tags_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=1_000,
        help_text=_("Separated by commas, e.g. algebra, chapter 2."),
    )


class QuestionForm(forms.Form):
    """What every kind of question has."""

    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=200,
        help_text=_("For the bank's list; the start of the question when left empty."),
    )
    stem = TextField(
        label=_("Question"),
        max_length=MAX_STEM,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown; math in LaTeX between $…$ (inline) or $$…$$ (display)."),
    )
    points = forms.DecimalField(
        label=_("Points"), min_value=0, max_value=1000, max_digits=6, decimal_places=2, initial=1
    )
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"), choices=DIFFICULTIES, coerce=int, initial=3
    )
    knowledge_points = forms.ModelMultipleChoiceField(
        label=_("Knowledge points tested"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = _tags_field(_("Tags"))
    explanation = TextField(
        label=_("Explanation"),
        required=False,
        max_length=MAX_EXPLANATION,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown to students on review, after they answer. Markdown."),
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["knowledge_points"].queryset = course.knowledge_points.order_by("name")

    def clean_tags(self) -> list[str]:
        return tag_names_clean(self.cleaned_data["tags"])


# --- The answers of each kind: a few fields, and rows (choices, answers, items) --------------


class SingleChoiceForm(forms.Form):
    # Rendered as one radio button in each choice's row; the value is the row's index.
    right = forms.IntegerField(required=False, min_value=0, max_value=specs.MAX_OPTIONS - 1)


class MultipleChoiceForm(forms.Form):
    partial_credit = forms.BooleanField(
        label=_("Partial credit"),
        required=False,
        help_text=_(
            "Each right choice picked earns an equal share of the points and each wrong one "
            "takes a share away. Without it, only exactly the right choices score."
        ),
    )


class TrueFalseForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("The statement is"),
        choices=[("true", _("True")), ("false", _("False"))],
        widget=forms.RadioSelect,
    )
    feedback_true = forms.CharField(
        label=_("Feedback for students answering “true”"),
        required=False,
        max_length=specs.MAX_FEEDBACK,
    )
    feedback_false = forms.CharField(
        label=_("Feedback for students answering “false”"),
        required=False,
        max_length=specs.MAX_FEEDBACK,
    )


class NumericForm(forms.Form):
    unit = forms.CharField(
        label=_("Unit"), required=False, max_length=20, help_text=_("For example m/s² or kg.")
    )
    unit_required = forms.BooleanField(label=_("The answer must give the unit"), required=False)


class ShortTextForm(forms.Form):
    case_sensitive = forms.BooleanField(label=_("Case sensitive"), required=False)
    regex = forms.CharField(
        label=_("Pattern (regular expression)"),
        required=False,
        max_length=specs.MAX_REGEX,
        help_text=_("Optional: an answer matching it entirely earns full credit."),
    )


class OrderingForm(forms.Form):
    partial_credit = forms.BooleanField(
        label=_("Partial credit"),
        required=False,
        help_text=_("Score the share of items in their right place."),
    )


class RowForm(forms.Form):
    """One row of a question's answers. A row left blank is ignored."""

    meaningful: tuple[str, ...] = ()

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in self.meaningful)


def _feedback_field() -> forms.CharField:
    return forms.CharField(label=_("Feedback"), required=False, max_length=specs.MAX_FEEDBACK)


def _credit_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Credit %"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=100,
        help_text=_("100 when empty."),
    )


class OptionRowForm(RowForm):
    """A row that is one of the question's options (a choice or an item), kept by its id."""

    id = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
    text = TextField(
        label=_("Text"),
        required=False,
        max_length=specs.MAX_OPTION_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ChoiceRowForm(OptionRowForm):
    right = forms.BooleanField(label=_("Right answer"), required=False)
    feedback = _feedback_field()
    meaningful = ("text", "feedback")


class NumericRowForm(RowForm):
    value = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    tolerance = forms.CharField(
        label=_("± tolerance"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    credit = _credit_field()
    feedback = _feedback_field()
    meaningful = ("value", "feedback")


class ShortTextRowForm(RowForm):
    text = forms.CharField(
        label=_("Accepted answer"), required=False, max_length=specs.MAX_ANSWER_TEXT
    )
    credit = _credit_field()
    feedback = _feedback_field()
    meaningful = ("text", "feedback")


class ItemRowForm(OptionRowForm):
    position = forms.IntegerField(
        label=_("Position"),
        required=False,
        min_value=1,
        max_value=specs.MAX_OPTIONS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    meaningful = ("text",)


@dataclass(frozen=True)
class KindParts:
    form: type[forms.Form]
    row_form: type[RowForm] | None = None
    rows: int = 0  # how many rows a new question offers


KIND_PARTS = {
    specs.SINGLE_CHOICE: KindParts(SingleChoiceForm, ChoiceRowForm, 6),
    specs.MULTIPLE_CHOICE: KindParts(MultipleChoiceForm, ChoiceRowForm, 6),
    specs.TRUE_FALSE: KindParts(TrueFalseForm),
    specs.NUMERIC: KindParts(NumericForm, NumericRowForm, 3),
    specs.SHORT_TEXT: KindParts(ShortTextForm, ShortTextRowForm, 4),
    specs.ORDERING: KindParts(OrderingForm, ItemRowForm, 6),
}
ROWS_PREFIX = "rows"


def _percent(fraction: float) -> int | float:
    """A fraction as the percent the credit field shows: 100, 50, 33.33."""
    percent = round(fraction * 100, 2)
    return int(percent) if percent == int(percent) else percent


def _credit(value: Decimal | None) -> float:
    return 1.0 if value is None else float(value / 100)


def _is_one(fraction: float) -> bool:
    return math.isclose(fraction, 1, abs_tol=1e-6)


def _answer_initial(kind: str, spec: dict) -> tuple[dict, list[dict]]:
    """A version's spec as the initial values of the answer form and its rows."""
    match kind:
        case specs.SINGLE_CHOICE | specs.MULTIPLE_CHOICE:
            choices = spec["choices"]
            rows = [
                {
                    "id": c["id"],
                    "text": c["text"],
                    "right": c["fraction"] > 0,
                    "feedback": c.get("feedback", ""),
                }
                for c in choices
            ]
            if kind == specs.SINGLE_CHOICE:
                right = next((i for i, c in enumerate(choices) if _is_one(c["fraction"])), None)
                return {"right": right}, rows
            return {"partial_credit": spec.get("partial_credit", False)}, rows
        case specs.TRUE_FALSE:
            return {
                "answer": "true" if spec["answer"] else "false",
                "feedback_true": spec.get("feedback_true", ""),
                "feedback_false": spec.get("feedback_false", ""),
            }, []
        case specs.NUMERIC:
            rows = [
                {
                    "value": a["value"],
                    "tolerance": a["tolerance"],
                    "credit": _percent(a["fraction"]),
                    "feedback": a.get("feedback", ""),
                }
                for a in spec["answers"]
            ]
            return {"unit": spec.get("unit", ""), "unit_required": spec.get("unit_required")}, rows
        case specs.SHORT_TEXT:
            rows = [
                {
                    "text": a["text"],
                    "credit": _percent(a["fraction"]),
                    "feedback": a.get("feedback", ""),
                }
                for a in spec["answers"]
            ]
            return {
                "case_sensitive": spec.get("case_sensitive", False),
                "regex": spec.get("regex", ""),
            }, rows
        case _:
            rows = [
                {"id": item["id"], "text": item["text"], "position": n}
                for n, item in enumerate(spec["items"], start=1)
            ]
            return {"partial_credit": spec.get("partial_credit", False)}, rows


def credits_kept(kind: str, spec: dict) -> bool:
    """
    Whether this form can show the spec's credits as they are. Imported questions may give a
    wrong choice some credit, or weigh right choices unequally; saving the form replaces that
    by the form's rule (right or wrong, equal shares).
    """
    fractions = [c["fraction"] for c in spec.get("choices", [])]
    if kind == specs.SINGLE_CHOICE:
        return all(_is_one(f) or math.isclose(f, 0, abs_tol=1e-6) for f in fractions)
    if kind == specs.MULTIPLE_CHOICE and spec.get("partial_credit"):
        right = [f for f in fractions if f > 0]
        share = 1 / len(right) if right else 0
        return all(math.isclose(f, share if f > 0 else -share, abs_tol=1e-4) for f in fractions)
    return True


class QuestionEditor:
    """
    A question's page for one kind: the common fields (`form`), the kind's fields (`answers`)
    and, for most kinds, a formset of rows (`rows`). Bound to POST data or showing `question`'s
    current version.
    """

    def __init__(
        self,
        *,
        kind: str,
        course: Course,
        data: QueryDict | None = None,
        question: Question | None = None,
        more_rows: bool = False,
    ):
        self.kind = kind
        self.parts = KIND_PARTS[kind]
        self.service_errors: list[str] = []
        form_initial, answer_initial, row_initial = {}, {}, []
        if question is not None:
            version = question.current_version
            form_initial = {
                "title": question.title,
                "stem": version.stem,
                "points": version.points,
                "difficulty": question.difficulty,
                "knowledge_points": [point.pk for point in question.knowledge_points.all()],
                "tags": ", ".join(tag.name for tag in question.tags.all()),
                "explanation": version.explanation,
            }
            answer_initial, row_initial = _answer_initial(kind, version.spec)
        if data is not None and more_rows and self.parts.row_form is not None:
            data = data.copy()
            key = f"{ROWS_PREFIX}-TOTAL_FORMS"
            try:
                total = int(data.get(key, 0))
            except ValueError:
                total = 0
            data[key] = str(min(specs.MAX_OPTIONS, total + MORE_ROWS))
        self.form = QuestionForm(data, course=course, initial=form_initial)
        self.answers = self.parts.form(data, initial=answer_initial)
        self.rows = None
        if self.parts.row_form is not None:
            extra = max(self.parts.rows - len(row_initial), 2 if row_initial else 0)
            extra = max(0, min(extra, specs.MAX_OPTIONS - len(row_initial)))
            formset = forms.formset_factory(
                self.parts.row_form,
                extra=extra,
                max_num=specs.MAX_OPTIONS,
                absolute_max=specs.MAX_OPTIONS,
                validate_max=True,
            )
            self.rows = formset(data, initial=row_initial, prefix=ROWS_PREFIX)
        self.can_add_rows = (
            self.rows is not None and self.rows.total_form_count() < specs.MAX_OPTIONS
        )

    def is_valid(self) -> bool:
        valid = [self.form.is_valid(), self.answers.is_valid()]
        if self.rows is not None:
            valid.append(self.rows.is_valid())
        return all(valid)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.answers.errors
            or self.service_errors
            or (self.rows is not None and (self.rows.non_form_errors() or any(self.rows.errors)))
        )

    def _rows(self) -> list[tuple[int, dict]]:
        return [
            (index, row.cleaned_data)
            for index, row in enumerate(self.rows.forms)
            if not row.is_blank()
        ]

    def spec(self) -> dict:
        """The spec the filled-in answers describe (checked by the service's `spec_clean`)."""
        data = self.answers.cleaned_data
        match self.kind:
            case specs.SINGLE_CHOICE:
                return {
                    "choices": [
                        {
                            "id": row["id"],
                            "text": row["text"],
                            "fraction": 1 if index == data["right"] else 0,
                            "feedback": row["feedback"],
                        }
                        for index, row in self._rows()
                    ]
                }
            case specs.MULTIPLE_CHOICE:
                rows = self._rows()
                partial = data["partial_credit"]
                right_count = sum(1 for _, row in rows if row["right"])
                share = 1 / right_count if partial and right_count else 1
                return {
                    "choices": [
                        {
                            "id": row["id"],
                            "text": row["text"],
                            "fraction": share if row["right"] else (-share if partial else 0),
                            "feedback": row["feedback"],
                        }
                        for _, row in rows
                    ],
                    "partial_credit": partial,
                }
            case specs.TRUE_FALSE:
                return {
                    "answer": data["answer"] == "true",
                    "feedback_true": data["feedback_true"],
                    "feedback_false": data["feedback_false"],
                }
            case specs.NUMERIC:
                return {
                    "answers": [
                        {
                            "value": row["value"],
                            "tolerance": row["tolerance"] or "0",
                            "fraction": _credit(row["credit"]),
                            "feedback": row["feedback"],
                        }
                        for _, row in self._rows()
                    ],
                    "unit": data["unit"],
                    "unit_required": data["unit_required"],
                }
            case specs.SHORT_TEXT:
                return {
                    "answers": [
                        {
                            "text": row["text"],
                            "fraction": _credit(row["credit"]),
                            "feedback": row["feedback"],
                        }
                        for _, row in self._rows()
                    ],
                    "case_sensitive": data["case_sensitive"],
                    "regex": data["regex"],
                }
            case _:
                rows = sorted(
                    self._rows(),
                    key=lambda pair: (pair[1]["position"] or specs.MAX_OPTIONS + 1, pair[0]),
                )
                return {
                    "items": [{"id": row["id"], "text": row["text"]} for _, row in rows],
                    "partial_credit": data["partial_credit"],
                }

    def values(self) -> dict:
        """The keyword arguments of `question_create` / `question_update` (valid forms only)."""
        data = self.form.cleaned_data
        return {
            "title": data["title"],
            "stem": data["stem"],
            "spec": self.spec(),
            "explanation": data["explanation"],
            "points": data["points"],
            "difficulty": data["difficulty"],
            "knowledge_points": list(data["knowledge_points"]),
            "tags": data["tags"],
        }

    def add_service_error(self, error: ValidationError) -> None:
        """A service's refusal: field errors next to their field, the others by the answers."""
        if not hasattr(error, "error_dict"):
            self.service_errors.extend(error.messages)
            return
        for field, errors in error.error_dict.items():
            if field in self.form.fields:
                self.form.add_error(field, errors)
            elif field == NON_FIELD_ERRORS:
                self.form.add_error(None, errors)
            else:
                self.service_errors.extend(ValidationError(errors).messages)


# --- Import -------------------------------------------------------------------------------------

IMPORT_FORMATS = [("gift", _("GIFT (Moodle)")), ("aiken", _("Aiken"))]
ENCODING_ERROR = _("The file is not UTF-8 text. Save it as UTF-8 and upload it again.")


def _too_large() -> ValidationError:
    return ValidationError(
        _("The questions are larger than %(limit)d MB; split them into smaller files.")
        % {"limit": MAX_INPUT_BYTES // (1024 * 1024)},
        code="too_large",
    )


class ImportForm(forms.Form):
    """A GIFT or Aiken text, uploaded or pasted; `cleaned_data["source"]` is its text."""

    format = forms.ChoiceField(
        label=_("Format"), choices=IMPORT_FORMATS, initial="gift", widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".txt,.gift,text/plain"}),
        help_text=_("A UTF-8 text file of at most 2 MB."),
    )
    text = TextField(
        label=_("Or paste the questions"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    tags = _tags_field(_("Tags for every imported question"))

    def clean_tags(self) -> list[str]:
        return tag_names_clean(self.cleaned_data["tags"])

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), data.get("text") or ""
        if "file" in self.errors or "text" in self.errors:
            return data
        if upload and text.strip():
            raise ValidationError(_("Upload a file or paste the questions, not both."))
        if upload:
            if upload.size > MAX_INPUT_BYTES:
                self.add_error("file", _too_large())
                return data
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", ENCODING_ERROR)
                return data
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        elif not text.strip():
            raise ValidationError(_("Choose a file or paste the questions."))
        elif len(text) > MAX_INPUT_BYTES or len(text.encode("utf-8")) > MAX_INPUT_BYTES:
            self.add_error("text", _too_large())
            return data
        if "\x00" in text:
            self.add_error("file" if upload else "text", _("This is not a text file."))
            return data
        data["source"] = text
        return data
