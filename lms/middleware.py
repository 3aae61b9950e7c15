from django.http import HttpRequest, HttpResponseBadRequest

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul_byte(request: HttpRequest) -> bool:
    """NUL in the path, a header, the query string or a form field (not in uploaded files)."""
    if "\x00" in request.path or any(
        "\x00" in value
        for key, value in request.META.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    ):
        return True
    if any("\x00" in value for values in request.GET.lists() for value in values[1]):
        return True
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    return False


def reject_nul_bytes(get_response):
    """
    Refuse requests whose path, headers, query or form fields carry a NUL byte with 400. No
    legitimate client sends one, and PostgreSQL cannot store it, so such a request could only
    fail later, half-done (the login-attempt log records the User-Agent and Accept headers).
    """

    def middleware(request: HttpRequest):
        if _has_nul_byte(request):
            return HttpResponseBadRequest("Bad request: NUL byte in the request.")
        return get_response(request)

    return middleware
