"""Data for the fraud page's charts, at the user's volume: the profit curve and its readable range, outcomes per
day, the confusion matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .assumptions import DAYS_PER_MONTH, FraudAssumptions
from .business import Operating, cutoffs, monthly, worked

def profit_curve(ev, a: FraudAssumptions, op: Operating, name: str = "model", points: int = 400) -> tuple[pd.DataFrame, tuple[float, float]]:
    """Net value per month (after system cost) and alerts/day at your volume for the thresholds on the test rows,
    clipped to a readable x-range (see :func:`curve_range`) and thinned to ``points`` rows inside it."""
    c = cutoffs(ev.test.y, ev.test.scores[name], ev.test.amount, ev.has_amount)
    m = monthly(c["recall"].to_numpy(), c["amount_recall"].to_numpy(), c["fpr"].to_numpy(), a)
    df = pd.DataFrame({"threshold": c["threshold"], "alerts_per_day": m["alerts_per_day"], "net": m["net"], "recall": c["recall"],
                       "precision": np.divide(m["caught"], m["alerts"], out=np.full(len(c), np.nan), where=m["alerts"] > 0)})
    x_range = curve_range(df, op)
    inside = df[df["alerts_per_day"] <= x_range[1]].reset_index(drop=True)
    if len(inside) > points:  # thin evenly along the x-axis, keeping the peak
        grid = np.linspace(0, x_range[1], points)
        keep = np.unique(np.r_[np.searchsorted(inside["alerts_per_day"].to_numpy(), grid).clip(0, len(inside) - 1), int(inside["net"].idxmax())])
        inside = inside.iloc[keep].reset_index(drop=True)
    return inside, x_range


def curve_range(curve: pd.DataFrame, op: Operating) -> tuple[float, float]:
    """A linear x-range (alerts/day) that shows the optimum and the chosen point with room to spare — and the
    team's capacity when it is near them — without the long tail of flag-almost-everything thresholds."""
    best = float(curve.loc[curve["net"].idxmax(), "alerts_per_day"]) if len(curve) else 0.0
    core = max([best, op.alerts_per_day, *([op.optimal_alerts_per_day] if np.isfinite(op.optimal_alerts_per_day) else []), 1.0])
    hi = 2.0 * core
    if 0 < op.capacity_per_day <= 3 * core:
        hi = max(hi, 1.25 * op.capacity_per_day)
    steps = curve["alerts_per_day"].to_numpy()  # ascending: thresholds from "flag nothing" down
    if (steps <= hi).sum() < 3 and len(steps) >= 3:  # a point or two: no curve
        # Flagging nothing was best and each legitimate test row stands for many alerts a day at your volume (≈ 18 for 9,340
        # of them at 5 M payments a month): an axis of 0–2 alerts a day held the one point (0, −€20.8k) and no curve, while
        # the caption put the team's 160 beyond its edge (an analyst walkthrough, 2026-12-07). It reaches the tenth step.
        hi = max(hi, float(steps[min(FEW_POINTS, len(steps)) - 1]))
        if 0 < op.capacity_per_day <= 3 * hi:
            hi = max(hi, 1.25 * op.capacity_per_day)
    return 0.0, float(min(hi, max(curve["alerts_per_day"].max(), 1.0)))


FEW_POINTS = 10  # the steps an x-range holding a point or two of the curve is widened to


def daily_outcomes(ev, a: FraudAssumptions, op: Operating, name: str = "model") -> pd.DataFrame:
    """Caught / missed / false alerts per test day, each test day rescaled to a day at your volume and fraud rate
    (so the bars and the KPIs share one scale); under a capacity cap only the alerts the team works count, so a fraud among the
    unworked ones is missed. Columns: day (a date, or "day N"), outcome, per_day. Empty without days."""
    if ev.test.day is None:
        return pd.DataFrame(columns=["day", "outcome", "per_day"])
    y = ev.test.y.astype(bool)
    flag = worked(ev, name, op)
    days = max(len(np.unique(ev.test.day)), 1)
    frauds_day = a.fraud_rate_bps / 1e4 * a.monthly_transactions / DAYS_PER_MONTH
    legit_day = a.monthly_transactions / DAYS_PER_MONTH - frauds_day
    w = np.where(y, frauds_day / max(y.sum() / days, 1e-9), legit_day / max((~y).sum() / days, 1e-9))
    df = pd.DataFrame({"day": ev.test.day, "Caught": w * (flag & y), "Missed": w * (~flag & y), "False alerts": w * (flag & ~y)})
    df = df.groupby("day").sum().reset_index()
    # How coarse the bars are: one test row of each class stands for this many a day at your volume.
    step = {"test_false_alerts": int((flag & ~y).sum()), "per_false_alert": float(legit_day / max((~y).sum() / days, 1e-9)),
            "test_frauds": int(y.sum()), "per_fraud": float(frauds_day / max(y.sum() / days, 1e-9))}
    if ev.layout == "handbook":  # days since 1970-01-01
        df["day"] = pd.to_datetime(df["day"], unit="D").dt.strftime("%a %-d %b %Y")
    else:
        df["day"] = "day " + (df["day"] - df["day"].min() + 1).astype(str)
    out = df.melt(id_vars="day", var_name="outcome", value_name="per_day")
    out.attrs.update(step)
    return out


def confusion(op: Operating) -> np.ndarray:
    """Test-row counts: rows = legitimate / fraud, columns = not flagged / flagged."""
    return np.array([[op.legit - op.false_alerts, op.false_alerts], [op.missed, op.caught]])
