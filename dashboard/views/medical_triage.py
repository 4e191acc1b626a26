"""Medical triage page: assess a patient, model vs rules vs nurse, ED operations, own records."""

from __future__ import annotations

import functools
import threading

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.components import report as report_ui
from dashboard.components import scenario, training, widgets
from dashboard.components.state import session_jobs
from usecases import triage
from usecases.core import business
from usecases.core.tables import DataProblem
from usecases.triage import queue as tq
from usecases.triage.cohort import CohortConfig, generate
from usecases.triage import records as trec
from usecases.triage.metrics import confusion
from usecases.triage.pipeline import BASELINE_LABELS, assess

SPEC = triage.SPEC
KEY = "triage"
LEVEL_NAMES = {1: "1 · Resuscitation", 2: "2 · Emergent", 3: "3 · Urgent", 4: "4 · Less urgent", 5: "5 · Non-urgent"}
LEVEL_COLORS = {1: "#1d4ed8", 2: "#dc2626", 3: "#f59e0b", 4: "#16a34a", 5: "#64748b"}
_lock = threading.Lock()

report_ui.start("Medical triage")
st.title(":material/emergency: Medical triage")
st.warning("**Decision support for triage nurses — not a diagnosis.** The suggested level is a second opinion; the nurse decides. "
           "The default model is trained and evaluated on **synthetic** patients only.", icon=":material/health_and_safety:")

shared = training.require_model(KEY)
if shared is None:
    st.stop()

SHARED = "Shared model · synthetic cohort"
choice, active, runs = training.model_in_view("triage", shared, SHARED)
try:
    with _lock, st.spinner("Scoring the synthetic test patients and fitting the logistic-regression baseline…"):
        report = triage.evaluate(active)
except DataProblem as exc:
    widgets.show_problem(exc)
    st.stop()
ex = report.extras

t_assess, t_model, t_ops, t_own = st.tabs(["Assess a patient", "Model", "Operations", "Your records"], key="triage.tab")

