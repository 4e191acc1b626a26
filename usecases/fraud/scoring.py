"""Serving: batch scores for users' files (CLI ``score`` and the page's batch tab), throughput, and a peer
put in view in place of the model when it wins."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from usecases.core import protocol
from usecases.core import spec as core
from usecases.core.spec import Throughput
from usecases.core.tables import DataProblem

from .assumptions import rate_words
from .business import FraudAssumptions, operating
from .data import Dataset
from .files import read_user_file, recode
from .learner import FoldEnsemble
from .peers import LABELS
from .pipeline import Trained, default_dataset, peers_for, plan_rows
from .results import AMOUNT_RATIO, DETECTOR, amount_scale, evaluate  # noqa: F401  (AMOUNT_RATIO: scoring's name for it)


def read_data(raw: bytes, filename: str, label: str | None = None, trained: Trained | None = None) -> Dataset:
    """A user's labelled file for ``train --data`` / ``evaluate --data`` (``label``: a featurised table's label column; by
    default, for the model ``trained`` to be evaluated, the label column it was trained with — a name like ``default`` or
    ``card`` that the reader does not guess)."""
    table = trained is not None and trained.layout == "table"
    known = trained.card["data"].get("label_column") if label is None and table else None
    cats = trained.card["data"].get("categories") if table else None  # its category columns, read with the model's values
    fills = trained.card["data"].get("fills", {}) if table else None  # its empty cells, filled with the model's medians
    training = trained is None  # a model to evaluate is given; otherwise the file is to train on
    if known:
        try:
            return read_user_file(raw, filename, require_labels=True, label=known, categories=cats, fills=fills, training=training)
        except DataProblem as first:  # a file without that column (its label named otherwise): read as any file
            try:
                return read_user_file(raw, filename, require_labels=True, categories=cats, fills=fills, training=training)
            except DataProblem:
                raise first from None
    return read_user_file(raw, filename, require_labels=True, label=label, categories=cats, fills=fills, training=training)


def default_threshold(trained: Trained) -> float:
    """The profit-optimal threshold under default assumptions, chosen on the model's validation rows (not stored in the card)."""
    return operating(evaluate(trained), FraudAssumptions()).threshold


FAR = 1.0  # a value more than this many training spans beyond the training range is far outside it


def far_outside(trained: Trained, rows: Dataset, out: pd.DataFrame) -> str | None:
    """Rows of a featurised table with a value far outside the training file's range of that column (beyond its span past
    either end): the model extrapolates there. A totals row at the bottom of a file to score (each column's sum, ~100× the
    range) got P 0.52 and nothing said so (a sweep of messy exports, 2026-12-04). ``None`` for older cards or none found."""
    ranges = trained.card["data"].get("feature_range")
    if rows.layout != "table" or not ranges or not len(out):
        return None
    X = rows.X
    lo = np.array([ranges[f][0] for f in rows.features])
    hi = np.array([ranges[f][1] for f in rows.features])
    span = np.maximum(hi - lo, 1e-12)
    off = (X > hi + FAR * span) | (X < lo - FAR * span)
    bad = np.flatnonzero(off.any(axis=1))
    if not len(bad):
        return None
    ids = rows.frame["TRANSACTION_ID"].astype(str).to_numpy()  # the output's `row` column
    shown = ", ".join(ids[bad[:5]]) + (f" and {len(bad) - 5:,} more" if len(bad) > 5 else "")
    i = int(bad[0])
    j = int(np.flatnonzero(off[i])[0])
    return (f"{'rows' if len(bad) > 1 else 'row'} {shown} (the output's row column) hold{'' if len(bad) > 1 else 's'} values far outside "
            f"the training file's range — e.g. {rows.features[j]} = {X[i, j]:,.6g} where training ran from {lo[j]:,.6g} to {hi[j]:,.6g}: "
            f"a totals row, or another unit? The model extrapolates there; check {'those rows' if len(bad) > 1 else 'that row'}")


UNIT_RATIO = 1.5  # a column whose median and interquartile range both moved by this factor or more, together, looks rescaled
UNIT_MIN_ROWS = 30
UNIT_P = 1e-4  # how unlikely (binomial, at most ¼ per row) the rows beyond the training quartile must be by chance


