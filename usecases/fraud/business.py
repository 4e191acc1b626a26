"""Fraud business case: thresholds chosen on validation rows, figures at the user's volume and fraud rate.

The model is scored on simulated (or the user's) test rows whose fraud rate is far from a real card
portfolio's (the simulation has ≈ 71 frauds per 10,000 payments; EEA card payments ≈ 1.5). So what
carries over from the test rows is what does not depend on the fraud rate — per class rates at a
threshold τ: recall (share of frauds flagged), amount recall (share of fraud money flagged) and
the false-positive rate (share of legitimate payments flagged). At your volume M, fraud rate ρ and
average fraud amount A, per month:

    frauds F = ρ·M,   caught = recall·F,   false alerts = FPR·(1 − ρ)·M,   alerts = caught + false alerts
    losses prevented = recovery share · amount recall · F · A
    net value = losses prevented − cost per alert · alerts − customer cost · false alerts − yearly system cost / 12

A missed fraud costs its amount with or without the model, so it does not change the difference the
model makes. The threshold is chosen on each model's **validation** rows (never on test rows) with
these same formulas under your assumptions — profit-optimal, the most profitable one whose alerts fit
your team, or yours — and then applied to the test rows. Ranges combine the assumptions' low/high
values with a bootstrap over test days (or blocks of test rows).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from usecases.core import business
from usecases.core.spec import Value

from .assumptions import DAYS_PER_MONTH, MODES, Assumptions, FraudAssumptions, assumptions_from, rate_words  # noqa: F401

# ---- per-class rates → money at the user's volume ----------------------------------------------

def monthly(recall, amount_recall, fpr, a: FraudAssumptions) -> dict[str, np.ndarray]:
    """Per-month figures at the user's volume from per-class rates (arrays broadcast)."""
    frauds = a.fraud_rate_bps / 1e4 * a.monthly_transactions
    legit = a.monthly_transactions - frauds
    caught = recall * frauds
    false_alerts = fpr * legit
    alerts = caught + false_alerts
    prevented = a.recovery_share * amount_recall * frauds * a.avg_fraud_amount
    gross = prevented - a.cost_per_alert * alerts - a.false_alert_cost * false_alerts
    return {"frauds": frauds, "legit": legit, "caught": caught, "false_alerts": false_alerts, "alerts": alerts, "prevented": prevented, "gross": gross,
            "net": gross - a.yearly_system_cost / 12.0, "alerts_per_day": alerts / DAYS_PER_MONTH}


def cutoffs(y: np.ndarray, score: np.ndarray, amount: np.ndarray, has_amount: bool = True) -> pd.DataFrame:
    """Per-class rates at every distinct threshold (flag score ≥ threshold), plus "flag nothing" (threshold ∞)."""
    order = np.argsort(-score, kind="mergesort")
    s, yy, am = score[order], y[order].astype(float), amount[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True] if len(s) else np.zeros(0, bool)
    tp = np.cumsum(yy)[last_of_tie]
    fp = np.cumsum(1 - yy)[last_of_tie]
    ca = np.cumsum(am * yy)[last_of_tie]
    n_pos, n_neg, a_pos = max(yy.sum(), 1.0), max(len(yy) - yy.sum(), 1.0), am[yy == 1].sum()
    recall = tp / n_pos
    amount_recall = ca / a_pos if has_amount and a_pos > 0 else recall
    return pd.DataFrame({"threshold": np.r_[np.inf, s[last_of_tie]], "recall": np.r_[0.0, recall],
                         "amount_recall": np.r_[0.0, amount_recall], "fpr": np.r_[0.0, fp / n_neg],
                         "flagged": np.r_[0.0, tp + fp], "caught": np.r_[0.0, tp]})


def choose(y: np.ndarray, score: np.ndarray, amount: np.ndarray, a: FraudAssumptions, has_amount: bool = True) -> tuple[float, float, float]:
    """(threshold, its alerts/day at your volume, the profit-optimal point's alerts/day) chosen on these (validation) rows:
    profit-optimal, or in "Team capacity" mode the most profitable threshold whose alerts fit the team."""
    c = cutoffs(y, score, amount, has_amount)
    m = monthly(c["recall"].to_numpy(), c["amount_recall"].to_numpy(), c["fpr"].to_numpy(), a)
    gross = m["gross"]
    best = int(np.argmax(gross))  # first maximum = the highest threshold among ties (fewest alerts)
    pick = best
    if a.mode == "Team capacity" and m["alerts_per_day"][best] > a.capacity_per_day:
        ok = np.flatnonzero(m["alerts_per_day"] <= a.capacity_per_day)  # ok[0] = 0: flagging nothing always fits
        pick = int(ok[np.argmax(gross[ok])])
    t = float(c["threshold"].iloc[pick])
    if not np.isfinite(t):
        # Flag nothing: above every probability, not just above these rows' highest score — test rows (or new payments) that
        # score higher than every validation row had been flagged: a 5-fold file's peers, best flagging nothing on their
        # inner validation rows, raised 159–529 alerts a day on the test rows and lost −€54k to −€133k a month beside the
        # model's −€20.8k (an analyst walkthrough, 2026-12-07)
        # (the next float32 above, not float64's: scores kept in float32 compare with a float32 copy of the threshold, and
        # 1 + 2⁻⁵² rounds to 1.0 there — a logistic regression's probabilities of exactly 1 were still flagged, 123 a day at
        # "1.000"; seen in a screenshot of the fix, 2026-12-07)
        t = float(np.nextafter(np.float32(max(1.0, float(np.max(score))) if len(score) else 1.0), np.float32(np.inf)))
    return t, float(m["alerts_per_day"][pick]), float(m["alerts_per_day"][best])


