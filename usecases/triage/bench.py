"""Triage speed figures: predictions per second (model vs the tuned peers, same records, same run)
and the queue simulation's speed."""

from __future__ import annotations

import time

import numpy as np


def bench(quick: bool = False) -> dict:
    from . import learner
    from .cohort import CohortConfig, generate
    from .pipeline import Config, TabMConfig, train
    from .queue import EDAssumptions, simulate

    cfg = Config.quick() if quick else Config(max_epochs=3, patience=1, tabm=TabMConfig(max_epochs=3, patience=1))
    trained = train(cfg)
    df = generate(CohortConfig(n=2000 if quick else 20_000, seed=99))
    learner.predict_proba(trained.model, df.head(64))  # warm-up
    t = time.perf_counter()
    learner.predict_proba(trained.model, df)
    t_model = time.perf_counter() - t
    figures = {"records scored": {"value": len(df), "unit": "records"},
               "model throughput (CPU, incl. text hashing)": {"value": len(df) / t_model, "unit": "records/s"}}
    for name, peers in (trained.peers or {}).items():
        t = time.perf_counter()
        peers[0].predict_proba(df)
        figures[f"{name} throughput (CPU, incl. TF-IDF)"] = {"value": len(df) / (time.perf_counter() - t), "unit": "records/s"}
    t = time.perf_counter()
    r = simulate(EDAssumptions(), np.eye(5), hours=168.0, seed=0)
    t_sim = time.perf_counter() - t
    figures["queue simulation, one week"] = {"value": t_sim, "unit": "s"}
    figures["simulated patients per second"] = {"value": len(r.wait) / t_sim, "unit": "patients/s"}
    return figures
