"""Home: the portfolio — one card per use case, portfolio value over time, compute cost per 1,000."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import usecases
from dashboard.components import report as report_ui
from dashboard.components import scenario, widgets
from dashboard.components.sidebar import model_status_line
from dashboard.components.state import holder
from usecases import portfolio as pf
from usecases.core import business
from usecases.core.device import select_device
from usecases.core.store import ModelUnusable
from usecases.core.tables import DataProblem
from usecases.fraud.business import FraudAssumptions
from usecases.recommendation.business import RecAssumptions
from usecases.textgen.business import TextAssumptions
from usecases.triage.queue import EDAssumptions

PAGE_FILES = {"textgen": "views/text_generation.py", "fraud": "views/fraud_detection.py", "recommendation": "views/recommendation.py",
              "triage": "views/medical_triage.py"}
ASSUMPTIONS = {"fraud": (FraudAssumptions, "fraud.a"), "recommendation": (RecAssumptions, "rec.a"), "triage": (EDAssumptions, "triage.ops"),
               "textgen": (TextAssumptions, "tg.a")}

report_ui.start("Portfolio")
st.title(":material/science: AI Use-Case Lab")
st.markdown("What applied AI is worth in four domains. Each page trains or loads a PyTorch model on real or realistically simulated "
            "data, compares it with strong baselines on the same data, and turns its measured quality into business figures under "
            "assumptions you can change — here they add up to one portfolio.")


def scenario_assumptions(name: str):
    cls, prefix = ASSUMPTIONS[name]
    values = {k.split(".")[-1]: v for k, v in st.session_state.get(scenario.STATE, {}).items() if k.startswith(prefix + ".")}
    try:
        return business.from_dict(cls, {k: v for k, v in values.items() if k in {f.name for f in business.fields_of(cls)}})
    except (DataProblem, TypeError):
        return cls()


@st.cache_resource(show_spinner=False)
def _throughput(name: str, version: int) -> tuple[float, str]:
    return pf.measure_throughput(name, holder().get(name))


values: list[pf.UseCaseValue] = []
cards = st.columns(2)
for i, name in enumerate(usecases.NAMES):
    mod = usecases.get(name)
    state, text = model_status_line(name)
    with cards[i % 2].container(border=True):
        st.subheader(mod.SPEC.title)
        st.caption(mod.SPEC.purpose)
        try:
            trained = holder().get(name)
        except ModelUnusable as exc:
            st.markdown(f"**Model:** {text}")
            st.caption(str(exc))
            st.page_link(PAGE_FILES[name], label=f"Open {mod.SPEC.title} to train it", icon=":material/arrow_forward:")
            continue
        c = trained.card
        m = c["metrics"].get(mod.SPEC.primary_metric)
        base = {n: b.get(mod.SPEC.primary_metric) for n, b in c.get("baselines", {}).items() if isinstance(b.get(mod.SPEC.primary_metric), (int, float))}
        best = (max if mod.SPEC.higher_is_better else min)(base.items(), key=lambda kv: kv[1]) if base else None
        a = scenario_assumptions(name)
        try:
            with st.spinner("Pricing…"):
                if name == "fraud":
                    v = pf.fraud_value(trained, a)
                elif name == "recommendation":
                    v = pf.recommendation_value(trained, a)
                elif name == "triage":
                    v = pf.triage_value(trained, a)
                else:
                    v = pf.textgen_value(trained, a, _throughput(name, c.get("version", 0))[0])
            values.append(v)
        except DataProblem as exc:
            st.caption(str(exc))
            v = None
        k1, k2 = st.columns(2)
        k1.metric(mod.SPEC.primary_label, f"{m:.3f}" if m is not None else "—", border=True,
                  delta=(f"{m - best[1]:+.3f} vs best baseline" if best else None),
                  delta_color="normal" if mod.SPEC.higher_is_better else "inverse",
                  help=(f"Best baseline on the same data: {best[0].replace('_', ' ')} {best[1]:.3f}." if best else None))
        k2.metric("Net value / month", business.money(v.monthly[1]) if v else "—", border=True,
                  help=(f"Range {business.money(v.monthly[0])} – {business.money(v.monthly[2])} under the page's low/high assumptions." if v else None))
        st.caption(f"Model {text}" + (f" · {v.headline}" if v else ""))
        st.page_link(PAGE_FILES[name], label=f"Open {mod.SPEC.title}", icon=":material/arrow_forward:")

st.divider()
st.subheader("Portfolio value over time")
st.caption("Each use case's monthly net value comes from its own page's assumptions (change them there; they travel in the URL). "
           "Value ramps up linearly while teams adopt the tool; one-off costs are paid in month 0.")
pa = widgets.assumptions_form(pf.PortfolioAssumptions(), "home.p", columns=5)
widgets.reset_button("home.p")
if values:
    tl, totals = pf.timeline(values, pa)
    fig = go.Figure()
    fig.add_scatter(x=tl["month"], y=tl["cum_npv_high"], line=dict(width=0), showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=tl["month"], y=tl["cum_npv_low"], fill="tonexty", fillcolor="rgba(37,99,235,0.15)", line=dict(width=0), name="low–high range")
    fig.add_scatter(x=tl["month"], y=tl["cum_npv_base"], line=dict(color="#2563eb", width=3), name="base")
    fig.add_hline(y=0, line_dash="dot", line_color="#64748b")
    fig.update_layout(title="Cumulative NPV (€)", height=380, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="Month",
                      legend=dict(orientation="h", y=-0.25))
    bars = go.Figure()
    for v in values:
        bars.add_bar(x=tl["month"], y=tl[v.title], name=v.title)
    bars.update_layout(title="Monthly net value by use case, base (€)", barmode="relative", height=380, margin=dict(l=10, r=10, t=40, b=10),
                       xaxis_title="Month", legend=dict(orientation="h", y=-0.25))
    c1, c2 = st.columns(2)
    c1.plotly_chart(fig, width="stretch", key="home.npv")
    c2.plotly_chart(bars, width="stretch", key="home.bars")
    report_ui.figure(fig, "Cumulative NPV with low–high band")
    report_ui.figure(bars, "Monthly net value by use case")
    pb = totals["base"]["payback_month"]
    report_ui.kpis([(f"NPV over {int(pa.horizon_months)} months", business.money(totals["base"]["npv"])), ("Payback", f"month {pb}" if pb else "beyond horizon")])
    widgets.kpi_row([
        (f"NPV over {int(pa.horizon_months)} months", business.money(totals["base"]["npv"]),
         f"Low {business.money(totals['low']['npv'])} · high {business.money(totals['high']['npv'])}"),
        ("Payback", f"month {pb}" if pb else "not within the horizon",
         f"Low: {totals['low']['payback_month'] or '—'} · high: {totals['high']['payback_month'] or '—'}"),
        ("Net value / month at full adoption", business.money(sum(v.monthly[1] for v in values)),
         f"Range {business.money(sum(v.monthly[0] for v in values))} – {business.money(sum(v.monthly[2] for v in values))}"),
    ])

st.divider()
st.subheader("Compute cost per 1,000 predictions")
dev = select_device()
rows = []
for name in usecases.NAMES:
    try:
        trained = holder().get(name)
    except ModelUnusable:
        continue
    per_s, unit = _throughput(name, trained.card.get("version", 0))
    rows.append({"use case": usecases.get(name).SPEC.title, "unit": unit, "measured on this deployment": f"{per_s:,.0f} / s on {dev.type.upper()}",
                 "CPU € per 1,000": f"€{pf.cost_per_1k(pa.cpu_price, per_s):.6f}" if dev.type == "cpu" else "—",
                 "GPU € per 1,000": f"€{pf.cost_per_1k(pa.gpu_price, per_s):.6f}" if dev.type == "cuda" else "not measured (no GPU here)"})
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    report_ui.table(pd.DataFrame(rows), "Compute cost per 1,000 predictions")
    st.caption("Throughput is measured once per model version on this server (single stream / one batch, CPU threads as configured). "
               "GPU figures appear when the app runs on a GPU; `python benchmarks/gpu_check.py` measures them on a GPU machine.")

report_ui.portfolio_download(values, pa)