@dataclass(frozen=True)
class Operating:
    """One operating point: thresholds chosen on validation rows, outcomes on the test rows."""

    mode: str
    thresholds: tuple[float, ...]  # per fold (one for a hold-out), applied to that fold's test rows
    threshold: float  # for new rows scored by the (fold-averaged) model: chosen on all validation rows
    # On the test rows themselves (not rescaled):
    frauds: int
    caught: int
    false_alerts: int
    legit: int
    recall: float
    amount_recall: float
    fpr: float
    # Per month at your volume and fraud rate:
    month: dict
    capacity_per_day: float
    optimal_alerts_per_day: float  # the profit-optimal point's alerts/day at your volume (validation rows)
    # The chosen (pooled) threshold on the validation rows: its alerts/day at your volume and its false alerts there. In
    # capacity mode the threshold fits the team on these rows; the test rows can raise more (see :func:`capacity_messages`).
    validation_alerts_per_day: float = float("nan")
    validation_false_alerts: int = 0
    validation_legit: int = 0
    # Team capacity mode, when the test rows raise more alerts a day than the team can handle: the alerts a day the threshold
    # raised there (at your volume), and the score from which the team works them — highest first, as many as fit. Every
    # outcome above (caught, false alerts, month) counts the worked alerts only. Until 2026-12-06 the test week's 40 alerts a
    # day were priced as if a team of 20 a day had handled them all (a sweep; the page warned, the value was not capped).
    raised_alerts_per_day: float = float("nan")
    worked_from: float = float("-inf")
    raised_false_alerts: int = 0  # false alerts among the raised test alerts (= false_alerts when nothing is capped)

    @property
    def missed(self) -> int:
        return self.frauds - self.caught

    @property
    def alerts(self) -> int:
        return self.caught + self.false_alerts

    @property
    def precision_test(self) -> float:
        return self.caught / self.alerts if self.alerts else float("nan")

    @property
    def test_fraud_share(self) -> float:
        """Share of the scored test rows that are fraud — the mix the model's probabilities follow (not your fraud rate)."""
        return self.frauds / (self.frauds + self.legit) if self.frauds + self.legit else float("nan")

    @property
    def alerts_per_day(self) -> float:
        return float(self.month["alerts_per_day"])

    @property
    def precision(self) -> float:
        """Share of alerts that are fraud at your fraud rate."""
        return float(self.month["caught"] / self.month["alerts"]) if self.month["alerts"] > 0 else float("nan")

    @property
    def precision_floor(self) -> float | None:
        """The lowest precision at your fraud rate that the test rows allow when they hold **no** false alert at the threshold
        (None when they hold one or more, or nothing is caught). The plain figure then reads 100 %, which a few thousand
        legitimate test rows cannot show: with 0 of n flagged, the false-positive rate is below 3/n with 95 % confidence (the
        "rule of three", Hanley & Lippman-Hand 1983, JAMA 249:1743), and at your volume that many false alerts a month would
        make the alerts this share fraud. The Overview tile read "100 %" where each test-row false alert is worth about 85
        false alerts a month at the default volume (a walkthrough of 2026-12-05)."""
        if self.false_alerts or not self.legit or not self.month["caught"] > 0:
            return None
        worst = 3.0 / self.legit * float(self.month["legit"])
        return float(self.month["caught"] / (self.month["caught"] + worst))

    @property
    def precision_text(self) -> str:
        """Precision at your fraud rate as every page writes it: "≥ 63 %" when the test rows hold no false alert."""
        from usecases.core import fmt

        return self.precision_at()

    def precision_at(self, digits: int = 0) -> str:
        """:attr:`precision_text` with ``digits`` decimals (a table's column shares them: "1 %" had stood beside "0.6 %")."""
        from usecases.core import fmt

        floor = self.precision_floor
        return fmt.rate(self.precision, digits) if floor is None else f"≥ {fmt.rate(floor, digits)}"

    @property
    def precision_words(self) -> str:
        """One sentence on a precision with no false alert behind it ("" otherwise)."""
        from usecases.core import fmt

        floor = self.precision_floor
        if floor is None:
            return ""
        worst = 3.0 / self.legit * float(self.month["legit"])
        # under a capacity cap the threshold can raise a false alert the team never works: "No false alert … at this threshold"
        # had stood beside "1 among the test rows' 1,023" (an analyst walkthrough, 2026-12-07, later)
        where = (f"among the alerts your team works (scores from {threshold_text(self.worked_from)}) on the {fmt.count(self.legit)} "
                 "legitimate test payments" if self.capped else f"among the {fmt.count(self.legit)} legitimate test payments at this threshold")
        return (f"No false alert {where} — a test that size "
                f"cannot show that none will come: it is consistent with up to {fmt.count(worst)} false alerts a month at your "
                f"volume (the 95 % upper bound, the rule of three), which would make the alerts {fmt.rate(floor)} fraud — so precision "
                f"reads “≥ {fmt.rate(floor)}”, not 100 %.")

    @property
    def per_false_alert_per_day(self) -> float | None:
        """What one test false alert adds to the average day at the user's volume (None without one). The daily chart's
        caption gives the other scale, one false alert on the day it falls on (about 7× this on a test week): until
        2026-12-06 both read "each stands for about … a day" beside 2.8 and 19.6 (an exports sweep)."""
        return float(self.month["false_alerts"]) / self.false_alerts / DAYS_PER_MONTH if self.false_alerts else None

    @property
    def per_legit_row_per_day(self) -> float:
        """What one legitimate test row stands for on the average day at your volume (flagged, it is that many false alerts)."""
        return float(self.month["legit"]) / max(self.legit, 1) / DAYS_PER_MONTH

    @property
    def flags_from(self) -> float:
        """The score from which the alerts counted start: the threshold, or under a capacity cap the score the team works from
        — the What-if tab had called the worked alerts' 55 % precision that of every payment above the 0.913 threshold (37 %)."""
        return max(self.threshold, self.worked_from) if self.capped and np.isfinite(self.worked_from) else self.threshold

    @property
    def over_capacity(self) -> bool:
        """The profit-optimal point needs more alerts per day than the team can handle."""
        return self.optimal_alerts_per_day > self.capacity_per_day

    @property
    def raised(self) -> float:
        """Alerts a day the threshold raises on the test rows at your volume — above :attr:`alerts_per_day` (the worked ones)
        only when the team's capacity caps them."""
        return self.raised_alerts_per_day if np.isfinite(self.raised_alerts_per_day) else self.alerts_per_day

    @property
    def over_capacity_on_test(self) -> bool:
        """Team capacity mode, and the chosen threshold raises more alerts per day on the test rows than the team can handle —
        it fitted the team on the validation rows, where it was chosen. The outcomes then count the alerts the team works."""
        return self.mode == "Team capacity" and _more(self.raised, self.capacity_per_day)

    @property
    def capped(self) -> bool:
        """The outcomes count fewer alerts than the threshold raised: the team works the highest-scored ones it has room for."""
        return self.over_capacity_on_test and self.worked_from > float("-inf")


def _more(x: float, y: float) -> bool:
    """``x`` above ``y`` as the page writes them (to one decimal): 20.04 is not "more than" 20."""
    return round(float(x), 1) > round(float(y), 1)


