"""Triage speed figures: predictions per second (model vs the logistic-regression baseline, same
records, same run) and the queue simulation's speed."""

from __future__ import annotations

import time

import numpy as np


def bench(quick: bool = False) -> dict:
    from .cohort import CohortConfig, generate
    from .pipeline import Config, _prep_for_lr, fit_lr, predict_proba, train
    from .queue import EDAssumptions, simulate

    cfg = Config.quick() if quick else Config(max_epochs=3, patience=1)
    trained = train(cfg)
    df = generate(CohortConfig(n=2000 if quick else 20_000, seed=99))
    t = time.perf_counter()
    predict_proba(trained.model, df)
    t_model = time.perf_counter() - t
    lr = fit_lr(0, df)
    t = time.perf_counter()
    lr.predict_proba(_prep_for_lr(df))
    t_lr = time.perf_counter() - t
    t = time.perf_counter()
    r = simulate(EDAssumptions(), np.eye(5), hours=168.0, seed=0)
    t_sim = time.perf_counter() - t
    return {
        "records scored": {"value": len(df), "unit": "records"},
        "model throughput (CPU, incl. text hashing)": {"value": len(df) / t_model, "unit": "records/s"},
        "logistic regression throughput (CPU, incl. TF-IDF)": {"value": len(df) / t_lr, "unit": "records/s"},
        "queue simulation, one week": {"value": t_sim, "unit": "s"},
        "simulated patients per second": {"value": len(r.wait) / t_sim, "unit": "patients/s"},
    }
