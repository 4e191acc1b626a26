"""Serving: top-N for a known user with "because you liked …", fold-in for new visitors, similar items,
title search, and batch scoring of user ids (the page's Batch tab and ``python -m usecases score``).

"Liked" means rated in the top 30 % of the file's rating scale — 4 or more out of 5 on MovieLens — or,
for implicit feedback without ratings, every interaction. Only liked items are given as reasons, and only when they are
among the few items of the history that add most to the recommendation's score (:func:`explain`).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from usecases.core.tables import DataProblem, match_spellings

from .data import ITEM, MIN_USER_INTERACTIONS, USER, Context, matrix
from .evaluation import catalogue_slot, fit_peers
from .files import read_user_ids
from .model import popular_fallback
from .model import scores as model_scores
from .peers import top_k
from .trained import Trained, context


def _meta(ctx: Context, items: np.ndarray) -> pd.DataFrame:
    out = ctx.data.items.iloc[items][["item_id", "title", "year", "genres"]].reset_index(drop=True)
    out["year"] = out["year"].map(lambda y: "" if pd.isna(y) else str(int(y)))
    return out


def _ranked(ctx: Context, items: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    ok = items >= 0
    out = _meta(ctx, items[ok])
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["score"] = np.round(scores[ok], 4)
    return out


def genre_mask(ctx: Context, genres: Iterable[str]) -> np.ndarray:
    """Items that carry any of ``genres``."""
    wanted = set(genres)
    return ctx.data.items["genres"].fillna("").map(lambda g: bool(wanted & set(g.split("|")))).to_numpy()


def all_genres(trained: Trained) -> list[str]:
    return sorted({g for gs in context(trained).data.items["genres"].dropna() for g in str(gs).split("|") if g})


def liked(ctx: Context, user_code: int) -> np.ndarray:
    """Item codes the user liked in the training part (see module docstring)."""
    h = ctx.train[ctx.train[USER] == user_code]
    thr = ctx.data.liked_threshold()
    if thr is not None:
        h = h[h["rating"] >= thr - 1e-9]
    return h[ITEM].to_numpy()


DRIVERS = 3  # a liked item is given as a reason only when it is among the three history items that add most to the score


def explain(model, history: np.ndarray, item: int, top: int = 2, liked_items: set[int] | None = None) -> list[int]:
    """Up to ``top`` items of ``history`` (codes) among the :data:`DRIVERS` that add most to the score of ``item`` (weights
    B[h, item] > 0), largest first; with ``liked_items``, only those of them the user liked.

    Only drivers count: a liked item with a small positive weight is not why an item is recommended (on the shipped model,
    user 1 liked one film of 15, and it was given as the reason for 7 of his 10 films while it added 0–8 % of their scores;
    the films that added most were ones he had rated 1 to 3.5)."""
    slot = {int(c): i for i, c in enumerate(model.catalog.tolist())}
    j = slot.get(int(item))
    if j is None:
        return []
    rows = [(int(h), float(model.B[slot[int(h)], j])) for h in history if int(h) in slot]
    drivers = sorted((r for r in rows if r[1] > 0), key=lambda r: -r[1])[:DRIVERS]
    return [h for h, _ in drivers if liked_items is None or h in liked_items][:top]


def _reasons(trained: Trained, ctx: Context, history: np.ndarray, items: np.ndarray, liked_items: set[int] | None = None) -> list[str]:
    titles = ctx.data.items["title"].to_numpy()
    return ["; ".join(titles[h] for h in explain(trained.model, history, it, liked_items=liked_items)) for it in items if it >= 0]


def item_words(trained: Trained) -> tuple[str, str, str]:
    """``(one, many, people)`` for the page's sentences: ("film", "films", "viewers") for the shipped MovieLens model,
    ("item", "items", "users") for a model trained on someone's own file, whose items may be teams or lecturers."""
    if trained.card.get("data", {}).get("default"):
        return "film", "films", "viewers"
    return "item", "items", "users"


def feedback_word(trained: Trained) -> str:
    """What the file's rows are, for the page's sentences: "ratings" when it had ratings, "interactions" for implicit feedback
    (who had what, no rating) — where "held-out ratings" and a Rating column of blanks would misdescribe it."""
    return "ratings" if trained.card.get("data", {}).get("liked_from_rating") is not None else "interactions"