# ---- assess -------------------------------------------------------------------------------------
with t_assess:
    st.caption("Enter what is known at triage; leave a field empty if it was not measured. Units and plausible ranges are in each label.")
    for _k, _v in {"age": 67.0, "pain": 7.0, "temp": 37.2, "sbp": 104.0, "dbp": 68.0, "hr": 118.0, "rr": 24.0, "spo2": 93.0}.items():
        st.session_state.setdefault(f"triage.f.{_k}", _v)  # a demo patient; every number can be cleared (= not measured)
    with st.form("triage.form"):
        c1, c2, c3 = st.columns(3)
        age = c1.number_input("Age (years, 0–120)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.age")
        sex = c2.selectbox("Sex", ["F", "M"], key="triage.f.sex")
        arrival = c3.selectbox("Arrival mode", ["walk-in", "ambulance", "other"], index=1, key="triage.f.arrival")
        complaint = st.text_input("Chief complaint (free text)", "sudden chest pain since this morning", key="triage.f.complaint")
        c1, c2, c3 = st.columns(3)
        avpu = c1.selectbox("Mental status (AVPU)", ["A", "V", "P", "U"], key="triage.f.avpu",
                            format_func=lambda a: {"A": "A — alert", "V": "V — responds to voice", "P": "P — responds to pain", "U": "U — unresponsive"}[a])
        pain = c2.number_input("Pain score (0–10)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.pain")
        temp = c3.number_input("Temperature (°C, 30–44)", min_value=0.0, max_value=1000.0, value=None, step=0.1, format="%.1f", key="triage.f.temp")
        c1, c2, c3, c4, c5 = st.columns(5)
        sbp = c1.number_input("Systolic BP (mmHg)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.sbp")
        dbp = c2.number_input("Diastolic BP (mmHg)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.dbp")
        hr = c3.number_input("Heart rate (/min)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.hr")
        rr = c4.number_input("Respiratory rate (/min)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.rr")
        spo2 = c5.number_input("SpO₂ (%)", min_value=0.0, max_value=1000.0, value=None, step=1.0, format="%g", key="triage.f.spo2")
        st.form_submit_button("Assess", type="primary", icon=":material/stethoscope:")
    patient = {"age": age, "sex": sex, "arrival": arrival, "complaint": complaint, "avpu": avpu, "pain": pain, "sbp": sbp, "dbp": dbp,
               "hr": hr, "rr": rr, "temp": temp, "spo2": spo2}
    patient = {k: (np.nan if v is None else v) for k, v in patient.items()}
    try:
        res = assess(active, patient)
    except DataProblem as exc:
        widgets.show_problem(exc)
    else:
        lvl = res["level"]
        c1, c2 = st.columns([1, 2])
        with c1:
            st.markdown(f"<div style='background:{LEVEL_COLORS[lvl]};color:white;border-radius:12px;padding:18px 20px'>"
                        f"<div style='font-size:0.9rem;opacity:.9'>Suggested level</div><div style='font-size:2.2rem;font-weight:700'>{LEVEL_NAMES[lvl]}</div>"
                        f"<div style='font-size:0.9rem'>P(level 1–2) = {res['critical_probability']:.0%}</div></div>", unsafe_allow_html=True)
            st.markdown("**Rule baselines on the same entry**")
            st.markdown(f"- NEWS2 → level **{res['news2_level']}**\n- ESI-style rule → level **{res['esi_level']}**")
            st.markdown("**Red flags**")
            if res["red_flags"]:
                st.markdown("\n".join(f"- :red[{f}]" for f in res["red_flags"]))
            else:
                st.caption("No vital sign in a danger zone.")
        with c2:
            probs = pd.DataFrame({"level": [LEVEL_NAMES[i] for i in range(1, 6)], "probability": res["probs"]})
            fig = px.bar(probs, x="probability", y="level", orientation="h", color="level", color_discrete_sequence=list(LEVEL_COLORS.values()),
                         height=250, title="Probability of each level (calibrated)")
            fig.update_layout(showlegend=False, margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(autorange="reversed", title=None), xaxis_tickformat=".0%")
            st.plotly_chart(fig, width="stretch")
            att = pd.DataFrame({"field": [trec.FIELD_LABELS[k] for k in res["attributions"]], "effect": list(res["attributions"].values())})
            att = att.reindex(att["effect"].abs().sort_values().index)
            fig = px.bar(att, x="effect", y="field", orientation="h", color=np.where(att["effect"] > 0, "raises urgency", "lowers urgency"),
                         color_discrete_map={"raises urgency": "#dc2626", "lowers urgency": "#16a34a"}, height=360,
                         title="What drove it: change in P(level 1–2) if the field were unknown")
            fig.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None, yaxis_title=None, xaxis_tickformat="+.0%")
            st.plotly_chart(fig, width="stretch")