def _pair(x: float, y: float) -> tuple[str, str]:
    """Two alerts/day figures for one sentence: whole numbers, or as many decimals (up to 3) as it takes for them not to read
    the same — "raised 20 alerts/day — more than your capacity of 20/day" stood on the page for 20.1 against 20."""
    from usecases.core import fmt

    if fmt.count(x) != fmt.count(y):
        return fmt.count(x), fmt.count(y)
    for d in (1, 2, 3):
        if f"{x:.{d}f}" != f"{y:.{d}f}":
            break
    return f"{x:,.{d}f}", f"{y:,.{d}f}"


def capacity_messages(op: Operating, week: str = "test week") -> list[tuple[str, str]]:
    """("caption" | "warning", text) for the Overview tab about the team's capacity — what the page says under the tiles.

    In Team capacity mode the threshold is the most profitable one whose alerts fit the team on the validation rows (never
    chosen on the test rows); the tiles show the test rows. Until 2026-12-05 the page said nothing when the test rows then
    raised more (40 alerts/day against a capacity of 20 on the shipped model: 2 false alerts on the validation rows at that
    threshold, 9 on the test week) and called 20.1 "more than your team's capacity of 20"."""
    from usecases.core import fmt

    out: list[tuple[str, str]] = []
    cap = op.capacity_per_day
    if op.mode == "Team capacity" and not op.over_capacity:
        # under a cap the Alerts figure is the worked alerts: "raises 28 a day (the Alerts figure)" had stood above "raised 40"
        # "fits your team" above a warning that it raised 40 against 30 read as a contradiction (a walkthrough, 2026-12-07):
        # when the test week does not fit, the caption says so first
        out.append(("caption", (f"The profit-optimal threshold fitted your team on the validation rows only: there it raised "
                                f"{fmt.count(op.optimal_alerts_per_day)} alerts/day at your volume, within the {fmt.count(cap)} your "
                                f"investigators can handle; on the {week} it raises {fmt.count(op.raised)} a day — more than that: "
                                "see the warning on the alerts your team can work.") if op.over_capacity_on_test else
                               (f"The profit-optimal threshold fits your team: chosen on the validation rows, where it raised "
                                f"{fmt.count(op.optimal_alerts_per_day)} alerts/day at your volume, within the {fmt.count(cap)} your "
                                f"investigators can handle; on the {week} it raises {fmt.count(op.raised)} a day (the Alerts figure).")))
    if op.over_capacity:
        opt, c = _pair(op.optimal_alerts_per_day, cap)
        out.append(("warning", f"The profit-optimal threshold, chosen on the validation rows, raised {opt} alerts/day there at your volume "
                               f"— more than your team's capacity of {c}/day." +
                               (" This mode keeps to the capacity on those rows, with a higher threshold that earns less than the profit-optimal "
                                  "one would with a larger team." if op.mode == "Team capacity"
                                else " Choose “Team capacity” to stay within it, or add investigators.")))
    if op.over_capacity_on_test:
        n, c = _pair(op.raised, cap)
        # raised = worked + unworked as written: "27.6 a day — and 12.2 a day go unworked" had stood beside "raised 40" (39.8;
        # a walkthrough, 2026-12-07), so the raised figure takes the decimal the other two have
        worked, raised = round(op.alerts_per_day, 1), round(op.raised, 1)
        if "." not in n and raised != int(raised):
            n = fmt.number(raised, 1)
        v = _pair(op.validation_alerts_per_day, cap)[0]
        why = (f" ({fmt.count(op.validation_false_alerts)} false alert{'s' if op.validation_false_alerts != 1 else ''} among "
               f"{fmt.count(op.validation_legit)} legitimate validation payments at this threshold, {fmt.count(op.raised_false_alerts)} among the "
               f"{week}'{'' if week.endswith('s') else 's'} {fmt.count(op.legit)}"  # "the test rows's" (a walkthrough, 2026-12-07, later)
               + (f" — at your volume each adds about {fmt.about(op.per_legit_row_per_day)} to the average day"
                  if op.raised_false_alerts else "") + ")" if op.validation_legit else "")
        out.append(("warning", f"On the {week} this threshold raised {n} alerts/day at your volume, above your capacity of {c}/day: it was "
                               f"chosen on the validation rows, where it raised {v}{why}. Every figure here counts only the alerts your "
                               f"team can work, the highest-scored first — {fmt.number(worked, 1)} a day — and "
                               f"{fmt.number(max(raised - worked, 0.0), 1)} a day go unworked: the frauds among them are "
                               "not prevented. Add investigators, or raise the threshold under “Manual”, to stay within the capacity."))
    return out


def test_period(ev) -> tuple[str, str]:
    """("test week", "its") when the test rows are seven days (the handbook's split, or a user's file held out by time), else
    ("test rows", "their"). Every test day had been called a "test week": a user's file of 11 days, cross-validated, read "the
    recall measured on the test week" (a walkthrough, 2026-12-07)."""
    return ("test week", "its") if getattr(ev, "test_days", 0) == 7 else ("test rows", "their")


def beats_optimal(ev, a: FraudAssumptions, op: Operating, name: str = "model", week: str = "test week", short: bool = False) -> str:
    """Why a team-capacity or manual operating point can net more than the profit-optimal one — or "" when it does not.

    Until 2026-12-07 the page let a capacity of 30 a day read €11.9k a month beside the profit-optimal threshold's €10.7k
    (a walkthrough left it alone the night before) with nothing to say why "optimal" earned less: that threshold is chosen on
    the validation rows, the figures come from the test rows, and a different point can happen to do better there."""
    from usecases.core import fmt

    if op.mode == "Profit-optimal" or not op.month:
        return ""
    best = operating(ev, dataclasses.replace(a, mode="Profit-optimal"), name)
    here, there = fmt.money(op.month["net"]), fmt.money(best.month["net"])
    if not op.month["net"] > best.month["net"] or here == there:  # never "more than" of two figures that read the same
        return ""
    if short:  # Home's card: it showed the €11.9k of a team of 30 with nothing of why (a walkthrough, 2026-12-07)
        return (f"more than the profit-optimal threshold's {there} on the {week} only — a setting read off the {week}, not "
                "expected to repeat on new payments")
    how = ("working only the highest-scored alerts, as your team's capacity does," if op.capped else
           "a higher threshold" if op.threshold > best.threshold else "a lower threshold")
    return (f"On the {week} this operating point nets {here} a month, more than the profit-optimal threshold's {there}. That threshold "
            f"is chosen on the validation rows, before the {week} {'are' if week.endswith('rows') else 'is'} seen; on the {week}, {how} "
            "happens to pay more. "
            f"Choosing a setting because it reads best here would be choosing it on the {week}, so the gain would not be expected to "
            "repeat on new payments.")


