"""What model-assisted triage is worth: ED operations on paired simulation runs, priced only as far
as the runs support it. ``value()`` is the one definition Home and the page share.

* The policies are confusion matrices P(assigned level | true level) measured on the evaluation's
  rows: unassisted = the simulated nurse, model-assisted = the more urgent of nurse and model, with the
  model's level from the cost-weighted rule at the user's cost ratio. When the rows have no nurse level,
  unassisted = the ESI-style rule and model-assisted = the model alone (:func:`arms`) — and when the file
  lacks most of the rule's inputs (``evaluation.rule_unfit``) that rule is no baseline, and nothing is
  priced against it.
* Both policies run on the same simulated weeks (common random numbers): run i of each uses seed i,
  so the difference per run is due to triage alone. The figure that is priced is the mean paired
  difference in critical (level 1–2) patients seen after their target per week, with a 90 %
  bootstrap interval over the runs; when the interval includes zero nothing is priced, and the
  headline says so.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from usecases.core import business, fmt
from usecases.core.business import assumption
from usecases.core.spec import Value

from . import SPEC
from .evaluation import TriageEvaluation, listed
from .metrics import DEFAULT_UNDER_COST, confusion
from .queue import TARGET_MINUTES, EDAssumptions, simulate, summarize, utilisation

WEEKS_PER_MONTH = 52.0 / 12.0
RUNS = (5, 60, 20)  # min, max, default simulation runs
WEEKS = (1, 8, 1)  # min, max, default weeks per run
PAIRED = ("late_l12_per_week", "mean_wait_l12", "late_share_l12", "p90_wait_l12", "mean_wait_all")  # every row of the page's table
INTERVAL = 0.9


@dataclass(frozen=True)
class Assumptions(EDAssumptions):
    """The ED, the prices, the decision rule's cost ratio and how long to simulate."""

    under_cost: float = assumption(DEFAULT_UNDER_COST, label="Under-triage cost vs over-triage", unit="× per level", min=1.0, max=10.0,
                                   step=0.5, help="How much worse one level of under-triage is than one level of over-triage; "
                                                  "the model suggests the level with the least expected cost.")
    runs: int = RUNS[2]  # simulation settings (scenario keys triage.ops.runs / triage.ops.weeks), not prices
    weeks: int = WEEKS[2]


def assumptions_from(values: dict) -> Assumptions:
    """Assumptions from scenario values (``triage.ops.<field>``, ``triage.ops.runs``, ``triage.ops.weeks``);
    a value of the wrong type or out of range falls back to its default, one field at a time."""
    prefix = SPEC.assumptions_prefix + "."
    bounds = {f.name: (f.min, f.max, type(f.default)) for f in business.fields_of(Assumptions)}
    bounds.update({"runs": (RUNS[0], RUNS[1], int), "weeks": (WEEKS[0], WEEKS[1], int)})
    picked = {}
    for key, v in values.items():
        name = key[len(prefix):] if isinstance(key, str) and key.startswith(prefix) else None
        if name not in bounds or isinstance(v, bool):
            continue
        lo, hi, kind = bounds[name]
        try:
            x = float(v)
        except (TypeError, ValueError, OverflowError):
            continue
        if not np.isfinite(x) or (lo is not None and x < lo) or (hi is not None and x > hi) or (kind is int and x != int(x)):
            continue
        picked[name] = kind(x)
    return dataclasses.replace(Assumptions(), **picked)


def policies(ev: TriageEvaluation, under_cost: float) -> tuple[dict[str, np.ndarray], str]:
    """(``{"unassisted": P, "model-assisted": P}``, who triages unassisted) at the given cost ratio."""
    e = ev.at_cost(under_cost)
    model = e.levels("model")
    if e.has_nurse:
        nurse = e.levels("nurse")
        pol, who = {"unassisted": confusion(e.y, nurse), "model-assisted": confusion(e.y, np.minimum(nurse, model))}, \
            "Simulated nurse" if e.data.synthetic else "The nurse in your file"
    elif "esi_rule" in e.rule_levels:
        pol, who = {"unassisted": confusion(e.y, e.levels("esi_rule")), "model-assisted": confusion(e.y, model)}, "ESI-style rule"
    else:  # no nurse and no rule to compare with: the model against triage that is always right is no benefit to price
        pol, who = {"unassisted": confusion(e.y, model), "model-assisted": confusion(e.y, model)}, "the model alone (nothing to compare with)"
    # A level absent from these rows keeps its patients at their true level.
    pol = {k: np.where(v.sum(1, keepdims=True) == 0, np.eye(5), v).astype(float) for k, v in pol.items()}
    return {k: v / v.sum(1, keepdims=True) for k, v in pol.items()}, who


