"""
Course recommendations: which courses of their schools a student could enroll in next, and why.

Candidates are the courses the student may enroll in themself and has never been enrolled in
(`course_list_enrollable`). Each is scored by adding up signals, and the signal that added the
most becomes its reason, so that every reason shown is true:

- interest: the profile's subjects and topics, matched exactly (the course's subject or one of
  its tags) or by text similarity (TF-IDF over title, subject, tags and description);
- goal: the profile's goal text against the same TF-IDF vectors;
- target: the target course itself, and courses whose knowledge points it requires ("prepares");
- history: text similarity to the courses the student takes or completed, weighted by how well
  they did there (mastery estimates), and courses that require knowledge points of those
  courses ("builds on");
- co-enrollment: item-item cosine similarity of enrollments (students who took one of the
  student's courses also took this one), once the schools hold `COLLABORATIVE_MIN_ENROLLMENTS`;
- level: the profile's education level against the course's level;
- popularity: a small tie-breaker.

Reading everything takes a fixed handful of queries whatever the size of the catalog; the ranking
runs in memory with scikit-learn. Ties are broken by title and id, so the result is
deterministic. Reasons are stored as a code with JSON arguments (`PlanItem.reason_code/args`) and
put into words, in the reader's language, by `recommendation_reason_text`.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from django.db.models import Avg, Count, F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    KnowledgePointPrerequisite,
    Level,
)
from lms.models import School, User
from personalization.models import EducationLevel, LearnerProfile, MasteryEstimate
from personalization.selectors import course_list_enrollable, profile_get, student_school_ids

# Co-enrollment similarity means something only with enough enrollments behind it.
COLLABORATIVE_MIN_ENROLLMENTS = 20
# Shrinks the similarity of course pairs that few students share: co / (co + SHRINKAGE).
CO_ENROLLMENT_SHRINKAGE = 2
# A signal smaller than this is noise: it neither scores nor gives a reason.
MIN_SIGNAL = 0.05
# Average mastery of a course's knowledge points from which the student "did well" there.
DID_WELL_AT = 0.8
STRUGGLING_BELOW = 0.4
MAX_DESCRIPTION_CHARS = 3000
# From how many students a course's popularity is worth saying as its reason.
POPULAR_REASON_FROM = 5

WEIGHTS = {
    "target": 2.0,
    "interest": 1.0,
    "co_enrolled": 0.9,
    "goal": 0.8,
    "prepares": 0.7,
    "similar": 0.6,
    "builds_on": 0.5,
    "level": 0.25,
    "popular": 0.05,
}
# A subject or topic named exactly counts fully; a match by text similarity counts this much.
INTEREST_TEXT_FACTOR = 0.8
# How much a course the student took counts, by how it went.
HISTORY_WEIGHTS = {"mastered": 1.0, "completed": 0.9, "taking": 0.7}
STRUGGLING_FACTOR = 0.6

LEVEL_ORDER = [Level.PRIMARY, Level.JUNIOR, Level.SENIOR, Level.UNIVERSITY, Level.PROFESSIONAL]
EDUCATION_TO_LEVEL = {
    EducationLevel.PRIMARY: Level.PRIMARY,
    EducationLevel.MIDDLE: Level.JUNIOR,
    EducationLevel.HIGH: Level.SENIOR,
    EducationLevel.UNDERGRADUATE: Level.UNIVERSITY,
    EducationLevel.GRADUATE: Level.UNIVERSITY,
    EducationLevel.PROFESSIONAL: Level.PROFESSIONAL,
}


@dataclass(frozen=True)
class Recommendation:
    course: Course
    score: float
    reason_code: str
    reason_args: dict = field(default_factory=dict, hash=False)

    @property
    def reason(self) -> str:
        return recommendation_reason_text(self.reason_code, self.reason_args)


# --- Reasons in words ---------------------------------------------------------------------------


def _date_text(value) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    same_year = day.year == timezone.localdate().year
    return formats.date_format(day, "MONTH_DAY_FORMAT" if same_year else "DATE_FORMAT")


def recommendation_reason_text(code: str, args: dict) -> str:
    """A recommendation's reason (`Recommendation.reason_code/args`) in the active language."""
    args = args if isinstance(args, dict) else {}
    course = str(args.get("course", ""))
    status = args.get("status")
    exam = _date_text(args["exam_date"]) if args.get("exam_date") else None
    if code == "interest":
        topic = str(args.get("topic", ""))
        if exam:
            return _(
                "Matches your interest in “%(topic)s” and your goal for the exam on %(date)s."
            ) % {"topic": topic, "date": exam}
        return _("Matches your interest in “%(topic)s”.") % {"topic": topic}
    if code == "goal":
        if exam:
            return _("Matches your goal for the exam on %(date)s.") % {"date": exam}
        return _("Matches the goals you described.")
    if code == "target":
        if exam:
            return _("The course you aim for, before your exam on %(date)s.") % {"date": exam}
        return _("The course you aim for.")
    if code == "prepares":
        return _("Prepares you for “%(course)s”, the course you aim for.") % {"course": course}
    if code == "builds_on":
        if status == "completed":
            return _("Builds on “%(course)s”, which you completed.") % {"course": course}
        if status == "mastered":
            return _("Builds on “%(course)s”, where you did well.") % {"course": course}
        return _("Builds on “%(course)s”, which you are taking.") % {"course": course}
    if code == "similar":
        if status == "completed":
            return _("Like “%(course)s”, which you completed.") % {"course": course}
        if status == "mastered":
            return _("Like “%(course)s”, where you did well.") % {"course": course}
        return _("Like “%(course)s”, which you are taking.") % {"course": course}
    if code == "co_enrolled":
        return _("Students who took “%(course)s” also took this.") % {"course": course}
    if code == "level":
        return _("Close to your level.") if args.get("near") else _("Level matches yours.")
    if code == "popular":
        count = args.get("count") if isinstance(args.get("count"), int) else 0
        return ngettext(
            "%(count)d student of your school takes it.",
            "%(count)d students of your school take it.",
            count,
        ) % {"count": count}
    if code == "open":
        return _("Open for enrollment in your school.")
    return _("Recommended for you.")