def flags(ev, name: str, op_thresholds: tuple[float, ...]) -> np.ndarray:
    """The test rows flagged at these thresholds (one per fold group)."""
    t = np.asarray(op_thresholds)[np.clip(ev.test.group, 0, len(op_thresholds) - 1)]
    return ev.test.scores[name] >= t


def worked(ev, name: str, op: Operating) -> np.ndarray:
    """The flagged test rows whose alerts are counted: all of them, or under a capacity cap those the team works."""
    return flags(ev, name, op.thresholds) & (ev.test.scores[name] >= op.worked_from)


def work_from(y, score, flag, amount, a: FraudAssumptions, has_amount: bool) -> float:
    """The lowest score from which the flagged rows' alerts, highest score first, fit the team's capacity a day at your volume
    (∞: not even the top one fits). A tie at the boundary is worked whole or not at all."""
    c = cutoffs(y, np.where(flag, score, -np.inf), amount, has_amount)
    apd = monthly(c["recall"].to_numpy(), c["amount_recall"].to_numpy(), c["fpr"].to_numpy(), a)["alerts_per_day"]
    fits = np.flatnonzero((apd <= a.capacity_per_day * (1 + 1e-12)) & (c["threshold"].to_numpy() > -np.inf))
    return float(c["threshold"].iloc[fits[-1]])  # fits[0] = 0: working nothing always fits


def _rates(y, flag, amount, has_amount):
    fr = y == 1
    n_pos, n_neg = max(int(fr.sum()), 1), max(int((~fr).sum()), 1)
    recall = (flag & fr).sum() / n_pos
    a_pos = amount[fr].sum()
    amount_recall = amount[flag & fr].sum() / a_pos if has_amount and a_pos > 0 else recall
    return float(recall), float(amount_recall), float((flag & ~fr).sum() / n_neg)


def operating(ev, a: FraudAssumptions, name: str = "model") -> Operating:
    """Thresholds on ``name``'s validation rows under ``a``, outcomes on the test rows, figures at your volume."""
    val = ev.validation.get(name)
    a = manual_threshold(ev, a, name)
    if val is None or a.mode == "Manual":
        groups = np.unique(ev.test.group)
        thresholds = tuple(float(a.threshold) for _ in range(int(groups.max()) + 1 if len(groups) else 1))
        pooled, opt_apd = float(a.threshold), float("nan")
        if val is not None:
            opt_apd = choose(val.y, val.scores[name], val.amount, dataclasses.replace(a, mode="Profit-optimal"), ev.has_amount)[1]
    else:
        k = int(max(val.group.max(), ev.test.group.max())) + 1
        pooled, _, opt_apd = choose(val.y, val.scores[name], val.amount, a, ev.has_amount)
        masks = [val.group == g for g in range(k)]
        # A group holding every validation row (a hold-out) has the pooled threshold: not chosen twice.
        thresholds = tuple(pooled if m.all() else choose(val.y[m], val.scores[name][m], val.amount[m], a, ev.has_amount)[0] if m.any() else 0.5
                           for m in masks)
    flag = flags(ev, name, thresholds)
    y, amount = ev.test.y.astype(bool), ev.test.amount
    recall, amount_recall, fpr = _rates(y, flag, amount, ev.has_amount)
    month = {k: float(v) for k, v in monthly(recall, amount_recall, fpr, a).items()}
    raised, start, raised_fa = month["alerts_per_day"], float("-inf"), int((flag & ~y).sum())
    if a.mode == "Team capacity" and _more(raised, a.capacity_per_day):
        # More alerts than the team can handle: it works the highest-scored ones it has room for, and only those count.
        start = work_from(y, ev.test.scores[name], flag, amount, a, ev.has_amount)
        flag = flag & (ev.test.scores[name] >= start)
        recall, amount_recall, fpr = _rates(y, flag, amount, ev.has_amount)
        month = {k: float(v) for k, v in monthly(recall, amount_recall, fpr, a).items()}
    v_apd, v_fa, v_legit = float("nan"), 0, 0
    if val is not None:
        v_flag, v_y = val.scores[name] >= pooled, val.y.astype(bool)
        v_r, v_ar, v_fpr = _rates(v_y, v_flag, val.amount, ev.has_amount)
        v_apd, v_fa, v_legit = float(monthly(v_r, v_ar, v_fpr, a)["alerts_per_day"]), int((v_flag & ~v_y).sum()), int((~v_y).sum())
    return Operating(mode=a.mode, thresholds=thresholds, threshold=float(pooled), frauds=int(y.sum()), caught=int((flag & y).sum()),
                     false_alerts=int((flag & ~y).sum()), legit=int((~y).sum()), recall=recall, amount_recall=amount_recall, fpr=fpr,
                     month=month, capacity_per_day=a.capacity_per_day, optimal_alerts_per_day=float(opt_apd),
                     validation_alerts_per_day=v_apd, validation_false_alerts=v_fa, validation_legit=v_legit,
                     raised_alerts_per_day=float(raised), worked_from=start, raised_false_alerts=raised_fa)


# ---- the value (Home and the page) and its range ----------------------------------------------------

def _units(ev) -> np.ndarray:
    if ev.test.day is not None and len(np.unique(ev.test.day)) >= 5:
        return ev.test.day
    return np.arange(len(ev.test.y)) % 20


def bootstrap_net(ev, a: FraudAssumptions, op: Operating, name: str = "model", n: int = 1000, seed: int = 0) -> np.ndarray:
    """Monthly net value over ``n`` bootstrap resamples of test days (or row blocks) at ``op``'s thresholds (the alerts the
    team works, under a capacity cap)."""
    flag = worked(ev, name, op)
    y = ev.test.y.astype(bool)
    amount = ev.test.amount if ev.has_amount else np.ones(len(y))
    _, inv = np.unique(_units(ev), return_inverse=True)
    sums = np.stack([np.bincount(inv, w) for w in (y, flag & y, (~y), flag & ~y, amount * y, amount * (flag & y))], axis=1).astype(float)
    counts = np.random.default_rng(seed).multinomial(inv.max() + 1, np.full(inv.max() + 1, 1 / (inv.max() + 1)), size=n)
    s = counts @ sums  # (n, 6): frauds, caught, legit, false alerts, fraud amount, caught amount
    recall = s[:, 1] / np.maximum(s[:, 0], 1)
    amount_recall = np.where(s[:, 4] > 0, s[:, 5] / np.maximum(s[:, 4], 1e-12), recall)
    fpr = s[:, 3] / np.maximum(s[:, 2], 1)
    return monthly(recall, amount_recall, fpr, a)["net"]