# ---- model ----------------------------------------------------------------------------------------
with t_model:
    rows = [{"model": "PyTorch model (this model)", **report.model}]
    rows += [{"model": BASELINE_LABELS.get(n, n), **{k: v for k, v in m.items() if not k.startswith("note")}} for n, m in report.baselines.items()]
    if ex.get("assisted"):
        rows.append({"model": "Nurse + model (more urgent of the two)", **ex["assisted"]})
    table = pd.DataFrame(rows).set_index("model").astype(float)
    st.subheader("Model vs rules vs nurse on the same test patients")
    lower_better = ["under_triage", "under_triage_l12", "over_triage"]
    st.dataframe(table.style.format("{:.3f}").highlight_max(axis=0, subset=[c for c in table.columns if c not in lower_better], color="#dcfce7")
                 .highlight_min(axis=0, subset=lower_better, color="#dcfce7"), width="stretch")
    report_ui.table(table.reset_index(), "Model vs rules vs nurse (same test patients)")
    st.caption(f"{report.data['source']} · {report.data['split']}. Primary metric: linear weighted κ against the reference level "
               "(KTAS nurse–expert agreement in Moon et al. 2019: 0.83). Under-triage = assigned less urgent than the reference; "
               "sensitivity for levels 1–2 = share of critical patients given level 1 or 2.")
    c1, c2 = st.columns(2)
    for col, name, title in ((c1, "model", "PyTorch model"), (c2, "nurse" if "nurse" in ex["preds"] else "esi_rule", "Simulated nurse" if "nurse" in ex["preds"] else "ESI-style rule")):
        cm = np.array(ex["confusion"][name])
        fig = px.imshow(cm, x=[f"pred {i}" for i in range(1, 6)], y=[f"ref {i}" for i in range(1, 6)], text_auto=True, color_continuous_scale="Blues",
                        title=f"Confusion matrix · {title}", height=340)
        fig.update_layout(coloraxis_showscale=False, margin=dict(l=10, r=10, t=40, b=10))
        col.plotly_chart(fig, width="stretch")
    c1, c2 = st.columns(2)
    cal = pd.DataFrame(ex["calibration"])
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#94a3b8"), name="perfect")
    if len(cal):
        fig.add_scatter(x=cal["predicted"], y=cal["observed"], mode="lines+markers", name="model", marker=dict(size=6 + 14 * cal["n"] / cal["n"].max()))
    fig.update_layout(title="Calibration of P(level 1–2)", xaxis_title="predicted", yaxis_title="observed", height=330, margin=dict(l=10, r=10, t=40, b=10))
    c1.plotly_chart(fig, width="stretch")
    with c2:
        hist = pd.DataFrame(active.card.get("history", []))
        if len(hist) > 1:
            f = px.line(hist.melt(id_vars="step", value_vars=[c for c in ("train_loss", "val_loss", "val_kappa") if c in hist]), x="step", y="value",
                        color="variable", markers=True, height=330, title="Training curve")
            f.update_layout(margin=dict(l=10, r=10, t=40, b=10), legend_title=None)
            st.plotly_chart(f, width="stretch")
    widgets.model_card(active.card)
    if choice == SHARED:
        training.retrain_panel(KEY)

