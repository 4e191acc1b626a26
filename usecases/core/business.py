"""Business math shared by every use case: assumptions with units and ranges, NPV, payback, ROI.

Assumptions are dataclasses whose fields are declared with :func:`assumption`, which records the
unit, the bounds a value must respect, and the value used in the *low* (pessimistic) and *high*
(optimistic) scenarios. For a cost, the low scenario therefore holds the *higher* cost. Every money
function here is pure and unit-tested against a hand-computed example.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .tables import DataProblem

SCENARIOS = ("low", "base", "high")


def assumption(
    default: float,
    *,
    label: str,
    unit: str,
    low: float | None = None,
    high: float | None = None,
    min: float | None = None,
    max: float | None = None,
    step: float | None = None,
    help: str = "",
    source: str = "",
) -> Any:
    """Declare one user-editable assumption (a dataclass field with metadata)."""
    return dataclasses.field(
        default=default,
        metadata={
            "label": label, "unit": unit, "low": low, "high": high, "min": min, "max": max,
            "step": step, "help": help, "source": source,
        },
    )


@dataclass(frozen=True)
class AssumptionField:
    name: str
    label: str
    unit: str
    default: float
    low: float | None
    high: float | None
    min: float | None
    max: float | None
    step: float | None
    help: str
    source: str

    @property
    def is_share(self) -> bool:
        """A fraction (unit "share", "share of amount", …) that inputs and reports show in per cent — one rule for both:
        the reports had written "Value recovered … (share of amount) 0.8" beside the page's 80.0 % (an exports sweep)."""
        return self.unit.startswith("share")

    @property
    def percent_unit(self) -> str:
        """A share's unit as its per-cent input and the reports write it: "%", "% per year", "% of amount"."""
        return self.unit.replace("share", "%", 1)


def fields_of(obj_or_cls) -> list[AssumptionField]:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    out = []
    for f in dataclasses.fields(cls):
        m = f.metadata
        if "unit" not in m:
            continue
        out.append(AssumptionField(f.name, m["label"], m["unit"], f.default, m["low"], m["high"], m["min"], m["max"], m["step"], m["help"], m["source"]))
    return out


def check(obj) -> None:
    """Refuse absurd values with one message naming each field."""
    problems = []
    for f in fields_of(obj):
        v = getattr(obj, f.name)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            problems.append(f"{f.label} must be a finite number (got {v!r})")
            continue
        if f.min is not None and v < f.min:
            problems.append(f"{f.label} must be at least {f.min:g} {f.unit} (got {v:g})")
        if f.max is not None and v > f.max:
            problems.append(f"{f.label} must be at most {f.max:g} {f.unit} (got {v:g})")
    if problems:
        raise DataProblem(problems, "these assumptions")


def scenario(obj, which: str):
    """``obj`` with each ranged assumption moved to its ``low`` or ``high`` value (``base``: unchanged).

    Only assumptions that still equal their default are moved, so a value the user typed is
    kept in every scenario; the range expresses uncertainty around defaults, not around user input.
    """
    if which == "base":
        return obj
    if which not in SCENARIOS:
        raise ValueError(f"scenario must be one of {SCENARIOS}")
    changes = {}
    for f in fields_of(obj):
        target = f.low if which == "low" else f.high
        if target is not None and getattr(obj, f.name) == f.default:
            changes[f.name] = target
    return dataclasses.replace(obj, **changes)


def held_fixed(obj, names: Iterable[str] | None = None) -> list[str]:
    """Labels of the ranged assumptions (of ``names``, or all) that the user set away from their defaults: :func:`scenario`
    keeps them in the low and high cases, so the range no longer reflects their uncertainty — pages say so (a typed running
    cost had shown "−€2.0k at the low, base and high assumptions alike" as if it were certain; a walkthrough, 2026-12-05)."""
    wanted = None if names is None else set(names)
    return [f.label for f in fields_of(obj) if (wanted is None or f.name in wanted)
            and (f.low is not None or f.high is not None) and getattr(obj, f.name) != f.default]


def as_dict(obj) -> dict[str, float]:
    return {f.name: getattr(obj, f.name) for f in fields_of(obj)}