@dataclass(frozen=True)
class Operations:
    utilisation: float
    runs: int
    weeks: int
    unassisted: str  # who triages without the model
    arms: dict  # "unassisted"/"model-assisted" → figure → (10th pct, mean, 90th pct) over runs: the arms' means differ by the
    # paired mean, so the page's tiles, table and chart show one value per quantity (its table had medians: 62.5 → 60 beside
    # tiles of 60.1 → 58.2 and 1.9 fewer)
    paired: dict  # figure → (low, mean, high): unassisted − model-assisted, 90 % interval of the mean over paired runs
    # The ESI-style rule's inputs the file lacks when that rule is the unassisted arm and is no baseline (evaluation.rule_unfit):
    # the runs are still shown, but nothing is priced against it (an analyst walkthrough, 2026-12-07: "€216k a month" against a
    # rule right for 5 % of the patients)
    rule_missing: tuple = ()

    @property
    def overloaded(self) -> bool:
        return self.utilisation >= 1.0

    def supported(self, figure: str = "late_l12_per_week") -> bool:
        """Does the interval of the paired difference exclude zero — against a real baseline (not a rule run without most of
        its inputs)?"""
        if self.rule_missing:
            return False
        lo, _, hi = self.paired.get(figure, (0.0, 0.0, 0.0))
        return lo > 0 or hi < 0


def arms(ev: TriageEvaluation) -> str:
    """What the two arms are, in words, for the *Operations* tab's caption and its report: the caption had described the nurse
    and "Nurse + model" arms while the table's header read "unassisted (ESI-style rule)" (an analyst walkthrough, 2026-12-07)."""
    if ev.has_nurse:
        who = "the simulated nurse's" if ev.data.synthetic else "the level the nurse in your file gave"
        return (f"*unassisted*, {who} level; *model-assisted*, the more urgent of the nurse's and the model's level (the Model tab's "
                "\"Nurse + model\" row). Fewer patients under-triaged need not mean as many fewer seen late: the more urgent of the two "
                "levels also puts more patients ahead in the queue, and they wait for the same doctors")
    if "esi_rule" in ev.rule_levels:
        text = ("*unassisted*, the ESI-style rule's level — the file has no nurse level, so the rule stands in for the nurse; "
                "*model-assisted*, the model's level alone (no nurse to combine it with)")
        if missing := ev.rule_missing():
            text += (f". **This file does not record {listed(missing)}**, which the rule reads, so the unassisted arm is not a real "
                     "baseline: the difference below measures the rule's missing inputs, not what the model is worth, and it is not "
                     "priced")
        return text
    return ("*unassisted* and *model-assisted* are both the model's level: the file has no nurse level and none of the vital signs or "
            "complaint a rule reads, so there is nothing to compare the model with and nothing is priced")


def operations(ev: TriageEvaluation, a: Assumptions) -> Operations:
    """Paired simulation of both policies (cached: the same inputs never simulate twice)."""
    pol, who = policies(ev, a.under_cost)
    missing = () if ev.has_nurse else tuple(ev.rule_missing())
    if missing:
        who += f" without {listed(missing)}: not a real baseline"
    u = utilisation(a)
    if u >= 1.0:
        return Operations(u, a.runs, a.weeks, who, {}, {}, missing)
    ed = EDAssumptions(**{f.name: getattr(a, f.name) for f in dataclasses.fields(EDAssumptions)})
    arms, paired = _paired_runs(ed, _key(pol["unassisted"]), _key(pol["model-assisted"]), int(a.runs), int(a.weeks))
    return Operations(u, a.runs, a.weeks, who, arms, paired, missing)


def _key(m: np.ndarray) -> tuple:
    return tuple(map(tuple, np.round(m, 12)))