# ---- operations ----------------------------------------------------------------------------------
with t_ops:
    st.caption("An ED queue simulation: arrivals, triage nurses and doctors; doctors see patients by *assigned* level. "
               "Unassisted uses the simulated nurse's triage errors; model-assisted takes the more urgent of nurse and model. "
               "Both policies see the same simulated arrivals (common random numbers); ranges are the 10th–90th percentile over the runs.")
    a = widgets.assumptions_form(tq.EDAssumptions(), "triage.ops", columns=4)
    c1, c2 = st.columns(2)
    scenario.default("triage.ops.runs", 20, lo=5, hi=60)
    scenario.default("triage.ops.weeks", 1, lo=1, hi=8)
    n_runs = c1.slider("Simulation runs", 5, 60, step=5, key="triage.ops.runs")
    weeks = c2.slider("Weeks per run", 1, 8, key="triage.ops.weeks")
    widgets.reset_button("triage.ops")
    preds = ex["preds"]
    y = ex["y"]
    if "nurse" not in preds:
        st.info("This model's test data has no nurse labels, so the simulation compares the model alone with the ESI-style rule.")
        pol = {"unassisted": confusion(y, preds["esi_rule"]), "model-assisted": confusion(y, preds["model"])}
    else:
        pol = {"unassisted": confusion(y, preds["nurse"]), "model-assisted": confusion(y, np.minimum(preds["nurse"], preds["model"]))}
    pol = {k: np.where(v.sum(1, keepdims=True) == 0, np.eye(5), v) for k, v in pol.items()}
    load = a.arrivals_per_hour / 60 * float(np.dot(tq.LEVEL_MIX, a.consult_minutes)) / a.doctors
    if load >= 1:
        st.error(f"Doctors are overloaded: utilisation {load:.0%} ≥ 100 %, the queue grows without bound. Add doctors or reduce arrivals.")
    else:
        with st.spinner("Simulating…"):
            res = tq.compare(a, pol, runs=int(n_runs), hours=168.0 * weeks)
        u, m = res["unassisted"], res["model-assisted"]
        fmt = lambda t, f="{:.1f}": f"{f.format(t[1])} ({f.format(t[0])}–{f.format(t[2])})"  # noqa: E731
        cols = st.columns(5)
        cols[0].metric("Doctor utilisation", f"{load:.0%}", border=True)
        cols[1].metric("Critical seen late / week", f"{m['late_l12_per_week'][1]:.0f}", delta=f"{m['late_l12_per_week'][1] - u['late_l12_per_week'][1]:+.0f} vs unassisted",
                       delta_color="inverse", border=True, help="Levels 1–2 seen after their target, model-assisted (median over runs).")
        cols[2].metric("Critical mean wait", f"{m['mean_wait_l12'][1]:.1f} min", delta=f"{m['mean_wait_l12'][1] - u['mean_wait_l12'][1]:+.1f} min",
                       delta_color="inverse", border=True, help="Triage to provider, levels 1–2, model-assisted.")
        cols[3].metric("Staff cost / week", business.money(u["staff_cost"][1] / weeks), border=True, help="Same staffing in both policies.")
        cols[4].metric("Net value / month", business.money(tq.monthly_value(a, u["late_l12_per_week"], m["late_l12_per_week"])[1]), border=True,
                       help="Fewer late critical patients × assumed cost of each, minus the running cost (low/high below).")
        rows = []
        names = {"mean_wait_l12": "Mean triage-to-provider time, levels 1–2 (min)", "p90_wait_l12": "90th percentile, levels 1–2 (min)",
                 "late_share_l12": "Share of levels 1–2 seen after target", "late_l12_per_week": "Levels 1–2 seen after target, per week",
                 "mean_wait_all": "Mean triage-to-provider time, everyone (min)", "staff_hours": "Staff hours per run (per person)", "staff_cost": "Staff cost per run (€)"}
        for k, label in names.items():
            f = "{:.1%}" if k == "late_share_l12" else "{:,.1f}"
            rows.append({"figure": label, "unassisted": fmt(u[k], f), "model-assisted": fmt(m[k], f)})
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        report_ui.table(pd.DataFrame(rows), "ED simulation: unassisted vs model-assisted (median, 10th–90th percentile)")
        val = tq.monthly_value(a, u["late_l12_per_week"], m["late_l12_per_week"])
        st.caption(f"Net value per month, low / base / high assumptions: {business.money(val[0])} / {business.money(val[1])} / {business.money(val[2])}. "
                   f"Targets for time to provider (KTAS): {', '.join(f'level {i + 1}: {t:.0f} min' for i, t in enumerate(tq.TARGET_MINUTES))}.")
        fig = go.Figure()
        for name, color in (("unassisted", "#f59e0b"), ("model-assisted", "#2563eb")):
            t = res[name]["late_share_l12"]
            fig.add_bar(x=[name], y=[t[1]], error_y=dict(type="data", symmetric=False, array=[t[2] - t[1]], arrayminus=[t[1] - t[0]]), marker_color=color, name=name)
        fig.update_layout(title="Share of critical patients seen after their target", yaxis_tickformat=".0%", height=320, showlegend=False,
                          margin=dict(l=10, r=10, t=40, b=10))
        st.plotly_chart(fig, width="stretch")

