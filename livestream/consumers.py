import asyncio
import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessments.models import Question
from livestream import fanout
from livestream.models import Danmaku, Lecture, LiveQuestion
from livestream.selectors import (
    danmaku_backfill,
    lecture_access,
    lecture_is_muted,
    lecture_with_access,
    live_question_active,
    live_question_tally,
    live_question_view,
)
from livestream.serializers import danmaku_payload, lecture_payload
from livestream.services.danmaku import (
    danmaku_hide,
    danmaku_send,
    lecture_mute,
    lecture_pin,
    lecture_slow_mode,
    lecture_unmute,
)
from livestream.services.questions import (
    live_answer,
    live_question_close,
    live_question_push,
    live_question_reveal,
    poll_push,
)
from lms.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from lms.exceptions import ApplicationError
from lms.models import User

CLOSE_NOT_FOUND = 4404
MAX_FRAME = 4096  # characters; the longest legitimate frame (a poll) is well under 2,000
TALLY_SECONDS = 0.3


class _AnswerWatch:
    """The moderators' side channel: an answer came in, so the tally is due for a refresh."""

    def __init__(self, consumer: "LectureConsumer"):
        self.consumer = consumer

    async def deliver(self, seq: int, text: str) -> None:
        self.consumer.tally_due()


def _error(code: str, detail, **extra) -> str:
    return fanout.frame("error", {"code": code, "detail": str(detail), **extra})


