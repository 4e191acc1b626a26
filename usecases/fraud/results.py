"""The fraud evaluation: a typed result the page reads, and ``evaluate`` that builds it without retraining.

``evaluate(trained)`` rebuilds the evaluation from the arrays saved at training time (test-row
scores of the model and of every peer, validation scores, amounts, days) — nothing is refit, so a
cold page visit takes a moment. ``evaluate(trained, data)`` on the file the model was trained on
reuses the recorded split (held-out rows only, each scored by the fold model that did not learn from
it); on any other labelled file it is an external test: every row scored by the model, labelled so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from usecases.core import protocol
from usecases.core.runner import budget_caveat
from usecases.core.spec import DataInfo, Evaluation
from usecases.core.store import file_not_kept
from usecases.core.tables import DataProblem

from . import SPEC
from .data import LABEL, Dataset, simulated
from .files import in_model_order, recode
from .evaluation import bootstrap_metrics, scores_metrics
from .peers import LABELS
from .artefacts import BOOTSTRAP, concat, fold_arrays, fold_metrics, spread_words
from .pipeline import Plan, Trained, config_of, peers_for, plan_rows, recover_plan
from .simulate import SimConfig

# Le Borgne et al., handbook chapter 5 (its own run of the same simulator design): shown beside ours, never mixed in.
PUBLISHED = {"XGBoost (handbook, tuned; published)": {"average_precision": 0.687, "card_precision@100": 0.303},
             "Random forest (handbook, tuned; published)": {"average_precision": 0.678}}
DETECTOR = "pytorch_detector"  # the PyTorch model's name among the baselines when a peer is put in view


@dataclass
class Rows:
    """Scored rows: labels, amounts, fold (group) and day of each row, and one score array per model."""

    y: np.ndarray
    amount: np.ndarray
    group: np.ndarray
    scores: dict[str, np.ndarray]
    day: np.ndarray | None = None  # whole days from the first test day; None without times


@dataclass
class Curve:
    fpr: np.ndarray
    tpr: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


@dataclass
class WhatIf:
    """Feature rows for the what-if form: the median legitimate test row and some test frauds with their scores."""

    typical: np.ndarray
    frauds: np.ndarray
    fraud_score: np.ndarray
    sample: np.ndarray


@dataclass(kw_only=True)
class FraudEvaluation(Evaluation):
    test: Rows  # the scored test rows (scores of the model and every peer)
    validation: dict[str, Rows]  # per model: its own inner-validation rows (thresholds are chosen there)
    layout: str  # "handbook" | "table"
    has_amount: bool
    test_days: int  # distinct test days (0 without times)
    curves: dict[str, Curve] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    whatif: WhatIf | None = None
    published: dict[str, dict[str, float]] = field(default_factory=dict)
    stopped: list[list[str]] = field(default_factory=list)  # per fold, how each network stopped (card "model.stopped")
    budget_seconds: float | None = None  # the training budget, when one was set

    def caveat(self) -> str:
        """Home's card, the CLI and the Model tab: training cut short by its time budget (``runner.budget_caveat``) — "" otherwise."""
        return budget_caveat(self.stopped, self.budget_seconds)

    @property
    def names(self) -> list[str]:
        return ["model", *self.baselines]


def curves_of(y: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, Curve]:
    out = {}
    if len(np.unique(y)) < 2:
        return out
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(y, s)  # drop_intermediate keeps only the corners
        prec, rec, _ = precision_recall_curve(y, s)
        keep = np.r_[True, np.diff(rec) != 0]  # one point per recall level: the curve's exact shape
        out[name] = Curve(fpr, tpr, prec[keep], rec[keep])
    return out


def _rows(arrays: dict, prefix: str, names: list[str]) -> Rows:
    day = arrays.get(f"{prefix}.day")
    return Rows(y=arrays[f"{prefix}.y"].astype(np.int8), amount=arrays[f"{prefix}.amount"].astype(np.float64),
                group=arrays[f"{prefix}.group"].astype(np.int64), day=None if day is None or (day < 0).any() else day.astype(np.int64),
                scores={n: arrays[f"{prefix}.score.{n}"].astype(np.float64) for n in names})


