from django.utils.translation import gettext_lazy as _

from lms.school_context import school_context

# The words of static/js/notices.js, in the reader's language.
NOTICES_TEXT = {
    "live": _("%(course)s: “%(title)s” is live now."),
    "join": _("Join"),
    "dismiss": _("Dismiss"),
}


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"school_context": school_context(request), "notices_text": NOTICES_TEXT}
