"""The arrays kept beside a trained fraud model, so it is evaluated later without data or refitting.

Per fold: the test rows' labels, amounts, days and the scores of the model and of every peer; each
model's inner-validation rows and scores (where thresholds are chosen); a few feature rows for the
what-if form and throughput. :func:`fold_metrics` turns them into the metrics and their spread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .data import Dataset
from .evaluation import bootstrap_metrics, card_precision_top_k, scores_metrics

BOOTSTRAP = 20  # resamples of test days (or row blocks) that give a single hold-out its spread



def _val_rows(ds: Dataset, tr: np.ndarray, validation: tuple[np.ndarray, np.ndarray], fold: int) -> dict[str, np.ndarray]:
    idx = tr[validation[0]]
    return {"y": ds.y[idx], "amount": ds.amount[idx].astype(np.float32), "group": np.full(len(idx), fold, np.int16),
            "score": np.asarray(validation[1], np.float32)}


def fold_arrays(ds: Dataset, fold: int, tr: np.ndarray, te: np.ndarray, model: Any, peers: dict[str, Any],
                validation: dict[str, tuple[np.ndarray, np.ndarray]] | None) -> dict[str, np.ndarray]:
    """One fold's test rows scored by the model and every peer, and each one's validation rows."""
    X = ds.X
    day = ds.day
    out = {"test.y": ds.y[te], "test.amount": ds.amount[te].astype(np.float32), "test.group": np.full(len(te), fold, np.int16),
           "test.day": (day[te] if day is not None else np.full(len(te), -1)).astype(np.int32), "test.row": te.astype(np.int64),
           "test.score.model": model.predict_proba(X[te])[:, 1].astype(np.float32)}
    for name, p in peers.items():
        out[f"test.score.{name}"] = p.predict_proba(X[te])[:, 1].astype(np.float32)
    for name, v in (validation or {}).items():
        for k, arr in _val_rows(ds, tr, v, fold).items():
            out[f"val.{name}.{k}"] = arr
    return out


def concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def whatif_arrays(ds: Dataset, te: np.ndarray, test_scores: np.ndarray) -> dict[str, np.ndarray]:
    """A few feature rows of the test rows: the typical legitimate one, up to 300 frauds, and a throughput sample."""
    X, y = ds.X[te], ds.y[te]
    legit = X[y == 0] if (y == 0).any() else X
    frauds = np.flatnonzero(y == 1)
    pick = frauds[np.linspace(0, len(frauds) - 1, min(300, len(frauds))).astype(int)] if len(frauds) else frauds
    sample = np.linspace(0, len(X) - 1, min(2048, len(X))).astype(int)
    return {"whatif.typical": np.median(legit, axis=0).astype(np.float32), "whatif.frauds": X[pick],
            "whatif.fraud_score": test_scores[pick].astype(np.float32), "whatif.sample": X[sample]}


def fold_metrics(ds: Dataset, plan, arrays: dict[str, np.ndarray], names: list[str]) -> tuple[dict, dict]:
    """(point metrics per model, per-fold or per-resample values per model) on the test rows."""
    y, group, day, row = arrays["test.y"], arrays["test.group"], arrays["test.day"], arrays["test.row"]
    scores = {n: arrays[f"test.score.{n}"] for n in names}
    customer = ds.customer
    handbook = plan.kind == "handbook"
    if plan.kind == "cv":  # one value per fold; the point estimate is their mean
        folds = {n: {} for n in names}
        for f in np.unique(group):
            m = group == f
            for n in names:
                for k, v in scores_metrics(y[m], scores[n][m]).items():
                    folds[n].setdefault(k, []).append(v)
        point = {n: {k: float(np.nanmean(v)) for k, v in folds[n].items()} for n in names}
        return point, folds
    per_unit = None
    point = {}
    for n in names:
        point[n] = scores_metrics(y, scores[n], customer=customer[row] if handbook else None, day=day if handbook else None)
    if handbook:
        per_unit = {n: {"card_precision@100": card_precision_top_k(customer[row], day, y, scores[n], k=100)[1]} for n in names}
    units = day if (day >= 0).all() and len(np.unique(day)) >= 5 else np.arange(len(y)) % 20
    folds = bootstrap_metrics(y, scores, units, n=BOOTSTRAP, seed=0, per_unit=per_unit)
    return point, folds


def spread_words(plan, arrays: dict[str, np.ndarray]) -> str:
    if plan.kind == "cv":
        return f"spread: min–max over the {len(plan.folds)} folds"
    units = "test days" if (arrays["test.day"] >= 0).all() and len(np.unique(arrays["test.day"])) >= 5 else "blocks of test rows"
    return f"spread: {BOOTSTRAP} bootstrap resamples of {units}"