def rating_format(trained: Trained) -> str:
    """How the history table writes a rating: as stars on a scale of 0 to 5 (MovieLens' "4.5 ★"), as the number alone on any
    other — a thumbs-down −1 had read "-1.0 ★" and a 1–10 scale "8.0 ★" (an analyst walkthrough, 2026-12-07)."""
    r = context(trained).train["rating"].dropna()
    return "%.1f ★" if len(r) and r.min() >= 0 and r.max() <= 5 else "%.1f"


def inner_splits_word(trained: Trained) -> str:
    """What every method was tuned on, for the page: "the same inner validation split", or, on a small file (since 2026-12-07,
    ``training.inner_splits_for``), "the same 3 inner validation splits"."""
    n = int(trained.card.get("training", {}).get("inner_splits") or 1)
    return "the same inner validation split" if n == 1 else f"the same {n} inner validation splits"


NO_BASIS = "most popular: none of this user's items is in the model's catalogue"


def with_fallback(trained: Trained, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``model.popular_fallback`` with the model's training popularity."""
    return popular_fallback(raw, trained.model.popularity.numpy())


def recommend(trained: Trained, user_code: int, n: int = 10, beta: float | None = None) -> pd.DataFrame:
    """Top-n unseen items for a known user, each with the liked films that lead to it (or, when none of the user's items is
    in the catalogue, the most popular items, said in that column)."""
    ctx = context(trained)
    row = ctx.seen[[user_code]]
    raw, none = with_fallback(trained, model_scores(trained.model, row, beta))
    items, scores = top_k(raw, row, n)
    out = _ranked(ctx, items[0], scores[0])
    out["because you liked"] = ([NO_BASIS] * len(out) if none[0] else  # the history the model scored: the row's items
                                _reasons(trained, ctx, row.indices, items[0], liked_items=set(liked(ctx, user_code).tolist())))
    return out


def history(trained: Trained, user_code: int, n: int = 10) -> pd.DataFrame:
    """The user's training history, best rated (then most recent) first; without ratings (implicit feedback) the
    ``rating`` column is empty and the order is most recent first."""
    ctx = context(trained)
    h = ctx.train[ctx.train[USER] == user_code].sort_values(["rating", "timestamp"], ascending=False).head(n)
    out = _meta(ctx, h[ITEM].to_numpy())
    out["rating"] = h["rating"].to_numpy()
    return out


def watched_later(trained: Trained, user_code: int) -> set[str]:
    """Item ids the user has in the held-out part (what the metrics look for)."""
    ctx = context(trained)
    return set(ctx.data.item_ids[ctx.test.loc[ctx.test[USER] == user_code, ITEM].to_numpy()])


def test_users(trained: Trained) -> pd.DataFrame:
    """Users of the test split with their number of training interactions (the page's user picker)."""
    ctx = context(trained)
    counts = np.bincount(ctx.train[USER].to_numpy(), minlength=ctx.data.n_users)
    return pd.DataFrame({"user_id": ctx.data.user_ids[ctx.test_users], "code": ctx.test_users, "rated": counts[ctx.test_users]})


def demo_user(trained: Trained, beta: float | None = None, n: int = 10) -> dict:
    """The user the *For a user* tab shows first: a typical one, not the best — the first test user (in the picker's
    order) whose top-``n`` list at ``beta`` has as many held-out items as the median test user's and a reason on every row.

    Why: the picker opened on user 1 of the shipped model, whose ten films all read "—" (he liked one film of 15) and whose
    list held one of his held-out films — the tab's explanation column looked broken on a demo. Choosing the user with the
    most hits instead would show a cherry-picked list, hence the median. Falls back to the first test user when none fits.
    Returns ``{"code", "user_id", "hits", "median_hits", "users", "typical"}``."""
    ctx = context(trained)
    users = ctx.test_users
    rows = ctx.seen[users]
    raw, none = with_fallback(trained, model_scores(trained.model, rows, beta))
    items, _ = top_k(raw, rows, n)
    held = ctx.test.groupby(USER)[ITEM].agg(set).to_dict()
    hits = np.array([sum(int(i) in held.get(int(u), ()) for i in top if i >= 0) for u, top in zip(users, items)])
    median = int(np.floor(np.median(hits))) if len(hits) else 0
    out = {"code": int(users[0]) if len(users) else 0, "hits": int(hits[0]) if len(hits) else 0, "median_hits": median,
           "users": int(len(users)), "typical": False}
    for j in np.flatnonzero((hits == median) & ~none)[:200]:  # the reasons are computed only for the candidates
        code = int(users[j])
        top = items[j][items[j] >= 0]
        reasons = _reasons(trained, ctx, rows[j].indices, top, liked_items=set(liked(ctx, code).tolist()))
        if all(reasons):
            out.update(code=code, hits=int(hits[j]), typical=True)
            break
    out["user_id"] = ctx.data.user_ids[out["code"]]
    return out


def fold_in(trained: Trained, liked_items: list[int], genres: list[str] | None = None, n: int = 10, beta: float | None = None) -> pd.DataFrame:
    """Recommendations for a new visitor from a few liked items and/or genres, without retraining.

    Genres become a seed of the 20 most popular catalogue films in them (weight 0.5); with genres only,
    the list stays inside those genres.
    """
    ctx = context(trained)
    x = np.zeros(trained.model.n_items, dtype=np.float32)
    x[list(liked_items)] = 1.0
    in_genre = genre_mask(ctx, genres) if genres else None
    if in_genre is not None:
        pop = trained.model.popularity.numpy()
        cand = np.flatnonzero(in_genre)
        x[cand[np.argsort(-pop[cand])][:20]] = np.maximum(x[cand[np.argsort(-pop[cand])][:20]], 0.5)
    if not x.any():
        raise DataProblem("pick at least one film or one genre", "this request")
    with torch.no_grad():
        s = trained.model(torch.as_tensor(x[None, :]), beta).numpy()
    if in_genre is not None and not liked_items:
        s[0, ~in_genre] = -np.inf
    seen = sp.csr_matrix((np.ones(len(liked_items), np.float32), (np.zeros(len(liked_items), int), list(liked_items))),
                         shape=(1, trained.model.n_items))
    items, scores = top_k(s, seen, n)
    out = _ranked(ctx, items[0], scores[0])
    reasons = _reasons(trained, ctx, np.asarray(liked_items, dtype=int), items[0])
    # "your genres" only for a film that has one of them (since 2026-12-05 — it was said of every film without a liked reason,
    # Beauty and the Beast for Comedy); another film came in through the genres' most popular films that seed the list
    shown = items[0][items[0] >= 0]
    mine = in_genre[shown] if in_genre is not None else np.zeros(len(shown), dtype=bool)
    out["because you liked"] = [r or ("your genres" if m else "watched with your genres' popular films" if genres else "")
                                for r, m in zip(reasons, mine)]
    return out


def similar_items(trained: Trained, item: int, n: int = 10) -> pd.DataFrame:
    """An item's nearest neighbours: the largest weights B[item, ·] the model learnt (empty outside the catalogue)."""
    ctx = context(trained)
    cat = trained.model.catalog.numpy()
    where = np.flatnonzero(cat == item)
    if len(where) == 0:
        return pd.DataFrame(columns=["rank", "item_id", "title", "year", "genres", "weight"])
    w = trained.model.weights()[where[0]].numpy()
    order = [j for j in np.argsort(-w)[:n] if w[j] > 0 and cat[j] != item]
    out = _ranked(ctx, cat[order], w[order])
    return out.rename(columns={"score": "weight"})


def search_titles(trained: Trained, query: str, limit: int = 20) -> pd.DataFrame:
    """Titles containing ``query`` (case-insensitive), most watched first; the most watched without a query."""
    ctx = context(trained)
    meta = ctx.data.items
    q = query.strip().lower()
    pop = trained.model.popularity.numpy()
    hits = np.flatnonzero(meta["title"].str.lower().str.contains(q, regex=False).to_numpy()) if q else np.argsort(-pop)[:limit]
    hits = hits[np.argsort(-pop[hits], kind="stable")][:limit]
    return meta.iloc[hits].assign(code=hits, popularity=pop[hits].astype(int)).reset_index(drop=True)


_PEERS: dict = {}


def peer(trained: Trained, name: str):
    """Peer ``name`` fit on the model's training rows with its tuned settings (kept per training run), so that
    a peer that wins on a user's file can serve in its place for this session."""
    key = (trained.run_id, name)
    if key not in _PEERS:
        ctx = context(trained)
        slot = catalogue_slot(trained)
        _PEERS.clear()  # one at a time: peers are cheap to refit and can be large
        _PEERS[key] = fit_peers({**trained.card, "tuned": {name: trained.card["tuned"][name]}}, ctx.seen, slot)[name]
    return _PEERS[key]


UNKNOWN_BASIS = "most popular: this user id is not in the model"
LEFT_OUT_BASIS = (f"this user's items in the training file: fewer than {MIN_USER_INTERACTIONS}, so left out of training "
                  "and read now as a new visitor's history")


def unknown_ids_message(ids, codes, ctx) -> str | None:
    """What to say about ids the model does not know, or None: each distinct id counted and shown once (a list
    that repeats an unknown id read '56511 unknown user ids ('672', '672', '672' …)')."""
    unknown = list(dict.fromkeys(u for u, c in zip(ids, codes) if c is None))
    if not unknown:
        return None
    return (f"{len(unknown):,} unknown user id{'s' if len(unknown) > 1 else ''} ({', '.join(map(repr, unknown[:5]))}"
            f"{' …' if len(unknown) > 5 else ''}); the model knows {ctx.data.n_users:,} users ({ctx.data.user_ids[0]} … "
            f"{ctx.data.user_ids[-1]}), not every id in that range: a user with fewer than {MIN_USER_INTERACTIONS} interactions "
            "in its training file is left out")


def _left_out_ids(ctx: Context) -> set[str]:
    lo = ctx.data.left_out
    return set() if lo is None or lo.empty else set(lo["user"].astype(str))


def respell(ctx: Context, ids: list[str]) -> tuple[list[str], str | None]:
    """Ids of a list written another way than the model writes them — "007" or "7.0" for user "7", "c15" for "C15"
    (``tables.id_key``; a list that went through a spreadsheet) — read as that user, with a note; an id the model holds as
    written, or whose spelling matches no user or more than one, stays as it is. They had been unknown users, given the most
    popular items."""
    found = match_spellings(ids, [*ctx.data.user_ids, *_left_out_ids(ctx)])
    if not found:
        return ids, None
    u, m = next(iter(found.items()))
    note = (f"{len(found):,} id{'s' if len(found) > 1 else ''} of the list {'are' if len(found) > 1 else 'is'} written another way than "
            f"the model writes {'them' if len(found) > 1 else 'it'} (e.g. “{u}” for user “{m}”: leading zeros, a trailing “.0” or "
            "upper/lower case) — read as the model's user" + ("s" if len(found) > 1 else ""))
    return [found.get(i, i) for i in ids], note


def as_written(ctx: Context, ids: list[str]) -> dict[str, str]:
    """The model's id → the list's spelling of it ("1" → "0001"), for ids the list writes another way: the output names each
    user as the list did, so it joins back to the list (it named them as the model does: a sweep, 2026-12-05)."""
    out: dict[str, str] = {}
    first: set[str] = set()
    # the list's first spelling of each user names its list, the model's own included: "N14228" then "n14228" had come back
    # as "n14228" alone, the list's exact id missing from the output (a sweep, 2026-12-06)
    for model_id, file_id in zip(respell(ctx, ids)[0], ids):
        if model_id not in first:
            first.add(model_id)
            if model_id != file_id:
                out[model_id] = file_id
    return out


def resolve_users(ctx: Context, ids: list[str]) -> tuple[np.ndarray, list[str], list[str]]:
    """The batch rule, shared by local and Ray scoring. Each distinct id once, in file order: ``(codes, new_ids, notes)``,
    where a known user has its code and the ``j``-th id the model was not trained on the code ``n_users + j``
    (``new_ids[j]``). Such an id is either a user the training file holds with too few interactions to train on — read as a
    new visitor with those items as history (``LEFT_OUT_BASIS``): they had got the most popular items, the ones they
    already had among them — or an unknown id: a new visitor with no history, who gets the most popular items, said in the
    ``basis`` column and in one note. A list in which no id is known either way is refused (another system's ids, or the
    wrong model)."""
    ids, respelled = respell(ctx, ids)
    # counted as the model reads them: "N14228" and "n14228" are one user and one list (counted on the file's spellings, the
    # note had said "32 users for the file's 33 rows" of an output holding 31; a sweep, 2026-12-06)
    counts = pd.Series(ids, dtype=object).value_counts()
    twice = counts[counts > 1]
    short = _left_out_ids(ctx)
    codes = [ctx.data.user_code(u) for u in ids]
    unknown = [None if c is None and u not in short else (c if c is not None else -1) for u, c in zip(ids, codes)]
    said = unknown_ids_message(ids, unknown, ctx)
    if said and all(c is None for c in unknown):
        raise DataProblem(f"none of its ids is in the model: {said}; is this the user list for this model?", "the user list")
    new_ids = list(dict.fromkeys(u for u, c in zip(ids, codes) if c is None))
    new_code = {u: ctx.data.n_users + j for j, u in enumerate(new_ids)}
    out = [c if c is not None else new_code[u] for u, c in zip(ids, codes)]
    notes = [*([respelled] if respelled else []), *([f"{said}. They get the most popular items, with basis “{UNKNOWN_BASIS}”"] if said else [])]
    if len(twice):  # the output had simply had fewer lists than the file had rows (a sweep, 2026-12-06)
        notes.append(f"{len(twice):,} id{'s' if len(twice) > 1 else ''} appear{'' if len(twice) > 1 else 's'} more than once ("
                     + ", ".join(f"{u!r} {c}×" for u, c in twice.head(3).items()) + (" …" if len(twice) > 3 else "")
                     + f"): each user gets one list, so the output holds {len(counts):,} user{'s' if len(counts) != 1 else ''} for the file's {len(ids):,} rows")
    held = [u for u in new_ids if u in short]
    if held:
        notes.append(f"{len(held):,} user{'s' if len(held) > 1 else ''} ({', '.join(map(repr, held[:5]))}{' …' if len(held) > 5 else ''}) "
                     f"{'have' if len(held) > 1 else 'has'} fewer than {MIN_USER_INTERACTIONS} interactions in the training file, "
                     "so the model was not trained on them; their lists are built from those items, read as a new visitor's "
                     f"history, and never offer one of them (basis “{LEFT_OUT_BASIS}”)")
    return np.asarray(list(dict.fromkeys(out)), dtype=np.int64), new_ids, notes


def new_visitor_rows(ctx: Context, new_ids: list[str]) -> sp.csr_matrix:
    """One history row per id of ``new_ids``: the items a user left out of training has in the training file (those the
    model knows), else empty."""
    rows = sp.lil_matrix((len(new_ids), ctx.seen.shape[1]), dtype=ctx.seen.dtype)
    lo = ctx.data.left_out
    if lo is not None and not lo.empty and new_ids:
        where = {u: j for j, u in enumerate(new_ids)}
        for u, i in zip(lo["user"].astype(str), lo["item"].astype(str)):
            j, code = where.get(u), ctx.data.item_code(i)
            if j is not None and code is not None:
                rows[j, code] = 1
    return rows.tocsr()


def left_out_flags(ctx: Context, new_ids: list[str]) -> np.ndarray:
    """Per id of ``new_ids``: is it a user the training file holds but training left out (``LEFT_OUT_BASIS``)?"""
    short = _left_out_ids(ctx)
    return np.array([u in short for u in new_ids], dtype=bool)


def unsampled(ctx: Context) -> sp.csr_matrix | None:
    """The rows of users a quick model did not sample (``max_users``: their rows are in neither part of the split), or None.
    Batch scoring reads them as those users' histories, as a new visitor's: with an empty history they had got the most
    popular list "none of this user's items is in the model's catalogue", with items they already had in it (513 of 1,200
    in a sweep of messy exports, 2026-12-04)."""
    out = ctx.split.fold < 0
    if not out.any():
        return None
    return matrix(ctx.data.frame[out], ctx.data.n_users, ctx.data.n_items)


_UNSET = object()


def with_new_visitors(ctx: Context, new_ids: list[str], extra=_UNSET) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(histories, user ids)`` indexed by the codes of ``resolve_users``: the known users' (their training part, or all
    their rows for a user a quick model did not sample), then a history per id the model was not trained on
    (``new_visitor_rows``; the matrix is copied only when there is one). ``extra``: :func:`unsampled`, when the caller has it."""
    extra = unsampled(ctx) if extra is _UNSET else extra
    base = ctx.seen if extra is None else (ctx.seen + extra).tocsr()
    if not new_ids:
        return base, np.asarray(ctx.data.user_ids, dtype=object)
    seen = sp.vstack([base, new_visitor_rows(ctx, new_ids)]).tocsr()
    return seen, np.concatenate([np.asarray(ctx.data.user_ids, dtype=object), np.asarray(new_ids, dtype=object)])


def known_items(ctx: Context, new_ids: list[str], extra=_UNSET) -> sp.csr_matrix:
    """Every item each user has anywhere in the data — training and held-out rows, and the items of a user left out of
    training — indexed like ``with_new_visitors``: a batch list never offers one of them (the shipped model listed films
    user 2 had already rated, 3 of 10, because only the training part counted as seen). The model still reads the training
    part alone, as it learned."""
    extra = unsampled(ctx) if extra is _UNSET else extra
    have = (ctx.seen + ctx.truth + (extra if extra is not None else 0)).tocsr()
    if not new_ids:
        return have
    return sp.vstack([have, new_visitor_rows(ctx, new_ids)]).tocsr()


def batch_basis(codes: np.ndarray, none: np.ndarray, n_users: int, left_out: np.ndarray | None = None) -> np.ndarray:
    """The ``basis`` of each user's list: unknown id, no catalogue item in the history, a user left out of training (read
    from their few items; ``left_out`` is ``left_out_flags`` of the new ids), or the history."""
    new = codes >= n_users
    short = np.zeros(len(codes), dtype=bool)
    if left_out is not None and len(left_out):
        short[new] = left_out[codes[new] - n_users]
    basis = np.where(none, np.where(new & ~short, UNKNOWN_BASIS, NO_BASIS), "this user's history").astype(object)
    basis[short & ~none] = LEFT_OUT_BASIS
    return basis


def batch_scores(scores: np.ndarray, none: np.ndarray) -> np.ndarray:
    """The ``score`` column: the model's score, rounded; empty for a most-popular list, whose ranking number is a count of
    training users (341 beside a history's 0.03 read as a far better match)."""
    return np.where(np.repeat(none, scores.shape[1]), np.nan, np.round(scores.ravel(), 4))


def score(trained: Trained, rows, n: int = 10, beta: float | None = None, using: str | None = None) -> pd.DataFrame:
    """Top-n for every user id in ``rows`` (a DataFrame with a ``user_id`` column, or ids), batched; ``using``
    names a peer to score with instead of the model. Ids the model does not know get the most popular items
    (``resolve_users``); ``.attrs["notes"]`` says how many."""
    ctx = context(trained)
    ids = [str(u) for u in (rows["user_id"] if isinstance(rows, pd.DataFrame) else rows)]
    codes, new_ids, notes = resolve_users(ctx, ids)
    notes = [*(getattr(rows, "attrs", {}).get("notes") or []), *notes]  # how the file was read (read_user_ids)
    n_users = ctx.data.n_users
    known = codes < n_users
    extra = unsampled(ctx)  # once: both the histories and the items never offered read it
    histories, user_ids = with_new_visitors(ctx, new_ids, extra)
    seen = histories[codes]
    if using:  # the peer scores the users it knows; a new visitor gets the model's most popular items whoever serves
        raw = np.empty((len(codes), seen.shape[1]), dtype=np.float32)
        raw[known] = peer(trained, using).scores(seen[np.flatnonzero(known)], codes[known])
        raw[~known] = model_scores(trained.model, seen[np.flatnonzero(~known)], beta)
    else:
        raw = model_scores(trained.model, seen, beta)
    raw, none = with_fallback(trained, raw)
    items, scores = top_k(raw, known_items(ctx, new_ids, extra)[codes], n)
    short = left_out_flags(ctx, new_ids)
    written = as_written(ctx, ids)  # each user as the list writes them, in the notes as in the output
    bare = [written.get(str(user_ids[c]), str(user_ids[c])) for c, f in zip(codes, none) if f and c >= n_users and len(short) and short[c - n_users]]
    if bare:  # the note above said every left-out user's list was built from their items; these have none the model knows
        notes.append(f"of those left out of training, {len(bare):,} ({', '.join(map(repr, bare[:5]))}{' …' if len(bare) > 5 else ''}) "
                     f"{'have' if len(bare) > 1 else 'has'} no item in the model's catalogue, so "
                     f"{'their lists are' if len(bare) > 1 else 'the list is'} the most popular items (basis “{NO_BASIS}”)")
    if extra is not None:
        out_of_sample = known & (np.asarray(extra.sum(axis=1)).ravel()[np.minimum(codes, n_users - 1)] > 0)
        if out_of_sample.any():
            notes.append(f"{int(out_of_sample.sum()):,} user{'s' if out_of_sample.sum() > 1 else ''} of the file {'were' if out_of_sample.sum() > 1 else 'was'} "
                         f"not among the {int(trained.card.get('training', {}).get('max_users') or 0):,} users this quick model sampled: "
                         "their lists are built from their rows in the file, read as a new visitor's history, and never offer one of them")
    meta = ctx.data.items
    ok = items.ravel() >= 0
    out = pd.DataFrame({
        "user_id": np.repeat([written.get(str(u), str(u)) for u in user_ids[codes]], items.shape[1]), "rank": np.tile(np.arange(1, items.shape[1] + 1), len(codes)),
        "item_id": meta["item_id"].to_numpy()[np.maximum(items.ravel(), 0)], "title": meta["title"].to_numpy()[np.maximum(items.ravel(), 0)],
        "score": batch_scores(scores, none),
        "basis": np.repeat(batch_basis(codes, none, n_users, short), items.shape[1]),
    })
    # A user with nothing left to recommend kept no row at all: the output skipped them without a word. They keep one row,
    # empty but for the id and the basis, and the note names them.
    empty = (items >= 0).sum(axis=1) == 0
    placeholder = np.zeros(items.shape, dtype=bool)
    placeholder[:, 0] = empty
    keep = ok | placeholder.ravel()
    blank = placeholder.ravel()[keep]
    out = out[keep].reset_index(drop=True)
    if blank.any():
        out.loc[blank, ["item_id", "title"]] = ""
        out.loc[blank, "score"] = np.nan
        out["rank"] = out["rank"].astype("Int64")
        out.loc[blank, "rank"] = pd.NA
        out.loc[blank, "basis"] = "nothing to recommend: this user already has every item the model can score"
    short = int(((items >= 0).sum(axis=1) < n).sum())
    if short:  # a list shorter than asked for was unsaid (6 rows where 50 were asked for)
        who = list(dict.fromkeys(user_ids[codes][empty]))
        notes = [*notes, f"{short:,} of {len(codes):,} lists hold fewer than {n} items: only items the model can score and the user "
                         f"does not already have are listed (the catalogue holds {int(trained.card['model']['catalog_items']):,})"
                         + (f"; {len(who):,} hold none — user{'s' if len(who) > 1 else ''} {', '.join(map(str, who[:5]))}"
                            f"{' …' if len(who) > 5 else ''} already {'have' if len(who) > 1 else 'has'} every such item (one empty row each)"
                            if who else "")]
    if (titled := int(trained.card.get("data", {}).get("titled_items") or 0)) and not ctx.data.titled_items:
        # scored with its ratings file but not its titles file, every title read "item 31", unsaid (a sweep, 2026-12-05)
        notes = [*notes, f"the model was trained with a titles file ({titled:,} items titled), but none came with its data this "
                         "time: the title column reads “item <id>”; give the titles file too (`--items TITLES`) for the titles"]
    out.attrs["notes"] = notes
    return out


def score_file(trained: Trained, raw: bytes, filename: str, n: int = 10, using: str | None = None) -> pd.DataFrame:
    """Top-n for every user id in a file (one id per row, header optional)."""
    ids = read_user_ids(raw, filename)
    try:
        return score(trained, ids, n, using=using)
    except DataProblem as exc:
        if exc.subject == "this model":  # the model or the training file given with it, not the user list (a sweep, 2026-12-07:
            raise  # "“users.csv” cannot be used: the file given holds the same interactions … in another order" named the list)
        raise DataProblem(exc.problems, f"“{filename}”") from None