# --- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Taken:
    """A course the student takes or took, and how it went: "taking", "completed", "mastered"."""

    course: Course
    status: str
    weight: float


def _history(student: User) -> list[_Taken]:
    enrollments = (
        Enrollment.objects.filter(student=student)
        .exclude(status=EnrollmentStatus.DROPPED)
        .select_related("course")
        .order_by("course_id")
    )
    mastery = dict(
        MasteryEstimate.objects.filter(student=student)
        .values(course_id=F("knowledge_point__course_id"))
        .annotate(average=Avg("mastery"))
        .values_list("course_id", "average")
        .order_by()
    )
    taken = []
    for enrollment in enrollments:
        average = mastery.get(enrollment.course_id)
        if average is not None and average >= DID_WELL_AT:
            status = "mastered"
        elif enrollment.status == EnrollmentStatus.COMPLETED:
            status = "completed"
        else:
            status = "taking"
        weight = HISTORY_WEIGHTS[status]
        if average is not None and average < STRUGGLING_BELOW:
            weight *= STRUGGLING_FACTOR
        taken.append(_Taken(course=enrollment.course, status=status, weight=weight))
    return taken


def _tag_names(course_ids: list[int]) -> dict[int, list[str]]:
    """The names of each course's tags, in one query (a prefetch costs more per course)."""
    names = defaultdict(list)
    rows = (
        Course.tags.through.objects.filter(course_id__in=course_ids)
        .values_list("course_id", "tag__name")
        .order_by("course_id", "tag__name", "tag_id")
    )
    for course_id, name in rows:
        names[course_id].append(name)
    return names


def _prerequisite_links(
    candidate_ids: list[int], taken_ids: list[int], target_id: int | None
) -> list[tuple[int, int]]:
    """(course, course it requires knowledge points of) pairs that matter here, across courses."""
    wanted = Q(knowledge_point__course_id__in=candidate_ids, prerequisite__course_id__in=taken_ids)
    if target_id is not None:
        wanted |= Q(knowledge_point__course_id=target_id, prerequisite__course_id__in=candidate_ids)
    if not taken_ids and target_id is None:
        return []
    return list(
        KnowledgePointPrerequisite.objects.filter(wanted)
        .exclude(knowledge_point__course_id=F("prerequisite__course_id"))
        .values_list("knowledge_point__course_id", "prerequisite__course_id")
        .distinct()
        .order_by()
    )


@dataclass(frozen=True)
class _Enrollments:
    counts: dict[int, int]  # course id → students enrolled (not dropped)
    rows: list[tuple[int, int]]  # (student, course) of the other students sharing a course


def _enrollments(
    student: User, school: School | None, candidate_ids: list[int], taken_ids: list[int]
) -> _Enrollments:
    schools = student_school_ids(student=student)
    active = Enrollment.objects.exclude(status=EnrollmentStatus.DROPPED)
    in_schools = Q(course__school__in=schools)
    if school is not None:
        in_schools &= Q(course__school=school)
    counts = dict(
        active.filter(in_schools | Q(course_id__in=taken_ids))
        .values("course_id")
        .annotate(students=Count("pk"))
        .values_list("course_id", "students")
        .order_by()
    )
    rows = []
    if taken_ids and sum(counts.values()) >= COLLABORATIVE_MIN_ENROLLMENTS:
        sharing = active.filter(course_id__in=taken_ids).values("student_id")
        rows = list(
            active.filter(student__in=sharing, course_id__in=[*candidate_ids, *taken_ids])
            .exclude(student=student)
            .values_list("student_id", "course_id")
            .order_by()
        )
    return _Enrollments(counts=counts, rows=rows)


