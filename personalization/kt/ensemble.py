"""
Stacking of the classical and neural models: P(correct) = sigmoid(a + b·logit(classical) +
c·logit(neural)), the three weights fitted on the validation sequences (never on the ones the
parts were trained on).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import optimize

from .base import KTModel, logit, sigmoid, sub_state
from .classical import ClassicalModel
from .data import History


class EnsembleModel(KTModel):
    kind = "ensemble"

    def __init__(self, *, seed: int = 0, classical: dict | None = None, neural: dict | None = None):
        self.seed = seed
        self.classical_options = classical or {}
        self.neural_options = neural or {}
        self.classical: ClassicalModel | None = None
        self.neural = None
        self.weights = np.array([0.0, 0.5, 0.5])

    @classmethod
    def from_parts(cls, classical, neural, valid: Sequence[History]) -> EnsembleModel:
        """Stack two trained models with weights fitted on ``valid``."""
        model = cls()
        model.classical, model.neural = classical, neural
        model._stack(valid)
        return model

    def fit(self, sequences: Sequence[History], *, valid: Sequence[History] | None = None):
        from .neural import NeuralModel

        sequences = [s for s in sequences if len(s)]
        if valid is None and len(sequences) >= 20:
            order = np.random.default_rng(self.seed).permutation(len(sequences))
            n_valid = max(2, len(sequences) // 10)
            valid = [sequences[i] for i in order[:n_valid]]
            sequences = [sequences[i] for i in order[n_valid:]]
        self.classical = ClassicalModel(**self.classical_options).fit(sequences, valid=valid)
        options = {"seed": self.seed, **self.neural_options}
        self.neural = NeuralModel(**options).fit(sequences, valid=valid or None)
        self._stack(valid or sequences)
        return self

    def _stack(self, valid: Sequence[History]) -> None:
        valid = [s for s in valid if len(s)]
        y = np.concatenate([np.asarray(s.correct, dtype=np.float64) for s in valid])
        features = np.column_stack(
            [
                np.ones(len(y)),
                logit(np.concatenate(self.classical.predict_sequences(valid))),
                logit(np.concatenate(self.neural.predict_sequences(valid))),
            ]
        )

        def objective(w):
            z = features @ w
            p = sigmoid(z)
            loss = np.mean(np.logaddexp(0.0, z) - y * z) + 1e-4 * np.sum(w[1:] ** 2)
            grad = features.T @ (p - y) / len(y) + 2e-4 * np.concatenate([[0.0], w[1:]])
            return loss, grad

        result = optimize.minimize(
            objective,
            np.array([0.0, 0.5, 0.5]),
            jac=True,
            method="L-BFGS-B",
            bounds=[(None, None), (0.0, None), (0.0, None)],
        )
        self.weights = result.x

    def _combine(self, p_classical, p_neural):
        a, b, c = self.weights
        return sigmoid(a + b * logit(np.asarray(p_classical)) + c * logit(np.asarray(p_neural)))

    def predict_sequences(self, sequences: Sequence[History]) -> list[np.ndarray]:
        pc = self.classical.predict_sequences(sequences)
        pn = self.neural.predict_sequences(sequences)
        return [self._combine(a, b) for a, b in zip(pc, pn, strict=True)]

    def _predict_next(self, history, item, skills, timestamp) -> float:
        pc = self.classical._predict_next(history, item, skills, timestamp)
        pn = self.neural._predict_next(history, item, skills, timestamp)
        return float(self._combine(pc, pn))

    def _mastery(self, history, skills) -> list[float]:
        pc = self.classical._mastery(history, skills)
        pn = self.neural._mastery(history, skills)
        return self._combine(pc, pn).tolist()

    def _state(self):
        meta_c, arrays_c = self.classical._state()
        meta_n, arrays_n = self.neural._state()
        meta = {
            "seed": self.seed,
            "weights": [float(w) for w in self.weights],
            "classical/": meta_c,
            "neural/": meta_n,
        }
        arrays = {f"classical/{k}": v for k, v in arrays_c.items()}
        arrays.update({f"neural/{k}": v for k, v in arrays_n.items()})
        return meta, arrays

    @classmethod
    def _from_state(cls, meta, arrays):
        from .neural import NeuralModel

        model = cls(seed=meta["seed"])
        model.weights = np.array(meta["weights"])
        model.classical = ClassicalModel._from_state(*sub_state(meta, arrays, "classical/"))
        model.neural = NeuralModel._from_state(*sub_state(meta, arrays, "neural/"))
        return model