def from_dict(cls, values: dict) -> Any:
    """Build assumptions from a dict, refusing unknown names and absurd values."""
    names = {f.name for f in fields_of(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise DataProblem(f"unknown assumption{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}", "these assumptions")
    obj = cls(**{k: v for k, v in values.items()})
    check(obj)
    return obj


def from_values(cls, values: dict) -> Any:
    """Assumptions from values that may hold anything (a saved scenario, a URL): each value of the wrong type or out of range
    falls back to its default, one field at a time — one bad value had reset every other assumption of the fraud page to
    its default too (a volume of 1,000,000 read back as 5,000,000 beside a fraud rate of 0)."""
    kept: dict = {}
    for name, v in values.items():
        try:
            from_dict(cls, {**kept, name: v})
        except (DataProblem, TypeError, ValueError):
            continue
        kept[name] = v
    return cls(**kept)


# ---- money over time --------------------------------------------------------------------------

def npv(monthly_cashflows: Sequence[float], annual_rate: float, upfront: float = 0.0) -> float:
    """Net present value of end-of-month cash flows at an annual discount rate, minus ``upfront``.

    Month *t* (1-based) is discounted by ``(1 + annual_rate) ** (t / 12)``.
    """
    cf = np.asarray(monthly_cashflows, dtype=float)
    t = np.arange(1, len(cf) + 1)
    return float(np.sum(cf / (1.0 + annual_rate) ** (t / 12.0)) - upfront)


def cumulative_npv(monthly_cashflows: Sequence[float], annual_rate: float, upfront: float = 0.0) -> np.ndarray:
    cf = np.asarray(monthly_cashflows, dtype=float)
    t = np.arange(1, len(cf) + 1)
    return np.cumsum(cf / (1.0 + annual_rate) ** (t / 12.0)) - upfront


def payback_month(monthly_cashflows: Sequence[float], upfront: float = 0.0) -> int | None:
    """First month (1-based) at which cumulative cash flow covers ``upfront``; ``None`` if never."""
    cum = np.cumsum(np.asarray(monthly_cashflows, dtype=float)) - upfront
    hit = np.nonzero(cum >= 0)[0]
    return int(hit[0]) + 1 if len(hit) else None


def roi(value: float, cost: float) -> float | None:
    """Return on investment (value − cost) / cost; ``None`` when there is no cost."""
    return None if cost <= 0 else (value - cost) / cost


def payback_one_off(net_per_month: float, one_off: float) -> float | None:
    """Months of net value (after running cost) that earn back the one-off cost: where the page's cumulative net value line
    crosses zero. 0 without a one-off cost; ``None`` ("never") when the net value per month is not positive — the running
    cost is never covered. (It was the months of value needed to earn back year 1's whole system cost: "payback 5.7
    months" sat beside a chart that crossed zero at 3.5, and fraud, with no one-off cost to earn back, read "7.9 months".)"""
    if net_per_month <= 0:
        return None
    return max(float(one_off), 0.0) / net_per_month


YEAR_ONE_RULE = ("ROI, year 1 = (a year's value before system costs − year 1's system cost) / year 1's system cost, where year 1's "
                 "system cost = the one-off cost + 12 months of running cost; payback = the months of net value (after running "
                 "cost) that earn back the one-off cost, where the cumulative net value crosses zero.")


def year_one(value_per_month: float, running_per_month: float, one_off: float = 0.0) -> tuple[float | None, float | None]:
    """``(ROI, payback months)``, one definition for every page (``YEAR_ONE_RULE``): fraud (no one-off cost) and
    recommendation (a one-off cost) had each its own, so "ROI, year 1" read 51 % on one page and 243 % on the other for
    different quantities — recommendation's left its running cost out of the cost and counted only the one-off. Payback
    is the one Home's portfolio uses (without its adoption ramp) and the cumulative charts show."""
    cost = one_off + 12.0 * running_per_month
    return roi(12.0 * value_per_month, cost), payback_one_off(value_per_month - running_per_month, one_off)


def adoption_ramp(months: int, ramp_months: int) -> np.ndarray:
    """Share of full value reached in each month: linear up to 1 over ``ramp_months`` (0 = immediate)."""
    t = np.arange(1, months + 1, dtype=float)
    if ramp_months <= 0:
        return np.ones(months)
    return np.minimum(1.0, t / ramp_months)


def bootstrap_mean_interval(values: Sequence[float], *, n: int = 2000, level: float = 0.9, seed: int = 0) -> tuple[float, float, float]:
    """(low, mean, high) of the mean of ``values`` by a percentile bootstrap."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return (math.nan, math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), size=(n, len(v)))].mean(axis=1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(v.mean()), float(np.quantile(means, 1 - a))


def money(x: float | None, currency: str = "€") -> str:
    """Compact money label (see :func:`usecases.core.fmt.money`)."""
    from .fmt import money as _money

    return _money(x, currency)
