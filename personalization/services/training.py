"""
Training knowledge-tracing models on the school's own answers (or an exchange-format CSV), and
activating a new model only when it predicts held-out learners better than the active one.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assessments.models import Attempt, AttemptStatus, Question, Response
from personalization.models import ModelVersion
from personalization.selectors import CORRECT_FRACTION
from personalization.services.refresh import Reason, plan_refresh_request

logger = logging.getLogger(__name__)

VALID_FRACTION = 0.2
WINDOW = 200
# The nightly retrain waits for this many answers more than the active model saw.
RETRAIN_MIN_NEW = 500
# After a new model is activated, learners active this recently get their mastery recomputed.
REFRESH_ACTIVE_WITHIN = timedelta(days=30)


def interactions_from_database() -> list:
    """Every learner's graded answers to questions with knowledge points, in time order."""
    from personalization import kt

    points: dict[int, list[str]] = {}
    for question_id, point_id in Question.knowledge_points.through.objects.values_list(
        "question_id", "knowledgepoint_id"
    ).order_by("question_id", "knowledgepoint_id"):
        points.setdefault(question_id, []).append(str(point_id))
    rows = (
        Response.objects.filter(
            attempt__status=AttemptStatus.SUBMITTED,
            fraction__isnull=False,
            question_id__in=list(points),
        )
        .order_by("attempt__student_id", "attempt__submitted_at", "attempt_id", "position")
        .values_list(
            "attempt__student_id", "question_id", "fraction", "answered_at", "attempt__submitted_at"
        )
    )
    sequences, current, rows_of = [], None, []

    def close():
        if rows_of:
            sequences.append(
                kt.History(
                    items=[str(q) for q, _c, _t in rows_of],
                    skills=[points[q] for q, _c, _t in rows_of],
                    correct=[c for _q, c, _t in rows_of],
                    timestamps=[t for _q, _c, t in rows_of],
                )
            )

    for student_id, question_id, fraction, answered_at, submitted_at in rows.iterator(2000):
        if student_id != current:
            close()
            current, rows_of = student_id, []
        at = min(answered_at or submitted_at, submitted_at).timestamp()
        if rows_of and at < rows_of[-1][2]:
            at = rows_of[-1][2]  # an attempt's answers never go back in time
        rows_of.append((question_id, int(fraction >= CORRECT_FRACTION), at))
    close()
    return sequences


@dataclass(frozen=True)
class TrainingResult:
    version: ModelVersion
    activated: bool
    active_auc: float | None


def _split(sequences: list, seed: int) -> tuple[list, list]:
    import numpy as np

    order = np.random.default_rng(seed).permutation(len(sequences))
    held = max(1, round(VALID_FRACTION * len(sequences))) if len(sequences) >= 5 else 0
    return [sequences[i] for i in order[held:]], [sequences[i] for i in order[:held]]


def _auc(model, valid: list, name: str, seed: int) -> tuple[float | None, float | None, int]:
    import math

    from personalization.kt.protocol import leakage_check, score

    if not valid:
        return None, None, 0
    leakage_check(model, valid, name=name, seed=seed)
    auc, acc, n = score(model, valid)
    return (None if math.isnan(auc) else auc), acc, n


def model_train(
    *, sequences: list, kind: str, source: str, seed: int = 0, activate: bool = True
) -> TrainingResult:
    """
    Fit a model of `kind` on 80% of the learners (an eighth of them for early stopping), score
    it and the active model on the other 20% (the same windows), record the version, and make it
    the active one when it scores better (or when none is active and it scores at all).
    """
    import time

    from personalization import kt

    sequences = [s for s in sequences if len(s)]
    if len(sequences) < 5:
        raise ValueError(f"too few learners to train on ({len(sequences)}; at least 5)")
    train, valid = _split(sequences, seed)
    n_stop = len(train) // 8 if len(train) >= 16 else 0
    started = time.perf_counter()
    model = kt.make_model(kind).fit(
        kt.windows(train[n_stop:], WINDOW), valid=kt.windows(train[:n_stop], WINDOW) or None
    )
    seconds = time.perf_counter() - started
    valid_windows = kt.windows([s for s in valid if len(s) >= 3], WINDOW)
    auc, acc, n = _auc(model, valid_windows, kind, seed)
    active = ModelVersion.objects.filter(is_active=True).first()
    active_auc = None
    if active is not None:
        active_auc, _acc, _n = _auc(kt.loads(bytes(active.blob)), valid_windows, active.kind, seed)
    better = auc is not None and (active_auc is None or auc > active_auc)
    with transaction.atomic():
        version = ModelVersion.objects.create(
            kind=kind,
            source=source[:300],
            interactions=sum(len(s) for s in sequences),
            learners=len(sequences),
            metrics={
                "auc": auc,
                "acc": acc,
                "n_valid": n,
                "train_seconds": round(seconds, 3),
                "active_auc_same_learners": active_auc,
            },
            blob=model.dumps(),
        )
        if activate and better:
            model_activate(version=version)
    return TrainingResult(version=version, activated=activate and better, active_auc=active_auc)


@transaction.atomic
def model_activate(*, version: ModelVersion) -> ModelVersion:
    """Make `version` the model the workers predict with, and refresh recent learners with it."""
    ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    version.is_active, version.activated_at = True, timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    recent = (
        Attempt.objects.filter(
            status=AttemptStatus.SUBMITTED,
            submitted_at__gte=timezone.now() - REFRESH_ACTIVE_WITHIN,
        )
        .values_list("student_id", flat=True)
        .distinct()
    )
    for student_id in recent:
        plan_refresh_request(student_id=student_id, reason=Reason.MODEL)
    return version


def new_interactions_since_active() -> int:
    """Graded answers submitted since the active model was trained (all, without one)."""
    active = ModelVersion.objects.filter(is_active=True).first()
    tagged = Question.knowledge_points.through.objects.filter(question_id=OuterRef("question_id"))
    answers = Response.objects.filter(Exists(tagged), attempt__status=AttemptStatus.SUBMITTED)
    if active is not None:
        answers = answers.filter(Q(attempt__submitted_at__gt=active.created_at))
    return answers.count()


def models_retrain(*, kinds: tuple[str, ...] = ("classical", "neural")) -> list[TrainingResult]:
    """The nightly job: train each kind on the database when enough new answers arrived."""
    if new_interactions_since_active() < RETRAIN_MIN_NEW:
        return []
    sequences = interactions_from_database()
    results = []
    for kind in kinds:
        try:
            results.append(model_train(sequences=sequences, kind=kind, source="database (nightly)"))
        except ValueError as error:
            logger.info("Nightly %s training skipped: %s", kind, error)
    return results
