"""Process-wide model holder and background training jobs.

The dashboard keeps one :class:`ModelHolder` for the whole server (``st.cache_resource``), so every
session shares one loaded copy of each model. ``get`` loads lazily under a per-model lock and
reloads when the card on disk changes (e.g. ``make train`` ran meanwhile); ``put`` swaps in a
retrained model by replacing one reference, so a session holding the old object keeps a whole,
consistent model and the next call sees the whole new one — never half of each.

:class:`JobManager` runs training in a background thread with a cancel token and records progress,
so a page can poll it (``st.fragment(run_every=…)``), the sidebar can show "training", and a second
"Retrain" click while one runs is refused rather than starting a second job.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from .runner import CancelToken, TrainingCancelled
from .store import ModelMissing, ModelStore, ModelUnusable, StoreStatus
from .tables import DataProblem


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    obj: Any = None
    stamp: tuple | None = None  # (mtime_ns, size) of card.json when loaded; None for in-memory models
    error: ModelUnusable | None = None
    error_stamp: tuple | None = None


class ModelHolder:
    """Loads each use case's model once per process and hands the same object to every caller."""

    def __init__(self, store: ModelStore | None = None, loaders: dict[str, Callable[[ModelStore], Any]] | None = None):
        self.store = store or ModelStore()
        self._loaders = loaders
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def _slot(self, name: str) -> _Slot:
        with self._lock:
            return self._slots.setdefault(name, _Slot())

    def _loader(self, name: str) -> Callable[[ModelStore], Any]:
        if self._loaders and name in self._loaders:
            return self._loaders[name]
        import usecases

        return usecases.get(name).load

    def _format(self, name: str) -> int | None:
        """The format the use case's code reads (None for a loader given by hand, as in tests)."""
        if self._loaders and name in self._loaders:
            return None
        import usecases

        try:
            return usecases.get(name.partition("/custom/")[0]).SPEC.format_version
        except (ImportError, ValueError, AttributeError):
            return None

    def _stamp(self, name: str) -> tuple | None:
        try:
            st = (self.store.dir(name) / "card.json").stat()
            wst = (self.store.dir(name) / "model.safetensors").stat()
            return (st.st_mtime_ns, st.st_size, wst.st_mtime_ns, wst.st_size)
        except OSError:
            return None

    def get(self, name: str) -> Any:
        """The loaded model of ``name``; raises ModelMissing / ModelUnusable with a clear reason."""
        slot = self._slot(name)
        stamp = self._stamp(name)
        with slot.lock:
            if slot.obj is not None and (slot.stamp is None or slot.stamp == stamp):
                return slot.obj
            if slot.error is not None and slot.error_stamp == stamp:
                raise slot.error
            try:
                obj = self._loader(name)(self.store)
            except ModelUnusable as exc:
                slot.error, slot.error_stamp = exc, stamp
                if not isinstance(exc, ModelMissing):
                    slot.obj = None
                raise
            slot.obj, slot.stamp, slot.error = obj, self._stamp(name), None
            return obj

    def put(self, name: str, obj: Any, *, saved: bool) -> None:
        """Swap in a new model. ``saved=False`` keeps it in memory only (read-only store)."""
        slot = self._slot(name)
        with slot.lock:
            slot.obj = obj
            slot.stamp = self._stamp(name) if saved else None
            slot.error = None

    def status(self, name: str) -> StoreStatus:
        slot = self._slot(name)
        if slot.obj is not None and slot.stamp is None:
            card = getattr(slot.obj, "card", {}) or {}
            return StoreStatus(name, "ready", "in memory only (the model store is read-only)", card)
        st = self.store.status(name, format_version=self._format(name))
        if st.state == "ready" and slot.error is not None and slot.error_stamp == self._stamp(name):
            return StoreStatus(name, "unusable", str(slot.error), st.card)
        return st


@dataclass
class Job:
    key: str
    label: str
    cancel: CancelToken = field(default_factory=CancelToken)
    state: str = "running"  # running | done | failed | cancelled
    step: int = 0
    total: int = 1
    history: list[dict] = field(default_factory=list)
    message: str = ""
    result: Any = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    thread: threading.Thread | None = None

    def progress(self, step: int, total: int, metrics: dict) -> None:
        self.step, self.total = step, total
        self.history.append(dict(metrics))

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / max(1, self.total))

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started

    @property
    def running(self) -> bool:
        return self.state == "running"


class JobManager:
    """At most one running job per key; jobs run in daemon threads."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Job | None:
        return self._jobs.get(key)

    def running(self, key: str) -> bool:
        job = self._jobs.get(key)
        return bool(job and job.running)

    def start(self, key: str, label: str, work: Callable[[Job], Any], on_done: Callable[[Any], str] | None = None) -> Job:
        """Start ``work(job)`` in a thread unless one runs for ``key``; then ``on_done(result) -> message``."""
        with self._lock:
            current = self._jobs.get(key)
            if current and current.running:
                return current
            job = Job(key=key, label=label)
            self._jobs[key] = job

        def target() -> None:
            try:
                result = work(job)
                job.result = result
                job.message = on_done(result) if on_done else "done"
                job.state = "done"
            except TrainingCancelled as exc:
                job.state, job.message = "cancelled", str(exc)
            except (DataProblem, ModelUnusable, ValueError, OSError) as exc:
                job.state, job.message = "failed", str(exc)
            except Exception as exc:  # a bug: keep the app alive, report it plainly
                traceback.print_exc()
                job.state, job.message = "failed", f"training failed unexpectedly: {type(exc).__name__}: {exc}"
            finally:
                job.finished = time.time()

        job.thread = threading.Thread(target=target, name=f"train-{key}", daemon=True)
        job.thread.start()
        return job
