"""Recommendation business case and A/B test planning — pure functions of an evaluation and assumptions.

Incremental revenue per month = sessions × baseline click-through × uplift × conversion × order value,
where the uplift is an *assumption*: the model's offline NDCG@10 lift over most-popular times the
share of that lift assumed to carry over to online click-through (offline gains rarely transfer
one-to-one; the share is a user input with a low/base/high range). Revenue is not profit: the value
is that revenue times the margin kept on the extra sales, and net value per month subtracts the
system's running cost — the figure Home and the page both show, on the same footing as fraud's
losses prevented and triage's and text's costs. (It counted the revenue itself as value, and Home
added it to fraud's savings.)

Sample size per arm for a two-sided two-proportion z-test (Fleiss, Levin & Paik, *Statistical
Methods for Rates and Proportions*, 3rd ed., eq. 4.14, without continuity correction):

    n = (z₁₋α/₂ · √(2 p̄ (1 − p̄)) + z₁₋β · √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₂ − p₁)²,  p̄ = (p₁ + p₂)/2
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from statistics import NormalDist

from usecases.core import business, fmt
from usecases.core.business import assumption
from usecases.core.spec import Evaluation, Value

from . import SPEC

DAYS_PER_MONTH = 30.4


@dataclass(frozen=True)
class Assumptions:
    monthly_sessions: float = assumption(2_000_000, label="Sessions per month", unit="sessions", min=1.0, max=1e11, step=100_000.0,
                                         help="Visits that see the recommendation slot.")
    baseline_ctr: float = assumption(0.04, label="Baseline click-through on recommendations", unit="share", min=0.0001, max=1.0, step=0.005,
                                     help="Share of sessions that click a recommendation today (most-popular or editorial lists).")
    conversion: float = assumption(0.08, label="Conversion after a click", unit="share", min=0.0, max=1.0, step=0.01,
                                   help="Share of clicks that end in a purchase or rental.")
    order_value: float = assumption(12.0, label="Average order value", unit="€", min=0.0, max=1e6, step=1.0)
    margin: float = assumption(0.4, label="Margin kept on the extra sales", unit="share", low=0.25, high=0.55, min=0.0, max=1.0, step=0.05,
                               help="Share of the extra revenue left after the cost of what is sold (a studio's share of a rental, a "
                                    "product's purchase price). Revenue is not profit. Ours, for a rental catalogue; put your own.")
    transfer: float = assumption(0.3, label="Share of offline lift that reaches online click-through", unit="share", low=0.1, high=0.5,
                                 min=0.0, max=2.0, step=0.05,
                                 help="Offline ranking gains usually shrink online; 0.3 means a 50 % NDCG lift is assumed to give +15 % clicks.")
    monthly_cost: float = assumption(6_000.0, label="Running cost", unit="€/month", low=9_000.0, high=4_000.0, min=0.0, max=1e9, step=500.0,
                                     help="Serving, monitoring and retraining.")
    upfront_cost: float = assumption(60_000.0, label="One-off cost (build and integration)", unit="€", low=90_000.0, high=40_000.0,
                                     min=0.0, max=1e10, step=5_000.0)


Triple = tuple[float, float, float]


@dataclass(frozen=True)
class Case:
    """The business case in low / base / high scenarios (each a tuple in that order)."""

    lift: float  # offline NDCG@10 lift of the model over most-popular (0.5 = +50 %), on the evaluation's rows
    uplift: Triple  # assumed relative click-through uplift
    revenue: Triple  # incremental revenue per month
    profit: Triple  # the margin kept on that revenue per month (the value before system costs)
    net: Triple  # profit per month after running cost — Value.monthly
    upfront: Triple
    roi_year1: tuple[float | None, float | None, float | None]  # business.year_one: (12 × profit − year-1 cost) / year-1 cost
    payback_months: tuple[float | None, float | None, float | None]  # business.payback_one_off: one-off / net per month; None = never

    @property
    def annual(self) -> Triple:
        return tuple(12 * r for r in self.revenue)  # type: ignore[return-value]


def offline_lift(model_ndcg: float, popular_ndcg: float) -> float:
    """Relative NDCG@10 gain of the model over most-popular (0.5 = +50 %)."""
    if not popular_ndcg or popular_ndcg <= 0 or not math.isfinite(model_ndcg):
        return 0.0
    return model_ndcg / popular_ndcg - 1.0


def evaluation_lift(ev: Evaluation) -> float | None:
    """The lift on ``ev``'s rows, or ``None`` when it holds no most-popular baseline."""
    pop = ev.baselines.get("most_popular", {}).get(ev.primary_metric)
    return None if pop is None else offline_lift(ev.model.get(ev.primary_metric, math.nan), pop)