@functools.lru_cache(maxsize=128)
def _paired_runs(a: EDAssumptions, pol_u: tuple, pol_m: tuple, runs: int, weeks: int) -> tuple[dict, dict]:
    rows = {"unassisted": [], "model-assisted": []}
    for i in range(runs):  # run i of both arms: the same seed, so the same patients
        rows["unassisted"].append(summarize(simulate(a, np.array(pol_u), hours=168.0 * weeks, seed=i)))
        rows["model-assisted"].append(summarize(simulate(a, np.array(pol_m), hours=168.0 * weeks, seed=i)))
    arms = {arm: {k: tuple(float(x) for x in (np.nanquantile(v, 0.1), np.nanmean(v), np.nanquantile(v, 0.9)))
                  for k, v in ((k, [r[k] for r in rs]) for k in rs[0])} for arm, rs in rows.items()}
    paired = {}
    for k in PAIRED:
        d = np.array([ru[k] - rm[k] for ru, rm in zip(rows["unassisted"], rows["model-assisted"])], float)
        d = d[np.isfinite(d)]
        paired[k] = business.bootstrap_mean_interval(d, level=INTERVAL, seed=0) if len(d) else (np.nan, np.nan, np.nan)
    return arms, paired


def judged(evaluation: TriageEvaluation, assumptions: Assumptions) -> TriageEvaluation:
    """The evaluation at the decision rule of ``assumptions`` (``spec.judged``): what the page and Home's card show."""
    return evaluation.at_cost(assumptions.under_cost)


def week_digits(ops) -> int:
    """The decimals of the levels 1–2 late per week, on the *Operations* tiles and in the headline alike: the fewest (1–3) at
    which the arms' means and their paired difference add up ("60.1 → 58.3" beside "1.9 fewer" had not: 1.86) and each week
    figure × 4.33 gives the month the headline shows, its interval's bounds included. The tile had read 1.4 (its own rule)
    while the headline read "6.3 per month (1.45 a week × 4.33 weeks)" (a walkthrough, 2026-12-06). Where no precision does
    both, the weeks multiply out."""
    arms = [ops.arms.get(k, {}).get("late_l12_per_week") for k in ("unassisted", "model-assisted")]
    lo, mean, hi = ops.paired["late_l12_per_week"]

    def adds(d: int) -> bool:
        if None in arms:  # no arms to show (a headline alone)
            return True
        return abs(round(arms[0][1], d) - round(arms[1][1], d) - round(mean, d)) < 0.5 * 10 ** -d + 1e-12

    def multiplies(d: int) -> bool:
        return all(round(round(abs(x), d) * WEEKS_PER_MONTH, 1) == round(abs(x * WEEKS_PER_MONTH), 1) for x in (lo, mean, hi))

    return fmt.agreeing_digits(lambda d: adds(d) and multiplies(d), otherwise=fmt.agreeing_digits(multiplies))


def share_digits(ops, key: str = "late_share_l12") -> int:
    """The decimals (1–2) of a share's row on the *Operations* table — both arms in per cent and their paired difference in
    points — at which the two arms' means differ by the difference shown: "21 % → 20 %" had stood beside "0.5 pts" (20.8 %
    and 20.3 %; an exports sweep, 2026-12-06). At least one: whole points read "1 pts (0 pts to 1 pts)", an interval
    that says nothing."""
    arms = [ops.arms.get(k, {}).get(key) for k in ("unassisted", "model-assisted")]
    if None in arms or key not in ops.paired:
        return 1
    u, m, d = (100 * float(x) for x in (arms[0][1], arms[1][1], ops.paired[key][1]))
    return fmt.agreeing_digits(lambda n: abs(round(u, n) - round(m, n) - round(d, n)) < 0.5 * 10 ** -n + 1e-9, most=2)


