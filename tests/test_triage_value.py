"""Triage, issues 13 + 15: one value() for Home and the page (paired runs, priced only when supported),
assumptions from the scenario, the explanation of one patient, and the page."""

from __future__ import annotations

import numpy as np
import pytest

from tests.triage_support import quick_model, shipped
from usecases import triage
from usecases.core import fmt
from usecases.core.spec import DataInfo
from usecases.triage.evaluation import build
from usecases.triage.economics import WEEKS_PER_MONTH, operations, policies


def _ev(nurse_shift: int, n: int = 3000, seed: int = 0):
    """A hand-made evaluation: a perfect model; a nurse who moves ``nurse_shift`` levels less urgent for levels 1–2."""
    rng = np.random.default_rng(seed)
    y = rng.choice(5, n, p=[0.02, 0.17, 0.38, 0.36, 0.07]) + 1
    probs = np.eye(5)[y - 1] * 0.96 + 0.01
    nurse = np.where(y <= 2, np.minimum(5, y + nurse_shift), y)
    return build(y=y, probs={"model": probs}, rule_levels={"nurse": nurse, "esi_rule": y, "news2": y},
                 data=DataInfo(source="hand-made", rows=n, split="all"))


def test_assumptions_from_reads_runs_weeks_and_the_cost_ratio_and_falls_back():
    a = triage.assumptions_from({"triage.ops.runs": 60, "triage.ops.weeks": 4, "triage.ops.under_cost": 2.0, "triage.ops.doctors": 6,
                                 "fraud.a.x": 1})
    assert (a.runs, a.weeks, a.under_cost, a.doctors) == (60, 4, 2.0, 6)
    bad = triage.assumptions_from({"triage.ops.runs": 3, "triage.ops.weeks": "many", "triage.ops.under_cost": -1, "triage.ops.doctors": float("nan")})
    assert (bad.runs, bad.weeks, bad.under_cost, bad.doctors) == (20, 1, 3.0, 5)


def test_same_treatment_in_both_arms_gives_exactly_zero_and_is_not_priced():
    ev = _ev(nurse_shift=0)
    a = triage.Assumptions(runs=5)
    ops = operations(ev, a)
    assert ops.paired["late_l12_per_week"] == (0.0, 0.0, 0.0)  # same seeds, same policy: common random numbers
    v = triage.value(ev, a)
    assert v.monthly == (-6000.0, -4000.0, -2500.0)  # only the running cost (low / base / high)
    assert "No measurable change" in v.headline and "not priced" in v.headline
    # "(0 to 16.2) does not exclude zero" read as a rounded bound hiding why: a bound at exactly zero is named as one
    assert "(0 to 0 a month; below 0 = more) starts at exactly 0 — no change at all is still inside it: not priced" in v.headline
    # Home's tile read −€4.0k beside "not priced" with nothing saying what the €4.0k was
    assert v.headline.endswith("not priced, so the net is the €4.0k/month running cost")


def test_an_unpriced_interval_below_zero_is_written_with_the_minus_sign(monkeypatch):
    """Home's triage card read "(-0.2 to 16 …; below 0 = more)": an ASCII hyphen beside the "−" every other figure uses."""
    from usecases.triage import economics

    ops = economics.Operations(0.8, 5, 1, "the nurse", {}, {"late_l12_per_week": (-0.05, 0.9, 3.7)})
    monkeypatch.setattr(economics, "operations", lambda ev, a: ops)
    v = economics.value(_ev(nurse_shift=0), triage.Assumptions(runs=5))
    assert "interval of that difference (−0.2 to 16.0 a month; below 0 = more) does not exclude zero: not priced" in v.headline
    assert "-0" not in v.headline
    # The Operations tab's tiles count per week ("Fewer critical late / week 0.9") beside this monthly headline ("3.9 fewer per
    # month"): the headline says how the month is made of weeks.
    # Each at the precision the tiles show it (economics.week_digits: 2 here, for the interval's −0.05 a week to multiply out),
    # trailing zeros kept: the headline had read "0.2 a week" under the tile's "0.20", and "−13 to 11.7 a month" (a sweep,
    # 2026-12-06).
    assert "3.9 fewer per month (0.90 a week × 4.33 weeks) on average" in v.headline


