"""Hyper-parameters of the model and of every peer, chosen on an inner validation split carved from
the training rows only (never the test rows), with the same budget for all: at most
``Config.max_configs`` fitted configurations each, scored by NDCG@k on the same validation users.
On small files (``training.inner_splits_for``) every method is scored on several such splits of the same
training rows (repeated hold-out, other seeds) and each validation user's NDCG is the mean over them: one
split of 100 users is noisy enough to pick λ 31 where EASE picks 100 (the accented-titles file, 2026-11-29).

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


Splits = "Validation | list[Validation]"


def _as_list(vals) -> list[Validation]:
    return list(vals) if isinstance(vals, (list, tuple)) else [vals]


def pooled(vals: list[Validation], per_split: list[np.ndarray], covs: list[float]) -> tuple[np.ndarray, float]:
    """One per-user NDCG array and one coverage from a score on each split: each user's mean over the splits when every
    split holds the same validation users (the per-user split of the same rows does), else the users of every split in
    turn; coverage is the mean over the splits."""
    if len(per_split) == 1:
        return per_split[0], covs[0]
    same = all(len(v.users) == len(vals[0].users) and np.array_equal(v.users, vals[0].users) for v in vals)
    per = np.mean(np.stack(per_split), axis=0) if same else np.concatenate(per_split)
    return per, float(np.mean(covs))


class Budget:
    """Stops a search at ``max_configs`` fits or when the wall-clock budget is spent (one fit at least)."""

    def __init__(self, max_configs: int, deadline: float | None, tick: Callable[[dict], None]):
        self.max_configs, self.deadline, self.tick = max_configs, deadline, tick

    def allows(self, done: int) -> bool:
        if done == 0:
            return True
        return done < self.max_configs and (self.deadline is None or time.perf_counter() < self.deadline)


def tune_model(vals: Splits, cfg, budget: Budget) -> tuple[ModelConfig, list[dict]]:
    """The model's λ, α, τ and default β (see module docstring); ``vals``: one inner split or several."""
    vals = _as_list(vals)
    parts = []
    for val in vals:
        slot = catalogue_slots(val.tr, val.n_items, cfg.model.min_count)
        catalog = np.flatnonzero(slot >= 0)
        if len(catalog) < 2:
            return dataclasses.replace(cfg.model, beta=0.0), []
        pop = np.maximum(np.bincount(val.tr["item"].to_numpy(), minlength=val.n_items)[catalog], 1).astype(np.float32)
        parts.append((val, catalog, Gram(val.tr, slot, val.X.shape[0]), pop, val.rows[:, catalog]))
    k = vals[0].k
    history: list[dict] = []
    per_beta: dict[tuple, dict[float, np.ndarray]] = {}

    def trial(lam: float, alpha: float, tau: float) -> None:
        scored = []  # per split: {β: (per-user NDCG, coverage)}
        for val, catalog, gram, pop, rows in parts:
            base = np.asarray(rows @ solve_weights(gram.matrix(alpha, tau), lam).numpy())
            scored.append({beta: val.ndcg(base / pop[None, :] ** beta if beta else base, catalog) for beta in cfg.beta_grid})
        per_beta[(lam, alpha, tau)] = {}
        for beta in cfg.beta_grid:
            per, cov = pooled(vals, [d[beta][0] for d in scored], [d[beta][1] for d in scored])
            per_beta[(lam, alpha, tau)][beta] = per
            history.append({"lambda": lam, "alpha": alpha, "tau": tau, "beta": beta, f"val_ndcg@{k}": float(per.mean()),
                            "val_coverage": cov})
        budget.tick({"model λ": lam, f"val_ndcg@{k}": max(float(p.mean()) for p in per_beta[(lam, alpha, tau)].values())})

    def best() -> tuple[tuple, float]:
        return max(((key, b) for key, d in per_beta.items() for b in d), key=lambda kb: per_beta[kb[0]][kb[1]].mean())

    has_times = parts[0][2].has_times
    a0, t0 = (cfg.model.alpha, cfg.model.tau_seconds) if has_times else (0.0, cfg.model.tau_seconds)
    for lam in cfg.lambda_grid:
        if budget.allows(len(per_beta)):
            trial(lam, a0, t0)
    if has_times:
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


def _ease_parts(vals: list[Validation], cfg) -> list[tuple[Validation, np.ndarray, np.ndarray]] | None:
    """Per split: (split, catalogue columns, Gram matrix over them) — EASE ranks the model's catalogue; None when a split's
    catalogue holds fewer than 2 items."""
    out = []
    for val in vals:
        catalog = np.flatnonzero(catalogue_slots(val.tr, val.n_items, cfg.model.min_count) >= 0)
        if len(catalog) < 2:
            return None
        Xc = val.X[:, catalog]
        out.append((val, catalog, (Xc.T @ Xc).toarray()))
    return out


