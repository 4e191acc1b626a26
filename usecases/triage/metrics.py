"""Triage metrics. Levels run 1 (most urgent) … 5; "under-triage" = predicted less urgent (a higher
number) than the reference, the dangerous direction."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix

LEVELS = [1, 2, 3, 4, 5]


def weighted_kappa(y_true, y_pred, weights: str) -> float:
    """Cohen's kappa with linear or quadratic disagreement weights over the 5-level scale."""
    return float(cohen_kappa_score(y_true, y_pred, weights=weights, labels=LEVELS))


def triage_metrics(y_true, y_pred) -> dict[str, float]:
    y, p = np.asarray(y_true, int), np.asarray(y_pred, int)
    crit = y <= 2
    return {
        "accuracy": float((y == p).mean()),
        "kappa_linear": weighted_kappa(y, p, "linear"),
        "kappa_quadratic": weighted_kappa(y, p, "quadratic"),
        "under_triage": float((p > y).mean()),
        "under_triage_l12": float((p[crit] > y[crit]).mean()) if crit.any() else float("nan"),
        "over_triage": float((p < y).mean()),
        "sensitivity_l12": float((p[crit] <= 2).mean()) if crit.any() else float("nan"),
    }


def confusion(y_true, y_pred) -> np.ndarray:
    """Rows: reference level 1..5; columns: predicted level 1..5."""
    return confusion_matrix(np.asarray(y_true, int), np.asarray(y_pred, int), labels=LEVELS)


def calibration_table(probs: np.ndarray, y_true, bins: int = 10) -> list[dict]:
    """Reliability of P(level ≤ 2) (critical): mean predicted vs observed share per probability bin."""
    p = probs[:, :2].sum(1)
    y = (np.asarray(y_true) <= 2).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        if m.any():
            out.append({"bin": b, "predicted": float(p[m].mean()), "observed": float(y[m].mean()), "n": int(m.sum())})
    return out


DEFAULT_UNDER_COST = 3.0  # one level of under-triage weighs as much as three of over-triage (the default rule)
TRADEOFF_RATIOS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


def tradeoff(y_true, probs: np.ndarray, ratios=TRADEOFF_RATIOS) -> list[dict]:
    """Under- vs over-triage of the cost-weighted level as the cost ratio varies (one row per ratio).

    Computed on validation rows, so choosing a ratio from it does not peek at the test rows.
    """
    from .model import decide

    y = np.asarray(y_true, int)
    out = []
    for r in ratios:
        m = triage_metrics(y, decide(probs, float(r)))
        out.append({"ratio": float(r), "under_triage": m["under_triage"], "under_triage_l12": m["under_triage_l12"],
                    "over_triage": m["over_triage"], "kappa_linear": m["kappa_linear"]})
    return out
