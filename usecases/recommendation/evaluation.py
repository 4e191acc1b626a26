"""Scoring a trained model and its peers on held-out interactions — never retraining the model.

* ``evaluate(trained)`` / ``evaluate(trained, the training file)``: the recorded per-user split; only
  held-out interactions are scored. The shared model's top-k lists (its own and every peer's) are
  precomputed at train time and stored with it, so this rebuilds the figures without fitting anything.
* ``evaluate(trained, another file)``: an external test. Each user's first 75 % (seeded random) is
  folded in as history — the model is item-item, so scores = x·B need no retraining — and the rest is
  scored. The peers, fit on the model's training rows with their tuned settings, fold the same users in
  the same way (ALS with ``recalculate_user``).

Every figure carries its spread: 100 bootstrap resamples of the test users, the same for every model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from usecases.core.spec import DataInfo, Evaluation
from usecases.core.tables import DataProblem, match_spellings

from . import SPEC
from .data import ITEM, USER, Context, Interactions, matrix, user_split
from .metrics import all_metrics, bootstrap
from .model import popular_fallback
from .model import scores as model_scores
from .peers import LABELS, make, top_k

CURVE_BETAS = tuple(round(0.05 * i, 2) for i in range(11))  # diversity weights shown on the page (0 … 0.5)
BOOTSTRAP = 100


@dataclass(kw_only=True)
class RecEvaluation(Evaluation):
    """Model vs tuned peers on one set of held-out interactions."""

    k: int = 10
    test_users: int = 0
    diversity: float = 0.0  # the model's default popularity exponent β
    curve: list[dict] = field(default_factory=list)  # per diversity weight β: ndcg@k, coverage, popularity (model, these rows)
    tuning: dict[str, dict] = field(default_factory=dict)  # per method: tuned params, best validation NDCG, fits tried


def peer_label(name: str, params: dict) -> str:
    """A peer's display name with its tuned settings."""
    if name == "ease" and params:
        return f"EASE (λ {params['lam']:g})"
    if name == "item_knn" and params:
        return f"Item-kNN (k {params['k']}, shrink {params['shrink']:g})"
    if name == "implicit_als" and params:
        return f"ALS ({params['factors']} factors, reg {params['regularization']:g}, α {params['alpha']:g})"
    return LABELS.get(name, name)


def fit_peers(card: dict, seen: sp.csr_matrix, slot: np.ndarray) -> dict:
    """Every peer fit on ``seen`` (the model's training rows) with its tuned settings from the card."""
    tuned = card.get("tuned", {})
    seed = int(card.get("training", {}).get("seed", 0))
    return {n: make(n, tuned[n], seen, slot=slot, seed=seed) for n in LABELS if n in tuned}


def top_lists(trained, rows: sp.csr_matrix, users: np.ndarray | None, peers: dict, k: int) -> dict[str, np.ndarray]:
    """Top-k item codes for each history row: the model's and every peer's (seen items excluded)."""
    pop = trained.model.popularity.numpy()  # every method's users without any known item get the popular list (the same rule)
    out = {"model": top_k(popular_fallback(model_scores(trained.model, rows), pop)[0], rows, k)[0]}
    for name, p in peers.items():
        out[name] = top_k(popular_fallback(p.scores(rows, users), pop)[0], rows, k)[0]
    return out


def diversity_curve(trained, rows: sp.csr_matrix, truth: sp.csr_matrix, share: tuple[np.ndarray, int], n_rel: np.ndarray | None,
                    k: int) -> np.ndarray:
    """(β, NDCG@k, coverage, popularity) of the model at each diversity weight of ``CURVE_BETAS``."""
    base = model_scores(trained.model, rows, beta=0.0)
    pop = np.maximum(trained.model.popularity.numpy(), 1.0)
    out = []
    for beta in CURVE_BETAS:
        items = top_k(popular_fallback(base / pop[None, :] ** beta if beta else base, pop)[0], rows, k)[0]
        m, _ = all_metrics(items, truth, share[0], share[1], len(pop), n_rel)
        out.append((beta, m[f"ndcg@{k}"], m["coverage"], m["popularity"]))
    return np.asarray(out, dtype=np.float64)


def item_share(seen: sp.csr_matrix) -> tuple[np.ndarray, int]:
    """(p(i), n): the share of the n training users who had each item."""
    users = max(1, int((np.asarray(seen.sum(axis=1)).ravel() > 0).sum()))
    return np.asarray(seen.sum(axis=0)).ravel() / users, users


