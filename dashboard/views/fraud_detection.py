"""Fraud detection page: operating point, business case, model quality, what-if, batch scoring, own data."""

from __future__ import annotations

import dataclasses
import functools
import threading

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import report as report_ui
from dashboard.components import scenario, training, upload, widgets
from dashboard.components.state import session_jobs
from usecases import fraud
from usecases.core import business
from usecases.core.tables import DataProblem
from usecases.fraud import business as fb
from usecases.fraud import data as fdata
from usecases.fraud import explain as fexplain
from usecases.fraud.evaluation import metrics as fraud_metrics
from usecases.fraud.features import FEATURES, LABELS
from usecases.fraud.simulate import PRESETS, SimConfig
from usecases.fraud.pipeline import BASELINE_LABELS, score_dataset

SPEC = fraud.SPEC
KEY = "fraud"
HANDBOOK = {"XGBoost (handbook, tuned)": {"average_precision": 0.687, "card_precision@100": 0.303},
            "Random forest (handbook, tuned)": {"average_precision": 0.678}}
_eval_lock = threading.Lock()

report_ui.start("Fraud detection")
st.title(":material/credit_card: Fraud detection")
st.caption(f"{SPEC.purpose} Data: {SPEC.data_source}. Model: a calibrated ensemble of PyTorch MLPs, compared with "
           "logistic regression, a random forest and gradient boosting trained on the same week.")

shared = training.require_model(KEY)
if shared is None:
    st.stop()

# ---- which model is in view -------------------------------------------------------------------
SHARED_LABEL = "Shared model · default simulation"
choice, active, runs = training.model_in_view("fraud", shared, SHARED_LABEL)


def _report(trained):
    if trained.report is not None:
        return trained.report
    with _eval_lock, st.spinner("Scoring the test week with the model and fitting the baselines on the same training week…"):
        return fraud.evaluate(trained)


try:
    report = _report(active)
except DataProblem as exc:
    widgets.show_problem(exc)
    st.stop()
ex = report.extras
y, amount, day, days = ex["y"], ex["amount"], ex["day"], ex["days"]
score = ex["scores"]["model"]

t_over, t_bus, t_model, t_what, t_batch, t_train = st.tabs(
    ["Overview", "Business case", "Model", "What-if", "Batch scoring", "Train on other data"], key="fraud.tab")

# ---- assumptions (Business case tab) are read first: the operating point depends on them --------
with t_bus:
    st.subheader("Payoff matrix")
    st.caption("What each outcome is worth compared with having no model. A missed fraud costs its full amount either way, "
               "so it does not change the difference the model makes.")
    base_a = fb.FraudAssumptions()
    c1, c2, c3 = st.columns([1.1, 1, 1])
    c1.markdown("&nbsp;")
    c1.markdown("**Flagged (alert)**")
    c1.markdown("&nbsp;")
    c1.markdown("**Not flagged**")
    with c2:
        st.markdown("**Fraud**")
        rec = widgets.assumption_input(base_a, "recovery_share", "fraud.a", label="Caught: share of amount recovered")
        st.caption("Missed fraud: − its amount (lost, as without a model)")
    with c3:
        st.markdown("**Legitimate**")
        fac = widgets.assumption_input(base_a, "false_alert_cost", "fraud.a", label="False alert: customer cost (€)")
        st.caption("Passed: 0")
    cpa = widgets.assumption_input(base_a, "cost_per_alert", "fraud.a", label="Every alert: investigation cost (€)")
    st.subheader("Volume, cost and team")
    rest = widgets.assumptions_form(base_a, "fraud.a", columns=4, fields=["monthly_transactions", "yearly_system_cost", "investigators", "cases_per_day"])
    try:
        assumptions = dataclasses.replace(rest, recovery_share=rec, false_alert_cost=fac, cost_per_alert=cpa)
        business.check(assumptions)
    except DataProblem as exc:
        widgets.show_problem(exc)
        st.stop()
    widgets.reset_button("fraud.a")

