"""
The lectures calendar feed (iCalendar). Calendar apps cannot sign in, so the feed's address
carries a token: the user's id and an HMAC of it with their password hash, so changing the
password ends every old feed address.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from icalendar import Calendar, Event

from livestream.models import Lecture
from lms.models import User

_SALT = "livestream.calendar"


def _mac(user: User) -> str:
    return salted_hmac(_SALT, f"{user.pk}:{user.password}", algorithm="sha256").hexdigest()[:32]


def calendar_token(user: User) -> str:
    return f"{user.pk}-{_mac(user)}"


def calendar_user(token: str) -> User | None:
    """The user the token was made for, or None if it is malformed, forged or revoked."""
    pk, _dash, mac = token.partition("-")
    if not pk.isdigit() or len(pk) > 18 or not mac:
        return None
    user = User.objects.filter(pk=int(pk), is_active=True).first()
    if user is None or not constant_time_compare(mac, _mac(user)):
        return None
    return user


def calendar_response(*, user: User, lectures: QuerySet[Lecture]) -> HttpResponse:
    feed = Calendar()
    feed.add("prodid", "-//Pathwise//Lectures//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", "Pathwise lectures")
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "pathwise"
    for lecture in lectures.order_by("scheduled_at", "pk")[:500]:
        event = Event()
        event.add("uid", f"lecture-{lecture.pk}@{host.lstrip('.') or 'pathwise'}")
        event.add("summary", f"{lecture.course.title}: {lecture.title}")
        event.add("dtstart", lecture.scheduled_at)
        event.add("dtend", lecture.scheduled_at + timedelta(minutes=lecture.duration_minutes))
        event.add("dtstamp", lecture.updated_at)
        if lecture.description:
            event.add("description", lecture.description)
        event.add("url", reverse("livestream:lecture", args=[lecture.pk]))
        if lecture.state == "ended":
            event.add("status", "CONFIRMED")
        feed.add_component(event)
    response = HttpResponse(feed.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lectures.ics"'
    return response
