"""
Demo lectures for `seed_demo` (after the courses, their question banks and the students' practice):
for each demo course with students, a lecture live right now with a few comments and a pinned
one, and yesterday's lecture ended with its recording, ~150 danmaku over the video (the room got
lost around one moment, so the report shows a spike), a poll and a bank question answered live.
"""

import logging
import random
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assessments.grading import right_answer
from assessments.models import Question
from courses.models import Course, EnrollmentStatus
from livestream.models import Lecture, LiveQuestion
from livestream.services.danmaku import danmaku_send, lecture_pin
from livestream.services.lectures import lecture_create, lecture_end, lecture_start
from livestream.services.questions import (
    live_answer,
    live_question_push,
    poll_push,
)
from lms.demo import DemoSchool
from lms.models import User

logger = logging.getLogger(__name__)

RECORDING_SECONDS = 120
SPIKE_AT = 72.0  # video seconds where the replay's room got lost (the 60-90 s bucket)
NORMAL_COMMENTS = 120
CONFUSED_COMMENTS = 30

# code → (live lecture, replay lecture, knowledge points of the replay, what the teacher pins,
#         the poll: prompt and options)
LECTURES = {
    "MATH-10": (
        "Quadratics, live: the discriminant",
        "Two-step equations, step by step",
        ["Two-step equations", "Equations"],
        "Today: worksheet 4, questions 1 to 6. Write your answers in the chat.",
        ("How sure are you about two-step equations?", ["Very sure", "Mostly", "Not yet"]),
    ),
    "CHN-7": (
        "《春望》精读 (live)",
        "五言绝句入门 · Five-character quatrains",
        ["五言绝句", "意象"],
        "今天读《春望》：先读两遍，再说说你看到了哪些意象。",
        ("你读过《静夜思》吗？", ["读过", "没读过"]),
    ),
}

# None of these reads as confused (no question mark, none of the phrases).
NORMAL_TEXTS = [
    "Good morning!",
    "老师好",
    "Clear so far",
    "明白了",
    "nice example",
    "👍",
    "666",
    "makes sense",
    "got it",
    "这个例子好",
    "Can you zoom in a bit",
    "ok",
    "好的",
    "writing this down",
    "记下来了",
    "so that is the trick",
    "oh I see now",
    "原来如此",
    "great explanation",
    "讲得好",
    "same answer as me",
    "the board is easy to read today",
    "笔记已记",
    "thanks",
    "谢谢老师",
]
CONFUSED_TEXTS = [
    "?",
    "??",
    "没听懂",
    "don't understand",
    "you lost me here",
    "不懂",
    "what does that mean?",
    "啥意思",
    "too fast",
    "再讲一遍",
    "why?",
    "没明白",
]
LIVE_COMMENTS = [  # (seconds after the start, text)
    (20, "老师好"),
    (45, "Good morning!"),
    (95, "Can you zoom in a bit"),
    (150, "writing this down"),
    (210, "ok"),
    (260, "明白了"),
]


