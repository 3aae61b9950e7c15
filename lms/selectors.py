"""
Reads for schools, people and classrooms. Every selector takes the acting user and returns only
what that user may see: a member of school A never gets school B's rows.
"""

from django.db.models import Count, Prefetch, Q, QuerySet

from lms.models import Classroom, ClassroomStudent, Membership, Role, School, User


def school_ids_for_user(user: User, *, roles: tuple[str, ...] = ()) -> QuerySet:
    """Ids of the schools where `user` holds one of `roles` (any role when empty), as a subquery."""
    if not user.is_authenticated:
        return School.objects.none().values("pk")
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return memberships.values("school_id")


def scope_to_user_schools(
    queryset: QuerySet, *, user: User, roles: tuple[str, ...] = (), school_field: str = "school"
) -> QuerySet:
    """
    Keep only the rows of `queryset` that belong to a school where `user` holds one of `roles`.

    `school_field` is the lookup path from the queryset's model to its school
    (for example "course__school"). This is the one filter that every app applies in its
    selectors so that no school's rows reach another school's members.
    """
    return queryset.filter(**{f"{school_field}__in": school_ids_for_user(user, roles=roles)})


def user_roles_in_school(*, user: User, school: School) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user, school=school).values_list("role", flat=True))


def user_has_school_role(*, user: User, school: School, roles: tuple[str, ...] = ()) -> bool:
    """Whether `user` is a member of `school` with one of `roles` (any role when empty)."""
    held = user_roles_in_school(user=user, school=school)
    return bool(held & set(roles)) if roles else bool(held)


def school_list_for_user(*, user: User) -> QuerySet[School]:
    return scope_to_user_schools(School.objects.all(), user=user, school_field="pk")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The acting user's own memberships, with their schools."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("school")


def classroom_list_for_user(
    *, user: User, school: School | None = None, homeroom_only: bool = False
) -> QuerySet[Classroom]:
    """
    Classrooms the user may see: all of a school's classrooms for its teachers and admins,
    only their own for students; with `homeroom_only`, those the user is homeroom teacher of.
    """
    if not user.is_authenticated:
        return Classroom.objects.none()
    own_classrooms = ClassroomStudent.objects.filter(student=user).values("classroom_id")
    visible = Q(school__in=school_ids_for_user(user, roles=(Role.TEACHER, Role.ADMIN))) | Q(
        school__in=school_ids_for_user(user, roles=(Role.STUDENT,)), pk__in=own_classrooms
    )
    classrooms = Classroom.objects.filter(visible)
    if school is not None:
        classrooms = classrooms.filter(school=school)
    if homeroom_only:
        classrooms = classrooms.filter(homeroom_teachers=user)
    return (
        classrooms.select_related("school")
        .prefetch_related("homeroom_teachers")
        .annotate(student_count=Count("seats", distinct=True))
        .order_by("school__name", "name")
    )


def school_member_counts(*, user: User, school: School) -> dict[str, int]:
    """Number of members per role, for a school the user administers (empty otherwise)."""
    if not user_has_school_role(user=user, school=school, roles=(Role.ADMIN,)):
        return {}
    rows = (
        Membership.objects.filter(school=school)
        .values("role")
        .annotate(count=Count("user", distinct=True))
    )
    counts = dict.fromkeys(Role.values, 0)
    counts.update({row["role"]: row["count"] for row in rows})
    return counts


def school_member_list(
    *, user: User, school: School, query: str = "", role: str = ""
) -> QuerySet[User]:
    """The members of a school, for its admins (nobody else gets any)."""
    if not user_has_school_role(user=user, school=school, roles=(Role.ADMIN,)):
        return User.objects.none()
    members = User.objects.filter(memberships__school=school)
    if role:
        members = members.filter(memberships__school=school, memberships__role=role)
    if query:
        members = members.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    return (
        members.distinct()
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(school=school))
        )
        .order_by("username")
    )