def build(card: dict, arrays: dict[str, np.ndarray], *, model: dict, baselines: dict, folds: dict, info: DataInfo,
          pooled: bool = False) -> FraudEvaluation:
    """The evaluation from scored arrays. ``pooled``: one group (an external file scored by the averaged model)."""
    names = ["model", *baselines]
    test = _rows(arrays, "test", names)
    validation = {}
    for n in names:
        if f"val.{n}.score" in arrays:
            v = Rows(y=arrays[f"val.{n}.y"].astype(np.int8), amount=arrays[f"val.{n}.amount"].astype(np.float64),
                     group=np.zeros_like(arrays[f"val.{n}.group"], dtype=np.int64) if pooled else arrays[f"val.{n}.group"].astype(np.int64),
                     scores={n: arrays[f"val.{n}.score"].astype(np.float64)})
            validation[n] = v
    whatif = None
    if "whatif.typical" in arrays:
        whatif = WhatIf(arrays["whatif.typical"], arrays["whatif.frauds"], arrays["whatif.fraud_score"], arrays["whatif.sample"])
    d = card["data"]
    published = PUBLISHED if d.get("synthetic") and card.get("training", {}).get("sim") == SimConfig().params and info.kind != "external" else {}
    return FraudEvaluation(
        usecase=SPEC.name, primary_metric=SPEC.primary_metric, higher_is_better=True, model=model, baselines=baselines, data=info,
        labels={**LABELS, DETECTOR: SPEC.model_label}, folds=folds, model_label=card.get("model_label", SPEC.model_label),
        spread_unit="resamples" if "resampl" in info.split else "folds",
        test=test, validation=validation, layout=d["layout"], has_amount=bool(d.get("has_amount", True)),
        test_days=0 if test.day is None else int(len(np.unique(test.day))), curves=curves_of(test.y, test.scores),
        history=list(card.get("history", [])), whatif=whatif, published=published,
        stopped=[list(f) for f in card.get("model", {}).get("stopped", [])], budget_seconds=card.get("training", {}).get("budget_seconds"),
        notes=() if info.kind == "external" else tuple(d.get("notes", ())))  # what reading the training file left out: not about another file


def _info(card: dict, test_rows: int, *, source: str | None = None, rows: int | None = None, split: str | None = None,
          kind: str | None = None) -> DataInfo:
    d = card["data"]
    return DataInfo(source=source or d["source"], rows=int(rows if rows is not None else d["rows"]),
                    split=split or f"{d['split']}; {d.get('spread', '')}".rstrip("; "), kind=kind or d.get("kind", "held-out"),
                    test_rows=int(test_rows), synthetic=bool(d.get("synthetic")) if source is None else False,
                    unit="transactions" if d.get("split_kind") == "handbook" else "rows")


def _check_layout(trained: Trained, data: Dataset) -> None:
    if data.layout != trained.layout or tuple(data.features) != trained.features:
        want = ("raw transactions (transaction_id, datetime, customer_id, terminal_id, amount, label)" if trained.layout == "handbook"
                else f"a featurised table with the columns {', '.join(trained.features[:8])}{'…' if len(trained.features) > 8 else ''}")
        from .files import train_command

        # named, with what to do: the shipped model given a feature table had read "This file cannot be used: … another
        # layout" (an analyst walkthrough, 2026-12-07, later)
        name = data.subject[data.subject.index("“") + 1:-1] if "“" in data.subject else "FILE"
        first = (f" — to evaluate a model on this file, train a model on it first: {train_command(data.label_column, name)} "
                 "--model-name NAME, then evaluate with --model NAME") if data.layout == "table" and data.labelled else ""
        raise DataProblem(f"the model was trained on {want}; this file has another layout{first}", data.subject)
    if not data.labelled:
        raise DataProblem("every row needs a label (1 = fraud, 0 = legitimate) to be evaluated", "this file")


