"""View guards shared by every app's pages."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from lms.models import Role
from lms.school_context import school_context


def school_admin_required(view):
    """
    Admins of the current school only; everyone else gets a 404, as for anything that is not
    theirs to see. Sets `request.school` to that school.
    """

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        context = school_context(request)
        if context.current is None or Role.ADMIN not in context.roles:
            raise Http404
        request.school = context.current
        return view(request, *args, **kwargs)

    return wrapped
