"""Training, evaluation, storage and serving (top-N, explanations, fold-in, similar items)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from usecases.core.device import device_info, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, TrainingCancelled
from usecases.core.spec import ConfigMixin, Report
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import Column, DataProblem, Schema, read_table, validate

from . import SPEC
from .data import Interactions, matrix, movielens, read_interactions, stratified_split
from .metrics import ITEM, RANK, USER, all_metrics, ndcg_at_k
from .model import ItemAutoencoder, ModelConfig, solve_weights, temporal_gram
from .peers import EASE, ImplicitALS, ItemKNN, MostPopular, top_k

PEER_LABELS = {"most_popular": "Most popular", "item_knn": "Item-kNN", "ease": "EASE", "implicit_als": "ALS (implicit)"}
LAMBDA_GRID = (250.0, 500.0, 1000.0, 2000.0)


@dataclass(frozen=True)
class Config(ConfigMixin):
    model: ModelConfig = ModelConfig()
    lambda_grid: tuple[float, ...] = LAMBDA_GRID  # λ chosen on a validation split of the training data
    ratio: float = 0.75
    seed: int = 42
    k: int = 10
    # Peers' settings, chosen on the same validation protocol (see README).
    ease_lam: float = 250.0
    knn_k: int = 100
    als_factors: int = 64
    max_users: int | None = None  # subsample users (quick runs)
    device: str | None = None
    budget_seconds: float | None = None  # the solve is exact; the budget only bounds the λ search

    @classmethod
    def quick(cls) -> "Config":
        return cls(max_users=80, lambda_grid=(250.0, 1000.0))


@dataclass
class Trained:
    model: ItemAutoencoder
    card: dict
    data: Interactions | None = None
    train_frame: pd.DataFrame | None = None
    test_frame: pd.DataFrame | None = None
    report: Report | None = None
    extras: dict = field(default_factory=dict)

    def ensure_data(self) -> None:
        """Rebuild the (deterministic) default data and split after a load from the store."""
        if self.data is not None:
            return
        if "MovieLens" not in self.card["data"]["source"]:
            raise DataProblem("this model was trained on your own file, which the app does not keep; load the file again", "this model")
        cfg = Config.from_dict(self.card["training"])
        self.data, self.train_frame, self.test_frame = prepare(movielens(), cfg)

    @property
    def seen(self) -> sp.csr_matrix:
        if "seen" not in self.extras:
            self.ensure_data()
            self.extras["seen"] = matrix(self.train_frame, self.data.n_users, self.data.n_items)
        return self.extras["seen"]


def prepare(data: Interactions, cfg: Config) -> tuple[Interactions, pd.DataFrame, pd.DataFrame]:
    frame = data.frame
    if cfg.max_users is not None and cfg.max_users < data.n_users:
        keep = np.random.default_rng(cfg.seed).choice(data.n_users, size=cfg.max_users, replace=False)
        frame = frame[frame[USER].isin(keep)]
    train, test = stratified_split(frame, cfg.ratio, cfg.seed)
    if len(test) == 0 or train[USER].nunique() == 0:
        raise DataProblem("too few interactions per user to hold out 25 % for testing", "this data")
    return data, train, test


def _recs_frame(users: np.ndarray, items: np.ndarray, scores: np.ndarray | None = None) -> pd.DataFrame:
    k = items.shape[1]
    df = pd.DataFrame({USER: np.repeat(users, k), ITEM: items.ravel(), RANK: np.tile(np.arange(1, k + 1), len(users))})
    if scores is not None:
        df["score"] = scores.ravel()
    return df


def _fit_model(train: pd.DataFrame, n_users: int, n_items: int, mcfg: ModelConfig, lam: float | None, device: torch.device,
               G: torch.Tensor | None = None, slot: np.ndarray | None = None) -> ItemAutoencoder:
    pop = np.bincount(train[ITEM].to_numpy(), minlength=n_items)
    if slot is None:
        catalog = np.flatnonzero(pop >= mcfg.min_count)
        slot = -np.ones(n_items, dtype=np.int64)
        slot[catalog] = np.arange(len(catalog))
    catalog = np.flatnonzero(slot >= 0)
    if len(catalog) < 2:
        raise DataProblem(f"fewer than 2 items have {mcfg.min_count} or more training users; add data", "this data")
    if G is None:
        G = temporal_gram(train, slot, len(catalog), mcfg.alpha, mcfg.tau_seconds, device)
    B = solve_weights(G, lam if lam is not None else mcfg.lam)
    model = ItemAutoencoder(n_items, len(catalog))
    model.catalog.copy_(torch.as_tensor(catalog))
    model.B.copy_(B.to("cpu", torch.float16))
    model.popularity.copy_(torch.as_tensor(pop, dtype=torch.float32))
    return model


@torch.no_grad()
def model_scores(model: ItemAutoencoder, rows: sp.csr_matrix, batch: int = 1024) -> np.ndarray:
    """Scores for each row of a user × item matrix, in batches on the model's device."""
    device = model.B.device
    out = []
    for i in range(0, rows.shape[0], batch):
        x = torch.as_tensor(rows[i : i + batch].toarray(), dtype=torch.float32, device=device)
        out.append(model(x).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.n_items), np.float32)