def test_the_headlines_weeks_multiply_out_to_its_month(monkeypatch):
    """Home read "7.1 fewer per month (1.6 a week × 4.33 weeks)" — 6.9; the week was 1.64. The week now shows the decimals
    at which the two figures multiply out, and no more (0.9 a week stays 0.9)."""
    from usecases.core import fmt
    from usecases.triage import economics

    ops = economics.Operations(0.8, 5, 1, "the nurse", {}, {"late_l12_per_week": (-0.05, 1.64, 3.7)})
    monkeypatch.setattr(economics, "operations", lambda ev, a: ops)
    v = economics.value(_ev(nurse_shift=0), triage.Assumptions(runs=5))
    assert "7.1 fewer per month (1.64 a week × 4.33 weeks) on average" in v.headline
    # the Operations tiles: "60.1 → 58.3" beside "1.9 fewer" (means 60.12 and 58.26, their difference 1.86)
    ua, ma = 60.12, 58.26
    d = fmt.agreeing_digits(lambda d: abs(round(ua, d) - round(ma, d) - round(ua - ma, d)) < 0.5 * 10 ** -d)
    assert d == 2 and (fmt.number(ua, d), fmt.number(ma, d), fmt.number(ua - ma, d)) == ("60.12", "58.26", "1.86")
    assert fmt.agreeing_digits(lambda d: True) == 1 and fmt.agreeing_digits(lambda d: False) == 3
    assert fmt.agreeing_digits(lambda d: False, otherwise=1) == 1 and fmt.agreeing_digits(lambda d: d == 2, otherwise=1) == 2


def test_the_tiles_and_the_headline_write_the_week_alike(monkeypatch):
    """The Operations tile read "1.4" fewer a week (the arms added up at one decimal) while the headline beside it read "6.3
    per month (1.45 a week × 4.33 weeks)", and the tile's interval "−0.4 to 3.2" a week beside "−1.7 to 14.1" a month. One
    precision serves both: the arms add up and every week figure, bounds included, multiplies out to its month."""
    from usecases.triage import economics

    arms = {"unassisted": {"late_l12_per_week": (0, 10.45, 0)}, "model-assisted": {"late_l12_per_week": (0, 9.0, 0)}}
    ops = economics.Operations(0.8, 5, 1, "the nurse", arms, {"late_l12_per_week": (-0.4, 1.45, 3.25)})
    d = economics.week_digits(ops)
    assert d == 2  # at 1 decimal 1.4 (or 1.5) × 4.33 is not 6.3, and 3.2 × 4.33 is not 14.1
    monkeypatch.setattr(economics, "operations", lambda ev, a: ops)
    v = economics.value(_ev(nurse_shift=0), triage.Assumptions(runs=5))
    assert "6.3 fewer per month (1.45 a week × 4.33 weeks)" in v.headline, v.headline
    simple = economics.Operations(0.8, 5, 1, "the nurse", {"unassisted": {"late_l12_per_week": (0, 10.0, 0)},
                                                          "model-assisted": {"late_l12_per_week": (0, 9.1, 0)}}, {"late_l12_per_week": (0.2, 0.9, 1.6)})
    assert economics.week_digits(simple) == 1
    # A weekly figure with a trailing zero keeps it, as the tile writes it: "0.2 a week" had stood under "0.20".
    twenty = economics.Operations(0.8, 5, 1, "the nurse", {}, {"late_l12_per_week": (-0.05, 0.2, 0.45)})
    monkeypatch.setattr(economics, "operations", lambda ev, a: twenty)
    assert economics.week_digits(twenty) == 2 and "(0.20 a week × 4.33 weeks)" in economics.value(_ev(nurse_shift=0), triage.Assumptions(runs=5)).headline