def _num(v: float) -> str:  # 34,553 and 0.8113 — not 3.455e+04
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _times(r: float) -> str:  # 1,017 and 1.93 — not 1.02e+03
    return f"{r:,.0f}" if r >= 10 else f"{r:.3g}"


def unit_change(trained: Trained, rows: Dataset) -> list[str]:
    """One line per column of a featurised table whose values look like another unit than the training file's: the median
    and the interquartile range both ≥ 1.5× (or ≤ 1/1.5) the training file's, and by about the same factor (a rescaled
    column moves both alike; a slice of real rows — the frauds only, one month — moves one or the other). A model trained on
    ISLR::Default scored a file with balance in thousands (0–2.65 against 0–2,654) at P ≤ 0.009 everywhere (AP 0.511 → 0.043),
    and balance × 1.956 moved the mean probability 0.025 → 0.230, without a word (a sweep, 2026-12-05). Files under 30 rows
    and models trained before the quartiles were stored (their card has none) are not checked; nor are columns whose
    training median or interquartile range is not positive (codes, centred components)."""
    from scipy.stats import binom

    quart = trained.card["data"].get("feature_quartiles")
    if rows.layout != "table" or not quart or len(rows.frame) < UNIT_MIN_ROWS:
        return []
    out = []
    for i, f in enumerate(rows.features):
        if f not in quart:
            continue
        q1, med, q3 = quart[f]
        x = rows.X[:, i]
        x = x[np.isfinite(x)]
        if len(x) < UNIT_MIN_ROWS or med <= 0 or q3 - q1 <= 0:
            continue
        s1, smed, s3 = np.quantile(x, [0.25, 0.5, 0.75])
        if smed <= 0 or s3 - s1 <= 0:
            continue
        r_med, r_iqr = smed / med, (s3 - s1) / (q3 - q1)
        far = all(r >= UNIT_RATIO for r in (r_med, r_iqr)) or all(r <= 1 / UNIT_RATIO for r in (r_med, r_iqr))
        if not far or not 1 / UNIT_RATIO < r_med / r_iqr < UNIT_RATIO:
            continue
        # ... and not what drawing this many rows from the training file could give: at most a quarter of its rows lie
        # below its first quartile (above its third), so far more of these rows there is no chance. 40 rows drawn at random
        # from modeldata::credit_data had been told "another unit?" in 3.5 % of draws, AER::CreditCard's in 14 % (a sweep,
        # 2026-12-06): a few tied values (Seniority 0–5 years) move a small sample's quartiles by half.
        beyond = int((x < q1).sum()) if r_med < 1 else int((x > q3).sum())
        if binom.sf(beyond - 1, len(x), 0.25) > UNIT_P:
            continue
        how = f"{_times(r_med)}×" if r_med >= 1 else f"1/{_times(1 / r_med)} of"
        out.append(f"column {f}: median {_num(smed)} here against {_num(med)} in the model's training file, its spread alike "
                   f"(interquartile range {_num(s3 - s1)} against {_num(q3 - q1)}) — about {how} the training values: another unit "
                   "(thousands, another currency)? The model reads the values as given, so these scores are not comparable with what "
                   "it learned; convert the column and score again")
    return out


def short_history(rows: Dataset) -> str | None:
    """One line when some raw transactions fall within the history their features read (each customer's previous
    ``max(WINDOWS)`` days; each terminal's, ending ``DELAY`` days earlier) of the file's first transaction: those windows
    hold only what the file holds. One day's batch scored alone had 120 of 346 probabilities move by more than 0.1 against
    the same rows scored with the days before them (mean 0.039 instead of 0.247; a sweep, 2026-12-05) without a word."""
    from .features import DELAY, WINDOWS

    if rows.layout != "handbook" or "TX_DATETIME" not in rows.frame or not len(rows.frame):
        return None
    t = pd.to_datetime(rows.frame["TX_DATETIME"])
    need = max(WINDOWS) + DELAY
    early = int((t < t.min() + pd.Timedelta(days=need)).sum())
    if not early:
        return None
    who = "all" if early == len(t) else f"{early:,} of the"
    return (f"{who} {len(t):,} transactions fall within {need} days of the file's first ({t.min():%Y-%m-%d}), so their history features "
            f"(each customer's previous {max(WINDOWS)} days, each terminal's {max(WINDOWS)} days ending a week earlier) read only what "
            f"this file holds, and their probabilities rest on less history than the model learned from — include the {need} days "
            "before the transactions you want scored (score them along and keep the rows you need)")


