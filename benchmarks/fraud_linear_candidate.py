"""Would a linear candidate, chosen per fold, help the fraud model on real tables? (Measured; not built.)

The triage model gained from fitting a linear model beside its network on each fold and serving whichever did better on
validation rows. For fraud the same choice would be better informed: TabM is cross-fitted over 5 inner folds, so its
validation rows are every training row. This benchmark trains the product's fraud model exactly as
``benchmarks.own_data_fraud`` does (default learner, 300 s budget per file, the file's recorded folds) and, on each outer
fold's training rows, a logistic regression cross-fitted over 5 stratified inner folds (standardised inputs,
C ∈ {0.01, 0.1, 1, 10} chosen by out-of-fold average precision, the 5 inner models averaged on the test rows). Per fold it
reports both learners' out-of-fold (validation) AP and test AP, and the tuned peers' test AP; "auto" serves, per fold,
the learner with the higher validation AP (ties → TabM); "mean of both" averages the two learners' probabilities in every
fold. Means are over folds.

``python -m benchmarks.fraud_linear_candidate [--only Default,Caravan,HMDA]`` (≈ 5 min per file on one thread).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

GRID = (0.01, 0.1, 1.0, 10.0)


def crossfit_logistic(X: np.ndarray, y: np.ndarray, seed: int = 0, grid: tuple[float, ...] = GRID):
    """(C, out-of-fold P(fraud) at that C, the 5 (scaler, model) pairs at that C) — C chosen by out-of-fold AP."""
    folds = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y))
    oof = {c: np.zeros(len(y)) for c in grid}
    models: dict[float, list] = {c: [] for c in grid}
    for tr, va in folds:
        sc = StandardScaler().fit(X[tr])
        for c in grid:
            m = LogisticRegression(C=c, max_iter=3000).fit(sc.transform(X[tr]), y[tr])
            oof[c][va] = m.predict_proba(sc.transform(X[va]))[:, 1]
            models[c].append((sc, m))
    best = max(grid, key=lambda c: average_precision_score(y, oof[c]))
    return best, oof[best], models[best]


def run_file(package: str, item: str, label: str) -> None:
    from benchmarks.own_data_fraud import _real
    from usecases import fraud
    from usecases.fraud.pipeline import plan_rows

    cfg = dataclasses.replace(fraud.Config(), budget_seconds=300.0)
    ds = fraud.read_data(_real(package, item), f"{item}.csv", label=label)
    t0 = time.perf_counter()
    trained = fraud.train(cfg, data=ds)
    print(f"\n### {package}::{item} — trained in {time.perf_counter() - t0:.0f} s\n", flush=True)
    print("| fold | TabM validation / test AP | linear (C) validation / test AP | served | mean of both | " + " | ".join(trained.peers[0]) + " |")
    print("|---" * (5 + len(trained.peers[0])) + "|")
    X, y = ds.X.astype(np.float64), ds.y.astype(int)
    rows = []
    for f, (tr, te) in enumerate(plan_rows(ds, cfg.split, cfg.seed).folds):
        lrn = trained.model.learners[f]
        vidx, vp = lrn.validation_
        c, oof, ms = crossfit_logistic(X[tr], y[tr], cfg.seed)
        p_tabm = lrn.predict_proba(ds.X[te])[:, 1]
        p_lin = np.mean([m.predict_proba(sc.transform(X[te]))[:, 1] for sc, m in ms], axis=0)
        tabm = (average_precision_score(y[tr][vidx], vp), average_precision_score(y[te], p_tabm))
        lin = (average_precision_score(y[tr], oof), average_precision_score(y[te], p_lin))
        peers = {n: average_precision_score(y[te], p.predict_proba(ds.X[te])[:, 1]) for n, p in trained.peers[f].items()}
        served = "linear" if lin[0] > tabm[0] else "TabM"
        rows.append((tabm[1], lin[1], lin[1] if served == "linear" else tabm[1], peers, average_precision_score(y[te], (p_tabm + p_lin) / 2)))
        print(f"| {f + 1} | {tabm[0]:.3f} / {tabm[1]:.3f} | {lin[0]:.3f} / {lin[1]:.3f} ({c:g}) | {served} | {rows[-1][4]:.3f} | "
              + " | ".join(f"{v:.3f}" for v in peers.values()) + " |", flush=True)
    mean = lambda i: np.mean([r[i] for r in rows])  # noqa: E731
    print(f"| mean | TabM {mean(0):.4f} | linear {mean(1):.4f} | auto {mean(2):.4f} | mean of both {mean(4):.4f} | "
          + " | ".join(f"{np.mean([r[3][n] for r in rows]):.4f}" for n in rows[0][3]) + " |", flush=True)


def main(argv: list[str] | None = None) -> None:
    import torch

    from benchmarks.own_data_fraud import REAL

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated table names (Default, Caravan, HMDA)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    only = [o for o in args.only.split(",") if o]
    for package, item, label in REAL:
        if not only or item in only:
            run_file(package, item, label)


if __name__ == "__main__":
    main()
