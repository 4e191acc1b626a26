"""Fraud detection page: draws what ``usecases.fraud`` computes — one function per tab, no formulas here."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import streamlit as st

from dashboard.components import cache
from dashboard.components import fraud_charts as charts
from dashboard.components import fraud_tabs as tabs
from dashboard.components import report as report_ui
from dashboard.components import scenario, training, widgets
from dashboard.components.state import session_jobs
from usecases import fraud
from usecases.core import business, fmt
from usecases.core.tables import DataProblem
from usecases.fraud import assumptions as fa
from usecases.fraud import business as fb
from usecases.fraud import charts as fcharts

SPEC = fraud.SPEC
KEY = "fraud"
SHARED_LABEL = "Shared model · default simulation"
METRICS = {"average_precision": "Average precision", "auc_roc": "AUC ROC", "card_precision@100": "Card precision@100"}


def assumption_inputs(tab) -> fb.FraudAssumptions:
    """The payoff matrix, volume, portfolio and team (Business case tab); read first, everything depends on them."""
    base = fb.FraudAssumptions()
    with tab:
        st.subheader("Payoff matrix")
        st.caption("What each outcome is worth compared with having no model. A missed fraud costs its amount either way, "
                   "so it does not change the difference the model makes.")
        c1, c2, c3 = st.columns([1.1, 1, 1])
        c1.markdown("&nbsp;\n\n**Flagged (alert)**\n\n&nbsp;\n\n**Not flagged**")
        with c2:
            st.markdown("**Fraud**")
            rec = widgets.assumption_input(base, "recovery_share", "fraud.a", label="Caught: share of amount recovered")
            st.caption("Missed fraud: − its amount (lost, as without a model)")
        with c3:
            st.markdown("**Legitimate**")
            fac = widgets.assumption_input(base, "false_alert_cost", "fraud.a", label="False alert: customer cost (€)")
            st.caption("Passed: 0")
        cpa = widgets.assumption_input(base, "cost_per_alert", "fraud.a", label="Every alert: investigation cost (€)")
        st.subheader("Your portfolio, cost and team")
        rest = widgets.assumptions_form(base, "fraud.a", columns=3, fields=["monthly_transactions", "fraud_rate_bps", "avg_fraud_amount",
                                                                            "yearly_system_cost", "investigators", "cases_per_day"])
        st.caption(f"Defaults: fraud rate — {fa.FRAUD_RATE_SOURCE} Average fraudulent payment — {fa.FRAUD_AMOUNT_SOURCE}")
        widgets.reset_button("fraud.a")
    a = dataclasses.replace(rest, recovery_share=rec, false_alert_cost=fac, cost_per_alert=cpa)
    business.check(a)
    return a


def operating_inputs(tab, ev, a: fb.FraudAssumptions) -> fb.FraudAssumptions:
    """Operating mode and (manual) threshold, at the top of the Overview tab."""
    with tab:
        scenario.default("fraud.mode", "Profit-optimal", options=list(fb.MODES))
        mode = st.segmented_control(
            "Operating point", list(fb.MODES), key="fraud.mode",
            help="Profit-optimal maximises the net value under your assumptions; team capacity takes the most profitable threshold "
                 "whose alerts per day fit your investigators; manual lets you set it. Thresholds are chosen on validation rows, "
                 "never on the test rows the figures come from.") or "Profit-optimal"
        threshold = a.threshold
        if mode == "Manual":
            opt = fb.operating(ev, dataclasses.replace(a, mode="Profit-optimal"))
            scenario.default("fraud.threshold", float(min(1.0, round(opt.threshold, 3))), lo=0.0, hi=1.0)
            threshold = st.slider("Alert threshold (fraud probability)", 0.0, 1.0, step=0.001, key="fraud.threshold", format="%.3f")
    return dataclasses.replace(a, mode=mode, threshold=None if threshold is None else float(threshold))


def overview(tab, ev, a: fb.FraudAssumptions, op: fb.Operating, value, why: str = "", home: str = "") -> None:
    with tab:
        if op.mode != "Manual":
            ts = ", ".join(fb.threshold_text(t) for t in op.thresholds)
            st.caption(f"Threshold {ts}{' (one per fold, each on its own test rows)' if len(op.thresholds) > 1 else ''}, chosen on validation rows"
                       + (f" · new transactions are scored at {fb.threshold_text(op.threshold)}, chosen on all validation rows (the one the Business case "
                          "shows; the Model tab's counts are at each fold's own)" if len(op.thresholds) > 1 else "")
                       + (f" · team capacity {fmt.count(op.capacity_per_day)} case{'s' if op.capacity_per_day != 1 else ''}/day"
                          if op.mode == "Team capacity" else "")
                       + (f" · the team works the alerts scored {fb.threshold_text(op.worked_from)} and above, highest first" if op.capped
                          and math.isfinite(op.worked_from) else " · the team has room for none of the alerts" if op.capped else ""))
        week, its = fb.test_period(ev)
        no_money = fb.no_fraud_money(ev)  # no amount column, or every fraud at €0: each fraud counts at the average amount
        share = fb.money_share_text(op, a)  # as many decimals as the product written out needs to give the losses prevented
        kpis = [
            # per month like the tiles beside it: "232 — test week, of 423" stood beside "€37.1k per month" and "30 per day"
            ("Frauds caught", fmt.count(op.month["caught"]), f"per month, of {fmt.count(op.month['frauds'])}",
             f"At your volume and fraud rate, with the recall measured on the {week}: {fmt.count(op.caught)} of "
             f"{its} {fmt.count(op.frauds)} frauds ({fmt.rate(op.recall)}), on "
             f"{fmt.count(op.frauds + op.legit)} scored rows."),
            ("Losses prevented", fmt.money(op.month["prevented"]), "per month",
             f"{fmt.count(op.month['caught'])} of {fmt.count(op.month['frauds'])} frauds a month caught at your volume and fraud rate "
             f"({fmt.rate(op.recall)} of the frauds); "
             + ((f"they carry {share} of the fraud amount"
                 + (", since larger frauds are caught more often" if op.amount_recall > op.recall + 0.005 else
                    ", since smaller frauds are caught more often" if op.amount_recall < op.recall - 0.005 else "")) if not no_money else
                # no amount column: no "fraud amount" to carry a share of (an analyst walkthrough, 2026-12-07)
                f"{no_money}, so each counts at the average €{fmt.number(a.avg_fraud_amount)}")
             + f", and {fmt.rate(a.recovery_share)} of it is recovered: {share} × "
             f"{fmt.count(op.month['frauds'])} × €{fmt.number(a.avg_fraud_amount)} × {fmt.rate(a.recovery_share)}."),
            ("Alerts", fb.alerts_text(op.alerts_per_day),
             # short enough for the tile's label ("per day · above your capacity of 20" was cut to "per day · above you…"); as
             # many decimals as it takes to tell raised from worked ("20, of 20 raised" stood beside "over capacity")
             f"per day · of {fb._pair(op.raised, op.alerts_per_day)[0]} raised" if op.over_capacity_on_test else "per day · your volume",
             f"{fmt.count(op.month['alerts'])} a month, of which {fmt.count(op.month['false_alerts'])} false"
             + (f" — the alerts your team can work, highest score first; the threshold raised {fmt.count(op.raised)} a day on the "
                f"{week}, above your capacity of {fmt.count(op.capacity_per_day)}"
                # "28 of 40 raised" under a capacity of 30 read as a team left idle (a walkthrough, 2026-12-07)
                + (f"; each legitimate test row stands for about {fmt.about(op.per_legit_row_per_day)} alerts a day at your "
                   f"volume, so the alerts worked move in steps of up to that size and stop at the last one within the capacity"
                   if op.per_legit_row_per_day >= 0.5 and op.capacity_per_day - op.alerts_per_day >= 0.5 else "")
                + "." if op.over_capacity_on_test else ".")),
            # "your fraud rate" under 37 % read as a fraud rate of 37 % (a walkthrough, 2026-12-07)
            ("Precision", op.precision_text, "of alerts are fraud, at your fraud rate",
             (f"Share of alerts that are fraud when {fb.rate_words(a)} payments are fraud (on the test rows: {fmt.rate(op.precision_test)})."
              if op.alerts else "Not defined: no payment of the test rows is flagged at this threshold, so there is no alert to "
              "count the frauds of.")  # "(on the test rows: —)" (an analyst walkthrough, 2026-12-07)
             + (" " + op.precision_words if op.precision_words else "")),
            ("Net value", fmt.money(value.monthly[1]), "per month",
             f"After alert costs and the system's running cost. Range {fmt.between(value.monthly[0], value.monthly[2])} (low/high "
             f"assumptions and {fb.bootstrap_words(ev)})."),
        ]
        widgets.kpi_scaled(kpis)
        if home:  # a model of the user's file in view: Home's card reads the shared model's €10.7k beside this €9.8k
            report_ui.say(st.caption, home)  # (nothing had said so; a walkthrough, 2026-12-07)
        if value.monthly[1] < 0:
            report_ui.say(st.warning, f"At these assumptions the model does not pay for itself: {fmt.money(value.monthly[1])} a month after the system's "
                       f"running cost ({fmt.money(a.yearly_system_cost / 12)} a month). The Business case tab shows the assumptions and "
                       "every model under them.", icon=":material/trending_down:")
        st.caption(f"Every tile is at your volume ({fmt.count(a.monthly_transactions)} payments a month) and fraud rate "
                   f"({fb.rate_words(a)}, €{fmt.number(a.avg_fraud_amount)} each); net value is after the system's running cost. "
                   f"The frauds caught a month (the Business case's figure) apply the recall measured on the {week}, where the model "
                   f"caught {fmt.count(op.caught)} of {fmt.count(op.frauds)} frauds.")
        report_ui.say(st.caption, fb.prevented_text(op, a, ev.has_amount, no_money) + " "
                   + ("**Precision** is not defined: no payment of the test rows is flagged at this threshold." if not op.alerts else
                      f"**Precision** {op.precision_text} is at your fraud rate; on the {week}, where "
                      f"{fmt.rate(op.test_fraud_share)} of payments are fraud, the same alerts are "
                      f"{fmt.rate(op.precision_test)} fraud. The fraud probabilities on the Model and What-if tabs follow the fraud mix of the "
                      f"{week} too" + (f", so at your rate an alert above the {fmt.rate(op.flags_from, 1)} "
                                         + ("score the team works from" if op.capped else "threshold") + " is more often a false "
                                         "alarm than a fraud." if op.precision < 0.5 else ".")
                      + (" " + op.precision_words if op.precision_words else "")))
        for kind, text in fb.capacity_messages(op, week):
            if kind == "warning":
                report_ui.say(st.warning, text, icon=":material/groups:")
            else:
                report_ui.say(st.caption, text)
        if why:  # fb.beats_optimal, worked out once for the tab and the report
            report_ui.say(st.caption, why)
        daily = fcharts.daily_outcomes(ev, a, op)
        if len(daily):
            fig = charts.daily_outcomes(daily)
            st.plotly_chart(fig, width="stretch")
            report_ui.figure(fig, "Outcomes per day at your volume")
            if op.capped:  # a busy day's bars had shown the team working 31 alerts against a capacity of 20 (a walkthrough)
                st.caption(f"Your team's capacity ({fmt.count(op.capacity_per_day)} a day) is applied to the average day of the {week}: "
                           "the alerts counted are its highest-scored, as many as fit the capacity on average, so on a busy "
                           "day the bars can stand above it and on a quiet one below.")
            n_fa = daily.attrs.get("test_false_alerts")
            if n_fa is not None and n_fa < 30:
                st.caption((f"The test rows hold only {fmt.count(n_fa)} false alert{'s' if n_fa != 1 else ''}" if n_fa else
                            "The test rows hold no false alert") + " among the alerts counted; " + ("each stands" if n_fa else "one would stand") + " for "
                           f"about {fmt.about(daily.attrs['per_false_alert'])} on the day it falls on at your volume, so the false-alert bars move in "
                           "steps of that size (days without one show none)" + (f"; averaged over the test days, each adds about "
                           f"{fmt.number(op.per_false_alert_per_day, 1)} to a day." if op.per_false_alert_per_day else "."))
        report_ui.kpis([(f"{k[0]} ({k[2]})", k[1]) for k in kpis])
        synth = "; simulated data" if ev.data.synthetic else ""
        money = ("Amounts in €" if not no_money else  # none to be in € (an analyst walkthrough, 2026-12-07)
                 f"{fmt.sentence(no_money)}: every fraud counts at the average €{fmt.number(a.avg_fraud_amount)}")
        st.caption(f"Data: {ev.data.source}. Split: {ev.data.split}. {money}{synth}. Figures per month and per day are at your volume "
                   f"and fraud rate ({fb.rate_words(a)} of payments, €{fmt.number(a.avg_fraud_amount)} each): the test rows' per-class rates "
                   "carry over, their fraud rate does not.")


def business_case(tab, ev, a: fb.FraudAssumptions, op: fb.Operating) -> None:
    with tab:
        st.subheader("Profit curve")
        curve, x_range = fcharts.profit_curve(ev, a, op)
        fig = charts.profit_curve(curve, x_range, op)
        st.plotly_chart(fig, width="stretch")
        report_ui.figure(fig, "Profit curve")
        # the capacity is marked only near the curve's points: 160 a day beside an axis ending at 78 had been left unsaid
        beyond = (f" Your team's capacity, {fmt.count(op.capacity_per_day)} alerts a day, lies beyond the right edge: every point "
                  "shown fits it." if op.capacity_per_day > x_range[1] else "")
        report_ui.say(st.caption, fb.curve_words(op, fb.test_period(ev)[0]) + beyond)
        c = fb.case(ev, a)
        ranges = pd.DataFrame({
            "Scenario": ["Low", "Base", "High"],
            "Net value / month": [fmt.money(v) for v in c.monthly],
            "Net value / year": [fmt.money(v) for v in c.annual],
            "ROI (year 1)": [fmt.roi(r) for r in c.roi],
            "Payback": fmt.paybacks(*c.payback_months),
            "Threshold": [fb.threshold_text(t) for t in c.thresholds],
        })
        st.dataframe(ranges, hide_index=True, width="stretch")
        if c.shown_as_base():  # a High row equal to the base had said nothing of why
            report_ui.say(st.caption, c.shown_as_base())
        report_ui.table(ranges, "Value with low / base / high range")
        st.caption("Net value = recovered share × fraud amount caught − investigation cost × alerts − customer cost × false alerts − yearly "
                   "system cost / 12, per month at your volume and fraud rate. " + business.YEAR_ONE_RULE[:-1] + " (here: no one-off cost, so "
                   "payback is immediate whenever the net value is positive; the recommendation page uses the same rule). Low/high: the assumptions' "
                   "low/high values (" + ("at your manual threshold in each" if op.mode == "Manual" else "threshold chosen again under them")
                   + f") and the 5th/95th percentile of {fb.bootstrap_words(ev)}.")
        st.subheader("Every model under the same assumptions")
        rows, sentence = fb.peer_money(ev, a, c)
        peers = pd.DataFrame({
            "Model": [r["Model"] for r in rows],
            "Net value / month": [fmt.money(r["net"]) for r in rows],
            "Alerts / day": [fb.alerts_text(r["alerts_per_day"]) for r in rows],
            "Precision": [r["precision_text"] for r in rows],
            "Frauds caught / month": [fmt.count(r["caught"]) for r in rows],
            "Threshold": [fb.thresholds_text(r["threshold"], r.get("thresholds", ())) for r in rows],
        })
        st.dataframe(peers, hide_index=True, width="stretch")
        report_ui.table(peers, "Every model under the same assumptions (base case, per month at your volume)")
        floors = [r["Model"] for r in rows if str(r["precision_text"]).startswith("≥")]
        report_ui.say(st.caption, sentence + " Base case, per month at your volume and fraud rate" + ("." if op.mode == "Manual" else  # the sentence says it
                   "; each threshold is chosen on that model's own validation rows.")
                   # "≥ 22 %" stood in the table unexplained (a walkthrough, 2026-12-07)
                   + (f" A precision written “≥ …” ({', '.join(fb.plain_name(m) for m in floors)}) is the floor the test rows allow: that "
                      "model's alerts hold no false alert there, and no false alert among n legitimate rows is consistent with up to 3 in n "
                      "(the rule of three)." if floors else ""))


def model_tab(tab, ev, active, op: fb.Operating, choice: str, runs: dict) -> None:
    with tab:
        st.subheader("Model vs peers on the same test rows")
        metrics = [m for m in ("average_precision", "auc_roc", "card_precision@100") if m in ev.model]
        table = widgets.comparison(ev, metrics=metrics, extra_rows=list(ev.published.items()), metric_labels=METRICS)
        report_ui.table(table, "Model vs peers on the same rows")
        st.caption(fb.metrics_caption(ev, metrics))  # the model in view's metrics and rows, not always the simulation's
        elsewhere = ev.ahead_elsewhere({"average_precision": "average precision", "auc_roc": "AUC ROC", "card_precision@100": "card precision@100"})
        if elsewhere:
            report_ui.say(st.caption, elsewhere)
        if caveat := ev.caveat():  # training cut short by its time budget: a peer's lead may be the budget's
            report_ui.say(st.warning, caveat, icon=":material/timer:")
        for n in ev.notes:  # what reading the file left out or doubts (a label in disguise), under the figures it concerns
            report_ui.say(st.warning if "meaningless" in n else st.caption, fmt.sentence(n) + ".")
        winner_in_view(ev, active, choice, runs)
        c1, c2 = st.columns(2)
        roc, pr = charts.roc_pr(ev)
        c1.plotly_chart(roc, width="stretch")
        c2.plotly_chart(pr, width="stretch")
        # its precision is at the test rows' fraud mix, not at yours: the report set 0.97 beside the tile's 49 % with no word
        report_ui.figure(pr, fb.pr_caption(op))
        c1, c2 = st.columns(2)
        # the counts are the test week's, beside tiles per day and per month: the title says so ("Test rows" left the scale to
        # guess; a walkthrough, 2026-12-07)
        period = fb.test_period(ev)[0]
        c1.plotly_chart(charts.confusion(fcharts.confusion(op), fb.counted_at(op),  # under a cap, the counts are the worked alerts'
                                         rows=f"{period[:1].upper()}{period[1:]}, counted",
                                         title=f"{period[:1].upper()}{period[1:]}, counted: the alerts your team works (scores from "
                                               f"{fb.threshold_text(op.flags_from)})" if op.capped else None,
                                         columns=("Not worked", "Worked") if op.capped else
                                         ("Not flagged", "Flagged")), width="stretch")
        with c2:
            st.markdown(f"**Training curve** ({charts.training_curve_note(active.card.get('model', {}).get('learner'))})")  # it described MLP members a TabM model has not
            fig = charts.training_curve(ev.history)
            if fig is not None:
                st.plotly_chart(fig, width="stretch")
            else:
                st.caption("No training curve recorded for this model.")
        widgets.model_card(active.card)
        if choice == SHARED_LABEL:
            st.markdown(training.retrain_intro(active.card, "the default simulation"))
            training.retrain_panel(KEY)


def winner_in_view(ev, active, choice: str, runs: dict) -> None:
    """When a peer wins, offer to score with it in this session (peers are not safetensors: never saved)."""
    v = ev.verdict()
    if v.winner in ("model", "tie") or active.card.get("promoted_peer"):
        return
    label = f"{ev.label(v.winner)} · in place of {choice}"
    if label in runs:
        st.caption(f"{ev.label(v.winner)} is available under “Model in view”.")
        return
    if st.button(f"Score with {ev.label(v.winner)} in this session", key="fraud.promote", icon=":material/swap_horiz:"):
        if active.peers is not None:
            runs[label] = fraud.promote(active, v.winner)
            st.rerun()
        training.start_session_run(session_jobs(), "fraud-promote", f"Fitting {ev.label(v.winner)} on the training rows",
                                   lambda progress=None, cancel=None: fraud.promote(active, v.winner), runs, label,
                                   metric="average_precision", metric_label="AP")
    training.job_progress(session_jobs(), "fraud-promote")


# ---- the page -----------------------------------------------------------------------------------

report_ui.start("Fraud detection")
st.title(":material/credit_card: Fraud detection")
head = st.empty()  # filled once the model in view is known: with a model of the user's file in view it had named the simulation
shared = training.require_model(KEY)
if shared is None:
    head.caption(f"{SPEC.purpose} Data: {SPEC.data_source}.")
    st.stop()
choice, active, runs = training.model_in_view(KEY, shared, SHARED_LABEL, KEY)
head.caption(f"{SPEC.purpose} Data: {SPEC.data_source if active is shared else active.card['data']['source']}. Model: PyTorch — TabM "
             "over piecewise-linear embeddings (calibrated), compared with logistic regression, a random forest and LightGBM tuned on "
             "the same training rows.")
ev = cache.page_evaluation(KEY, active, spinner=None)  # read from stored arrays: fast
t_over, t_bus, t_model, t_what, t_batch, t_train = st.tabs(
    ["Overview", "Business case", "Model", "What-if", "Batch scoring", "Train on other data"], key="fraud.tab")
try:
    assumptions = operating_inputs(t_over, ev, assumption_inputs(t_bus))
except DataProblem as exc:
    widgets.show_problem(exc)
    st.stop()
op = fb.operating(ev, assumptions)
week = fb.test_period(ev)[0]
why = fb.beats_optimal(ev, assumptions, op, week=week)  # once: it prices the profit-optimal point too (the tab and the report)
overview(t_over, ev, assumptions, op, cache.value(KEY, active, ev, assumptions), why,
         "" if active is shared else f"These figures are the model in view's. {training.HOME_PRICES_SHARED}: its fraud card reads the "
                                     "shared model's value.")
business_case(t_bus, ev, assumptions, op)
model_tab(t_model, ev, active, op, choice, runs)
tabs.whatif(t_what, ev, active, op)
tabs.batch(t_batch, active, op, training.cli_command("python -m usecases score fraud transactions.csv -o scored.csv", choice, active, shared, KEY))
tabs.train(t_train, runs)
st.divider()
# the operating point: the report had priced a capped week without it (a walkthrough, 2026-12-06); what the Overview warns
# about is in the report's "What the page says", as the page says it (report_ui.say)
said = (f"Operating point: {op.mode.lower()}, threshold {fb.threshold_text(op.threshold)}"
        + (f", the team working the alerts scored {fb.threshold_text(op.worked_from)} and above" if op.capped else "") + ".")
report_ui.download(assumptions=assumptions, card=active.card,
                   text=f"Model in view: {choice}. {fmt.sentence(ev.data.source)}; {ev.data.split}. {said}")