def train(config: Config = Config(), *, data: Interactions | None = None, progress: Progress | None = None, cancel: CancelToken | None = None) -> "Trained":
    """Choose λ on a validation split of the training data, refit on all training data, evaluate with peers."""
    t0 = time.perf_counter()
    seed_everything(config.seed)
    device = select_device(config.device)
    data = data if data is not None else movielens()
    data, train_df, test_df = prepare(data, config)
    total = len(config.lambda_grid) + 2
    step = 0

    def tick(metrics: dict) -> None:
        nonlocal step
        if cancel is not None and cancel.cancelled:
            raise TrainingCancelled()
        step += 1
        if progress is not None:
            progress(step, total, {"step": step, **metrics})

    # 1. λ on a validation split carved from the training data (same protocol, different seed).
    tr2, va = stratified_split(train_df, config.ratio, config.seed + 1)
    X2 = matrix(tr2, data.n_users, data.n_items)
    pop2 = np.bincount(tr2[ITEM].to_numpy(), minlength=data.n_items)
    slot2 = -np.ones(data.n_items, dtype=np.int64)
    cat2 = np.flatnonzero(pop2 >= config.model.min_count)
    slot2[cat2] = np.arange(len(cat2))
    G2 = temporal_gram(tr2, slot2, len(cat2), config.model.alpha, config.model.tau_seconds, device) if len(cat2) >= 2 else None
    users_va = np.unique(va[USER].to_numpy())
    curve = []
    for lam in config.lambda_grid:
        if G2 is None:
            break
        m = _fit_model(tr2, data.n_users, data.n_items, config.model, lam, device, G=G2, slot=slot2)
        items, _ = top_k(model_scores(m, X2[users_va]), X2[users_va], config.k)
        ndcg = ndcg_at_k(va, _recs_frame(users_va, items), config.k)
        curve.append({"lambda": lam, "val_ndcg@10": ndcg})
        tick({"lambda": lam, "val_ndcg@10": ndcg})
        if config.budget_seconds is not None and time.perf_counter() - t0 > config.budget_seconds:
            break
    best_lam = max(curve, key=lambda r: r["val_ndcg@10"])["lambda"] if curve else config.model.lam
    mcfg = dataclasses.replace(config.model, lam=best_lam)

    # 2. Refit on the whole training split.
    model = _fit_model(train_df, data.n_users, data.n_items, mcfg, None, device)
    model.to("cpu")
    train_seconds = time.perf_counter() - t0
    tick({"lambda": best_lam})

    # 3. Peers on the same split, then evaluation of everything.
    X = matrix(train_df, data.n_users, data.n_items)
    peers = {
        "most_popular": MostPopular().fit(X),
        "item_knn": ItemKNN(k=config.knn_k).fit(X),
        "ease": _ease_on_seen_items(X, config.ease_lam),
        "implicit_als": ImplicitALS(factors=config.als_factors, seed=config.seed).fit(X),
    }
    trained = Trained(model=model, card={}, data=data, train_frame=train_df, test_frame=test_df, extras={"peers": peers, "seen": X})
    report = _evaluate(trained, config.k)
    tick({"test_ndcg@10": report.model[f"ndcg@{config.k}"]})
    trained.report = report
    trained.card = {
        "data": {"source": data.source, "fingerprint": data.fingerprint, "split": f"per-user stratified random {config.ratio:.0%} / {1 - config.ratio:.0%} (seed {config.seed})",
                 "users": int(train_df[USER].nunique()), "items": int(data.n_items), "train_interactions": int(len(train_df)),
                 "test_interactions": int(len(test_df))},
        "training": dataclasses.replace(config, model=mcfg).as_dict(),
        "model": {"architecture": "time-aware denoising item-item autoencoder (EASE family), exact solve",
                  "n_items": int(data.n_items), "catalog_items": int(len(model.catalog)), "lambda": best_lam,
                  "alpha": mcfg.alpha, "tau_seconds": mcfg.tau_seconds, "min_count": mcfg.min_count, "weights_dtype": "float16"},
        "device": device_info(device).as_dict(),
        "training_seconds": round(train_seconds, 2),
        "metrics": report.model,
        "baselines": report.baselines,
        "history": curve,
    }
    return trained