def click_uplift(lift: float, a: Assumptions) -> float:
    """The relative click-through uplift an offline ``lift`` is assumed to bring: the lift × the transfer share, at most what
    takes the click-through to 100 %. A file on which most-popular scores next to nothing (courses of 120 departments: NDCG@10
    0.001) has a lift of +55,830 %: uncapped, a 4 % click-through became 674 %, €12.9M of revenue a month from 2M sessions whose
    every click converting would bring €1.9M (an analyst walkthrough, 2026-12-07)."""
    return min(lift * a.transfer, 1.0 / a.baseline_ctr - 1.0) if a.baseline_ctr > 0 else lift * a.transfer


def capped(lift: float, a: Assumptions) -> bool:
    """Whether :func:`click_uplift` caps ``lift`` at a click-through of 100 % (the base assumptions')."""
    return lift * a.transfer > click_uplift(lift, a)


def at_ceiling(ev: Evaluation, a: Assumptions, name: str = "model") -> bool:
    """Whether ``name``'s (the model's or a peer's) lift over most-popular on ``ev``'s rows is capped at a 100 % click-through."""
    pop = ev.baselines.get("most_popular", {}).get(ev.primary_metric)
    score = (ev.model if name == "model" else ev.baselines.get(name, {})).get(ev.primary_metric)
    return pop is not None and score is not None and capped(offline_lift(score, pop), a)


def incremental_revenue(a: Assumptions, uplift: float) -> float:
    return a.monthly_sessions * a.baseline_ctr * uplift * a.conversion * a.order_value


def break_even_uplift(a: Assumptions, payback_months: float | None = None) -> float | None:
    """The click-through uplift whose margin on the incremental revenue just pays the running cost (net value 0 per month), at the base
    assumptions — the smallest uplift an A/B test needs to be able to detect; None when a click earns nothing. With
    ``payback_months``, the uplift whose net value also earns back the one-off cost in that many months (the page's payback rule,
    ``business.payback_one_off``): at the plain break-even the one-off cost is never earned back."""
    per_unit = a.monthly_sessions * a.baseline_ctr * a.conversion * a.order_value * a.margin
    if per_unit <= 0:
        return None
    extra = max(float(a.upfront_cost), 0.0) / payback_months if payback_months else 0.0
    return (a.monthly_cost + extra) / per_unit


LOSS_FLIPPED = ("transfer", "margin")  # the assumptions whose optimistic value is the smaller one when the lift is a loss
OTHER_CASE = {"low": "high", "base": "base", "high": "low"}


def case(lift: float, a: Assumptions) -> Case:
    """The low / base / high business case of an offline ``lift``. When the lift is negative (the model ranks below most-popular)
    the optimistic case is the one where less of the loss reaches the clicks and less margin goes with it, so the transfer share
    and the margin take the other case's value: "high" had read −€121 of revenue beside "low" −€24 while its net value was the
    better one (an analyst walkthrough, 2026-12-07)."""
    out = {}
    for which in business.SCENARIOS:
        aa = business.scenario(a, which)
        if lift < 0:
            other = business.scenario(a, OTHER_CASE[which])
            aa = dataclasses.replace(aa, **{f: getattr(other, f) for f in LOSS_FLIPPED})
        up = click_uplift(lift, aa)
        rev = incremental_revenue(aa, up)
        profit = rev * aa.margin
        net = profit - aa.monthly_cost
        roi, pay = business.year_one(profit, aa.monthly_cost, aa.upfront_cost)  # year 1's cost = one-off + 12 months of running cost
        out[which] = (up, rev, profit, net, aa.upfront_cost, roi, pay)
    return Case(lift, *(tuple(out[w][i] for w in business.SCENARIOS) for i in range(7)))


