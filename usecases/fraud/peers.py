"""The peers a practitioner would pick for tabular fraud detection, tuned on inner validation rows.

Every peer sees exactly the training rows the model sees. Those rows are split once (stratified
80 / 20, fixed seed); each setting of a small grid is fit on the 80 % and scored by average precision
on the 20 %; the best setting is refit on all training rows. The 20 % scores of the chosen setting are
kept as the peer's validation rows (its operating threshold is chosen there, as the model's is).

* Logistic regression on standardised features, C ∈ {0.01, 0.1, 1, 10}.
* Random forest, 100 trees, min_samples_leaf ∈ {1, 10} (the handbook tunes depth and leaves).
* LightGBM (Ke et al., NeurIPS 2017), num_leaves ∈ {15, 63}, learning rate 0.05, early stopping on the
  validation AP (50 rounds), then refit with the best number of rounds.

Scikit-learn's HistGradientBoosting is left out: it is the same algorithm family as LightGBM and
scored below it in our runs, so it added a row but no information.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from usecases.core.runner import CancelToken, TrainingCancelled

PEERS = ("logistic_regression", "random_forest", "lightgbm")
LABELS = {
    "logistic_regression": "Logistic regression (tuned)",
    "random_forest": "Random forest (tuned)",
    "lightgbm": "LightGBM (tuned, early-stopped)",
}
INNER_SHARE = 0.2


@dataclass
class Peer:
    name: str
    model: Any  # fitted on all training rows with ``setting``
    setting: dict
    validation_: tuple[np.ndarray, np.ndarray]  # (row indices into the training rows, P(fraud)) of the inner validation rows
    seconds: float = 0.0
    grid: list[dict] = field(default_factory=list)  # every setting tried and its validation AP

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(np.asarray(X, np.float32))


def _ap(y, p) -> float:
    return float(average_precision_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise TrainingCancelled()


def _logistic(C: float, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))


def _forest(leaf: int, seed: int, n_jobs: int):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, min_samples_leaf=leaf, max_features="sqrt", n_jobs=n_jobs, random_state=seed)


def _lightgbm(leaves: int, seed: int, rounds: int = 2000):
    import lightgbm

    # One thread: LightGBM's OpenMP workers spin while waiting, and on shared cores (CI, a busy server)
    # two threads ran 15× slower than one in our measurements.

    return lightgbm.LGBMClassifier(n_estimators=rounds, learning_rate=0.05, num_leaves=leaves, min_child_samples=20, subsample=0.8,
                                   subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, random_state=seed, n_jobs=1,
                                   deterministic=True, force_row_wise=True, verbose=-1)


def _tune(name: str, settings: list[dict], make, X, y, tr, va, cancel) -> tuple[dict, list[dict], np.ndarray]:
    best, best_ap, best_p, grid = None, -np.inf, None, []
    for s in settings:
        _check(cancel)
        m = make(**s)
        if name == "lightgbm":
            import lightgbm

            m.fit(X[tr], y[tr], eval_X=(X[va],), eval_y=(y[va],), eval_metric="average_precision",
                  callbacks=[lightgbm.early_stopping(50, verbose=False), _cancel_callback(cancel)])
            s = {**s, "rounds": int(m.best_iteration_ or m.n_estimators)}
        else:
            m.fit(X[tr], y[tr])
        p = m.predict_proba(X[va])[:, 1]
        ap = _ap(y[va], p)
        grid.append({**s, "validation_ap": ap})
        if ap > best_ap or best is None:
            best, best_ap, best_p = s, ap, p
    return best, grid, best_p


def _cancel_callback(cancel: CancelToken | None):
    def cb(env) -> None:
        _check(cancel)

    return cb


def fit_peers(X: np.ndarray, y: np.ndarray, *, seed: int = 0, names: tuple[str, ...] = PEERS, n_jobs: int = -1,
              cancel: CancelToken | None = None) -> dict[str, Peer]:
    """Each peer tuned on the same inner validation rows and refit on all of ``X``."""
    X = np.asarray(X, np.float32)
    y = np.asarray(y).astype(int)
    tr, va = train_test_split(np.arange(len(y)), test_size=INNER_SHARE, stratify=y, random_state=seed)
    va = np.sort(va)
    grids = {
        "logistic_regression": ([{"C": c} for c in (0.01, 0.1, 1.0, 10.0)], lambda C: _logistic(C, seed)),
        "random_forest": ([{"leaf": n} for n in (1, 10)], lambda leaf: _forest(leaf, seed, n_jobs)),
        "lightgbm": ([{"leaves": n} for n in (15, 63)], lambda leaves, rounds=2000: _lightgbm(leaves, seed, rounds)),
    }
    out = {}
    for name in names:
        t0 = time.perf_counter()
        settings, make = grids[name]
        best, grid, p_val = _tune(name, settings, make, X, y, tr, va, cancel)
        _check(cancel)
        final = make(**best)
        final.fit(X, y)
        out[name] = Peer(name, final, best, (va, p_val.astype(np.float32)), time.perf_counter() - t0, grid)
    return out
