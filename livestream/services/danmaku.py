"""Sending comments, and the moderation of a lecture's room."""

import hashlib
import math
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from livestream.fanout import publish_on_commit
from livestream.models import (
    MAX_TEXT,
    PALETTE,
    BlockedWord,
    Danmaku,
    DanmakuMode,
    DanmakuSize,
    Lecture,
    LectureMute,
    LectureState,
)
from livestream.serializers import danmaku_payload
from lms.exceptions import ApplicationError
from lms.models import User

RATE_SECONDS = 3  # one message per user and lecture every RATE_SECONDS, whatever the mode
DUPLICATE_SECONDS = 30  # the same text from the same user within this long is refused
MAX_VIDEO_TIME = 24 * 3600.0
MAX_SLOW_MODE = 300
BLOCKED_WORDS_SECONDS = 300

# Characters that reorder or hide text around them (bidi embeddings, overrides and isolates):
# kept out so that a comment cannot flip the text after it, in the list or over the video.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))

# Comments that say the room is lost: a question mark alone or at the end, and the phrases
# students type in English and Chinese.
_CONFUSED = re.compile(
    r"[?？]|don'?t (get|understand)|do not (get|understand)|confus|lost me|i'?m lost|huh\b"
    r"|no idea|not clear|unclear|slower|too fast"
    r"|没听懂|听不懂|不懂|不明白|没明白|看不懂|没看懂|什么意思|啥意思|为什么|为啥|太快|慢一点|再讲一遍|懵|晕",
    re.IGNORECASE,
)


def is_confused(text: str) -> bool:
    return bool(_CONFUSED.search(text))


def has_control_characters(value: str) -> bool:
    """Control characters (newlines too: comments are one line) or lone surrogates."""
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def _clean_text(value) -> str:
    if not isinstance(value, str):
        raise ValidationError({"text": _("The message must be text.")})
    if has_control_characters(value):
        raise ValidationError({"text": _("The message contains control characters.")})
    text = unicodedata.normalize("NFC", value.translate(_BIDI_CONTROLS)).strip()
    if not text:
        raise ValidationError({"text": _("Write something first.")})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {"text": _("A message is at most %(limit)d characters.") % {"limit": MAX_TEXT}}
        )
    return text


