"""Top-k ranking metrics as pure functions over arrays, following the definitions of Microsoft
Recommenders' ``python_evaluation`` (binary relevance: every held-out item of a user is relevant).

``recs`` is a (users × k) array of item codes, best first (−1 = no item); ``truth`` the matching
rows of a users × items 0/1 matrix of held-out interactions; ``n_rel`` each user's number of
relevant items (normally the row sums of ``truth``; an external test also counts held-out items the
model does not know, which nobody can recommend). Per-user values are returned so that every figure
can carry a spread: :func:`bootstrap` resamples users (paired across models).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

ACCURACY = ("ndcg@10", "precision@10", "recall@10", "map@10", "hr@10")
BEYOND = ("coverage", "novelty", "popularity")
ALL = ACCURACY + BEYOND


def hits(recs: np.ndarray, truth: sp.csr_matrix) -> np.ndarray:
    """(users × k) booleans: is the item at each rank relevant?"""
    if recs.size == 0:
        return np.zeros(recs.shape, dtype=bool)
    rows = np.repeat(np.arange(recs.shape[0]), recs.shape[1])
    items = recs.ravel()
    out = np.zeros(items.shape, dtype=bool)
    ok = items >= 0
    out[ok] = np.asarray(truth[rows[ok], items[ok]]).ravel() > 0
    return out.reshape(recs.shape)


def per_user(recs: np.ndarray, truth: sp.csr_matrix, n_rel: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """NDCG, precision, recall, average precision and hit rate at k = recs.shape[1], one value per user.

    * NDCG@k: DCG with gains 1 and discount 1/log2(rank + 1), over the ideal DCG of min(k, |relevant|) hits.
    * precision@k = hits / k; recall@k = hits / |relevant|; hit rate = any hit.
    * AP: the sum of precision@rank over the hits in the top k, divided by |relevant| (as in
      Microsoft Recommenders' ``map_at_k`` tables).
    """
    k = recs.shape[1]
    h = hits(recs, truth)
    n_rel = np.asarray(truth.sum(axis=1)).ravel() if n_rel is None else np.asarray(n_rel)
    n_rel = np.maximum(n_rel, 1).astype(np.int64)
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = np.cumsum(disc)[np.minimum(n_rel, k) - 1]
    n_hits = h.sum(axis=1)
    prec_at = np.cumsum(h, axis=1) / np.arange(1, k + 1)
    return {
        f"ndcg@{k}": (h * disc).sum(axis=1) / idcg,
        f"precision@{k}": n_hits / k,
        f"recall@{k}": n_hits / n_rel,
        f"map@{k}": (prec_at * h).sum(axis=1) / n_rel,
        f"hr@{k}": (n_hits > 0).astype(float),
    }


def novelty(recs: np.ndarray, share: np.ndarray, n_users: int) -> np.ndarray:
    """Per user, the mean self-information −log2 p(i) of the recommended items (Castells et al. 2011);
    an item no training user had gets p = 1 / (users + 1)."""
    p = np.where(recs >= 0, share[np.maximum(recs, 0)], np.nan)
    p = np.where(p > 0, p, 1.0 / (n_users + 1))
    return np.nanmean(-np.log2(p), axis=1)


def popularity(recs: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Per user, the average recommendation popularity (Abdollahpouri et al. 2019, "ARP"), as the share
    of training users who had each recommended item: lower = less popularity-biased."""
    p = np.where(recs >= 0, share[np.maximum(recs, 0)], np.nan)
    return np.nanmean(p, axis=1)


def coverage(recs: np.ndarray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    r = recs[recs >= 0]
    return float(len(np.unique(r)) / max(1, n_items))


def all_metrics(recs: np.ndarray, truth: sp.csr_matrix, share: np.ndarray, n_users: int, n_items: int,
                n_rel: np.ndarray | None = None) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """(metrics over all users, per-user values) of one model's top-k lists."""
    users = per_user(recs, truth, n_rel)
    users["novelty"] = novelty(recs, share, n_users)
    users["popularity"] = popularity(recs, share)
    means = {m: float(np.mean(v)) if len(v) else float("nan") for m, v in users.items()}
    means["coverage"] = coverage(recs, n_items)
    return means, users


def bootstrap(per_user_values: dict[str, dict[str, np.ndarray]], recs: dict[str, np.ndarray], n_items: int, *, n: int = 100,
              seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Per model and metric, the metric on ``n`` bootstrap resamples of the users — the same resamples
    for every model, so the values pair up by position.

    Coverage counts distinct items, which a resample (≈ 63 % distinct users) always under-counts;
    its resampled values are shifted by that bias (the mean resample vs the full set), so the spread
    is centred on the figure it qualifies.
    """
    if not per_user_values:
        return {}
    n_users = len(next(iter(next(iter(per_user_values.values())).values())))
    if n_users < 2 or n < 2:
        return {}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_users, size=(n, n_users))
    weights = sp.csr_matrix((np.ones(idx.size), (np.repeat(np.arange(n), n_users), idx.ravel())), shape=(n, n_users))
    weights.sum_duplicates()
    out: dict[str, dict[str, list[float]]] = {}
    for name, users in per_user_values.items():
        res = {m: (weights @ v) / n_users for m, v in users.items()}
        r = recs[name]
        rows, cols = np.nonzero(r >= 0)
        if len(rows):
            onehot = sp.csr_matrix((np.ones(len(rows)), (rows, r[rows, cols])), shape=(n_users, n_items))
            counts = weights @ onehot
            cov = np.asarray((counts > 0).sum(axis=1)).ravel() / n_items
            res["coverage"] = cov - cov.mean() + coverage(r, n_items)
        out[name] = {m: [float(x) for x in np.asarray(v).ravel()] for m, v in res.items()}
    return out