def build(trained, recs: dict[str, np.ndarray], truth: sp.csr_matrix, share: tuple[np.ndarray, int], n_items: int, curve: np.ndarray,
          info: DataInfo, n_rel: np.ndarray | None = None) -> RecEvaluation:
    """The typed evaluation from every model's top-k lists on the same users."""
    card = trained.card
    k = int(card.get("training", {}).get("k", 10))
    per_user_values, means = {}, {}
    for name, items in recs.items():
        means[name], per_user_values[name] = all_metrics(items, truth, share[0], share[1], n_items, n_rel)
    tuned = card.get("tuned", {})
    hist = card.get("tuning", {})
    tuning = {}
    for name in ("model", *[n for n in LABELS if n in tuned]):
        h = hist.get(name, [])
        best = max((x[f"val_ndcg@{k}"] for x in h), default=float("nan"))
        tuning[name] = {"params": tuned.get(name, {}), f"val_ndcg@{k}": best, "fits": card.get("fits", {}).get(name, len(h))}
    return RecEvaluation(
        usecase=SPEC.name, primary_metric=SPEC.primary_metric, higher_is_better=True, model=means["model"],
        baselines={n: m for n, m in means.items() if n != "model"}, data=info,
        labels={n: peer_label(n, tuned.get(n, {})) for n in recs if n != "model"},
        folds=bootstrap(per_user_values, recs, n_items, n=BOOTSTRAP, seed=int(card.get("training", {}).get("seed", 0))),
        model_label=SPEC.model_label, spread_unit="resamples of the test users", k=k, test_users=int(truth.shape[0]), diversity=float(trained.model.beta),
        curve=[{"beta": float(b), f"ndcg@{k}": float(nd), "coverage": float(c), "popularity": float(p)} for b, nd, c, p in curve],
        tuning=tuning,
    )


def artefacts_for(recs: dict[str, np.ndarray], users: np.ndarray, curve: np.ndarray) -> dict[str, np.ndarray]:
    out = {"users": users.astype(np.int64), "curve": curve}
    out.update({f"recs.{n}": r.astype(np.int64) for n, r in recs.items()})
    return out


def held_out(trained, ctx: Context) -> RecEvaluation:
    """Model and peers on the held-out part of the recorded split."""
    card = trained.card
    k = int(card.get("training", {}).get("k", 10))
    users = ctx.test_users
    art = trained.artefacts if card.get("data", {}).get("fingerprint") == ctx.data.fingerprint else None
    if art is not None and np.array_equal(np.asarray(art.get("users")), users):
        recs = {n: np.asarray(art[f"recs.{n}"]) for n in ("model", *LABELS) if f"recs.{n}" in art}
        curve = np.asarray(art["curve"])
    else:  # recompute: the peers are fit again on the training rows with their tuned settings
        rows = ctx.seen[users]
        slot = catalogue_slot(trained)
        recs = top_lists(trained, rows, users, fit_peers(card, ctx.seen, slot), k)
        curve = diversity_curve(trained, rows, ctx.truth[users], item_share(ctx.seen), None, k)
    info = DataInfo(source=ctx.data.source, rows=int(len(ctx.data.frame)), split=f"{ctx.split.description}; spread: {BOOTSTRAP} bootstrap "
                    "resamples of the test users", kind="held-out", test_rows=int(len(ctx.test)), unit="held-out interactions")
    ev = build(trained, recs, ctx.truth[users], item_share(ctx.seen), ctx.data.n_items, curve, info)
    if small := small_list_note(ctx.seen[users], trained.model.catalog.numpy(), k):
        ev.notes = (*ev.notes, small)
    return ev


UNDERMINING = ("cannot tell the models apart", "may measure nothing")


def undermines(note: str) -> bool:
    """Whether a note says the evaluation's figures cannot be read as a comparison (a catalogue too small to rank, ids that
    mean other things) — the page shows those as a warning beside the verdict, the rest as footnotes."""
    return any(m in note for m in UNDERMINING)


