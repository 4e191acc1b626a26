"""Fraud detection page: draws what ``usecases.fraud`` computes — one function per tab, no formulas here."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd
import streamlit as st

from dashboard.components import cache
from dashboard.components import fraud_charts as charts
from dashboard.components import report as report_ui
from dashboard.components import scenario, training, upload, widgets
from dashboard.components.state import session_jobs
from usecases import fraud
from usecases.core import business, fmt
from usecases.core.tables import DataProblem
from usecases.fraud import business as fb
from usecases.fraud import explain, files
from usecases.fraud.data import split_for
from usecases.fraud.evaluation import scores_metrics
from usecases.fraud.features import FEATURES, LABELS
from usecases.fraud.pipeline import plan_rows
from usecases.fraud.simulate import PRESETS, SimConfig

SPEC = fraud.SPEC
KEY = "fraud"
SHARED_LABEL = "Shared model · default simulation"
SPLITS = {"auto": "Automatic (5-fold cross-validation below 20,000 rows)", "cv": "Stratified cross-validation",
          "time": "Time-ordered hold-out (last 25 % by time)", "stratified": "Stratified random hold-out (25 %)"}
EXAMPLE = pd.DataFrame({
    "transaction_id": ["T1", "T2", "T3"], "datetime": ["2018-08-08 09:12:00", "2018-08-08 12:40:31", "2018-08-09 00:05:10"],
    "customer_id": ["C1", "C1", "C2"], "terminal_id": ["M7", "M9", "M7"], "amount": [23.5, 318.0, 41.2], "label": [0, 1, ""]})


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
        st.caption(f"Defaults: fraud rate — {fb.FRAUD_RATE_SOURCE} Average fraudulent payment — {fb.FRAUD_AMOUNT_SOURCE}")
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
    return dataclasses.replace(a, mode=mode, threshold=float(threshold))


def overview(tab, ev, a: fb.FraudAssumptions, op: fb.Operating, value) -> None:
    with tab:
        if op.mode != "Manual":
            ts = ", ".join(f"{t:.3f}" for t in op.thresholds)
            st.caption(f"Threshold {ts}{' (one per fold)' if len(op.thresholds) > 1 else ''}, chosen on validation rows"
                       + (f" · team capacity {fmt.count(op.capacity_per_day)} cases/day" if op.mode == "Team capacity" else ""))
        kpis = [
            (f"Frauds caught (test week, of {fmt.count(op.frauds)})" if ev.test_days else f"Frauds caught (test rows, of {fmt.count(op.frauds)})",
             fmt.count(op.caught), f"On the {fmt.count(op.frauds + op.legit)} scored test rows; recall {fmt.rate(op.recall)}."),
            ("Losses prevented / month", fmt.money(op.month["prevented"]),
             f"At your volume and fraud rate: {fmt.count(op.month['caught'])} of {fmt.count(op.month['frauds'])} frauds a month caught, "
             f"{fmt.rate(a.recovery_share)} of their amount recovered."),
            ("Alerts / day at your volume", fmt.count(op.alerts_per_day),
             f"{fmt.count(op.month['alerts'])} a month, of which {fmt.count(op.month['false_alerts'])} false."),
            ("Precision at your fraud rate", fmt.rate(op.precision),
             f"Share of alerts that are fraud when {fb.rate_words(a)} of payments are fraud (test rows: {fmt.rate(op.precision_test)})."),
            ("Net value / month (after system cost)", fmt.money(value.monthly[1]),
             f"Range {fmt.money(value.monthly[0])} – {fmt.money(value.monthly[2])} (low/high assumptions and a bootstrap over test days)."),
        ]
        widgets.kpi_row(kpis)
        if op.over_capacity:
            st.warning(f"The profit-optimal threshold implies {fmt.count(op.optimal_alerts_per_day)} alerts/day at your volume — more than "
                       f"your team's capacity of {fmt.count(a.capacity_per_day)}/day." +
                       (" This mode keeps to the capacity and leaves that value on the table." if op.mode == "Team capacity" else
                        " Choose “Team capacity” to stay within it, or add investigators."), icon=":material/groups:")
        daily = fb.daily_outcomes(ev, a, op)
        if len(daily):
            fig = charts.daily_outcomes(daily)
            st.plotly_chart(fig, width="stretch")
            report_ui.figure(fig, "Outcomes per day at your volume")
        report_ui.kpis([(k[0], k[1]) for k in kpis])
        synth = "; simulated data" if ev.data.synthetic else ""
        st.caption(f"Data: {ev.data.source}. Split: {ev.data.split}. Amounts in €{synth}. Figures per month and per day are at your volume "
                   f"and fraud rate ({fb.rate_words(a)} of payments, €{fmt.number(a.avg_fraud_amount)} each): the test rows' per-class rates "
                   "carry over, their fraud rate does not.")


def business_case(tab, ev, a: fb.FraudAssumptions, op: fb.Operating) -> None:
    with tab:
        st.subheader("Profit curve")
        curve = fb.profit_curve(ev, a)
        fig = charts.profit_curve(curve, op, fb.curve_range(curve, op))
        st.plotly_chart(fig, width="stretch")
        report_ui.figure(fig, "Profit curve")
        c = fb.case(ev, a)
        ranges = pd.DataFrame({
            "Scenario": ["Low", "Base", "High"],
            "Net value / month": [fmt.money(v) for v in c.monthly],
            "Net value / year": [fmt.money(v) for v in c.annual],
            "ROI (year 1)": [fmt.roi(r) for r in c.roi],
            "Payback": [fmt.payback(p) for p in c.payback_months],
            "Threshold": [fmt.metric(t) for t in c.thresholds],
        })
        st.dataframe(ranges, hide_index=True, width="stretch")
        report_ui.table(ranges, "Value with low / base / high range")
        st.caption("Net value = recovered share × fraud amount caught − investigation cost × alerts − customer cost × false alerts − yearly "
                   "system cost / 12, per month at your volume and fraud rate. ROI = (yearly value before system cost − yearly cost) / yearly "
                   "cost; payback = time for the value before system cost to earn back one year's system cost. Low/high: the assumptions' "
                   "low/high values (threshold chosen again under them) and the 5th/95th percentile of a bootstrap over test days.")


def model_tab(tab, ev, active, op: fb.Operating, choice: str, runs: dict) -> None:
    with tab:
        st.subheader("Model vs peers on the same test rows")
        metrics = [m for m in ("average_precision", "auc_roc", "card_precision@100") if m in ev.model]
        table = widgets.comparison(ev, metrics=metrics, extra_rows=list(ev.published.items()))
        report_ui.table(table, "Model vs peers on the same rows")
        st.caption("Average precision (primary), AUC ROC and, on the simulation, the handbook's card precision@100 (daily mean). Peers are tuned "
                   "on inner validation rows of the same training rows. Published rows: Le Borgne et al., handbook chapter 5, their own run of "
                   "the same simulator design (for orientation, not a comparison on our rows).")
        winner_in_view(ev, active, choice, runs)
        c1, c2 = st.columns(2)
        roc, pr = charts.roc_pr(ev)
        c1.plotly_chart(roc, width="stretch")
        c2.plotly_chart(pr, width="stretch")
        report_ui.figure(pr, "Precision–recall curves")
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.confusion(fb.confusion(op), op.threshold), width="stretch")
        with c2:
            st.markdown("**Training curve** (validation AP per ensemble member)")
            fig = charts.training_curve(ev.history)
            st.plotly_chart(fig, width="stretch") if fig is not None else st.caption("No training curve recorded for this model.")
        widgets.model_card(active.card)
        if choice == SHARED_LABEL:
            st.markdown("**Retrain the shared model** on the default simulation (a few minutes on 2 CPU cores).")
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


def whatif_tab(tab, ev, active, op: fb.Operating) -> None:
    with tab:
        if ev.layout != "handbook" or ev.whatif is None or not active.model.differentiable:
            st.info("The what-if form needs the PyTorch model trained on raw transactions (the 15 handbook features).")
            return
        _whatif(ev, active, op.threshold)


@st.fragment
def _whatif(ev, active, threshold: float) -> None:
    w = ev.whatif
    starts = {"Typical legitimate transaction": w.typical}
    caught, missed = w.frauds[w.fraud_score >= threshold], w.frauds[w.fraud_score < threshold]
    if len(caught):
        starts["A fraud the model caught (test rows)"] = caught[len(caught) // 2]
    if len(missed):
        starts["A fraud the model missed (test rows)"] = missed[len(missed) // 2]

    def load_start() -> None:
        for f, val in zip(FEATURES, starts[st.session_state["fraud.w.start"]]):
            st.session_state[f"fraud.w.{f}"] = bool(val) if f in ("TX_DURING_WEEKEND", "TX_DURING_NIGHT") else float(round(float(val), 4))

    st.caption("Describe one transaction and the customer's and terminal's recent history (the 15 model features). Attributions explain "
               "the score relative to the typical legitimate transaction (the median of the test rows).")
    st.selectbox("Start from", list(starts), key="fraud.w.start", on_change=load_start)
    if "fraud.w.TX_AMOUNT" not in st.session_state:
        load_start()
    with st.form("fraud.whatif"):
        cols = st.columns(3)
        vals = []
        for i, f in enumerate(FEATURES):
            with cols[i % 3]:
                if f in ("TX_DURING_WEEKEND", "TX_DURING_NIGHT"):
                    vals.append(float(st.checkbox(LABELS[f], key=f"fraud.w.{f}")))
                elif "RISK" in f:
                    vals.append(st.number_input(LABELS[f], 0.0, 1.0, step=0.01, key=f"fraud.w.{f}"))
                else:
                    vals.append(st.number_input(LABELS[f] + (" (€)" if "AMOUNT" in f else ""), 0.0, files.AMOUNT_MAX, key=f"fraud.w.{f}"))
        st.form_submit_button("Score this transaction", type="primary")
    attr = explain.attributions(active.model.torch_proba, vals, w.typical, FEATURES)
    p = attr.attrs["score"]
    c1, c2 = st.columns([1, 2])
    with c1:
        st.metric("Fraud probability", fmt.rate(p, 1), border=True)
        if p >= threshold:
            st.markdown(f":red-badge[:material/flag: flagged — at or above the threshold {threshold:.3f}]")
        else:
            st.markdown(f":green-badge[:material/check: passes — below the threshold {threshold:.3f}]")
        st.caption(f"Reference (median legitimate transaction): {fmt.rate(attr.attrs['baseline_score'], 2)}")
    with c2:
        top = attr.head(10).iloc[::-1]
        if attr["attribution"].abs().max() < 1e-4:
            st.info("This is the reference transaction itself, so nothing moves its score. Change a value, or start from a fraud.")
        else:
            st.plotly_chart(charts.attributions(top), width="stretch")


def batch_tab(tab, active, op: fb.Operating) -> None:
    with tab:
        _batch(active, op.threshold)


@st.fragment
def _batch(active, threshold: float) -> None:
    st.caption(f"Upload raw transactions to score them at the current threshold ({threshold:.3f}). Customer and terminal history features "
               "are computed from the file itself; with a label column (blank = not known yet) the terminal risk features use the known "
               "labels, and the evaluation below appears.")
    got = upload.upload_table(files.RAW_SCHEMA, key="fraud.batch", label="Transactions CSV", example=EXAMPLE, example_name="transactions-example.csv",
                              parse=lambda raw, name: files.read_user_file(raw, name, require_labels=False,
                                                                           feature_names=active.features if active.layout == "table" else None))
    if got is None:
        st.caption("Same result from the command line: `python -m usecases score fraud transactions.csv -o scored.csv` (at the profit-optimal "
                   "threshold under default assumptions).")
        return
    ds, _, fname = got
    for note in ds.notes:
        st.caption(f"Note: {note}.")
    try:
        scored = fraud.score(active, ds, threshold)
    except DataProblem as exc:
        widgets.show_problem(exc)
        return
    n_flag = int(scored["flagged"].sum())
    widgets.kpi_row([("Transactions", fmt.count(len(scored))), ("Flagged", fmt.count(n_flag)), ("Flag rate", fmt.rate(n_flag / max(1, len(scored)), 2))])
    st.dataframe(scored.sort_values("fraud_probability", ascending=False).head(500), hide_index=True, width="stretch")
    widgets.download_csv(scored, f"scored-{fname.rsplit('.', 1)[0]}.csv", "Download scored CSV", key="fraud.batch.dl")
    if "label" in scored and scored["label"].notna().all() and scored["label"].nunique() == 2:
        y = scored["label"].to_numpy().astype(int)
        m = scores_metrics(y, scored["fraud_probability"].to_numpy())
        st.markdown("**This file, scored by the model** (no peers: they would need the model's training rows)")
        widgets.kpi_row([("AUC ROC", fmt.metric(m["auc_roc"])), ("Average precision", fmt.metric(m["average_precision"]))])
        f = scored["flagged"].to_numpy().astype(bool)
        cm = [[int(((y == 0) & ~f).sum()), int(((y == 0) & f).sum())], [int(((y == 1) & ~f).sum()), int(((y == 1) & f).sum())]]
        st.plotly_chart(charts.confusion(cm, threshold), width="stretch")


def train_tab(tab, runs: dict) -> None:
    with tab:
        jm = session_jobs()
        st.subheader("What-if simulation")
        st.caption("Simulate a different portfolio and train a detector and its peers on it (in this session only; the shared model is unchanged).")
        preset = st.selectbox("Preset", list(PRESETS), index=2, key="fraud.preset")
        p0 = PRESETS[preset]
        with st.form("fraud.sim"):
            c1, c2, c3, c4 = st.columns(4)
            n_c = c1.number_input("Customers", 50, 20_000, p0.n_customers, 50)
            n_t = c2.number_input("Terminals", 50, 40_000, p0.n_terminals, 50)
            n_d = c3.number_input("Days", 51, 365, p0.n_days, 1)
            seed = c4.number_input("Seed", 0, 1_000_000, p0.seed, 1)
            c1, c2, c3, c4 = st.columns(4)
            thr = c1.number_input("Scenario 1: fraud above amount (€)", 0.0, 1e6, p0.amount_threshold, 10.0)
            tpd = c2.number_input("Scenario 2: terminals compromised / day", 0, 50, p0.terminals_per_day, 1)
            cpd = c3.number_input("Scenario 3: customers compromised / day", 0, 50, p0.customers_per_day, 1)
            budget = c4.number_input("Training budget (s)", 10, 600, 60, 10)
            go_sim = st.form_submit_button("Simulate and train", type="primary", icon=":material/play_arrow:")
        if go_sim:
            try:
                sim = SimConfig(n_customers=int(n_c), n_terminals=int(n_t), n_days=int(n_d), seed=int(seed), amount_threshold=float(thr),
                                terminals_per_day=int(tpd), customers_per_day=int(cpd))
                split_for(sim)
            except DataProblem as exc:
                widgets.show_problem(exc)
            else:
                label = f"Simulation · {sim.n_customers:,} customers · {sim.n_days} days · seed {sim.seed}"
                cfg = dataclasses.replace(fraud.Config(), sim=sim, budget_seconds=float(budget))
                training.start_session_run(jm, "fraud-sim", f"Simulating and training ({label})", functools.partial(fraud.train, cfg), runs,
                                           label, metric="average_precision", metric_label="AP")
        training.job_progress(jm, "fraud-sim", chart_metrics=("val_ap", "train_loss"))
        own_file(jm, runs)


def own_file(jm, runs: dict) -> None:
    st.subheader("Your own labelled data")
    st.caption("Raw transactions with a label column, or your featurised table (numeric columns and a 0/1 label, e.g. the ULB layout "
               "Time, V1..V28, Amount, Class). The file stays in memory and is never stored; the model stays in this session.")
    split = st.radio("Split", list(SPLITS), format_func=SPLITS.get, horizontal=True, key="fraud.split",
                     help="Small files are cross-validated (every row scored by a model that did not learn from it; the fold models "
                          "become the ensemble). A time-ordered hold-out needs ≥ 20 frauds before and ≥ 10 after the cut.")
    got = upload.upload_table(files.RAW_SCHEMA, key="fraud.own", label="Labelled transactions CSV", example=EXAMPLE.assign(label=[0, 1, 0]),
                              example_name="labelled-example.csv", parse=lambda raw, name: fraud.read_data(raw, name))
    if got is None:
        return
    ds, _, fname = got
    st.success(f"{ds.source}: {fmt.count(ds.frame['TX_FRAUD'].sum())} frauds." + "".join(f" Note: {n}." for n in ds.notes))
    if st.button("Train on my file", type="primary", key="fraud.own.go", icon=":material/play_arrow:"):
        cfg = dataclasses.replace(fraud.Config(), split=split, budget_seconds=180.0)
        try:
            plan_rows(ds, split, cfg.seed)  # refuse an impossible split now, with its message
        except DataProblem as exc:
            widgets.show_problem(exc)
        else:
            training.start_session_run(jm, "fraud-own", f"Training on {fname}", functools.partial(fraud.train, cfg, data=ds), runs,
                                       f"Your file · {fname}", metric="average_precision", metric_label="AP")
    training.job_progress(jm, "fraud-own", chart_metrics=("val_ap", "train_loss"))
    st.caption("Command line: `python -m usecases train fraud --data labelled.csv` (saved as a named model), then "
               "`python -m usecases evaluate fraud --model labelled --data labelled.csv --json` (its held-out rows).")


# ---- the page -----------------------------------------------------------------------------------

report_ui.start("Fraud detection")
st.title(":material/credit_card: Fraud detection")
st.caption(f"{SPEC.purpose} Data: {SPEC.data_source}. Model: a calibrated ensemble of PyTorch MLPs, compared with logistic regression, "
           "a random forest and LightGBM tuned on the same training rows.")
shared = training.require_model(KEY)
if shared is None:
    st.stop()
choice, active, runs = training.model_in_view(KEY, shared, SHARED_LABEL)
try:
    ev = cache.evaluation(KEY, active)
except DataProblem as exc:
    widgets.show_problem(exc)
    st.stop()
t_over, t_bus, t_model, t_what, t_batch, t_train = st.tabs(
    ["Overview", "Business case", "Model", "What-if", "Batch scoring", "Train on other data"], key="fraud.tab")
try:
    assumptions = operating_inputs(t_over, ev, assumption_inputs(t_bus))
except DataProblem as exc:
    widgets.show_problem(exc)
    st.stop()
op = fb.operating(ev, assumptions)
overview(t_over, ev, assumptions, op, cache.value(KEY, active, ev, assumptions))
business_case(t_bus, ev, assumptions, op)
model_tab(t_model, ev, active, op, choice, runs)
whatif_tab(t_what, ev, active, op)
batch_tab(t_batch, active, op)
train_tab(t_train, runs)
st.divider()
report_ui.download(assumptions=assumptions, card=active.card, text=f"Model in view: {choice}. {ev.data.source}; {ev.data.split}.")