# ---- operating point (Overview tab) -----------------------------------------------------------
with t_over:
    scenario.default("fraud.mode", "Profit-optimal", options=["Profit-optimal", "Team capacity", "Manual"])
    mode = st.segmented_control(
        "Operating point", ["Profit-optimal", "Team capacity", "Manual"], key="fraud.mode",
        help="Profit-optimal maximises the value under your payoff matrix; team capacity flags only as many cases per day as "
             "your investigators can handle; manual lets you set the threshold.") or "Profit-optimal"
    opt_t = fb.optimal_threshold(y, score, amount, assumptions, days)
    cap_per_day = assumptions.investigators * assumptions.cases_per_day
    cap_t = fb.capacity_threshold(score, days, cap_per_day)
    if mode == "Manual":
        scenario.default("fraud.threshold", float(min(1.0, round(opt_t, 3))), lo=0.0, hi=1.0)
        threshold = st.slider("Alert threshold (fraud probability)", 0.0, 1.0, step=0.001, key="fraud.threshold", format="%.3f")
    else:
        threshold = opt_t if mode == "Profit-optimal" else cap_t
        st.caption(f"Threshold {threshold:.3f}" + (f" · capacity {cap_per_day:,.0f} cases/day" if mode == "Team capacity" else ""))
    op = fb.operating_point(y, score, amount, threshold, assumptions, days)
    scaled = fb.scale(y, score, amount, day, threshold, assumptions)
    per_month = assumptions.monthly_transactions / max(1, op.transactions)
    widgets.kpi_row([
        (f"Frauds caught (of {op.caught + op.missed:,})", f"{op.caught:,}", f"Test week ({op.transactions:,} transactions); recall {op.recall:.0%}."),
        ("Losses prevented/mo", business.money(assumptions.recovery_share * op.caught_amount * per_month),
         "Recovered share of caught fraud amounts, scaled to your monthly volume."),
        ("Alerts per day", f"{op.alerts_per_day * assumptions.monthly_transactions / max(1, op.transactions) * op.days / 30.4:,.0f}",
         f"At your volume ({op.alerts_per_day:,.0f}/day in the test week)."),
        ("Precision", f"{op.precision:.0%}" if op.alerts else "—", "Share of alerts that are fraud."),
        ("Net value/mo", f"{business.money(scaled.monthly[1])}", f"Range {business.money(scaled.monthly[0])} – {business.money(scaled.monthly[2])} "
         "(low/high assumptions and a bootstrap over test days)."),
    ])
    if mode == "Team capacity" and op.alerts_per_day * per_month * op.days / 30.4 > cap_per_day * 1.05:
        st.warning("Even the highest threshold flags more cases than the team can handle at your volume.")
    # Daily outcome chart.
    flag = score >= threshold
    daily = pd.DataFrame({"day": pd.to_datetime(day) if np.issubdtype(np.asarray(day).dtype, np.datetime64) else day,
                          "Caught": flag & (y == 1), "Missed": ~flag & (y == 1), "False alerts": flag & (y == 0)}).groupby("day").sum().reset_index()
    fig = px.bar(daily.melt(id_vars="day", var_name="outcome", value_name="transactions"), x="day", y="transactions", color="outcome",
                 barmode="group", color_discrete_map={"Caught": "#16a34a", "Missed": "#dc2626", "False alerts": "#f59e0b"},
                 title="Outcomes per test day at this threshold", height=330)
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None)
    st.plotly_chart(fig, width="stretch")
    report_ui.kpis([("Threshold", f"{threshold:.3f} ({mode})"), ("Frauds caught (test week)", f"{op.caught:,} of {op.caught + op.missed:,}"),
                    ("Precision", f"{op.precision:.0%}" if op.alerts else "—"), ("Net value / month", business.money(scaled.monthly[1]))])
    report_ui.figure(fig, "Outcomes per test day")
    st.caption(f"Data: {report.data['source']}. Split: {report.data['split']}. Amounts in €; simulated data.")

