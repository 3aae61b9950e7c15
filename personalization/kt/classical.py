"""
Feature-based logistic regression in the spirit of Best-LR (Gervet et al. 2020) and Best-LR+
(Schmucker et al. 2022): item and knowledge-point difficulty, log-scaled success and failure
counts per knowledge point (shared and per knowledge point), per item and in total,
recency-weighted success counts and rates, the last attempt on the item and the knowledge
point, and the time since (when timestamps are real seconds).

Weights of features that grow with successes are kept >= 0 and those that grow with failures
<= 0, so a correct answer never lowers a mastery estimate and a wrong one never raises it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize, sparse

from .base import KTModel, looks_like_seconds, sigmoid
from .data import History

# (name, sign): +1 weight >= 0, -1 weight <= 0, 0 free; "neutral" features (sign 0, changed by
# any response whatever its correctness) are held at their training mean in ``mastery``.
GENERIC = (
    ("bias", 0),
    ("skill_wins", 1),
    ("skill_fails", -1),
    ("skill_surprise_wins", 1),
    ("skill_surprise_fails", -1),
    ("skill_recent_wins", 1),
    ("skill_recent_fails", -1),
    ("skill_rate", 1),
    ("skill_last_correct", 1),
    ("skill_last_wrong", -1),
    ("skill_new", 0),
    ("skill_gap", 0),
    ("skill_seconds", 0),
    ("item_wins", 1),
    ("item_fails", -1),
    ("item_last_correct", 1),
    ("item_last_wrong", -1),
    ("item_seen", 0),
    ("item_gap", 0),
    ("total_wins", 1),
    ("total_fails", -1),
    ("surprise_wins", 1),
    ("surprise_fails", -1),
    ("recent_wins", 1),
    ("recent_fails", -1),
    ("total_rate", 1),
    ("last_correct", 1),
    ("last_wrong", -1),
    ("seconds", 0),
)
G = len(GENERIC)
_INDEX = {name: i for i, (name, _) in enumerate(GENERIC)}
SIGNS = np.array([sign for _, sign in GENERIC])
NEUTRAL = np.array([sign == 0 and name != "bias" for name, sign in GENERIC])
ITEM_FEATURES = np.array([name.startswith("item_") for name, _ in GENERIC])
TIME_FEATURES = np.array([name in ("skill_seconds", "seconds") for name, _ in GENERIC])

(
    _BIAS,
    _SKILL_WINS,
    _SKILL_FAILS,
    _SKILL_SURPRISE_WINS,
    _SKILL_SURPRISE_FAILS,
    _SKILL_RECENT_WINS,
    _SKILL_RECENT_FAILS,
    _SKILL_RATE,
    _SKILL_LAST_CORRECT,
    _SKILL_LAST_WRONG,
    _SKILL_NEW,
    _SKILL_GAP,
    _SKILL_SECONDS,
    _ITEM_WINS,
    _ITEM_FAILS,
    _ITEM_LAST_CORRECT,
    _ITEM_LAST_WRONG,
    _ITEM_SEEN,
    _ITEM_GAP,
    _TOTAL_WINS,
    _TOTAL_FAILS,
    _SURPRISE_WINS,
    _SURPRISE_FAILS,
    _RECENT_WINS,
    _RECENT_FAILS,
    _TOTAL_RATE,
    _LAST_CORRECT,
    _LAST_WRONG,
    _SECONDS,
) = range(G)

FAST, SLOW, TOTAL_SLOW = 0.5, 0.8, 0.9
LOG2 = math.log(2.0)

# Cold start (no training data): hand-set weights, rounded from a fit of the generic features
# alone on the public logs in ../shared/data/kt (item difficulty unknown).
COLD_START = {
    "bias": -0.05,
    "skill_wins": 0.4,
    "skill_fails": -0.05,
    "skill_surprise_wins": 0.2,
    "skill_surprise_fails": -0.15,
    "skill_recent_wins": 0.2,
    "skill_recent_fails": -0.4,
    "skill_new": -0.4,
    "skill_gap": -0.2,
    "item_wins": 0.4,
    "item_fails": -0.05,
    "item_seen": -0.2,
    "item_gap": -0.2,
    "total_wins": 0.35,
    "surprise_fails": -0.45,
    "total_rate": 1.65,
}


class _Tracker:
    """The running counts of one sequence; ``row`` gives the features of a next response."""

    __slots__ = (
        "base",
        "base_default",
        "items",
        "last2",
        "last_item",
        "n",
        "real_time",
        "skills",
        "t_last",
        "tot",
    )

    def __init__(self, real_time: bool, base: dict[str, float], base_default: float):
        self.real_time = real_time
        self.base = base
        self.base_default = base_default
        # per skill: [wins, fails, fast wins, fast fails, slow wins, slow fails, last, pos, time,
        #             surprise wins, surprise fails]
        self.skills: dict[str, list[float]] = {}
        # per item: [wins, fails, last, pos]
        self.items: dict[str, list[float]] = {}
        # wins, fails, fast wins, fast fails, slow wins, slow fails, last (-1 none),
        # surprise wins, surprise fails
        self.tot = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0]
        self.n = 0
        self.t_last = None
        self.last_item = None
        self.last2 = -1.0  # correctness of the response before the last (-1: none)

    def row(self, item: str, skills: Sequence[str], ts: float | None) -> list[float]:
        f = [0.0] * G
        f[_BIAS] = 1.0
        n = self.n
        if skills:
            k = 1.0 / len(skills)
            sw = sf = uw = uf = rw = rf = rate = lc = lw = new = gap = sec = 0.0
            for skill in skills:
                st = self.skills.get(skill)
                if st is None:
                    new += 1.0
                    rate += 0.5
                    continue
                sw += math.log1p(st[0])
                sf += math.log1p(st[1])
                uw += math.log1p(st[9])
                uf += math.log1p(st[10])
                rw += st[2]
                rf += st[3]
                rate += (st[4] + 0.5) / (st[4] + st[5] + 1.0)
                if st[6] > 0.5:
                    lc += 1.0
                else:
                    lw += 1.0
                gap += math.log1p(n - st[7])
                if self.real_time and ts is not None:
                    sec += math.log1p(max(ts - st[8], 0.0))
            f[_SKILL_WINS] = sw * k
            f[_SKILL_FAILS] = sf * k
            f[_SKILL_SURPRISE_WINS] = uw * k
            f[_SKILL_SURPRISE_FAILS] = uf * k
            f[_SKILL_RECENT_WINS] = rw * k
            f[_SKILL_RECENT_FAILS] = rf * k
            f[_SKILL_RATE] = rate * k
            f[_SKILL_LAST_CORRECT] = lc * k
            f[_SKILL_LAST_WRONG] = lw * k
            f[_SKILL_NEW] = new * k
            f[_SKILL_GAP] = gap * k
            f[_SKILL_SECONDS] = sec * k
        else:
            f[_SKILL_RATE] = 0.5
            f[_SKILL_NEW] = 1.0
        it = self.items.get(item)
        if it is not None:
            f[_ITEM_WINS] = math.log1p(it[0])
            f[_ITEM_FAILS] = math.log1p(it[1])
            if it[2] > 0.5:
                f[_ITEM_LAST_CORRECT] = 1.0
            else:
                f[_ITEM_LAST_WRONG] = 1.0
            f[_ITEM_SEEN] = 1.0
            f[_ITEM_GAP] = math.log1p(n - it[3])
        tot = self.tot
        f[_TOTAL_WINS] = math.log1p(tot[0])
        f[_TOTAL_FAILS] = math.log1p(tot[1])
        f[_SURPRISE_WINS] = math.log1p(tot[7])
        f[_SURPRISE_FAILS] = math.log1p(tot[8])
        f[_RECENT_WINS] = tot[2]
        f[_RECENT_FAILS] = tot[3]
        f[_TOTAL_RATE] = (tot[4] + 0.5) / (tot[4] + tot[5] + 1.0)
        if tot[6] == 1.0:
            f[_LAST_CORRECT] = 1.0
        elif tot[6] == 0.0:
            f[_LAST_WRONG] = 1.0
        if self.real_time and ts is not None and self.t_last is not None:
            f[_SECONDS] = math.log1p(max(ts - self.t_last, 0.0))
        return f

    def update(self, item: str, skills: Sequence[str], correct: int, ts: float) -> None:
        c = float(correct)
        w = 1.0 - c
        b = self.base.get(item, self.base_default)
        uc, uw = c * (1.0 - b), w * b  # success beyond, failure below, the expected
        n = self.n
        for skill in skills:
            st = self.skills.get(skill)
            if st is None:
                self.skills[skill] = [c, w, c, w, c, w, c, n, ts, uc, uw]
            else:
                st[0] += c
                st[1] += w
                st[2] = FAST * st[2] + c
                st[3] = FAST * st[3] + w
                st[4] = SLOW * st[4] + c
                st[5] = SLOW * st[5] + w
                st[6] = c
                st[7] = n
                st[8] = ts
                st[9] += uc
                st[10] += uw
        it = self.items.get(item)
        if it is None:
            self.items[item] = [c, w, c, n]
        else:
            it[0] += c
            it[1] += w
            it[2] = c
            it[3] = n
        tot = self.tot
        tot[0] += c
        tot[1] += w
        tot[2] = FAST * tot[2] + c
        tot[3] = FAST * tot[3] + w
        tot[4] = TOTAL_SLOW * tot[4] + c
        tot[5] = TOTAL_SLOW * tot[5] + w
        self.last2 = tot[6]
        tot[6] = c
        tot[7] += uc
        tot[8] += uw
        self.n = n + 1
        self.t_last = ts
        self.last_item = item


class ClassicalModel(KTModel):
    """Logistic regression on hand-made features; see the module docstring."""

    kind = "classical"

    # Identity blocks after the generic features: (name, L2 scale, sign of the weights).
    # "after_right"/"after_wrong": the question's own shift when the previous response (to any
    # question) was right/wrong; "prev_right"/"prev_wrong": the shift of any next question
    # after a right/wrong response to this one.
    ITEM_BLOCKS = (
        ("item", 1.0, 0),
        ("after_right", 3.0, 0),
        ("after_wrong", 3.0, 0),
        ("prev_right", 3.0, 0),
        ("prev_wrong", 3.0, 0),
        ("after2_right", 3.0, 0),
        ("after2_wrong", 3.0, 0),
        ("slope", 3.0, 0),
        ("skill_slope", 3.0, 0),
        ("surprise_slope", 3.0, 0),
        ("recent_slope", 3.0, 0),
    )
    SKILL_BLOCKS = (("skill", 1.0, 0), ("skill_wins", 3.0, 1), ("skill_fails", 3.0, -1))

    def __init__(
        self,
        *,
        min_count: int = 5,
        l2_grid: Sequence[float] = (1e-5, 3e-5, 1e-4, 3e-4),
        max_iter: int = 400,
    ):
        self.min_count = min_count
        self.l2_grid = tuple(l2_grid)
        self.max_iter = max_iter
        self.real_time = False
        self.item_index: dict[str, int] = {}
        self.skill_index: dict[str, int] = {}
        self.w = np.zeros(G)
        self.base_rate: dict[str, float] = {}
        self.base_default = 0.65
        self.item_default = 0.0
        self.skill_item_mean = np.zeros(0)
        self.neutral_mean = np.zeros(G)
        self.l2 = None
        self._layout()

    @classmethod
    def cold_start(cls) -> ClassicalModel:
        model = cls()
        for name, value in COLD_START.items():
            model.w[_INDEX[name]] = value
        return model

    def _layout(self) -> None:
        """Column offsets of the identity blocks for the current vocabularies."""
        n_items, n_skills = len(self.item_index), len(self.skill_index)
        self.offset: dict[str, int] = {}
        at = G
        for name, _, _ in self.ITEM_BLOCKS:
            self.offset[name] = at
            at += n_items
        for name, _, _ in self.SKILL_BLOCKS:
            self.offset[name] = at
            at += n_skills
        self.n_columns = at

    def _block_vector(self, which: int) -> np.ndarray:
        """Per column: the L2 scale (which=1) or sign constraint (which=2)."""
        generic = np.full(G, 1e-3) if which == 1 else SIGNS.astype(np.float64)
        if which == 1:
            generic[_BIAS] = 0.0
        parts = [generic]
        parts += [np.full(len(self.item_index), b[which]) for b in self.ITEM_BLOCKS]
        parts += [np.full(len(self.skill_index), b[which]) for b in self.SKILL_BLOCKS]
        return np.concatenate(parts)

    # features
    def _identity(self, tracker: _Tracker, item: str, skills, row, cols, vals) -> None:
        """The identity columns of a next response (appended to ``cols``/``vals``)."""
        off = self.offset
        i = self.item_index.get(item)
        last = tracker.tot[6]
        if i is not None:
            cols.append(off["item"] + i)
            vals.append(1.0)
            if last >= 0.0:
                cols.append(off["after_right" if last == 1.0 else "after_wrong"] + i)
                vals.append(1.0)
            if tracker.last2 >= 0.0:
                cols.append(off["after2_right" if tracker.last2 == 1.0 else "after2_wrong"] + i)
                vals.append(1.0)
            if row is not None:
                cols.append(off["slope"] + i)
                vals.append(row[_TOTAL_RATE] - 0.5)
                cols.append(off["skill_slope"] + i)
                vals.append(row[_SKILL_RATE] - 0.5)
                cols.append(off["surprise_slope"] + i)
                vals.append(row[_SURPRISE_WINS] - row[_SURPRISE_FAILS])
                cols.append(off["recent_slope"] + i)
                vals.append(row[_RECENT_WINS] - row[_RECENT_FAILS])
        if tracker.last_item is not None:
            j = self.item_index.get(tracker.last_item)
            if j is not None:
                cols.append(off["prev_right" if last == 1.0 else "prev_wrong"] + j)
                vals.append(1.0)
        for skill in skills:
            j = self.skill_index.get(skill)
            if j is None:
                continue
            cols.append(off["skill"] + j)
            vals.append(1.0)
            st = tracker.skills.get(skill)
            if st is not None:
                cols.append(off["skill_wins"] + j)
                vals.append(math.log1p(st[0]))
                cols.append(off["skill_fails"] + j)
                vals.append(math.log1p(st[1]))

    def _design(self, sequences: Sequence[History]):
        """Generic features (dense), identity columns (CSR) and labels of every response."""
        rows: list[list[float]] = []
        cols: list[int] = []
        vals: list[float] = []
        indptr = [0]
        labels: list[int] = []
        for seq in sequences:
            tracker = _Tracker(self.real_time, self.base_rate, self.base_default)
            for item, skills, c, ts in zip(
                seq.items, seq.skills, seq.correct, seq.timestamps, strict=True
            ):
                row = tracker.row(item, skills, ts)
                rows.append(row)
                self._identity(tracker, item, skills, row, cols, vals)
                indptr.append(len(cols))
                labels.append(c)
                tracker.update(item, skills, c, ts)
        dense = np.array(rows, dtype=np.float64).reshape(-1, G)
        if not self.real_time:
            dense[:, TIME_FEATURES] = 0.0
        ident = sparse.csr_matrix(
            (
                np.array(vals, dtype=np.float64),
                np.array(cols, dtype=np.int64) - G,
                np.array(indptr, dtype=np.int64),
            ),
            shape=(len(labels), self.n_columns - G),
        )
        return dense, ident, np.array(labels, dtype=np.float64)

    # training
    def fit(self, sequences: Sequence[History], *, valid: Sequence[History] | None = None):
        sequences = [s for s in sequences if len(s)]
        if not sequences:
            raise ValueError("no responses to train on")
        self.real_time = looks_like_seconds(sequences)
        self.item_index = _vocabulary((i for s in sequences for i in s.items), self.min_count)
        self.skill_index = _vocabulary(
            (k for s in sequences for row in s.skills for k in row), self.min_count
        )
        self._layout()
        self.base_default, self.base_rate = _base_rates(sequences, self.item_index)
        dense, ident, y = self._design(sequences)
        X = sparse.hstack([sparse.csr_matrix(dense), ident], format="csr")
        penalty = self._block_vector(1)
        signs = self._block_vector(2)
        bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs]
        valid = [s for s in valid or [] if len(s)]
        grid = sorted(self.l2_grid, reverse=True) if valid else [float(np.median(self.l2_grid))]
        if valid:
            vd, vi, vy = self._design(valid)
            Xv = sparse.hstack([sparse.csr_matrix(vd), vi], format="csr")
        w = np.zeros(X.shape[1])
        w[_BIAS] = _logit_mean(y)
        best = (math.inf, w, grid[0])
        for l2 in grid:
            w = _fit_logistic(X, y, w, l2 * penalty, bounds, self.max_iter)
            if not valid:
                best = (0.0, w, l2)
                break
            loss = _log_loss(Xv @ w, vy)
            if loss < best[0]:
                best = (loss, w.copy(), l2)
        _, self.w, self.l2 = best
        # the item term of a typical question, overall and per knowledge point
        n_items, n_skills = len(self.item_index), len(self.skill_index)
        item_terms = ident[:, :n_items] @ self.w[G : G + n_items]
        self.item_default = float(item_terms.mean())
        at = self.offset["skill"] - G
        skill_rows = ident[:, at : at + n_skills].T
        per_skill = np.asarray(skill_rows.sum(axis=1)).ravel()
        self.skill_item_mean = (skill_rows @ item_terms) / np.maximum(per_skill, 1.0)
        self.neutral_mean = np.where(NEUTRAL, dense.mean(axis=0), 0.0)
        return self

    # prediction
    def _track(self, history: History) -> _Tracker:
        tracker = _Tracker(self.real_time, self.base_rate, self.base_default)
        for item, skills, c, ts in zip(
            history.items, history.skills, history.correct, history.timestamps, strict=True
        ):
            tracker.update(item, skills, c, ts)
        return tracker

    def _logit(self, tracker: _Tracker, item: str, skills: Sequence[str], ts) -> float:
        f = tracker.row(item, skills, ts if self.real_time else None)
        z = float(np.dot(self.w[:G], f))
        cols: list[int] = []
        vals: list[float] = []
        self._identity(tracker, item, skills, f, cols, vals)
        w = self.w
        for c, v in zip(cols, vals, strict=True):
            z += w[c] * v
        return z

    def _predict_next(self, history, item, skills, timestamp) -> float:
        tracker = self._track(history)
        if timestamp is None:
            timestamp = tracker.t_last
        return float(sigmoid(self._logit(tracker, item, skills, timestamp)))

    def _mastery(self, history, skills) -> list[float]:
        """Per skill: a typical question of it, after the history, whatever came just before."""
        tracker = self._track(history)
        tracker.last_item = None  # drop the shifts tied to the previous question
        out = []
        for skill in skills:
            f = np.array(tracker.row("", [skill], None))
            f[ITEM_FEATURES] = 0.0
            f[NEUTRAL] = self.neutral_mean[NEUTRAL]
            cols: list[int] = []
            vals: list[float] = []
            self._identity(tracker, "", [skill], None, cols, vals)
            z = float(self.w[:G] @ f) + sum(self.w[c] * v for c, v in zip(cols, vals, strict=True))
            j = self.skill_index.get(skill)
            z += self.skill_item_mean[j] if j is not None else self.item_default
            out.append(float(sigmoid(z)))
        return out

    def predict_sequences(self, sequences: Sequence[History]) -> list[np.ndarray]:
        if not sequences:
            return []
        dense, ident, _ = self._design(sequences)
        p = sigmoid(dense @ self.w[:G] + ident @ self.w[G:])
        return np.split(p, np.cumsum([len(s) for s in sequences])[:-1])

    # storage
    def _state(self):
        meta = {
            "min_count": self.min_count,
            "l2_grid": list(self.l2_grid),
            "max_iter": self.max_iter,
            "real_time": self.real_time,
            "item_default": self.item_default,
            "base_default": self.base_default,
            "l2": self.l2,
        }
        arrays = {
            "items": np.array(list(self.item_index), dtype=str),
            "skills": np.array(list(self.skill_index), dtype=str),
            "base_rate": np.array(
                [self.base_rate.get(i, self.base_default) for i in self.item_index]
            ),
            "w": self.w,
            "neutral_mean": self.neutral_mean,
            "skill_item_mean": self.skill_item_mean,
        }
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays):
        model = cls(min_count=meta["min_count"], l2_grid=meta["l2_grid"], max_iter=meta["max_iter"])
        model.real_time = meta["real_time"]
        model.item_default = meta["item_default"]
        model.base_default = meta["base_default"]
        model.l2 = meta["l2"]
        model.item_index = {str(k): i for i, k in enumerate(arrays["items"].tolist())}
        model.skill_index = {str(k): i for i, k in enumerate(arrays["skills"].tolist())}
        model._layout()
        model.base_rate = dict(zip(model.item_index, arrays["base_rate"].tolist(), strict=True))
        model.w = arrays["w"].astype(np.float64)
        if len(model.w) != model.n_columns:
            raise ValueError("stored weights do not match the stored vocabularies")
        model.neutral_mean = arrays["neutral_mean"].astype(np.float64)
        model.skill_item_mean = arrays["skill_item_mean"].astype(np.float64)
        return model


def _vocabulary(values, min_count: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return {v: i for i, v in enumerate(sorted(v for v, n in counts.items() if n >= min_count))}


def _base_rates(sequences, item_index, prior: float = 5.0) -> tuple[float, dict[str, float]]:
    """The success rate overall and of each item in ``item_index`` (shrunk to the overall)."""
    wins: dict[str, float] = {}
    counts: dict[str, int] = {}
    for seq in sequences:
        for item, c in zip(seq.items, seq.correct, strict=True):
            wins[item] = wins.get(item, 0.0) + c
            counts[item] = counts.get(item, 0) + 1
    overall = sum(wins.values()) / max(sum(counts.values()), 1)
    rates = {item: (wins[item] + prior * overall) / (counts[item] + prior) for item in item_index}
    return overall, rates


def _logit_mean(y: np.ndarray) -> float:
    p = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
    return math.log(p / (1 - p))


def _log_loss(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _fit_logistic(X, y, w0, l2, bounds, max_iter) -> np.ndarray:
    n = X.shape[0]
    XT = X.T.tocsr()

    def objective(w):
        z = X @ w
        loss = np.sum(np.logaddexp(0.0, z) - y * z) / n + 0.5 * np.sum(l2 * w * w)
        grad = XT @ (sigmoid(z) - y) / n + l2 * w
        return loss, grad

    w0 = np.clip(
        w0,
        [b[0] if b[0] is not None else -np.inf for b in bounds],
        [b[1] if b[1] is not None else np.inf for b in bounds],
    )
    result = optimize.minimize(
        objective,
        w0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "ftol": 1e-10, "gtol": 1e-6},
    )
    return result.x
