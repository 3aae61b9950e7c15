from django.http import HttpRequest, HttpResponseBadRequest


class RejectNulBytesMiddleware:
    """
    Refuse requests whose path or headers carry a NUL byte with 400. No legitimate client sends
    one, and PostgreSQL cannot store it, so such a request could only fail later, half-done
    (the login-attempt log records the User-Agent and Accept headers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path or any(
            "\x00" in value
            for key, value in request.META.items()
            if key.startswith("HTTP_") and isinstance(value, str)
        ):
            return HttpResponseBadRequest("Bad request: NUL byte in the request.")
        return self.get_response(request)
