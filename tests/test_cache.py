"""The server-wide caches of dashboard/components/cache.py: two sessions opening a page at once evaluate
once; a new training run or other data is evaluated again; Home and the page get the same value object."""

from __future__ import annotations

import threading
import time

import pytest
import streamlit as st

import usecases


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setenv("UCLAB_EXTRA_USECASES", "tests.toy_usecase")
    mod = usecases.get("toy")
    calls = []
    real = mod.evaluate

    def slow_counting_evaluate(trained, data=None):
        calls.append(trained.run_id)
        time.sleep(0.5)  # long enough for the second session to arrive while the first computes
        return real(trained, data)

    monkeypatch.setattr(mod, "evaluate", slow_counting_evaluate)
    st.cache_resource.clear()
    yield mod, calls
    st.cache_resource.clear()


def test_two_sessions_opening_a_page_at_once_evaluate_once(toy):
    from dashboard.components import cache

    mod, calls = toy
    trained = mod.train(mod.Config())
    calls.clear()  # train() evaluates once for its card
    results = [None, None]

    def session(i):
        results[i] = cache.evaluation("toy", trained)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1, calls
    assert results[0] is results[1]
    a = mod.Assumptions()
    assert cache.value("toy", trained, results[0], a) is cache.value("toy", trained, results[1], a)  # Home and the page: one object

    again = mod.train(mod.Config())  # another training run: evaluated again
    calls.clear()
    cache.evaluation("toy", again)
    assert calls == [again.run_id]
