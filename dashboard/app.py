"""Entry point: ``streamlit run dashboard/app.py`` (or ``make run``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # streamlit puts dashboard/ on the path, we need the repo root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.components import auth, scenario, sidebar  # noqa: E402

st.set_page_config(page_title="AI Use-Case Lab", page_icon=":material/science:", layout="wide")
auth.gate()

PAGES = ROOT / "dashboard" / "views"  # not "pages/": Streamlit would also serve that folder as legacy pages
navigation = st.navigation(
    {
        "Portfolio": [st.Page(PAGES / "home.py", title="Home", icon=":material/dashboard:", default=True)],
        "Use cases": [
            st.Page(PAGES / "text_generation.py", title="Text generation", icon=":material/edit_note:", url_path="text-generation"),
            st.Page(PAGES / "fraud_detection.py", title="Fraud detection", icon=":material/credit_card:", url_path="fraud-detection"),
            st.Page(PAGES / "recommendation.py", title="Recommendation", icon=":material/movie:", url_path="recommendation"),
            st.Page(PAGES / "medical_triage.py", title="Medical triage", icon=":material/emergency:", url_path="medical-triage"),
        ],
    }
)
scenario.restore()
sidebar.render()
auth.sidebar_badge()
try:
    navigation.run()
finally:  # also when a page stops early: keep the URL in step with the scenario
    scenario.remember()