def unknown_labels(rows: Dataset) -> str | None:
    """One line when raw transactions the terminal-risk features read have no label. Those features count each terminal's
    known frauds over the days ending ``DELAY`` days before a payment, and an unknown label counts as legitimate, so a file
    without labels reads no terminal risk at all: the same 4,132 transactions scored without their label column flagged 132
    instead of 241, the mean probability 0.042 instead of 0.110, every number changed without a word (a sweep, 2026-12-07)."""
    from .features import DELAY

    f = rows.frame
    if rows.layout != "handbook" or "TX_DATETIME" not in f or not len(f):
        return None
    t = pd.to_datetime(f["TX_DATETIME"])
    read = (t <= t.max() - pd.Timedelta(days=DELAY)).to_numpy()  # the rows some later payment's terminal risk reads
    unknown = (f["TX_FRAUD"].isna().to_numpy() if "TX_FRAUD" in f else np.ones(len(f), bool)) & read
    if not unknown.any():
        return None
    n, of = int(unknown.sum()), int(read.sum())
    what = ("this file has no label column" if "TX_FRAUD" not in f else
            f"none of the {of:,} transaction{'s' if of != 1 else ''} more than {DELAY} days before its last has a label" if n == of else
            f"{n:,} of the {of:,} transactions more than {DELAY} days before its last {'has' if n == 1 else 'have'} no label")
    return (f"{what}, so the terminal-risk features (each terminal's known frauds over the 30 days ending {DELAY} days before a "
            "payment) count them as legitimate: the probabilities read lower than the model's test figures, by far at terminals with "
            "fraud — give the labels you know (1 = fraud, 0 = legitimate), blank only for the payments still to be checked")


