"""Lecture pages: the room, the schedule and its calendar feed, teachers' set-up and report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.selectors import question_list_editable
from courses.models import Course
from courses.views.lookups import editable_course
from courses.views.media import serve_upload
from livestream.calendar import calendar_response, calendar_token, calendar_user
from livestream.forms import BlockedWordForm, LectureForm
from livestream.models import MAX_TEXT, PALETTE, BlockedWord, DanmakuMode, DanmakuSize, Lecture
from livestream.selectors import (
    blocked_word_list,
    confusion_timeline,
    lecture_access,
    lecture_list_editable,
    lecture_list_for_course,
    lecture_list_upcoming,
    lecture_list_visible,
    live_question_list,
)
from livestream.services.danmaku import blocked_word_add, blocked_word_remove
from livestream.services.lectures import (
    LECTURE_FIELDS,
    lecture_create,
    lecture_delete,
    lecture_end,
    lecture_start,
    lecture_update,
)
from lms.forms import add_service_errors
from lms.http import posted_id
from lms.permissions import school_admin_required


def _video(request: HttpRequest, lecture: Lecture) -> dict:
    """What the player plays: the live stream while live, else the recording."""
    if lecture.state == "live" and lecture.stream_url:
        return {"kind": "hls", "url": lecture.stream_url}
    if lecture.recording:
        return {"kind": "file", "url": reverse("livestream:recording", args=[lecture.pk])}
    if lecture.recording_url:
        hls = lecture.recording_url.split("?")[0].endswith(".m3u8")
        return {"kind": "hls" if hls else "file", "url": lecture.recording_url}
    return {"kind": "none", "url": ""}


@login_required
@require_GET
def lecture_detail(request: HttpRequest, lecture_id: int) -> HttpResponse:
    """The lecture room: video, danmaku over it, the chat beside it and live questions."""
    lecture = get_object_or_404(lecture_list_visible(user=request.user), pk=lecture_id)
    access = lecture_access(user=request.user, lecture=lecture)
    bank = []
    if access.may_moderate:
        bank = [
            {"id": q.pk, "title": q.title, "kind": q.kind}
            for q in question_list_editable(user=request.user)
            .filter(course=lecture.course, is_archived=False)
            .order_by("title", "pk")[:500]
        ]
    room = {
        "lecture": lecture.pk,
        "user": {"id": request.user.pk, "name": request.user.name},
        "can_moderate": access.may_moderate,
        "socket": f"/ws/lectures/{lecture.pk}/",
        "state": lecture.state,
        "started_at": lecture.started_at.isoformat() if lecture.started_at else None,
        "scheduled_at": lecture.scheduled_at.isoformat(),
        "api": {
            "danmaku": reverse("livestream-api:danmaku", args=[lecture.pk]),
            "confusion": reverse("livestream-api:confusion", args=[lecture.pk]),
        },
        "palette": PALETTE,
        "modes": DanmakuMode.values,
        "sizes": DanmakuSize.values,
        "max_length": MAX_TEXT,
        "bank": bank,
        "hls": static("vendor/hls/hls.min.js"),
    }
    return render(
        request,
        "livestream/lecture.html",
        {
            "lecture": lecture,
            "can_moderate": access.may_moderate,
            "video": _video(request, lecture),
            "room": room,
        },
    )


@login_required
@require_GET
def lecture_recording(request: HttpRequest, lecture_id: int) -> HttpResponse:
    lecture = get_object_or_404(lecture_list_visible(user=request.user), pk=lecture_id)
    if not lecture.recording:
        raise Http404
    return serve_upload(request, lecture.recording, download=False)


@login_required
@require_GET
def lecture_list(request: HttpRequest) -> HttpResponse:
    """Live and upcoming lectures of the user's courses, the latest replays, the calendar feed."""
    upcoming = list(lecture_list_upcoming(user=request.user))
    replays = list(
        lecture_list_visible(user=request.user).filter(state="ended").order_by("-ended_at")[:20]
    )
    feed = request.build_absolute_uri(
        reverse("livestream:calendar", args=[calendar_token(request.user)])
    )
    return render(
        request,
        "livestream/lecture_list.html",
        {"upcoming": upcoming, "replays": replays, "feed": feed},
    )


@require_GET
def calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The user's lectures as an iCalendar feed; the token in the address stands for the login."""
    user = calendar_user(token)
    if user is None:
        raise Http404
    return calendar_response(user=user, lectures=lecture_list_visible(user=user))


def _course_lecture(request: HttpRequest, lecture_id: int) -> Lecture:
    return get_object_or_404(lecture_list_editable(user=request.user), pk=lecture_id)


