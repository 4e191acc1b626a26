"""The fraud page's interactive tabs — what-if, batch scoring, training on other data — each rerunning on its own
where it can (``st.fragment``). They draw what ``usecases.fraud`` computes."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components import fraud_charts as charts
from dashboard.components import cache, training, upload, widgets
from dashboard.components.state import session_jobs
from usecases import fraud
from usecases.core import fmt
from usecases.core.tables import DataProblem
from usecases.fraud import business as fb
from usecases.fraud import files
from usecases.fraud.data import split_for
from usecases.fraud.features import FEATURES, LABELS
from usecases.fraud.pipeline import plan_rows
from usecases.fraud.simulate import PRESETS, SimConfig

SPLITS = {"auto": "Automatic (5-fold cross-validation below 20,000 rows)", "cv": "Stratified cross-validation",
          "time": "Time-ordered hold-out (last 25 % by time)", "stratified": "Stratified random hold-out (25 %)"}
EXAMPLE = pd.DataFrame({
    "transaction_id": ["T1", "T2", "T3"], "datetime": ["2018-08-08 09:12:00", "2018-08-08 12:40:31", "2018-08-09 00:05:10"],
    "customer_id": ["C1", "C1", "C2"], "terminal_id": ["M7", "M9", "M7"], "amount": [23.5, 318.0, 41.2], "label": [0, 1, ""]})


def whatif(tab, ev, active, op: fb.Operating) -> None:
    with tab:
        if ev.layout != "handbook" or ev.whatif is None or not active.model.differentiable:
            st.info("The what-if form needs the PyTorch model trained on raw transactions (the 15 handbook features).")
            return
        # the probability reads the test rows' fraud mix: "> 99.99 %" was taken literally by a reader who opened only this tab
        week, its = fb.test_period(ev)
        note = (f"The probability follows the fraud mix of the {week} ({fmt.rate(op.test_fraud_share)} of {its} payments are fraud), not "
                "your fraud rate" + (f": at your rate, payments at or above "
                                     + (f"{fmt.rate(op.flags_from, 1)}, the score your team works from," if op.capped else "the threshold")
                                     + f" are {op.precision_text} fraud (the Overview's precision)" + (", so a flag is more often a false alarm than a fraud." if op.precision < 0.5 else ".")
                                     if op.month["alerts"] > 0 else "."))
        _whatif(ev, active, op.threshold, note)


@st.fragment
def _whatif(ev, active, threshold: float, mix_note: str = "") -> None:
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
                elif "NB_TX" in f:  # a count of transactions: whole numbers ("3", not "3.00")
                    vals.append(st.number_input(LABELS[f], 0.0, files.AMOUNT_MAX, step=1.0, format="%.0f", key=f"fraud.w.{f}"))
                else:
                    vals.append(st.number_input(LABELS[f] + (" (€)" if "AMOUNT" in f else ""), 0.0, files.AMOUNT_MAX, key=f"fraud.w.{f}"))
        st.form_submit_button("Score this transaction", type="primary")
    attr = cache.fraud_attributions(active, vals, w.typical)
    p = attr.attrs["score"]
    c1, c2 = st.columns([1, 2])
    with c1:
        st.metric("Fraud probability", fmt.rate(p, 2), border=True)
        # the threshold on the probability's own scale (it read 0.893 beside "0.17 %"), and as the Overview writes it
        shown = f"the threshold {fmt.rate(threshold, 1)} (written {threshold:.3f} on the Overview)"
        # A badge does not wrap: the whole sentence in one was cut off in this narrow column ("… (written 0.893…").
        if p >= threshold:
            st.markdown(f":red-badge[:material/flag: flagged] at or above {shown}")
        else:
            st.markdown(f":green-badge[:material/check: passes] below {shown}")
        st.caption(f"Reference (median legitimate transaction): {fmt.rate(attr.attrs['baseline_score'], 2)}. {mix_note}")
    with c2:
        top = attr.head(10).iloc[::-1]
        if attr["attribution"].abs().max() < 1e-4:
            st.info("This is the reference transaction itself, so nothing moves its score. Change a value, or start from a fraud.")
        else:
            st.plotly_chart(charts.attributions(top), width="stretch")
            rest = attr["attribution"].iloc[10:].sum()
            st.caption(f"The bars add up to the change from the reference's {fmt.rate(attr.attrs['baseline_score'], 2)} to "
                       # to the rates' two decimals: "0.15 % to 0.12 %: 0.0 pts" beside bars of ±0.03 (a walkthrough, 2026-12-07)
                       f"{fmt.rate(p, 2)}: {fmt.points(p - attr.attrs['baseline_score'], 2)}"
                       + (f", of which the {len(attr) - 10} features not drawn carry {fmt.points(rest, 2)}" if len(attr) > 10 else "")
                       + ". Each bar is the feature's Shapley value: its average effect when the features switch from the reference's "
                       "values to this transaction's in a random order (100 orders).")


def batch(tab, active, op: fb.Operating, cli: str = "`python -m usecases score fraud transactions.csv -o scored.csv`") -> None:
    with tab:
        _batch(active, op.threshold, cli)


@st.fragment
def _batch(active, threshold: float, cli: str) -> None:
    if active.layout == "table":  # "customer and terminal history features" meant nothing to a model of a featurised table
        cols = files.file_columns(active.features, active.card["data"].get("categories"), active.card["data"].get("fills"))
        st.caption(f"Upload rows with the model's {len(cols)} feature columns to score them at the current threshold "
                   f"({threshold:.3f}); with the label column it was trained with (blank = not known yet), the evaluation below appears.")
    else:
        st.caption(f"Upload raw transactions to score them at the current threshold ({threshold:.3f}). Customer and terminal history features "
                   "are computed from the file itself; with a label column (blank = not known yet) the terminal risk features use the known "
                   "labels, and the evaluation below appears.")
    got = upload.upload_table(files.RAW_SCHEMA, key="fraud.batch", label="Transactions CSV", example=EXAMPLE, example_name="transactions-example.csv",
                              parse=lambda raw, name: fraud.read_rows(active, raw, name))
    if got is None:
        st.caption(f"Same result from the command line: {cli} (at the profit-optimal threshold under default assumptions).")
        return
    ds, _, fname = got
    for note in ds.notes:
        st.caption(f"Note: {note}.")
    try:
        scored = fraud.score(active, ds, threshold)
    except DataProblem as exc:
        widgets.show_problem(exc)
        return
    for w in scored.attrs.get("warnings", []):  # amounts on another scale than the training file's: said where the flags are
        st.warning(fmt.sentence(w) + ".", icon=":material/warning:")
    n_flag = int(scored["flagged"].sum())
    widgets.kpi_row([("Transactions", fmt.count(len(scored))), ("Flagged", fmt.count(n_flag)), ("Flag rate", fmt.rate(n_flag / max(1, len(scored)), 2))])
    top = scored.sort_values("fraud_probability", ascending=False).head(500)
    st.dataframe(fmt.table(top, {"amount": "number", "fraud_probability": "metric", "label": "number", "flagged": "count"}),
                 hide_index=True, width="stretch")
    st.caption(("The 500 highest scores; the download has every row" if len(scored) > 500 else "Every row, highest score first; the "
                "download has them in the file's order") + ", with the same columns as `python -m usecases score`.")
    widgets.download_csv(scored, f"scored-{fname.rsplit('.', 1)[0]}.csv", "Download scored CSV", key="fraud.batch.dl")
    if "label" not in scored:
        return
    known = scored[scored["label"].notna()]  # blank = not known yet: the evaluation uses the labelled rows
    left_out = len(scored) - len(known)
    if known["label"].nunique() < 2:
        st.caption(f"No evaluation: the labelled rows ({fmt.count(len(known))}) need both frauds and legitimate transactions"
                   + (f"; {fmt.count(left_out)} rows without a label are scored only." if left_out else "."))
        return
    m, seen = fraud.batch_figures(scored)  # rows of the model's training file are left out of the figures, and said
    if m is None:
        st.caption(fmt.sentence(seen) + "." if seen else "No evaluation: the labelled rows need both frauds and legitimate transactions.")
        return
    known = scored[scored["label"].notna().to_numpy() & ~scored.attrs.get("training_rows", np.zeros(len(scored), bool))]
    st.markdown("**This file, scored by the model** (no peers: they would need the model's training rows)"
                + (f" — on its {fmt.count(len(known))} labelled rows; {fmt.count(left_out)} without a label are scored only" if left_out else ""))
    if seen:
        st.caption(fmt.sentence(seen) + ".")
    widgets.kpi_row([("AUC ROC", fmt.metric(m["auc_roc"])), ("Average precision", fmt.metric(m["average_precision"]))])
    y = known["label"].to_numpy().astype(int)
    f = known["flagged"].to_numpy().astype(bool)
    cm = [[int(((y == 0) & ~f).sum()), int(((y == 0) & f).sum())], [int(((y == 1) & ~f).sum()), int(((y == 1) & f).sum())]]
    st.plotly_chart(charts.confusion(cm, threshold, rows="This file"), width="stretch")


def train(tab, runs: dict) -> None:
    with tab:
        jm = session_jobs()
        st.subheader("Simulate another portfolio")  # "What-if simulation" read as the What-if tab's
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
    st.caption("Raw transactions with a label column, or your featurised table (numeric, yes/no and category columns and a 0/1 label, "
               "e.g. the ULB layout Time, V1..V28, Amount, Class; a category becomes one 1/0 feature per value, and a number's empty "
               "cells are filled with its median and marked). The file stays in memory and is never stored; the model stays in this "
               "session.")
    split = st.radio("Split", list(SPLITS), format_func=SPLITS.get, horizontal=True, key="fraud.split",
                     help="Small files are cross-validated (every row scored by a model that did not learn from it; the fold models "
                          "become the ensemble). A time-ordered hold-out needs ≥ 20 frauds before and ≥ 10 after the cut.")
    # A table whose fraud column has another name ("default", "Purchase") had to be renamed outside the app.
    label_col = st.text_input("Label column of a feature table (empty: found by name — label, class, fraud, target …)", key="fraud.own.label",
                              help="The column that marks fraud with 1/0, yes/no or true/false. Raw transactions always use “label”.").strip()
    got = upload.upload_table(files.RAW_SCHEMA, key="fraud.own", label="Labelled transactions CSV", example=EXAMPLE.assign(label=[0, 1, 0]),
                              example_name="labelled-example.csv", parse=lambda raw, name: fraud.read_data(raw, name, label=label_col or None))
    if got is None:
        return
    ds, _, fname = got
    st.success(f"{fmt.sentence(ds.source)}: {fmt.count(ds.frame['TX_FRAUD'].sum())} frauds." + "".join(f" Note: {n}." for n in ds.notes))
    for w in ds.warnings:  # a label in disguise: said before training, where it can still be dropped
        st.warning(fmt.sentence(w) + ".", icon=":material/warning:")
    own_budget = st.number_input("Training budget for your file (s)", 30, 1800, 180, 30, key="fraud.own.budget",
                                 help="The PyTorch model's training, shared over its folds, stops at this budget (or earlier, when "
                                      "validation stops improving) and keeps the best epoch so far; the peers' small grids run in full.")
    if st.button("Train on my file", type="primary", key="fraud.own.go", icon=":material/play_arrow:"):
        cfg = dataclasses.replace(fraud.Config(), split=split, budget_seconds=float(own_budget))
        try:
            plan_rows(ds, split, cfg.seed)  # refuse an impossible split now, with its message
        except DataProblem as exc:
            widgets.show_problem(exc)
        else:
            training.start_session_run(jm, "fraud-own", f"Training on {fname}", functools.partial(fraud.train, cfg, data=ds), runs,
                                       f"Your file · {fname}", metric="average_precision", metric_label="AP")
    training.job_progress(jm, "fraud-own", chart_metrics=("val_ap", "train_loss"))
    st.caption(f"Command line: `{files.train_command(label_col or None)}` (saved as a named model), then "
               "`python -m usecases evaluate fraud --model labelled --data labelled.csv --json` (its held-out rows).")
