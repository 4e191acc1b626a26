"""Training: split per user, tune the model and every peer on an inner validation split, fit the model
on the whole training part, and precompute the top-k lists the evaluation and the page need."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import torch

from usecases.core import protocol
from usecases.core.device import device_info, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, TrainingCancelled
from usecases.core.spec import ConfigMixin, new_run_id
from usecases.core.tables import DataProblem

from .data import ITEM, USER, Context, Interactions, inner_split, movielens, split_record, user_split
from .evaluation import CURVE_BETAS, artefacts_for, diversity_curve, fit_peers, held_out, item_share, top_lists
from .model import Gram, ModelConfig, build, catalogue_slots, solve_weights
from .trained import Trained
from .tuning import Validation, fits, tune_all


@dataclass(frozen=True)
class Config(ConfigMixin):
    model: ModelConfig = ModelConfig()  # defaults; λ, α, τ and β are tuned
    ratio: float = 0.75
    seed: int = 42
    k: int = 10
    max_configs: int = 12  # the same tuning budget for the model and every peer (fitted configurations)
    lambda_grid: tuple[float, ...] = (125.0, 250.0, 500.0, 1000.0, 2000.0)
    time_grid: tuple[tuple[float, float], ...] = ((0.0, 300.0), (1.0, 300.0), (10.0, 300.0), (3.0, 1800.0), (3.0, 60.0))
    beta_grid: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    ease_grid: tuple[float, ...] = (50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
    knn_grid: tuple[tuple[int, float], ...] = tuple((k, s) for s in (0.0, 10.0) for k in (10, 20, 50, 100, 200, 400))
    als_grid: tuple[tuple[int, float, float], ...] = tuple((f, r, a) for f in (32, 64, 128) for r in (1.0, 10.0) for a in (1.0, 5.0))
    max_users: int | None = None  # subsample users (quick runs)
    device: str | None = None
    budget_seconds: float | None = None  # bounds the tuning searches (each method fits at least one setting)
    inner_splits: int | None = None  # inner validation splits every method is tuned on; None: inner_splits_for (3 on small files)

    def __post_init__(self):  # from a card's JSON: nested lists back to tuples (the config stays hashable)
        super().__post_init__()
        for f in ("time_grid", "knn_grid", "als_grid"):
            object.__setattr__(self, f, tuple(tuple(x) for x in getattr(self, f)))

    @classmethod
    def quick(cls) -> "Config":
        return cls(max_users=80, lambda_grid=(250.0, 1000.0), time_grid=((0.0, 300.0),), beta_grid=(0.0, 0.2), ease_grid=(100.0, 1000.0),
                   knn_grid=((50, 10.0), (200, 10.0)), als_grid=((32, 1.0, 1.0), (32, 10.0, 1.0)))


def min_count_for(cfg: Config, train_users: int) -> int:
    """The catalogue threshold: ``cfg.model.min_count`` training users, fewer for small files (1 % of users, at least 2)."""
    return int(min(cfg.model.min_count, max(2, int(np.ceil(0.01 * train_users)))))


SMALL_USERS = 500  # at most this many training users: several inner splits (a 100-user split is noisy)
SMALL_SPLITS = 3


def inner_splits_for(cfg: Config, train_users: int) -> int:
    """How many inner validation splits tuning scores every method on: ``cfg.inner_splits`` when set, else 3 for a file of at
    most ``SMALL_USERS`` training users and 1 above (the shipped MovieLens model, 671 users, is tuned as before)."""
    if cfg.inner_splits is not None:
        return max(1, int(cfg.inner_splits))
    return SMALL_SPLITS if train_users <= SMALL_USERS else 1


def check_catalogue(ctx: Context, slot, min_count: int) -> None:
    """Refuse, saying what the file lacks, when fewer than 2 items have ``min_count`` training users. It had been "fewer than 2
    items have 5 or more training users; add data", after tuning, under a file the page had called "Ready to train" (an
    analyst walkthrough, 2026-12-07: 480 students of 120 departments, at most 4 a course)."""
    if (slot >= 0).sum() >= 2:
        return
    most = int(ctx.train.groupby(ITEM)[USER].nunique().max()) if len(ctx.train) else 0
    raise DataProblem(f"only {int((slot >= 0).sum())} of its {ctx.train[ITEM].nunique():,} items {'has' if (slot >= 0).sum() == 1 else 'have'} "
                      f"{min_count} or more users in the training part (the most any item has is {most}), and the model needs 2 such items "
                      f"to recommend from — add interactions so that items are shared by at least {min_count} users", "this data")


def fit_final(ctx: Context, mcfg: ModelConfig, device: torch.device):
    """The model on the whole training part with the tuned settings; returns (model, catalogue slots)."""
    slot = catalogue_slots(ctx.train, ctx.data.n_items, mcfg.min_count)
    check_catalogue(ctx, slot, mcfg.min_count)
    gram = Gram(ctx.train, slot, ctx.data.n_users)
    B = solve_weights(gram.matrix(mcfg.alpha, mcfg.tau_seconds), mcfg.lam, device)
    return build(ctx.train, ctx.data.n_items, slot, B, mcfg.beta), slot


def train(config: Config = Config(), *, data: Interactions | None = None, progress: Progress | None = None,
          cancel: CancelToken | None = None) -> Trained:
    """Tune on an inner validation split, fit on the training part, precompute the evaluation's top-k lists."""
    t0 = time.perf_counter()
    seed_everything(config.seed)
    device = select_device(config.device)
    default = data is None
    data = movielens() if default else data
    split = user_split(data, config.ratio, config.seed, config.max_users)
    ctx = Context.build(data, split)
    cfg = dataclasses.replace(config, model=dataclasses.replace(config.model, min_count=min_count_for(config, ctx.train[USER].nunique())))
    total = min(cfg.max_configs, len(cfg.lambda_grid) + len(cfg.time_grid) + 2) + len(cfg.ease_grid) + len(cfg.knn_grid) + len(cfg.als_grid) + 2
    step = 0

    def tick(metrics: dict) -> None:
        nonlocal step
        if cancel is not None and cancel.cancelled:
            raise TrainingCancelled()
        step += 1
        if progress is not None:
            progress(min(step, total), total, {"step": step, **metrics})

    # (before tuning: a file no catalogue can be drawn from had been refused only after every method was tuned)
    check_catalogue(ctx, catalogue_slots(ctx.train, data.n_items, cfg.model.min_count), cfg.model.min_count)
    # 1. Every method tuned on the same inner split(s) of the training rows, with the same budget.
    cfg = dataclasses.replace(cfg, inner_splits=inner_splits_for(cfg, ctx.train[USER].nunique()))
    vals = [Validation(*inner_split(ctx.train, cfg.ratio, cfg.seed + 1 + i), data.n_users, data.n_items, cfg.k)
            for i in range(cfg.inner_splits)]
    deadline = t0 + cfg.budget_seconds if cfg.budget_seconds else None
    tuned, history, tuning_seconds = tune_all(vals, cfg, tick, deadline)
    mcfg = ModelConfig(**tuned["model"])
    # 2. The model on the whole training part.
    t_fit = time.perf_counter()
    model, slot = fit_final(ctx, mcfg, device)
    model.to("cpu")
    fit_seconds = time.perf_counter() - t_fit
    tick({"final fit": 1.0})
    # 3. Peers on the same training rows; every model's top-k lists for the test users (stored with the model).
    card = _card(cfg, mcfg, data, ctx, model, device, tuned, history, default)
    card["tuning_seconds"] = tuning_seconds
    trained = Trained(model=model, card=card, data=data)
    users = ctx.test_users
    rows = ctx.seen[users]
    recs = top_lists(trained, rows, users, fit_peers(card, ctx.seen, slot), cfg.k)
    curve = diversity_curve(trained, rows, ctx.truth[users], item_share(ctx.seen), None, cfg.k)
    trained.artefacts = artefacts_for(recs, users, curve)
    ev = held_out(trained, ctx)
    tick({f"test_ndcg@{cfg.k}": ev.model[f"ndcg@{cfg.k}"]})
    card.update(metrics=ev.model, baselines=ev.baselines, training_seconds=round(tuning_seconds["model"] + fit_seconds, 2),
                model_fit_seconds=round(fit_seconds, 2), total_seconds=round(time.perf_counter() - t0, 2))
    return trained


