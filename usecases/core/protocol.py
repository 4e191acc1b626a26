"""One own-data protocol for every use case: how a user's rows are split, recorded and recognised.

* The split is chosen for the data and stated: stratified k-fold cross-validation for small files
  (below :data:`CV_BELOW` rows, k = 5, fewer when a class is rare), a time-ordered hold-out when the
  file has timestamps and both sides hold enough of each class, a stratified hold-out otherwise.
  (Interactions split per user and text contiguously; those domains describe their own split but
  record it the same way.)
* Any split must leave enough of each class on both sides — for a binary label at least
  :data:`MIN_POS_TRAIN` positives to learn from and :data:`MIN_POS_TEST` to test on — or it is
  refused with a message that says what is missing and what to try.
* :class:`Split` is recorded in the model card (kind, seed, k, fingerprint of the rows, counts), so
  ``evaluate`` on the same file reuses it and scores only rows the model did not learn from; a
  different file is an external test and is labelled so.
* Every row of a training file is hashed (:func:`row_hashes`, kept with the model as the artefact
  :data:`ROW_HASHES`), so an external test leaves out the rows the model was built from — a subset, a
  re-sorted copy or a resample of the training file — and says how many (:func:`external_rows`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd

from .tables import DataProblem

CV_BELOW = 20_000
K_FOLDS = 5
MIN_POS_TRAIN = 20
MIN_POS_TEST = 10
HOLDOUT_SHARE = 0.25


def fingerprint(frame: pd.DataFrame) -> str:
    """A stable fingerprint of a table's rows (order-sensitive, column names included)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:20]


def rows_fingerprint(frame: pd.DataFrame) -> str:
    """A fingerprint of a table's rows as a set, whatever their order (:func:`fingerprint` is order-sensitive): it tells the
    training file sorted again in a spreadsheet from another file, which had both read "its rows differ"."""
    return hashlib.sha256(np.sort(row_hashes(frame)).tobytes()).hexdigest()[:20]


ROW_HASHES = "data.row_hashes"  # the artefact holding one hash per row of a model's training file


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column in one representation whatever the file inferred: numbers (and times) as float64, anything else as text —
    a subset of a file can read a column as integers where the whole file, with a blank in it, read floats."""
    out = {}
    for c in frame.columns:
        v = frame[c]
        if pd.api.types.is_datetime64_any_dtype(v):
            v = v.astype("int64").astype(float).where(v.notna())
        if pd.api.types.is_bool_dtype(v) or pd.api.types.is_numeric_dtype(v):
            out[str(c)] = pd.to_numeric(v, errors="coerce").astype(float).fillna(np.inf).to_numpy()
        else:
            out[str(c)] = v.astype(object).where(v.notna(), "").astype(str).to_numpy()
    return pd.DataFrame(out)


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of ``frame``'s values (not its order, index or file format), as int64 for safetensors."""
    return np.array(pd.util.hash_pandas_object(_canonical(frame), index=False).to_numpy(), dtype=np.uint64).view(np.int64)


NEAR_HASHES = "data.near_row_hashes"  # one hash per training row with numbers at 3 significant digits and times to the minute


def _three_digits(x: np.ndarray) -> np.ndarray:
    """``x`` at 3 significant digits (0, NaN and infinities as they are), in whole powers of ten so that 44,361.63 reads
    44,400.0 exactly and 0.012345 reads 0.0123 — the same double however the value was written."""
    out = x.copy()
    ok = np.isfinite(x) & (x != 0)
    mag = np.floor(np.log10(np.abs(x[ok]))).astype(int) - 2
    big = mag >= 0
    v = x[ok]
    v = np.where(big, np.round(v / 10.0 ** np.maximum(mag, 0)) * 10.0 ** np.maximum(mag, 0),
                 np.round(v * 10.0 ** np.maximum(-mag, 0)) / 10.0 ** np.maximum(-mag, 0))
    out[ok] = v
    return out


