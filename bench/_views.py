"""The baseline of `python -m bench pages`: the same middleware and server, one small query."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from lms.models import User


@require_GET
def baseline(request: HttpRequest) -> HttpResponse:
    """One one-row query (`?user=<id>`), no template: what any page costs at the least."""
    try:
        user_id = int(request.GET.get("user", "0"))
    except ValueError:
        user_id = 0
    found = User.objects.filter(pk=user_id).exists()
    return HttpResponse("ok" if found else "missing", content_type="text/plain")
