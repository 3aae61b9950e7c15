"""
Reads for assessments. Each selector takes the acting user and returns only what they may see;
`attempt_view` and `attempt_review` decide what of a question reaches a student's browser (never
an answer key before the review policy allows).
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.grading import right_answer
from assessments.models import (
    Accommodation,
    Assessment,
    AssessmentKind,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    DrawRule,
    GradingMethod,
    Question,
    Response,
    ReviewPolicy,
)
from courses.models import Course, Enrollment, EnrollmentStatus, KnowledgePoint, Tag
from courses.selectors import SubqueryCount, course_list_editable
from lms.models import User

HISTOGRAM_BINS = 10
COMMON_WRONG_ANSWERS = 3


def question_list_editable(*, user: User) -> QuerySet[Question]:
    """The bank questions of the courses the user may change."""
    return Question.objects.filter(course__in=course_list_editable(user=user)).select_related(
        "course", "current_version"
    )


def assessment_list_editable(*, user: User) -> QuerySet[Assessment]:
    """The assessments of the courses the user may change (not the students' own practice sets)."""
    return Assessment.objects.filter(
        course__in=course_list_editable(user=user), personal_for__isnull=True
    ).select_related("course")


def _shared_or_own(user: User) -> Q:
    """The course's assessments for everyone, and the user's own practice sets."""
    return Q(personal_for__isnull=True) | Q(personal_for=user)


def assessment_list_for_student(*, user: User) -> QuerySet[Assessment]:
    """Published assessments of the courses the student is actively enrolled in."""
    if not user.is_authenticated:
        return Assessment.objects.none()
    enrolled = Enrollment.objects.filter(
        student=user, status=EnrollmentStatus.ACTIVE, course=OuterRef("course")
    )
    return (
        Assessment.objects.filter(Exists(enrolled), _shared_or_own(user), is_published=True)
        .exclude(kind=AssessmentKind.LIVE)
        .select_related("course")
        .order_by("course", "opens_at", "pk")
    )


def assessment_list_visible(*, user: User) -> QuerySet[Assessment]:
    """
    What the user may open: as an enrolled student (published ones only), or as an editor of
    the course (drafts too).
    """
    return Assessment.objects.filter(
        Q(pk__in=assessment_list_for_student(user=user).values("pk"))
        | Q(pk__in=assessment_list_editable(user=user).values("pk"))
    ).select_related("course", "course__school")


def assessment_list_for_course(
    *, course: Course, user: User, can_edit: bool
) -> QuerySet[Assessment]:
    """
    The course's assessments for its page, with the user's attempt counts: all of them for an
    editor (the caller has checked `course_can_edit`), the published ones for a student actively
    enrolled, none otherwise. One query with no subqueries: the course page is the busiest page.
    """
    assessments = Assessment.objects.filter(course=course).exclude(kind=AssessmentKind.LIVE)
    if can_edit:
        assessments = assessments.filter(personal_for__isnull=True)
    else:
        enrolled = Enrollment.objects.filter(
            course=course, student=user, status=EnrollmentStatus.ACTIVE
        )
        assessments = assessments.filter(Exists(enrolled), _shared_or_own(user), is_published=True)
    return assessments.annotate(
        my_attempts=Count("attempts", filter=Q(attempts__student=user)),
        my_open=Count(
            "attempts",
            filter=Q(attempts__student=user, attempts__status=AttemptStatus.IN_PROGRESS),
        ),
    ).order_by("opens_at", "pk")


def attempt_list_for_student(*, user: User) -> QuerySet[Attempt]:
    if not user.is_authenticated:
        return Attempt.objects.none()
    return Attempt.objects.filter(student=user).select_related("assessment", "assessment__course")


def accommodation_summary(*, assessment: Assessment, user: User) -> tuple[int, int]:
    """(extra minutes, extra attempts): the most generous of the student's own and classrooms'."""
    found = Accommodation.objects.filter(
        Q(student=user) | Q(classroom__seats__student=user), assessment=assessment
    ).aggregate(minutes=Max("extra_minutes"), attempts=Max("extra_attempts"))
    return found["minutes"] or 0, found["attempts"] or 0


def review_allowed(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the student may now see right answers and feedback for this submitted attempt."""
    if attempt.status != AttemptStatus.SUBMITTED:
        return False
    policy = attempt.assessment.review_policy
    if policy == ReviewPolicy.IMMEDIATELY:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        closes_at = attempt.assessment.closes_at
        return closes_at is not None and (now or timezone.now()) >= closes_at
    return False


def _option_views(response: Response) -> list[dict]:
    """Choices or items as shown: ids and rendered text, in this attempt's order, no credit."""
    spec = response.version.spec
    options = {option["id"]: option for option in spec.get("choices", spec.get("items", []))}
    return [{"id": oid, "html": options[oid]["html"]} for oid in response.option_order]


def _question_view(response: Response) -> dict:
    spec = response.version.spec
    view = {
        "question": response.question_id,
        "position": response.position,
        "kind": response.question.kind,
        "stem_html": response.version.stem_html,
        "points": str(response.points),
        "options": _option_views(response),
        "answer": response.answer,
        "seq": response.answer_seq,
    }
    if response.question.kind == "numeric":
        view["unit"] = spec.get("unit", "")
    return view


def attempt_responses(*, attempt: Attempt) -> list[Response]:
    """
    The attempt's responses in order, with their questions and versions. Responses already
    prefetched on the attempt (`attempt_submit` does, with both) are used as they are.
    """
    if "responses" in getattr(attempt, "_prefetched_objects_cache", {}):
        return sorted(attempt.responses.all(), key=attrgetter("position"))
    return list(attempt.responses.select_related("question", "version").order_by("position"))


def attempt_view(*, attempt: Attempt, now: datetime | None = None) -> dict:
    """An attempt as its student's page needs it: questions without keys, saved answers, clock."""
    now = now or timezone.now()
    remaining = None
    if attempt.deadline and attempt.status == AttemptStatus.IN_PROGRESS:
        remaining = max(0, int((attempt.deadline - now).total_seconds()))
    return {
        "id": attempt.pk,
        "assessment": attempt.assessment_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "server_now": now,
        "seconds_remaining": remaining,
        "questions": [_question_view(r) for r in attempt_responses(attempt=attempt)],
    }


def _feedback_html(response: Response) -> list[str]:
    spec, answer, kind = response.version.spec, response.answer, response.question.kind
    if answer is None:
        return []
    if kind in ("single_choice", "multiple_choice"):
        picked = {answer["choice"]} if kind == "single_choice" else set(answer["choices"])
        return [
            c["feedback_html"]
            for c in spec["choices"]
            if c["id"] in picked and c.get("feedback_html")
        ]
    if kind == "true_false":
        key = "feedback_true_html" if answer["value"] else "feedback_false_html"
        return [spec[key]] if spec.get(key) else []
    return []


def attempt_review(*, attempt: Attempt, now: datetime | None = None) -> dict:
    """
    The result a student sees after submitting: always the score; right answers, per-answer
    credit, feedback and the explanation only when the review policy allows it now.
    """
    allowed = review_allowed(attempt=attempt, now=now)
    result = {
        "id": attempt.pk,
        "assessment": attempt.assessment_id,
        "status": attempt.status,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "score": str(attempt.score) if attempt.score is not None else None,
        "max_score": str(attempt.max_score),
        "review_available": allowed,
        "questions": [],
    }
    if not allowed:
        return result
    for response in attempt_responses(attempt=attempt):
        view = _question_view(response)
        view.update(
            {
                "score": str(response.score),
                "is_correct": response.fraction is not None and response.fraction >= 1,
                "right_answer": right_answer(response.question.kind, response.version.spec),
                "feedback_html": _feedback_html(response),
                "explanation_html": response.version.explanation_html,
            }
        )
        if response.question.kind == "ordering":
            html = {item["id"]: item["html"] for item in response.version.spec["items"]}
            given = (response.answer or {}).get("order", [])
            view["answer_order_html"] = [html[i] for i in given if i in html]
            view["right_order_html"] = [html[i] for i in view["right_answer"]["order"]]
        result["questions"].append(view)
    return result


def student_grade(*, assessment: Assessment, scores: list[Decimal]) -> Decimal | None:
    """The grade a student's submitted attempt scores (in attempt order) give, by the method."""
    if not scores:
        return None
    match assessment.grading_method:
        case GradingMethod.LAST:
            return scores[-1]
        case GradingMethod.AVERAGE:
            return (sum(scores) / len(scores)).quantize(Decimal("0.01"))
        case _:
            return max(scores)


# --- Live results -----------------------------------------------------------------------------


def _answer_label(kind: str, spec: dict, answer: dict) -> str:
    """A short, human form of an answer, for the most common wrong answers."""
    match kind:
        case "single_choice":
            return _choice_text(spec, answer["choice"])
        case "multiple_choice":
            return " + ".join(_choice_text(spec, c) for c in answer["choices"]) or "∅"
        case "true_false":
            return _("True") if answer["value"] else _("False")
        case "numeric":
            return f"{answer['value']} {answer.get('unit', '')}".strip()
        case "short_text":
            return " ".join(answer["text"].split())[:80]
        case _:
            texts = {item["id"]: item["text"] for item in spec["items"]}
            return " → ".join(texts.get(i, "?")[:20] for i in answer["order"])


def _choice_text(spec: dict, choice_id: str) -> str:
    for choice in spec["choices"]:
        if choice["id"] == choice_id:
            return choice["text"][:60]
    return "?"


def results_snapshot(*, assessment: Assessment) -> dict:
    """
    What the teacher's live results page shows: counts by status, a score histogram (percent,
    in tenths), per-question percent correct with the most common wrong answers, and each
    student's status and score. Aggregated in the database: a handful of queries whatever the
    number of students.
    """
    attempts = list(
        assessment.attempts.select_related("student")
        .only(
            "student_id", "status", "score", "max_score", "number",
            "student__username", "student__display_name",
        )
        .order_by("student_id", "number")
    )  # fmt: skip
    enrolled = Enrollment.objects.filter(
        course_id=assessment.course_id, status=EnrollmentStatus.ACTIVE
    ).count()
    histogram = [0] * HISTOGRAM_BINS
    students: dict[int, dict] = {}
    for attempt in attempts:
        row = students.setdefault(
            attempt.student_id,
            {
                "student": attempt.student_id,
                "name": attempt.student.display_name or attempt.student.username,
                "attempts": 0,
            },
        )
        row.update(
            attempts=row["attempts"] + 1,
            status=attempt.status,
            score=None if attempt.score is None else str(attempt.score),
            max_score=str(attempt.max_score),
        )
        if attempt.status == AttemptStatus.SUBMITTED and attempt.max_score:
            percent = float(attempt.score / attempt.max_score * 100)
            histogram[min(int(percent // (100 / HISTOGRAM_BINS)), HISTOGRAM_BINS - 1)] += 1
    answered = Response.objects.filter(
        attempt__assessment=assessment,
        attempt__status=AttemptStatus.SUBMITTED,
        answer__isnull=False,
    )
    per_question = (
        answered.values("question_id")
        .annotate(answered=Count("pk"), correct=Count("pk", filter=Q(fraction__gte=1)))
        .order_by()
    )
    wrong = (
        answered.filter(fraction__lt=1)
        .values("question_id", "answer")
        .annotate(count=Count("pk"))
        .order_by("question_id", "-count")
    )
    common: dict[int, list[tuple[dict, int]]] = {}
    for row in wrong:
        found = common.setdefault(row["question_id"], [])
        if len(found) < COMMON_WRONG_ANSWERS:
            found.append((row["answer"], row["count"]))
    questions = Question.objects.select_related("current_version").in_bulk(
        [row["question_id"] for row in per_question]
    )
    rows = []
    for row in per_question:
        question = questions[row["question_id"]]
        spec = question.current_version.spec
        rows.append(
            {
                "question": question.pk,
                "title": question.title,
                "answered": row["answered"],
                "percent_correct": round(100 * row["correct"] / row["answered"], 1),
                "common_wrong_answers": [
                    {"answer": _answer_label(question.kind, spec, answer), "count": count}
                    for answer, count in common.get(question.pk, [])
                ],
            }
        )
    return {
        "assessment": assessment.pk,
        "enrolled": enrolled,
        "started": len(students),
        "in_progress": sum(1 for a in attempts if a.status == AttemptStatus.IN_PROGRESS),
        "submitted": sum(1 for a in attempts if a.status == AttemptStatus.SUBMITTED),
        "histogram": histogram,
        "questions": sorted(rows, key=lambda row: row["title"]),
        "students": sorted(students.values(), key=lambda row: row["name"]),
    }


# --- After the close: item analysis and the gradebook -------------------------------------------


def item_analysis(*, assessment: Assessment) -> list[dict]:
    """
    Per question, over each student's first submitted attempt (as Moodle does by default):
    the facility index (mean score as a percent of the question's points) and the
    discrimination index (correlation between the question's score and the rest of the test's,
    as a percent; None when it cannot be computed).
    """
    responses = Response.objects.filter(attempt__in=_first_attempt_ids(assessment)).select_related(
        "question"
    )
    by_attempt: dict[int, dict[int, float]] = {}
    questions: dict[int, tuple[str, float]] = {}
    for response in responses:
        fraction = float(response.fraction or 0)
        by_attempt.setdefault(response.attempt_id, {})[response.question_id] = fraction * float(
            response.points
        )
        questions[response.question_id] = (response.question.title, float(response.points))
    rows = []
    for question_id, (title, points) in sorted(questions.items(), key=lambda item: item[1][0]):
        item_scores, rest_scores = [], []
        for scores in by_attempt.values():
            if question_id in scores:
                item_scores.append(scores[question_id])
                rest_scores.append(sum(scores.values()) - scores[question_id])
        facility = 100 * statistics.fmean(item_scores) / points if points and item_scores else None
        rows.append(
            {
                "question": question_id,
                "title": title,
                "attempts": len(item_scores),
                "facility_index": round(facility, 1) if facility is not None else None,
                "discrimination_index": _correlation_percent(item_scores, rest_scores),
            }
        )
    return rows


def _first_attempt_ids(assessment: Assessment) -> list[int]:
    seen, ids = set(), []
    for pk, student in (
        Attempt.objects.filter(assessment=assessment, status=AttemptStatus.SUBMITTED)
        .order_by("student_id", "number")
        .values_list("pk", "student_id")
    ):
        if student not in seen:
            seen.add(student)
            ids.append(pk)
    return ids


def _correlation_percent(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return round(100 * statistics.correlation(xs, ys), 1)


@dataclass(frozen=True)
class Gradebook:
    assessments: list[Assessment]
    rows: list[dict]  # {"student": User, "grades": [Decimal | None per assessment]}


def gradebook(*, course: Course) -> Gradebook:
    """Students enrolled in the course by its assessments, each cell the grading method's grade."""
    assessments = list(
        course.assessments.filter(personal_for__isnull=True)
        .exclude(kind=AssessmentKind.LIVE)
        .order_by("opens_at", "pk")
    )
    enrollments = (
        Enrollment.objects.filter(course=course)
        .exclude(status=EnrollmentStatus.DROPPED)
        .select_related("student")
        .order_by("student__username")
    )
    scores: dict[tuple[int, int], list[Decimal]] = {}
    for student_id, assessment_id, score in (
        Attempt.objects.filter(assessment__course=course, status=AttemptStatus.SUBMITTED)
        .order_by("number")
        .values_list("student_id", "assessment_id", "score")
    ):
        scores.setdefault((student_id, assessment_id), []).append(score)
    rows = [
        {
            "student": enrollment.student,
            "grades": [
                student_grade(assessment=a, scores=scores.get((enrollment.student_id, a.pk), []))
                for a in assessments
            ],
        }
        for enrollment in enrollments
    ]
    return Gradebook(assessments=assessments, rows=rows)


def gradebook_max_scores(*, course: Course) -> dict[tuple[int, int], Decimal]:
    """
    {(student id, assessment id): the most points the student's submitted attempts at the
    assessment could score}, the base of a gradebook cell's percent. One query.
    """
    return {
        (student_id, assessment_id): points
        for student_id, assessment_id, points in Attempt.objects.filter(
            assessment__course=course, status=AttemptStatus.SUBMITTED
        )
        .order_by()
        .values("student_id", "assessment_id")
        .annotate(points=Max("max_score"))
        .values_list("student_id", "assessment_id", "points")
    }


# --- The question bank --------------------------------------------------------------------------


def question_list_for_bank(
    *,
    user: User,
    course: Course | None = None,
    text: str = "",
    kind: str = "",
    knowledge_point: KnowledgePoint | int | None = None,
    tag: Tag | int | None = None,
    difficulty: int | None = None,
    include_archived: bool = False,
) -> QuerySet[Question]:
    """
    The bank questions the user may change (of `course` when given) that the filters pick, with
    what a row of a bank list shows: tags and knowledge points, each in name order. An empty
    filter picks everything; `text` is looked for in the title and the current version's stem.
    """
    questions = question_list_editable(user=user)
    if course is not None:
        questions = questions.filter(course=course)
    if not include_archived:
        questions = questions.filter(is_archived=False)
    if kind:
        questions = questions.filter(kind=kind)
    if knowledge_point:
        questions = questions.filter(knowledge_points=knowledge_point)
    if tag:
        questions = questions.filter(tags=tag)
    if difficulty:
        questions = questions.filter(difficulty=difficulty)
    text = text.strip()
    if text:
        questions = questions.filter(
            Q(title__icontains=text) | Q(current_version__stem__icontains=text)
        )
    return questions.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch("knowledge_points", queryset=KnowledgePoint.objects.order_by("name")),
    ).order_by("course", "title", "pk")


def tag_list_for_bank(*, course: Course) -> QuerySet[Tag]:
    """The tags the course's questions carry (tags belong to the school), for the bank's filter."""
    return Tag.objects.filter(questions__course=course).distinct().order_by("name")


def question_is_answered(*, question: Question) -> bool:
    """Whether an attempt has shown the question's current version (changes then make a new one)."""
    return Response.objects.filter(version_id=question.current_version_id).exists()


def attempt_count_to_regrade(*, question: Question) -> int:
    """How many submitted attempts answered an older version of the question."""
    return (
        Response.objects.filter(question=question, attempt__status=AttemptStatus.SUBMITTED)
        .exclude(version_id=question.current_version_id)
        .values("attempt_id")
        .distinct()
        .count()
    )


# --- Setting assessments up ---------------------------------------------------------------------


def assessment_list_with_counts(*, user: User, course: Course) -> QuerySet[Assessment]:
    """
    The course's assessments the user may change, each with its question, rule, drawn-question
    and attempt counts, in one query.
    """
    by_assessment = {"assessment": OuterRef("pk")}
    attempts = Attempt.objects.filter(**by_assessment).order_by().values("pk")
    drawn = (
        DrawRule.objects.filter(**by_assessment)
        .order_by()
        .values("assessment")
        .annotate(total=Sum("count"))
        .values("total")
    )
    return (
        assessment_list_editable(user=user)
        .filter(course=course)
        .exclude(kind=AssessmentKind.LIVE)
        .annotate(
            question_count=SubqueryCount(
                AssessmentQuestion.objects.filter(**by_assessment).order_by().values("pk")
            ),
            rule_count=SubqueryCount(
                DrawRule.objects.filter(**by_assessment).order_by().values("pk")
            ),
            drawn_count=Coalesce(Subquery(drawn[:1], output_field=IntegerField()), 0),
            submitted_count=SubqueryCount(attempts.filter(status=AttemptStatus.SUBMITTED)),
            open_count=SubqueryCount(attempts.filter(status=AttemptStatus.IN_PROGRESS)),
        )
        .order_by("opens_at", "pk")
    )


def assessment_item_list(*, assessment: Assessment) -> QuerySet[AssessmentQuestion]:
    """The assessment's fixed list, in order, with each question and its current version."""
    return assessment.items.select_related("question__current_version").order_by("position", "pk")


def assessment_question_ids(*, assessment: Assessment) -> set[int]:
    """The ids of the questions in the assessment's fixed list."""
    return set(assessment.items.values_list("question_id", flat=True))


def draw_rule_list(*, assessment: Assessment) -> list[DrawRule]:
    return list(assessment.draw_rules.select_related("knowledge_point").order_by("position", "pk"))


def draw_rule_available_counts(*, assessment: Assessment, rules: Sequence[DrawRule]) -> list[int]:
    """How many of the bank's questions each rule can draw from, in two queries."""
    questions = dict(
        Question.objects.filter(course=assessment.course_id, is_archived=False).values_list(
            "pk", "difficulty"
        )
    )
    points: dict[int, set[int]] = {}
    for question_id, point_id in Question.knowledge_points.through.objects.filter(
        question_id__in=questions
    ).values_list("question_id", "knowledgepoint_id"):
        points.setdefault(point_id, set()).add(question_id)
    counts = []
    for rule in rules:
        pool = (
            questions
            if rule.knowledge_point_id is None
            else points.get(rule.knowledge_point_id, ())
        )
        counts.append(
            sum(1 for pk in pool if rule.difficulty_min <= questions[pk] <= rule.difficulty_max)
        )
    return counts


def accommodation_list(*, assessment: Assessment) -> QuerySet[Accommodation]:
    return assessment.accommodations.select_related("student", "classroom").order_by(
        "classroom__name", "student__username", "pk"
    )


def assessment_list_visible_with_roles(*, user: User) -> QuerySet[Assessment]:
    """
    `assessment_list_visible`, each assessment annotated with the user's roles in it: `can_edit`
    (an editor of its course) and `is_student` (may take it). One query for a page needing both.
    """
    editable = assessment_list_editable(user=user).filter(pk=OuterRef("pk"))
    taking = assessment_list_for_student(user=user).filter(pk=OuterRef("pk"))
    return (
        Assessment.objects.annotate(can_edit=Exists(editable), is_student=Exists(taking))
        .filter(Q(can_edit=True) | Q(is_student=True))
        .select_related("course", "course__school")
    )


def practice_question_counts(
    *, course: Course, knowledge_point_ids: Sequence[int]
) -> dict[int, int]:
    """How many usable questions the course's bank has for each of the knowledge points."""
    rows = (
        Question.objects.filter(
            course=course, is_archived=False, knowledge_points__in=knowledge_point_ids
        )
        .values_list("knowledge_points")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)
