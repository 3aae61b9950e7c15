"""
Building a learner's study plan from their mastery, their courses and their profile.

The plan's automatic steps, each with its reason:
- review of weak points (mastery below `WEAK_BELOW`), pointing at the lesson that teaches it;
- a practice set per course drawn from the bank for those weak points (a real assessment);
- spaced reviews due: mastery decays with the time since the last practice (an exponential
  forgetting curve whose half-life doubles with every two correct answers, after Duolingo's
  half-life regression), and a point whose recall fell below `MASTERED_AT` is due;
- next lessons whose knowledge points' prerequisites are mastered (the "ready to learn" fringe
  of the knowledge-point graph), in course order, unlocked and not completed;
- recommended courses.
The profile shapes it: preferred ways to study move steps up or down, an exam within
`EXAM_SOON_DAYS` puts the target course's reviews first, and the weekly study time decides which
steps fit this week. Teachers' pinned and added steps stay on top; steps a student or teacher
closed are not reopened unless there is new evidence about their knowledge point.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment
from assessments.selectors import practice_question_counts
from assessments.services.practice import practice_set_save
from courses.models import (
    Course,
    KnowledgePoint,
    KnowledgePointPrerequisite,
    LessonProgress,
)
from courses.selectors import course_structure
from lms.models import User
from personalization.models import (
    ItemKind,
    ItemStatus,
    LearnerProfile,
    MasteryEstimate,
    PlanItem,
    StudyFormat,
    StudyPlan,
)
from personalization.selectors import MASTERED_AT, WEAK_BELOW, student_course_list

MAX_REVIEWS = 5
MAX_SPACED = 3
NEXT_LESSONS_PER_COURSE = 2
MAX_COURSES = 2
PRACTICE_QUESTIONS = 6
PRACTICE_MINUTES_PER_QUESTION = 2
REVIEW_MINUTES = 15
SPACED_MINUTES = 10
BASE_HALF_LIFE_DAYS = 2.0
EXAM_SOON_DAYS = 21
DEFAULT_WEEKLY_MINUTES = 180
RECOMMENDATIONS_FRESH = timedelta(days=1)
# Closed steps are kept this long (the page shows what was done), then forgotten.
KEEP_CLOSED = timedelta(days=30)


def half_life_days(correct: int) -> float:
    return BASE_HALF_LIFE_DAYS * 2 ** (min(correct, 12) / 2)


def recall(
    mastery: float, correct: int, last_practiced_at: datetime | None, now: datetime
) -> float:
    """The estimated chance of still knowing it now: mastery decayed since the last practice."""
    if last_practiced_at is None:
        return mastery
    days = max(0.0, (now - last_practiced_at).total_seconds() / 86400)
    return mastery * math.pow(2, -days / half_life_days(correct))


@dataclass
class Candidate:
    key: str
    kind: str
    reason_code: str
    reason_args: dict
    score: float
    minutes: int
    knowledge_point_id: int | None = None
    lesson_id: int | None = None
    course_id: int | None = None
    assessment: Assessment | None = None
    evidence_at: datetime | None = None


@dataclass
class _LessonRef:
    pk: int
    label: str  # "3.2 Fractions"
    minutes: int
    course_id: int
    point_ids: tuple[int, ...]
    prerequisite_ids: tuple[int, ...]
    order: int


@dataclass
class _World:
    """Everything a rebuild reads, loaded in a fixed number of queries per course."""

    student: User
    now: datetime
    profile: LearnerProfile | None
    courses: dict[int, Course]
    points: dict[int, KnowledgePoint]
    prerequisites: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    estimates: dict[int, MasteryEstimate] = field(default_factory=dict)
    lessons: list[_LessonRef] = field(default_factory=list)
    completed: set[int] = field(default_factory=set)

    def course_estimates(self) -> list[MasteryEstimate]:
        """The estimates of the knowledge points of the student's courses."""
        return [e for e in self.estimates.values() if e.knowledge_point_id in self.points]

    def lessons_teaching(self, point_id: int) -> list[_LessonRef]:
        return [lesson for lesson in self.lessons if point_id in lesson.point_ids]

    def mastered(self, point_id: int) -> bool:
        estimate = self.estimates.get(point_id)
        return estimate is not None and estimate.mastery >= MASTERED_AT


