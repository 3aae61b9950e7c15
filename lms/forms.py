from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from lms.models import Classroom, Role, School, User


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """
    A service's refusal on the form: on the field it names when the form shows that field, else
    above the form (`form.add_error(None, error)` raises ValueError for a field the form lacks).
    """
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class UsernameLengthMixin:
    """
    Django's login forms set the username's max_length after building the field, so the limit
    is never validated on the server; an overlong username would then reach the login-attempt
    log (django-axes) and fail there. Validate it like any other field.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class LoginForm(UsernameLengthMixin, AuthenticationForm):
    pass


class AdminLoginForm(UsernameLengthMixin, AdminAuthenticationForm):
    pass


class PersonCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to send a password-reset link instead."),
    )


class PersonForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class ClassroomForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    homeroom_teachers = forms.ModelMultipleChoiceField(
        label=_("Homeroom teachers"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["homeroom_teachers"].queryset = User.objects.filter(
            memberships__school=school, memberships__role=Role.TEACHER
        ).order_by("username")


class ClassroomStudentsForm(forms.Form):
    students = forms.ModelMultipleChoiceField(
        label=_("Students to add"), queryset=User.objects.none()
    )

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["students"].queryset = (
            User.objects.filter(
                memberships__school=classroom.school, memberships__role=Role.STUDENT
            )
            .exclude(classroom_seats__classroom=classroom)
            .order_by("username")
        )
