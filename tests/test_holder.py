"""The server-wide model holder and background jobs, without a browser: lazy load, reload when the
files change, atomic swap, cached errors, and one job per key with progress and cancellation."""

from __future__ import annotations

import threading
import time

import pytest

from usecases.core.holder import JobManager, ModelHolder
from usecases.core.runner import TrainingCancelled
from usecases.core.store import ModelMissing, ModelStore, ModelUnusable


class Counter:
    def __init__(self):
        self.loads = 0

    def __call__(self, store):
        self.loads += 1
        return store.read_card("m")


def _save(store: ModelStore, value: float):
    import torch

    return store.save("m", {"w": torch.tensor([value])}, {"metrics": {"x": value}}, format_version=1)


def test_holder_loads_once_and_reloads_when_the_card_changes(tmp_path):
    store = ModelStore(tmp_path)
    load = Counter()
    holder = ModelHolder(store, loaders={"m": load})
    with pytest.raises(ModelMissing):
        holder.get("m")
    _save(store, 1.0)
    load.loads = 0
    a = holder.get("m")
    assert holder.get("m") is a and load.loads == 1, "a second get shares the loaded object"
    time.sleep(0.01)
    _save(store, 2.0)
    b = holder.get("m")
    assert load.loads == 2 and b["metrics"]["x"] == 2.0 and a["metrics"]["x"] == 1.0, "the old object stays whole"


def test_put_swaps_in_one_step_and_in_memory_models_are_reported(tmp_path):
    store = ModelStore(tmp_path)
    holder = ModelHolder(store, loaders={"m": Counter()})
    _save(store, 1.0)
    holder.get("m")
    holder.put("m", {"card": "new"}, saved=False)
    assert holder.get("m") == {"card": "new"}
    assert holder.status("m").message.startswith("in memory only")


def test_an_unusable_model_is_remembered_until_its_files_change(tmp_path):
    store = ModelStore(tmp_path)
    calls = []

    def bad(s):
        calls.append(1)
        raise ModelUnusable("m", "broken on purpose")

    holder = ModelHolder(store, loaders={"m": bad})
    _save(store, 1.0)
    for _ in range(3):
        with pytest.raises(ModelUnusable, match="broken on purpose"):
            holder.get("m")
    assert len(calls) == 1
    assert holder.status("m").state == "unusable"


def test_concurrent_first_gets_load_once(tmp_path):
    store = ModelStore(tmp_path)
    _save(store, 1.0)

    class Slow(Counter):
        def __call__(self, s):
            time.sleep(0.3)
            return super().__call__(s)

    load = Slow()
    holder = ModelHolder(store, loaders={"m": load})
    got = []
    threads = [threading.Thread(target=lambda: got.append(holder.get("m"))) for _ in range(5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert load.loads == 1 and all(g is got[0] for g in got)


def test_job_manager_runs_one_job_per_key_reports_progress_and_cancels():
    jm = JobManager()
    gate = threading.Event()

    def work(job):
        for i in range(100):
            if job.cancel.cancelled:
                raise TrainingCancelled()
            job.progress(i + 1, 100, {"step": i + 1, "loss": 1.0 / (i + 1)})
            gate.wait(0.02)
        return "finished"

    j1 = jm.start("k", "first", work, on_done=lambda r: f"done: {r}")
    j2 = jm.start("k", "second", work)
    assert j2 is j1, "a second start while one runs returns the running job"
    deadline = time.time() + 10
    while j1.step < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert 0 < j1.fraction < 1 and j1.history[-1]["step"] == j1.step
    j1.cancel.cancel()
    j1.thread.join(5)
    assert j1.state == "cancelled" and not jm.running("k")
    j3 = jm.start("k", "third", lambda job: 42, on_done=lambda r: f"got {r}")
    j3.thread.join(5)
    assert j3.state == "done" and j3.message == "got 42" and j3.result == 42


def test_a_failing_job_reports_its_reason():
    jm = JobManager()
    from usecases.core.tables import DataProblem

    def work(job):
        raise DataProblem("no rows left", "your file")

    j = jm.start("x", "bad", work)
    j.thread.join(5)
    assert j.state == "failed" and j.message == "Your file cannot be used: no rows left"