@dataclass(frozen=True)
class Case:
    """Low / base / high: net value per month (after system cost), per year, ROI and payback."""

    monthly: tuple[float, float, float]
    annual: tuple[float, float, float]
    roi: tuple[float | None, float | None, float | None]
    payback_months: tuple[float | None, float | None, float | None]
    thresholds: tuple[float, float, float]
    # the low and high cases' own net values, where one of them is shown as the base (a high case below the base: the
    # optimistic assumptions chose another threshold on the validation rows) — the page says so beside the table
    priced: tuple[float, float, float] | None = None

    def shown_as_base(self) -> str:
        """One sentence when a low or high case is shown as the base, else ""."""
        if self.priced is None:
            return ""
        from usecases.core import fmt

        said = [f"the {w} case prices {fmt.money(p)} a month, {'above' if w == 'low' else 'below'} the base's {fmt.money(self.monthly[1])}"
                for w, p, shown in (("low", self.priced[0], self.monthly[0]), ("high", self.priced[2], self.monthly[2])) if p != shown]
        return ("Here " + " and ".join(said) + " — its assumptions choose another threshold on the validation rows — so its row shows "
                "the base's figures." if said else "")


def manual_threshold(ev, a: FraudAssumptions, name: str = "model") -> FraudAssumptions:
    """``a`` with a threshold when its mode is Manual and none is given: the profit-optimal one under ``a``, to three decimals —
    where the page's slider starts. Home had priced a link's Manual mode at a default 0.5 while the page, opened, priced
    0.91 (€9.0k against €10.7k a month; a sweep, 2026-12-05)."""
    if a.mode != "Manual" or a.threshold is not None:
        return a
    opt = operating(ev, dataclasses.replace(a, mode="Profit-optimal"), name)
    return dataclasses.replace(a, threshold=float(min(1.0, round(opt.threshold, 3))))


def case(ev, a: FraudAssumptions, name: str = "model") -> Case:
    """Base: base assumptions on the test rows. Low/high: the assumptions' low/high values (threshold chosen
    again under them) and the 5th/95th percentile of a bootstrap over test days."""
    a = manual_threshold(ev, a, name)  # chosen once, under the base assumptions, as the page's slider is
    out = {}
    for which in business.SCENARIOS:
        aa = business.scenario(a, which)
        op = operating(ev, aa, name)
        if which == "base":
            net = op.month["net"]
        else:
            boot = bootstrap_net(ev, aa, op, name)
            net = float(np.quantile(boot, 0.05 if which == "low" else 0.95))
        out[which] = (net, 12 * net, *business.year_one(net + aa.yearly_system_cost / 12, aa.yearly_system_cost / 12), op.threshold)
    lo, base, hi = (out[w] for w in business.SCENARIOS)
    # A low case above the base (or a high case below it) is shown as the base — its ROI and payback too: only the net had
    # been clamped, so one row read the base's net beside another ROI (−€13.1k with −151 % against −63 %; a sweep, 2026-12-05).
    priced = (lo[0], base[0], hi[0])
    lo, hi = (lo if lo[0] <= base[0] else base), (hi if hi[0] >= base[0] else base)
    monthly = (lo[0], base[0], hi[0])
    return Case(monthly=monthly, annual=tuple(12 * m for m in monthly), roi=(lo[2], base[2], hi[2]),
                payback_months=(lo[3], base[3], hi[3]), thresholds=(lo[4], base[4], hi[4]),
                priced=priced if priced != monthly else None)


def peer_money(ev, a: FraudAssumptions, model_case: Case | None = None) -> tuple[list[dict], str]:
    """Every scored model at its own threshold (chosen on its validation rows) under the same assumptions:
    net value per month at your volume, alerts a day, precision and frauds caught a month — and one
    sentence saying whether a peer earns more than the model and whether that is outside the model's range
    (``model_case``: the model's :func:`case` under ``a`` when the caller has it already)."""
    from usecases.core import fmt

    from .peers import LABELS

    a = manual_threshold(ev, a)  # Manual without a threshold: every model at the model's, as the page's slider starts
    rows, ops = [], []
    for name in ev.test.scores:
        if name != "model" and name not in ev.validation:
            continue
        op = operating(ev, a, name)
        ops.append(op)
        rows.append({"name": name, "Model": "PyTorch model" if name == "model" else LABELS.get(name, name),
                     "net": op.month["net"], "alerts_per_day": op.alerts_per_day, "precision": op.precision,
                     "precision_text": op.precision_text,
                     "caught": op.month["caught"], "threshold": op.threshold, "thresholds": tuple(op.thresholds), "over_capacity": op.over_capacity_on_test,
                     "raised_per_day": op.raised, **_validation_alerts(ev, name, op)})
    # one number of decimals for the column: "1 %" had stood beside "0.6 %" and "0.8 %" (an analyst walkthrough, 2026-12-07)
    shown = [op.precision if op.precision_floor is None else op.precision_floor for op in ops]
    digits = 1 if any(x is not None and np.isfinite(x) and 0 < x < 0.1 for x in shown) else 0
    for r, op in zip(rows, ops):
        r["precision_text"] = op.precision_at(digits)
    rows.sort(key=lambda r: -r["net"])
    model = next(r for r in rows if r["name"] == "model")
    best = rows[0]
    # When every model loses money after the running cost, "earns the most" read as good news beside four negative figures.
    none_pays = (f"At these assumptions no model pays for the system's running cost ({fmt.money(a.yearly_system_cost / 12)} a month): "
                 if best["net"] < 0 else "")
    basis, over = peer_basis(a, rows)
    over += beyond_team(a, rows)
    # Models whose net is the best one to the euro are named together: with every model flagging nothing (Caravan at the
    # default fraud rate) the model "lost the least" while all four lost exactly the running cost (a walkthrough, 2026-12-07).
    tied = [r for r in rows if round(r["net"]) == round(best["net"])]
    if len(tied) > 1 and any(r["name"] == "model" for r in tied):
        names = [("the model" if r["name"] == "model" else f"the {plain_name(r['Model'])}")
                 for r in sorted(tied, key=lambda r: r["name"] != "model")]
        who = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 2 else " and ".join(names)
        idle = all(r["alerts_per_day"] == 0 for r in tied)
        verb = "lose" if best["net"] < 0 else "earn"
        return rows, ((none_pays + f"{who} {verb}" if none_pays else f"At these assumptions {who} earn")
                      + f" the same, {fmt.money(abs(best['net']) if best['net'] < 0 else best['net'])} a month, {basis}"
                      + (" — each flags nothing here, so the figure is the system's running cost alone and the money "
                         "does not tell them apart" if idle else " — a tie in money") + "." + over)
    if best["name"] == "model":
        if none_pays:
            return rows, (none_pays + f"the model loses the least of the {len(rows)} ({fmt.money(model['net'])} a month), "
                          f"{basis}.") + over
        # the model's lead was never set against its range, as a peer's is below: fr2000's €9.8k "earns the most" stood beside
        # LightGBM's win on average precision in all five folds (a walkthrough, 2026-12-07)
        lo, _, hi = (model_case or case(ev, a)).monthly
        second = rows[1] if len(rows) > 1 else None
        lead = ""
        if second is not None:  # written so that it adds up to the model's figure: "€1.7k more than the random forest (€8.9k)"
            # stood beside the model's €10.7k (€10,690 − €8,945 = €1,745; a walkthrough, 2026-12-07)
            s_second, s_more, _ = fmt.money_sum([second["net"], model["net"] - second["net"]], model["net"])
            lead = (f" — {s_more} a month more than the {plain_name(second['Model'])} "
                    f"({s_second}), " + ("inside the model's range (a tie in money)" if lo <= second["net"] <= hi
                                                        else "outside the model's range"))
        unmeasured = (" Its alerts hold no false alert among the test rows, so the false alerts it would raise at your volume — "
                      "and what they cost — rest on none observed (see its precision, a floor): the ranking rests on that too."
                      if str(model["precision_text"]).startswith("≥") else "")
        return rows, f"At these assumptions the model earns the most of the {len(rows)} models, {basis}{lead}." + unmeasured + over
    lo, _, hi = (model_case or case(ev, a)).monthly
    inside = lo <= best["net"] <= hi
    peer = plain_name(best["Model"])
    s_model, diff, s_best = fmt.money_sum([model["net"], best["net"] - model["net"]], best["net"])  # adds up as written
    return rows, ((none_pays + f"the {peer} loses {diff} a month less than the model" if none_pays else
                   f"At these assumptions the {peer} earns {diff} a month more than the model")
                  + f" ({s_best} vs {s_model}), {basis} — "  # "its own threshold" had stood beside one manual one
                  + ("inside the model's range (a tie in money)." if inside else "outside the model's range: on this money, the peer is better.")
                  + over)