def _validations(trained: Trained, ds: Dataset, plan: Plan) -> list[dict]:
    """Each fold learner's inner-validation scores, recomputed (the stored model keeps its member folds by seed)."""
    seed = config_of(trained).seed
    out = []
    for f, (tr, _) in enumerate(plan.folds):
        learner = trained.model.learners[f]
        if not hasattr(learner, "recover_validation"):
            raise DataProblem("the evaluation arrays of this model are missing and its learner cannot recompute them; retrain it", "this model")
        out.append(learner.recover_validation(ds.for_fold(tr).X[tr], ds.y[tr], seed))
    return out


def recompute(trained: Trained, ds: Dataset, plan: Plan) -> tuple[dict, dict, dict]:
    """Score the plan's test rows with each fold learner, refit every peer on the same training rows."""
    peers = peers_for(trained, ds, plan)
    vals = _validations(trained, ds, plan)
    parts = []
    for f, (tr, te) in enumerate(plan.folds):
        validation = {"model": vals[f], **{n: p.validation_ for n, p in peers[f].items()}}
        parts.append(fold_arrays(ds.for_fold(tr), f, tr, te, trained.model.learners[f], peers[f], validation))
    arrays = concat(parts)
    names = ["model", *peers[0]]
    point, folds = fold_metrics(ds, plan, arrays, names)
    arrays.pop("test.row")
    return arrays, point, folds


def evaluate(trained: Trained, data: Dataset | None = None) -> FraudEvaluation:
    """The model and every peer on the model's own test rows (``data=None``), on the held-out rows of the
    file it was trained on, or on another labelled file (an external test). Never retrains the model and
    never changes ``trained``."""
    card = trained.card
    if data is None:
        if trained.artefacts is not None:
            return build(card, trained.artefacts, model=card["metrics"], baselines=card["baselines"], folds=card.get("folds", {}),
                         info=_info(card, len(trained.artefacts["test.y"])))
        ds = _training_data(trained)
        plan = plan_rows(ds)
        arrays, point, folds = recompute(trained, ds, plan)
        return build(card, {**arrays, **_whatif_of(trained)}, model=point["model"], baselines={n: point[n] for n in point if n != "model"},
                     folds=folds, info=_info(card, len(arrays["test.y"])))
    data = in_model_order(data, trained.features)  # the same columns in another order: matched by name, as scoring matches them
    _check_layout(trained, data)
    data = recode(data, card["data"].get("codings"))  # text columns read as the training file read them
    record = card["data"].get("split_record")
    plan = recover_plan(data, record) if record else None
    if plan is not None:  # the file the model was trained on: its held-out rows only
        split = f"{plan.description} (the split recorded when the model was trained on this file)"
        if trained.artefacts is not None and card["data"].get("fingerprint") == data.fingerprint:
            return build(card, trained.artefacts, model=card["metrics"], baselines=card["baselines"], folds=card.get("folds", {}),
                         info=_info(card, len(trained.artefacts["test.y"]), source=data.source, rows=len(data.frame),
                                    split=f"{split}; {card['data'].get('spread', '')}"))
        arrays, point, folds = recompute(trained, data, plan)
        return build(card, arrays, model=point["model"], baselines={n: point[n] for n in point if n != "model"}, folds=folds,
                     info=_info(card, len(arrays["test.y"]), source=data.source, rows=len(data.frame),
                                split=f"{split}; {spread_words(plan, arrays)}"))
    return external(trained, data)


def _training_data(trained: Trained) -> Dataset:
    if not trained.card["data"].get("synthetic"):
        raise DataProblem(file_not_kept(trained.card, "a file", "pass the same file again with --data to evaluate it on its held-out rows"),
                          "this model")
    return simulated(config_of(trained).sim)


def _whatif_of(trained: Trained) -> dict:
    return {k: v for k, v in (trained.artefacts or {}).items() if k.startswith("whatif.")}


AMOUNT_RATIO = 20  # the median amount of a file to score against the training file's: beyond this factor, say so


