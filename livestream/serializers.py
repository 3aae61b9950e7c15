"""The shapes of lecture objects in socket frames and API answers (plain dicts, encoded once)."""

from livestream.models import Danmaku, Lecture


def danmaku_payload(danmaku: Danmaku) -> dict:
    """A comment as viewers get it. Call with `author` loaded (select_related)."""
    return {
        "id": danmaku.pk,
        "seq": danmaku.seq,
        "text": danmaku.text,
        "mode": danmaku.mode,
        "color": danmaku.color,
        "size": danmaku.size,
        "video_time": danmaku.video_time,
        "sent_at": danmaku.created_at.isoformat(),
        "author": {"id": danmaku.author_id, "name": danmaku.author.name},
        "confused": danmaku.confused,
    }


def lecture_payload(lecture: Lecture) -> dict:
    return {
        "id": lecture.pk,
        "title": lecture.title,
        "state": lecture.state,
        "scheduled_at": lecture.scheduled_at.isoformat(),
        "started_at": lecture.started_at.isoformat() if lecture.started_at else None,
        "ended_at": lecture.ended_at.isoformat() if lecture.ended_at else None,
    }