def test_a_share_and_its_paired_difference_in_points_add_up():
    """The Operations table read "21 % → 20 %" beside a paired difference of "0.5 pts" (20.8 % and 20.3 %). The share row's
    precision is the fewest decimals at which the arms differ by the difference shown."""
    from usecases.core import fmt
    from usecases.triage import economics

    def ops(u, m, d):
        return economics.Operations(0.8, 5, 1, "the nurse", {"unassisted": {"late_share_l12": (0, u, 0)}, "model-assisted": {"late_share_l12": (0, m, 0)}},
                                    {"late_share_l12": (0.0, d, 0.01)})

    d = economics.share_digits(ops(0.208, 0.203, 0.005))
    assert d == 1 and (fmt.rate(0.208, d), fmt.rate(0.203, d), fmt.points(0.005, d)) == ("20.8 %", "20.3 %", "0.5 pts")
    assert economics.share_digits(ops(0.25, 0.20, 0.05)) == 1  # "25.0 % → 20.0 %", "5.0 pts": never "1 pts (0 pts to 1 pts)"
    assert economics.share_digits(ops(0.2084, 0.2036, 0.0049)) == 2  # 20.8 − 20.4 is not 0.5: "20.84 % → 20.36 %", "0.49 pts"
    assert economics.share_digits(economics.Operations(0.8, 5, 1, "the nurse", {}, {})) == 1


def test_a_real_effect_is_priced_from_the_paired_mean():
    ev = _ev(nurse_shift=2)
    a = triage.Assumptions(runs=10, arrivals_per_hour=10)
    ops = operations(ev, a)
    lo, mean, hi = ops.paired["late_l12_per_week"]
    assert lo > 0 and ops.supported()
    # The page's tiles, table and chart show the arms' means over the runs, so they differ by the paired mean beside them
    # (medians had shown 62.5 → 60 next to 1.9 fewer; then the table kept medians beside tiles of means: 60.1 → 58.2).
    runs_u = [ops.arms["unassisted"]["late_l12_per_week"], ops.arms["model-assisted"]["late_l12_per_week"]]
    assert runs_u[0][1] - runs_u[1][1] == pytest.approx(mean)
    assert all(lo_ <= mid <= hi_ for lo_, mid, hi_ in runs_u)
    v = triage.value(ev, a)
    assert v.monthly[1] == pytest.approx(mean * WEEKS_PER_MONTH * 1200 - 4000)
    assert v.monthly[0] <= v.monthly[1] <= v.monthly[2] and "fewer critical (level 1–2) patients" in v.headline
    assert triage.value(ev, a) == v  # pure (and cached inside: no second simulation)


def test_home_and_page_get_the_same_number_from_the_same_scenario():
    ev = _ev(nurse_shift=1)
    scen = {"triage.ops.runs": 10, "triage.ops.weeks": 2, "triage.ops.under_cost": 3.0}
    home = triage.value(ev, triage.assumptions_from(scen))
    page = triage.value(ev, triage.assumptions_from(dict(scen)))
    assert home.monthly == page.monthly
    fewer_runs = triage.value(ev, triage.assumptions_from({**scen, "triage.ops.runs": 5}))
    assert fewer_runs.monthly != home.monthly or fewer_runs.headline != home.headline  # runs/weeks are part of the assumptions


def test_policies_are_row_stochastic_and_follow_the_cost_ratio():
    ev = triage.evaluate(quick_model())
    pol, who = policies(ev, 3.0)
    assert who == "Simulated nurse"
    for m in pol.values():
        np.testing.assert_allclose(m.sum(1), 1.0)
    strict, lax = policies(ev, 8.0)[0]["model-assisted"], policies(ev, 1.0)[0]["model-assisted"]
    # A dearer under-triage assigns more patients to a more urgent level than their true one.
    assert np.tril(strict, -1).sum() >= np.tril(lax, -1).sum()


def test_overloaded_ed_is_not_priced():
    v = triage.value(_ev(0), triage.Assumptions(arrivals_per_hour=60))
    assert "overloaded" in v.headline and v.monthly[1] == -4000
    assert v.headline.endswith("not priced, so the net is the €4.0k/month running cost")


# ---- one patient ----------------------------------------------------------------------------------

DEMO = {"age": 67, "sex": "F", "arrival": "ambulance", "complaint": "sudden chest pain since this morning", "avpu": "A", "pain": 7,
        "sbp": 104, "dbp": 68, "hr": 118, "rr": 24, "temp": 37.2, "spo2": 93}


