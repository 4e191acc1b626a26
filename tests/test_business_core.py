"""Shared business math against hand-computed examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from usecases.core import business as b
from usecases.core.tables import DataProblem


def test_npv_hand_example():
    # 3 months of 100 at 12 %/year: 100/1.12^(1/12) + 100/1.12^(2/12) + 100/1.12^(3/12)
    expected = sum(100 / 1.12 ** (t / 12) for t in (1, 2, 3))
    assert b.npv([100, 100, 100], 0.12) == pytest.approx(expected)
    assert b.npv([100, 100, 100], 0.12) == pytest.approx(294.40, abs=0.01)  # 99.06 + 98.13 + 97.21
    assert b.npv([100, 100], 0.0, upfront=150) == pytest.approx(50)
    assert b.cumulative_npv([100, 100], 0.0, upfront=150).tolist() == [-50, 50]


def test_payback_roi_ramp():
    assert b.payback_month([50, 50, 50, 50], upfront=120) == 3
    assert b.payback_month([10, 10], upfront=100) is None
    assert b.roi(150, 100) == pytest.approx(0.5)
    assert b.roi(1, 0) is None
    # payback: months of net value (after running cost) that earn back the one-off cost — where the cumulative chart crosses 0
    assert b.payback_one_off(20_000, 60_000) == pytest.approx(3.0)
    assert b.payback_one_off(20_000, 0) == 0.0  # nothing to earn back: "immediately", as on Home
    assert b.payback_one_off(0, 60_000) is None and b.payback_one_off(-500, 0) is None  # running cost never covered: never
    # year 1, one rule for every page: cost = one-off + 12 months of running cost, against 12 months of value
    assert b.year_one(10_000, 2_000, 24_000) == (pytest.approx((120_000 - 48_000) / 48_000), pytest.approx(24_000 / 8_000))
    assert b.year_one(10_000, 2_000) == (pytest.approx(4.0), 0.0)  # no one-off cost: ROI on a year's running cost, nothing to earn back
    assert b.year_one(1_000, 2_000, 0) == (pytest.approx(-0.5), None)  # value below the running cost: never paid back
    assert b.year_one(5_000, 2_000, 90_000) == (pytest.approx((60_000 - 114_000) / 114_000), pytest.approx(30.0))  # after year 1
    assert b.adoption_ramp(5, 4).tolist() == [0.25, 0.5, 0.75, 1.0, 1.0]
    assert b.adoption_ramp(3, 0).tolist() == [1, 1, 1]


@dataclass(frozen=True)
class A:
    price: float = b.assumption(10.0, label="Price", unit="€", low=8.0, high=12.0, min=0.0)
    cost: float = b.assumption(5.0, label="Cost", unit="€", low=6.0, high=4.0, min=0.0, max=100.0)


def test_scenarios_move_only_untouched_defaults():
    a = A()
    assert b.scenario(a, "low") == A(price=8.0, cost=6.0)
    assert b.scenario(a, "high") == A(price=12.0, cost=4.0)
    typed = A(price=11.0)
    assert b.scenario(typed, "low") == A(price=11.0, cost=6.0)


def test_absurd_values_are_refused_by_name():
    with pytest.raises(DataProblem, match="Cost must be at most 100"):
        b.check(A(cost=1000.0))
    with pytest.raises(DataProblem, match="Price must be a finite number"):
        b.check(A(price=float("nan")))
    with pytest.raises(DataProblem, match="unknown assumption colour"):
        b.from_dict(A, {"colour": 1})
    assert b.from_dict(A, {"price": 3.0}) == A(price=3.0)


def test_bootstrap_interval_brackets_the_mean():
    lo, mean, hi = b.bootstrap_mean_interval(np.arange(10.0), seed=1)
    assert lo < mean == 4.5 < hi


def test_money_labels():
    assert b.money(1_234_567) == "€1.2M"
    assert b.money(35_000) == "€35k"
    # three significant digits from €10k: Home's fraud card read €11k for €10.7k, and the cards added up €0.4k off the total
    assert (b.money(10_700), b.money(-10_650), b.money(99_940), b.money(411_000)) == ("€10.7k", "−€10.7k", "€99.9k", "€411k")
    assert b.money(-820) == "−€820"
    assert b.money(None) == "—"
    from usecases.core import fmt

    # a probability just under 1 is not written as certainty ("Fraud probability 100.00 %" on the What-if tab)
    assert (fmt.rate(0.99996, 2), fmt.rate(0.996), fmt.rate(1.0, 2), fmt.rate(0.5, 1)) == ("> 99.99 %", "> 99 %", "100.00 %", "50.0 %")
    # and at the other end a tiny share is not written as none: "0.0 %" beside "5 %" read as impossible (2026-12-05)
    assert (fmt.rate(0.0004), fmt.rate(0.00004, 2), fmt.rate(0.0), fmt.rate(-0.0001)) == ("< 0.1 %", "< 0.01 %", "0 %", "0.0 %")
    # A worked sum adds up as written: Home read "€28k − €1.3k − €20.8k = €5.8k"; compact figures stay when they add up.
    assert fmt.money_sum([45_131, -1_663, -20_800], 22_668) == ["€45,131", "−€1,663", "−€20,800", "€22,668"]
    assert [fmt.money(x) for x in (45_131, -1_663, -20_800, 22_668)] == ["€45.1k", "−€1.7k", "−€20.8k", "€22.7k"]  # 22.6 as written
    assert fmt.money_sum([39_100, -7_600, -20_800], 10_700) == ["€39.1k", "−€7.6k", "−€20.8k", "€10.7k"]
    assert fmt.money_sum([7_254, -247, -20_800], -13_793) == ["€7,254", "−€247", "−€20,800", "−€13,793"]
    # "€10k" is not "€10.1k": the compact total must be the compact terms' sum written alike; every euro adds up exactly
    assert fmt.money_sum([38_256, -7_414, -20_833], 10_009) == ["€38,256", "−€7,414", "−€20,833", "€10,009"]
    assert fmt.money_sum([6_772.4, -1_312.4, -20_833.4], -15_373.4) == ["€6,772", "−€1,312", "−€20,833", "−€15,373"]
    assert fmt.money_sum([6_772.4, -1_311.6, -20_833.4], -15_372.6) == ["€6,772", "−€1,312", "−€20,833", "−€15,373"]
    # "about" figures: one decimal below 10, whole from there ("about 1,054.2 on the day it falls on"; 2026-12-07)
    assert (fmt.about(2.84), fmt.about(1054.23), fmt.about(None)) == ("2.8", "1,054", fmt.DASH)
    # Home's tile "€9.6k" under cards of −€300, €10.7k, €3.3k and −€4.0k (2026-12-07): written out, the equation adds up
    assert fmt.money_equation([-300, 10_661, 3_266, -3_987], 9_640, ["text", "fraud", "rec", "triage"]) == (
        "−€300 (text) + €10,661 (fraud) + €3,266 (rec) − €3,987 (triage) = €9,640", "€9,640", True)
    assert fmt.money_equation([39_100, -7_600, -20_800], 10_700) == ("€39.1k − €7.6k − €20.8k = €10.7k", "€10.7k", False)


def test_every_share_is_in_per_cent_in_reports_as_on_the_page():
    """The reports wrote the fraud recovery rate (unit "share of amount") as 0.8 beside the page's 80.0 % and the margin's
    40 %: reports checked ``unit == "share"``, the page's inputs ``unit.startswith("share")``. Now one rule for both."""
    from usecases.core.report import assumptions_table
    from usecases.fraud.assumptions import FraudAssumptions
    from usecases.recommendation.business import Assumptions as RecAssumptions

    fraud_rows = assumptions_table(FraudAssumptions())
    assert fraud_rows["Value recovered per caught fraud (% of amount)"] == "80 %"
    assert assumptions_table(RecAssumptions())["Margin kept on the extra sales (%)"] == "40 %"
    assert {f.name for f in b.fields_of(FraudAssumptions) if f.is_share} == {"recovery_share"}
    # Home's discount rate is a share too: its box read 0.08 beside the tooltip's "12 % and 5 % discount rate".
    from usecases.portfolio import PortfolioAssumptions

    assert assumptions_table(PortfolioAssumptions())["Discount rate (% per year)"] == "8 %"
