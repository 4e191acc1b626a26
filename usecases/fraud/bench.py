"""Fraud speed and memory figures, each beside a peer measured in the same run.

* Simulation and features of the default 1.75 M-transaction run (seconds, peak traced memory).
* The straightforward per-customer pandas implementation (the handbook's approach: a Python loop
  per customer and day for the simulator, a rolling window per customer/terminal group for the
  features), timed on a subset of customers in the same run, and our code on the same subset —
  the ratio is measured, not assumed.
* Scoring throughput (features + model) against the random forest and logistic regression
  baselines on the same transactions.
"""

from __future__ import annotations

import dataclasses
import gc
import random
import time
import tracemalloc

import numpy as np
import pandas as pd
from .features import FEATURES, add_features, features_reference
from .simulate import SimConfig, _profiles, simulate


def simulate_reference(cfg: SimConfig) -> pd.DataFrame:
    """Per-customer, per-day loops in plain Python + pandas, as in the handbook's chapter 3 code."""
    rng = np.random.default_rng(cfg.seed)
    _, mean_amount, std_amount, lam, _, indptr, indices, deg = _profiles(cfg, rng)
    np.random.seed(cfg.seed)
    random.seed(cfg.seed)
    rows = []
    for c in range(cfg.n_customers):
        terminals = list(indices[indptr[c] : indptr[c + 1]])
        for day in range(cfg.n_days):
            for _ in range(np.random.poisson(lam[c])):
                t = int(np.random.normal(86400 / 2, 20000))
                if 0 < t < 86400:
                    amount = np.random.normal(mean_amount[c], std_amount[c])
                    if amount < 0:
                        amount = np.random.uniform(0, mean_amount[c] * 2)
                    amount = np.round(amount, 2)
                    if terminals:
                        rows.append([t + day * 86400, day, c, random.choice(terminals), amount])
    df = pd.DataFrame(rows, columns=["TX_TIME_SECONDS", "TX_TIME_DAYS", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT"])
    df = df.sort_values("TX_TIME_SECONDS").reset_index(drop=True)
    df["TX_DATETIME"] = pd.to_datetime(df["TX_TIME_SECONDS"], unit="s", origin=cfg.start_date)
    df["TX_FRAUD"] = (df["TX_AMOUNT"] > cfg.amount_threshold).astype(int)
    for day in range(cfg.n_days - 1):  # scenario 2 as in the handbook: a pandas filter per day
        comp = np.random.choice(cfg.n_terminals, size=cfg.terminals_per_day, replace=False)
        m = (df.TX_TIME_DAYS >= day) & (df.TX_TIME_DAYS < day + cfg.terminal_days) & df.TERMINAL_ID.isin(comp)
        df.loc[m, "TX_FRAUD"] = 1
    return df


def _timed(fn, *args, **kwargs):
    gc.collect()
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def bench(quick: bool = False) -> dict:
    from .pipeline import Config, TabMConfig, train

    figures: dict[str, dict] = {}
    full = SimConfig(n_customers=500, n_terminals=1000, n_days=90) if quick else SimConfig()
    tx, t_sim = _timed(simulate, full)
    feats, t_feat = _timed(add_features, tx)
    figures["transactions simulated"] = {"value": len(tx), "unit": "transactions"}
    figures["simulate seconds"] = {"value": t_sim, "unit": "s"}
    figures["features seconds"] = {"value": t_feat, "unit": "s"}

    tracemalloc.start()
    tx2 = simulate(full)
    add_features(tx2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del tx2
    figures["peak traced memory (simulate + features)"] = {"value": peak / 2**20, "unit": "MiB"}

    # Peer: the per-customer pandas implementation, on a subset, beside ours on the same subset.
    sub = SimConfig(n_customers=100 if quick else 500, n_terminals=200 if quick else 1000, n_days=full.n_days)
    ref_tx, t_ref_sim = _timed(simulate_reference, sub)
    _, t_our_sim = _timed(simulate, sub)
    _, t_ref_feat = _timed(features_reference, ref_tx)
    _, t_our_feat = _timed(add_features, ref_tx)
    figures["subset transactions (peer comparison)"] = {"value": len(ref_tx), "unit": "transactions"}
    figures["peer per-customer pandas simulate seconds (subset)"] = {"value": t_ref_sim, "unit": "s"}
    figures["ours simulate seconds (subset)"] = {"value": t_our_sim, "unit": "s"}
    figures["simulate speed-up vs peer"] = {"value": t_ref_sim / max(t_our_sim, 1e-9), "unit": "×"}
    figures["peer per-group pandas features seconds (subset)"] = {"value": t_ref_feat, "unit": "s"}
    figures["ours features seconds (subset)"] = {"value": t_our_feat, "unit": "s"}
    figures["features speed-up vs peer"] = {"value": t_ref_feat / max(t_our_feat, 1e-9), "unit": "×"}
    figures["peer simulate+features seconds, extrapolated to full run"] = {
        "value": (t_ref_sim + t_ref_feat) * len(tx) / max(1, len(ref_tx)), "unit": "s"}

    # Scoring throughput on CPU: features + model vs features + peers, same transactions.
    cfg = Config.quick() if quick else Config(max_epochs=2, patience=1, tabm=TabMConfig(max_epochs=2, patience=1))
    trained = train(dataclasses.replace(cfg, device="cpu"))
    peers = trained.peers[0]
    n = min(len(tx), 200_000)
    sample = tx.iloc[-n:].reset_index(drop=True)

    def scores(model) -> None:
        model.predict_proba(add_features(sample)[list(FEATURES)].to_numpy(np.float32))

    (_, t_model) = _timed(scores, trained.model)
    figures["scoring throughput, PyTorch detector (features + model, CPU)"] = {"value": n / t_model, "unit": "transactions/s"}
    for name in ("random_forest", "lightgbm", "logistic_regression"):
        if name in peers:
            (_, t_b) = _timed(scores, peers[name])
            figures[f"scoring throughput, {name} (features + model, CPU)"] = {"value": n / t_b, "unit": "transactions/s"}
    return figures
