"""
The evaluation protocol (pyKT's): learners with fewer than 3 responses dropped, 20% of learners
held out as the test set, K folds by learner on the rest (K-1 to train, one for early stopping
and model selection), sequences cut into independent windows of at most 200 responses, each
response predicted from the earlier responses of its window, AUC and accuracy on the test
learners as mean ± std over the K fold models. Every evaluation checks that no model peeks.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .base import KTModel
from .data import DataError, Dataset, History, split_learners, windows

WINDOW = 200
MIN_RESPONSES = 3

ModelFactory = Callable[[], KTModel]


class LeakageError(Exception):
    """A model's prediction for a response depends on that response or later ones."""


def _resolve(kinds: Iterable[str | ModelFactory]) -> list[tuple[str, ModelFactory]]:
    from . import make_model

    resolved = []
    for kind in kinds:
        if isinstance(kind, str):
            make_model(kind)  # unknown kinds fail here, before any training

            def factory(kind=kind):
                return make_model(kind)

            resolved.append((kind, factory))
        else:
            name = getattr(kind, "kind", "") or getattr(kind, "__name__", "") or repr(kind)
            resolved.append((name, kind))
    # an ensemble reuses the fold's classical and neural models when they are trained too
    resolved.sort(key=lambda pair: pair[0] == "ensemble")
    return resolved


def auc_score(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC (ties counted half); NaN when only one class is present."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sorted_p = p[order]
    # average ranks over ties
    boundaries = np.flatnonzero(np.diff(sorted_p)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(p)]])
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score(model: KTModel, sequences: Sequence[History]) -> tuple[float, float, int]:
    """AUC, accuracy and number of responses of ``model``'s predictions on ``sequences``."""
    predictions = model.predict_sequences(sequences)
    y = np.concatenate([np.asarray(s.correct, dtype=np.float64) for s in sequences])
    p = np.concatenate(predictions) if predictions else np.zeros(0)
    if len(p) != len(y):
        raise ValueError("predict_sequences returned a different number of predictions")
    acc = float(np.mean((p >= 0.5) == (y == 1))) if len(y) else math.nan
    return auc_score(y, p), acc, len(y)


def leakage_check(
    model: KTModel,
    sequences: Sequence[History],
    *,
    name: str | None = None,
    samples: int = 16,
    seed: int = 0,
    tolerance: float = 1e-5,
) -> None:
    """
    Raise LeakageError if ``model`` peeks: for a sample of sequences and a position t in each,
    flip the correctness of t and of every later response, swap the later questions for others
    and shift the later timestamps; the predictions up to t must not change.
    """
    rng = np.random.default_rng(seed)
    candidates = [s for s in sequences if len(s) >= 2]
    if not candidates:
        return
    picked = rng.choice(len(candidates), size=min(samples, len(candidates)), replace=False)
    originals, altered, positions = [], [], []
    for i in picked:
        seq = candidates[i]
        donor = candidates[int(rng.integers(len(candidates)))]
        t = int(rng.integers(len(seq)))
        n = len(seq)
        future = [(n - t - 1 + j) % len(donor) for j in range(n - t - 1)]
        items = seq.items[: t + 1] + [donor.items[j] for j in future]
        skills = seq.skills[: t + 1] + [donor.skills[j] for j in future]
        correct = seq.correct[:t] + [1 - c for c in seq.correct[t:]]
        timestamps = seq.timestamps[: t + 1] + [ts + 7919.0 for ts in seq.timestamps[t + 1 :]]
        originals.append(seq)
        altered.append(History(items, skills, correct, timestamps))
        positions.append(t)
    predictions = model.predict_sequences(originals + altered)
    k = len(originals)
    for j, t in enumerate(positions):
        before = np.asarray(predictions[j][: t + 1], dtype=np.float64)
        after = np.asarray(predictions[k + j][: t + 1], dtype=np.float64)
        diff = float(np.max(np.abs(before - after)))
        if not diff <= tolerance:
            label = name or getattr(model, "kind", "") or type(model).__name__
            raise LeakageError(
                f"model {label!r} peeks at the answers it predicts: its prediction for response "
                f"{t} of a test sequence changed by {diff:.3g} when that response and later "
                "ones were altered"
            )


def predict_latency_ms(model: KTModel, sequences: Sequence[History], length: int = WINDOW) -> float:
    """Median milliseconds of ``predict_next`` on a ``length``-response history."""
    history = next((s for s in sequences if len(s) >= length + 1), None)
    if history is None:  # glue responses together until the history is long enough
        items, skills, correct = [], [], []
        for s in sequences:
            items += s.items
            skills += s.skills
            correct += s.correct
            if len(items) > length:
                break
        if not items:
            return math.nan
        reps = length // len(items) + 2
        history = History(items * reps, skills * reps, correct * reps)
    context = history.slice(0, length)
    item, skills = history.items[length], history.skills[length]
    for _ in range(3):
        model.predict_next(context, item, skills)
    times = []
    for _ in range(25):
        start = time.perf_counter()
        model.predict_next(context, item, skills)
        times.append((time.perf_counter() - start) * 1000)
    return float(statistics.median(times))


