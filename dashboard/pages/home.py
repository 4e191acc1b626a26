"""Home: one card per use case with its model status and quality against its best baseline."""

from __future__ import annotations

import streamlit as st

import usecases
from dashboard.components.sidebar import model_status_line

st.title(":material/science: AI Use-Case Lab")
st.markdown("What applied AI is worth in four domains — each page trains or loads a PyTorch model on real or realistically "
            "simulated data, shows its predictions, and turns its measured quality into business figures under assumptions you can change.")

cols = st.columns(2)
for i, name in enumerate(usecases.NAMES):
    mod = usecases.get(name)
    state, text = model_status_line(name)
    with cols[i % 2].container(border=True):
        st.subheader(mod.SPEC.title)
        st.caption(mod.SPEC.purpose)
        st.markdown(f"**Model:** {text}")
        st.page_link(f"pages/{ {'textgen': 'text_generation', 'fraud': 'fraud_detection', 'recommendation': 'recommendation', 'triage': 'medical_triage'}[name] }.py",
                     label=f"Open {mod.SPEC.title}", icon=":material/arrow_forward:")
