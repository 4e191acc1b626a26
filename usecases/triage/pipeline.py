"""Training and evaluation: the model, the tuned peers and the rules on exactly the same rows.

* Synthetic cohort (the shared model): one stratified 70 / 15 / 15 split (:func:`synthetic_split`);
  the model and every peer fit on the 70, tune on the 15 % validation rows, are scored on the test 15.
* A user's file: the own-data protocol (:func:`usecases.core.protocol.class_split`) — 5-fold
  stratified cross-validation below 20,000 rows, one model per fold, all kept as the ensemble; each
  fold's training rows are split 85 / 15 again so the model and the peers tune on the same inner
  validation rows (on a fold of at most ``linear.INNER_ROWS`` training + validation rows, the linear model and the
  regression peer choose their settings by 5-fold inner cross-validation on those rows instead: ``Config.linear_select``).
  The split is recorded in the card; evaluating on the same file reuses it and scores each row with the fold model that
  did not learn from it.

What the page needs (scored test rows of the model and every peer, validation rows for the cost
trade-off) is computed here once and kept as artefacts, saved next to the weights.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from usecases.core import protocol
from usecases.core.device import device_info, select_device
from usecases.core.runner import CancelToken, Progress, TrainingCancelled
from usecases.core.spec import ConfigMixin, DataInfo, new_run_id
from usecases.core.spec import Trained as _Trained
from usecases.core.store import file_not_kept
from usecases.core.tables import DataProblem

from . import learner
from .cohort import CohortConfig, generate
from .evaluation import TriageEvaluation, build
from .metrics import DEFAULT_UNDER_COST
from .model import NetConfig
from .tabm import TabMConfig
from .peers import LABELS as PEER_LABELS, PEERS, FittedPeer, fit_peer
from .mapping import FIELD_LABELS, INPUTS, NUMERIC_FIELDS, blank_value
from .records import CANONICAL, MIN_ROWS, VITALS, Records
from .rules import esi_level, match_complaint, news2_level

SYNTHETIC_SPLIT = (0.70, 0.15, 0.15)
INNER_VALIDATION = 0.15


@dataclass(frozen=True)
class Config(ConfigMixin):
    cohort: CohortConfig = CohortConfig()
    net: NetConfig = NetConfig()
    max_epochs: int = 60
    patience: int = 8
    lr: float = 1e-2  # peak of the one-cycle schedule
    weight_decay: float = 1e-4
    batch_size: int = 256
    field_dropout: float = 0.1  # share of fields hidden per row while training (see learner.py)
    # "auto" (the default): per fold, the "blend" (TriageNet with the settings above and the shared TabM learner with those
    # in ``tabm``, fit on the same rows, probabilities averaged), the "linear" model (ordinal or multinomial head) or a
    # mixture of the two, the linear model's share (0, ¼, ½, ¾ or 1) chosen by validation log loss (the evidence is in
    # the README); "blend", "mlp", "tabm" or "linear" alone
    learner: str = "auto"
    # how "auto" chooses: "validation" (the fold's validation rows) or "inner_cv" (also out-of-fold predictions of the
    # training rows, on files of at most learner.INNER_CV_ROWS rows; about 4x the training time there, inner refits included)
    choose_by: str = "validation"
    # how the linear model chooses its head and C, and the logistic-regression peer its C — always the same way, so neither is
    # tuned further than the other: "validation" (the fold's validation rows), "inner_cv" (out-of-fold predictions of 5-fold
    # cross-validation on the fold's training + validation rows) or "auto" (inner_cv up to linear.INNER_ROWS rows, the
    # default since 2026-12-03: README, "Head and C by inner cross-validation")
    linear_select: str = "auto"
    # seeds per blend part: None → 3 on a fold of at most learner.SEED_ROWS training + validation rows (a small file, where one
    # seed's luck moves κ by ±0.02), 1 above (the synthetic cohort); a number (1–16) forces it
    blend_seeds: int | None = None
    tabm: TabMConfig = TabMConfig()
    peers: tuple[str, ...] = PEERS
    split: str = "auto"  # own data: "auto" (CV below 20,000 rows), "cv" or "stratified"
    seed: int = 0
    budget_seconds: float | None = None
    device: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.linear_select not in ("validation", "inner_cv", "auto"):
            raise ValueError(f"linear_select must be 'validation', 'inner_cv' or 'auto' (got {self.linear_select!r})")
        n = self.blend_seeds
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 16):
            raise ValueError(f"blend_seeds must be None (3 on a small file, else 1) or a whole number from 1 to 16 (got {n!r})")

    @classmethod
    def quick(cls) -> "Config":
        # The seconds-long smoke configuration (CLI --quick, UCLAB_RETRAIN_CONFIG=quick): the MLP alone. With the blend's
        # TabM part it took 15 s instead of 13 s on an idle 2-core machine, but 74 s instead of 39 s with three other
        # busy processes and about 5× longer inside the ten-browser concurrency test. On a user's small file (`--quick --data`)
        # the regression peer's C is chosen on the validation rows, as the MLP early-stops on them: by inner cross-validation
        # (the default's choice) it took 8 of a 300-row file's 15 s.
        return cls(cohort=CohortConfig(n=3000), max_epochs=12, patience=4, learner="mlp", tabm=TabMConfig(max_epochs=12, patience=4),
                   linear_select="validation")


@dataclass
class Trained(_Trained):
    """The fitted ensemble, its card and the precomputed evaluation arrays of the rows it was tested on."""

    artefacts: dict[str, np.ndarray] | None = None
    peers: dict[str, list[FittedPeer]] | None = None  # fitted peers of this process (never saved)


def _strat(y):
    y = pd.Series(np.asarray(y))
    return y if len(y) and y.value_counts().min() >= 2 else None


def synthetic_split(levels, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one stratified 70 / 15 / 15 split of the synthetic cohort: (train, validation, test) row indices."""
    idx = np.arange(len(levels))
    y = np.asarray(levels)
    tr, rest = train_test_split(idx, test_size=1 - SYNTHETIC_SPLIT[0], random_state=seed, stratify=_strat(y))
    va, te = train_test_split(rest, test_size=SYNTHETIC_SPLIT[2] / (1 - SYNTHETIC_SPLIT[0]), random_state=seed, stratify=_strat(y[rest]))
    return tr, va, te


