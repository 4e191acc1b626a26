"""Top-k ranking metrics as pure functions over DataFrames with explicit column names, following the
definitions of Microsoft Recommenders' ``python_evaluation`` (binary relevance: every held-out item
of a user is relevant).

``truth`` holds (user, item) pairs of held-out interactions; ``recs`` holds (user, item, rank) of the
top-k recommendations, rank 1 being the best. Users without held-out items are ignored; users with
held-out items but no recommendations count as zeros.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

USER, ITEM, RANK = "user", "item", "rank"


def _hits(truth: pd.DataFrame, recs: pd.DataFrame, k: int) -> tuple[pd.DataFrame, pd.Series]:
    """Rows of ``recs`` (rank ≤ k) that are relevant, and the number of relevant items per user."""
    n_rel = truth.groupby(USER)[ITEM].nunique()
    top = recs[recs[RANK] <= k]
    top = top[top[USER].isin(n_rel.index)]
    hits = top.merge(truth[[USER, ITEM]].drop_duplicates(), on=[USER, ITEM], how="inner")
    return hits, n_rel


def precision_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Mean over users of |relevant ∩ top-k| / k."""
    hits, n_rel = _hits(truth, recs, k)
    per_user = hits.groupby(USER).size().reindex(n_rel.index, fill_value=0)
    return float((per_user / k).mean())


def recall_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Mean over users of |relevant ∩ top-k| / |relevant|."""
    hits, n_rel = _hits(truth, recs, k)
    per_user = hits.groupby(USER).size().reindex(n_rel.index, fill_value=0)
    return float((per_user / n_rel).mean())


def ndcg_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Mean over users of DCG@k / IDCG@k with gains 1 and discount 1/log2(rank + 1);
    IDCG places min(k, |relevant|) hits at the top."""
    hits, n_rel = _hits(truth, recs, k)
    dcg = (1.0 / np.log2(hits[RANK].to_numpy() + 1.0))
    dcg = pd.Series(dcg, index=hits[USER].to_numpy()).groupby(level=0).sum().reindex(n_rel.index, fill_value=0.0)
    disc = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    idcg = disc[np.minimum(n_rel.to_numpy(), k) - 1]
    return float((dcg.to_numpy() / idcg).mean())


def map_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Mean average precision: per user, the sum of precision@rank over the hits in the top k,
    divided by the number of relevant items (as in Microsoft Recommenders' ``map_at_k`` tables)."""
    hits, n_rel = _hits(truth, recs, k)
    hits = hits.sort_values([USER, RANK])
    hits["i"] = hits.groupby(USER).cumcount() + 1
    ap = (hits["i"] / hits[RANK]).groupby(hits[USER]).sum().reindex(n_rel.index, fill_value=0.0)
    return float((ap / n_rel).mean())


def hit_rate_at_k(truth: pd.DataFrame, recs: pd.DataFrame, k: int = 10) -> float:
    """Share of users with at least one relevant item in their top k."""
    hits, n_rel = _hits(truth, recs, k)
    return float(hits[USER].nunique() / len(n_rel)) if len(n_rel) else float("nan")


def catalog_coverage(recs: pd.DataFrame, n_items: int, k: int = 10) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    return float(recs.loc[recs[RANK] <= k, ITEM].nunique() / max(1, n_items))


def novelty(recs: pd.DataFrame, train: pd.DataFrame, k: int = 10) -> float:
    """Mean self-information −log2(p(i)) of recommended items, p(i) = share of users who had item i
    in training (Castells et al. 2011); unseen items get p = 1 / (users + 1)."""
    n_users = train[USER].nunique()
    pop = train.groupby(ITEM)[USER].nunique() / n_users
    p = recs.loc[recs[RANK] <= k, ITEM].map(pop).fillna(1.0 / (n_users + 1))
    return float((-np.log2(p)).mean())


def popularity_bias(recs: pd.DataFrame, train: pd.DataFrame, k: int = 10, head_share: float = 0.1) -> float:
    """Share of recommendations that come from the most popular ``head_share`` of training items."""
    counts = train.groupby(ITEM).size().sort_values(ascending=False)
    head = set(counts.index[: max(1, int(np.ceil(head_share * len(counts))))])
    top = recs.loc[recs[RANK] <= k, ITEM]
    return float(top.isin(head).mean()) if len(top) else float("nan")


def all_metrics(truth: pd.DataFrame, recs: pd.DataFrame, train: pd.DataFrame, n_items: int, k: int = 10) -> dict[str, float]:
    return {
        f"ndcg@{k}": ndcg_at_k(truth, recs, k),
        f"precision@{k}": precision_at_k(truth, recs, k),
        f"recall@{k}": recall_at_k(truth, recs, k),
        "map": map_at_k(truth, recs, k),
        f"hr@{k}": hit_rate_at_k(truth, recs, k),
        "coverage": catalog_coverage(recs, n_items, k),
        "novelty": novelty(recs, train, k),
        "popularity_bias": popularity_bias(recs, train, k),
    }
