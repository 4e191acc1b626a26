"""Hyper-parameters of the model and of every peer, chosen on one inner validation split carved from
the training rows only (never the test rows), with the same budget for all: at most
``Config.max_configs`` fitted configurations each, scored by NDCG@k on the same validation users.

* Model: λ over a grid at the default time weight, then the time weight (α, τ) at the best λ, then a
  line search on λ (halving or doubling the best) at the best (α, τ) while the budget lasts. Each fit is also scored at every popularity exponent β of
  ``beta_grid`` (a re-ranking of the same scores, no extra fit).
* EASE: λ; item-kNN: neighbours k × shrinkage; ALS: factors × regularisation × confidence α;
  most-popular has nothing to tune.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import numpy as np
import pandas as pd

from .data import USER, matrix
from .metrics import per_user
from .model import Gram, ModelConfig, catalogue_slots, solve_weights
from .peers import ImplicitALS, ItemKNN, MostPopular, knn_neighbours, top_k


class Validation:
    """The inner split: histories to rank (training part) and what to find (validation part)."""

    def __init__(self, tr: pd.DataFrame, va: pd.DataFrame, n_users: int, n_items: int, k: int):
        self.tr, self.k, self.n_items = tr, k, n_items
        self.X = matrix(tr, n_users, n_items)
        self.users = np.unique(va[USER].to_numpy())
        self.rows = self.X[self.users]
        self.truth = matrix(va, n_users, n_items)[self.users]

    def ndcg(self, scores: np.ndarray, catalog: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """Per-user NDCG@k and coverage of ``scores`` (over ``catalog`` columns when given)."""
        seen = self.rows if catalog is None else self.rows[:, catalog]
        items, _ = top_k(scores, seen, self.k)
        if catalog is not None:
            items = np.where(items >= 0, catalog[np.maximum(items, 0)], -1)
        per = per_user(items, self.truth)[f"ndcg@{self.k}"]
        return per, float(len(np.unique(items[items >= 0])) / self.n_items)


class Budget:
    """Stops a search at ``max_configs`` fits or when the wall-clock budget is spent (one fit at least)."""

    def __init__(self, max_configs: int, deadline: float | None, tick: Callable[[dict], None]):
        self.max_configs, self.deadline, self.tick = max_configs, deadline, tick

    def allows(self, done: int) -> bool:
        if done == 0:
            return True
        return done < self.max_configs and (self.deadline is None or time.perf_counter() < self.deadline)


def tune_model(val: Validation, cfg, budget: Budget) -> tuple[ModelConfig, list[dict]]:
    """The model's λ, α, τ and default β (see module docstring)."""
    slot = catalogue_slots(val.tr, val.n_items, cfg.model.min_count)
    catalog = np.flatnonzero(slot >= 0)
    if len(catalog) < 2:
        return dataclasses.replace(cfg.model, beta=0.0), []
    gram = Gram(val.tr, slot, val.X.shape[0])
    pop = np.maximum(np.bincount(val.tr["item"].to_numpy(), minlength=val.n_items)[catalog], 1).astype(np.float32)
    rows = val.rows[:, catalog]
    history: list[dict] = []
    per_beta: dict[tuple, dict[float, np.ndarray]] = {}

    def trial(lam: float, alpha: float, tau: float) -> None:
        B = solve_weights(gram.matrix(alpha, tau), lam).numpy()
        base = np.asarray(rows @ B)
        per_beta[(lam, alpha, tau)] = {}
        for beta in cfg.beta_grid:
            per, cov = val.ndcg(base / pop[None, :] ** beta if beta else base, catalog)
            per_beta[(lam, alpha, tau)][beta] = per
            history.append({"lambda": lam, "alpha": alpha, "tau": tau, "beta": beta, f"val_ndcg@{val.k}": float(per.mean()),
                            "val_coverage": cov})
        budget.tick({"model λ": lam, f"val_ndcg@{val.k}": max(float(p.mean()) for p in per_beta[(lam, alpha, tau)].values())})

    def best() -> tuple[tuple, float]:
        return max(((key, b) for key, d in per_beta.items() for b in d), key=lambda kb: per_beta[kb[0]][kb[1]].mean())

    a0, t0 = (cfg.model.alpha, cfg.model.tau_seconds) if gram.has_times else (0.0, cfg.model.tau_seconds)
    for lam in cfg.lambda_grid:
        if budget.allows(len(per_beta)):
            trial(lam, a0, t0)
    if gram.has_times:
        lam = best()[0][0]
        for alpha, tau in cfg.time_grid:
            if (lam, alpha, tau) not in per_beta and budget.allows(len(per_beta)):
                trial(lam, alpha, tau)
    while True:  # a line search on λ at the best time weight, while the budget lasts
        (lam, alpha, tau), _ = best()
        todo = [nb for nb in (lam / 2, lam * 2) if (nb, alpha, tau) not in per_beta]
        if not todo or not budget.allows(len(per_beta)):
            break
        for nb in todo:
            if budget.allows(len(per_beta)):
                trial(nb, alpha, tau)
    (lam, alpha, tau), b_best = best()
    beta = default_beta(per_beta[(lam, alpha, tau)], b_best)
    return dataclasses.replace(cfg.model, lam=lam, alpha=alpha, tau_seconds=tau, beta=beta), history