# ---- own records ---------------------------------------------------------------------------------
with t_own:
    st.info("**Privacy:** your file is read in memory only and never written to disk. Columns that look like names, ids, phone numbers, "
            "e-mail addresses or dates of birth are dropped before anything is shown.", icon=":material/lock:")
    example = generate(CohortConfig(n=8, seed=5))[["patient", "age", "sex", "arrival", "complaint", "avpu", "pain",
                                                                                  "sbp", "dbp", "hr", "rr", "temp", "spo2", "level", "nurse_level"]]
    st.download_button("Download an example export (synthetic, ; separated, decimal commas)",
                       example.to_csv(index=False, sep=";", decimal=",").encode("utf-8"), "triage-example.csv", "text/csv", key="triage.own.example")
    up = st.file_uploader("De-identified triage records (CSV/TSV)", type=["csv", "txt", "tsv"], key="triage.own", max_upload_size=50)
    jm = session_jobs()
    if up is not None:
        try:
            raw_df, info, dropped = trec.read_raw(up.getvalue(), up.name)
        except DataProblem as exc:
            widgets.show_problem(exc)
        else:
            st.caption(f"Read “{up.name}”: {info.describe()}")
            if dropped:
                st.warning(f"Dropped as possible identifiers: {', '.join(dropped)}", icon=":material/visibility_off:")
            st.dataframe(raw_df.head(5), width="stretch")
            guess = trec.propose_mapping(raw_df)
            st.markdown("**Map the file's columns to the triage fields**")
            cols = ["—", *raw_df.columns]
            mapping = trec.Mapping()
            grid = st.columns(4)
            for i, canon in enumerate(trec.CANONICAL):
                default = guess.columns.get(canon, "—")
                sel = grid[i % 4].selectbox(trec.FIELD_LABELS[canon], cols, index=cols.index(default), key=f"triage.map.{canon}")
                if sel != "—":
                    mapping.columns[canon] = sel
            for canon, allowed in trec.CODED.items():
                if canon in mapping.columns:
                    vals = [v for v in raw_df[mapping.columns[canon]].astype(str).str.strip().unique() if v not in trec.PLACEHOLDERS][:12]
                    st.markdown(f"Codes for **{trec.FIELD_LABELS[canon]}**")
                    cc = st.columns(min(6, max(1, len(vals))))
                    codes = {}
                    for j, v in enumerate(vals):
                        opts = ["unknown", *allowed]
                        g = guess.codes.get(canon, {}).get(v, "unknown")
                        pick = cc[j % len(cc)].selectbox(f"“{v}”", opts, index=opts.index(g), key=f"triage.code.{canon}.{v}")
                        if pick != "unknown":
                            codes[v] = pick
                    mapping.codes[canon] = codes
            mapping.most_urgent = st.radio("Which end of your level scale is most urgent?", [1, 5], horizontal=True, key="triage.map.urgent",
                                           format_func=lambda x: f"level {x} is most urgent")
            st.download_button("Download this mapping (for `--mapping` in the CLI)", mapping.to_json().encode(), "triage-mapping.json", "application/json",
                               key="triage.map.dl")
            try:
                recs, notes = trec.apply_mapping(raw_df, mapping, subject=f"“{up.name}”")
                recs_obj = trec.read_records(up.getvalue(), up.name, mapping)
            except DataProblem as exc:
                widgets.show_problem(exc)
            else:
                for n in recs_obj.notes:
                    st.caption(f"• {n}")
                st.success(f"{len(recs_obj.frame):,} labelled records ready; level mix " +
                           ", ".join(f"{int(l)}: {c}" for l, c in recs_obj.frame["level"].value_counts().sort_index().items()))
                if st.button("Train and evaluate on my records", type="primary", key="triage.own.go", icon=":material/play_arrow:"):
                    label = f"Your records · {up.name}"
                    training.start_session_run(jm, "triage-own", f"Training on {up.name}", functools.partial(triage.train, triage.Config(), data=recs_obj),
                                               runs, label, metric="kappa_linear", metric_label="κ")
    training.job_progress(jm, "triage-own")
    st.caption("Command line: `python -m usecases train triage --data records.csv --mapping triage-mapping.json`.")

st.divider()
report_ui.download(assumptions=a, card=active.card, text=f"Decision support, not a diagnosis. Model in view: {choice}. {report.data['source']}; {report.data['split']}.")
