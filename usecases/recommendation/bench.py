"""Recommendation speed figures beside the ``implicit`` ALS peer and plain EASE, measured in the same run."""

from __future__ import annotations

import time

import numpy as np


def bench(quick: bool = False) -> dict:
    from .model import Gram, catalogue_slots, scores, solve_weights
    from .peers import ImplicitALS, top_k
    from .trained import context
    from .training import Config, train

    cfg = Config.quick() if quick else Config()
    t = time.perf_counter()
    trained = train(cfg)
    total_train = time.perf_counter() - t
    ctx = context(trained)
    X = ctx.seen
    users = np.arange(X.shape[0])

    def best_of(fn, n=3):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    model_topk = best_of(lambda: top_k(scores(trained.model, X), X, 10))
    als_params = trained.card["tuned"]["implicit_als"]
    t = time.perf_counter()
    als = ImplicitALS(**als_params, seed=cfg.seed).fit(X)
    als_fit = time.perf_counter() - t
    als_topk = best_of(lambda: top_k(als.scores(X, users), X, 10))
    # Plain EASE with a 4-value λ search (what the model's fit did before it tuned its time weight and β).
    slot = catalogue_slots(ctx.train, ctx.data.n_items, trained.card["model"]["min_count"])
    t = time.perf_counter()
    G = Gram(ctx.train, slot, ctx.data.n_users).matrix(0.0, 1.0)
    for lam in cfg.lambda_grid:
        solve_weights(G, lam)
    ease4 = time.perf_counter() - t
    m, b = trained.card["metrics"], trained.card["baselines"]
    fit = trained.card["training_seconds"]
    return {
        "users": {"value": int(X.shape[0]), "unit": "users"},
        "top-10 for every user, model (one batched pass)": {"value": model_topk, "unit": "s"},
        "top-10 for every user, implicit ALS": {"value": als_topk, "unit": "s"},
        "model fit (tuning of λ, α, τ, β + final solve)": {"value": fit, "unit": "s"},
        "plain EASE, 4 λ solves on the same catalogue": {"value": ease4, "unit": "s"},
        "model fit / plain EASE 4-λ fit": {"value": fit / ease4 if ease4 else float("nan"), "unit": "×"},
        "implicit ALS fit (tuned settings)": {"value": als_fit, "unit": "s"},
        "whole train() incl. tuning every peer and the evaluation": {"value": total_train, "unit": "s"},
        "NDCG@10 model": {"value": m["ndcg@10"], "unit": ""},
        "NDCG@10 EASE (tuned)": {"value": b["ease"]["ndcg@10"], "unit": ""},
        "NDCG@10 ALS (tuned)": {"value": b["implicit_als"]["ndcg@10"], "unit": ""},
        "coverage model": {"value": m["coverage"], "unit": ""},
        "coverage item-kNN (tuned)": {"value": b["item_knn"]["coverage"], "unit": ""},
    }