def _validation_detail(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(str(m) for messages in error.message_dict.values() for m in messages)
    return " ".join(str(m) for m in error.messages)


class LectureConsumer(AsyncWebsocketConsumer):
    """
    `/ws/lectures/<id>/[?after=<seq>]`: a lecture's room (frames: README, "Live lectures";
    delivery: livestream/fanout.py). On connect: `state`, then `backfill`
    (the latest comments, or everything after `after`), then live frames with no gap and no
    repeat. Viewers send comments and answers; moderators also delete, pin, mute, set slow
    mode and push questions. Bad frames get an `error` frame and change nothing; the socket
    stays open.
    """

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.lecture_id = self.scope["url_route"]["kwargs"]["lecture_id"]
        found = await database_sync_to_async(self._access)(user)
        if found is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.lecture, access = found
        if not access.may_watch:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.moderator = access.may_moderate
        self.syncing, self.pending = True, []
        self.tally_task: asyncio.Task | None = None
        self.tally_again = False
        await self.accept()
        self.direct = fanout.direct_socket(self.base_send)
        self.hub = fanout.hub()
        self.channel = fanout.lecture_channel(self.lecture_id)
        await self.hub.join(self.channel, self)
        if self.moderator:
            self.answers = _AnswerWatch(self)
            await self.hub.join(fanout.lecture_channel(self.lecture_id, staff=True), self.answers)
        welcome = database_sync_to_async(self._welcome)
        state, backfill = await welcome(user, self._after())
        await self.send(text_data=fanout.frame("state", state))
        await self.send(text_data=fanout.frame("backfill", backfill))
        # Frames that arrived while the backfill was read: those it covered are dropped. Frames
        # arriving while these are written join the queue, so they all go out in order.
        while self.pending:
            pending, self.pending = self.pending, []
            for seq, text in pending:
                if seq == 0 or seq > backfill["last_seq"]:
                    await self.send(text_data=text)
        self.syncing = False
        self.hub.viewer_joined(self.lecture_id, self._viewers_changed)

    async def disconnect(self, code):
        hub = getattr(self, "hub", None)
        if hub is None:
            return
        if self.tally_task is not None:
            self.tally_task.cancel()
        if not self.syncing:
            hub.viewer_left(self.lecture_id, self._viewers_changed)
        await hub.leave(self.channel, self)
        if self.moderator:
            await hub.leave(fanout.lecture_channel(self.lecture_id, staff=True), self.answers)

    # Frames from the lecture's other viewers, through the hub

    def write_now(self, seq: int, text: str, wire: bytes) -> bool:
        """The hub's fast path: queue or write the frame without awaiting; False: use deliver."""
        if self.syncing:
            self.pending.append((seq, text))
            return True
        if self.direct is None:
            return False
        self.direct.write(wire)
        return True

    async def deliver(self, seq: int, text: str) -> None:
        if self.syncing:
            self.pending.append((seq, text))
        else:
            await self.base_send({"type": "websocket.send", "text": text})

    async def _viewers_changed(self, count: int) -> None:
        await self.send(text_data=fanout.frame("viewers", {"count": count}))

    def tally_due(self) -> None:
        if self.tally_task is None or self.tally_task.done():
            self.tally_task = asyncio.ensure_future(self._send_tallies())
        else:
            self.tally_again = True

    async def _send_tallies(self) -> None:
        while True:
            await asyncio.sleep(TALLY_SECONDS)
            self.tally_again = False
            tally = await database_sync_to_async(self._tally)()
            if tally is not None:
                await self.send(text_data=fanout.frame("question.tally", tally))
            if not self.tally_again:
                return

    # Frames from this viewer

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_FRAME:
            await self.send(
                text_data=_error(
                    "bad_frame",
                    _("Frames are JSON text of at most %(n)d characters.") % {"n": MAX_FRAME},
                )
            )
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send(
                text_data=_error("bad_frame", _('A frame is a JSON object with a "type".'))
            )
            return
        kind = message["type"]
        handler = self.VIEWER_ACTIONS.get(kind) or (
            self.MODERATOR_ACTIONS.get(kind) if self.moderator else None
        )
        if handler is None:
            if kind in self.MODERATOR_ACTIONS:
                await self.send(
                    text_data=_error("forbidden", _("Only the lecture's teachers can do that."))
                )
            else:
                await self.send(
                    text_data=_error(
                        "bad_frame", _("Unknown frame type: %(type)s") % {"type": kind[:40]}
                    )
                )
            return
        client_id = message.get("client_id")
        extra = {"client_id": client_id} if isinstance(client_id, str | int) else {}
        try:
            reply = await database_sync_to_async(handler)(self, message)
        except ApplicationError as error:
            if error.retry_after is not None:
                extra["retry_after"] = error.retry_after
            await self.send(text_data=_error(error.code, error.message, **extra))
            return
        except ValidationError as error:
            await self.send(text_data=_error("invalid", _validation_detail(error), **extra))
            return
        if reply is not None:
            event, payload = reply
            await self.send(text_data=fanout.frame(event, {**payload, **extra}))

    # Database work, in a worker thread

    def _access(self, user: User):
        return lecture_with_access(user=user, lecture_id=self.lecture_id)

    def _after(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        value = (query.get("after") or [""])[0]
        return int(value) if value.isdigit() and len(value) < 19 else None

    def _welcome(self, user: User, after: int | None) -> tuple[dict, dict]:
        lecture = Lecture.objects.select_related("pinned__author").get(pk=self.lecture_id)
        backfill = danmaku_backfill(lecture=lecture, after=after)
        active = live_question_active(lecture=lecture)
        state = {
            "lecture": lecture_payload(lecture),
            "you": {
                "id": user.pk,
                "name": user.name,
                "can_moderate": self.moderator,
                "muted": lecture_is_muted(lecture=lecture, user=user),
            },
            "slow_mode_seconds": lecture.slow_mode_seconds,
            "pinned": danmaku_payload(lecture.pinned)
            if lecture.pinned and not lecture.pinned.hidden_at
            else None,
            "question": live_question_view(live=active, viewer=user, moderator=self.moderator)
            if active
            else None,
            "viewers": self.hub.viewer_count(self.lecture_id),
            "last_seq": backfill["last_seq"],
        }
        return state, backfill

    def _tally(self) -> dict | None:
        active = live_question_active(lecture=self.lecture)
        return live_question_tally(live=active) if active else None

    def _allowed(self) -> Lecture:
        """The lecture, fresh, if the user may still be in it (an enrollment can end mid-way)."""
        lecture, access = lecture_with_access(user=self.scope["user"], lecture_id=self.lecture_id)
        if not access.may_watch:
            raise ApplicationError(
                _("You are no longer enrolled in this course."), code="forbidden", status=403
            )
        return lecture

    def _send_danmaku(self, message: dict):
        lecture = self._allowed()
        danmaku = danmaku_send(
            lecture=lecture,
            author=self.scope["user"],
            text=message.get("text"),
            video_time=message.get("video_time"),
            mode=message.get("mode"),
            color=message.get("color"),
            size=message.get("size"),
            moderator=self.moderator,
        )
        return "sent", {"id": danmaku.pk, "seq": danmaku.seq}

    def _answer(self, message: dict):
        if self.moderator:
            raise ApplicationError(
                _("Teachers ask the questions here; students answer them."),
                code="forbidden",
                status=403,
            )
        lecture = self._allowed()
        live = self._live_question(lecture, message.get("question"))
        result = live_answer(live=live, student=self.scope["user"], answer=message.get("answer"))
        return "answered", {"question": live.pk, "correct": None, "recorded": result.pk}

    def _ping(self, message: dict):
        return "pong", {}

    @staticmethod
    def _id(value) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise ApplicationError(_("Give the id as a number."), code="invalid", status=400)
        return value

    def _live_question(self, lecture: Lecture, value) -> LiveQuestion:
        live = (
            LiveQuestion.objects.select_related("assessment", "question")
            .filter(lecture=lecture, pk=self._id(value))
            .first()
        )
        if live is None:
            raise ApplicationError(
                _("No such question in this lecture."), code="not_found", status=404
            )
        return live

    def _message(self, lecture: Lecture, value) -> Danmaku:
        found = Danmaku.objects.filter(lecture=lecture, pk=self._id(value)).first()
        if found is None:
            raise ApplicationError(
                _("No such message in this lecture."), code="not_found", status=404
            )
        return found

    def _target(self, lecture: Lecture, value) -> User:
        user = User.objects.filter(pk=self._id(value)).first()
        access = lecture_access(user=user, lecture=lecture) if user else None
        if access is None or not access.may_watch:
            raise ApplicationError(
                _("No such viewer in this lecture."), code="not_found", status=404
            )
        if access.may_moderate:
            raise ApplicationError(
                _("Teachers of the course cannot be muted."), code="forbidden", status=403
            )
        return user

    def _moderated(self) -> Lecture:
        lecture, access = lecture_with_access(user=self.scope["user"], lecture_id=self.lecture_id)
        if not access.may_moderate:
            raise ApplicationError(
                _("Only the lecture's teachers can do that."), code="forbidden", status=403
            )
        return lecture

    def _hide(self, message: dict):
        lecture = self._moderated()
        danmaku_hide(danmaku=self._message(lecture, message.get("id")), by=self.scope["user"])
        return None

    def _pin(self, message: dict):
        lecture = self._moderated()
        value = message.get("id")
        lecture_pin(
            lecture=lecture, danmaku=None if value is None else self._message(lecture, value)
        )
        return None

    def _mute(self, message: dict):
        lecture = self._moderated()
        lecture_mute(
            lecture=lecture, user=self._target(lecture, message.get("user")), by=self.scope["user"]
        )
        return None

    def _unmute(self, message: dict):
        lecture = self._moderated()
        user = User.objects.filter(pk=self._id(message.get("user"))).first()
        if user is not None:
            lecture_unmute(lecture=lecture, user=user)
        return None

    def _slow_mode(self, message: dict):
        lecture_slow_mode(lecture=self._moderated(), seconds=message.get("seconds"))
        return None

    def _push_question(self, message: dict):
        lecture = self._moderated()
        question = (
            Question.objects.select_related("current_version")
            .filter(course_id=lecture.course_id, pk=self._id(message.get("question")))
            .first()
        )
        if question is None:
            raise ApplicationError(
                _("Pick a question from this course's bank."), code="not_found", status=404
            )
        live = live_question_push(
            lecture=lecture,
            question=question,
            seconds=message.get("seconds"),
            by=self.scope["user"],
        )
        return "pushed", {"id": live.pk}

    def _push_poll(self, message: dict):
        lecture = self._moderated()
        live = poll_push(
            lecture=lecture,
            prompt=message.get("prompt"),
            options=message.get("options"),
            seconds=message.get("seconds"),
            by=self.scope["user"],
        )
        return "pushed", {"id": live.pk}

    def _reveal(self, message: dict):
        lecture = self._moderated()
        live_question_reveal(live=self._live_question(lecture, message.get("id")))
        return None

    def _close_question(self, message: dict):
        lecture = self._moderated()
        live_question_close(live=self._live_question(lecture, message.get("id")))
        return None

    VIEWER_ACTIONS = {"send": _send_danmaku, "answer": _answer, "ping": _ping}
    MODERATOR_ACTIONS = {
        "hide": _hide,
        "pin": _pin,
        "mute": _mute,
        "unmute": _unmute,
        "slow_mode": _slow_mode,
        "question.push": _push_question,
        "poll.push": _push_poll,
        "question.reveal": _reveal,
        "question.close": _close_question,
    }
