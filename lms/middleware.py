from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBadRequest
from whitenoise.middleware import WhiteNoiseMiddleware

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


class RejectNulBytesMiddleware:
    """
    Refuse requests whose path or headers carry a NUL byte with 400. No legitimate client sends
    one, and PostgreSQL cannot store it, so such a request could only fail later, half-done
    (the login-attempt log records the User-Agent and Accept headers).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        if _has_nul_byte(request):
            return HttpResponseBadRequest("Bad request: NUL byte in the request.")
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest):
        if _has_nul_byte(request):
            return HttpResponseBadRequest("Bad request: NUL byte in the request.")
        return await self.get_response(request)


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """
    WhiteNoise, usable in an async middleware chain. Under ASGI a single sync-only middleware
    makes Django hop to a worker thread for the rest of the chain on every request; WhiteNoise
    only looks the path up in its in-memory table (opening a file only for a static file), so
    it can run on the event loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, *args, **kwargs):
        super().__init__(get_response, *args, **kwargs)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if self.autorefresh:  # development only: looks at the disk
            static_file = self.find_file(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return self.serve(static_file, request)
        return await self.get_response(request)
