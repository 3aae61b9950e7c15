"""
A question-aware recurrent model (DKT with item and knowledge-point embeddings) with an
attention read-out over past responses (SAKT/AKT-style, with a learned decay by distance).

A response is embedded as question (item + mean of its knowledge points) times correctness; an
LSTM summarises the responses so far; the prediction for a next question combines its state,
the question's embedding and attention over earlier responses keyed by question similarity,
how much relevant history the attention found, plus item and knowledge-point difficulty. Early
stopping on validation AUC, halving the learning rate when it stalls; dropout and weight decay.
When timestamps are real seconds, the time since the previous response is embedded too.

Items and knowledge points seen fewer than ``min_count`` times in training share an "unknown"
embedding, also used (randomly) during training so that unknown ids and ``mastery`` (a typical
question of a knowledge point) work.

torch is imported on first use (``_torch()``), never at module import.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import numpy as np

from .base import KTModel, looks_like_seconds
from .data import History

PAD, UNK = 0, 1
MAX_SKILLS = 8
GAP_BUCKETS = 32
MASTERY_STEP = 0.01

_NET = None
logger = logging.getLogger(__name__)


def _torch():
    import torch

    from . import threads

    threads.apply(torch)
    return torch


def _net_class():
    """The torch module class, defined on first use so importing this module stays light."""
    global _NET
    if _NET is not None:
        return _NET
    torch = _torch()
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(
            self, n_items, n_skills, dim, hidden, heads, dropout, time_gaps, cell, evidence
        ):
            super().__init__()
            self.heads = heads
            self.evidence = evidence
            self.item = nn.Embedding(n_items, dim, padding_idx=PAD)
            self.skill = nn.Embedding(n_skills, dim, padding_idx=PAD)
            self.item_bias = nn.Embedding(n_items, 1, padding_idx=PAD)
            self.skill_bias = nn.Embedding(n_skills, 1, padding_idx=PAD)
            self.gap = nn.Embedding(GAP_BUCKETS, dim) if time_gaps else None
            rnn = nn.LSTM if cell == "lstm" else nn.GRU
            self.rnn = rnn(2 * dim, hidden, batch_first=True)
            self.h0 = nn.Parameter(torch.zeros(hidden))
            self.q_proj = nn.Linear(dim, dim)
            self.k_proj = nn.Linear(dim, dim)
            self.v_proj = nn.Linear(2 * dim, dim)
            self.decay = nn.Parameter(torch.zeros(heads))
            self.drop = nn.Dropout(dropout)
            self.out = nn.Sequential(
                nn.Linear(hidden + 2 * dim + (heads if evidence else 0), hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(hidden, 1),
            )
            for emb in (self.item, self.skill):
                nn.init.normal_(emb.weight, std=0.1)
            for emb in (self.item_bias, self.skill_bias):
                nn.init.zeros_(emb.weight)
            if self.gap is not None:
                nn.init.normal_(self.gap.weight, std=0.1)
            with torch.no_grad():
                for emb in (self.item, self.skill):
                    emb.weight[PAD].zero_()

        def question(self, items, skills, gaps):
            """Embedding (B, T, d) and difficulty (B, T) of questions."""
            present = (skills > 0).float()
            n = present.sum(-1).clamp(min=1.0)
            q = self.item(items) + self.skill(skills).sum(2) / n.unsqueeze(-1)
            bias = (
                self.item_bias(items).squeeze(-1) + self.skill_bias(skills).squeeze(-1).sum(-1) / n
            )
            if self.gap is not None:
                q = q + self.gap(gaps)
            return q, bias

        def encode(self, q, correct):
            c = correct.unsqueeze(-1)
            x = torch.cat([q * c, q * (1.0 - c)], -1)
            hs, _ = self.rnn(x)
            return hs, x

        def attend(self, query, keys, values, allowed, distance):
            B, Tq, d = query.shape
            Tk = keys.shape[1]
            H = self.heads
            dh = d // H
            Q = self.q_proj(query).view(B, Tq, H, dh).transpose(1, 2)
            K = self.k_proj(keys).view(B, Tk, H, dh).transpose(1, 2)
            V = self.v_proj(values).view(B, Tk, H, dh).transpose(1, 2)
            s = Q @ K.transpose(-1, -2) / math.sqrt(dh)
            s = s - F.softplus(self.decay).view(1, H, 1, 1) * torch.log1p(distance)
            s = s.masked_fill(~allowed, float("-inf"))
            s = torch.cat([s.new_zeros(B, H, Tq, 1), s], -1)  # a null slot: attend to nothing
            w = torch.softmax(s, -1)[..., 1:]
            read = self.drop((w @ V).transpose(1, 2).reshape(B, Tq, d))
            if self.evidence:  # how much relevant history there is, per head
                read = torch.cat([read, torch.logsumexp(s, -1).transpose(1, 2)], -1)
            return read

        def readout(self, prev, q, read, bias):
            z = self.out(torch.cat([self.drop(prev), q, read], -1)).squeeze(-1)
            return z + bias

        def forward(self, items, skills, correct, gaps):
            """Logit of every position given the earlier positions only."""
            q, bias = self.question(items, skills, gaps)
            B, T, _ = q.shape
            hs, x = self.encode(q, correct)
            prev = torch.cat([self.h0.expand(B, 1, -1), hs[:, :-1]], 1)
            pos = torch.arange(T, device=q.device)
            allowed = pos.view(T, 1) > pos.view(1, T)
            distance = (pos.view(T, 1) - pos.view(1, T)).clamp(min=0).float()
            read = self.attend(q, q, x, allowed, distance)
            return self.readout(prev, q, read, bias)

        def next_logits(self, items, skills, correct, gaps, t_items, t_skills, t_gaps):
            """Logits (Q,) of Q next questions after one history (tensors with batch 1)."""
            tq, tbias = self.question(t_items, t_skills, t_gaps)
            Qn = tq.shape[1]
            T = items.shape[1]
            if T == 0:
                prev = self.h0.expand(1, Qn, -1)
                width = tq.shape[-1] + (self.heads if self.evidence else 0)
                read = tq.new_zeros((1, Qn, width))
            else:
                q, _ = self.question(items, skills, gaps)
                hs, x = self.encode(q, correct)
                prev = hs[:, -1:].expand(1, Qn, -1)
                allowed = torch.ones(Qn, T, dtype=torch.bool)
                distance = (T - torch.arange(T)).float().expand(Qn, T)
                read = self.attend(tq, q, x, allowed, distance)
            return self.readout(prev, tq, read, tbias)[0]

        def prefix_logits(self, items, skills, correct, gaps, t_items, t_skills, positions):
            """Logits (P,) of next questions P after the first ``positions`` responses."""
            tq, tbias = self.question(t_items, t_skills, torch.zeros_like(t_items))
            T = items.shape[1]
            q, _ = self.question(items, skills, gaps)
            hs, x = self.encode(q, correct)
            states = torch.cat([self.h0.view(1, 1, -1), hs], 1)  # state after p responses
            prev = states[:, positions]
            j = torch.arange(T)
            allowed = j.view(1, T) < positions.view(-1, 1)
            distance = (positions.view(-1, 1) - j.view(1, T)).clamp(min=0).float()
            read = self.attend(tq, q, x, allowed, distance)
            return self.readout(prev, tq, read, tbias)[0]

    _NET = Net
    return Net


class NeuralModel(KTModel):
    """See the module docstring. Deterministic for a given ``seed`` and thread count."""

    kind = "neural"

    def __init__(
        self,
        *,
        dim: int = 64,
        hidden: int = 128,
        heads: int = 4,
        cell: str = "lstm",
        evidence: bool = True,
        dropout: float = 0.2,
        lr: float = 2e-3,
        weight_decay: float = 1e-5,
        batch_size: int = 32,
        max_epochs: int = 40,
        patience: int = 4,
        lr_decay: float = 0.5,
        max_seconds: float = 480.0,
        min_count: int = 3,
        unknown_rate: float = 0.05,
        max_len: int = 200,
        seed: int = 0,
    ):
        self.options = {
            "dim": dim,
            "hidden": hidden,
            "heads": heads,
            "cell": cell,
            "evidence": evidence,
            "dropout": dropout,
            "lr": lr,
            "weight_decay": weight_decay,
            "batch_size": batch_size,
            "max_epochs": max_epochs,
            "patience": patience,
            "lr_decay": lr_decay,
            "max_seconds": max_seconds,
            "min_count": min_count,
            "unknown_rate": unknown_rate,
            "max_len": max_len,
            "seed": seed,
        }
        self.item_index: dict[str, int] = {}
        self.skill_index: dict[str, int] = {}
        self.real_time = False
        self.net = None
        self.epochs = 0

    # encoding
    def _encode(self, seq: History):
        """Index arrays of one sequence: items (T,), skills (T, K), correct (T,), gaps (T,)."""
        n = len(seq)
        items = np.fromiter((self.item_index.get(i, UNK) for i in seq.items), np.int64, n)
        k = max(1, min(MAX_SKILLS, max((len(s) for s in seq.skills), default=1)))
        skills = np.zeros((n, k), dtype=np.int64)
        for t, row in enumerate(seq.skills):
            for j, s in enumerate(row[:k]):
                skills[t, j] = self.skill_index.get(s, UNK)
        correct = np.asarray(seq.correct, dtype=np.float32)
        gaps = self._gaps(seq.timestamps)
        return items, skills, correct, gaps

    def _gaps(self, timestamps: Sequence[float]) -> np.ndarray:
        gaps = np.zeros(len(timestamps), dtype=np.int64)
        if self.real_time and len(timestamps) > 1:
            diff = np.maximum(np.diff(np.asarray(timestamps, dtype=np.float64)), 0.0)
            gaps[1:] = 1 + np.minimum(np.log2(1.0 + diff).astype(np.int64), GAP_BUCKETS - 2)
        return gaps

    def _batch(self, encoded: list):
        torch = _torch()
        B = len(encoded)
        T = max(len(e[0]) for e in encoded)
        K = max(e[1].shape[1] for e in encoded)
        items = np.zeros((B, T), dtype=np.int64)
        skills = np.zeros((B, T, K), dtype=np.int64)
        correct = np.zeros((B, T), dtype=np.float32)
        gaps = np.zeros((B, T), dtype=np.int64)
        mask = np.zeros((B, T), dtype=bool)
        for b, (it, sk, c, g) in enumerate(encoded):
            n = len(it)
            items[b, :n] = it
            skills[b, :n, : sk.shape[1]] = sk
            correct[b, :n] = c
            gaps[b, :n] = g
            mask[b, :n] = True
        return tuple(torch.from_numpy(a) for a in (items, skills, correct, gaps, mask))

    # training
    def fit(self, sequences: Sequence[History], *, valid: Sequence[History] | None = None):
        torch = _torch()
        opts = self.options
        rng = np.random.default_rng(opts["seed"])
        torch.manual_seed(opts["seed"])
        sequences = [w for s in sequences for w in s.windows(opts["max_len"]) if len(w)]
        if not sequences:
            raise ValueError("no responses to train on")
        if valid is None and len(sequences) >= 20:
            order = rng.permutation(len(sequences))
            n_valid = max(2, len(sequences) // 10)
            valid = [sequences[i] for i in order[:n_valid]]
            sequences = [sequences[i] for i in order[n_valid:]]
        valid = [w for s in valid or [] for w in s.windows(opts["max_len"]) if len(w)]
        self.real_time = looks_like_seconds(sequences)
        self.item_index = _vocabulary((i for s in sequences for i in s.items), opts["min_count"])
        self.skill_index = _vocabulary(
            (k for s in sequences for row in s.skills for k in row), opts["min_count"]
        )
        self.net = _net_class()(
            len(self.item_index) + 2,
            len(self.skill_index) + 2,
            opts["dim"],
            opts["hidden"],
            opts["heads"],
            opts["dropout"],
            self.real_time,
            opts["cell"],
            opts["evidence"],
        )
        train = [self._encode(s) for s in sequences]
        valid_encoded = [self._encode(s) for s in valid]
        optimizer = torch.optim.AdamW(
            self.net.parameters(), lr=opts["lr"], weight_decay=opts["weight_decay"]
        )
        best_auc, best_state, bad = -math.inf, None, 0
        start = time.perf_counter()
        for epoch in range(opts["max_epochs"]):
            self.net.train()
            for batch in _batches(train, opts["batch_size"], rng):
                items, skills, correct, gaps, mask = self._batch(batch)
                if opts["unknown_rate"] > 0:
                    drop = torch.rand(items.shape) < opts["unknown_rate"]
                    items = torch.where(drop & (items > PAD), UNK, items)
                    drop = torch.rand(skills.shape) < opts["unknown_rate"]
                    skills = torch.where(drop & (skills > PAD), UNK, skills)
                logits = self.net(items, skills, correct, gaps)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits[mask], correct[mask]
                )
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                optimizer.step()
            self.epochs = epoch + 1
            elapsed = time.perf_counter() - start
            out_of_time = elapsed * (epoch + 2) / (epoch + 1) > opts["max_seconds"]
            if not valid_encoded:
                if out_of_time:
                    break
                continue
            auc = _auc(self._predict_encoded(valid_encoded), valid_encoded)
            logger.debug("epoch %d: valid AUC %.4f after %.0fs", epoch + 1, auc, elapsed)
            if math.isnan(auc):  # one outcome only in the validation data: keep the last
                best_state = None
            elif auc > best_auc + 1e-4:
                best_auc, bad = auc, 0
                best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            else:
                bad += 1
                for group in optimizer.param_groups:
                    group["lr"] *= opts["lr_decay"]
            if bad >= opts["patience"] or out_of_time:
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()
        self.valid_auc = best_auc
        return self

    # prediction
    def _predict_encoded(self, encoded: list, batch_size: int = 64) -> list[np.ndarray]:
        torch = _torch()
        self.net.eval()
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        out: list[np.ndarray] = [None] * len(encoded)  # type: ignore[list-item]
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                items, skills, correct, gaps, _ = self._batch([encoded[i] for i in idx])
                p = torch.sigmoid(self.net(items, skills, correct, gaps)).numpy()
                for row, i in enumerate(idx):
                    out[i] = p[row, : len(encoded[i][0])].astype(np.float64)
        return out

    def predict_sequences(self, sequences: Sequence[History]) -> list[np.ndarray]:
        size = self.options["max_len"]
        out = []
        # a longer sequence is predicted window by window, as in training
        parts = [(i, w) for i, s in enumerate(sequences) for w in s.windows(size)]
        predicted = self._predict_encoded([self._encode(w) for _, w in parts if len(w)])
        pieces: list[list[np.ndarray]] = [[] for _ in sequences]
        it = iter(predicted)
        for i, w in parts:
            pieces[i].append(next(it) if len(w) else np.zeros(0))
        for chunks in pieces:
            out.append(np.concatenate(chunks) if chunks else np.zeros(0))
        return out

    def _next(self, history: History, targets: list[tuple[int, list[int]]], target_time):
        torch = _torch()
        history = history.slice(max(0, len(history) - self.options["max_len"]))
        items, skills, correct, gaps = self._encode(history)
        k = max([skills.shape[1]] + [len(s) for _, s in targets])
        t_items = np.array([[i for i, _ in targets]], dtype=np.int64)
        t_skills = np.zeros((1, len(targets), k), dtype=np.int64)
        for j, (_, row) in enumerate(targets):
            t_skills[0, j, : len(row)] = row
        gap = 0
        if self.real_time and target_time is not None and len(history):
            gap = 1 + min(
                int(np.log2(1.0 + max(target_time - history.timestamps[-1], 0.0))),
                GAP_BUCKETS - 2,
            )
        t_gaps = np.full((1, len(targets)), gap, dtype=np.int64)
        if skills.shape[1] < k:
            skills = np.pad(skills, ((0, 0), (0, k - skills.shape[1])))
        with torch.inference_mode():
            logits = self.net.next_logits(
                torch.from_numpy(items[None]),
                torch.from_numpy(skills[None]),
                torch.from_numpy(correct[None]),
                torch.from_numpy(gaps[None]),
                torch.from_numpy(t_items),
                torch.from_numpy(t_skills),
                torch.from_numpy(t_gaps),
            )
        return torch.sigmoid(logits).numpy().astype(np.float64)

    def _skill_ids(self, skills: Sequence[str]) -> list[int]:
        return [self.skill_index.get(s, UNK) for s in skills[:MAX_SKILLS]]

    def _predict_next(self, history, item, skills, timestamp) -> float:
        target = (self.item_index.get(item, UNK), self._skill_ids(skills))
        return float(self._next(history, [target], timestamp)[0])

    def _mastery(self, history, skills) -> list[float]:
        """
        The prediction for an unknown question of each knowledge point, kept moving the right
        way: after a right (wrong) answer on it, mastery rises (falls) by at least MASTERY_STEP
        of the way, even where the network reads the sequence otherwise (a retry pattern, say).
        """
        torch = _torch()
        history = history.slice(max(0, len(history) - self.options["max_len"]))
        n = len(history)
        if n == 0:
            targets = [(UNK, self._skill_ids([s])) for s in skills]
            return self._next(history, targets, None).tolist()
        starts, positions, rows = [], [], []
        for r, skill in enumerate(skills):
            k = 0  # responses at the end of the history that involve the skill
            while k < n and skill in history.skills[n - 1 - k]:
                k += 1
            starts.append(len(positions))
            positions += range(n - k, n + 1)
            rows += [r] * (k + 1)
        items, skill_ids, correct, gaps = self._encode(history)
        ids = [self._skill_ids([skills[r]])[0] for r in rows]
        with torch.inference_mode():
            logits = self.net.prefix_logits(
                torch.from_numpy(items[None]),
                torch.from_numpy(skill_ids[None]),
                torch.from_numpy(correct[None]),
                torch.from_numpy(gaps[None]),
                torch.full((1, len(ids)), UNK, dtype=torch.int64),
                torch.tensor(ids, dtype=torch.int64).view(1, -1, 1),
                torch.tensor(positions, dtype=torch.int64),
            )
        f = torch.sigmoid(logits).numpy().astype(np.float64)
        out = []
        for r in range(len(skills)):
            first = starts[r]
            last = starts[r + 1] - 1 if r + 1 < len(skills) else len(positions) - 1
            m = f[first]
            for i in range(first + 1, last + 1):
                if history.correct[positions[i] - 1]:
                    m = max(f[i], m + MASTERY_STEP * (1.0 - m))
                else:
                    m = min(f[i], m - MASTERY_STEP * m)
            out.append(float(m))
        return out

    # storage
    def _state(self):
        meta = {
            "options": self.options,
            "real_time": self.real_time,
            "epochs": self.epochs,
        }
        arrays = {
            "items": np.array(list(self.item_index), dtype=str),
            "skills": np.array(list(self.skill_index), dtype=str),
        }
        for name, value in self.net.state_dict().items():
            arrays[f"net.{name}"] = value.detach().cpu().numpy()
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays):
        torch = _torch()
        model = cls(**meta["options"])
        model.real_time = meta["real_time"]
        model.epochs = meta["epochs"]
        model.item_index = {str(k): i + 2 for i, k in enumerate(arrays["items"].tolist())}
        model.skill_index = {str(k): i + 2 for i, k in enumerate(arrays["skills"].tolist())}
        opts = model.options
        model.net = _net_class()(
            len(model.item_index) + 2,
            len(model.skill_index) + 2,
            opts["dim"],
            opts["hidden"],
            opts["heads"],
            opts["dropout"],
            model.real_time,
            opts["cell"],
            opts["evidence"],
        )
        state = {
            k[4:]: torch.from_numpy(v.copy()) for k, v in arrays.items() if k.startswith("net.")
        }
        model.net.load_state_dict(state)
        model.net.eval()
        return model


def _vocabulary(values, min_count: int) -> dict[str, int]:
    """Ids seen at least ``min_count`` times, numbered from 2 (0 is padding, 1 unknown)."""
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return {v: i + 2 for i, v in enumerate(sorted(v for v, n in counts.items() if n >= min_count))}


def _batches(encoded: list, size: int, rng: np.random.Generator):
    """Shuffled batches of sequences of similar length (less padding)."""
    order = rng.permutation(len(encoded))
    chunk = size * 16
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: len(encoded[i][0]))
        batches += [part[j : j + size] for j in range(0, len(part), size)]
    for b in rng.permutation(len(batches)):
        yield [encoded[i] for i in batches[b]]


def _auc(predictions: list[np.ndarray], encoded: list) -> float:
    from .protocol import auc_score

    y = np.concatenate([e[2] for e in encoded])
    return auc_score(y, np.concatenate(predictions))
