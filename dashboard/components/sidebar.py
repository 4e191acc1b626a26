"""The shared sidebar: device in use and each use case's model status."""

from __future__ import annotations

import streamlit as st

import usecases
from usecases.core import engine
from usecases.core.device import DeviceError, device_info, select_device

from usecases.core.tables import DataProblem

from . import scenario
from .state import holder, jobs
from .training import POLL_SECONDS

_ICON = {"ready": ":green[:material/check_circle:]", "training": ":blue[:material/pending:]",
         "missing": ":gray[:material/radio_button_unchecked:]", "unusable": ":red[:material/error:]"}


def model_status_line(name: str) -> tuple[str, str]:
    """(state, text) for one use case: ready / training / missing / unusable, and the version. The pages' figures follow the
    user's assumptions; the sidebar shows none of them."""
    job = jobs().get(name)
    st_ = holder().status(name)
    if job is not None and job.running:
        return "training", f"training… {job.fraction:.0%} · {job.elapsed:.0f} s"
    if st_.state == "ready":
        # the status without its metric, as on Home: "Linear weighted κ 0.912" (as trained, at the 3× rule) stayed in the sidebar
        # of every page while the triage page and Home read 0.888 at the 6× rule a user had set (a walkthrough, 2026-12-05)
        return "ready", f"ready v{st_.version}"
    if st_.state == "missing":
        return "missing", "not trained yet"
    return "unusable", "unusable — open the page to retrain"


def render() -> None:
    with st.sidebar:
        try:
            info = device_info(select_device())
            st.caption(f":material/memory: **Device:** {info.name} · torch {info.torch_version}")
        except DeviceError as exc:
            st.error(str(exc))
        st.caption(f":material/hub: **Engine:** {engine.describe()}")
        st.markdown("**Models**")
        _model_statuses()
    scenario_box()


def _model_statuses() -> None:
    """Each use case's model status; while a shared retrain runs, this block alone refreshes every
    few seconds so its progress is real (the rest of the page does not rerun). When the retrain has
    ended, the page runs once more, which shows the new model and stops the polling."""
    running = any(jobs().running(n) for n in usecases.NAMES)

    def body() -> None:
        if running and not any(jobs().running(n) for n in usecases.NAMES):
            st.rerun()  # the fragment was polling every few seconds in every open session, for as long as nobody clicked
        for name in usecases.NAMES:
            state, text = model_status_line(name)
            st.caption(f"{_ICON[state]} {usecases.get(name).SPEC.title}: {text}")

    st.fragment(body, run_every=POLL_SECONDS if running else None)()


def scenario_box() -> None:
    """Save the current scenario as JSON, or load one back (validated)."""
    note = st.session_state.get(scenario.URL_NOTE)  # until a scenario is loaded or a page reset
    if note:
        st.sidebar.warning(note, icon=":material/link_off:")
    with st.sidebar.expander("Scenario", icon=":material/tune:"):
        st.caption("Every assumption is in the page URL — copy the link to share this view, or save it as a file.")
        st.download_button("Save scenario (JSON)", scenario.to_json(), "ai-lab-scenario.json", "application/json", key="scenario.save",
                           icon=":material/download:")
        up = st.file_uploader("Load a scenario", type=["json"], key="scenario.load")
        if up is not None and st.session_state.get("_scenario_loaded") != up.file_id:
            try:
                values = scenario.parse(up.getvalue())
            except DataProblem as exc:
                st.error(str(exc))
            else:
                scenario.load(values)
                st.session_state["_scenario_loaded"] = up.file_id
                st.rerun()