# --- Scoring ------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_WORD = re.compile(r"\w\w+")


@cache
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def _terms(text: str) -> list[str]:
    """
    Words for TF-IDF: lower-cased, without English stop words, plurals folded; runs of Chinese,
    Japanese or Korean script (written without spaces) as single characters and pairs.
    """
    text = text.casefold()
    terms = []
    for run in _CJK.findall(text):
        terms.extend(run)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(_CJK.sub(" ", text)):
        if word in _stop_words():
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        terms.append(word)
    return terms


def _course_text(course: Course, tag_names: list[str]) -> str:
    heading = f"{course.title} {course.subject} {' '.join(tag_names)}"
    # The heading twice: a word of the title counts more than one deep in the description.
    return f"{heading}\n{heading}\n{course.description[:MAX_DESCRIPTION_CHARS]}"


def _level_signal(profile: LearnerProfile | None, course: Course) -> float:
    wanted = EDUCATION_TO_LEVEL.get(profile.education_level) if profile else None
    if wanted is None or course.level not in LEVEL_ORDER:
        return 0.0
    distance = abs(LEVEL_ORDER.index(wanted) - LEVEL_ORDER.index(course.level))
    if distance == 0:
        return 1.0
    if distance == 1:
        return 0.4
    return -(distance - 1) / 2  # a course far from the student's level moves down


class _Scores:
    """Per candidate: each signal's contribution and the arguments of its reason."""

    def __init__(self, size: int) -> None:
        self.parts: list[dict[str, tuple[float, dict]]] = [{} for _ in range(size)]

    def add(self, index: int, code: str, signal: float, args: dict) -> None:
        value = WEIGHTS[code] * signal
        if code != "level" and value < WEIGHTS[code] * MIN_SIGNAL:
            return
        kept = self.parts[index].get(code)
        if kept is None or value > kept[0]:
            self.parts[index][code] = (value, args)

    def result(self, index: int) -> tuple[float, str, dict]:
        parts = self.parts[index]
        total = sum(value for value, _args in parts.values())
        positive = [(value, code, args) for code, (value, args) in parts.items() if value > 0]
        if not positive:
            return total, "open", {}
        # The largest contribution is the reason (ties: in the order of WEIGHTS).
        _value, code, args = max(positive, key=lambda p: (p[0], -list(WEIGHTS).index(p[1])))
        if code == "popular" and args["count"] < POPULAR_REASON_FROM:
            return total, "open", {}  # "2 students take it" says little, and too much about them
        return total, code, args