def small_list_note(rows: sp.csr_matrix, catalog: np.ndarray, k: int) -> str:
    """A note when the top-k list holds (nearly) every item left to recommend for most test users: the catalogue items not in
    their history (``rows``) number 1.5 k or fewer. Since 2026-12-07: 10 users of the same 4 items, or 21 items, read NDCG@10
    1.000 for every method without a word (the "users hold 90 % of the items" note needs 20 items per user)."""
    if rows.shape[0] == 0 or len(catalog) == 0:
        return ""
    left = len(catalog) - np.asarray((rows[:, catalog] > 0).sum(axis=1)).ravel()
    close = left <= 1.5 * k
    if close.mean() < 0.5:
        return ""
    every = bool((left[close] <= k).mean() >= 0.5)
    return (f"For {int(close.sum()):,} of the {len(left):,} test users the list of {k} holds {'every' if every else 'nearly every'} "
            f"item they could be recommended (a median of {float(np.median(left)):g} of the catalogue's {len(catalog):,} items once their "
            f"history is set aside): any method's list holds {'all' if every else 'nearly all'} their held-out items and only the order "
            "within it differs, so this comparison cannot tell the models apart — "
            f"compare them on a file with many more items than {k} plus a user's history")


def catalogue_slot(trained) -> np.ndarray:
    """The model's catalogue slot of every item (−1 = outside the catalogue)."""
    slot = -np.ones(trained.model.n_items, dtype=np.int64)
    cat = trained.model.catalog.numpy()
    slot[cat] = np.arange(len(cat))
    return slot


def external(trained, train_ctx: Context, data: Interactions) -> RecEvaluation:
    """A file the model never saw: fold in each user's first part, score the rest (module docstring)."""
    card = trained.card
    cfg = card.get("training", {})
    k, ratio, seed = int(cfg.get("k", 10)), float(cfg.get("ratio", 0.75)), int(cfg.get("seed", 42))
    split = user_split(data, ratio, seed)
    ctx = Context.build(data, split)
    code = {iid: i for i, iid in enumerate(train_ctx.data.item_ids)}
    # Ids are matched as user lists and titles files match them (``tables.id_key``): "0000031" is the model's item "31" and
    # "001" its user "1". Matched as written, zero-padded user ids had hidden every training row (NDCG 0.588 where the same
    # file written plainly gave 0.106, with 1,606 of 2,303 rows left out as training rows) and zero-padded items were refused.
    items_as = _spelled(data.item_ids, train_ctx.data.item_ids)
    to_model = np.array([code.get(items_as.get(str(i), i), -1) for i in data.item_ids], dtype=np.int64)
    n_items = train_ctx.data.n_items

    def mapped(frame) -> sp.csr_matrix:
        f = frame[to_model[frame[ITEM].to_numpy()] >= 0]
        return matrix(f.assign(**{ITEM: to_model[f[ITEM].to_numpy()]}), data.n_users, n_items)

    # A held-out interaction the model was trained on (the same user id and item id in its training rows) would measure
    # memory: MovieLens users 61–100 given back as "another file" scored 1,153 of 1,527 such rows, NDCG 0.666 against the
    # held-out 0.399, labelled external. They are left out of the test, and said.
    test, overlap = ctx.test, trained_pairs(train_ctx, data, ctx.test)
    users_as = _spelled(data.user_ids, train_ctx.data.user_ids)
    if overlap.all():
        raise DataProblem(f"every one of its {len(test):,} held-out interactions is in the model's training rows (the same user "
                          "and item ids): it is the model's training data, not new data; evaluate without a file for the "
                          "held-out figures, or give interactions the model never saw", data.subject)
    test = test[~overlap]
    hist, truth = mapped(ctx.train), mapped(test)
    test_users = np.unique(test[USER].to_numpy())
    users = test_users[np.asarray(hist[test_users].sum(axis=1)).ravel() > 0]
    if len(users) == 0:
        raise DataProblem("none of its users has an item the model knows in their history (the item ids do not match the "
                          "model's); train a model on this file instead", data.subject)
    n_rel = np.bincount(test[USER].to_numpy(), minlength=data.n_users)[users]
    rows = hist[users]
    peers = fit_peers(card, train_ctx.seen, catalogue_slot(trained))
    recs = top_lists(trained, rows, None, peers, k)
    share = item_share(train_ctx.seen)
    curve = diversity_curve(trained, rows, truth[users], share, n_rel, k)
    left = len(test_users) - len(users)
    unknown = int((to_model < 0).sum())
    seen_note = (f"{int(overlap.sum()):,} of its {len(overlap):,} held-out interactions are in the model's training rows (the same "
                 "user and item ids) and are not scored" + (": most of this file is the model's training data"
                                                            if overlap.mean() > 0.5 else "")) if overlap.any() else ""
    spelled = "; ".join(n for n in (_spelled_note(users_as, "user"), _spelled_note(items_as, "item")) if n)
    split_text = (f"external test: each user's first {ratio:.0%} (random, seed {seed}) is folded in as history and the other "
                  f"{1 - ratio:.0%} is scored; peers are fit on the model's training rows and fold the same users in"
                  + (f"; {spelled}" if spelled else "")
                  + (f"; {seen_note}" if seen_note else "")
                  + (f"; {left:,} users with no item the model knows left out" if left else "")
                  + (f"; {unknown:,} items the model never saw count as relevant but cannot be recommended" if unknown else "")
                  + f"; spread: {BOOTSTRAP} bootstrap resamples of the test users")
    info = DataInfo(source=data.source, rows=int(len(data.frame)), split=split_text, kind="external", test_rows=int(n_rel.sum()), unit="held-out interactions")
    ev = build(trained, recs, truth[users], share, n_items, curve, info, n_rel)
    said = [n for n in (meaning_note(train_ctx, data, to_model), seen_note, spelled, small_list_note(rows, trained.model.catalog.numpy(), k)) if n]
    if said:
        ev.notes = tuple(n[:1].upper() + n[1:] for n in said)
    return ev


