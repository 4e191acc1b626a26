"""Entry point: ``streamlit run dashboard/app.py`` (or ``make run``).

The navigation is drawn from the use-case registry (``usecases.NAMES``): each use case's ``SPEC``
gives its title, icon, URL path and page script (``dashboard/views/<SPEC.view>.py``, or the generic
page when it has none).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # streamlit puts dashboard/ on the path, we need the repo root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

import usecases  # noqa: E402
from usecases.core import device  # noqa: E402
from dashboard.components import auth, charts, scenario, sidebar  # noqa: E402,F401  (charts: the shared chart template)
from dashboard.components.pages import page_for  # noqa: E402

st.set_page_config(page_title="AI Use-Case Lab", page_icon=":material/science:", layout="wide")
auth.gate()
_threads_warning = device.limit_threads_for_server()  # training in a session must not fight the server for cores
if _threads_warning:
    st.sidebar.warning(_threads_warning, icon=":material/memory:")

VIEWS = ROOT / "dashboard" / "views"  # not "pages/": Streamlit would also serve that folder as legacy pages
home = st.Page(VIEWS / "home.py", title="Home", icon=":material/dashboard:", default=True)
pages = {name: page_for(usecases.get(name).SPEC) for name in usecases.NAMES}
navigation = st.navigation({"Portfolio": [home], "Use cases": list(pages.values())})
scenario.restore()
scenario.remember()  # widget values changed by the interaction that started this run are already in session state
sidebar.render()
auth.sidebar_badge()
st.session_state["_usecase_in_view"] = next((n for n, p in pages.items() if p.url_path == navigation.url_path), None)
try:
    navigation.run()
finally:  # also when a page stops early: keep the URL in step with the scenario
    scenario.remember()
