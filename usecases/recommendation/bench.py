"""Recommendation speed figures beside the ``implicit`` ALS peer, measured in the same run."""

from __future__ import annotations

import time

import numpy as np


def bench(quick: bool = False) -> dict:
    from .peers import ImplicitALS, top_k
    from .pipeline import Config, model_scores, train

    cfg = Config.quick() if quick else Config()
    t = time.perf_counter()
    trained = train(cfg)
    total_train = time.perf_counter() - t
    X = trained.seen
    users = np.arange(X.shape[0])
    # Top-10 for every user in one batched pass (3 repeats, best).
    lat = []
    for _ in range(3):
        t = time.perf_counter()
        top_k(model_scores(trained.model, X), X, 10)
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    als = ImplicitALS(factors=cfg.als_factors, seed=cfg.seed).fit(X)
    als_train = time.perf_counter() - t
    lat_als = []
    for _ in range(3):
        t = time.perf_counter()
        top_k(als.scores(X, users), X, 10)
        lat_als.append(time.perf_counter() - t)
    rep = trained.report
    return {
        "users": {"value": int(X.shape[0]), "unit": "users"},
        "top-10 for every user, model (one batched pass)": {"value": min(lat), "unit": "s"},
        "top-10 for every user, implicit ALS": {"value": min(lat_als), "unit": "s"},
        "model fit (λ search + final solve)": {"value": trained.card["training_seconds"], "unit": "s"},
        "whole train() incl. peers and evaluation": {"value": total_train, "unit": "s"},
        "implicit ALS fit": {"value": als_train, "unit": "s"},
        "NDCG@10 model": {"value": rep.model["ndcg@10"], "unit": ""},
        "NDCG@10 implicit ALS": {"value": rep.baselines["implicit_als"]["ndcg@10"], "unit": ""},
        "NDCG@10 EASE": {"value": rep.baselines["ease"]["ndcg@10"], "unit": ""},
    }