def _validation_alerts(ev, name: str, op: Operating) -> dict:
    """The alerts ``name``'s thresholds raise on its own validation rows (each fold's threshold on that fold's rows), the
    false ones among them, and what one legitimate test row flagged stands for a day at your volume."""
    val = ev.validation.get(name)
    if val is None:
        return {}
    t = np.asarray(op.thresholds)[np.clip(val.group, 0, len(op.thresholds) - 1)]
    flag = val.scores[name] >= t
    return {"val_alerts": int(flag.sum()), "val_false_alerts": int((flag & (val.y != 1)).sum()),
            "test_false_alerts": op.false_alerts, "per_legit_row_per_day": op.per_legit_row_per_day}


def beyond_team(a: FraudAssumptions, rows: list[dict]) -> str:
    """Outside the Team capacity mode (which heeds it), a sentence naming the models whose threshold raises more alerts a day
    than the team can work — and, when their thresholds flagged only frauds on their validation rows but legitimate test rows
    too, why that loses money. A 5-fold file at 1.5 frauds in 10,000 had shown every peer "at its own profit-optimal threshold"
    losing −€47k to −€110k with 123–423 alerts a day beside a team of 160, unexplained (an analyst walkthrough, 2026-12-07)."""
    from usecases.core import fmt

    if a.mode == "Team capacity":
        return ""
    over = [r for r in rows if _more(r["alerts_per_day"], a.capacity_per_day)]
    if not over:
        return ""
    name = lambda r: "the model" if r["name"] == "model" else f"the {plain_name(r['Model'])}"  # noqa: E731
    said = ", ".join(f"{name(r)} raises {alerts_text(r['alerts_per_day'])}" for r in over)
    out = (f" On the test rows {said} alerts a day — more than your team's {fmt.count(a.capacity_per_day)} a day can work: "
           + ("a profit-optimal threshold does not heed the team (the Team capacity mode does)" if a.mode != "Manual" else
              "the manual threshold does not heed the team (the Team capacity mode does)")
           + ", so these figures count alerts nobody would work, and their cost.")
    lucky = [r for r in over if r.get("val_alerts") and not r.get("val_false_alerts") and r.get("test_false_alerts")]
    if lucky and a.mode != "Manual":
        per = max(r["per_legit_row_per_day"] for r in lucky)
        out += (f" {'Their thresholds' if len(lucky) > 1 else 'Its threshold'} ({', '.join(name(r) for r in lucky)}) flagged only "
                f"frauds among the validation rows ({', '.join(fmt.count(r['val_alerts']) for r in lucky)} alert"
                f"{'s' if len(lucky) > 1 or lucky[0]['val_alerts'] != 1 else ''}, none false) — at {rate_words(a)} payments an alert "
                "pays only when it is almost surely a fraud — and legitimate test rows too, each standing for about "
                f"{fmt.about(per)} false alerts a day at your volume: a threshold resting on so few alerts does not carry over, and "
                f"flagging nothing would lose only the running cost ({fmt.money(-a.yearly_system_cost / 12)} a month).")
    return out


def money_word(rows: list[dict], c: "Case") -> str:
    """Home's and the portfolio report's short word on :func:`peer_money`'s ``rows``: whether the next model in money is a tie
    with the model (inside its low–high range) or better — "" when the model leads outside its range. Home had said "PyTorch
    detector wins" beside €10.7k while the page called the random forest's €8.9k a tie in money (a walkthrough, 2026-12-07)."""
    from usecases.core import fmt

    if len(rows) < 2:
        return ""
    lo, _, hi = c.monthly
    model = next(r for r in rows if r["name"] == "model")
    other = rows[1] if rows[0]["name"] == "model" else rows[0]
    peer, inside = plain_name(other["Model"]), lo <= other["net"] <= hi
    if rows[0]["name"] == "model":
        return f"in money a tie with the {peer} ({fmt.money(other['net'])} a month, inside the model's range)" if inside else ""
    return (f"in money a tie with the {peer}, which earns {fmt.money(other['net'])} a month (inside the model's range)" if inside else
            f"in money the {peer} is better: {fmt.money(other['net'])} a month against the model's {fmt.money(model['net'])}, outside "
            "the model's range")