class _SeenItemsEASE:
    """EASE restricted to items with at least one training interaction (others cannot be learned)."""

    name = "ease"

    def __init__(self, X: sp.csr_matrix, lam: float):
        self.items = np.flatnonzero(np.asarray(X.sum(axis=0)).ravel() > 0)
        self.inner = EASE(lam).fit(X[:, self.items])
        self.n = X.shape[1]

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        s = np.full((rows.shape[0], self.n), -np.inf, dtype=np.float32)
        s[:, self.items] = self.inner.scores(rows[:, self.items])
        return s


def _ease_on_seen_items(X: sp.csr_matrix, lam: float) -> _SeenItemsEASE:
    return _SeenItemsEASE(X, lam)


def _evaluate(trained: Trained, k: int = 10) -> Report:
    data, train_df, test_df = trained.data, trained.train_frame, trained.test_frame
    X = trained.seen
    users = np.unique(test_df[USER].to_numpy())
    rows = X[users]
    recs = {}
    t = time.perf_counter()
    items, sc = top_k(model_scores(trained.model, rows), rows, k)
    latency = time.perf_counter() - t
    recs["model"] = _recs_frame(users, items, sc)
    peers = trained.extras.get("peers") or {}
    for name, p in peers.items():
        s = p.scores(rows, users) if isinstance(p, ImplicitALS) else p.scores(rows)
        it, _ = top_k(s, rows, k)
        recs[name] = _recs_frame(users, it)
    model_m = all_metrics(test_df, recs["model"], train_df, data.n_items, k)
    base = {n: all_metrics(test_df, recs[n], train_df, data.n_items, k) for n in peers}
    return Report(
        usecase=SPEC.name, primary_metric=SPEC.primary_metric, model=model_m, baselines=base,
        data={"source": data.source, "rows": int(len(data.frame)), "split": trained.card.get("data", {}).get("split", "per-user stratified random 75 % / 25 %"),
              "users": int(len(users)), "items": int(data.n_items)},
        extras={"recs": recs, "topk_all_users_seconds": latency},
    )


# ---- store ------------------------------------------------------------------------------------

def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    card = store.save(key or SPEC.name, trained.model.state_dict(), trained.card, format_version=SPEC.format_version)
    trained.card = card
    return card


def load(store: ModelStore, key: str | None = None) -> Trained:
    model, card = load_module(store, key or SPEC.name, format_version=SPEC.format_version,
                              build=lambda c: ItemAutoencoder(int(c["model"]["n_items"]), int(c["model"]["catalog_items"])))
    return Trained(model=model, card=card)