def _clean_video_time(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError({"video_time": _("The video time must be a number of seconds.")})
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= MAX_VIDEO_TIME:
        raise ValidationError(
            {"video_time": _("The video time must be between 0 and 24 hours in seconds.")}
        )
    return round(number, 3)


def _choice(value, choices, field: str, message: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValidationError({field: message})
    return value


@dataclass(frozen=True)
class Style:
    mode: str = DanmakuMode.SCROLL
    color: str = PALETTE[0]
    size: str = DanmakuSize.NORMAL


def style_clean(*, mode=None, color=None, size=None) -> Style:
    return Style(
        mode=_choice(
            mode or DanmakuMode.SCROLL,
            DanmakuMode.values,
            "mode",
            _("The mode must be scrolling, top or bottom."),
        ),
        color=_choice(
            PALETTE[0] if color is None else color.lower() if isinstance(color, str) else color,
            PALETTE,
            "color",
            _("Pick a colour from the palette."),
        ),
        size=_choice(
            size or DanmakuSize.NORMAL,
            DanmakuSize.values,
            "size",
            _("The size must be small, normal or large."),
        ),
    )


def _next_seq(lecture_id: int) -> int:
    """
    The lecture's next sequence number. The row stays locked until the transaction ends, so
    numbers are given in commit order and a viewer who has seen up to N has seen everything
    up to N once N's message arrives.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE livestream_lecture SET last_seq = last_seq + 1 WHERE id = %s "
            "RETURNING last_seq",
            [lecture_id],
        )
        return cursor.fetchone()[0]


def _blocked_words_key(school_id: int) -> str:
    return f"livestream:blocked:{school_id}"


def _blocked_word(lecture: Lecture, text: str) -> str | None:
    """The school's first blocked word in `text` (the list is cached until it changes)."""
    school_id = lecture.course.school_id
    words = cache.get(_blocked_words_key(school_id))
    if words is None:
        words = [
            word.casefold()
            for word in BlockedWord.objects.filter(school_id=school_id).values_list(
                "word", flat=True
            )
        ]
        cache.set(_blocked_words_key(school_id), words, timeout=BLOCKED_WORDS_SECONDS)
    folded = text.casefold()
    return next((word for word in words if word in folded), None)


def _take_slot(key: str, seconds: int, now: float) -> float:
    """0 when the slot was free and is now taken for `seconds`; else seconds until it frees."""
    if cache.add(key, now + seconds, timeout=seconds):
        return 0.0
    until = cache.get(key)
    return max(0.1, round(until - now, 1)) if isinstance(until, int | float) else float(seconds)


def _duplicate_key(lecture: Lecture, author: User, text: str) -> str:
    digest = hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()[:24]
    return f"livestream:dup:{lecture.pk}:{author.pk}:{digest}"


def danmaku_send(
    *,
    lecture: Lecture,
    author: User,
    text,
    video_time,
    mode=None,
    color=None,
    size=None,
    moderator: bool = False,
    now: datetime | None = None,
) -> Danmaku:
    """
    Save a comment and send it to every viewer once saved. The caller has checked that the
    author may watch the lecture (`moderator`: may moderate it, which lifts the rate limit and
    slow mode; duplicates are still refused).
    Refusals raise ApplicationError (code `not_live`, `muted`, `blocked_word`, `duplicate`,
    `rate_limited` or `slow_mode`, with `retry_after`) or ValidationError, and change nothing.
    """
    text = _clean_text(text)
    now = now or timezone.now()
    if video_time is None and lecture.state == LectureState.LIVE:  # the live stream's clock
        video_time = lecture.stream_seconds(now)
    video_time = _clean_video_time(video_time)
    style = style_clean(mode=mode, color=color, size=size)
    if lecture.state == LectureState.SCHEDULED:
        raise ApplicationError(
            _("The lecture has not started: comments open when it goes live."),
            code="not_live",
            status=409,
        )
    if LectureMute.objects.filter(lecture=lecture, user=author).exists():
        raise ApplicationError(
            _("A teacher has muted you in this lecture."), code="muted", status=403
        )
    if _blocked_word(lecture, text) is not None:
        raise ApplicationError(
            _("Your message contains a word this school does not allow."),
            code="blocked_word",
            status=400,
        )
    duplicate = _duplicate_key(lecture, author, text)
    if cache.get(duplicate) is not None:
        raise ApplicationError(_("You have just sent this message."), code="duplicate", status=409)
    slow = lecture.slow_mode_seconds
    wait = (
        0
        if moderator  # the room's teachers answer as fast as they type
        else _take_slot(
            f"livestream:rate:{lecture.pk}:{author.pk}", max(RATE_SECONDS, slow), time.time()
        )
    )
    if wait:
        code = "slow_mode" if slow > RATE_SECONDS else "rate_limited"
        message = (
            _("Slow mode is on: one message every %(seconds)d seconds.") % {"seconds": slow}
            if code == "slow_mode"
            else _("You are sending too fast: wait a moment.")
        )
        raise ApplicationError(message, code=code, status=429, retry_after=wait)
    cache.set(duplicate, 1, timeout=DUPLICATE_SECONDS)
    with transaction.atomic():
        danmaku = Danmaku(
            lecture=lecture,
            seq=_next_seq(lecture.pk),
            author=author,
            text=text,
            mode=style.mode,
            color=style.color,
            size=style.size,
            video_time=video_time,
            created_at=now,
            confused=is_confused(text),
        )
        danmaku.save()
        publish_on_commit(lecture.pk, "danmaku", danmaku_payload(danmaku), seq=danmaku.seq)
    return danmaku


@transaction.atomic
def danmaku_hide(*, danmaku: Danmaku, by: User) -> Danmaku:
    """Delete a comment for everyone (kept, hidden, for the record). Idempotent."""
    danmaku = Danmaku.objects.select_for_update().get(pk=danmaku.pk)
    if danmaku.hidden_at is not None:
        return danmaku
    danmaku.hidden_seq = _next_seq(danmaku.lecture_id)
    danmaku.hidden_at = timezone.now()
    danmaku.hidden_by = by
    danmaku.save(update_fields=["hidden_seq", "hidden_at", "hidden_by"])
    unpinned = Lecture.objects.filter(pk=danmaku.lecture_id, pinned=danmaku).update(pinned=None)
    publish_on_commit(
        danmaku.lecture_id,
        "hidden",
        {"id": danmaku.pk, "seq": danmaku.hidden_seq},
        seq=danmaku.hidden_seq,
    )
    if unpinned:
        publish_on_commit(danmaku.lecture_id, "pinned", {"message": None})
    return danmaku


@transaction.atomic
def lecture_pin(*, lecture: Lecture, danmaku: Danmaku | None) -> Lecture:
    """Pin a comment above the chat (None: unpin)."""
    if danmaku is not None and (danmaku.lecture_id != lecture.pk or danmaku.hidden_at):
        raise ApplicationError(_("No such message in this lecture."), code="not_found", status=404)
    lecture.pinned = danmaku
    lecture.save(update_fields=["pinned", "updated_at"])
    publish_on_commit(
        lecture.pk, "pinned", {"message": danmaku_payload(danmaku) if danmaku else None}
    )
    return lecture


@transaction.atomic
def lecture_mute(*, lecture: Lecture, user: User, by: User) -> LectureMute:
    """Mute a viewer for this lecture. The caller refuses muting a moderator."""
    mute, created = LectureMute.objects.get_or_create(
        lecture=lecture, user=user, defaults={"muted_by": by}
    )
    if created:
        publish_on_commit(lecture.pk, "muted", {"user": user.pk})
    return mute


@transaction.atomic
def lecture_unmute(*, lecture: Lecture, user: User) -> None:
    deleted, _rows = LectureMute.objects.filter(lecture=lecture, user=user).delete()
    if deleted:
        publish_on_commit(lecture.pk, "unmuted", {"user": user.pk})


@transaction.atomic
def lecture_slow_mode(*, lecture: Lecture, seconds) -> Lecture:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= 300:
        raise ValidationError(
            {"seconds": _("Slow mode is a whole number of seconds from 0 to 300.")}
        )
    lecture.slow_mode_seconds = seconds
    lecture.save(update_fields=["slow_mode_seconds", "updated_at"])
    publish_on_commit(lecture.pk, "slow_mode", {"seconds": seconds})
    return lecture


@transaction.atomic
def blocked_word_add(*, school, word) -> BlockedWord:
    """Refuse `word` in the school's comments from now on (idempotent, case-insensitive)."""
    if not isinstance(word, str) or not word.strip():
        raise ValidationError({"word": _("Give a word or phrase.")})
    word = unicodedata.normalize("NFC", word.strip())
    if has_control_characters(word):
        raise ValidationError({"word": _("The word contains control characters.")})
    existing = BlockedWord.objects.filter(school=school, word__iexact=word).first()
    if existing is not None:
        return existing
    blocked = BlockedWord(school=school, word=word)
    blocked.full_clean()
    blocked.save()
    _blocked_words_changed(school.pk)
    return blocked


@transaction.atomic
def blocked_word_remove(*, word: BlockedWord) -> None:
    school_id = word.school_id
    word.delete()
    _blocked_words_changed(school_id)


def _blocked_words_changed(school_id: int) -> None:
    """Forget the cached list now, and again on commit (a reader may cache it in between)."""
    cache.delete(_blocked_words_key(school_id))
    transaction.on_commit(lambda: cache.delete(_blocked_words_key(school_id)))