def recording_bytes(seconds: int = RECORDING_SECONDS) -> bytes | None:
    """A small WebM (VP8, Vorbis) test pattern made with ffmpeg, or None without ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pathwise-demo-") as folder:
        out = Path(folder) / "recording.webm"
        command = [
            ffmpeg,
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=duration={seconds}:size=320x180:rate=10",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "200k",
            "-c:a",
            "libvorbis",
            "-ac",
            "1",
            "-shortest",
            str(out),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError):
            logger.warning("demo: ffmpeg could not make the recording", exc_info=True)
            return None
        return out.read_bytes()


def _enrolled(course: Course, demo: DemoSchool) -> list[User]:
    ids = set(
        course.enrollments.filter(status=EnrollmentStatus.ACTIVE).values_list(
            "student_id", flat=True
        )
    )
    return [student for student in demo.students if student.pk in ids]


def _comments(students: list[User], rng: random.Random) -> list[tuple[float, User, str]]:
    """
    (video time, author, text) in video-time order: comments over the whole recording, and
    confused ones bunched around SPIKE_AT. No author says the same thing twice (it would be
    refused as a duplicate).
    """
    normal = [(s, t) for s in students for t in NORMAL_TEXTS]
    confused = [(s, t) for s in students for t in CONFUSED_TEXTS]
    rng.shuffle(normal)
    rng.shuffle(confused)
    comments = [
        (round(rng.uniform(1, RECORDING_SECONDS - 2), 2), author, text)
        for author, text in normal[:NORMAL_COMMENTS]
    ]
    comments += [
        (round(min(88.0, max(61.0, rng.gauss(SPIKE_AT, 4))), 2), author, text)
        for author, text in confused[:CONFUSED_COMMENTS]
    ]
    return sorted(comments, key=lambda c: c[0])


def _send(lecture: Lecture, author: User, text: str, started: datetime, video_time: float):
    # `moderator` lifts the per-second rate limit, which guards live typing, not a seeded past.
    return danmaku_send(
        lecture=lecture,
        author=author,
        text=text,
        video_time=video_time,
        moderator=True,
        now=started + timedelta(seconds=video_time),
    )


def _wrong_answer(question: Question) -> dict:
    spec = question.current_version.spec
    if question.kind == "true_false":
        return {"value": not spec["answer"]}
    return {"choice": next(c["id"] for c in spec["choices"] if c["fraction"] < 1)}


def _live_lecture(course, teacher, students, pin_text, title, now) -> Lecture:
    started = now - timedelta(minutes=6)
    lecture = lecture_create(
        course=course,
        teacher=teacher,
        title=title,
        description="Live now: ask in the chat, answer the questions as they come.",
        scheduled_at=started - timedelta(minutes=1),
        duration_minutes=45,
    )
    lecture = lecture_start(lecture=lecture, now=started)
    for n, (seconds, text) in enumerate(LIVE_COMMENTS):
        _send(lecture, students[n % len(students)], text, started, float(seconds))
    pinned = _send(lecture, teacher, pin_text, started, 30.0)
    lecture_pin(lecture=lecture, danmaku=pinned)
    return lecture


def _replay_lecture(course, teacher, students, entry, recording, now, rng) -> tuple[Lecture, int]:
    _live_title, title, point_names, _pin, (prompt, options) = entry
    started = (now - timedelta(days=1)).replace(second=0, microsecond=0)
    lecture = lecture_create(
        course=course,
        teacher=teacher,
        title=title,
        description="Yesterday's lecture: watch the replay with the class's comments.",
        scheduled_at=started,
        duration_minutes=45,
        knowledge_points=course.knowledge_points.filter(name__in=point_names),
        recording=ContentFile(recording, name="recording.webm") if recording else "",
    )
    lecture = lecture_start(lecture=lecture, now=started)
    comments = _comments(students, rng)
    for video_time, author, text in comments:
        _send(lecture, author, text, started, video_time)
    # A poll early on, every student votes.
    poll = poll_push(
        lecture=lecture,
        prompt=prompt,
        options=options,
        seconds=20,
        by=teacher,
        video_time=30.0,
        now=started + timedelta(seconds=30),
    )
    for n, student in enumerate(students):
        choice = {"choice": poll.options[min(n % 3, len(poll.options) - 1)]["id"]}
        live_answer(
            live=poll, student=student, answer=choice, now=poll.opened_at + timedelta(seconds=3 + n)
        )
    # A bank question after the muddle: most get it right.
    question = (
        Question.objects.filter(
            course=course, kind__in=["single_choice", "true_false"], is_archived=False
        )
        .select_related("current_version")
        .order_by("pk")
        .first()
    )
    if question is not None:
        pushed = started + timedelta(seconds=92)
        live = live_question_push(
            lecture=lecture, question=question, seconds=20, by=teacher, video_time=92.0, now=pushed
        )
        right = right_answer(question.kind, question.current_version.spec)
        for n, student in enumerate(students):
            answer = right if n % 4 else _wrong_answer(question)
            live_answer(
                live=live, student=student, answer=answer, now=pushed + timedelta(seconds=3 + n)
            )
    lecture_end(lecture=lecture, now=started + timedelta(seconds=RECORDING_SECONDS))
    return lecture, len(comments)


@transaction.atomic
def seed_demo_lectures(demo: DemoSchool) -> list[str]:
    rng = random.Random(23)
    now = timezone.now()
    lines = []
    recording = None
    for code, entry in LECTURES.items():
        course = Course.objects.filter(school=demo.school, code=code).first()
        if course is None or course.lectures.exists():
            continue
        students = _enrolled(course, demo)[:12]
        teacher = course.teachers.first()
        if not students or teacher is None:
            continue
        if recording is None:
            recording = recording_bytes() or b""
        live_title, _title, _points, pin_text, _poll = entry
        _live_lecture(course, teacher, students, pin_text, live_title, now)
        replay, count = _replay_lecture(course, teacher, students, entry, recording, now, rng)
        questions = LiveQuestion.objects.filter(lecture=replay).count()
        lines.append(
            f"  lectures      {code}: one live now, one replay ({count} comments, "
            f"{questions} live questions, {'a' if replay.recording else 'no'} recording)"
        )
    return lines