# ---- business case figures --------------------------------------------------------------------
with t_bus:
    st.subheader("Profit curve")
    curve = fb.profit_curve(y, score, amount, assumptions, days)
    curve["monthly value"] = curve["value"] * per_month
    curve["alerts/day at your volume"] = curve["alerts_per_day"] * per_month * days / 30.4
    fig = go.Figure()
    fig.add_scatter(x=curve["alerts/day at your volume"], y=curve["monthly value"], mode="lines", name="Value per month",
                    customdata=np.c_[curve["threshold"], curve["precision"], curve["recall"]],
                    hovertemplate="%{x:,.0f} alerts/day<br>€%{y:,.0f}/month<br>threshold %{customdata[0]:.3f}<br>precision %{customdata[1]:.0%}<br>recall %{customdata[2]:.0%}<extra></extra>")
    best = curve.loc[curve["monthly value"].idxmax()]
    fig.add_scatter(x=[best["alerts/day at your volume"]], y=[best["monthly value"]], mode="markers+text", marker=dict(size=12, color="#16a34a"),
                    text=[f"optimum (threshold {best['threshold']:.3f})"], textposition="top right", name="Profit-optimal")
    cur_x = op.alerts_per_day * per_month * days / 30.4
    fig.add_scatter(x=[cur_x], y=[op.value * per_month], mode="markers", marker=dict(size=12, color="#2563eb", symbol="diamond"), name="Current threshold")
    if cap_per_day > 0:
        fig.add_vline(x=cap_per_day, line_dash="dash", line_color="#64748b", annotation_text="team capacity")
    fig.update_layout(xaxis_title="Alerts per day at your volume", yaxis_title="Net value per month (€)", height=380,
                      margin=dict(l=10, r=10, t=20, b=10), xaxis_type="log")
    st.plotly_chart(fig, width="stretch")
    report_ui.figure(fig, "Profit curve")
    ranges = pd.DataFrame({
        "scenario": ["Low", "Base", "High"],
        "value / month": [business.money(v) for v in scaled.monthly],
        "value / year": [business.money(v) for v in scaled.annual],
        "ROI (year 1)": [f"{r:.0%}" if r is not None else "—" for r in scaled.roi],
        "payback": [f"{p:.1f} months" if p is not None else "never" for p in scaled.payback_months],
    })
    st.dataframe(ranges, hide_index=True, width="stretch")
    report_ui.table(ranges, "Value with low / base / high range")
    st.caption("Value = recovered share × caught amounts − investigation cost × alerts − customer cost × false alerts, per test transaction, "
               "scaled to your volume (this assumes your fraud rate and amounts resemble the test data). ROI = (annual value − yearly cost) / "
               "yearly cost; payback = months of value needed to cover one year's cost. Low/high: the assumptions' low/high values and the "
               "5th/95th percentile of a bootstrap over test days.")