def test_explanation_of_the_chosen_level_points_the_right_way():
    t = shipped()
    if t is None:
        pytest.skip("no shipped triage checkpoint")
    r = triage.assess(t, DEMO)
    eff = {e.field: e.effect for e in r.effects}
    assert r.contrast == r.level + 1
    # HR 118 and SpO₂ 93 read "lowers urgency" before; with the complaint already decisive they change little,
    # and never lower it by a point; "Alert" is reassuring, not −100 %.
    assert eff["hr"] > -0.01 and eff["spo2"] > -0.01 and eff["avpu"] > -0.1
    assert eff["complaint"] > 0.1  # the complaint drives this one
    r2 = triage.assess(t, {**DEMO, "complaint": ""})
    eff2 = {e.field: e.effect for e in r2.effects}
    assert eff2["hr"] > 0.03 and eff2["spo2"] > 0.03  # without it, the vitals push towards urgency
    assert abs(r.p_at_least - r.probs[: r.level].sum()) < 1e-6
    words = {w.word: w for w in r.words}
    assert words["chest"].known and words["pain"].known
    assert f"Level {r.level} rather than {r.level + 1}: P(level ≤ {r.level}) = {fmt.rate(r.p_at_least)}." in r.sentence()  # "95 %" as everywhere (it read "95%")


def test_unknown_words_and_close_calls_are_said():
    t = shipped() or quick_model()
    calm = {**DEMO, "age": 30, "pain": 3, "sbp": 125, "dbp": 80, "hr": 78, "rr": 15, "temp": 36.8, "spo2": 98, "arrival": "walk-in"}
    r = triage.assess(t, {**calm, "complaint": "sprained ankle"})
    assert "sprained" in [w.word for w in r.words if not w.known] and "has not learned: sprained" in r.sentence()
    top2 = np.sort(r.probs)[-2:]
    assert r.close_call == bool(r.expected_cost[r.runner_up - 1] <= r.expected_cost[r.level - 1] * 1.15 + 1e-9)
    assert top2.sum() <= 1 + 1e-6


# ---- the page ---------------------------------------------------------------------------------------

def test_page_shows_value_verdict_and_explanation(monkeypatch):
    from streamlit.testing.v1 import AppTest

    if shipped() is None:
        pytest.skip("no shipped triage checkpoint")
    from pathlib import Path

    monkeypatch.delenv("UCLAB_MODEL_DIR", raising=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("views/medical_triage.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Suggested level" in m.value for m in at.markdown)
    assert any("rather than" in i.value for i in at.info)  # the explanation in words
    assert any("wins" in s.value or "Tie" in s.value or "ahead" in s.value for s in [*at.success, *at.warning, *at.info])
    ev = triage.evaluate(shipped())
    v = triage.value(ev, triage.Assumptions())
    from usecases.core import fmt

    metric = next(m for m in at.metric if m.label == "Net value / month")
    assert metric.value == fmt.money(v.monthly[1])  # the page shows value().monthly — the number Home shows
    assert any(fmt.span(*v.monthly) in c.value for c in at.caption)
    at.number_input(key="triage.ops.under_cost").set_value(6.0).run()
    assert not at.exception


def test_every_money_input_of_the_operations_tab_moves_the_value():
    """"Doctor cost (€/h)" and "Nurse cost (€/h)" were inputs that no figure on the page used (staffing is the same in both
    arms): a user who changed them saw nothing move. Every € input now changes the value."""
    import dataclasses

    from usecases.core import business

    ev = _ev(nurse_shift=2)
    a = triage.Assumptions(runs=10, arrivals_per_hour=10)
    base = triage.value(ev, a).monthly[1]
    money = [f for f in business.fields_of(triage.Assumptions) if "€" in f.unit]
    assert {f.name for f in money} == {"late_critical_cost", "monthly_cost"}
    def doubled(name: str) -> float:
        return triage.value(ev, dataclasses.replace(a, **{name: getattr(a, name) * 2})).monthly[1]

    # A priced improvement: each late patient avoided is worth more; the running cost comes off in full.
    assert doubled("late_critical_cost") - base == pytest.approx(base + a.monthly_cost) and base + a.monthly_cost > 0
    assert doubled("monthly_cost") == pytest.approx(base - a.monthly_cost)