@login_required
@require_http_methods(["GET", "POST"])
def lecture_new(request: HttpRequest, course_id: int) -> HttpResponse:
    course = editable_course(request, course_id)
    form = LectureForm(request.POST or None, request.FILES or None, course=course)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in LECTURE_FIELDS}
        data["recording"] = data["recording"] or ""
        try:
            lecture = lecture_create(
                course=course,
                teacher=request.user,
                knowledge_points=form.cleaned_data["knowledge_points"],
                **data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lecture scheduled."))
            return redirect("livestream:lecture", lecture.pk)
    return render(
        request, "livestream/lecture_form.html", {"form": form, "course": course, "lecture": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def lecture_edit(request: HttpRequest, lecture_id: int) -> HttpResponse:
    lecture = _course_lecture(request, lecture_id)
    form = LectureForm(
        request.POST or None, request.FILES or None, instance=lecture, course=lecture.course
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in LECTURE_FIELDS}
        if data["recording"] is False:  # "clear" ticked
            data["recording"] = ""
        elif data["recording"] is None:
            data.pop("recording")
        try:
            lecture_update(
                lecture=Lecture.objects.get(pk=lecture.pk),
                knowledge_points=form.cleaned_data["knowledge_points"],
                **data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Lecture saved."))
            return redirect("livestream:lecture", lecture.pk)
    return render(
        request,
        "livestream/lecture_form.html",
        {"form": form, "course": lecture.course, "lecture": lecture},
    )


@login_required
@require_POST
def lecture_state(request: HttpRequest, lecture_id: int) -> HttpResponse:
    """Go live or end the lecture (`action` start or end)."""
    lecture = _course_lecture(request, lecture_id)
    action = request.POST.get("action")
    try:
        if action == "start":
            lecture_start(lecture=lecture)
            messages.success(request, _("You are live. Students of the course have been told."))
        elif action == "end":
            lecture_end(lecture=lecture)
            messages.success(request, _("The lecture has ended; its room stays open for replay."))
        else:
            messages.error(request, _("Choose to go live or to end the lecture."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("livestream:lecture", lecture.pk)


@login_required
@require_POST
def lecture_remove(request: HttpRequest, lecture_id: int) -> HttpResponse:
    lecture = _course_lecture(request, lecture_id)
    course_id = lecture.course_id
    try:
        lecture_delete(lecture=lecture)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("livestream:lecture", lecture.pk)
    messages.success(request, _("Lecture deleted."))
    return redirect("courses:course_detail", course_id)


@login_required
@require_GET
def lecture_report(request: HttpRequest, lecture_id: int) -> HttpResponse:
    """After the lecture: when the room got lost (confusion spikes) and how it answered."""
    lecture = _course_lecture(request, lecture_id)
    timeline = confusion_timeline(lecture=lecture)
    most = max([b["total"] for b in timeline["buckets"]] or [1])
    return render(
        request,
        "livestream/lecture_report.html",
        {
            "lecture": lecture,
            "timeline": timeline,
            "most": most,
            "questions": live_question_list(lecture=lecture),
            "knowledge_points": list(lecture.knowledge_points.all()),
        },
    )


@school_admin_required
@require_http_methods(["GET", "POST"])
def blocked_words(request: HttpRequest) -> HttpResponse:
    """The words this school refuses in lecture comments."""
    form = BlockedWordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blocked_word_add(school=request.school, word=form.cleaned_data["word"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Word blocked."))
            return redirect("livestream:blocked_words")
    return render(
        request,
        "livestream/blocked_words.html",
        {"form": form, "words": blocked_word_list(school=request.school)},
    )


@school_admin_required
@require_POST
def blocked_word_delete(request: HttpRequest) -> HttpResponse:
    word = BlockedWord.objects.filter(
        school=request.school, pk=posted_id(request.POST.get("word"))
    ).first()
    if word is not None:
        blocked_word_remove(word=word)
        messages.success(request, _("Word unblocked."))
    return redirect("livestream:blocked_words")


def course_section(request: HttpRequest, course: Course, can_edit: bool) -> dict | None:
    """The course page's lectures: live now, upcoming, and replays."""
    if not request.user.is_authenticated:
        return None
    lectures = list(lecture_list_for_course(course=course, user=request.user, can_edit=can_edit))
    if not lectures and not can_edit:
        return None
    now = timezone.now()
    return {
        "course": course,
        "can_edit": can_edit,
        "live": [lecture for lecture in lectures if lecture.state == "live"],
        "upcoming": [
            lecture
            for lecture in lectures
            if lecture.state == "scheduled" and (can_edit or lecture.scheduled_at >= now)
        ],
        "replays": [lecture for lecture in lectures if lecture.state == "ended"],
    }