def _text_signals(
    scores: _Scores,
    candidates: list[Course],
    taken: list[_Taken],
    tag_names: dict[int, list[str]],
    profile: LearnerProfile | None,
    exam: str | None,
) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    vectorizer = TfidfVectorizer(analyzer=_terms, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(
            [_course_text(c, tag_names[c.pk]) for c in candidates]
            + [_course_text(t.course, tag_names[t.course.pk]) for t in taken]
        )
    except ValueError:  # no words at all (titles of digits only…)
        return
    courses, history = matrix[: len(candidates)], matrix[len(candidates) :]

    matches_goal: set[int] = set()
    if profile is not None and profile.goal_text.strip():
        goal = linear_kernel(vectorizer.transform([profile.goal_text]), courses)[0]
        for i, similarity in enumerate(goal):
            scores.add(i, "goal", float(similarity), {"exam_date": exam} if exam else {})
            if similarity >= MIN_SIGNAL:
                matches_goal.add(i)

    if profile is not None:
        terms = [("subject", name) for name in profile.interest_subjects if isinstance(name, str)]
        terms += [("tag", tag.name) for tag in profile.interest_tags.all()]
        if terms:
            similarity = linear_kernel(vectorizer.transform([name for _k, name in terms]), courses)
            for i, course in enumerate(candidates):
                tagged = {name.casefold() for name in tag_names[course.pk]}
                # The exam is named only when the course also matches the goals.
                extra = {"exam_date": exam} if exam and i in matches_goal else {}
                for j, (kind, name) in enumerate(terms):
                    exact = (
                        course.subject.casefold() == name.casefold()
                        if kind == "subject"
                        else name.casefold() in tagged
                    )
                    signal = 1.0 if exact else INTEREST_TEXT_FACTOR * float(similarity[j, i])
                    scores.add(i, "interest", signal, {"topic": name, **extra})

    if taken:
        similarity = linear_kernel(history, courses)
        for j, entry in enumerate(taken):
            args = {"course": entry.course.title, "status": entry.status}
            for i in range(len(candidates)):
                scores.add(i, "similar", entry.weight * float(similarity[j, i]), args)


def _co_enrollment_signals(
    scores: _Scores, candidates: list[Course], taken: list[_Taken], enrollments: _Enrollments
) -> None:
    """Item-item cosine similarity of the enrollment vectors (the student's own left out)."""
    if not enrollments.rows:
        return
    import numpy as np
    from scipy.sparse import csr_matrix

    columns = {course.pk: i for i, course in enumerate(candidates)}
    taken_columns = {entry.course.pk: len(columns) + j for j, entry in enumerate(taken)}
    columns.update(taken_columns)
    students = {sid: i for i, sid in enumerate(sorted({s for s, _c in enrollments.rows}))}
    rows = [(students[s], columns[c]) for s, c in enrollments.rows if c in columns]
    matrix = csr_matrix(
        (np.ones(len(rows)), ([r for r, _c in rows], [c for _r, c in rows])),
        shape=(len(students), len(columns)),
    )
    shared = (matrix[:, len(candidates) :].T @ matrix[:, : len(candidates)]).toarray()
    for j, entry in enumerate(taken):
        # Students of the taken course other than this student (who is enrolled in it).
        others = enrollments.counts.get(entry.course.pk, 0) - 1
        for i, course in enumerate(candidates):
            together = shared[j, i]
            size = enrollments.counts.get(course.pk, 0)
            if not together or others <= 0 or not size:
                continue
            cosine = together / math.sqrt(others * size)
            signal = cosine * together / (together + CO_ENROLLMENT_SHRINKAGE)
            scores.add(i, "co_enrolled", float(signal), {"course": entry.course.title})


def course_recommendations(
    *, student: User, limit: int = 5, school: School | None = None
) -> list[Recommendation]:
    """
    The `limit` courses the student might enroll in next, best first, each with its reason; only
    courses of `school` when given (else of every school where `student` is a student).
    """
    if limit <= 0 or not student.is_authenticated:
        return []
    candidates = list(course_list_enrollable(student=student, school=school).order_by("pk"))
    if not candidates:
        return []
    profile = profile_get(student=student)
    taken = _history(student)
    candidate_ids = [course.pk for course in candidates]
    taken_ids = [entry.course.pk for entry in taken]
    target_id = profile.target_course_id if profile else None
    today = timezone.localdate()
    exam = (
        profile.exam_date.isoformat()
        if profile and profile.exam_date and profile.exam_date >= today
        else None
    )

    scores = _Scores(len(candidates))
    tag_names = _tag_names([*candidate_ids, *taken_ids])
    _text_signals(scores, candidates, taken, tag_names, profile, exam)

    index = {course_id: i for i, course_id in enumerate(candidate_ids)}
    by_id = {entry.course.pk: entry for entry in taken}
    requires = defaultdict(set)
    for course_id, required_id in _prerequisite_links(candidate_ids, taken_ids, target_id):
        requires[course_id].add(required_id)
    for course_id, required in requires.items():
        if course_id == target_id:
            for required_id in required & set(index):
                title = profile.target_course.title
                scores.add(index[required_id], "prepares", 1.0, {"course": title})
        if course_id in index:
            for required_id in sorted(required & set(by_id)):
                entry = by_id[required_id]
                args = {"course": entry.course.title, "status": entry.status}
                scores.add(index[course_id], "builds_on", entry.weight, args)
    if target_id in index:
        scores.add(index[target_id], "target", 1.0, {"exam_date": exam} if exam else {})

    enrollments = _enrollments(student, school, candidate_ids, taken_ids)
    _co_enrollment_signals(scores, candidates, taken, enrollments)

    most = max(enrollments.counts.get(course_id, 0) for course_id in candidate_ids)
    for i, course in enumerate(candidates):
        level = _level_signal(profile, course)
        if level:
            args = {"level": course.level, **({"near": True} if level < 1 else {})}
            scores.add(i, "level", level, args)
        count = enrollments.counts.get(course.pk, 0)
        if count:
            signal = math.log1p(count) / math.log1p(most)
            scores.add(i, "popular", max(signal, MIN_SIGNAL), {"count": count})

    ranked = []
    for i, course in enumerate(candidates):
        total, code, args = scores.result(i)
        ranked.append(
            Recommendation(course=course, score=round(total, 6), reason_code=code, reason_args=args)
        )
    ranked.sort(key=lambda r: (-r.score, r.course.title.casefold(), r.course.pk))
    return ranked[:limit]