def over_best_peer(ev: Evaluation, a: Assumptions) -> tuple[str, float, float] | None:
    """``(best peer's key, its incremental revenue per month, the model's minus it)`` at the base assumptions: the revenue
    case is linear in the offline lift, so the model's figure splits into what any recommender as good as the best peer
    would earn over most-popular and what choosing this model rather than that peer adds. ``None`` without most-popular."""
    pop = ev.baselines.get("most_popular", {}).get(ev.primary_metric)
    best = best_peer(ev)
    if pop is None or best is None:
        return None
    peers = {best: ev.baselines[best][ev.primary_metric]}
    model = incremental_revenue(a, click_uplift(evaluation_lift(ev) or 0.0, a))
    peer = incremental_revenue(a, click_uplift(offline_lift(peers[best], pop), a))
    return best, peer, model - peer


def best_peer(ev: Evaluation) -> str | None:
    """The recommender peer (not most-popular) with the highest primary metric on ``ev``'s rows, or None."""
    peers = {n: m[ev.primary_metric] for n, m in ev.baselines.items() if n != "most_popular" and ev.primary_metric in m}
    return max(peers, key=peers.get) if peers else None


def control_arms(ev: Evaluation) -> dict[str, str]:
    """The A/B test's control arms, as the planner offers them: most-popular and, where there is one, the best peer — labelled
    "the best peer here" only while the model leads it on the primary metric. A peer level with the model or ahead of it had
    been offered as "(a simpler recommender, the best peer here)" beside the planner's "the model does not lead … no lead for a
    test to detect" (an analyst walkthrough, 2026-12-07: flights, EASE 0.8329 against the model's 0.8328)."""
    arms = {"most_popular": "Most popular (no recommender today)"}
    peer = best_peer(ev)
    if peer is not None:
        theirs, ours = ev.baselines[peer][ev.primary_metric], ev.model.get(ev.primary_metric)
        leads = ours is not None and (ours > theirs if ev.higher_is_better else ours < theirs)
        arms[peer] = f"{ev.label(peer)} (a simpler recommender, " + (
            "the best peer here)" if leads else f"{'level with' if ours == theirs else 'ahead of'} the model here on {ev.primary_metric.upper()})")
    return arms


def against(ev: Evaluation, a: Assumptions, control: str = "most_popular") -> tuple[float, float] | None:
    """``(the control arm's click-through, the model's relative uplift over it)`` at the base assumptions, when an A/B test's
    control arm shows ``control``'s lists: most-popular (what the business case assumes runs today) or a peer — a site that
    already runs a simpler recommender such as EASE must detect the model's lead over *it*, a far smaller uplift than over
    most-popular. Each method's click-through is the baseline's × (1 + its offline NDCG lift over most-popular × the transfer
    share), as the business case assumes for the model. None without most-popular on these rows or without ``control``."""
    pop = ev.baselines.get("most_popular", {}).get(ev.primary_metric)
    lift = evaluation_lift(ev)
    if pop is None or lift is None:
        return None
    if control == "most_popular":
        return a.baseline_ctr, click_uplift(lift, a)
    ctrl = ev.baselines.get(control, {}).get(ev.primary_metric)
    if ctrl is None:
        return None
    p_ctrl = a.baseline_ctr * (1 + click_uplift(offline_lift(ctrl, pop), a))
    return p_ctrl, (1 + click_uplift(lift, a)) / (1 + click_uplift(offline_lift(ctrl, pop), a)) - 1