def value(evaluation: TriageEvaluation, assumptions: Assumptions) -> Value:
    """Net value per month after the running cost: fewer critical patients seen late × the assumed cost of
    each, priced only when the paired interval excludes zero. (low, base, high). Absurd assumptions are refused."""
    business.check(assumptions)
    a = assumptions
    costs = [business.scenario(a, w) for w in business.SCENARIOS]
    ops = operations(evaluation, a)
    if ops.overloaded:
        return Value(SPEC.name, SPEC.title, tuple(-c.monthly_cost for c in costs), running=tuple(c.monthly_cost for c in costs),
                     headline=f"Doctors overloaded in this scenario ({fmt.rate(ops.utilisation)} utilisation): not priced, so the net is "
                              f"the {fmt.money(costs[1].monthly_cost)}/month running cost")
    lo, mean, hi = ops.paired["late_l12_per_week"]
    per_month = tuple(x * WEEKS_PER_MONTH for x in (lo, mean, hi))
    # The Operations tab's tiles count per week; the headline says how its month is made of them, in figures that multiply out
    # ("1.6 a week × 4.33 weeks" read beside 7.1 a month: it was 1.64).
    weekly = fmt.fixed(abs(mean), week_digits(ops))  # as the tiles write it: "0.20", not "0.2"
    if ops.rule_missing:  # no real baseline: the difference is the rule's missing inputs, not the model's worth
        monthly = tuple(-c.monthly_cost for c in costs)
        headline = (f"No baseline to price against: without a nurse level in the file, the unassisted arm is the ESI-style rule, and the "
                    f"file does not record {listed(ops.rule_missing)}, which it reads — so the simulated difference ({weekly} "
                    f"{'fewer' if mean >= 0 else 'more'} levels 1–2 seen late a week) measures those missing inputs, not what the model "
                    f"is worth: not priced, so the net is the {fmt.money(costs[1].monthly_cost)}/month running cost. Add the nurse's level "
                    "(a nurse_level column) to compare the model with real triage")
    elif ops.supported():
        low = min(per_month[0] * costs[0].late_critical_cost, per_month[0] * costs[2].late_critical_cost)
        high = max(per_month[2] * costs[0].late_critical_cost, per_month[2] * costs[2].late_critical_cost)
        monthly = (low - costs[0].monthly_cost, per_month[1] * costs[1].late_critical_cost - costs[1].monthly_cost, high - costs[2].monthly_cost)
        what, sign = ("fewer", 1) if mean > 0 else ("more", -1)
        lo_, hi_ = sorted((sign * per_month[0], sign * per_month[2]))
        headline = (f"{fmt.fixed(abs(per_month[1]), 1)} {what} critical (level 1–2) patients seen after target per month "
                    f"({weekly} a week × {fmt.number(WEEKS_PER_MONTH, 2)} weeks; paired runs, {fmt.rate(INTERVAL)} interval {fmt.between(lo_, hi_, lambda x: fmt.fixed(x, 1))})")
    else:
        monthly = tuple(-c.monthly_cost for c in costs)
        # It read "(8.2 per month, 90 % interval 0 – 16.2 includes zero)": 8.2 what, and an interval that starts at 0 "includes" it?
        headline = (f"No measurable change in critical (level 1–2) patients seen after target: {fmt.fixed(abs(per_month[1]), 1)} "
                    f"{'fewer' if per_month[1] >= 0 else 'more'} per month ({weekly} a week × {fmt.number(WEEKS_PER_MONTH, 2)} weeks) on "
                    f"average, but the {fmt.rate(INTERVAL)} interval of that difference ({fmt.fixed(per_month[0], 1)} to "
                    f"{fmt.fixed(per_month[2], 1)} a month; below 0 = more) "
                    # "(0 to 16.2) does not exclude zero" read as a rounded bound hiding the reason: say the bound is exactly zero
                    + ("starts at exactly 0 — no change at all is still inside it" if per_month[0] == 0 else
                       "ends at exactly 0 — no change at all is still inside it" if per_month[2] == 0 else
                       "does not exclude zero") + f": not priced, so the net is the {fmt.money(costs[1].monthly_cost)}/month running cost")
        # Home's tile read −€4.0k under "not priced", with nothing saying where the €4.0k came from.
    return Value(SPEC.name, SPEC.title, monthly, headline=headline, running=tuple(c.monthly_cost for c in costs))


__all__ = ["Assumptions", "assumptions_from", "policies", "arms", "operations", "Operations", "value", "utilisation", "week_digits", "TARGET_MINUTES"]