def _card(cfg: Config, mcfg: ModelConfig, data: Interactions, ctx: Context, model, device, tuned: dict, history: dict, default: bool) -> dict:
    rated = ctx.data.liked_threshold()
    return {
        "run_id": new_run_id(),
        "data": {"source": data.source, "default": default, "fingerprint": data.fingerprint,
                 "rows_fingerprint": protocol.rows_fingerprint(data.frame), "split": ctx.split.description,
                 "split_record": split_record(ctx.split, cfg.ratio), "users": int(ctx.train[USER].nunique()), "items": int(data.n_items),
                 "titled_items": data.titled_items,
                 "train_interactions": int(len(ctx.train)), "test_interactions": int(len(ctx.test)),
                 "liked_from_rating": rated, "notes": list(data.notes)},
        "training": dataclasses.replace(cfg, model=mcfg).as_dict(),
        "model": {"architecture": "time-aware item-item autoencoder (EASE family), exact solve, popularity re-ranking",
                  "n_items": int(data.n_items), "catalog_items": int(len(model.catalog)), "lambda": mcfg.lam, "alpha": mcfg.alpha,
                  "tau_seconds": mcfg.tau_seconds, "beta": mcfg.beta, "min_count": mcfg.min_count, "weights_dtype": "float16",
                  "curve_betas": list(CURVE_BETAS)},
        "tuned": tuned,
        "tuning": history,
        "fits": fits(history),
        "device": device_info(device).as_dict(),
        "history": [{"step": i + 1, **h} for i, h in enumerate(history["model"])],
    }
