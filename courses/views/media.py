"""Uploaded course files, served only to those who may see them."""

import mimetypes
import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from courses.content import code_stylesheet
from courses.models import BlockKind, ContentBlock
from courses.selectors import course_list_visible, lesson_access, lesson_list_visible

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
RANGE_CHUNK = 8 * 1024 * 1024  # a ranged answer carries at most this much (players ask again)


@login_required
@require_GET
def block_file(request: HttpRequest, block_id: int, field: str) -> HttpResponse:
    """A block's file or captions: for editors of the course, and for its enrolled students
    once the lesson is unlocked for them."""
    block = get_object_or_404(
        ContentBlock.objects.filter(
            lesson__in=lesson_list_visible(user=request.user)
        ).select_related("lesson__module__course__school"),
        pk=block_id,
    )
    if not lesson_access(user=request.user, lesson=block.lesson).may_see_content:
        raise Http404
    upload = block.captions if field == "captions" else block.file
    if not upload:
        raise Http404
    return serve_upload(request, upload, download=block.kind == BlockKind.FILE)


@login_required
@require_GET
def course_cover(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(course_list_visible(user=request.user), pk=course_id)
    if not course.cover_image:
        raise Http404
    return serve_upload(request, course.cover_image, download=False)


def serve_upload(request: HttpRequest, upload, *, download: bool) -> HttpResponse:
    """
    The file itself, with single byte ranges (video seeking). With MEDIA_ACCEL_REDIRECT set, the
    front web server sends it instead (X-Accel-Redirect), after this view checked access.
    """
    content_type = mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
    disposition = "attachment" if download else "inline"
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT.rstrip("/") + "/" + upload.name
        response["Content-Disposition"] = disposition
        return response
    size = upload.size
    match = RANGE.match(request.headers.get("range", ""))
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
            end = min(end, start + RANGE_CHUNK - 1)
        else:  # the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle = upload.open("rb")
        handle.seek(start)
        response = HttpResponse(handle.read(end - start + 1), status=206, content_type=content_type)
        handle.close()
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(upload.open("rb"), content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@cache_control(public=True, max_age=24 * 60 * 60)
def code_css(request: HttpRequest) -> HttpResponse:
    return HttpResponse(code_stylesheet(), content_type="text/css; charset=utf-8")