def evaluate(trained: Trained, data: Interactions | None = None) -> Report:
    """Model vs peers on the test split (peers fit in this run on the same training split).

    With ``data`` (a user's file), a model is trained and evaluated on it with the same protocol.
    """
    if data is not None:
        cfg = Config.from_dict(trained.card.get("training", {})) if trained.card else Config()
        return train(dataclasses.replace(cfg, max_users=None), data=data).report
    if trained.report is not None:
        return trained.report
    trained.ensure_data()
    cfg = Config.from_dict(trained.card["training"])
    X = trained.seen
    trained.extras["peers"] = {
        "most_popular": MostPopular().fit(X),
        "item_knn": ItemKNN(k=cfg.knn_k).fit(X),
        "ease": _ease_on_seen_items(X, cfg.ease_lam),
        "implicit_als": ImplicitALS(factors=cfg.als_factors, seed=cfg.seed).fit(X),
    }
    trained.report = _evaluate(trained, cfg.k)
    return trained.report


def card_report(trained: Trained) -> Report:
    """The model-vs-peers figures recorded in the card (computed in the training run, same split)."""
    if trained.report is not None:
        return trained.report
    c = trained.card
    return Report(usecase=SPEC.name, primary_metric=SPEC.primary_metric, model=c["metrics"], baselines=c["baselines"],
                  data={"source": c["data"]["source"], "rows": c["data"].get("train_interactions", 0) + c["data"].get("test_interactions", 0),
                        "split": c["data"]["split"]})


# ---- serving ----------------------------------------------------------------------------------

def item_table(trained: Trained, items: np.ndarray) -> pd.DataFrame:
    meta = trained.data.items
    out = meta.iloc[items][["item_id", "title", "year", "genres"]].reset_index(drop=True)
    out["year"] = out["year"].map(lambda y: "" if pd.isna(y) else str(int(y)))
    return out


def explain(trained: Trained, history: np.ndarray, item: int, top: int = 2) -> list[int]:
    """Items of ``history`` (codes) that contribute most to the score of ``item``: x_i · B[i, item]."""
    model = trained.model
    slot = {int(c): i for i, c in enumerate(model.catalog.tolist())}
    j = slot.get(int(item))
    if j is None:
        return []
    rows = [(h, float(model.B[slot[h], j])) for h in history if int(h) in slot]
    rows = [r for r in rows if r[1] > 0]
    rows.sort(key=lambda r: -r[1])
    return [int(h) for h, _ in rows[:top]]


def recommend(trained: Trained, user_code: int, n: int = 10) -> pd.DataFrame:
    """Top-n unseen items for a known user, with a "because you liked …" reason."""
    trained.ensure_data()
    row = trained.seen[[user_code]]
    scores_all = model_scores(trained.model, row) if row.nnz else trained.model.popularity.numpy()[None, :].copy()
    items, scores = top_k(scores_all, row, n)
    history = row.indices
    out = item_table(trained, items[0])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["score"] = np.round(scores[0], 4)
    titles = trained.data.items["title"].to_numpy()
    out["because you liked"] = [", ".join(titles[h] for h in explain(trained, history, it)) or "popular with similar viewers" for it in items[0]]
    return out[np.isfinite(out["score"])].reset_index(drop=True)


def history(trained: Trained, user_code: int, n: int = 10) -> pd.DataFrame:
    """The user's training history, best rated (then most recent) first."""
    trained.ensure_data()
    h = trained.train_frame[trained.train_frame[USER] == user_code].sort_values(["rating", "timestamp"], ascending=False)
    out = item_table(trained, h[ITEM].to_numpy()[:n])
    out["rating"] = h["rating"].to_numpy()[:n]
    return out