def tune_ease(vals: Splits, cfg, budget: Budget) -> tuple[dict, list[dict]]:
    vals = _as_list(vals)
    parts = _ease_parts(vals, cfg)
    if parts is None:
        return {}, []
    k = vals[0].k
    hist = []
    for lam in cfg.ease_grid:
        if not budget.allows(len(hist)):
            break
        scored = [val.ndcg(np.asarray(val.rows[:, catalog] @ solve_weights(gram, lam).numpy()), catalog) for val, catalog, gram in parts]
        per, cov = pooled(vals, [p for p, _ in scored], [c for _, c in scored])
        hist.append({"params": {"lam": lam}, f"val_ndcg@{k}": float(per.mean()), "val_coverage": cov})
        budget.tick({"EASE λ": lam, f"val_ndcg@{k}": float(per.mean())})
    return _best(hist, k), hist


def tune_knn(vals: Splits, cfg, budget: Budget) -> tuple[dict, list[dict]]:
    vals = _as_list(vals)
    k_ = vals[0].k
    hist = []
    k_max = max(k for k, _ in cfg.knn_grid)
    neighbours: dict[tuple[int, float], object] = {}
    for k, shrink in cfg.knn_grid:
        if not budget.allows(len(hist)):
            break
        scored = []
        for i, val in enumerate(vals):
            if (i, shrink) not in neighbours:  # one similarity matrix per split and shrinkage serves every k
                neighbours[(i, shrink)] = knn_neighbours(val.X, shrink, k_max)
            scored.append(val.ndcg(ItemKNN(k, shrink).fit(val.X, neighbours[(i, shrink)]).scores(val.rows)))
        per, cov = pooled(vals, [p for p, _ in scored], [c for _, c in scored])
        hist.append({"params": {"k": int(k), "shrink": float(shrink)}, f"val_ndcg@{k_}": float(per.mean()), "val_coverage": cov})
        budget.tick({"kNN k": k, f"val_ndcg@{k_}": float(per.mean())})
    return _best(hist, k_), hist


def tune_als(vals: Splits, cfg, budget: Budget, seed: int) -> tuple[dict, list[dict]]:
    vals = _as_list(vals)
    k = vals[0].k
    hist = []
    for factors, reg, alpha in cfg.als_grid:
        if not budget.allows(len(hist)):
            break
        params = {"factors": int(factors), "regularization": float(reg), "alpha": float(alpha)}
        scored = [val.ndcg(ImplicitALS(**params, seed=seed).fit(val.X).scores(val.rows, val.users)) for val in vals]
        per, cov = pooled(vals, [p for p, _ in scored], [c for _, c in scored])
        hist.append({"params": params, f"val_ndcg@{k}": float(per.mean()), "val_coverage": cov})
        budget.tick({"ALS factors": factors, f"val_ndcg@{k}": float(per.mean())})
    return _best(hist, k), hist


def _best(hist: list[dict], k: int) -> dict:
    return dict(max(hist, key=lambda h: h[f"val_ndcg@{k}"])["params"]) if hist else {}


def tune_all(vals: Splits, cfg, tick: Callable[[dict], None], deadline: float | None) -> tuple[dict, dict, dict]:
    """(tuned settings, validation history, seconds) per method; the model's settings under "model". ``vals``: one inner split
    or several, the same for every method."""
    vals = _as_list(vals)
    k = vals[0].k
    # EASE's Gram matrices are built when its search starts (dense, one per split: not held through the model's search)
    ease_ok = all((catalogue_slots(v.tr, v.n_items, cfg.model.min_count) >= 0).sum() >= 2 for v in vals)
    searches = {
        "model": lambda b: tune_model(vals, cfg, b),
        "ease": (lambda b: tune_ease(vals, cfg, b)) if ease_ok else None,
        "item_knn": lambda b: tune_knn(vals, cfg, b),
        "implicit_als": lambda b: tune_als(vals, cfg, b, cfg.seed),
    }
    # nothing to tune; its validation score for the record
    scored = [val.ndcg(MostPopular().fit(val.X).scores(val.rows)) for val in vals]
    per, cov = pooled(vals, [p for p, _ in scored], [c for _, c in scored])
    tuned, history, seconds = {"most_popular": {}}, {"most_popular": [{"params": {}, f"val_ndcg@{k}": float(per.mean()), "val_coverage": cov}]}, {}
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