# ---- model quality ----------------------------------------------------------------------------
with t_model:
    rows = [{"model": "PyTorch detector (this model)", **report.model}]
    rows += [{"model": BASELINE_LABELS.get(n, n), **m} for n, m in report.baselines.items()]
    if choice == SHARED_LABEL:
        rows += [{"model": n + " — published", **m} for n, m in HANDBOOK.items()]
    table = pd.DataFrame(rows).set_index("model").astype(float)
    st.subheader("Model vs baselines on the same test week")
    st.dataframe(table.style.format("{:.3f}", na_rep="—").highlight_max(axis=0, color="#dcfce7"), width="stretch")
    report_ui.table(table.reset_index(), "Model vs baselines on the same test week")
    st.caption("AUC ROC, Average Precision (primary) and Card Precision@100 (daily mean) as defined in the handbook. "
               "Published rows: Le Borgne et al., handbook chapter 5, on its own run of the same simulator design.")
    c1, c2 = st.columns(2)
    roc = go.Figure()
    pr = go.Figure()
    for name, cv in ex["curves"].items():
        label = "PyTorch detector" if name == "model" else BASELINE_LABELS.get(name, name)
        width = 3 if name == "model" else 1.5
        roc.add_scatter(x=cv["fpr"], y=cv["tpr"], mode="lines", name=label, line=dict(width=width))
        pr.add_scatter(x=cv["recall"], y=cv["precision"], mode="lines", name=label, line=dict(width=width))
    roc.update_layout(title="ROC curve", xaxis_title="False positive rate", yaxis_title="True positive rate", height=360, margin=dict(l=10, r=10, t=40, b=10))
    pr.update_layout(title="Precision–recall curve", xaxis_title="Recall", yaxis_title="Precision", height=360, margin=dict(l=10, r=10, t=40, b=10))
    c1.plotly_chart(roc, width="stretch")
    c2.plotly_chart(pr, width="stretch")
    report_ui.figure(pr, "Precision–recall curves")
    c1, c2 = st.columns(2)
    cm = np.array([[op.transactions - op.caught - op.false_alerts - op.missed, op.false_alerts], [op.missed, op.caught]])
    heat = px.imshow(cm, x=["Not flagged", "Flagged"], y=["Legitimate", "Fraud"], text_auto=",", color_continuous_scale="Blues",
                     title=f"Confusion matrix at threshold {threshold:.3f}", height=330)
    heat.update_layout(margin=dict(l=10, r=10, t=40, b=10), coloraxis_showscale=False)
    c1.plotly_chart(heat, width="stretch")
    with c2:
        st.markdown("**Training curve** (validation AP per ensemble member)")
        hist = pd.DataFrame(active.card.get("history", []))
        if len(hist) > 1 and "val_ap" in hist:
            f = px.line(hist, x="step", y="val_ap", color=hist["member"].astype(int).astype(str), markers=True, height=290,
                        labels={"color": "member", "val_ap": "validation AP"})
            f.update_layout(margin=dict(l=10, r=10, t=10, b=10))
            st.plotly_chart(f, width="stretch")
    widgets.model_card(active.card)
    if choice == SHARED_LABEL:
        st.markdown("**Retrain the shared model** on the default simulation (about 2 minutes on 2 CPU cores).")
        training.retrain_panel(KEY)

