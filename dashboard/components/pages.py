"""Where each use case's page lives: its own view file, or the generic page drawn from the contract."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from usecases.core.spec import Spec

VIEWS = Path(__file__).resolve().parents[1] / "views"
GENERIC = VIEWS / "generic.py"


def view_path(spec: Spec) -> Path:
    """The page script of a use case: ``dashboard/views/<spec.view>.py``, a path, or the generic page."""
    if spec.view:
        p = Path(spec.view)
        if p.suffix == ".py" and p.exists():
            return p
        if (VIEWS / f"{spec.view}.py").exists():
            return VIEWS / f"{spec.view}.py"
    return GENERIC


def page_for(spec: Spec):
    return st.Page(view_path(spec), title=spec.title, icon=spec.icon, url_path=spec.url_path)


def link(spec: Spec, label: str | None = None, icon: str = ":material/arrow_forward:") -> None:
    """A link to a use case's page (by its URL path, so several use cases can share the generic script)."""
    st.page_link(page_for(spec), label=label or f"Open {spec.title}", icon=icon)
