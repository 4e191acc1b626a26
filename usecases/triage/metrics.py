"""Triage metrics. Levels run 1 (most urgent) … 5; "under-triage" = predicted less urgent (a higher
number) than the reference, the dangerous direction."""

from __future__ import annotations

import numpy as np

LEVELS = [1, 2, 3, 4, 5]


def weighted_kappa(y_true, y_pred, weights: str) -> float:
    """Cohen's kappa with linear or quadratic disagreement weights over the 5-level scale (Cohen 1968):
    1 − Σ w·O / Σ w·E, O the observed 5 × 5 table, E the table expected from its margins. Computed from
    a bincount (the page re-scores resamples at every cost ratio); a test checks it equals scikit-learn's."""
    y, p = np.asarray(y_true, int), np.asarray(y_pred, int)
    if len(y) == 0:
        return float("nan")
    obs = np.bincount((y - 1) * 5 + (p - 1), minlength=25).reshape(5, 5).astype(float)
    exp = np.outer(obs.sum(1), obs.sum(0)) / obs.sum()
    d = np.abs(np.arange(5)[:, None] - np.arange(5)[None, :]).astype(float)
    w = d if weights == "linear" else d**2
    den = (w * exp).sum()
    return float(1 - (w * obs).sum() / den) if den > 0 else float("nan")


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
    y, p = np.asarray(y_true, int), np.asarray(y_pred, int)
    return np.bincount((y - 1) * 5 + (p - 1), minlength=25).reshape(5, 5)


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


def triage_costs(y_true, probs: np.ndarray, under_cost: float = DEFAULT_UNDER_COST) -> np.ndarray:
    """Each patient's cost at the cost-weighted level: ``under_cost`` per level of under-triage, 1 per level over."""
    from .model import decide

    d = decide(probs, under_cost) - np.asarray(y_true, int)
    return np.where(d > 0, under_cost * d, -d).astype(float)


def triage_cost(y_true, probs: np.ndarray, under_cost: float = DEFAULT_UNDER_COST) -> float:
    """Mean of :func:`triage_costs` (the rule's own objective)."""
    c = triage_costs(y_true, probs, under_cost)
    return float(c.mean()) if len(c) else float("nan")


def log_loss(y_true, probs: np.ndarray) -> float:
    """Mean −log P(recorded level), probabilities floored at 1e-6 (``learner="auto"`` chooses the linear model's share of
    its mixture by this on the validation rows)."""
    y = np.asarray(y_true, int)
    if not len(y):
        return float("nan")
    return float(-np.log(np.clip(np.asarray(probs, float)[np.arange(len(y)), y - 1], 1e-6, 1.0)).mean())


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
