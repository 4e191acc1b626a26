"""Server-wide caches of what the pages compute, keyed by what determines it.

* ``evaluation(name, trained, data)`` — ``usecases.get(name).evaluate(trained, data)`` once per
  (use case, training run, data fingerprint) for the whole server. Streamlit holds one lock per key
  while computing, so two sessions opening a page at once evaluate once.
* ``value(name, evaluation, assumptions)`` — the use case's ``value()`` once per (evaluation,
  assumptions); Home and the page call the same function with the same arguments and so show the
  same number.
* ``throughput(name, trained)`` — measured once per training run on this deployment.
* ``fraud_attributions(trained, values, reference)`` — the fraud what-if's Shapley values once per (training run,
  transaction): 100 sampled orders take ≈ 0.7 s, and Streamlit draws every tab on every rerun of the page.

Unhashable arguments are passed with a leading underscore (Streamlit does not hash those) and the
key is spelled out in the hashed arguments.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import usecases
from usecases.core.spec import Evaluation, Throughput, Value

# How many evaluations to keep per server: the shared models plus a few sessions' own models.
MAX_EVALUATIONS = 64


def data_key(data: Any) -> str:
    """A data set's fingerprint (``None`` = the model's own test rows)."""
    if data is None:
        return "default"
    fp = getattr(data, "fingerprint", None)
    return str(fp) if fp else f"object-{id(data)}"


@st.cache_resource(show_spinner=False, max_entries=MAX_EVALUATIONS)
def _evaluation(name: str, run_id: str, data_fp: str, _trained: Any, _data: Any) -> Evaluation:
    return usecases.get(name).evaluate(_trained, _data)


def evaluation(name: str, trained: Any, data: Any = None) -> Evaluation:
    """The (cached) evaluation of ``trained`` on ``data`` — never mutate what this returns."""
    return _evaluation(name, trained.run_id, data_key(data), trained, data)


def page_evaluation(name: str, trained: Any, spinner: str | None = "Loading the evaluation…") -> Evaluation:
    """A page's evaluation of the model in view; a problem with it is shown as one message and the page stops.
    ``spinner=None``: no spinner (its placeholder would sit at the top of the page on every rerun)."""
    import contextlib

    from usecases.core.tables import DataProblem

    from .widgets import show_problem

    try:
        with st.spinner(spinner) if spinner else contextlib.nullcontext():
            return evaluation(name, trained)
    except DataProblem as exc:
        show_problem(exc)
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=256)
def _value(name: str, run_id: str, data_fp: str, assumptions: Any, _ev: Evaluation) -> Value:
    return usecases.get(name).value(_ev, assumptions)


def value(name: str, trained: Any, evaluation_: Evaluation, assumptions: Any, data: Any = None) -> Value:
    """The use case's value under ``assumptions`` (a frozen dataclass: it is part of the key)."""
    return _value(name, trained.run_id, data_key(data), assumptions, evaluation_)


@st.cache_resource(show_spinner=False, max_entries=32)
def _throughput(name: str, run_id: str, _trained: Any) -> Throughput:
    return usecases.get(name).throughput(_trained)


def throughput(name: str, trained: Any) -> Throughput:
    return _throughput(name, trained.run_id, trained)


@st.cache_data(show_spinner=False, max_entries=256)
def _fraud_attributions(run_id: str, values: tuple[float, ...], reference: tuple[float, ...], _trained: Any):
    from usecases.fraud import explain
    from usecases.fraud.features import FEATURES

    return explain.attributions(_trained.model.torch_proba, list(values), list(reference), FEATURES)


def fraud_attributions(trained: Any, values, reference):
    """``usecases.fraud.explain.attributions`` for the what-if form, cached per training run and transaction."""
    return _fraud_attributions(trained.run_id, tuple(float(v) for v in values), tuple(float(v) for v in reference), trained)
