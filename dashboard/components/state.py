"""Server-wide shared objects (one per process, shared by all sessions)."""

from __future__ import annotations

import streamlit as st

from usecases.core.holder import JobManager, ModelHolder
from usecases.core.store import ModelStore


def holder() -> ModelHolder:
    """One loaded copy of each model for the whole server; retrains swap it atomically. Keyed by the
    store's folder, so a changed ``UCLAB_MODEL_DIR`` is never served from another store's models."""
    return _holder(str(ModelStore().root))


@st.cache_resource(show_spinner=False)
def _holder(root: str) -> ModelHolder:
    return ModelHolder(ModelStore(root))


@st.cache_resource(show_spinner=False)
def jobs() -> JobManager:
    """Background retraining jobs of the shared models (one at a time per use case)."""
    return JobManager()


def session_jobs() -> JobManager:
    """Jobs that belong to this browser session only (training on a user's own upload)."""
    if "_session_jobs" not in st.session_state:
        st.session_state["_session_jobs"] = JobManager()
    return st.session_state["_session_jobs"]
