"""Pages for school admins: the school's people, their roles, and classrooms."""

from django.contrib import messages
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lms import services
from lms.forms import (
    ClassroomForm,
    ClassroomStudentsForm,
    PersonCreateForm,
    PersonForm,
    add_service_errors,
)
from lms.models import Classroom, Role, User
from lms.permissions import school_admin_required
from lms.selectors import classroom_list_for_user, school_member_list, user_roles_in_school

PAGE_SIZE = 50


def _member(request, user_id: int) -> User:
    return get_object_or_404(
        school_member_list(user=request.user, school=request.school), pk=user_id
    )


def _classroom(request, classroom_id: int) -> Classroom:
    return get_object_or_404(
        classroom_list_for_user(user=request.user, school=request.school), pk=classroom_id
    )


@school_admin_required
@require_http_methods(["GET", "POST"])
def people(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "") if request.GET.get("role") in Role.values else ""
    form = PersonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = services.user_create(
                    username=data["username"],
                    display_name=data["display_name"],
                    email=data["email"],
                    password=data["password"] or None,
                )
                services.membership_grant(user=user, school=request.school, role=data["role"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": user.name})
            return redirect("school_person", user_id=user.pk)
    members = school_member_list(user=request.user, school=request.school, query=query, role=role)
    return render(
        request,
        "lms/people.html",
        {
            "page": Paginator(members, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": query,
            "role": role,
            "roles": Role.choices,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@school_admin_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    held = user_roles_in_school(user=member, school=request.school)
    form = PersonForm(
        request.POST or None,
        initial={"display_name": member.display_name, "email": member.email, "roles": sorted(held)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.user_update(
                    user=member,
                    display_name=data["display_name"],
                    email=data["email"],
                    school=request.school,
                )
                wanted = set(data["roles"])
                for role in wanted - held:
                    services.membership_grant(user=member, school=request.school, role=role)
                for role in held - wanted:
                    services.membership_revoke(user=member, school=request.school, role=role)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            if not data["roles"]:  # no longer a member of this school
                return redirect("school_people")
            return redirect("school_person", user_id=member.pk)
    return render(
        request,
        "lms/person.html",
        {
            "member": member,
            "form": form,
            "classrooms": classroom_list_for_user(user=request.user, school=request.school).filter(
                seats__student=member
            ),
        },
        status=400 if form.errors else 200,
    )


@school_admin_required
@require_POST
def person_send_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    if not member.email:
        messages.error(request, _("This person has no email address."))
    else:
        form = PasswordResetForm({"email": member.email})
        form.is_valid()
        form.save(request=request, use_https=request.is_secure())
        messages.success(
            request, _("A password-reset link was sent to %(email)s.") % {"email": member.email}
        )
    return redirect("school_person", user_id=member.pk)


@school_admin_required
@require_http_methods(["GET", "POST"])
def classrooms(request: HttpRequest) -> HttpResponse:
    form = ClassroomForm(request.POST or None, school=request.school)
    if request.method == "POST" and form.is_valid():
        try:
            classroom = services.classroom_create(
                school=request.school,
                name=form.cleaned_data["name"],
                homeroom_teachers=form.cleaned_data["homeroom_teachers"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("school_classroom", classroom_id=classroom.pk)
    return render(
        request,
        "lms/classrooms.html",
        {
            "classrooms": classroom_list_for_user(user=request.user, school=request.school),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@school_admin_required
@require_http_methods(["GET", "POST"])
def classroom(request: HttpRequest, classroom_id: int) -> HttpResponse:
    room = _classroom(request, classroom_id)
    form = ClassroomForm(
        request.POST if "save" in request.POST else None,
        school=request.school,
        initial={"name": room.name, "homeroom_teachers": list(room.homeroom_teachers.all())},
    )
    add_form = ClassroomStudentsForm(
        request.POST if "add" in request.POST else None, classroom=room
    )
    if request.method == "POST":
        try:
            if "save" in request.POST and form.is_valid():
                services.classroom_update(
                    classroom=room,
                    name=form.cleaned_data["name"],
                    homeroom_teachers=form.cleaned_data["homeroom_teachers"],
                )
                return redirect("school_classroom", classroom_id=room.pk)
            if "add" in request.POST and add_form.is_valid():
                added = services.classroom_add_students(
                    classroom=room, students=add_form.cleaned_data["students"]
                )
                messages.success(request, _("%(count)d students added.") % {"count": len(added)})
                return redirect("school_classroom", classroom_id=room.pk)
        except ValidationError as error:
            add_service_errors(form if "save" in request.POST else add_form, error)
    students = User.objects.filter(classroom_seats__classroom=room).order_by("username")
    return render(
        request,
        "lms/classroom.html",
        {"classroom": room, "form": form, "add_form": add_form, "students": students},
        status=400 if request.method == "POST" else 200,
    )


@school_admin_required
@require_POST
def classroom_remove_student(request: HttpRequest, classroom_id: int, user_id: int) -> HttpResponse:
    room = _classroom(request, classroom_id)
    student = get_object_or_404(User.objects.filter(classroom_seats__classroom=room), pk=user_id)
    services.classroom_remove_student(classroom=room, student=student)
    messages.success(request, _("%(name)s left the classroom.") % {"name": student.name})
    return redirect("school_classroom", classroom_id=room.pk)