def score(trained: Trained, rows: Dataset, threshold: float | None = None, *, batch_size: int = 65_536) -> pd.DataFrame:
    """Fraud probability and flag for every row (batched; on the model's device). ``threshold`` defaults to the
    profit-optimal one under default assumptions."""
    rows = recode(rows, trained.card["data"].get("codings"))  # text columns read as the training file read them
    if rows.layout != trained.layout or tuple(rows.features) != trained.features:
        found = ", ".join(map(str, rows.features[:8])) + ("…" if len(rows.features) > 8 else "")  # what the file holds, named
        raise DataProblem(("this model scores raw transactions (transaction_id, datetime, customer_id, terminal_id, amount)"
                           if trained.layout == "handbook" else
                           f"this model scores a featurised table with the columns {', '.join(trained.features[:8])}"
                           f"{'…' if len(trained.features) > 8 else ''}")
                          + (f"; this file is {'raw transactions' if rows.layout == 'handbook' else 'a featurised table'}"
                             + (f" with the columns {found}" if rows.layout == "table" else "")),
                          rows.subject if "”" in rows.source else "this file")
    X = rows.X
    p = np.concatenate([trained.model.predict_proba(X[i : i + batch_size])[:, 1] for i in range(0, len(X), batch_size)]) if len(X) else np.zeros(0)
    t = default_threshold(trained) if threshold is None else float(threshold)
    f = rows.frame
    out = pd.DataFrame({"transaction_id": f["TRANSACTION_ID"].astype(str).to_numpy()})
    if "TX_DATETIME" in f:
        out["datetime"] = pd.to_datetime(f["TX_DATETIME"]).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
        out["customer_id"] = f["CUSTOMER_ID"].astype(str).to_numpy()
        out["terminal_id"] = f["TERMINAL_ID"].astype(str).to_numpy()
    if "TX_AMOUNT" in f:
        out["amount"] = f["TX_AMOUNT"].to_numpy()
    if "TX_FRAUD" in f:
        out["label"] = pd.array(f["TX_FRAUD"].to_numpy(), dtype="Float64").astype("Int64")  # 0/1 as in the file, blank when not known (it read 0.0 / 1.0)
    out["fraud_probability"] = np.round(p, 6)
    out["flagged"] = (p >= t).astype(int)
    # the threshold each flag was set at, in the file itself: the page (in the mode it is in) and the CLI (the default
    # assumptions) can flag at different ones, and neither file said which (an exports sweep, 2026-12-06)
    out["flag_threshold"] = round(t, 6)
    out["_training_row"] = training_rows(trained, rows)  # (:func:`batch_figures`; set aside below, not a column of the file)
    if rows.layout == "table":  # back to the file's order (a Time column had sorted the rows); transaction_id = row in the file
        out = out.rename(columns={"transaction_id": "row"}).assign(row=lambda d: d["row"].astype(int))
        out = out.iloc[np.argsort(out["row"].to_numpy(), kind="stable")].reset_index(drop=True)
    elif rows.file_order is not None and len(rows.file_order) == len(out):  # raw rows are read in time order: back to the file's
        out = out.iloc[np.argsort(rows.file_order, kind="stable")].reset_index(drop=True)
    out.attrs["training_rows"] = out.pop("_training_row").to_numpy(bool)
    # Flagging nothing was silent: at the default fraud rate the profit-optimal threshold is high, and a file of real
    # positives could come back with 0 flags and no word of why.
    why = (f"the profit-optimal threshold under the default assumptions (fraud rate {rate_words(FraudAssumptions())}, chosen on "
           "the model's validation rows); fraud_probability ranks every row — sort by it to review more"
           if threshold is None else "the threshold given")
    out.attrs["notes"] = [*rows.notes, f"flagged {int(out['flagged'].sum()):,} of {len(out):,} rows at P(fraud) ≥ {t:.3f}: {why}"]
    far = far_outside(trained, rows, out)
    if far:
        out.attrs["notes"].append(far)
    out.attrs["warnings"] = []
    for warning in (amount_scale(trained, f), short_history(rows), unknown_labels(rows), *unit_change(trained, rows)):
        if warning:
            out.attrs["notes"].insert(0, warning)
            out.attrs["warnings"].append(warning)
    return out


def read_rows(trained: Trained, raw: bytes, filename: str) -> Dataset:
    """A file to score with ``trained`` (labels optional), read as its training file was: a featurised table needs exactly
    the model's feature columns, and its training label column, when present, is read as the label (it was refused as an
    "unexpected" feature, so the very file a model was trained on could not be scored)."""
    table = trained.layout == "table"
    return read_user_file(raw, filename, require_labels=False, feature_names=trained.features if table else None,
                          known_label=trained.card["data"].get("label_column") if table else None,
                          categories=trained.card["data"].get("categories") if table else None,
                          fills=trained.card["data"].get("fills", {}) if table else None)


def training_rows(trained: Trained, rows: Dataset) -> np.ndarray:
    """Which of ``rows`` are rows of the model's training file (the same values in every column; :func:`protocol.row_hashes`)."""
    stored = (trained.artefacts or {}).get(protocol.ROW_HASHES)
    if stored is None or not len(rows.frame) or any(c not in rows.frame for c in rows.key_columns):
        return np.zeros(len(rows.frame), dtype=bool)
    return np.isin(protocol.row_hashes(rows.frame[list(rows.key_columns)]), np.asarray(stored).view(np.int64))