def value(evaluation: Evaluation, assumptions: Assumptions) -> Value:
    """Net value per month at the user's volume after running cost (low, base, high) — Home and the page; absurd assumptions
    are refused (``business.check``)."""
    business.check(assumptions)
    lift = evaluation_lift(evaluation)
    c = case(lift or 0.0, assumptions)
    if lift is None:
        headline = "no most-popular baseline on these rows, so no uplift is assumed"
    else:
        plus = lambda x, d: ("+" if x > 0 else "") + fmt.rate(x, d)  # noqa: E731 — the tile's format ("+5.5 %"; it read "+5%" beside it)
        headline = (f"{fmt.money(c.revenue[1])}/month incremental revenue at an assumed click-through uplift of {plus(c.uplift[1], 1)} "
                    # the share in per cent, as its input box reads it ("× transfer 0.3" beside "30.0"; a walkthrough, 2026-12-07)
                    f"(offline NDCG lift over most-popular {plus(lift, 1)} × transfer {fmt.rate(assumptions.transfer)}"  # "+100 % × 0.3" beside 30.1 %: it was 100.3 %
                    + (f", {plus(lift * assumptions.transfer, 1)}, capped where click-through reaches 100 %: most-popular's NDCG@10 "
                       f"{fmt.metric(evaluation.baselines['most_popular'][evaluation.primary_metric])} makes any lift over it huge, "
                       "so this figure is a ceiling, not a projection" if capped(lift, assumptions) else "") + ")")
        split = over_best_peer(evaluation, assumptions)
        if split is not None:  # Home showed the whole uplift over most-popular as this model's; most of it is any good recommender's
            peer, peer_rev, extra = split
            # the whole euros the page's paragraph writes, rounded once: €20,549.6 read "€20.5k" here beside the paragraph's
            # "€20,550" (which reads €20.6k; a walkthrough, 2026-12-07)
            both = at_ceiling(evaluation, assumptions) and at_ceiling(evaluation, assumptions, peer)
            headline += (f"; {evaluation.label(peer)} would reach the same ceiling" if both else  # "alone would earn €1.8M of it" of a better peer
                         f"; {evaluation.label(peer)} alone would earn {fmt.money(round(peer_rev))} of it" if extra >= 0 else
                         # "would earn more: −€26" beside the model's −€43 read as a gain (a walkthrough, 2026-12-07)
                         f"; {evaluation.label(peer)} would {'earn more' if peer_rev >= 0 else 'lose less'}: {fmt.money(round(peer_rev))}"
                         + (" at the point estimates (the verdict is a tie)" if evaluation.verdict().winner == "tie" else ""))
        # revenue is not profit (it ended "keeps €9.3k of the model's", the noun lost)
        headline += f"; a {fmt.rate(assumptions.margin)} margin keeps {fmt.money(c.profit[1])}/month of the model's revenue as profit"
        # Home's tile beside it read €3.3k net under "keeps €9.3k as profit", with the €6k between them said nowhere.
        headline += f", {fmt.money(c.net[1])} net after the {fmt.money(assumptions.monthly_cost)}/month running cost"
    return Value(usecase=SPEC.name, title=SPEC.title, monthly=c.net, upfront=c.upfront, headline=headline,
                 running=tuple(business.scenario(assumptions, w).monthly_cost for w in business.SCENARIOS))


# ---- A/B test planning ---------------------------------------------------------------------------

def sessions_per_day(a: Assumptions) -> float:
    return a.monthly_sessions / DAYS_PER_MONTH


def sample_size_per_arm(p1: float, relative_uplift: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Users per arm to detect p₁ → p₁·(1 + uplift) with a two-sided test at ``alpha`` and ``power``."""
    if not 0 < p1 < 1:
        raise ValueError("baseline rate must be between 0 and 1")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("significance and power must be between 0 and 1")
    p2 = p1 * (1 + relative_uplift)
    if relative_uplift == 0 or not 0 < p2 < 1:
        raise ValueError("the uplift must be non-zero and keep the rate between 0 and 1")
    za, zb = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    pbar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2
    return int(math.ceil(n))


def ab_test_days(n_per_arm: int, daily_sessions: float, share_in_test: float = 1.0, arms: int = 2) -> float:
    """Days to reach ``n_per_arm`` in each of ``arms`` arms at the given traffic."""
    if daily_sessions <= 0 or share_in_test <= 0:
        return math.inf
    return arms * n_per_arm / (daily_sessions * share_in_test)


@dataclass(frozen=True)
class Plan:
    baseline_ctr: float
    uplift: float
    sessions_per_day: float
    share: float
    per_arm: int
    days: float  # until the traffic reaches the sample size

    @property
    def weeks(self) -> float:
        """The duration to run: whole weeks, at least one, so every weekday is in both arms equally often (inf when the
        traffic never reaches the sample size)."""
        return float(max(1, math.ceil(self.days / 7 - 1e-9))) if math.isfinite(self.days) else math.inf


def plan(p1: float, uplift: float, daily: float, share: float, alpha: float, power: float) -> Plan:
    """An A/B test for detecting ``uplift`` on a click-through of ``p1`` (raises ValueError if it cannot be sized)."""
    n = sample_size_per_arm(p1, uplift, alpha, power)
    return Plan(p1, uplift, daily, share, n, ab_test_days(n, daily, share))


def plan_from_case(a: Assumptions, c: Case, share: float, alpha: float, power: float) -> Plan:
    """The A/B test that follows the business case: its traffic, its click-through and its base uplift."""
    return plan(a.baseline_ctr, c.uplift[1], sessions_per_day(a), share, alpha, power)
