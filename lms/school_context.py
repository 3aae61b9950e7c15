"""The school a signed-in user is working in, and their roles there (kept in the session)."""

from dataclasses import dataclass, field

from django.http import HttpRequest

from lms.models import Role, School
from lms.selectors import membership_list_for_user

SESSION_KEY = "pathwise_school_id"
# When a user holds several roles, their home opens on the first of these.
ROLE_ORDER = [Role.ADMIN, Role.TEACHER, Role.STUDENT]


@dataclass(frozen=True)
class SchoolContext:
    schools: list[School] = field(default_factory=list)
    current: School | None = None
    roles: list[str] = field(default_factory=list)


def school_context(request: HttpRequest) -> SchoolContext:
    """Computed once per request from the user's memberships."""
    cached = getattr(request, "_pathwise_school_context", None)
    if cached is not None:
        return cached
    memberships = list(membership_list_for_user(user=request.user))
    schools = list({m.school_id: m.school for m in memberships}.values())
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    current = next((s for s in schools if s.pk == chosen), schools[0] if schools else None)
    held = {m.role for m in memberships if current and m.school_id == current.pk}
    context = SchoolContext(
        schools=schools, current=current, roles=[r for r in ROLE_ORDER if r in held]
    )
    request._pathwise_school_context = context
    return context


def school_context_choose(request: HttpRequest, *, school_id: int) -> bool:
    """Make `school_id` the current school if the user is a member; returns whether it was."""
    if not any(s.pk == school_id for s in school_context(request).schools):
        return False
    request.session[SESSION_KEY] = school_id
    request._pathwise_school_context = None
    return True