def plain_name(label: str) -> str:
    """A peer's label inside a sentence: "Random forest (tuned)" → "random forest", "LightGBM (…)" → "LightGBM" (it had
    read "the lightgbm 8")."""
    name = re.sub(r"\s*\(.*\)$", "", label)
    first = name.split(" ")[0]
    return name if any(ch.isupper() for ch in first[1:]) else name[:1].lower() + name[1:]


def alerts_text(x: float) -> str:
    """Alerts a day as every fraud table and tile writes them: whole numbers, one decimal below 10 — "0 alerts/day" had stood
    beside "7 frauds caught a month" (0.23 a day)."""
    from usecases.core import fmt

    return fmt.count(x) if not np.isfinite(x) or abs(x) >= 10 else fmt.number(x, 1)


def thresholds_text(pooled: float, per_fold) -> str:
    """The Threshold cell of a model: the one new payments are scored at, and, when the test rows were flagged at per-fold
    thresholds that differ from it, their range — "1.000" had stood beside 123 alerts a day, raised by folds whose own
    validation rows chose a threshold below 1 (seen in a screenshot, 2026-12-07)."""
    folds = sorted({float(t) for t in per_fold})
    if not folds or (len(folds) == 1 and threshold_text(folds[0]) == threshold_text(pooled)):
        return threshold_text(pooled)
    span = threshold_text(folds[0]) if len(folds) == 1 else f"{threshold_text(folds[0])}–{threshold_text(folds[-1])}"
    return f"{threshold_text(pooled)} (test rows: {span} per fold)"


def counted_at(op: "Operating") -> str:
    """Which thresholds the test rows' counts (the confusion matrix) were taken at: "at threshold 0.954", or "at each fold's own
    threshold (0.932–0.955)" when the folds' thresholds are not the one new payments are scored at — a 5-fold file's matrix
    had been titled "counted at threshold 0.954" above counts taken at 0.932 to 0.955 (an analyst walkthrough, 2026-12-07)."""
    folds = sorted({float(t) for t in op.thresholds})
    if not folds or (len(folds) == 1 and threshold_text(folds[0]) == threshold_text(op.threshold)):
        return f"at threshold {threshold_text(op.threshold)}"
    span = threshold_text(folds[0]) if len(folds) == 1 else f"{threshold_text(folds[0])}–{threshold_text(folds[-1])}"
    return f"at each fold's own threshold ({span})"


def threshold_text(t: float) -> str:
    """A threshold to three decimals, or four when three would read 1.000 (flag nothing) for 0.9999."""
    return f"{t:.3f}" if t >= 1 or f"{t:.3f}" != "1.000" else f"{t:.4f}" if f"{t:.4f}" != "1.0000" else f"{t:.6f}"


def peer_basis(a: FraudAssumptions, rows: list[dict]) -> tuple[str, str]:
    """How :func:`peer_money` prices every model ("each at its own …"), and a sentence naming the models whose threshold
    raises more alerts on the test rows than the team can handle ("" if none). Until 2026-12-05 the page said "each at its
    own profit-optimal threshold" in every mode — in Team capacity mode each is at the most profitable threshold that fits
    the team on its own validation rows, and in Manual mode every model is at the one manual threshold."""
    from usecases.core import fmt

    if a.mode == "Manual":
        return f"each at the manual threshold {fmt.metric(a.threshold)}", ""
    if a.mode != "Team capacity":
        return "each at its own profit-optimal threshold (chosen on its validation rows)", ""
    cap = fmt.count(a.capacity_per_day)
    basis = f"each at its own most profitable threshold whose alerts fit your team's {cap} a day on its validation rows"
    over = [r for r in rows if r.get("over_capacity")]
    if not over:
        return basis, ""
    said = ", ".join(f"the {'model' if r['name'] == 'model' else plain_name(r['Model'])} "
                     f"{_pair(r.get('raised_per_day', r['alerts_per_day']), a.capacity_per_day)[0]}" for r in over)
    return basis, (f" On the test rows these raise more alerts a day than your capacity of {cap}: {said} — each is priced on the "
                   "alerts the team can work, highest score first (the Alerts / day column), and the frauds among the rest are not "
                   "prevented.")


def value(evaluation, assumptions: FraudAssumptions) -> Value:
    """Monthly net value at your volume after the system's running cost (low, base, high) — Home and the page. Absurd
    assumptions are refused (``business.check``): built in Python they had given a negative volume €34.9M a month."""
    from usecases.core import fmt

    business.check(assumptions)
    assumptions = manual_threshold(evaluation, assumptions)
    c = case(evaluation, assumptions)
    op = operating(evaluation, assumptions)
    running = tuple(business.scenario(assumptions, w).yearly_system_cost / 12.0 for w in business.SCENARIOS)
    # figures that add up as written (the net is the prevented losses less the other two, so rounding each on its own could not)
    said = fmt.money_sum([op.month["prevented"], -(op.month["prevented"] - op.month["gross"]), -assumptions.yearly_system_cost / 12.0],
                         op.month["net"])
    return Value(usecase="fraud", title="Fraud detection", monthly=c.monthly, upfront=(0.0, 0.0, 0.0), running=running,
                 # the net beside it worked out from the losses prevented: Home had shown "€39.1k … prevented" under a net of
                 # €10.7k and named neither the alerts' handling nor the running cost between them (a walkthrough, 2026-12-05)
                 headline=f"{said[0]}/month of fraud losses prevented − {said[1].lstrip('−')} "
                          f"alert handling − {said[2].lstrip('−')} running cost = {said[3]} net, "
                          f"at {alerts_text(op.alerts_per_day)} alerts/day "
                          f"({assumptions.mode.lower()} threshold, your volume and fraud rate"
                          + (f"; the threshold raised {_pair(op.raised, op.capacity_per_day)[0]} a day on the test rows, above your team's "
                             f"capacity of {_pair(op.raised, op.capacity_per_day)[1]}, and only the highest-scored ones it can work are counted"
                             if op.over_capacity_on_test else "") + ")"
                          + (f"; {more}" if (more := beats_optimal(evaluation, assumptions, op, week=test_period(evaluation)[0], short=True)) else "")
                          + (f"; {money}" if (money := money_word(peer_money(evaluation, assumptions, c)[0], c)) else ""))