# ---- what-if ----------------------------------------------------------------------------------
with t_what:
    if active.model.layout != "handbook":
        st.info("The what-if form needs a model trained on raw transactions (the 15 handbook features).")
    else:
        test = ex["test"]
        legit = test[test["TX_FRAUD"] == 0]
        base_vals = legit[list(FEATURES)].median().to_numpy()
        starts = {"Typical legitimate transaction": base_vals}
        fr = test[(test["TX_FRAUD"] == 1)]
        caught = fr[score[(test["TX_FRAUD"] == 1).to_numpy()] >= threshold]
        missed = fr[score[(test["TX_FRAUD"] == 1).to_numpy()] < threshold]
        if len(caught):
            starts["A fraud the model caught (test week)"] = caught[list(FEATURES)].iloc[len(caught) // 2].to_numpy()
        if len(missed):
            starts["A fraud the model missed (test week)"] = missed[list(FEATURES)].iloc[len(missed) // 2].to_numpy()

        def _load_start():
            v = starts[st.session_state["fraud.w.start"]]
            for f, val in zip(FEATURES, v):
                st.session_state[f"fraud.w.{f}"] = bool(val) if f in ("TX_DURING_WEEKEND", "TX_DURING_NIGHT") else float(round(val, 4))

        st.caption("Describe one transaction and the customer's and terminal's recent history (as the 15 model features). "
                   "Attributions explain the score relative to the typical legitimate transaction (the median of the test week).")
        st.selectbox("Start from", list(starts), key="fraud.w.start", on_change=_load_start)
        if "fraud.w.TX_AMOUNT" not in st.session_state:
            _load_start()
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
                        vals.append(st.number_input(LABELS[f] + (" (€)" if "AMOUNT" in f else ""), 0.0, 1e7, key=f"fraud.w.{f}"))
            st.form_submit_button("Score this transaction", type="primary")
        x = np.array(vals, dtype=np.float32)
        attr = fexplain.attributions(active.model, x, base_vals, FEATURES)
        p = attr.attrs["score"]
        c1, c2 = st.columns([1, 2])
        with c1:
            st.metric("Fraud probability", f"{p:.1%}", border=True)
            if p >= threshold:
                st.markdown(f":red-badge[:material/flag: flagged — above the threshold {threshold:.3f}]")
            else:
                st.markdown(f":green-badge[:material/check: passes — below the threshold {threshold:.3f}]")
            st.caption(f"Reference (median legitimate transaction): {attr.attrs['baseline_score']:.2%}")
            bl = active.extras.get("baseline_models") or {}
            for n, m in bl.items():
                st.caption(f"{BASELINE_LABELS.get(n, n)}: {m.predict_proba(x[None])[0, 1]:.1%}")
        with c2:
            top = attr.head(10).iloc[::-1]
            if attr["attribution"].abs().max() < 1e-4:
                st.info("This is the reference transaction itself, so nothing moves its score. Change a value, or start from a fraud above.")
                top = top.iloc[:0]
            fig = None if top.empty else px.bar(top, x="attribution", y="label", orientation="h", color=np.where(top["attribution"] > 0, "raises risk", "lowers risk"),
                         color_discrete_map={"raises risk": "#dc2626", "lowers risk": "#16a34a"}, height=360,
                         title="What moved the score away from the reference (integrated gradients)")
            if fig is not None:
                fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None, yaxis_title=None, xaxis_title="change in fraud probability")
                st.plotly_chart(fig, width="stretch")

# ---- batch scoring ----------------------------------------------------------------------------
with t_batch:
    st.caption(f"Upload raw transactions to score them at the current threshold ({threshold:.3f}). Customer and terminal history "
               "features are computed from the file itself; with a label column (blank = not known yet) the terminal risk features "
               "use the known labels, and the evaluation below appears.")
    example = pd.DataFrame({
        "transaction_id": ["T1", "T2", "T3"], "datetime": ["2018-08-08 09:12:00", "2018-08-08 12:40:31", "2018-08-09 00:05:10"],
        "customer_id": ["C1", "C1", "C2"], "terminal_id": ["M7", "M9", "M7"], "amount": [23.5, 318.0, 41.2], "label": [0, 1, ""]})
    got = upload.upload_table(fdata.RAW_SCHEMA, key="fraud.batch", label="Transactions CSV", example=example, example_name="transactions-example.csv",
                              parse=lambda raw, name: fdata.read_user_file(raw, name, require_labels=False))
    if got is not None:
        ds, _, fname = got
        try:
            scored = score_dataset(active, ds, threshold)
        except DataProblem as exc:
            widgets.show_problem(exc)
        else:
            n_flag = int(scored["flagged"].sum())
            widgets.kpi_row([("Transactions", f"{len(scored):,}"), ("Flagged", f"{n_flag:,}"), ("Flag rate", f"{n_flag / max(1, len(scored)):.2%}")])
            st.dataframe(scored.sort_values("fraud_probability", ascending=False).head(500), hide_index=True, width="stretch")
            widgets.download_csv(scored, f"scored-{fname.rsplit('.', 1)[0]}.csv", "Download scored CSV", key="fraud.batch.dl")
            if "label" in scored and scored["label"].notna().all() and scored["label"].nunique() == 2:
                m = fraud_metrics(ds.frame.assign(TX_FRAUD=scored["label"].to_numpy()), scored["fraud_probability"].to_numpy())
                st.markdown("**Evaluation on this file**")
                widgets.kpi_row([("AUC ROC", f"{m['auc_roc']:.3f}"), ("Average precision", f"{m['average_precision']:.3f}"),
                                 ("Card precision@100", f"{m['card_precision@100']:.3f}")])
                yy = scored["label"].to_numpy().astype(int)
                ff = scored["flagged"].to_numpy().astype(bool)
                cmb = np.array([[int(((yy == 0) & ~ff).sum()), int(((yy == 0) & ff).sum())], [int(((yy == 1) & ~ff).sum()), int(((yy == 1) & ff).sum())]])
                st.plotly_chart(px.imshow(cmb, x=["Not flagged", "Flagged"], y=["Legitimate", "Fraud"], text_auto=",", color_continuous_scale="Blues",
                                          height=300).update_layout(coloraxis_showscale=False, margin=dict(l=10, r=10, t=10, b=10)), width="stretch")
    st.caption("Same result from the command line: `python -m usecases score fraud transactions.csv -o scored.csv` (at the model's profit-optimal threshold).")

# ---- train on other data ----------------------------------------------------------------------
with t_train:
    jm = session_jobs()
    st.subheader("What-if simulation")
    st.caption("Simulate a different portfolio and train a detector on it (in this session only; the shared model is unchanged).")
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
            fdata.split_for(sim)
        except DataProblem as exc:
            widgets.show_problem(exc)
        else:
            label = f"Simulation · {sim.n_customers:,} customers · {sim.n_days} days · seed {sim.seed}"
            cfg = dataclasses.replace(fraud.Config(), sim=sim, budget_seconds=float(budget))
            training.start_session_run(jm, "fraud-sim", f"Simulating and training ({label})", functools.partial(fraud.train, cfg), runs, label,
                                       metric="average_precision", metric_label="AP")
    training.job_progress(jm, "fraud-sim", chart_metrics=("val_ap", "train_loss"))

    st.subheader("Your own labelled data")
    st.caption("Raw transactions with a label column, or an already-featurised table in the public ULB credit-card layout "
               "(Time, V1..V28, Amount, Class). The file stays in memory and is never stored.")
    holdout = st.radio("Hold-out", ["time", "stratified"], horizontal=True, key="fraud.holdout",
                       format_func=lambda h: "Time-ordered (last 25 % by time)" if h == "time" else "Stratified random 25 %")
    got = upload.upload_table(fdata.RAW_SCHEMA, key="fraud.own", label="Labelled transactions CSV", example=example.assign(label=[0, 1, 0]),
                              example_name="labelled-example.csv", parse=lambda raw, name: fdata.read_user_file(raw, name, require_labels=True))
    if got is not None:
        ds, _, fname = got
        st.success(f"{ds.source}: {int(ds.frame['TX_FRAUD'].sum()):,} frauds.")
        if st.button("Train on my file", type="primary", key="fraud.own.go", icon=":material/play_arrow:"):
            label = f"Your file · {fname}"
            cfg = dataclasses.replace(fraud.Config(), holdout=holdout, budget_seconds=120.0)
            training.start_session_run(jm, "fraud-own", f"Training on {fname}", functools.partial(fraud.train, cfg, data=ds), runs, label,
                                       metric="average_precision", metric_label="AP")
    training.job_progress(jm, "fraud-own", chart_metrics=("val_ap", "train_loss"))
    st.caption("Command line: `python -m usecases train fraud --data labelled.csv` (saved as a named model), "
               "`python -m usecases evaluate fraud --data labelled.csv --json`.")

st.divider()
report_ui.download(assumptions=assumptions, card=active.card, text=f"Model in view: {choice}. {report.data['source']}; {report.data['split']}.")
