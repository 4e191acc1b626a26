"""Peers the model is compared with, fit in the same run on the same training matrix.

Each peer has ``fit(X)`` (X: binary user × item CSR) and ``scores(X_rows) -> dense array`` for the
rows of users to rank; the caller masks already-seen items and takes the top k.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class MostPopular:
    """Items ranked by the number of training users (the same list for everyone)."""

    name = "most_popular"

    def fit(self, X: sp.csr_matrix) -> "MostPopular":
        self.pop = np.asarray(X.sum(axis=0)).ravel().astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.pop, (rows.shape[0], len(self.pop))).copy()


class ItemKNN:
    """Item-based nearest neighbours: cosine similarity on the binary matrix, the top ``k`` neighbours
    of each item kept (Sarwar et al. 2001; Deshpande & Karypis 2004)."""

    name = "item_knn"

    def __init__(self, k: int = 100, shrink: float = 10.0):
        self.k, self.shrink = k, shrink

    def fit(self, X: sp.csr_matrix) -> "ItemKNN":
        Xc = X.tocsc().astype(np.float32)
        norms = np.sqrt(np.asarray(Xc.multiply(Xc).sum(axis=0)).ravel())
        co = (Xc.T @ Xc).toarray()
        sim = co / (np.outer(norms, norms) + self.shrink + 1e-9)
        np.fill_diagonal(sim, 0.0)
        if self.k < sim.shape[0]:
            cut = np.argpartition(-sim, self.k, axis=0)[self.k :]
            np.put_along_axis(sim, cut, 0.0, axis=0)
        self.sim = sim.astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.sim)


class EASE:
    """Embarrassingly Shallow Autoencoder (Steck 2019): closed-form item-item weights
    B = I − P · diag(1 / diag(P)), P = (XᵀX + λI)⁻¹."""

    name = "ease"

    def __init__(self, lam: float = 250.0):
        self.lam = lam

    def fit(self, X: sp.csr_matrix) -> "EASE":
        G = (X.T @ X).toarray().astype(np.float64)
        G[np.diag_indices_from(G)] += self.lam
        P = np.linalg.inv(G)
        B = -P / np.diag(P)
        np.fill_diagonal(B, 0.0)
        self.B = B.astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.B)


class ImplicitALS:
    """Weighted matrix factorisation for implicit feedback (Hu, Koren & Volinsky 2008) from the
    ``implicit`` package (Ben Frederickson), a well-kept, widely used implementation."""

    name = "implicit_als"

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 2.0, iterations: int = 15, seed: int = 0):
        self.kw = dict(factors=factors, regularization=regularization, alpha=alpha, iterations=iterations, random_state=seed)

    def fit(self, X: sp.csr_matrix) -> "ImplicitALS":
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit's own threads do the work; nested BLAS threads slow it down
            self.model = AlternatingLeastSquares(**self.kw, calculate_training_loss=False)
            self.model.fit(X.astype(np.float32), show_progress=False)
        self.user_factors = np.asarray(self.model.user_factors)
        self.item_factors = np.asarray(self.model.item_factors)
        return self

    def scores(self, rows: sp.csr_matrix, user_codes: np.ndarray | None = None) -> np.ndarray:
        if user_codes is not None:
            return self.user_factors[user_codes] @ self.item_factors.T
        # New users: fold in by one least-squares step on their rows.
        uf = self.model.recalculate_user(np.arange(rows.shape[0]), rows.astype(np.float32))
        return np.asarray(uf) @ self.item_factors.T


def top_k(scores: np.ndarray, seen: sp.csr_matrix | None, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(items, scores) of the k best unseen items per row; seen items are excluded."""
    s = np.array(scores, dtype=np.float32, copy=True)
    if seen is not None:
        r, c = seen.nonzero()
        s[r, c] = -np.inf
    k = min(k, s.shape[1])
    idx = np.argpartition(-s, k - 1, axis=1)[:, :k]
    part = np.take_along_axis(s, idx, axis=1)
    order = np.argsort(-part, axis=1, kind="stable")
    items = np.take_along_axis(idx, order, axis=1)
    return items, np.take_along_axis(part, order, axis=1)
