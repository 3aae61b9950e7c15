"""The model interface every kind implements, and the blob format models are stored in."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .data import History

FORMAT = "pathwise-kt"
FORMAT_VERSION = 1


class ModelFormatError(ValueError):
    """Bytes that are not a stored knowledge-tracing model."""


class KTModel:
    """
    A knowledge-tracing model. Subclasses set ``kind`` and implement ``fit``,
    ``predict_sequences``, ``_predict_next``, ``_mastery``, ``_state`` and ``_from_state``.
    """

    kind = ""

    def fit(self, sequences: Sequence[History], *, valid: Sequence[History] | None = None):
        raise NotImplementedError

    def predict_sequences(self, sequences: Sequence[History]) -> list[np.ndarray]:
        """For each response, P(correct) computed from the earlier responses of its sequence."""
        raise NotImplementedError

    def predict_next(
        self,
        history: History,
        item: str,
        skills: Sequence[str] | None = (),
        *,
        timestamp: float | None = None,
    ) -> float:
        """
        P(the next response, to ``item`` with knowledge points ``skills``, is correct).
        ``timestamp`` is when it is answered (default: the last response's time).
        """
        skills = [str(s) for s in skills or ()]
        return float(self._predict_next(history, str(item), skills, timestamp))

    def mastery(self, history: History, skills: Sequence[str] | None = None) -> dict[str, float]:
        """
        Per knowledge point, P(a typical question of it is answered correctly next).
        ``skills=None`` means the knowledge points that occur in ``history``.
        """
        if skills is None:
            skills = list(dict.fromkeys(s for row in history.skills for s in row))
        skills = [str(s) for s in skills]
        if not skills:
            return {}
        values = self._mastery(history, skills)
        return {s: float(v) for s, v in zip(skills, values, strict=True)}

    def _predict_next(self, history, item, skills, timestamp) -> float:
        raise NotImplementedError

    def _mastery(self, history, skills) -> Sequence[float]:
        raise NotImplementedError

    # storage
    def _state(self) -> tuple[dict, dict[str, np.ndarray]]:
        raise NotImplementedError

    @classmethod
    def _from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> KTModel:
        raise NotImplementedError

    def dumps(self) -> bytes:
        meta, arrays = self._state()
        return pack({"kind": self.kind, **meta}, arrays)

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.dumps())


def pack(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """An npz archive: numpy arrays (no object dtype) plus a JSON header; loaded without pickle."""
    header = {"format": FORMAT, "version": FORMAT_VERSION, **meta}
    buffer = io.BytesIO()
    payload = {f"a/{name}": np.asarray(value) for name, value in arrays.items()}
    payload["meta"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(buffer, **payload)
    return buffer.getvalue()


def unpack(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            arrays = {name[2:]: archive[name] for name in archive.files if name.startswith("a/")}
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"not a stored knowledge-tracing model ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ModelFormatError("not a stored knowledge-tracing model")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise ModelFormatError(f"stored with a newer format (version {meta['version']})")
    return meta, arrays


def sub_state(meta: dict, arrays: dict[str, np.ndarray], prefix: str):
    """The meta and arrays stored under ``prefix`` by a composite model."""
    inner = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    return meta[prefix], inner


def logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(p, eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def looks_like_seconds(sequences: Sequence[History]) -> bool:
    """
    Whether timestamps are real times (seconds) rather than positions 1, 2, 3…: most gaps
    between a learner's responses are not exactly 1 and some exceed five minutes.
    """
    gaps = [b - a for s in sequences for a, b in zip(s.timestamps, s.timestamps[1:], strict=False)]
    if not gaps:
        return False
    gaps_arr = np.asarray(gaps)
    return bool(np.mean(gaps_arr == 1.0) < 0.5 and gaps_arr.max() > 300)
