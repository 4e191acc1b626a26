"""The portfolio: every use case's monthly net value (its own ``value()`` under its page's
assumptions) ramped up over an adoption period, discounted to NPV with a payback time, and the
compute cost per 1,000 and per 1 million predictions from throughput measured on this deployment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from usecases.core import business
from usecases.core.business import assumption
from usecases.core.spec import Value


@dataclass(frozen=True)
class PortfolioAssumptions:
    horizon_months: float = assumption(36, label="Horizon", unit="months", min=1.0, max=120.0, step=1.0)
    ramp_months: float = assumption(6, label="Adoption ramp", unit="months", low=9.0, high=3.0, min=0.0, max=60.0, step=1.0,
                                    help="Months until a use case delivers its full value (linear ramp).")
    discount_rate: float = assumption(0.08, label="Discount rate", unit="share per year", low=0.12, high=0.05, min=0.0, max=1.0, step=0.01)
    cpu_price: float = assumption(0.10, label="CPU price", unit="€/h", min=0.0, max=1000.0, step=0.01,
                                  help="Price of one CPU server hour; also prices generated text on the Text page.")
    gpu_price: float = assumption(2.50, label="GPU price", unit="€/h", min=0.0, max=10_000.0, step=0.1,
                                  help="Price of one GPU hour; also prices generated text on the Text page.")


def payback_months(monthly: np.ndarray, upfront: float) -> float | None:
    """Months (fractional, linear within a month) until cumulative net value covers ``upfront``;
    0 when there is nothing to pay back, ``None`` when it is not reached within the flows."""
    if upfront <= 0:
        return 0.0
    cum = np.cumsum(np.asarray(monthly, dtype=float))
    hit = np.flatnonzero(cum >= upfront)
    if not len(hit):
        return None
    m = int(hit[0])
    before = cum[m - 1] if m else 0.0
    return m + (upfront - before) / max(cum[m] - before, 1e-12)


def timeline(values: list[Value], p: PortfolioAssumptions) -> tuple[pd.DataFrame, dict]:
    """Monthly net value per use case (base) and totals with cumulative NPV, NPV, payback and ROI
    over the horizon for the low / base / high scenarios.

    Each month a use case earns its value before system costs (``monthly + running``) times the adoption ramp and pays its
    running cost in full: a system is paid for from month 1, while teams adopt it. ROI over the horizon is the pages' rule
    (``business.YEAR_ONE_RULE``) over more months: (value before system costs − system cost) / system cost, with system
    cost = the one-off costs + the running costs of every month. (It was the net value over the one-off costs alone, which
    read "ROI −1,363 %" where a €60k one-off sat beside €818k of running costs.)"""
    months = int(p.horizon_months)
    rows = {"month": np.arange(1, months + 1)}
    totals = {}
    for i, which in enumerate(business.SCENARIOS):
        pp = business.scenario(p, which)
        ramp = business.adoption_ramp(months, int(pp.ramp_months))
        flows = np.zeros(months)
        upfront = running = 0.0
        for v in values:
            f = (v.monthly[i] + v.running[i]) * ramp - v.running[i]
            if which == "base":
                rows[v.title] = f
            flows += f
            upfront += v.upfront[i]
            running += v.running[i] * months
        rows[f"total_{which}"] = flows
        rows[f"cum_npv_{which}"] = cum = business.cumulative_npv(flows, pp.discount_rate, upfront)
        below = np.flatnonzero(np.asarray(cum) < 0)  # the month the discounted line turns positive for good (Home marks it);
        turns = int(rows["month"][below[-1] + 1]) if len(below) and below[-1] < months - 1 else None  # None: never below, or ends below
        cost = upfront + running
        paid = payback_months(flows, upfront)
        totals[which] = {"npv": business.npv(flows, pp.discount_rate, upfront), "payback_months": paid,
                         # not paid back within the horizon, but still earning at its end: later, not never (Home had read
                         # "never" at a 12-month horizon for what pays back in month 17 at 36; a walkthrough, 2026-12-06)
                         "payback_beyond_horizon": paid is None and float(flows[-1]) > 0,
                         "npv_positive_month": turns,
                         "upfront": upfront, "system_cost": cost,
                         "roi": business.roi(float(flows.sum()) + running, cost) if cost > 0 else None}
    return pd.DataFrame(rows), totals


def shares(values: list[Value]) -> pd.DataFrame:
    """Each use case's monthly net value (low, base, high) and its share of the portfolio's positive value."""
    pos = sum(max(v.monthly[1], 0.0) for v in values)
    return pd.DataFrame([{"use case": v.title, "low": v.monthly[0], "base": v.monthly[1], "high": v.monthly[2],
                          "share": (max(v.monthly[1], 0.0) / pos) if pos > 0 else float("nan")} for v in values])


def cost_per_1k(price_per_hour: float, per_second: float) -> float:
    """Compute cost of 1,000 predictions at ``per_second`` on a machine costing ``price_per_hour``."""
    return price_per_hour / (per_second * 3600.0) * 1000.0 if per_second > 0 else float("inf")


def cost_per_1m(price_per_hour: float, per_second: float) -> float:
    """Compute cost of 1 million predictions (Home's cost table: per 1,000 read €6.6e-06 for fraud on a CPU)."""
    return cost_per_1k(price_per_hour, per_second) * 1000.0
