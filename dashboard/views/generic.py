"""The page of a use case that has no view of its own, drawn from the contract alone: status, model vs
baselines with the verdict, the business case under editable assumptions, the model card, retraining
and the report. A fifth use case gets a working page before anyone writes its view."""

from __future__ import annotations

import streamlit as st

import usecases
from dashboard.components import cache, report as report_ui, training, upload, widgets
from usecases.core import fmt

name = st.session_state.get("_usecase_in_view")
if name is None:
    st.error("This page belongs to no registered use case.")
    st.stop()
mod = usecases.get(name)
spec = mod.SPEC
report_ui.start(spec.title)
st.title(f"{spec.icon} {spec.title}")
st.caption(f"{spec.purpose} Data: {spec.data_source}.")

trained = training.require_model(name)
if trained is None:
    st.stop()
ev = cache.page_evaluation(name, trained, "Evaluating the model and its baselines on the same rows…")

t_model, t_value, t_batch = st.tabs(["Model", "Business case", "Batch scoring"], key=f"{name}.tab")
with t_model:
    table = widgets.comparison(ev)
    report_ui.table(table, "Model vs baselines on the same rows")
    widgets.model_card(trained.card)
    training.retrain_panel(name)
with t_value:
    a = widgets.assumptions_form(mod.Assumptions(), spec.assumptions_prefix, columns=3)
    widgets.reset_button(spec.assumptions_prefix)
    v = cache.value(name, trained, ev, a)
    widgets.kpi_row([("Net value / month", fmt.money(v.monthly[1]), f"{v.basis}; range {fmt.between(v.monthly[0], v.monthly[2])}"),
                     ("One-off cost", fmt.money(v.upfront[1]))])
    st.caption(v.headline)
    report_ui.kpis([(spec.primary_label, fmt.metric(ev.model.get(spec.primary_metric))), ("Net value / month (after system cost)", fmt.money(v.monthly[1]))])

with t_batch:
    schema = getattr(mod, "SCHEMA", None)  # with a schema the shared reader validates the file; otherwise the use case reads it
    got = upload.upload_table(schema, key=f"{name}.batch", label="File to score",
                              parse=None if schema is not None else (lambda raw, fname: mod.score_file(trained, raw, fname)))
    if got is not None:
        rows, _, fname = got
        scored = mod.score(trained, rows) if schema is not None else rows
        st.dataframe(scored.head(500), hide_index=True, width="stretch")
        widgets.download_csv(scored, f"scored-{fname.rsplit('.', 1)[0]}.csv", "Download scored CSV", key=f"{name}.batch.dl")
    st.caption(f"Command line: `python -m usecases score {name} input.csv -o scored.csv`.")

st.divider()
report_ui.download(assumptions=a, card=trained.card, text=f"{ev.data.source}; {ev.data.split}.")