def fold_in(trained: Trained, liked: list[int], genres: list[str] | None = None, n: int = 10) -> pd.DataFrame:
    """Recommendations for a new visitor from a few liked items and/or genres, without retraining.

    Genres are turned into a seed of the most popular catalogue films in those genres (weight 0.5).
    """
    trained.ensure_data()
    x = np.zeros(trained.model.n_items, dtype=np.float32)
    x[list(liked)] = 1.0
    if genres:
        meta = trained.data.items
        pop = trained.model.popularity.numpy()
        mask = meta["genres"].fillna("").map(lambda g: any(gg in g.split("|") for gg in genres)).to_numpy()
        cand = np.flatnonzero(mask)
        seed = cand[np.argsort(-pop[cand])][:20]
        x[seed] = np.maximum(x[seed], 0.5)
    if not x.any():
        raise DataProblem("pick at least one film or one genre", "this request")
    seen = sp.csr_matrix(np.isin(np.arange(len(x)), liked).astype(np.float32)[None, :])
    s = trained.model(torch.as_tensor(x[None, :])).numpy()
    if genres:  # keep the list in the chosen genres when the visitor gave genres only
        meta = trained.data.items
        in_genre = meta["genres"].fillna("").map(lambda g: any(gg in g.split("|") for gg in genres)).to_numpy()
        if not liked:
            s[0, ~in_genre] = -np.inf
    items, scores = top_k(s, seen, n)
    out = item_table(trained, items[0])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["score"] = np.round(scores[0], 4)
    titles = trained.data.items["title"].to_numpy()
    out["because you liked"] = [", ".join(titles[h] for h in explain(trained, np.asarray(liked, dtype=int), it)) or ("your genres" if genres else "") for it in items[0]]
    return out[np.isfinite(out["score"])].reset_index(drop=True)


def similar_items(trained: Trained, item: int, n: int = 10) -> pd.DataFrame:
    """Nearest neighbours of an item: the items the model scores highest for someone who liked only it."""
    trained.ensure_data()
    x = torch.zeros(1, trained.model.n_items)
    x[0, item] = 1.0
    s = trained.model(x).numpy()
    s[0, item] = -np.inf
    items, scores = top_k(s, None, n)
    out = item_table(trained, items[0])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["weight"] = np.round(scores[0], 4)
    return out[np.isfinite(out["weight"]) & (out["weight"] > 0)].reset_index(drop=True)


def search_titles(trained: Trained, query: str, limit: int = 20) -> pd.DataFrame:
    trained.ensure_data()
    meta = trained.data.items
    q = query.strip().lower()
    pop = trained.model.popularity.numpy()
    hits = np.flatnonzero(meta["title"].str.lower().str.contains(q, regex=False).to_numpy()) if q else np.argsort(-pop)[:limit]
    hits = hits[np.argsort(-pop[hits])][:limit]
    return meta.iloc[hits].assign(code=hits, popularity=pop[hits].astype(int)).reset_index(drop=True)


USERS_SCHEMA = Schema(
    title="user list",
    columns=(Column("user_id", "str", description="A user id known to the model", example="15", aliases=("user", "userid", "customer_id")),),
    min_rows=1,
    headerless_ok=True,
)


def read_data(raw: bytes, filename: str) -> Interactions:
    return read_interactions(raw, filename)


def score_file(trained: Trained, raw: bytes, filename: str, n: int = 10) -> pd.DataFrame:
    """Top-n for every user id in a file (one id per row) — the page's Batch tab and ``score``."""
    trained.ensure_data()
    subject = f"“{filename}”"
    df, info = read_table(raw, max_bytes=USERS_SCHEMA.max_bytes, encodings=("utf-8", "cp1252"), subject=subject)
    ids = validate(df, USERS_SCHEMA, header=info.header, subject=subject)["user_id"].astype(str)
    codes = [trained.data.user_code(u) for u in ids]
    unknown = [u for u, c in zip(ids, codes) if c is None]
    if unknown:
        raise DataProblem(f"{len(unknown)} unknown user id{'s' if len(unknown) > 1 else ''} ({', '.join(map(repr, unknown[:5]))}"
                          f"{' …' if len(unknown) > 5 else ''}); known ids are {trained.data.user_ids[0]}…{trained.data.user_ids[-1]}", subject)
    uniq = list(dict.fromkeys(codes))
    rows = trained.seen[uniq]
    items, scores = top_k(model_scores(trained.model, rows), rows, n)
    meta = trained.data.items
    out = pd.DataFrame({
        "user_id": np.repeat(trained.data.user_ids[uniq], n), "rank": np.tile(np.arange(1, n + 1), len(uniq)),
        "item_id": meta["item_id"].to_numpy()[items.ravel()], "title": meta["title"].to_numpy()[items.ravel()],
        "score": np.round(scores.ravel(), 4),
    })
    return out[np.isfinite(out["score"])].reset_index(drop=True)
