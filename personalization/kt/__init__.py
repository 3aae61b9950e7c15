"""
Knowledge tracing: predict a learner's next response and per-knowledge-point mastery from the
responses so far. Only services (and the kt_* commands) call this package; torch is imported on
first use of a neural model, never by importing this package.
"""

from __future__ import annotations

from pathlib import Path

from .base import KTModel, ModelFormatError, unpack
from .classical import ClassicalModel
from .data import DataError, Dataset, History, read_csv, split_learners, windows
from .protocol import LeakageError, evaluate, holdout_fit, leakage_check

MODEL_KINDS = ("classical", "neural", "ensemble")

__all__ = [
    "MODEL_KINDS",
    "DataError",
    "Dataset",
    "History",
    "KTModel",
    "LeakageError",
    "ModelFormatError",
    "cold_start_model",
    "configure_threads",
    "evaluate",
    "holdout_fit",
    "leakage_check",
    "load",
    "loads",
    "make_model",
    "read_csv",
    "split_learners",
    "windows",
]


def make_model(kind: str, **options) -> KTModel:
    """An untrained model of ``kind`` (one of MODEL_KINDS); ``options`` go to its constructor."""
    return _model_class(kind)(**options)


def cold_start_model() -> KTModel:
    """A classical model with hand-set priors, usable before any training."""
    return ClassicalModel.cold_start()


def loads(blob: bytes) -> KTModel:
    """The model stored by ``KTModel.dumps``; raises ModelFormatError for anything else."""
    meta, arrays = unpack(blob)
    try:
        cls = _model_class(meta.get("kind", ""))
    except ValueError:
        raise ModelFormatError(f"unknown model kind {meta.get('kind')!r}") from None
    try:
        return cls._from_state(meta, arrays)
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ModelFormatError(f"damaged or incompatible stored model ({exc})") from None


def load(path: str | Path) -> KTModel:
    return loads(Path(path).read_bytes())


def configure_threads(n: int) -> None:
    """Threads torch may use (applied now if torch is loaded, else when it is first loaded)."""
    from . import threads

    threads.configure(n)


def _model_class(kind: str) -> type[KTModel]:
    if kind == "classical":
        return ClassicalModel
    if kind == "neural":
        from .neural import NeuralModel

        return NeuralModel
    if kind == "ensemble":
        from .ensemble import EnsembleModel

        return EnsembleModel
    raise ValueError(f"unknown model kind {kind!r}; choose from {', '.join(MODEL_KINDS)}")
