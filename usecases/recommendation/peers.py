"""Peers the model is compared with, each fit in the same run on the same training matrix with
hyper-parameters tuned on the same inner validation split (see ``tuning.py``).

Every peer has ``fit(X)`` (X: binary users × items CSR of training interactions) and
``scores(rows, users=None)`` → a dense (len(rows) × items) array. ``rows`` are the histories to rank
for; ``users`` their training user codes when they are training users (ALS then reads its learnt
user factors), or ``None`` for new visitors, whom every peer folds in without retraining:
most-popular ignores the history, item-kNN and EASE multiply it by their item-item weights and ALS
solves one least-squares step for the user's factors (``recalculate_user``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from .model import solve_weights

LABELS = {"most_popular": "Most popular", "item_knn": "Item-kNN (cosine)", "ease": "EASE", "implicit_als": "ALS (implicit)"}


class MostPopular:
    """Items ranked by the number of training users (the same list for everyone)."""

    def fit(self, X: sp.csr_matrix) -> "MostPopular":
        self.pop = np.asarray(X.sum(axis=0)).ravel().astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        return np.broadcast_to(self.pop, (rows.shape[0], len(self.pop))).copy()


def knn_neighbours(X: sp.csr_matrix, shrink: float, k_max: int, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k_max`` cosine neighbours of every item: (indices, similarities), both items × k_max, best
    first. Similarity = co-occurrences / (‖i‖·‖j‖ + shrink), computed one block of items at a time over
    the items with training interactions (the others have no neighbours: similarity 0)."""
    n = X.shape[1]
    active = np.flatnonzero(np.asarray(X.sum(axis=0)).ravel() > 0)
    Xa = X[:, active].tocsc().astype(np.float32)
    norms = torch.as_tensor(np.sqrt(np.asarray(Xa.multiply(Xa).sum(axis=0)).ravel()))
    m = len(active)
    k_max = max(1, min(k_max, m - 1))
    idx = np.zeros((n, k_max), dtype=np.int64)
    val = np.zeros((n, k_max), dtype=np.float32)
    XT = Xa.T.tocsr()
    for s in range(0, m, block):
        e = min(m, s + block)
        co = torch.as_tensor((XT[s:e] @ Xa).toarray())  # block × active co-occurrences
        sim = co / (norms[s:e, None] * norms[None, :] + shrink + 1e-9)
        sim[torch.arange(e - s), torch.arange(s, e)] = 0.0  # an item is not its own neighbour
        v, i = torch.topk(sim, k_max, dim=1)
        idx[active[s:e]], val[active[s:e]] = active[i.numpy()], v.numpy()
    return idx, val


class ItemKNN:
    """Item-based nearest neighbours: cosine similarity on the binary matrix with a shrinkage term, the
    top ``k`` neighbours of each item kept (Sarwar et al. 2001; Deshpande & Karypis 2004)."""

    def __init__(self, k: int = 100, shrink: float = 10.0):
        self.k, self.shrink = int(k), float(shrink)

    def fit(self, X: sp.csr_matrix, neighbours: tuple[np.ndarray, np.ndarray] | None = None) -> "ItemKNN":
        idx, val = neighbours if neighbours is not None else knn_neighbours(X, self.shrink, self.k)
        k = min(self.k, idx.shape[1])
        n = X.shape[1]
        # sim[i, j]: weight of history item i in the score of item j (neighbours of j, kept per column).
        self.sim = sp.csr_matrix((val[:, :k].ravel(), (idx[:, :k].ravel(), np.repeat(np.arange(n), k))), shape=(n, n))
        return self

    def scores(self, rows: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        return np.asarray((rows @ self.sim).todense(), dtype=np.float32)


class EASE:
    """Embarrassingly Shallow Autoencoder (Steck 2019): closed-form item-item weights
    B = I − P · diag(1 / diag(P)), P = (XᵀX + λI)⁻¹, on the same item catalogue as the model
    (items with at least ``min_count`` training users)."""

    def __init__(self, lam: float = 250.0, slot: np.ndarray | None = None):
        self.lam, self.slot = float(lam), slot

    def fit(self, X: sp.csr_matrix, gram: np.ndarray | None = None) -> "EASE":
        n = X.shape[1]
        self.catalog = np.arange(n) if self.slot is None else np.flatnonzero(self.slot >= 0)
        if gram is None:
            Xc = X[:, self.catalog]
            gram = (Xc.T @ Xc).toarray()
        self.B = solve_weights(gram, self.lam).numpy()
        self.n = n
        return self

    def scores(self, rows: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        s = np.full((rows.shape[0], self.n), -np.inf, dtype=np.float32)
        s[:, self.catalog] = np.asarray(rows[:, self.catalog] @ self.B)
        return s


class ImplicitALS:
    """Weighted matrix factorisation for implicit feedback (Hu, Koren & Volinsky 2008) from the
    ``implicit`` package (Ben Frederickson), a well-kept, widely used implementation."""

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 1.0, iterations: int = 15, seed: int = 0):
        self.kw = dict(factors=int(factors), regularization=float(regularization), alpha=float(alpha), iterations=int(iterations),
                       random_state=seed)

    def fit(self, X: sp.csr_matrix) -> "ImplicitALS":
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit's own threads do the work; nested BLAS threads slow it down
            self.model = AlternatingLeastSquares(**self.kw, calculate_training_loss=False)
            self.model.fit(X.astype(np.float32), show_progress=False)
        self.user_factors = np.asarray(self.model.user_factors)
        self.item_factors = np.asarray(self.model.item_factors)
        return self

    def scores(self, rows: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        if users is not None:
            return self.user_factors[users] @ self.item_factors.T
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # new visitors: one least-squares step for their factors
            uf = self.model.recalculate_user(np.arange(rows.shape[0]), rows.astype(np.float32))
        return np.asarray(uf).reshape(rows.shape[0], -1) @ self.item_factors.T


def make(name: str, params: dict, X: sp.csr_matrix, *, slot: np.ndarray, seed: int):
    """Fit peer ``name`` with tuned ``params`` on ``X``."""
    if name == "most_popular":
        return MostPopular().fit(X)
    if name == "item_knn":
        return ItemKNN(**params).fit(X)
    if name == "ease":
        return EASE(params["lam"], slot).fit(X)
    if name == "implicit_als":
        return ImplicitALS(**params, seed=seed).fit(X)
    raise ValueError(f"unknown peer {name!r}")


def top_k(scores: np.ndarray, seen: sp.csr_matrix | None, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(items, scores) of the k best unseen items per row; seen items are excluded; an item that cannot
    be recommended (score −inf) is returned as −1."""
    s = np.array(scores, dtype=np.float32, copy=True)
    if seen is not None:
        r, c = seen.nonzero()
        s[r, c] = -np.inf
    want, k = k, min(k, s.shape[1])
    idx = np.argpartition(-s, k - 1, axis=1)[:, :k]
    part = np.take_along_axis(s, idx, axis=1)
    order = np.argsort(-part, axis=1, kind="stable")
    items = np.take_along_axis(idx, order, axis=1)
    vals = np.take_along_axis(part, order, axis=1)
    if k < want:  # fewer items than k (a panel of 7 years): still k columns, the missing ones −1, so every metric is "@k"
        items = np.pad(items, ((0, 0), (0, want - k)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, want - k)), constant_values=-np.inf)
    return np.where(np.isfinite(vals), items, -1), vals