def amount_scale(trained: Trained, frame) -> str | None:
    """A file whose amounts are on another scale than the training file's (cents for euros): the model reads them as given,
    so the scores are not what they seem — 104 of 1,500 rows flagged instead of 0, without a word."""
    ref = trained.card["data"].get("amount_median")
    if not ref or "TX_AMOUNT" not in frame or len(frame) < 20:
        return None
    med = float(np.median(frame["TX_AMOUNT"].to_numpy(float)))
    ratio = med / ref if ref > 0 else np.inf
    if 1 / AMOUNT_RATIO < ratio < AMOUNT_RATIO:
        return None
    how = f"about {ratio:,.0f}× those" if ratio >= 1 else f"about 1/{1 / max(ratio, 1e-12):,.0f} of those"
    return (f"amounts here are {how} of the model's training file (median {med:,.2f} against {ref:,.2f}) — cents instead of euros, "
            "or another currency? The model reads amounts as given, so these scores are not comparable with what it learned; "
            "convert the amounts and score again")


def external(trained: Trained, data: Dataset) -> FraudEvaluation:
    """Every row of a file the model never saw, scored by the (fold-averaged) model; peers are refit on the
    model's training rows when those can be regenerated (the simulation), otherwise left out."""
    card = trained.card
    arts = trained.artefacts or {}
    keep, seen_note = protocol.external_rows(arts.get(protocol.ROW_HASHES), data.frame[list(data.key_columns)], data.subject,
                                             near=arts.get(protocol.NEAR_HASHES))
    if seen_note:  # rows of the training file are not a test of it (a slice of ISLR::Default read as "never saw")
        data = dataclasses.replace(data, frame=data.frame[keep].reset_index(drop=True))
        if LABEL in data.frame and not data.y.any():
            raise DataProblem(f"{seen_note}, and none of those is a fraud: there is nothing left to test on", data.subject)
    X, y = data.X, data.y
    scores = {"model": trained.model.predict_proba(X)[:, 1]}
    note = ""
    if card["data"].get("synthetic"):
        ds = _training_data(trained)
        plan = plan_rows(ds)
        peers = peers_for(trained, ds, plan)[0]
        scores.update({n: p.predict_proba(X)[:, 1] for n, p in peers.items()})
    else:
        note = "; peers are not shown: they must be fit on the model's training file, which is not kept"
    arrays = {"test.y": y, "test.amount": data.amount, "test.group": np.zeros(len(y), np.int16),
              "test.day": (data.day if data.day is not None else np.full(len(y), -1)).astype(np.int32),
              **{f"test.score.{n}": s for n, s in scores.items()},
              **{k: v for k, v in (trained.artefacts or {}).items() if k.startswith("val.")}}
    point = {n: scores_metrics(y, s) for n, s in scores.items()}
    day = arrays["test.day"]
    by_day = (day >= 0).all() and len(np.unique(day)) >= 5
    folds = bootstrap_metrics(y, scores, day if by_day else np.arange(len(y)) % 20, n=BOOTSTRAP)
    split = (f"external test: all {len(y):,} rows of a file the model never saw, scored by the model; the operating threshold comes "
             f"from the model's own validation rows; spread: {BOOTSTRAP} bootstrap resamples of {'days' if by_day else 'blocks of rows'}{note}")
    if seen_note:
        split = split.replace(f"all {len(y):,} rows of a file the model never saw", f"{len(y):,} rows of this file") + f"; {seen_note}"
    info = DataInfo(source=data.source, rows=len(y), split=split, kind="external", test_rows=len(y), synthetic=False)
    ev = build(card, arrays, model=point["model"], baselines={n: point[n] for n in scores if n != "model"}, folds=folds, info=info,
               pooled=True)
    notes = [seen_note[:1].upper() + seen_note[1:]] if seen_note else []
    scale = amount_scale(trained, data.frame)  # amounts ×30 scored against a model that learned euros: the figures are not its own
    if scale:
        notes.append(scale[:1].upper() + scale[1:])
    if notes:
        ev.notes = tuple(notes)
    return ev
