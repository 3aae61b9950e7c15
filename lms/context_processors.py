from lms.school_context import school_context


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"school_context": school_context(request)}