MEANING_MIN_ITEMS, MEANING_MAX_RHO = 50, 0.15


def meaning_note(train_ctx: Context, data: Interactions, to_model: np.ndarray) -> str:
    """A note when the file's item ids do not seem to mean the model's items: how often each shared id occurs in the file is
    unrelated to how often it occurs in the model's data (Spearman's rank correlation below 0.15 over at least 50 shared ids).
    The ``lme4::InstEval`` lecturers read as MovieLens films (numeric ids that coincide) ran as an external test with nothing
    said: ρ 0.02 there, and 0.01 for MovieLens users with their film ids shuffled, where MovieLens users the model never saw
    give 0.50 (10 users) to 0.82 (100 users) — measured 2026-12-07. "" otherwise."""
    from scipy.stats import spearmanr

    mine = np.bincount(data.frame[ITEM].to_numpy(), minlength=data.n_items)
    shared = (to_model >= 0) & (mine > 0)
    if shared.sum() < MEANING_MIN_ITEMS:
        return ""
    theirs = np.asarray(train_ctx.seen.sum(axis=0)).ravel()[to_model[shared]]
    rho = float(spearmanr(mine[shared], theirs).statistic)
    if not np.isfinite(rho) or rho >= MEANING_MAX_RHO:
        return ""
    return (f"its item ids may not mean the model's items: how often each of the {int(shared.sum()):,} ids it shares with the model "
            f"occurs in it is unrelated to how often the model's data has it (rank correlation {rho:.2f}; files of the model's own "
            "catalogue read 0.5 or more), so these figures may measure nothing — if the ids mean other things here, train a model on "
            "this file instead")


def _spelled(ids, known) -> dict[str, str]:
    """``{file id: model id}`` for the file's ids the model writes another way (``tables.match_spellings``)."""
    return match_spellings([str(i) for i in ids], [str(k) for k in known])


def _spelled_note(found: dict[str, str], what: str) -> str:
    if not found:
        return ""
    f, m = next(iter(found.items()))
    return (f"{len(found):,} {what} id{'s' if len(found) > 1 else ''} written another way than the model writes "
            f"{'them' if len(found) > 1 else 'it'} (e.g. “{f}” for {what} “{m}”: leading zeros, a trailing “.0” or upper/lower "
            f"case) read as the model's {what}{'s' if len(found) > 1 else ''}")


def trained_pairs(train_ctx: Context, data: Interactions, rows) -> np.ndarray:
    """Per row of ``rows`` (coded in ``data``): is its (user id, item id) among the model's training interactions?"""
    d = train_ctx.data
    seen = set(zip(map(str, d.user_ids[train_ctx.train[USER].to_numpy()]), map(str, d.item_ids[train_ctx.train[ITEM].to_numpy()])))
    # the same ids however the file writes them ("001" for user "1"), as external() scores them
    us, its = _spelled(data.user_ids, d.user_ids), _spelled(data.item_ids, d.item_ids)
    return np.fromiter(((us.get(str(u), str(u)), its.get(str(i), str(i))) in seen
                        for u, i in zip(data.user_ids[rows[USER].to_numpy()], data.item_ids[rows[ITEM].to_numpy()])),
                       dtype=bool, count=len(rows))