def default_beta(per_beta: dict[float, np.ndarray], best: float, max_loss: float = 0.01) -> float:
    """The largest β whose validation NDCG is within one standard error (paired over users) of the best β, and
    never more than ``max_loss`` (1 %) below it: among settings validation cannot tell apart, the most diverse —
    without giving up accuracy on small files, where one standard error is wide."""
    ref = per_beta[best]
    ok = []
    for beta, per in per_beta.items():
        diff = ref - per
        se = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else 0.0
        if diff.mean() <= min(se, max_loss * float(ref.mean())):
            ok.append(beta)
    return float(max(ok))


def tune_ease(val: Validation, cfg, slot: np.ndarray, gram: np.ndarray, budget: Budget) -> tuple[dict, list[dict]]:
    catalog = np.flatnonzero(slot >= 0)
    rows = val.rows[:, catalog]
    hist = []
    for lam in cfg.ease_grid:
        if not budget.allows(len(hist)):
            break
        per, cov = val.ndcg(np.asarray(rows @ solve_weights(gram, lam).numpy()), catalog)
        hist.append({"params": {"lam": lam}, f"val_ndcg@{val.k}": float(per.mean()), "val_coverage": cov})
        budget.tick({"EASE λ": lam, f"val_ndcg@{val.k}": float(per.mean())})
    return _best(hist, val.k), hist


def tune_knn(val: Validation, cfg, budget: Budget) -> tuple[dict, list[dict]]:
    hist = []
    k_max = max(k for k, _ in cfg.knn_grid)
    neighbours = {}
    for k, shrink in cfg.knn_grid:
        if not budget.allows(len(hist)):
            break
        if shrink not in neighbours:  # one similarity matrix per shrinkage serves every k
            neighbours[shrink] = knn_neighbours(val.X, shrink, k_max)
        m = ItemKNN(k, shrink).fit(val.X, neighbours[shrink])
        per, cov = val.ndcg(m.scores(val.rows))
        hist.append({"params": {"k": int(k), "shrink": float(shrink)}, f"val_ndcg@{val.k}": float(per.mean()), "val_coverage": cov})
        budget.tick({"kNN k": k, f"val_ndcg@{val.k}": float(per.mean())})
    return _best(hist, val.k), hist


def tune_als(val: Validation, cfg, budget: Budget, seed: int) -> tuple[dict, list[dict]]:
    hist = []
    for factors, reg, alpha in cfg.als_grid:
        if not budget.allows(len(hist)):
            break
        params = {"factors": int(factors), "regularization": float(reg), "alpha": float(alpha)}
        m = ImplicitALS(**params, seed=seed).fit(val.X)
        per, cov = val.ndcg(m.scores(val.rows, val.users))
        hist.append({"params": params, f"val_ndcg@{val.k}": float(per.mean()), "val_coverage": cov})
        budget.tick({"ALS factors": factors, f"val_ndcg@{val.k}": float(per.mean())})
    return _best(hist, val.k), hist


def _best(hist: list[dict], k: int) -> dict:
    return dict(max(hist, key=lambda h: h[f"val_ndcg@{k}"])["params"]) if hist else {}


def tune_all(val: Validation, cfg, tick: Callable[[dict], None], deadline: float | None) -> tuple[dict, dict, dict]:
    """(tuned settings, validation history, seconds) per method; the model's settings under "model"."""
    slot = catalogue_slots(val.tr, val.n_items, cfg.model.min_count)
    catalog = np.flatnonzero(slot >= 0)
    Xc = val.X[:, catalog]
    searches = {
        "model": lambda b: tune_model(val, cfg, b),
        "ease": (lambda b: tune_ease(val, cfg, slot, (Xc.T @ Xc).toarray(), b)) if len(catalog) >= 2 else None,
        "item_knn": lambda b: tune_knn(val, cfg, b),
        "implicit_als": lambda b: tune_als(val, cfg, b, cfg.seed),
    }
    per, cov = val.ndcg(MostPopular().fit(val.X).scores(val.rows))  # nothing to tune; its validation score for the record
    tuned, history, seconds = {"most_popular": {}}, {"most_popular": [{"params": {}, f"val_ndcg@{val.k}": float(per.mean()), "val_coverage": cov}]}, {}
    for name, search in searches.items():
        if search is None:
            continue
        t = time.perf_counter()
        tuned[name], history[name] = search(Budget(cfg.max_configs, deadline, tick))
        seconds[name] = round(time.perf_counter() - t, 2)
    tuned["model"] = dataclasses.asdict(tuned["model"])
    return tuned, history, seconds


def fits(history: dict) -> dict[str, int]:
    """How many configurations each method fitted (the model's β values re-rank one fit)."""
    out = {}
    for name, hist in history.items():
        out[name] = len({(h["lambda"], h["alpha"], h["tau"]) for h in hist}) if name == "model" else max(1, len(hist))
    return out
