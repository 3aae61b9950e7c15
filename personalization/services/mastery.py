"""
Mastery estimates: the active knowledge-tracing model run over a learner's latest answers.

Items and skills reach the model as strings: question ids and knowledge-point ids (the same ids
`kt_train` trains on). The model sees the latest `HISTORY_WINDOW` answers, the window it was
evaluated with; a knowledge point last practised before that window keeps its estimate.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from courses.models import KnowledgePoint
from lms.services import event_send_on_commit
from personalization.models import MasteryEstimate, MasterySnapshot, ModelVersion
from personalization.selectors import Interaction, learner_evidence, learner_interactions

HISTORY_WINDOW = 200
# Changes smaller than this are not worth a point on the history chart.
SNAPSHOT_MIN_CHANGE = 0.005


def course_mastery_group_name(course_id: int) -> str:
    """The channel group of a course's live mastery views (the teacher's class heatmap)."""
    return f"mastery.course.{course_id}"


class _ActiveModel:
    """
    The active model, loaded once per process and again only when another version is
    activated (one indexed query per refresh tells). Before any training: the cold-start model.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._version_id: int | None = None
        self._model = None

    def get(self):
        from personalization import kt

        version_id = (
            ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()
        )
        with self._lock:
            if self._model is None or version_id != self._version_id:
                kt.configure_threads(1)
                if version_id is None:
                    self._model = kt.cold_start_model()
                else:
                    blob = ModelVersion.objects.values_list("blob", flat=True).get(pk=version_id)
                    self._model = kt.loads(bytes(blob))
                self._version_id = version_id
            return self._version_id, self._model


active_model = _ActiveModel()


def history_for_model(interactions: list[Interaction]):
    from personalization import kt

    return kt.History(
        items=[str(i.question_id) for i in interactions],
        skills=[[str(point) for point in i.knowledge_point_ids] for i in interactions],
        correct=[int(i.correct) for i in interactions],
        timestamps=[i.at.timestamp() for i in interactions],
    )


@dataclass(frozen=True)
class MasteryChange:
    knowledge_point_id: int
    before: float | None
    after: float


@dataclass(frozen=True)
class MasteryRefresh:
    model_version_id: int | None
    changes: list[MasteryChange]
    course_ids: set[int]


@transaction.atomic
def mastery_refresh(
    *, student_id: int, attempt_id: int | None = None, now: datetime | None = None
) -> MasteryRefresh:
    """
    Recompute the learner's estimates for the knowledge points of their latest answers, record
    the ones that moved in the history, and tell the courses' live heatmaps after commit.
    """
    interactions = learner_interactions(student_id=student_id, limit=HISTORY_WINDOW)
    version_id, model = active_model.get()
    points = sorted({p for i in interactions for p in i.knowledge_point_ids})
    if not points:
        return MasteryRefresh(model_version_id=version_id, changes=[], course_ids=set())
    estimated = model.mastery(history_for_model(interactions), skills=[str(p) for p in points])
    evidence = learner_evidence(student_id=student_id)
    before = dict(
        MasteryEstimate.objects.filter(
            student_id=student_id, knowledge_point_id__in=points
        ).values_list("knowledge_point_id", "mastery")
    )
    now = now or timezone.now()
    estimates, changes = [], []
    for point in points:
        value = min(1.0, max(0.0, float(estimated[str(point)])))
        seen = evidence.get(point)
        estimates.append(
            MasteryEstimate(
                student_id=student_id,
                knowledge_point_id=point,
                mastery=value,
                evidence=seen.answers if seen else 0,
                correct=seen.correct if seen else 0,
                last_practiced_at=seen.last_at if seen else None,
            )
        )
        old = before.get(point)
        if old is None or abs(old - value) >= SNAPSHOT_MIN_CHANGE:
            changes.append(MasteryChange(knowledge_point_id=point, before=old, after=value))
    MasteryEstimate.objects.bulk_create(
        estimates,
        update_conflicts=True,
        unique_fields=["student", "knowledge_point"],
        update_fields=["mastery", "evidence", "correct", "last_practiced_at", "updated_at"],
    )
    MasterySnapshot.objects.bulk_create(
        MasterySnapshot(
            student_id=student_id,
            knowledge_point_id=change.knowledge_point_id,
            mastery=change.after,
            at=now,
            attempt_id=attempt_id,
        )
        for change in changes
    )
    course_ids = set(
        KnowledgePoint.objects.filter(pk__in=[c.knowledge_point_id for c in changes]).values_list(
            "course_id", flat=True
        )
    )
    for course_id in sorted(course_ids):
        event_send_on_commit(
            group=course_mastery_group_name(course_id),
            event="mastery.updated",
            payload={"student": student_id, "course": course_id},
        )
    return MasteryRefresh(model_version_id=version_id, changes=changes, course_ids=course_ids)