def _world(student: User, now: datetime) -> _World:
    courses = {course.pk: course for course in student_course_list(student=student)}
    points = {point.pk: point for point in KnowledgePoint.objects.filter(course__in=list(courses))}
    world = _World(
        student=student,
        now=now,
        profile=LearnerProfile.objects.filter(student=student).first(),
        courses=courses,
        points=points,
    )
    for point_id, prerequisite_id in KnowledgePointPrerequisite.objects.filter(
        knowledge_point__in=list(points)
    ).values_list("knowledge_point_id", "prerequisite_id"):
        world.prerequisites[point_id].add(prerequisite_id)
    # Prerequisites may belong to another course (one the student completed, say).
    wanted = set(points) | {p for required in world.prerequisites.values() for p in required}
    world.estimates = {
        e.knowledge_point_id: e
        for e in MasteryEstimate.objects.filter(student=student, knowledge_point__in=wanted)
    }
    order = 0
    for course in courses.values():
        for m, module in enumerate(course_structure(course=course), start=1):
            for n, lesson in enumerate(module.lessons, start=1):
                world.lessons.append(
                    _LessonRef(
                        pk=lesson.pk,
                        label=f"{m}.{n} {lesson.title}",
                        minutes=lesson.estimated_minutes,
                        course_id=course.pk,
                        point_ids=lesson.knowledge_point_ids,
                        prerequisite_ids=lesson.prerequisite_ids,
                        order=order,
                    )
                )
                order += 1
    world.completed = set(
        LessonProgress.objects.filter(
            student=student, lesson__module__course__in=list(courses), completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    return world


def _prefers(world: _World, fmt: str) -> bool:
    return bool(world.profile and fmt in (world.profile.preferred_formats or []))


def _exam_days(world: _World) -> int | None:
    if world.profile is None or world.profile.exam_date is None:
        return None
    days = (world.profile.exam_date - timezone.localdate(world.now)).days
    return days if 0 <= days <= EXAM_SOON_DAYS else None


def _exam_boost(world: _World, course_id: int | None) -> float:
    """Steps of the exam's course (all, without a target course) first when the exam is near."""
    if _exam_days(world) is None:
        return 0
    target = world.profile.target_course_id
    return 30 if target is None or target == course_id else 0


def _trigger_title(trigger: dict) -> str | None:
    return trigger.get("assessment")


def _weak_points(world: _World, trigger: dict) -> list[Candidate]:
    weak = sorted(
        (e for e in world.course_estimates() if e.evidence and e.mastery < WEAK_BELOW),
        key=lambda e: (e.mastery, e.knowledge_point_id),
    )[:MAX_REVIEWS]
    candidates = []
    for estimate in weak:
        point = world.points[estimate.knowledge_point_id]
        lessons = world.lessons_teaching(point.pk)
        lesson = lessons[0] if lessons else None
        candidates.append(
            Candidate(
                key=f"review:kp:{point.pk}",
                kind=ItemKind.REVIEW,
                reason_code="weak_point",
                reason_args={
                    "point": point.name,
                    "mastery": round(estimate.mastery, 2),
                    "assessment": _trigger_title(trigger),
                    "lesson": lesson.label if lesson else None,
                    "exam_in_days": _exam_days(world)
                    if _exam_boost(world, point.course_id)
                    else None,
                },
                score=100
                - 50 * estimate.mastery
                + _exam_boost(world, point.course_id)
                + (
                    10
                    if _prefers(world, StudyFormat.VIDEO) or _prefers(world, StudyFormat.READING)
                    else 0
                ),
                minutes=lesson.minutes if lesson else REVIEW_MINUTES,
                knowledge_point_id=point.pk,
                lesson_id=lesson.pk if lesson else None,
                course_id=point.course_id,
                evidence_at=estimate.last_practiced_at,
            )
        )
    return candidates


def _practice_sets(
    world: _World, reviews: list[Candidate], existing: dict[str, PlanItem]
) -> list[Candidate]:
    """One practice set per course with weak points, when its bank has questions for them."""
    by_course: dict[int, list[Candidate]] = defaultdict(list)
    for review in reviews:
        by_course[review.course_id].append(review)
    candidates = []
    for course_id, course_reviews in by_course.items():
        point_ids = [r.knowledge_point_id for r in course_reviews]
        available = practice_question_counts(
            course=world.courses[course_id], knowledge_point_ids=point_ids
        )
        usable = [pid for pid in point_ids if available.get(pid)]
        if not usable:
            continue
        # A question may test several of the points: each rule draws at most what its pool
        # holds beyond the questions earlier rules may have taken, so the draw always succeeds.
        draws, left, drawn = [], PRACTICE_QUESTIONS, 0
        for i, point_id in enumerate(usable):
            share = min(available[point_id] - drawn, -(-left // (len(usable) - i)))
            if share > 0:
                draws.append((world.points[point_id], share))
                left -= share
                drawn += share
        if not draws:
            continue
        key = f"practice:course:{course_id}"
        old = existing.get(key)
        total = sum(count for _point, count in draws)
        candidates.append(
            Candidate(
                key=key,
                kind=ItemKind.PRACTICE,
                reason_code="practice",
                reason_args={"points": [p.name for p, _c in draws], "questions": total},
                score=85
                + (15 if _prefers(world, StudyFormat.PRACTICE) else 0)
                + _exam_boost(world, course_id),
                minutes=total * PRACTICE_MINUTES_PER_QUESTION,
                course_id=course_id,
                assessment=old.assessment if old else None,
                evidence_at=max(
                    (r.evidence_at for r in course_reviews if r.evidence_at), default=None
                ),
            )
        )
        candidates[-1].reason_args["draws"] = [[p.pk, c] for p, c in draws]
    return candidates


def _spaced_reviews(world: _World) -> list[Candidate]:
    due = []
    for estimate in world.course_estimates():
        if estimate.mastery < MASTERED_AT or estimate.last_practiced_at is None:
            continue
        now_recall = recall(
            estimate.mastery, estimate.correct, estimate.last_practiced_at, world.now
        )
        if now_recall < MASTERED_AT:
            due.append((now_recall, estimate))
    due.sort(key=lambda pair: (pair[0], pair[1].knowledge_point_id))
    candidates = []
    for now_recall, estimate in due[:MAX_SPACED]:
        point = world.points[estimate.knowledge_point_id]
        lessons = world.lessons_teaching(point.pk)
        days = (world.now - estimate.last_practiced_at).days
        candidates.append(
            Candidate(
                key=f"spaced:kp:{point.pk}",
                kind=ItemKind.SPACED_REVIEW,
                reason_code="spaced",
                reason_args={
                    "point": point.name,
                    "days": days,
                    "recall": round(now_recall, 2),
                    "lesson": lessons[0].label if lessons else None,
                },
                score=60 + 20 * (1 - now_recall) + _exam_boost(world, point.course_id),
                minutes=SPACED_MINUTES,
                knowledge_point_id=point.pk,
                lesson_id=lessons[0].pk if lessons else None,
                course_id=point.course_id,
                evidence_at=estimate.last_practiced_at,
            )
        )
    return candidates


def _next_lessons(world: _World) -> list[Candidate]:
    candidates = []
    per_course: dict[int, int] = defaultdict(int)
    for lesson in world.lessons:
        if lesson.pk in world.completed or per_course[lesson.course_id] >= NEXT_LESSONS_PER_COURSE:
            continue
        if any(pk not in world.completed for pk in lesson.prerequisite_ids):
            continue  # locked: its prerequisite lessons come first
        required = sorted({p for pid in lesson.point_ids for p in world.prerequisites[pid]})
        if not all(world.mastered(pid) for pid in required):
            continue
        per_course[lesson.course_id] += 1
        course = world.courses[lesson.course_id]
        if required:
            code, args = (
                "ready",
                {"points": [world.points[p].name for p in required if p in world.points]},
            )
        else:
            code, args = "next_in_course", {"course": course.title}
        args["lesson"] = lesson.label
        exam_penalty = (
            -20 if _exam_days(world) is not None and not _exam_boost(world, course.pk) else 0
        )
        candidates.append(
            Candidate(
                key=f"lesson:{lesson.pk}",
                kind=ItemKind.NEXT_LESSON,
                reason_code=code,
                reason_args=args,
                score=50
                - per_course[lesson.course_id]
                + exam_penalty
                + (
                    10
                    if _prefers(world, StudyFormat.VIDEO) or _prefers(world, StudyFormat.READING)
                    else 0
                ),
                minutes=lesson.minutes,
                lesson_id=lesson.pk,
                course_id=course.pk,
            )
        )
    return candidates


def _recommended_courses(
    world: _World, plan: StudyPlan, trigger: dict, items: list[PlanItem]
) -> list[Candidate]:
    """
    Recommendations change with the profile, enrollments and the catalog, not with each answer:
    after a test, the ones made within `RECOMMENDATIONS_FRESH` are kept (ranking the catalog is
    the costliest part of a rebuild).
    """
    from personalization.recommend import course_recommendations

    kept = [i for i in items if i.kind == ItemKind.COURSE]
    fresh = (
        plan.recommended_at is not None and plan.recommended_at > world.now - RECOMMENDATIONS_FRESH
    )
    if fresh and trigger.get("reason") in ("attempt", "regrade"):
        return [
            Candidate(
                key=item.key,
                kind=ItemKind.COURSE,
                reason_code=item.reason_code,
                reason_args=item.reason_args,
                score=10,
                minutes=0,
                course_id=item.course_id,
            )
            for item in kept
            if item.status == ItemStatus.OPEN and item.course_id not in world.courses
        ]
    plan.recommended_at = world.now
    return [
        Candidate(
            key=f"course:{rec.course.pk}",
            kind=ItemKind.COURSE,
            reason_code=rec.reason_code,
            reason_args=rec.reason_args,
            score=10 + rec.score,
            minutes=0,
            course_id=rec.course.pk,
        )
        for rec in course_recommendations(student=world.student, limit=MAX_COURSES)
    ]


def _reopen(item: PlanItem, candidate: Candidate) -> bool:
    """A step the student closed comes back only with new evidence about it since."""
    if item.status == ItemStatus.REMOVED:
        return False
    return bool(candidate.evidence_at and item.closed_at and candidate.evidence_at > item.closed_at)


def _finish_done_elsewhere(items: list[PlanItem], world: _World) -> list[PlanItem]:
    """
    Close the open lesson steps whose lesson the student completed. (A practice step stays
    while its points are weak: the set may be taken again, and each time draws afresh.)
    """
    finished = []
    for item in items:
        if (
            item.status == ItemStatus.OPEN
            and item.kind == ItemKind.NEXT_LESSON
            and item.lesson_id in world.completed
        ):
            item.status, item.closed_at = ItemStatus.DONE, world.now
            finished.append(item)
    return finished


_CANDIDATE_FIELDS = (
    "kind",
    "reason_code",
    "reason_args",
    "estimated_minutes",
    "knowledge_point",
    "lesson",
    "course",
    "assessment",
)
_SAVED_FIELDS = ["key", "position", "status", "within_budget", "closed_at", *_CANDIDATE_FIELDS]


def _saved_state(item: PlanItem) -> tuple:
    return tuple(getattr(item, PlanItem._meta.get_field(name).attname) for name in _SAVED_FIELDS)


def _save_changed(items: list[PlanItem], loaded: dict[int, tuple]) -> None:
    """Write only the items that changed, and only the fields that did (most rebuilds move few)."""
    fields: set[str] = set()
    changed = []
    for item in items:
        before, after = loaded[item.pk], _saved_state(item)
        differing = {
            name for name, a, b in zip(_SAVED_FIELDS, before, after, strict=True) if a != b
        }
        if differing:
            fields |= differing
            changed.append(item)
    if changed:
        PlanItem.objects.bulk_update(changed, sorted(fields))


def _apply(item: PlanItem, candidate: Candidate) -> None:
    item.kind = candidate.kind
    item.reason_code, item.reason_args = candidate.reason_code, candidate.reason_args
    item.estimated_minutes = candidate.minutes
    item.knowledge_point_id = candidate.knowledge_point_id
    item.lesson_id = candidate.lesson_id
    item.course_id = candidate.course_id
    item.assessment = candidate.assessment


@transaction.atomic
def plan_rebuild(
    *,
    student: User,
    trigger: dict,
    model_version_id: int | None = None,
    now: datetime | None = None,
    plan: StudyPlan | None = None,
) -> StudyPlan:
    """
    Rebuild the learner's plan. Holds the plan's row lock until the transaction ends, so two
    rebuilds of one learner never interleave (a caller holding it already passes the `plan`).
    """
    now = now or timezone.now()
    if plan is None:
        plan, _ = StudyPlan.objects.get_or_create(student=student)
        plan = StudyPlan.objects.select_for_update().get(pk=plan.pk)
    world = _world(student, now)
    items = list(plan.items.select_related("assessment"))
    loaded = {item.pk: _saved_state(item) for item in items}
    changed = {item.pk: item for item in _finish_done_elsewhere(items, world)}
    existing = {item.key: item for item in items}

    reviews = _weak_points(world, trigger)
    open_practice = {k: v for k, v in existing.items() if v.status == ItemStatus.OPEN}
    candidates = [
        *reviews,
        *_practice_sets(world, reviews, open_practice),
        *_spaced_reviews(world),
        *_next_lessons(world),
        *_recommended_courses(world, plan, trigger, items),
    ]
    candidates.sort(key=lambda c: (-c.score, c.key))

    # Teachers' steps first, as they ordered them; then the candidates by score.
    ordered = sorted(
        (
            item
            for item in items
            if item.status == ItemStatus.OPEN and (item.pinned or item.kind == ItemKind.TEACHER)
        ),
        key=lambda item: (item.position, item.pk),
    )
    wanted: set[str] = {item.key for item in ordered}
    new: list[PlanItem] = []
    for candidate in candidates:
        item = existing.get(candidate.key)
        wanted.add(candidate.key)
        if item is not None and item.status != ItemStatus.OPEN and not _reopen(item, candidate):
            continue
        if candidate.kind == ItemKind.PRACTICE:
            draws = candidate.reason_args["draws"]
            unchanged = (
                item is not None
                and candidate.assessment is not None
                and item.reason_args.get("draws") == draws
            )
            if not unchanged:
                candidate.assessment = practice_set_save(
                    student=student,
                    course=world.courses[candidate.course_id],
                    draws=[(world.points[pid], count) for pid, count in draws],
                    assessment=candidate.assessment,
                )
        if item is None:
            item = PlanItem(plan=plan, key=candidate.key)
            new.append(item)
        else:
            changed[item.pk] = item
        _apply(item, candidate)
        if item.pinned:
            continue  # already placed, among the teacher's steps
        item.status, item.closed_at = ItemStatus.OPEN, None
        ordered.append(item)

    budget = world.profile.weekly_minutes if world.profile else DEFAULT_WEEKLY_MINUTES
    spent = 0
    for position, item in enumerate(ordered, start=1):
        item.position = position
        item.within_budget = (
            item.kind == ItemKind.COURSE or spent + item.estimated_minutes <= budget
        )
        if item.within_budget and item.kind != ItemKind.COURSE:
            spent += item.estimated_minutes
        if item.pk:
            changed[item.pk] = item

    # Steps no longer called for go (unless a teacher pinned or wrote them); closed ones stay
    # a while so the page can show what was done.
    stale = [
        item.pk
        for item in items
        if item.key not in wanted
        and not item.pinned
        and item.kind != ItemKind.TEACHER
        and (
            item.status == ItemStatus.OPEN
            or (item.closed_at is not None and item.closed_at < now - KEEP_CLOSED)
        )
    ]
    PlanItem.objects.filter(pk__in=stale).delete()
    _save_changed([item for pk, item in changed.items() if pk not in stale], loaded)
    PlanItem.objects.bulk_create(new)

    plan.revision += 1
    plan.built_at = now
    plan.trigger = trigger
    plan.model_version_id = model_version_id
    plan.save(update_fields=["revision", "built_at", "trigger", "model_version", "recommended_at"])
    return plan