def _near(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a re-save would leave it: numbers at 3 significant digits, times to the minute (text as it is)."""
    out = {}
    for c in frame.columns:
        v = frame[c]
        if pd.api.types.is_datetime64_any_dtype(v):
            out[c] = v.dt.floor("min")
        elif pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            out[c] = _three_digits(pd.to_numeric(v, errors="coerce").astype(float).to_numpy())
        else:
            out[c] = v
    return pd.DataFrame(out, index=frame.index)


def near_row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """:func:`row_hashes` of the rows as a re-save would leave them (:func:`_near`): a slice of the training file saved again
    with its numbers rounded to cents had been scored as "all 2,000 rows of a file the model never saw" (a sweep, 2026-12-07)."""
    return row_hashes(_near(frame))


def external_rows(stored, frame: pd.DataFrame, subject: str, near=None) -> tuple[np.ndarray, str | None]:
    """For an external test: ``(keep, note)`` — the rows of ``frame`` that are not rows of the model's training file
    (``stored``: its :data:`ROW_HASHES`, or ``None`` for a model without them) and what to say about the others.

    A file that is wholly training rows (the same file re-sorted, or a slice of it) is refused: scored as "a file the model
    never saw", a 400-row slice of a triage training file read κ 0.754 against 0.691 cross-validated."""
    keep = np.ones(len(frame), dtype=bool)
    if stored is None or not len(frame):
        return keep, None
    stored = np.asarray(stored).view(np.int64)
    keep = ~np.isin(row_hashes(frame), stored)
    seen = int((~keep).sum())
    # rows that equal a training row once rounded as a re-save rounds them (``near``: the model's :data:`NEAR_HASHES`)
    # Only where the training rows are told apart at that precision: on a table of few columns (an amount and an age) rows from
    # the same source fill the same 3-digit buckets, and 1,145 of 1,827 fresh rows had matched (a review, 2026-12-07) — there
    # the training file's own rows repeat at 3 digits, and the check says nothing.
    near = np.asarray(near).view(np.int64) if near is not None else None
    distinct = near is not None and len(near) and np.unique(near).size >= 0.95 * len(near)
    close = (np.isin(near_row_hashes(frame), near) & keep) if distinct else np.zeros(len(frame), bool)
    if close.sum() >= max(10, (len(frame) - seen) // 2):
        resaved = (f"{int(close.sum()):,} of its {len(frame) - seen:,} {'other ' if seen else ''}rows equal a training row once numbers are rounded to 3 "
                   "significant digits and times to the minute: if they come from the model's training file saved again (numbers "
                   "rounded, times without seconds, another format), the model learned them and this is not an external test — "
                   "evaluate the training file as it was given, or give rows the model never saw")
        if not seen:
            return keep, resaved
    elif len(frame) == len(stored) and seen < len(frame) // 2:
        # the training file saved again — numbers rounded or written "44,361.63", times without their seconds — matches no row
        # exactly, and had been scored as "a file the model never saw" (a sweep, 2026-12-05)
        resaved = (f"it has exactly as many rows as the model's training file ({len(frame):,}) but only {seen:,} of them equal a training "
                   "row in every value: if it is that file saved again (numbers rounded, times without seconds, another format), "
                   "the model learned these rows and this is not an external test — evaluate the training file as it was given")
        if not seen:
            return keep, resaved
    else:
        resaved = ""
    if not seen:
        return keep, None
    if not keep.any():
        raise DataProblem(f"all {len(frame):,} of its rows are rows of the model's training file (the same values in every column): "
                          "it is not new data, and scoring it would measure memory; evaluate the training file as it was given "
                          "(its held-out rows), or give rows the model never saw", subject)
    return keep, (f"{seen:,} of its {len(frame):,} rows are rows of the model's training file (the same values in every column) and "
                  f"are left out: the figures are on the other {int(keep.sum()):,}" + (f"; {resaved}" if resaved else ""))


@dataclass(frozen=True)
class Split:
    """Fold membership of every row: ``fold[i]`` is the fold whose *test* part holds row i.

    Cross-validation has k folds (0..k-1); a hold-out has two (0 = training rows, 1 = test rows) and
    one test fold, ``test_folds = (1,)``.
    """

    kind: str  # "cv" | "time" | "stratified"
    seed: int
    fold: np.ndarray
    fingerprint: str
    description: str

    @property
    def k(self) -> int:
        return int(self.fold.max()) + 1 if len(self.fold) else 0

    @property
    def test_folds(self) -> tuple[int, ...]:
        return tuple(range(self.k)) if self.kind == "cv" else (1,)

    def folds(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(fold id, training row indices, test row indices) for each test fold. Rows in no fold (``fold`` −1: the repeats of
        joined exports, see :func:`_copies`) are in neither."""
        for f in self.test_folds:
            yield f, np.flatnonzero((self.fold != f) & (self.fold >= 0)), np.flatnonzero(self.fold == f)

    @property
    def test_rows(self) -> np.ndarray:
        return np.flatnonzero(np.isin(self.fold, self.test_folds))

    @property
    def kind_label(self) -> str:
        return "cross-validation" if self.kind == "cv" else "held-out"

    def record(self) -> dict:
        """What the model card keeps (the fold of each row is recomputed from it, then checked)."""
        return {"kind": self.kind, "seed": self.seed, "k": self.k, "fingerprint": self.fingerprint, "rows": int(len(self.fold)),
                "test_rows": int(len(self.test_rows)), "description": self.description,
                "fold_sha": hashlib.sha256(self.fold.astype(np.int8).tobytes()).hexdigest()[:16]}


@dataclass(frozen=True)
class Copies:
    """Rows of a file that repeat another row exactly (the same value in every column)."""

    first: np.ndarray  # the index of each distinct row's first occurrence
    inverse: np.ndarray  # for every row, the distinct row it is
    exported_twice: bool  # the copies repeat earlier rows in blocks, in the same order (exports joined): read once

    @property
    def extra(self) -> int:
        return len(self.inverse) - len(self.first)


def _copies(frame: pd.DataFrame) -> Copies | None:
    """The file's exact copies, or ``None`` when every row differs. A copy of a row split into another fold is scored by a
    model that learned it (ISLR::Default given twice read "random forest wins: 0.825 vs 0.488" where the file once ties at
    0.525; a triage file of 400 patients given twice read κ 0.752 against 0.530 — a sweep, 2026-12-05). But many tables hold
    copies by nature — MASS::housing is 72 distinct answers over 1,681 households, ISLR::Caravan 602 customers with another's
    coded profile — and keeping a copy away from the rows like it would hide from the model the very answers it is tested on.
    What tells them apart here is order: joined exports repeat a block of earlier rows in the same order (three or more
    consecutive rows copying three or more consecutive rows), natural copies fall anywhere. Only the former are read once
    (:func:`_read_once`); the latter stay records, and the split's description counts them."""
    if len(frame) < 2:
        return None
    h = row_hashes(frame)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    if len(first) == len(h):
        return None
    order = np.argsort(first, kind="stable")  # distinct rows in file order, so they are split as the file without repeats is
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    first, inverse = first[order], rank[inverse.ravel()]
    orig = first[inverse]  # for each row, the first row with the same values
    j = np.flatnonzero(orig != np.arange(len(h)))  # the copies, in file order
    step = (np.diff(j) == 1) & (np.diff(orig[j]) == 1)  # the next copy continues this one's run of originals
    edges = np.flatnonzero(np.diff(np.r_[0, step.astype(np.int8), 0]))  # where runs of steps start and end
    steps = edges[1::2] - edges[::2]
    in_runs = int((steps[steps >= 2] + 1).sum())  # copies in runs of two or more steps (three or more rows)
    blocks = in_runs >= max(3, len(j) // 2)
    return Copies(first=first, inverse=inverse, exported_twice=blocks)


def repeats(frame: pd.DataFrame) -> Copies | None:
    """The rows of joined exports that the split reads once (:func:`_copies`), for what a page says before training; None
    when there are none."""
    c = _copies(frame)
    return c if c is not None and c.exported_twice else None


def _read_once(fold_of_distinct: np.ndarray, copies: Copies) -> np.ndarray:
    """Every row's fold from its distinct row's, with the repeats of joined exports in no fold (−1): read once, they neither
    train nor test — kept in their row's fold instead, the peers' inner validation still met copies of its training rows
    and chose settings that memorise (the random forest's AP fell from 0.495 to 0.355 on ISLR::Default given twice)."""
    fold = fold_of_distinct[copies.inverse]
    fold[np.arange(len(fold)) != copies.first[copies.inverse]] = -1
    return fold


def _copies_said(copies: Copies | None, n: int) -> str:
    if copies is None:
        return ""
    if copies.exported_twice:
        return (f"; {copies.extra:,} of the {n:,} rows repeat earlier rows exactly and in the same order (was the file exported "
                "twice?) and are read once: left out of training and testing, so no row is scored by a model that learned its copy")
    return (f"; {copies.extra:,} of the {n:,} rows repeat another row exactly and are read as separate records, as in a table of "
            "answers or coded profiles — if the file holds the same records twice, remove the repeats: a copy in another fold "
            "is scored by a model that learned it")


def _stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    fold = np.zeros(len(y), dtype=np.int64)
    for i, (_, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)):
        fold[te] = i
    return fold


def _class_counts(y: np.ndarray) -> dict:
    vals, counts = np.unique(y, return_counts=True)
    return dict(zip(vals.tolist(), counts.tolist()))


def _check_binary_sides(y: np.ndarray, fold: np.ndarray, test_folds, what: str, positive: str, suggest: str) -> None:
    for f in test_folds:
        tr, te = y[(fold != f) & (fold >= 0)], y[fold == f]
        problems = []
        if (tr == 1).sum() < MIN_POS_TRAIN:
            problems.append(f"{int((tr == 1).sum())} {positive} to learn from (at least {MIN_POS_TRAIN} are needed)")
        if (te == 1).sum() < MIN_POS_TEST:
            problems.append(f"{int((te == 1).sum())} {positive} to test on (at least {MIN_POS_TEST} are needed)")
        if (tr == 0).sum() < MIN_POS_TRAIN or (te == 0).sum() < MIN_POS_TEST:
            problems.append(f"{int((tr == 0).sum())} / {int((te == 0).sum())} other rows in training / test")
        if problems:
            raise DataProblem(f"the {what} leaves " + " and ".join(problems) + f"; {suggest}", "this data")


def binary_split(y: np.ndarray, frame: pd.DataFrame, *, times: np.ndarray | None = None, prefer: str = "auto", seed: int = 0,
                 positive: str = "positive rows") -> Split:
    """The split for a binary label (1 = the rare class).

    ``prefer``: "auto" (cross-validation below :data:`CV_BELOW` rows, else a time-ordered hold-out when
    ``times`` is given, else stratified), "cv", "time" or "stratified".
    """
    y = np.asarray(y).astype(int)
    n, pos = len(y), int((y == 1).sum())
    fp = fingerprint(frame)
    need = MIN_POS_TRAIN + MIN_POS_TEST
    if pos < need or n - pos < need:
        raise DataProblem(f"it has {pos:,} {positive} and {n - pos:,} others; at least {need} of each are needed "
                          f"({MIN_POS_TRAIN} to learn from and {MIN_POS_TEST} to test on)", "this data")
    # Rows repeated by joined exports are read once (see _copies): the distinct rows are split as a file without repeats is,
    # so such a file gets the same split as before (and the same choice of split: a file of 10,000 rows given twice is
    # cross-validated as the file once is).
    copies = _copies(frame) if prefer != "time" else None
    grouped = copies is not None and copies.exported_twice
    kind = prefer
    if prefer == "auto":
        kind = "cv" if (len(copies.first) if grouped else n) < CV_BELOW else ("time" if times is not None else "stratified")
    if kind == "time" and times is None:
        raise DataProblem("a time-ordered hold-out needs a time column; use the stratified hold-out", "this data")
    if kind == "time":
        copies, grouped = None, False  # copies share their time: they fall on the same side of the cut
    yu = y[copies.first] if grouped else y
    expand = (lambda f: _read_once(f, copies)) if grouped else (lambda f: f)
    if grouped and (int((yu == 1).sum()) < need or int((yu != 1).sum()) < need):
        raise DataProblem(f"once its {copies.extra:,} repeated rows are read once (they repeat earlier rows in the same order: was the "
                          f"file exported twice?), it has {int((yu == 1).sum()):,} {positive} and {int((yu != 1).sum()):,} others; at least "
                          f"{need} of each are needed", "this data")
    if kind == "cv":
        pos_u, n_u = int((yu == 1).sum()), len(yu)
        k = int(min(K_FOLDS, pos_u // MIN_POS_TEST, (n_u - pos_u) // MIN_POS_TEST))
        # Each fold's training part must also hold MIN_POS_TRAIN positives.
        while k > 2 and pos_u - pos_u // k < MIN_POS_TRAIN:
            k -= 1
        if k < 2:
            raise DataProblem(f"{pos_u} {'distinct ' if grouped else ''}{positive} are too few for cross-validation", "this data")
        fold = expand(_stratified_folds(yu, k, seed))
        desc = f"{k}-fold stratified cross-validation (every row is scored by a model that did not learn from it)" + _copies_said(copies, n)
        _check_binary_sides(y, fold, range(k), "cross-validation", positive, "add rows")
    elif kind == "time":
        order = np.argsort(np.asarray(times), kind="mergesort")
        fold = np.zeros(n, dtype=np.int64)
        fold[order[int(round(n * (1 - HOLDOUT_SHARE))):]] = 1
        desc = f"time-ordered hold-out: first {1 - HOLDOUT_SHARE:.0%} of rows by time train, last {HOLDOUT_SHARE:.0%} test"
        _check_binary_sides(y, fold, (1,), "time-ordered hold-out", positive,
                            "the classes are not spread over time — use the stratified hold-out (or cross-validation) instead")
    elif kind == "stratified":
        from sklearn.model_selection import train_test_split

        _, te = train_test_split(np.arange(len(yu)), test_size=HOLDOUT_SHARE, stratify=yu, random_state=seed)
        fold = np.zeros(len(yu), dtype=np.int64)
        fold[te] = 1
        fold = expand(fold)
        desc = f"stratified random hold-out: {1 - HOLDOUT_SHARE:.0%} train / {HOLDOUT_SHARE:.0%} test" + _copies_said(copies, n)
        _check_binary_sides(y, fold, (1,), "stratified hold-out", positive, "add rows")
    else:
        raise ValueError(f"unknown split {prefer!r}")
    return Split(kind, seed, fold, fp, desc)


def class_split(y: np.ndarray, frame: pd.DataFrame, *, prefer: str = "auto", seed: int = 0, min_rows: int = 50) -> Split:
    """The split for a multi-class (e.g. ordinal) label: stratified CV for small files, else a stratified
    hold-out. Classes rarer than k rows cannot be spread over k folds; k shrinks (never below 2)."""
    y = np.asarray(y)
    n = len(y)
    if n < min_rows:
        raise DataProblem(f"it has {n} labelled rows; at least {min_rows} are needed to train and test honestly", "this data")
    fp = fingerprint(frame)
    # rows repeated by joined exports are read once (see _copies)
    copies = _copies(frame)
    grouped = copies is not None and copies.exported_twice
    yu = y[copies.first] if grouped else y
    nu = len(yu)
    expand = (lambda f: _read_once(f, copies)) if grouped else (lambda f: f)
    if grouped and nu < min_rows:  # 40 rows that cycle through 3 had trained on 3 and failed inside scikit-learn
        raise DataProblem(f"once its {copies.extra:,} repeated rows are read once (they repeat earlier rows in the same order: was the "
                          f"file exported twice?), it has {nu:,} labelled rows; at least {min_rows} are needed to train and test honestly",
                          "this data")
    counts = _class_counts(yu)
    kind = prefer if prefer != "auto" else ("cv" if nu < CV_BELOW else "stratified")
    strat = yu if min(counts.values()) >= 2 else None
    if kind == "cv":
        k = int(min(K_FOLDS, max(2, min(counts.values()))))
        if strat is None:
            from sklearn.model_selection import KFold

            fold = np.zeros(nu, dtype=np.int64)
            for i, (_, te) in enumerate(KFold(k, shuffle=True, random_state=seed).split(np.zeros(nu))):
                fold[te] = i
        else:
            fold = _stratified_folds(yu, k, seed)
        fold = expand(fold)
        desc = f"{k}-fold stratified cross-validation (every row is scored by a model that did not learn from it)" + _copies_said(copies, n)
    elif kind == "stratified":
        from sklearn.model_selection import train_test_split

        _, te = train_test_split(np.arange(nu), test_size=HOLDOUT_SHARE, stratify=strat, random_state=seed)
        fold = np.zeros(nu, dtype=np.int64)
        fold[te] = 1
        fold = expand(fold)
        desc = f"stratified random hold-out: {1 - HOLDOUT_SHARE:.0%} train / {HOLDOUT_SHARE:.0%} test" + _copies_said(copies, n)
    else:
        raise ValueError(f"unknown split {prefer!r}")
    return Split(kind, seed, fold, fp, desc)


def recover(record: dict | None, frame: pd.DataFrame, rebuild) -> Split | None:
    """The recorded split if ``frame`` is the file the model was trained on, else ``None`` (an external test).

    ``rebuild(kind, seed)`` recomputes the split the same way training did; its fold assignment must
    match the recorded checksum, or the recorded split cannot be trusted and this raises.
    """
    if not record or record.get("fingerprint") != fingerprint(frame):
        return None
    split = rebuild(record["kind"], int(record["seed"]))
    if split.record()["fold_sha"] != record.get("fold_sha"):
        raise DataProblem("the split recorded in the model card cannot be reproduced on this file (the code that splits changed); "
                          "retrain the model on it", "this model")
    return split
