"""The contract every use case package implements, and the typed results it returns.

A use case is a package (``usecases/<name>/`` or any importable package named in
``UCLAB_EXTRA_USECASES``) whose ``__init__`` exposes what :class:`UseCase` lists. The registry in
``usecases/__init__.py`` draws everything that lists use cases from these packages: the CLI, the
app's navigation, Home's cards and portfolio, the scenario keys and the parametrised tests.

The arrows are plain calls with typed values::

    train(config, data) -> Trained          (fits the model only; no business code)
    evaluate(trained, data) -> Evaluation   (scores the given model on held-out rows; every peer is fit
                                             on the same training rows; never retrains the model and
                                             never mutates its inputs)
    value(evaluation, assumptions) -> Value (pure; the page and Home call the same function)

:func:`check_contract` says what a package is missing, so a fifth use case fails one clear test.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class Spec:
    name: str  # CLI / store key: "fraud"
    title: str  # "Fraud detection"
    purpose: str  # one line for cards and --help
    primary_metric: str  # key in Evaluation.model, e.g. "average_precision"
    primary_label: str  # "Average precision"
    higher_is_better: bool
    format_version: int  # bump when the weights layout changes; old files are then "incompatible"
    url_path: str  # URL path of the dashboard page ("fraud-detection")
    data_source: str  # short description of the default data
    icon: str = ":material/apps:"  # navigation icon
    assumptions_key: str = ""  # widget-key prefix of the page's assumption inputs ("fraud.a"); "" = name
    scenario_keys: tuple[str, ...] = ()  # further widget-key prefixes that belong to the scenario (URL, file, Home)
    view: str | None = None  # page script: a file stem under dashboard/views/, or a path; None = the generic page
    model_label: str = "PyTorch model"  # how pages and reports name this use case's model

    @property
    def assumptions_prefix(self) -> str:
        return self.assumptions_key or self.name

    @property
    def tracked_prefixes(self) -> tuple[str, ...]:
        """Widget-key prefixes whose values travel in the URL and in scenario files."""
        return (f"{self.assumptions_prefix}.", *self.scenario_keys)


# ---- results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DataInfo:
    """What an evaluation was computed on, in words a person can check."""

    source: str  # "Simulated card transactions …", "your file “x.csv”"
    rows: int  # rows of the data set
    split: str  # how the test rows were chosen, in words
    kind: str = "held-out"  # "held-out" | "cross-validation" | "external" (a file the model never saw, scored whole)
    test_rows: int | None = None  # rows that were scored
    synthetic: bool = False
    unit: str = "rows"  # what test_rows counts, for "3,001 patients scored" (text: bytes; it read "158,647 scored")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Verdict:
    """Which model wins on these rows, and whether the difference is outside the spread."""

    winner: str  # "model", a baseline's name, or "tie"
    best_baseline: str | None
    margin: float  # model − best baseline on the primary metric, signed so that > 0 favours the model
    tie: bool
    sentence: str  # one line for the page and the CLI


@dataclass(kw_only=True)
class Evaluation:
    """Model and baseline metrics on one set of rows. Domains subclass it with the typed fields their
    pages need (scores, curves, …); the page reads attributes, never string keys.

    ``folds`` holds, per model name ("model" or a baseline) and metric, one value per fold (or per
    bootstrap resample), paired by position across models: it is the spread every figure carries.
    """

    usecase: str
    primary_metric: str
    higher_is_better: bool = True
    model: dict[str, float]
    baselines: dict[str, dict[str, float]]
    data: DataInfo
    labels: dict[str, str] = field(default_factory=dict)  # display names of the baselines
    folds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    model_label: str = "PyTorch model"
    spread_unit: str = "folds"  # what one entry of ``folds`` is, in words: "folds", "resamples", "blocks"
    notes: Sequence[str] = ()  # what a reader of these figures must know (which learner serves, what could not be compared,
    # what the file reader left out): printed by ``evaluate`` under its table and in its JSON when any (triage's page shows them too)

    def label(self, name: str) -> str:
        if name == "model":
            return self.model_label
        return self.labels.get(name, name.replace("_", " "))

    def spread(self, name: str, metric: str | None = None) -> tuple[float, float] | None:
        vals = self.folds.get(name, {}).get(metric or self.primary_metric)
        vals = [v for v in (vals or []) if isinstance(v, (int, float)) and math.isfinite(v)]
        return (min(vals), max(vals)) if len(vals) >= 2 else None

    def best_baseline(self) -> tuple[str, float] | None:
        return best_of(self.baselines, self.primary_metric, self.higher_is_better)

    def verdict(self) -> Verdict:
        return verdict(self)

    def paired_note(self) -> str:
        """Why "better in all 100 resamples" can stand beside min – max columns that overlap — each resample holds other rows, and
        the verdict compares the models on the same rows of each — or "" (a tie, no spread, or ranges apart). The overlap read
        as a tie to an executive (a walkthrough, 2026-12-07: NDCG 0.372–0.435 beside EASE's 0.347–0.406 under "wins … in all
        100 resamples")."""
        v = self.verdict()
        if v.tie or v.best_baseline is None or not self.folds:
            return ""
        a, b = self.spread("model"), self.spread(v.best_baseline)
        if not a or not b or a[0] > b[1] or b[0] > a[1]:
            return ""
        return (f"The min – max columns overlap because each of the {self.spread_unit} holds other rows; the verdict compares the "
                "two models on the same rows of each (paired), which is what decides it.")

    def caveat(self) -> str:
        """One line a reader of the verdict must also see, where the primary metric alone would mislead — "" when there is
        none (the default). Home shows it on the use case's card, ``evaluate`` prints it under the verdict and its JSON
        carries it. Triage: the model under-triages more level-1 patients than the nurse, which the pooled figures hide
        (Home's card read "Tie" beside κ 0.912 while the page warned 15 against 10 of 58)."""
        return ""

    def ahead_elsewhere(self, metrics: Mapping[str, str]) -> str:
        """A sentence naming each other metric (``{key: label}``, all higher-is-better) on which the best baseline is ahead
        of the model at the three decimals shown, with the share of folds or resamples where it is — "" when none is. The
        verdict reads the primary metric only; the fraud table highlighted LightGBM on AUC ROC (0.897 vs 0.896) and card
        precision@100 beside "PyTorch detector wins" without a word."""
        from . import fmt

        parts = []
        for m, lab in metrics.items():
            vals = {n: b[m] for n, b in self.baselines.items() if isinstance(b.get(m), (int, float)) and math.isfinite(b[m])}
            mine = self.model.get(m)
            if m == self.primary_metric or not vals or not isinstance(mine, (int, float)) or not math.isfinite(mine):
                continue
            best = max(vals, key=vals.get)
            if round(vals[best], 3) <= round(mine, 3):
                continue
            a, b = self.folds.get(best, {}).get(m) or [], self.folds.get("model", {}).get(m) or []
            often = (f", ahead in {sum(x > y for x, y in zip(a, b))} of {len(a)} {self.spread_unit}" if a and len(a) == len(b) else "")
            parts.append(f"on {lab}, {self.label(best)} {fmt.metric(vals[best])} vs {fmt.metric(mine)}{often}")
        if not parts:
            return ""
        return (f"A peer leads on {'another metric' if len(parts) == 1 else 'other metrics'} — " + "; ".join(parts)
                + f". The verdict reads {metrics.get(self.primary_metric, self.primary_metric)}, the primary metric.")

    def table(self) -> list[dict[str, Any]]:
        """One row per model: name, label, every metric, and the primary metric's min–max over folds."""
        rows = []
        for name, metrics in (("model", self.model), *self.baselines.items()):
            sp = self.spread(name)
            rows.append({"name": name, "label": self.label(name), **metrics,
                         "spread": sp})
        return rows

    def to_json(self) -> dict[str, Any]:
        """The stable JSON of ``evaluate --json``."""
        v = self.verdict()
        out = {
            "usecase": self.usecase,
            "primary_metric": self.primary_metric,
            "model": _finite(self.model),
            "baselines": {n: _finite(m) for n, m in self.baselines.items()},
            "data": self.data.as_dict(),
            "verdict": {"winner": v.winner, "best_baseline": v.best_baseline, "margin": _num(v.margin), "tie": v.tie,
                        "sentence": v.sentence},
        }
        if self.folds:
            out["folds"] = {n: {m: [_num(x) for x in xs] for m, xs in ms.items()} for n, ms in self.folds.items()}
        if self.notes:
            out["notes"] = [str(n) for n in self.notes]
        if caveat := self.caveat():
            out["caveat"] = caveat
        return out


def _num(x):
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


def _finite(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (_num(v) if isinstance(v, (int, float)) else v) for k, v in d.items()}


def best_of(results: Mapping[str, Mapping[str, float]], metric: str, higher_is_better: bool) -> tuple[str, float] | None:
    """The best entry of ``{name: {metric: value}}`` on ``metric`` (non-finite values are skipped)."""
    vals = [(n, float(m[metric])) for n, m in results.items()
            if isinstance(m.get(metric), (int, float)) and math.isfinite(m[metric])]
    if not vals:
        return None
    return (max if higher_is_better else min)(vals, key=lambda kv: kv[1])


def _signed(x: float) -> str:
    """A signed difference in a sentence: "+0.005", "−0.012" (the minus sign, as money and shares write it); one that three
    decimals would write as zero keeps two significant digits ("+0.00031"): a tie had read "changes sign between folds
    (from −0.096 to +0.000)" (a sweep, 2026-12-06)."""
    return (f"{x:+.3f}" if x == 0 or round(x, 3) != 0 else f"{x:+.2g}").replace("-", "−")


_NOISE = 1e-9


def _clean(d: float) -> float:
    """A difference below float noise (1e-9) counts as none."""
    return 0.0 if abs(d) < _NOISE else d


def verdict(ev: Evaluation) -> Verdict:
    """Model vs its best baseline on the primary metric.

    A win needs the difference to be outside the spread: when per-fold values exist for both, the
    model (or the baseline) must be better on every fold; a difference that changes sign between folds
    is a tie. Without folds the point estimates decide and the sentence says no spread was measured.
    """
    metric, hib = ev.primary_metric, ev.higher_is_better
    m = ev.model.get(metric)
    best = ev.best_baseline()
    name_of = ev.label
    if best is None or not isinstance(m, (int, float)) or not math.isfinite(m):
        return Verdict("model", None, math.nan, False, "No baseline to compare with on these rows.")
    b_name, b = best
    sign = 1.0 if hib else -1.0
    margin = _clean(sign * (m - b))
    mf = ev.folds.get("model", {}).get(metric)
    bf = ev.folds.get(b_name, {}).get(metric)
    paired = None
    if mf and bf and len(mf) == len(bf) and len(mf) >= 2:
        # float noise is no difference: the same predictions scored 0.9999999999999998 vs 1.0 ("wins, better in all 5 folds")
        paired = [_clean(sign * (x - y)) for x, y in zip(mf, bf) if math.isfinite(x) and math.isfinite(y)]
    if paired:
        lo, hi = min(paired), max(paired)
        if lo > 0:
            return Verdict("model", b_name, margin, False,
                           f"{name_of('model')} wins: {m:.3f} vs {b:.3f} for {name_of(b_name)}, better in all {len(paired)} {ev.spread_unit}.")
        if hi < 0:
            return Verdict(b_name, b_name, margin, False,
                           f"{name_of(b_name)} wins: {b:.3f} vs {m:.3f} for {name_of('model')}, better in all {len(paired)} {ev.spread_unit}.")
        if lo == hi == 0:  # it read "changes sign between resamples (from +0.000 to +0.000)": it never changes at all
            return Verdict("tie", b_name, margin, True,
                           f"Tie: {name_of('model')} and {name_of(b_name)} score the same, {m:.3f}, in every one of the {len(paired)} "
                           f"{ev.spread_unit}.")
        ahead = sum(d > 0 for d in paired)  # how the folds split: "ahead in 1 of 5" beside a mean 0.05 behind says more than the range
        return Verdict("tie", b_name, margin, True,
                       f"Tie: {name_of('model')} {m:.3f} vs {name_of(b_name)} {b:.3f} — the difference changes sign between {ev.spread_unit} "
                       f"(from {_signed(lo)} to {_signed(hi)}; {name_of('model')} ahead in {ahead} of {len(paired)}), so neither is shown to be better "
                       "on this data.")
    if margin > 0:
        return Verdict("model", b_name, margin, False,
                       f"{name_of('model')} is ahead: {m:.3f} vs {b:.3f} for {name_of(b_name)}; one split, no spread measured.")
    if margin < 0:
        return Verdict(b_name, b_name, margin, False,
                       f"{name_of(b_name)} is ahead: {b:.3f} vs {m:.3f} for {name_of('model')}; one split, no spread measured.")
    return Verdict("tie", b_name, 0.0, True, f"Tie: both {m:.3f}.")


@dataclass(frozen=True)
class Value:
    """A use case's money under one set of assumptions — the one definition Home and the page share.

    ``monthly`` is the net value per month at the user's volume and at full adoption, **after** the
    system's running cost (low, base, high). ``upfront`` is the one-off cost and ``running`` that running cost per
    month (each low, base, high): Home ramps the value before system costs (``monthly + running``) with adoption while
    the running cost is paid in full from month 1, and prices its ROI with the pages' rule (value over system cost).
    """

    usecase: str
    title: str
    monthly: tuple[float, float, float]
    upfront: tuple[float, float, float] = (0.0, 0.0, 0.0)
    running: tuple[float, float, float] = (0.0, 0.0, 0.0)
    headline: str = ""
    basis: str = "net value per month at your volume, after system cost"


@dataclass(frozen=True)
class Throughput:
    """Predictions (or tokens) per second of one loaded model on this deployment."""

    per_second: float
    unit: str  # "transactions", "tokens", "patients", "users (top-10)"
    device: str = "cpu"


# ---- the trained model -----------------------------------------------------------------------

@dataclass
class Trained:
    """A fitted model and its card. Domains subclass it with what serving needs.

    ``run_id`` identifies one training run (kept in the card, so a stored model keeps it): together
    with the data fingerprint it keys the app's cached evaluations.
    """

    model: Any
    card: dict

    @property
    def run_id(self) -> str:
        return str(self.card.get("run_id") or self.card.get("sha256") or f"memory-{id(self)}")

    @property
    def version(self) -> int:
        return int(self.card.get("version", 0) or 0)


def new_run_id() -> str:
    return uuid.uuid4().hex


# ---- the contract -----------------------------------------------------------------------------

@runtime_checkable
class UseCase(Protocol):
    """What a use case package exposes (as module attributes)."""

    SPEC: Spec
    Config: type  # frozen dataclass with ``quick()``, ``budget_seconds`` and ``device``
    Assumptions: type  # dataclass of business assumptions (``business.assumption`` fields)

    def train(self, config: Any, *, data: Any = None, progress: Callable | None = None, cancel: Any = None) -> Trained: ...
    def evaluate(self, trained: Trained, data: Any = None) -> Evaluation: ...
    def score(self, trained: Trained, rows: Any) -> Any: ...
    def load(self, store: Any, key: str | None = None) -> Trained: ...
    def save(self, trained: Trained, store: Any, key: str | None = None) -> dict: ...
    def read_data(self, raw: bytes, filename: str) -> Any: ...
    def score_file(self, trained: Trained, raw: bytes, filename: str) -> Any: ...
    def value(self, evaluation: Evaluation, assumptions: Any) -> Value: ...
    def throughput(self, trained: Trained) -> Throughput: ...
    def bench(self, quick: bool = False) -> dict: ...


REQUIRED = {
    "SPEC": None, "Config": None, "Assumptions": None,
    "train": ("config", "data", "progress", "cancel"),
    "evaluate": ("trained", "data"),
    "score": ("trained", "rows"),
    "load": ("store", "key"),
    "save": ("trained", "store", "key"),
    "read_data": ("raw", "filename"),
    "score_file": ("trained", "raw", "filename"),
    "value": ("evaluation", "assumptions"),
    "throughput": ("trained",),
    "bench": ("quick",),
}


def check_contract(mod: ModuleType) -> list[str]:
    """What ``mod`` lacks to be a use case (empty when it conforms)."""
    problems = []
    for attr, params in REQUIRED.items():
        obj = getattr(mod, attr, None)
        if obj is None:
            problems.append(f"{mod.__name__} has no {attr}")
            continue
        if params is None:
            continue
        try:
            names = list(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            problems.append(f"{mod.__name__}.{attr} is not a function")
            continue
        missing = [p for p in params if p not in names]
        if missing:
            problems.append(f"{mod.__name__}.{attr} lacks parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    spec = getattr(mod, "SPEC", None)
    if spec is not None and not isinstance(spec, Spec):
        problems.append(f"{mod.__name__}.SPEC is not a Spec")
    cfg = getattr(mod, "Config", None)
    if cfg is not None and not callable(getattr(cfg, "quick", None)):
        problems.append(f"{mod.__name__}.Config has no quick()")
    a = getattr(mod, "Assumptions", None)
    if a is not None and not dataclasses.is_dataclass(a):
        problems.append(f"{mod.__name__}.Assumptions is not a dataclass")
    return problems


def judged(mod: ModuleType, evaluation: Evaluation, assumptions: Any) -> Evaluation:
    """The evaluation as the use case's page judges it under ``assumptions``: a package whose assumptions hold a decision
    rule (triage's cost ratio sets every suggested level) defines ``judged(evaluation, assumptions)``; otherwise the
    evaluation is unchanged. Home's card and the page read their metric through this one function: at an 8× rule the
    triage page's Model tab read κ 0.879 while Home's card, beside the page's 8× net value, still read the 3× rule's 0.917."""
    own = getattr(mod, "judged", None)
    return own(evaluation, assumptions) if callable(own) else evaluation


def assumptions_from(mod: ModuleType, values: Mapping[str, Any]) -> Any:
    """A use case's assumptions from scenario values (``{"fraud.a.cost_per_alert": 6, …}``).

    A package may define its own ``assumptions_from(values)`` (e.g. to read settings kept under other
    keys); otherwise each assumption field is read from ``<assumptions_prefix>.<field>``. Values that
    are out of range or of the wrong type fall back to defaults (a URL can hold anything).
    """
    own = getattr(mod, "assumptions_from", None)
    if callable(own):
        return own(values)
    from .business import fields_of, from_values

    cls = mod.Assumptions
    prefix = mod.SPEC.assumptions_prefix + "."
    names = {f.name for f in fields_of(cls)}
    picked = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix) and k[len(prefix):] in names}
    return from_values(cls, picked)


def settings_not_used(mod: ModuleType, values: Mapping[str, Any]) -> dict[str, str]:
    """``{key: "fraud.threshold = 1.5 (allowed: a fraud probability from 0 to 1)"}`` for each scenario value the use case
    cannot take as given: :func:`assumptions_from` replaces a value of the wrong type or out of range by its default one
    field at a time and the page's widgets clamp it, so a hand-edited scenario file or link with ``fraud.threshold`` 1.5
    priced a threshold of 1.0 on the page and of 0.5 on Home, without a word. Keys under the assumptions prefix are compared
    with the field of that name; a package may name further keys in ``SCENARIO_FIELDS = {key: (field, allowed in words)}``."""
    from .business import fields_of

    a = assumptions_from(mod, values)
    meta = {f.name: f for f in fields_of(a)}
    prefix = mod.SPEC.assumptions_prefix + "."
    keys = {k: (k[len(prefix):], None) for k in values if isinstance(k, str) and k.startswith(prefix)}
    keys.update({k: v for k, v in getattr(mod, "SCENARIO_FIELDS", {}).items() if k in values})
    out = {}
    settings = {f.name for f in dataclasses.fields(a)}  # (a property such as capacity_per_day is no setting: a review)
    for key, (name, allowed) in keys.items():
        if name not in settings:
            if not name.endswith("%") and allowed is None:  # (a share's per-cent box is the share's widget, not a setting)
                # a misspelt or made-up setting ("fraud.a.cost_per_alrt") had been taken and used nowhere, without a word
                # (a review, 2026-12-07)
                near = difflib.get_close_matches(name, list(meta), n=1)
                out[key] = f"{key} (no such setting{f'; did you mean {prefix}{near[0]}?' if near else ''})"
            continue
        given, used = values[key], getattr(a, name)
        f = meta.get(name)
        whole = f is not None and isinstance(f.default, int) and not isinstance(f.default, bool)  # the page's box takes whole numbers
        if whole and _same_setting(given, used) and float(given) == int(float(given)):
            continue
        if whole and _same_setting(given, used):  # 4.5 investigators: the box had shown 4 without a word (a sweep, 2026-12-05)
            out[key] = f"{key} = {given!r} (allowed: whole numbers from {f.min:g} to {f.max:g} {f.unit})".replace(" )", ")")
            continue
        if _same_setting(given, used):
            continue
        if allowed is None and f is not None and f.min is not None and f.max is not None:
            allowed = f"{f.min:g} to {f.max:g} {f.unit}".rstrip()
        out[key] = f"{key} = {given!r}" + (f" (allowed: {allowed})" if allowed else " (not a value it takes)")
    return out


def _same_setting(given: Any, used: Any) -> bool:
    if isinstance(given, str) and isinstance(used, str):
        return given.strip().casefold() == used.casefold()
    if isinstance(given, bool) or isinstance(used, bool):
        return given is used
    try:
        return float(given) == float(used)
    except (TypeError, ValueError, OverflowError):
        return False


@dataclass
class Report:
    """Legacy untyped result (being replaced by :class:`Evaluation` use case by use case)."""

    usecase: str
    primary_metric: str
    model: dict[str, float]
    baselines: dict[str, dict[str, float]]
    data: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"usecase": self.usecase, "primary_metric": self.primary_metric, "model": self.model,
                "baselines": self.baselines, "data": self.data}


class ConfigMixin:
    """``as_dict``/``from_dict`` for a use case's (frozen) Config dataclass, so model cards can record
    the training config and a stored model can rebuild it. Nested config dataclasses and tuples are
    restored from their JSON form; keys the current code does not know are ignored."""

    def __post_init__(self) -> None:
        from usecases.core.runner import check_budget

        check_budget(getattr(self, "budget_seconds", None))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, d: dict):
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in d:
                continue
            v, default = d[f.name], f.default
            if dataclasses.is_dataclass(default) and isinstance(v, dict):
                known = {g.name for g in dataclasses.fields(default)}
                v = type(default)(**{k: x for k, x in v.items() if k in known})
            elif isinstance(default, tuple) and isinstance(v, list):
                v = tuple(v)
            kwargs[f.name] = v
        return cls(**kwargs)