def batch_figures(scored: pd.DataFrame) -> tuple[dict | None, str]:
    """The batch tab's AUC ROC and average precision over the labelled rows of a scored file that are not rows of the model's
    training file, and what to say of the others ("" when there are none); ``None`` when the rows left hold no fraud or no
    legitimate row. The tab had read "AUC ROC 0.997, average precision 0.988" for the model's own training file — rows it
    learned from, beside its cross-validated 0.984 and with no word (an analyst walkthrough, 2026-12-07, later); ``evaluate``
    already left such rows out."""
    from .evaluation import scores_metrics

    if "label" not in scored:
        return None, ""
    known = scored["label"].notna().to_numpy()
    seen = np.asarray(scored.attrs.get("training_rows", np.zeros(len(scored), bool)), bool) & known
    n_known, n_seen = int(known.sum()), int(seen.sum())
    said = ""
    if n_seen == n_known and n_seen:
        said = (f"all {n_known:,} labelled rows are rows of the model's training file (the same values in every column): scored "
                "figures on them would measure what it learned, not how it does on new payments — its held-out figures are on the "
                "Model tab")
    elif n_seen:
        said = (f"{n_seen:,} of the {n_known:,} labelled rows are rows of the model's training file (the same values in every column) "
                f"and are left out: the figures are on the other {n_known - n_seen:,}")
    use = known & ~seen
    y = scored.loc[use, "label"].to_numpy(int)
    if len(np.unique(y)) < 2:
        return None, said
    return scores_metrics(y, scored.loc[use, "fraud_probability"].to_numpy()), said


def score_file(trained: Trained, raw: bytes, filename: str, threshold: float | None = None) -> pd.DataFrame:
    """Batch scoring of a user's file (labels optional) — the CLI ``score`` and the page's batch tab."""
    ds = read_rows(trained, raw, filename)
    try:
        return score(trained, ds, threshold)
    except DataProblem as exc:  # name the file, as every other refusal of an upload does (it read "This file cannot be used")
        raise DataProblem(exc.problems, f"“{filename}”") from None


def throughput(trained: Trained) -> Throughput:
    """Transactions per second (features given) on this deployment, after a warm-up."""
    art = trained.artefacts or {}
    X = art.get("whatif.sample")
    if X is None or not len(X):
        X = np.random.default_rng(0).normal(size=(2048, len(trained.features))).astype(np.float32)
    X = np.repeat(X, max(1, 20_000 // len(X)), axis=0)
    trained.model.predict_proba(X[:1024])  # warm-up
    t = time.perf_counter()
    trained.model.predict_proba(X)
    dev = "cpu"
    first = trained.model.learners[0]
    if hasattr(first, "parameters"):
        dev = str(next(first.parameters()).device)
    return Throughput(per_second=len(X) / max(time.perf_counter() - t, 1e-9), unit="transactions", device=dev)


def promote(trained: Trained, name: str) -> Trained:
    """A copy of ``trained`` whose model is the peer ``name`` (one per fold, as fit on the same rows), for
    scoring in this session. Its evaluation swaps the two: the peer is "model", the PyTorch detector a baseline.
    Peers are refit on the training rows when they are not in memory (only possible for the simulation)."""
    if name not in trained.card["baselines"]:
        raise DataProblem(f"there is no peer called {name!r}", "this model")
    peers = trained.peers
    if peers is None:
        ds = default_dataset(trained)  # a user's file is not kept: its peers exist only in the session that trained them
        peers = peers_for(trained, ds, plan_rows(ds), names=(name,))
    card = dict(trained.card)
    others = {n: m for n, m in card["baselines"].items() if n != name}
    card.update(run_id=core.new_run_id(), metrics=card["baselines"][name], baselines={**others, DETECTOR: card["metrics"]},
                folds={(DETECTOR if n == "model" else "model" if n == name else n): v for n, v in card.get("folds", {}).items()},
                promoted_peer=LABELS.get(name, name), model_label=f"{LABELS.get(name, name)} (put in view)")
    art = {}
    for k, v in (trained.artefacts or {}).items():
        for prefix in ("test.score.", "val."):
            if k.startswith(f"{prefix}model"):
                k = k.replace(f"{prefix}model", f"{prefix}{DETECTOR}", 1)
            elif k.startswith(f"{prefix}{name}"):
                k = k.replace(f"{prefix}{name}", f"{prefix}model", 1)
        art[k] = v
    return dataclasses.replace(trained, model=FoldEnsemble([p[name] for p in peers]), card=card, artefacts=art, peers=None)
