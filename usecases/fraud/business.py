"""Fraud business case: a payoff matrix → profit curve → monthly and annual value, ROI, payback.

For an alert threshold τ, over the scored test transactions:

* a caught fraud (score ≥ τ, fraud) saves ``recovery_share × amount`` and costs one investigation;
* a false alert (score ≥ τ, legitimate) costs one investigation and ``false_alert_cost`` of
  customer goodwill;
* a missed fraud costs its amount — as it would without the model, so it does not change the
  *difference* the model makes, which is what we report:

    value(τ) = recovery_share · Σ amount(caught) − cost_per_alert · alerts − false_alert_cost · false alerts

Per-test-transaction value is scaled to the user's monthly volume (assuming their fraud rate and
amounts resemble the test data — an assumption the page states). The range combines the
assumptions' low/high values with a bootstrap over test days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from usecases.core import business
from usecases.core.business import assumption


@dataclass(frozen=True)
class FraudAssumptions:
    recovery_share: float = assumption(
        0.8, label="Value recovered per caught fraud", unit="share of amount", low=0.6, high=0.95, min=0.0, max=1.0, step=0.05,
        help="Share of a caught fraud's amount that is not lost (payment blocked or charged back).",
    )
    cost_per_alert: float = assumption(
        5.0, label="Cost per investigated alert", unit="€", low=8.0, high=3.0, min=0.0, max=10_000.0, step=0.5,
        help="Analyst time and tooling per alert, e.g. 7 minutes at €45/h ≈ €5.",
    )
    false_alert_cost: float = assumption(
        2.0, label="Cost of a false alert to the customer relationship", unit="€", low=5.0, high=1.0, min=0.0, max=10_000.0, step=0.5,
        help="Friction of a blocked legitimate payment: support call, card re-issue, churn risk.",
    )
    monthly_transactions: float = assumption(
        5_000_000, label="Card transactions per month", unit="transactions", min=1.0, max=1e11, step=100_000.0,
        help="Your volume; value per test transaction is scaled to it.",
    )
    yearly_system_cost: float = assumption(
        250_000.0, label="Yearly cost of the system", unit="€/year", low=350_000.0, high=180_000.0, min=0.0, max=1e10, step=10_000.0,
        help="Licences, hosting, model upkeep and monitoring.",
    )
    investigators: float = assumption(
        4, label="Investigators", unit="people", min=0.0, max=10_000.0, step=1.0,
        help="Used in capacity mode: the threshold is set so daily alerts fit the team.",
    )
    cases_per_day: float = assumption(
        40, label="Cases per investigator per day", unit="cases", min=0.0, max=10_000.0, step=5.0,
    )


@dataclass
class Operating:
    """Figures at one threshold over the test set (not yet scaled to the user's volume)."""

    threshold: float
    alerts: int
    caught: int
    false_alerts: int
    missed: int
    caught_amount: float
    missed_amount: float
    value: float  # the formula in the module docstring, over the test set
    precision: float
    recall: float
    alerts_per_day: float
    days: float
    transactions: int

    @property
    def value_per_transaction(self) -> float:
        return self.value / max(1, self.transactions)


def _value(a: FraudAssumptions, caught_amount, alerts, false_alerts):
    return a.recovery_share * caught_amount - a.cost_per_alert * alerts - a.false_alert_cost * false_alerts


def operating_point(y: np.ndarray, score: np.ndarray, amount: np.ndarray, threshold: float, a: FraudAssumptions, days: float) -> Operating:
    flag = score >= threshold
    y = y.astype(bool)
    caught = int((flag & y).sum())
    fa = int((flag & ~y).sum())
    missed = int((~flag & y).sum())
    ca = float(amount[flag & y].sum())
    ma = float(amount[~flag & y].sum())
    alerts = caught + fa
    return Operating(
        threshold=float(threshold), alerts=alerts, caught=caught, false_alerts=fa, missed=missed,
        caught_amount=ca, missed_amount=ma, value=float(_value(a, ca, alerts, fa)),
        precision=caught / alerts if alerts else float("nan"), recall=caught / max(1, caught + missed),
        alerts_per_day=alerts / max(days, 1e-9), days=days, transactions=len(y),
    )


def profit_curve(y: np.ndarray, score: np.ndarray, amount: np.ndarray, a: FraudAssumptions, days: float, points: int = 400) -> pd.DataFrame:
    """Value over the test set at every distinct cut-off (thinned to ``points`` rows for plotting).

    Sorting once and taking prefix sums gives every threshold in O(n log n).
    """
    order = np.argsort(-score, kind="mergesort")
    s, yy, am = score[order], y[order].astype(float), amount[order]
    tp = np.cumsum(yy)
    alerts = np.arange(1, len(s) + 1, dtype=float)
    ca = np.cumsum(am * yy)
    # Only cut where the score changes (ties are flagged together).
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    tp, alerts, ca, s = tp[last_of_tie], alerts[last_of_tie], ca[last_of_tie], s[last_of_tie]
    fa = alerts - tp
    val = _value(a, ca, alerts, fa)
    df = pd.DataFrame({
        "threshold": s, "alerts": alerts, "caught": tp, "false_alerts": fa, "value": val,
        "alerts_per_day": alerts / max(days, 1e-9), "precision": tp / alerts, "recall": tp / max(1.0, yy.sum()),
    })
    # Add the "flag nothing" point.
    df = pd.concat([pd.DataFrame({"threshold": [np.inf], "alerts": [0.0], "caught": [0.0], "false_alerts": [0.0], "value": [0.0],
                                  "alerts_per_day": [0.0], "precision": [np.nan], "recall": [0.0]}), df], ignore_index=True)
    if len(df) > points:
        keep = np.unique(np.r_[np.linspace(0, len(df) - 1, points).astype(int), int(df["value"].idxmax())])
        df = df.iloc[keep].reset_index(drop=True)
    return df


def optimal_threshold(y, score, amount, a: FraudAssumptions, days: float) -> float:
    """The threshold with the highest value (ties: the higher threshold, i.e. fewer alerts)."""
    curve = profit_curve(y, score, amount, a, days, points=10**9)
    best = curve["value"].max()
    row = curve[curve["value"] == best].iloc[0]
    return float(row["threshold"]) if np.isfinite(row["threshold"]) else float(np.max(score) + 1e-6)


def capacity_threshold(score: np.ndarray, days: float, alerts_per_day: float) -> float:
    """The lowest threshold whose expected alerts per day fit the team's capacity."""
    k = int(np.floor(alerts_per_day * days))
    if k <= 0:
        return float(np.max(score)) + 1e-6
    if k >= len(score):
        return float(np.min(score))
    s = np.sort(score)[::-1]
    # Flag the top k; if the k-th score ties with the next one, move up to keep within capacity.
    t = s[k - 1]
    if s[k] == t:
        higher = s[s > t]
        t = float(higher.min()) if len(higher) else t
    return float(t)


@dataclass
class ScaledValue:
    monthly: tuple[float, float, float]  # low, base, high
    annual: tuple[float, float, float]
    roi: tuple[float | None, float | None, float | None]
    payback_months: tuple[float | None, float | None, float | None]


def scale(y, score, amount, day, threshold: float, a: FraudAssumptions, *, seed: int = 0) -> ScaledValue:
    """Monthly/annual value at ``threshold`` with a low/base/high range.

    Base: base assumptions, observed test value. Low/high: the assumptions' low/high values and the
    5th/95th percentile of a bootstrap over test days of the value per transaction.
    """
    days = np.unique(day)
    flag = score >= threshold
    out = {}
    for which in business.SCENARIOS:
        aa = business.scenario(a, which)
        per_day = []
        for d in days:
            m = day == d
            yy, ff, am = y[m].astype(bool), flag[m], amount[m]
            v = _value(aa, am[ff & yy].sum(), ff.sum(), (ff & ~yy).sum())
            per_day.append(v / max(1, m.sum()))
        lo, mean, hi = business.bootstrap_mean_interval(per_day, seed=seed)
        # Weight days by their size for the point estimate (= value / transactions overall).
        point = float(_value(aa, amount[flag & y.astype(bool)].sum(), flag.sum(), (flag & ~y.astype(bool)).sum()) / max(1, len(y)))
        per_tx = {"low": lo, "base": point, "high": hi}[which]
        monthly = per_tx * aa.monthly_transactions
        out[which] = (monthly, monthly * 12, business.roi(monthly * 12, aa.yearly_system_cost), business.payback_months_simple(monthly * 12, aa.yearly_system_cost))
    return ScaledValue(
        monthly=tuple(out[w][0] for w in business.SCENARIOS),
        annual=tuple(out[w][1] for w in business.SCENARIOS),
        roi=tuple(out[w][2] for w in business.SCENARIOS),
        payback_months=tuple(out[w][3] for w in business.SCENARIOS),
    )