def money_share_text(op: "Operating", a: FraudAssumptions) -> str:
    """The share of fraud money flagged, with as many decimals as it takes for "share × frauds a month × amount × recovered"
    to give the losses prevented as written: "75 % × 1,500 frauds a month × €87 × 80 % recovered = €78.2k" multiplied out to
    €78.3k (74.6 % had been rounded to 75 %; a walkthrough, 2026-12-07)."""
    from usecases.core import fmt

    def shown(text: str) -> float:  # the number a count, amount or per-cent text shows
        return float(text.replace(",", "").removesuffix(" %")) / (100 if text.endswith(" %") else 1)

    target = fmt.money(op.month["prevented"])
    try:
        factors = shown(fmt.count(op.month["frauds"])) * shown(fmt.number(a.avg_fraud_amount)) * shown(fmt.rate(a.recovery_share))
        # up to four decimals: 1 of 517 frauds read "0.2 %" beside "× 750 × €87 × 80 % = €101", which multiplies out to €104
        # (0.193 % does; an analyst walkthrough, 2026-12-07)
        for digits in (0, 1, 2, 3, 4):
            text = fmt.rate(op.amount_recall, digits)
            product = shown(text) * factors
            # on either side of a rounding tie too: 75 % × 750 × €87 × 80 % is €39,150, which a reader rounds to €39.2k while
            # the float 39.15 formats as "39.1" (a walkthrough, 2026-12-07)
            if all(fmt.money(product * (1 + e)) == target for e in (-1e-9, 0.0, 1e-9)):
                return text
    except ValueError:  # "< 0.1 %", "> 99.9 %": no plain number to multiply out
        pass
    return fmt.rate(op.amount_recall)


def no_fraud_money(ev) -> str:
    """Why the losses prevented count each fraud at the assumed average amount, not the money the file's frauds moved: the
    file has no amount column, or every fraud of its test rows has an amount of 0 ("" when their money is counted). With no
    fraud money the shares fall back to shares of frauds (:func:`cutoffs`), which the page had called "1.69 % of the fraud
    money flagged" on AER::CreditCard's declined applications, each of €0 (an analyst walkthrough, 2026-12-07, later)."""
    if not ev.has_amount:
        return "the file has no amount column"
    if not (np.asarray(ev.test.amount)[np.asarray(ev.test.y) == 1] > 0).any():
        return "every fraud in the file has an amount of 0"
    return ""


def prevented_text(op: "Operating", a: FraudAssumptions, has_amount: bool = True, no_money: str = "") -> str:
    """The Overview's "**Losses prevented** = share × frauds a month × amount × recovered = €…", multiplying out as written.
    Without an amount column the share is one of frauds, not of fraud money: a file without one (its "Montant (EUR)" not yet
    read as the amount) had read "0.2 % of the fraud money flagged" (an analyst walkthrough, 2026-12-07). ``no_money``
    (:func:`no_fraud_money`) says why there is no fraud money, where there is an amount column."""
    from usecases.core import fmt

    share = money_share_text(op, a)
    if not has_amount and not no_money:
        no_money = "the file has no amount column"
    if not no_money:
        head = (f"{share} of the fraud money flagged"
                + (f" (more than the {fmt.rate(op.recall)} of frauds: larger frauds are caught more often)" if op.amount_recall > op.recall + 0.005 else
                   f" (less than the {fmt.rate(op.recall)} of frauds: smaller frauds are caught more often)" if op.amount_recall < op.recall - 0.005 else ""))
    else:
        head = f"{share} of the frauds flagged ({no_money}, so every fraud counts at the average amount)"
    return (f"**Losses prevented** = {head} × {fmt.count(op.month['frauds'])} frauds a month × €{fmt.number(a.avg_fraud_amount)} × "
            f"{fmt.rate(a.recovery_share)} recovered = {fmt.money(op.month['prevented'])}.")


def pr_caption(op: Operating, week: str = "test rows") -> str:
    """The caption of the precision–recall chart in the report: the test rows' fraud mix beside the Overview's precision at
    your rate — or, when the operating point flags no test payment, that there is none to set beside it. A 5-fold file whose
    profit-optimal thresholds flagged none of its test rows (at 1.5 frauds in 10,000 payments no alert paid for itself) had
    read "the same alerts are — fraud" (an analyst walkthrough, 2026-12-07)."""
    from usecases.core import fmt

    head = f"Precision–recall curves on the {week}, where {fmt.rate(op.test_fraud_share, 1)} of payments are fraud — "
    if op.month["alerts"] > 0:
        return head + f"at your fraud rate the same alerts are {op.precision_text} fraud (the Overview's precision)"
    return head + ("the operating point flags none of them, so the Overview has no precision at your fraud rate to set beside "
                   "these curves (no alert is raised)")


def bootstrap_words(ev) -> str:
    """What the low/high range resamples, as :func:`bootstrap_net` does: test days, or blocks of test rows when the file has
    no days. A cross-validated featurised file had read "a bootstrap over test days" (an analyst walkthrough, 2026-12-07)."""
    if ev.test.day is not None and len(np.unique(ev.test.day)) >= 5:
        return "a bootstrap over test days"
    return f"a bootstrap over {len(np.unique(_units(ev)))} blocks of test rows (the file has no days to resample)"


def curve_words(op: Operating, week: str) -> str:
    """The profit curve's caption: where its marker comes from. "… a profit no new week would repeat" had been said of a
    cross-validated file without weeks (an analyst walkthrough, 2026-12-07)."""
    if op.mode == "Manual":
        return ("The curve is drawn on the test rows; the marker is your manual threshold, the same in every scenario and for every "
                "model compared.")
    again = "no new week would repeat" if week == "test week" else "new payments would not repeat"
    return ("The curve is drawn on the test rows; the threshold was chosen on the validation rows, so the marker need not sit at "
            f"the curve's peak — a threshold picked at the test rows' peak would report a profit {again}.")


def metrics_caption(ev, metrics) -> str:
    """The caption under the Model tab's table: its metrics, and the published rows only when the table holds them. It had
    named the simulation's card precision@100 and Le Borgne et al.'s rows under a user's file's table holding neither (an
    analyst walkthrough, 2026-12-07)."""
    named = ["Average precision (primary)", "AUC ROC" if "auc_roc" in metrics else ""]
    if "card_precision@100" in metrics:
        named.append("the handbook's card precision@100 (daily mean)")
    named = [n for n in named if n]
    out = (", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]) + ". Peers are tuned on inner validation rows of the same training rows."
    if ev.published:
        out += (" Published rows: Le Borgne et al., handbook chapter 5, their own run of the same simulator design (for orientation, "
                "not a comparison on our rows).")
    return out
