"""The portfolio: each use case's monthly net value under its page's assumptions, an adoption ramp,
NPV and payback over a horizon, and compute cost per 1,000 predictions from measured throughput."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from usecases.core import business
from usecases.core.business import assumption


@dataclass(frozen=True)
class PortfolioAssumptions:
    horizon_months: float = assumption(36, label="Horizon", unit="months", min=1.0, max=120.0, step=1.0)
    ramp_months: float = assumption(6, label="Adoption ramp", unit="months", low=9.0, high=3.0, min=0.0, max=60.0, step=1.0,
                                    help="Months until a use case delivers its full value (linear ramp).")
    discount_rate: float = assumption(0.08, label="Discount rate", unit="per year", low=0.12, high=0.05, min=0.0, max=1.0, step=0.01)
    cpu_price: float = assumption(0.10, label="CPU price", unit="€/h", min=0.0, max=1000.0, step=0.01)
    gpu_price: float = assumption(2.50, label="GPU price", unit="€/h", min=0.0, max=10_000.0, step=0.1)


@dataclass
class UseCaseValue:
    name: str
    title: str
    monthly: tuple[float, float, float]  # net value per month at full adoption: low, base, high
    upfront: tuple[float, float, float]  # one-off cost: low, base, high scenario
    headline: str  # one line for the card


def fraud_value(trained, a) -> UseCaseValue:
    from usecases.fraud import business as fb

    ex = fraud_extras(trained)
    thr = fb.optimal_threshold(ex["y"], ex["scores"]["model"], ex["amount"], a, ex["days"])
    sv = fb.scale(ex["y"], ex["scores"]["model"], ex["amount"], ex["day"], thr, a)
    monthly = tuple(v - business.scenario(a, w).yearly_system_cost / 12 for v, w in zip(sv.monthly, business.SCENARIOS))
    return UseCaseValue("fraud", "Fraud detection", monthly, (0.0, 0.0, 0.0),
                        f"{business.money(sv.monthly[1])}/month of losses prevented net of alert costs")


def fraud_extras(trained) -> dict:
    from usecases import fraud

    return fraud.evaluate(trained).extras


def recommendation_value(trained, a) -> UseCaseValue:
    from usecases.recommendation import business as rb

    c = trained.card
    lift = rb.offline_lift(c["metrics"]["ndcg@10"], c["baselines"]["most_popular"]["ndcg@10"])
    v = rb.value(a, lift)
    costs = [business.scenario(a, w) for w in business.SCENARIOS]
    monthly = tuple(m - cc.monthly_cost for m, cc in zip(v.monthly, costs))
    return UseCaseValue("recommendation", "Recommendation", monthly, tuple(cc.upfront_cost for cc in costs),
                        f"{business.money(v.monthly[1])}/month incremental revenue (assumed CTR uplift {v.uplift[1]:+.0%})")


def triage_value(trained, a, runs: int = 20) -> UseCaseValue:
    from usecases import triage
    from usecases.triage import queue as tq
    from usecases.triage.metrics import confusion

    ex = triage.evaluate(trained).extras
    y, p = ex["y"], ex["preds"]
    if "nurse" not in p:
        return UseCaseValue("triage", "Medical triage", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), "no nurse labels to compare with")
    pol = {"u": confusion(y, p["nurse"]), "m": confusion(y, np.minimum(p["nurse"], p["model"]))}
    pol = {k: np.where(v.sum(1, keepdims=True) == 0, np.eye(5), v) for k, v in pol.items()}
    load = a.arrivals_per_hour / 60 * float(np.dot(tq.LEVEL_MIX, a.consult_minutes)) / a.doctors
    if load >= 1:
        return UseCaseValue("triage", "Medical triage", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), "doctors overloaded in this scenario")
    res = tq.compare(a, pol, runs=runs)
    val = tq.monthly_value(a, res["u"]["late_l12_per_week"], res["m"]["late_l12_per_week"])
    fewer = (res["u"]["late_l12_per_week"][1] - res["m"]["late_l12_per_week"][1]) * 52 / 12
    what = f"{fewer:,.0f} fewer" if fewer >= 0 else f"{-fewer:,.0f} more"
    return UseCaseValue("triage", "Medical triage", val, (0.0, 0.0, 0.0), f"{what} critical patients seen after target per month (simulated, median of {runs} runs)")


def textgen_value(trained, a, tokens_per_second: float) -> UseCaseValue:
    from usecases.textgen import business as tb

    from usecases.textgen.quality import DraftQuality

    c = tb.case(a, tokens_per_second, DraftQuality.from_card(getattr(trained, "card", {}) or {}))
    if c.usable_share == 0:
        return UseCaseValue("textgen", "Text generation", c.net, (0.0, 0.0, 0.0), f"no editor time counted: {c.value_reason}")
    return UseCaseValue("textgen", "Text generation", c.net, (0.0, 0.0, 0.0),
                        f"{business.money(c.value[1])}/month of editor time saved at €{min(c.cpu_per_1k, c.gpu_per_1k[1]):.5f} per 1k tokens")


def timeline(values: list[UseCaseValue], p: PortfolioAssumptions) -> tuple[pd.DataFrame, dict]:
    """Monthly net value per use case (base) and totals with cumulative NPV (low/base/high)."""
    months = int(p.horizon_months)
    rows = {"month": np.arange(1, months + 1)}
    totals = {}
    for i, which in enumerate(business.SCENARIOS):
        pp = business.scenario(p, which)
        ramp = business.adoption_ramp(months, int(pp.ramp_months))
        flows = np.zeros(months)
        upfront = 0.0
        for v in values:
            f = v.monthly[i] * ramp
            if which == "base":
                rows[v.title] = f
            flows += f
            upfront += v.upfront[i]
        rows[f"total_{which}"] = flows
        rows[f"cum_npv_{which}"] = business.cumulative_npv(flows, pp.discount_rate, upfront)
        totals[which] = {"npv": business.npv(flows, pp.discount_rate, upfront), "payback_month": business.payback_month(flows, upfront)}
    return pd.DataFrame(rows), totals


def cost_per_1k(price_per_hour: float, per_second: float) -> float:
    return price_per_hour / (per_second * 3600.0) * 1000.0 if per_second > 0 else float("inf")


def measure_throughput(name: str, trained) -> tuple[float, str]:
    """Predictions (or tokens) per second of one use case's loaded model on this deployment."""
    if name == "fraud":
        from usecases.fraud.pipeline import predict

        X = fraud_extras(trained)["test"][list(trained.features)].to_numpy(np.float32)[:20_000]
        model = trained.model
        t = time.perf_counter()
        predict(model, X)
        return len(X) / (time.perf_counter() - t), "transactions"
    if name == "recommendation":
        from usecases.recommendation.peers import top_k
        from usecases.recommendation.pipeline import model_scores

        trained.ensure_data()
        X = trained.seen
        t = time.perf_counter()
        top_k(model_scores(trained.model, X), X, 10)
        return X.shape[0] / (time.perf_counter() - t), "users (top-10)"
    if name == "triage":
        from usecases.triage.cohort import CohortConfig, generate
        from usecases.triage.pipeline import predict_proba

        df = generate(CohortConfig(n=2000, seed=7))
        t = time.perf_counter()
        predict_proba(trained.model, df)
        return len(df) / (time.perf_counter() - t), "patients"
    if name == "textgen":
        from usecases.textgen.pipeline import measure_tokens_per_second

        return measure_tokens_per_second(trained), "tokens"
    raise ValueError(name)