def inner_split(levels, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Positions (fit, validation) inside a fold's training rows — the model and the peers tune on the same ones. On a
    small file 15 % of a fold can be fewer rows than it has levels, which a stratified split cannot share out: the
    validation part then takes one row of each level (a 30-row file with every level had stopped on scikit-learn's "The
    test_size = 4 should be greater or equal to the number of classes = 5"; a sweep, 2026-12-07). Larger files split as
    before, so recorded splits rebuild the same."""
    idx = np.arange(len(levels))
    strat, size = _strat(levels), INNER_VALIDATION
    if strat is not None:
        k, n = strat.nunique(), len(idx)
        if int(np.ceil(INNER_VALIDATION * n)) < k:
            size = k if n - k >= k else INNER_VALIDATION
            strat = strat if n - k >= k else None
    return train_test_split(idx, test_size=size, random_state=seed, stratify=strat)


def rule_levels(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """The rule baselines' levels (only when the rows record a vital sign or a complaint the rules can read —
    on a file without them a rule would score everyone level 5, which compares nothing) and the nurse's."""
    out = {}
    signs = any(df[c].notna().any() for c in VITALS)
    if signs or bool(df["complaint"].fillna("").map(match_complaint).notna().any()):
        out["esi_rule"] = esi_level(df)
    if signs:  # NEWS2 reads the signs alone: DAAG::headInjury's complaints without one had a NEWS2 row of everyone at level 5
        out["news2"] = news2_level(df)  # (an analyst walkthrough, 2026-12-07, later)
    if "nurse_level" in df and len(df) and df["nurse_level"].notna().all():
        out["nurse"] = df["nurse_level"].to_numpy(int)
    return out


def _frame(data) -> pd.DataFrame:
    return data.frame if isinstance(data, Records) else data


def _rebuild(frame: pd.DataFrame):
    y = frame["level"].to_numpy(int)
    return lambda kind, seed: protocol.class_split(y, frame, prefer=kind, seed=seed, min_rows=MIN_ROWS)


# ---- training ---------------------------------------------------------------------------------

def _fold_rows(frame: pd.DataFrame, split: protocol.Split, cfg: Config):
    """(fold id, fit rows, inner validation rows, test rows) — identical in training and evaluation."""
    for f, tr, te in split.folds():
        fit_pos, val_pos = inner_split(frame["level"].to_numpy(int)[tr], cfg.seed)
        yield f, tr[fit_pos], tr[val_pos], te


def held_only(probs: np.ndarray, missing: list[int] | tuple[int, ...]) -> np.ndarray:
    """``probs`` with the levels the training rows never held (``missing``, 1–5) set to 0 and each row renormalised. The
    networks give such a level a share all the same — nothing in their loss pulls it to zero — and the cost-weighted rule,
    which weighs an urgent level up, then suggested it: a model trained on levels 2–3 alone suggested level 1 for 55 of 600
    patients (p up to 0.67) while its training note said it "cannot suggest" level 1 (a sweep, 2026-12-07). The peers, fit
    on the levels they saw, never suggest one either."""
    if not len(missing) or not len(probs):
        return probs
    out = np.array(probs, dtype=np.float64, copy=True)
    out[:, [int(l) - 1 for l in missing]] = 0.0
    total = out.sum(axis=1, keepdims=True)
    return np.where(total > 0, out / np.where(total > 0, total, 1.0), probs).astype(np.asarray(probs).dtype)


def model_proba(trained: Trained, rows: pd.DataFrame) -> np.ndarray:
    """The model's five level probabilities for canonical ``rows``: read as its training file was (:func:`as_trained`), a
    level that file never held at 0 (:func:`held_only`) — for scoring and assessing alike."""
    return held_only(learner.predict_proba(trained.model, as_trained(trained.card, rows)[0]), never_seen(trained.card)[1])


def _score_folds(frame: pd.DataFrame, split: protocol.Split, cfg: Config, members: list, peers: tuple[str, ...], *, fit=None,
                 cancel: CancelToken | None = None, peer_started=None) -> tuple[dict, dict[str, list[FittedPeer]], list]:
    """Scores of every test row by the fold model that did not learn from it (``fit(f, fit_df, val_df)``
    trains it when ``members`` is empty) and by each peer fit on the same fold rows (``peer_started(i, j, name)`` hears
    each before it is fit)."""
    test = split.test_rows
    pos = {r: i for i, r in enumerate(test)}
    probs = {n: np.zeros((len(test), 5)) for n in ("model", *peers)}
    fitted: dict[str, list[FittedPeer]] = {n: [] for n in peers}
    val_y, val_p = [], []
    missing = [l for l in range(1, 6) if l not in set(frame["level"].to_numpy(int))]  # levels the file never holds
    for i, (f, fit_rows, val_rows, te) in enumerate(_fold_rows(frame, split, cfg)):
        if cancel is not None and cancel.cancelled:
            raise TrainingCancelled()
        fit_df, val_df, te_df = frame.iloc[fit_rows], frame.iloc[val_rows], frame.iloc[te]
        member = members[i] if i < len(members) else fit(i, fit_df, val_df)
        if i >= len(members):
            members.append(member)
        at = [pos[r] for r in te]
        probs["model"][at] = held_only(learner.predict_proba(member, te_df), missing)
        val_y.append(val_df["level"].to_numpy(int))
        val_p.append(held_only(learner.predict_proba(member, val_df), missing))
        for j, n in enumerate(peers):
            if peer_started is not None:
                peer_started(i, j, n)
            fp = fit_peer(n, fit_df, val_df, cfg.seed, select=cfg.linear_select)
            fitted[n].append(fp)
            probs[n][at] = fp.predict_proba(te_df)
    arts = {"y": frame["level"].to_numpy(int)[test], "fold": split.fold[test].astype(np.int64),
            "val_y": np.concatenate(val_y), "val_p": np.concatenate(val_p)}
    arts.update({f"p.{n}": p for n, p in probs.items()})
    arts.update({f"l.{n}": v for n, v in rule_levels(frame.iloc[test]).items()})
    return arts, fitted, members


def train(config: Config = Config(), *, data: Records | None = None, progress: Progress | None = None,
          cancel: CancelToken | None = None) -> Trained:
    """Fit the model (and, for the artefacts, the peers on the same rows). No business figures here."""
    t0 = time.perf_counter()
    device = select_device(config.device)
    cfg = config
    if data is None:
        frame = generate(cfg.cohort).drop(columns=["patient"])[list(CANONICAL)]
        tr, va, te = synthetic_split(frame["level"].to_numpy(int), cfg.seed)
        fold = np.zeros(len(frame), np.int64)
        fold[te] = 1
        split = protocol.Split("stratified", cfg.seed, fold, protocol.fingerprint(frame),
                               "stratified random 70 % train / 15 % validation / 15 % test")
        source = f"SYNTHETIC cohort: {cfg.cohort.n:,} patients, seed {cfg.cohort.seed}"
    else:
        frame = data.frame[list(CANONICAL)]
        split = protocol.class_split(frame["level"].to_numpy(int), frame, prefer=cfg.split, seed=cfg.seed, min_rows=MIN_ROWS)
        source = data.source
    k = len(split.test_folds)
    history: list[dict] = []
    budget = cfg.budget_seconds / k if cfg.budget_seconds else None
    # Each fold's share of the bar: the networks' epochs, the linear model's fits, then one step per peer; every row it hears
    # names the fold and what runs (the linear model and the peers have no epochs: the bar had stood still through them).
    model_steps = learner.fold_steps(cfg)
    span = model_steps + len(cfg.peers)

    def staged(i):
        if progress is None:
            return None
        where = f"fold {i + 1} of {k}" if k > 1 else ""
        return lambda s, t, row: progress(s, t, {**row, "stage": " · ".join(x for x in (where, row.get("stage", "neural networks")) if x)})

    networks = [0.0]  # seconds in the model's own fits (what the budget bounds), for runner.budget_overrun

    def fit(i, fit_df, val_df):
        t = time.perf_counter()
        try:
            return _fit(i, fit_df, val_df)
        finally:
            networks[0] += time.perf_counter() - t

    def _fit(i, fit_df, val_df):
        return learner.fit(fit_df, val_df, cfg, device, progress=staged(i), cancel=cancel, step_offset=i * span,
                           total_steps=k * span, history=history if i == 0 or data is not None else None, budget=budget)

    def peer_started(i, j, name):
        if progress is not None:
            staged(i)(i * span + model_steps + j, k * span, {"stage": f"peer: {PEER_LABELS.get(name, name)}"})

    if data is None:  # the fixed 70/15/15 split: fit and validation rows are given, not carved from the 85
        member = fit(0, frame.iloc[tr], frame.iloc[va])
        arts, peers = _score_synthetic(frame, tr, va, te, member, cfg, peer_started=peer_started)
        members = [member]
    else:
        arts, peers, members = _score_folds(frame, split, cfg, [], cfg.peers, fit=fit, cancel=cancel, peer_started=peer_started)
    if progress is not None:
        progress(k * span, k * span, {"stage": "scoring the test rows"})
    model = learner.Ensemble([m.to("cpu") for m in members]).eval()
    arts = stored_form(arts)  # the evaluation below reads exactly what a reload will read
    if data is not None:  # so that an external test can leave out this file's rows (core/protocol.py)
        arts[protocol.ROW_HASHES] = protocol.row_hashes(frame)
        arts[protocol.NEAR_HASHES] = protocol.near_row_hashes(frame)
    info = DataInfo(source=source, rows=len(frame), split=split.description, kind=split.kind_label, test_rows=int(len(split.test_rows)),
                    synthetic=data is None, unit="patients")
    y_all = frame["level"].to_numpy(int)
    card = {
        "run_id": new_run_id(),
        "data": {**info.as_dict(), "fingerprint": split.fingerprint, "split_record": split.record(),
                 "level_mix": {str(l): float((y_all == l).mean()) for l in range(1, 6)}, "recorded": recorded(frame),
                 # the mapping the file was read with (columns, codes, which end is most urgent): a later file given without one
                 # is read with it where it fits (serving.trained_mapping) — a guess had turned a 5-is-most-urgent scale round
                 **({"mapping": json.loads(data.mapping.to_json()), "mapping_guessed": data.guess is not None} if data is not None else {})},
        "training": cfg.as_dict(),
        "model": {**learner.describe(members, cfg),
                  "decision": f"minimum expected cost; metrics at under-triage weighted {DEFAULT_UNDER_COST:g}× (the page lets you change it)"},
        "peers": {n: [p.params for p in ps] for n, ps in peers.items()},
        "device": device_info(device).as_dict(),
        "training_seconds": round(time.perf_counter() - t0, 2),
        "networks_seconds": round(networks[0], 2),
    }
    ev = from_artefacts(arts, info, served_notes(card), _most_urgent(card), _recorded(card))
    card.update({
        "metrics": ev.model,
        "baselines": ev.baselines,
        "assisted": ev.assisted,
        "history": history,
        "vocabulary": _vocabulary(frame.iloc[tr] if data is None else frame),
    })
    return Trained(model=model, card=card, artefacts=arts, peers=peers)


def recorded(frame: pd.DataFrame) -> list[str]:
    """The input fields with at least one recorded value in the training rows (a field never recorded is one the model never
    saw a value of)."""
    return [c for c in INPUTS if c in frame and (frame[c].fillna("").astype(str).str.strip().ne("").any() if c == "complaint"
                                                  else frame[c].notna().any())]


def unseen_inputs(card: dict) -> list[str]:
    """The input fields (canonical names) the training rows never held one value of; [] for a card without the record."""
    rec = card.get("data", {}).get("recorded")
    return [] if rec is None else [c for c in INPUTS if c not in rec]


def unseen_held(card: dict, frame: pd.DataFrame) -> list[str]:
    """Labels of the fields the model's training rows never recorded that hold a value in ``frame``."""
    unseen = set(unseen_inputs(card))
    return [FIELD_LABELS[c] for c in recorded(frame) if c in unseen]


def as_trained(card: dict, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``(frame, fields)``: the rows with every field the model's training rows never recorded blanked — read as "not
    recorded", the only state of that field the model learned from — and :func:`unseen_held`'s labels. A complaint the
    model cannot read (:func:`unreadable_complaints`) is blanked too.

    Without this a value in such a field reaches weights that never saw one: a model trained on a file without heart rates
    put every patient of a file with heart rates at level 1 with probability 1.0."""
    unseen = [c for c in unseen_inputs(card) if c in frame]
    unread = unreadable_complaints(card, frame)
    stripped, _ = without_unknown_words(card, frame)
    if not unseen and not unread.any() and stripped is None:
        return frame, []
    held = unseen_held(card, frame)
    out = frame.copy()
    for c in unseen:
        out[c] = pd.Series([blank_value(c)] * len(out), index=out.index, dtype=float if c in NUMERIC_FIELDS else object)
    if stripped is not None:
        out["complaint"] = stripped
    if unread.any():
        out["complaint"] = np.where(unread, blank_value("complaint"), out["complaint"].to_numpy(object))
    return out, held


def _readable_word(word: str, known: frozenset[str], triples: frozenset[str]) -> bool:
    """A word the model learned, or a misspelling of one: at least :data:`READABLE_SHARE` of its letter triples occur in its words."""
    if word in known:
        return True
    grams = _trigrams(word)
    return sum(g in triples for g in grams) >= READABLE_SHARE * len(grams)


def without_unknown_words(card: dict, frame: pd.DataFrame) -> tuple[np.ndarray | None, list[str]]:
    """The complaints with the words the model cannot read left out (``None`` when no complaint holds one), and up to three of
    those words.

    The networks average a complaint's hashed words and letter triples, so words they never learned dilute the ones they did,
    and land on weights learned from others: appending " xyzzy qwerty" to each of 400 new synthetic complaints put 281
    patients one or more levels more urgent with the shipped model, and ", see notes" 263 (a real-file sweep, 2026-12-04);
    the TF-IDF peers ignore words they never saw. A word stays when the model learned it or reads it as a misspelling of one
    (:func:`_readable_word`, the rule :func:`unreadable_complaints` applies to a whole complaint), so typos still count; a
    complaint with no readable word at all is left to :func:`unreadable_complaints`. Cards without a vocabulary read as before."""
    vocab = card.get("vocabulary") or []
    if not vocab or "complaint" not in frame or "complaint" in unseen_inputs(card):
        return None, []
    from .rules import normalise_text

    known, triples = _known(tuple(vocab))
    readable: dict[str, bool] = {}  # per distinct word: a file repeats its words row after row
    out, changed, dropped = [], False, []
    for text in frame["complaint"].to_numpy(object):
        words = normalise_text(text if isinstance(text, str) else "").split()
        for w in words:
            if w not in readable:
                readable[w] = _readable_word(w, known, triples)
        keep = [w for w in words if readable[w]]
        if keep and len(keep) < len(words):
            changed = True
            dropped += [w for w in words if w not in keep and w not in dropped][: 3 - len(dropped)]
            out.append(" ".join(keep))
        else:
            out.append(text)
    return (np.asarray(out, dtype=object) if changed else None), dropped


def unknown_words_note(card: dict, frame: pd.DataFrame) -> str:
    """The note for complaints whose unknown words were left out (see :func:`without_unknown_words`), "" when none were."""
    stripped, dropped = without_unknown_words(card, frame)
    if stripped is None:
        return ""
    n = int((stripped != frame["complaint"].to_numpy(object)).sum())
    return (f"{n:,} complaint{'s' if n > 1 else ''} hold words the model never learned (e.g. {', '.join(map(repr, dropped))}): those "
            "words were left out and the rest of each complaint read (words a model never learned dilute the ones it knows)")


READABLE_SHARE = 0.4


def _trigrams(word: str) -> set[str]:
    padded = f"<{word}>"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


@functools.lru_cache(maxsize=8)
def _known(vocab: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """A model's vocabulary and the letter triples of its words, built once per model (every scoring and every Assess
    click asks)."""
    return frozenset(vocab), frozenset(g for w in vocab for g in _trigrams(w))


def unreadable_complaints(card: dict, frame: pd.DataFrame) -> np.ndarray:
    """Rows whose complaint the model cannot read: not one of its words is among the words it learned (the card's
    ``vocabulary``) and fewer than :data:`READABLE_SHARE` of its letter triples occur in those words.

    The networks read a complaint as hashed words and letter triples, so a text in words they never met lands on weights
    learned from other words: with the shipped model, "zzz" put a patient whose complaint-free level is 3 at level 2 with
    P(level 1–2) 0.98, and "Atemnot" (German: breathlessness) at level 4 with 0.00. Such a complaint is read as not recorded
    instead — the state every part learned (fields are hidden at random in training), and what the TF-IDF peers make of
    words they never saw. Typos stay readable: on 3,000 new synthetic patients every complaint has a known word or at
    least 43 % of its triples known ("vmoiting" 50 %), while German, French and Spanish complaints had 0–29 %. A card
    without a vocabulary (older models) reads every complaint as before; one never trained on complaints blanks them all
    anyway (:func:`as_trained`)."""
    vocab = card.get("vocabulary") or []
    if not vocab or "complaint" not in frame or "complaint" in unseen_inputs(card):
        return np.zeros(len(frame), bool)
    from .rules import normalise_text

    known, triples = _known(tuple(vocab))

    def unreadable(text) -> bool:
        words = normalise_text(text if isinstance(text, str) else "").split()
        if not words or any(w in known for w in words):
            return False
        grams = [g for w in words for g in _trigrams(w)]
        return sum(g in triples for g in grams) < READABLE_SHARE * len(grams)

    codes, texts = pd.factorize(frame["complaint"].map(lambda t: t if isinstance(t, str) else ""))  # once per distinct complaint
    return np.fromiter((unreadable(t) for t in texts), bool, count=len(texts))[codes]


def unreadable_note(frame: pd.DataFrame, mask: np.ndarray, where: str = "") -> str:
    """The note for complaints read as not recorded (see :func:`unreadable_complaints`), with up to three examples."""
    n = int(mask.sum())
    ex = ", ".join(repr(str(t)) for t in pd.unique(frame["complaint"].to_numpy(object)[mask])[:3])
    return (f"{n:,} complaint{'s' if n > 1 else ''}{where} with no word the model learned and few of its letter groups (e.g. {ex}): "
            "read as not recorded, so those levels rest on the other fields — the model's words come from its training file "
            "(another language or wording reads as noise)")


def unseen_note(fields: list[str]) -> str:
    """The note for values in fields the model never learned from (see :func:`as_trained`)."""
    return (f"{', '.join(fields)}: recorded here but never in the model's training file, so the model reads "
            f"{'them' if len(fields) > 1 else 'it'} as not recorded")


def never_seen(card: dict) -> tuple[list[str], list[int]]:
    """``(fields, levels)`` the training rows never held: input fields without one recorded value (as labels) and
    reference levels without one patient. The Assess tab says so — a value typed into such a field, or a probability
    for such a level, rests on no example."""
    d = card.get("data", {})
    rec = d.get("recorded")
    fields = [FIELD_LABELS[c] for c in INPUTS if rec is not None and c not in rec]
    return fields, sorted(int(l) for l, share in d.get("level_mix", {}).items() if share == 0)


def served_notes(card: dict) -> list[str]:
    """What serves this model, for the page and the report: which learner — or which mixture of the two — each fold kept,
    and why (``learner="auto"``)."""
    m = card.get("model", {})
    if m.get("learner") != "auto":
        return []
    sel = [s for s in m.get("selection") or [] if s]
    served = m.get("served", [])
    k, n_lin = len(served), served.count("linear")
    blend, lin = learner.BLEND_NAME, learner.LINEAR_NAME
    inner = [s["inner_cv_rows"] for s in sel if s.get("inner_cv_rows")]
    rows = (f"{min(inner):,}" if min(inner) == max(inner) else f"{min(inner):,}–{max(inner):,}") if inner else ""
    who = "patient" if inner else "validation patient"
    seeds = max(m.get("blend_seeds") or [1])
    auto = card.get("training", {}).get("blend_seeds") is None  # the small-file rule chose the seeds, not the person training
    averaged = (f" {'On this small file each' if auto else 'Each'} part of the {blend} was trained from {seeds} seeds and the blend "
                "averages them (one seed's luck moved κ by up to 0.04 on a 1,000-patient file)." if seeds > 1 and n_lin < k else "")
    if sel and all("chosen_by" in s for s in sel):
        return [_mixture_note(sel, served, who) + (f" On this small file the log losses also count out-of-fold predictions of each fold's "
                                                   f"{rows} training patients (both learners refit on {learner.INNER_FOLDS} inner folds), so "
                                                   "the choice does not rest on the validation patients alone." if inner else "")
                + f" Test patients played no part in the choice.{averaged}"]
    # A card written before 2026-12-01: one learner per fold, chosen by the validation triage cost.
    if k == 1:
        costs = f"blend {sel[0]['blend_cost']:.3f}, linear {sel[0]['linear_cost']:.3f}" if sel else ""
        head = (f"Served by the {lin}: it triaged the validation patients at a lower cost than the {blend}" if n_lin else
                f"Served by the {blend}: a {lin} was also fit on the same rows and checked on the validation patients; "
                "it triaged them at a higher cost, so it does not serve")
    else:
        costs = "; ".join(f"fold {i + 1}: blend {s['blend_cost']:.3f}, linear {s['linear_cost']:.3f}" for i, s in enumerate(sel))
        if n_lin == 0:
            head = (f"Served by the {blend} in all {k} folds: a {lin} was also fit on each fold's rows and would have served a fold "
                    "whose validation patients it triaged at a lower cost — none")
        elif n_lin == k:
            head = f"Served by the {lin} in all {k} folds: it triaged each fold's validation patients at a lower cost than the {blend}"
        else:
            head = (f"Served per fold by whichever learner triaged that fold's validation patients at the lower cost: the {lin} "
                    f"in {n_lin} of {k} folds, the {blend} in {k - n_lin}")
    also = (f" On this small file the costs also count out-of-fold predictions of each fold's {rows} training "
            f"patients (both learners refit on {learner.INNER_FOLDS} inner folds), so the choice does not rest on the validation "
            "patients alone." if inner else "")
    return [f"{head} (mean cost per {who} at training's rule, 3 per level under-triaged, 1 per level over, whatever decision rule "
            f"you choose — {costs}).{also} "
            f"Test patients played no part in the choice.{averaged}"]


def _mixture_note(sel: list[dict], served: list[str], who: str) -> str:
    """The served note of a card whose folds chose the linear model's share w by validation log loss (since 2026-12-01)."""
    blend, lin = learner.BLEND_NAME, learner.LINEAR_NAME
    k = len(served)
    share = learner.share_label

    def serves(s: dict) -> str:
        w = s["linear_weight"]
        return f"the {blend}" if w == 0 else f"the {lin}" if w == 1 else f"{share(1 - w)} the {blend} + {share(w)} the {lin}"

    if k == 1:
        s = sel[0]
        head = f"Served by {serves(s)}"
        figures = (f"mean log loss per {who}, lower is better: {blend} {s['blend_log_loss']:.3f}, {lin} {s['linear_log_loss']:.3f}"
                   + (f", the mixture served {s['served_log_loss']:.3f}" if 0 < s["linear_weight"] < 1 else ""))
        costs = f"{blend} {s['blend_cost']:.3f}, {lin} {s['linear_cost']:.3f}" + (f", served {s['served_cost']:.3f}" if 0 < s["linear_weight"] < 1 else "")
    else:
        kinds = {kind: served.count(kind) for kind in ("blend", "linear", "mix")}
        if kinds["blend"] == k:
            head = f"Served by the {blend} in all {k} folds"
        elif kinds["linear"] == k:
            head = f"Served by the {lin} in all {k} folds"
        else:
            head = "Served per fold — " + "; ".join(f"fold {i + 1}: {serves(s)}" for i, s in enumerate(sel))
        figures = f"mean log loss per {who}, lower is better — " + "; ".join(
            f"fold {i + 1}: blend {s['blend_log_loss']:.3f}, linear {s['linear_log_loss']:.3f}"
            + (f", served {s['served_log_loss']:.3f}" if 0 < s["linear_weight"] < 1 else "") for i, s in enumerate(sel))
        costs = "; ".join(f"fold {i + 1}: blend {s['blend_cost']:.3f}, linear {s['linear_cost']:.3f}"
                          + (f", served {s['served_cost']:.3f}" if 0 < s["linear_weight"] < 1 else "") for i, s in enumerate(sel))
    rows = "the same" if k == 1 else "each fold's"
    return (f"{head}. A {lin} was also fit on {rows} rows, and the share w of it in "
            f"(1 − w) × the {blend} + w × the {lin} was chosen from 0, ¼, ½, ¾ and 1 as the one that fitted the validation patients best ({figures}; "
            f"for reference, the triage cost per {who} at training's rule, 3 per level under-triaged, 1 per level over, whatever "
            f"decision rule you choose — {costs}). The log loss reads every "
            "probability, so on few validation patients it is a steadier guide than the cost, which counts only the level each one gets.")


def _score_synthetic(frame, tr, va, te, member, cfg: Config, peers: dict | None = None, peer_started=None):
    fit_df, val_df, te_df = frame.iloc[tr], frame.iloc[va], frame.iloc[te]
    if peers is None:
        peers = {}
        for j, n in enumerate(cfg.peers):
            if peer_started is not None:
                peer_started(0, j, n)
            peers[n] = [fit_peer(n, fit_df, val_df, cfg.seed, select=cfg.linear_select)]
    arts = {"y": te_df["level"].to_numpy(int), "fold": np.full(len(te), -1, np.int64), "val_y": val_df["level"].to_numpy(int),
            "val_p": learner.predict_proba(member, val_df), "p.model": learner.predict_proba(member, te_df)}
    arts.update({f"p.{n}": ps[0].predict_proba(te_df) for n, ps in peers.items()})
    arts.update({f"l.{n}": v for n, v in rule_levels(te_df).items()})
    return arts, peers


def stored_form(arts: dict) -> dict[str, np.ndarray]:
    """Artefacts as they are saved: probabilities as float32, levels and folds as int64."""
    return {k: np.asarray(v, np.float32) if np.asarray(v).dtype.kind == "f" else np.asarray(v, np.int64) for k, v in arts.items()}


def _vocabulary(frame: pd.DataFrame, min_count: int = 5) -> list[str]:
    """Complaint words seen at least ``min_count`` times in the training rows (the page marks them as known)."""
    from .rules import normalise_text

    c = Counter(w for t in frame["complaint"].fillna("") for w in set(normalise_text(t).split()))
    return sorted(w for w, n in c.items() if n >= min_count)


# ---- evaluation -------------------------------------------------------------------------------

def from_artefacts(arts: dict, info: DataInfo, notes=(), most_urgent: int = 1, recorded=None) -> TriageEvaluation:
    """The evaluation of precomputed scored rows (no model is run); ``most_urgent``: the file's mapping's, for the sentences;
    ``recorded``: the input fields the file records (the card's), which says whether the ESI-style rule is a baseline."""
    fold = np.asarray(arts["fold"]) if "fold" in arts else None
    if fold is not None and (fold < 0).all():
        fold = None
    return build(y=arts["y"], probs={k[2:]: np.asarray(v, float) for k, v in arts.items() if k.startswith("p.")},
                 rule_levels={k[2:]: np.asarray(v, int) for k, v in arts.items() if k.startswith("l.")}, fold=fold,
                 val_y=arts.get("val_y"), val_probs=arts.get("val_p"), data=info, notes=notes, file_most_urgent=most_urgent,
                 recorded=recorded)


def _most_urgent(card: dict) -> int:
    """5 when the model's training file wrote its most urgent level as 5 (the mapping kept on the card), else 1."""
    return int(((card.get("data") or {}).get("mapping") or {}).get("most_urgent", 1))


def _recorded(card: dict) -> list[str] | None:
    """The input fields the model's training file records (None on a card from before the record)."""
    return (card.get("data") or {}).get("recorded")


def _info(card: dict) -> DataInfo:
    d = card.get("data", {})
    names = {f.name for f in dataclasses.fields(DataInfo)}
    return DataInfo(**{"unit": "patients", **{k: v for k, v in d.items() if k in names}})


def evaluate(trained: Trained, data: Records | None = None) -> TriageEvaluation:
    """The model vs the tuned peers, the rules and the nurse on the model's test rows (``data=None``),
    on the held-out rows of the file it was trained on, or on another file (an external test)."""
    card = trained.card
    cfg = Config.from_dict(card.get("training", {}))
    notes = served_notes(card)
    if data is None:
        if trained.artefacts is not None:
            return from_artefacts(trained.artefacts, _info(card), notes, _most_urgent(card), _recorded(card))
        if not card["data"].get("synthetic"):
            raise DataProblem(file_not_kept(card, "your own file", "pass the file again"), "this model")
        return _evaluate_synthetic(trained, cfg)
    frame = _frame(data)[list(CANONICAL)]
    split = protocol.recover(card["data"].get("split_record"), frame, _rebuild(frame))
    source = getattr(data, "source", f"{len(frame):,} records")
    # The notes name levels on the scale of the file given now: the training file read with "5 = most urgent" and the same
    # patients in a file written 1 = most urgent had been told "your file's 5 is level 1" (a sweep, 2026-12-04).
    file_scale = getattr(getattr(data, "mapping", None), "most_urgent", None) or _most_urgent(card)
    if split is not None:  # the training file: only rows the model did not learn from
        info = DataInfo(source=source, rows=len(frame), split=split.description, kind=split.kind_label, test_rows=int(len(split.test_rows)),
                        unit="patients")
        if trained.artefacts is not None:
            return from_artefacts(trained.artefacts, info, notes, file_scale, _recorded(card))
        if card["data"].get("synthetic"):
            return _evaluate_synthetic(trained, cfg)
        arts, _, _ = _score_folds(frame, split, cfg, list(trained.model.members), tuple(card.get("peers", {}) or cfg.peers))
        return from_artefacts(arts, info, notes, file_scale, recorded(frame))
    return _external(trained, frame, source, cfg, getattr(getattr(data, "mapping", None), "most_urgent", 1))


def _evaluate_synthetic(trained: Trained, cfg: Config) -> TriageEvaluation:
    frame = generate(cfg.cohort).drop(columns=["patient"])[list(CANONICAL)]
    tr, va, te = synthetic_split(frame["level"].to_numpy(int), cfg.seed)
    arts, _ = _score_synthetic(frame, tr, va, te, trained.model, cfg)
    return from_artefacts(arts, _info(trained.card), served_notes(trained.card), recorded=_recorded(trained.card))


def _external(trained: Trained, frame: pd.DataFrame, source: str, cfg: Config, most_urgent: int = 1) -> TriageEvaluation:
    """A file the model never saw, scored whole — but for rows of the model's training file, which are left out and said;
    peers are the ones fit on the model's training rows."""
    notes = served_notes(trained.card)
    keep, seen_note = protocol.external_rows((trained.artefacts or {}).get(protocol.ROW_HASHES), frame,
                                            source[: source.index("”") + 1] if "”" in source else "this file",
                                            near=(trained.artefacts or {}).get(protocol.NEAR_HASHES))
    if seen_note:  # a 400-row slice of the training file read κ 0.754 as "never saw this file" (0.691 cross-validated)
        frame = frame[keep].reset_index(drop=True)
        notes.append(seen_note[:1].upper() + seen_note[1:])
    peers = trained.peers
    if peers is None and trained.card["data"].get("synthetic"):
        cohort = generate(cfg.cohort).drop(columns=["patient"])[list(CANONICAL)]
        tr, va, _ = synthetic_split(cohort["level"].to_numpy(int), cfg.seed)
        peers = {n: [fit_peer(n, cohort.iloc[tr], cohort.iloc[va], cfg.seed, select=cfg.linear_select)] for n in trained.card.get("peers", cfg.peers)}
    if peers is None:
        peers = {}
        notes.append("The learned peers were fit on the training file, which is not kept: evaluate on that file to compare with them.")
    seen, held = as_trained(trained.card, frame)  # the rules below read every field of the file; they learned nothing
    if held:
        notes.append(unseen_note(held) + " (so do the peers, fit on the same training rows)")
    unread = unreadable_complaints(trained.card, frame)
    if unread.any():
        notes.append(unreadable_note(frame, unread) + " (for the peers too)")
    if words := unknown_words_note(trained.card, frame):
        notes.append(words)
    probs = {"model": held_only(learner.predict_proba(trained.model, seen), never_seen(trained.card)[1])}
    probs.update({n: np.mean([p.predict_proba(seen) for p in ps], axis=0) for n, ps in peers.items()})
    info = DataInfo(source=source, rows=len(frame), split=(f"external test: {len(frame):,} rows of this file; {seen_note}" if seen_note else
                                                           f"external test: all {len(frame):,} rows (the model never saw this file)"),
                    kind="external", test_rows=len(frame), unit="patients")
    return build(y=frame["level"].to_numpy(int), probs=probs, rule_levels=rule_levels(frame), data=info, notes=notes,
                 file_most_urgent=most_urgent, recorded=recorded(frame))