def evaluate(
    dataset: Dataset,
    kinds: Iterable[str | ModelFactory],
    *,
    folds: int = 5,
    test_users: Iterable[str] | None = None,
    seed: int = 0,
    window: int = WINDOW,
    min_responses: int = MIN_RESPONSES,
    test_fraction: float = 0.2,
    max_folds: int | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, dict[str, float]]:
    """
    Run the protocol (module docstring) for each model kind (a name from MODEL_KINDS or a
    factory returning an untrained model). ``test_users`` fixes the test learners; ``max_folds``
    trains only the first folds (for quick experiments). Returns, per kind, auc_mean, auc_std,
    acc_mean, acc_std, train_seconds (mean per fold) and predict_ms (``predict_next`` on a
    200-response history, median). Raises LeakageError when a model peeks.
    """
    log = log or (lambda message: None)
    resolved = _resolve(kinds)
    data = dataset.min_length(min_responses)
    test, fold_users = split_learners(
        data.users, folds=folds, test_users=test_users, test_fraction=test_fraction, seed=seed
    )
    if not test:
        raise DataError(f"no test learners (with at least {min_responses} responses)")
    if not any(fold_users):
        raise DataError("no learners left to train on")
    by_user = dict(zip(data.users, data.sequences, strict=True))
    test_windows = windows((by_user[u] for u in test), window)
    n_train = len(data) - len(test)
    log(
        f"{len(data)} learners ({len(dataset) - len(data)} with fewer than {min_responses} "
        f"responses dropped), {len(test)} test learners, {n_train} in {len(fold_users)} folds"
    )
    metrics: dict[str, dict[str, list[float]]] = {
        name: {"auc": [], "acc": [], "seconds": []} for name, _ in resolved
    }
    latency: dict[str, float] = {}
    n_run = len(fold_users) if max_folds is None else min(max_folds, len(fold_users))
    for k in range(n_run):
        valid_users = fold_users[k] if len(fold_users) > 1 else []
        train_users = [u for j, part in enumerate(fold_users) if j != k for u in part]
        if len(fold_users) == 1:
            train_users = fold_users[0]
        train = windows((by_user[u] for u in train_users), window)
        valid = windows((by_user[u] for u in valid_users), window)
        trained: dict[str, tuple[KTModel, float]] = {}
        for name, factory in resolved:
            start = time.perf_counter()
            model = _fit_in_fold(name, factory, trained, train, valid)
            seconds = time.perf_counter() - start
            if name == "ensemble" and "classical" in trained and "neural" in trained:
                seconds += trained["classical"][1] + trained["neural"][1]
            trained[name] = (model, seconds)
            auc, acc, n = score(model, test_windows)
            leakage_check(model, test_windows, name=name, seed=seed + k)
            metrics[name]["auc"].append(auc)
            metrics[name]["acc"].append(acc)
            metrics[name]["seconds"].append(seconds)
            if name not in latency:
                latency[name] = predict_latency_ms(model, test_windows, window)
            log(
                f"fold {k + 1}/{len(fold_users)} {name}: AUC {auc:.4f} acc {acc:.4f} "
                f"on {n} test responses, trained in {seconds:.1f}s"
            )
    return {
        name: {
            "auc_mean": _mean(m["auc"]),
            "auc_std": _std(m["auc"]),
            "acc_mean": _mean(m["acc"]),
            "acc_std": _std(m["acc"]),
            "train_seconds": _mean(m["seconds"]),
            "predict_ms": latency.get(name, math.nan),
        }
        for name, m in metrics.items()
    }


def _fit_in_fold(name, factory, trained, train, valid) -> KTModel:
    if name == "ensemble" and "classical" in trained and "neural" in trained:
        from .ensemble import EnsembleModel

        return EnsembleModel.from_parts(
            trained["classical"][0], trained["neural"][0], valid or train
        )
    return factory().fit(train, valid=valid or None)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def holdout_fit(
    sequences: Sequence[History],
    kind: str | ModelFactory,
    *,
    seed: int = 0,
    valid_fraction: float = 0.2,
    window: int = WINDOW,
) -> tuple[KTModel, dict]:
    """
    Fit a model of ``kind`` on all but ``valid_fraction`` of the learners (one sequence per
    learner; an eighth of the rest serves for early stopping) and score it on the held-out
    learners with the protocol's windows. Returns (model, {"auc", "acc", "n_valid",
    "train_seconds"}); auc and acc are None when they cannot be computed (too few learners,
    or only one outcome among the held-out responses); n_valid counts held-out responses.
    """
    ((name, factory),) = _resolve([kind])
    sequences = [s for s in sequences if len(s)]
    if not sequences:
        raise DataError("no responses to train on")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sequences))
    n_held = round(valid_fraction * len(sequences)) if len(sequences) >= 2 else 0
    held = [sequences[i] for i in order[:n_held]]
    rest = [sequences[i] for i in order[n_held:]]
    n_stop = len(rest) // 8 if len(rest) >= 16 else 0
    train = windows(rest[n_stop:], window)
    stop = windows(rest[:n_stop], window)
    start = time.perf_counter()
    model = factory().fit(train, valid=stop or None)
    seconds = time.perf_counter() - start
    scored = windows((s for s in held if len(s) >= MIN_RESPONSES), window)
    auc = acc = None
    n = 0
    if scored:
        leakage_check(model, scored, name=name, seed=seed)
        auc_value, acc_value, n = score(model, scored)
        auc = None if math.isnan(auc_value) else auc_value
        acc = acc_value
    return model, {"auc": auc, "acc": acc, "n_valid": n, "train_seconds": seconds}
