"""Where the work runs: in this process (``local``, the default) or on a Ray cluster (``ray``).

One switch for the whole code base. ``local`` needs nothing started and never imports Ray (a test
checks ``sys.modules``). ``ray`` without an address starts an embedded single-machine cluster sized to
this machine; with an address (``--address`` or ``$UCLAB_RAY_ADDRESS``) it joins an existing one
(``ray start --head`` or KubeRay). What runs where on Ray:

* ``score`` — a streaming Ray Data pipeline per use case: fraud (keyed history features, then the
  detector on an actor pool; ``usecases/fraud/distributed.py``), recommendation (top-N with the item
  matrix in the object store; ``usecases/recommendation/distributed.py``), triage and text (a plain map
  over row batches, :func:`map_score_file`).
* ``train`` — the GPT on Ray Train (``TorchTrainer``, DDP over ``--workers`` processes;
  ``usecases/core/ddp.py``); any other use case as one task on the cluster (:func:`train_on_cluster`).
* The dashboard's Retrain — the same :func:`train_on_cluster` when ``$UCLAB_RAY_ADDRESS`` is set, with
  progress streamed back and Cancel forwarded; the web process only waits.

Models travel through the model store (``UCLAB_MODEL_DIR``): on a cluster of several machines it must
be a path every node mounts at the same place (NFS, a shared volume), since workers read and write it.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ENGINES = ("local", "ray")
ADDRESS_ENV = "UCLAB_RAY_ADDRESS"
REPO_ROOT = Path(__file__).resolve().parents[2]


class EngineError(RuntimeError):
    """The engine cannot be used as asked (bad address, Ray missing, bad worker count): one line."""


@dataclass(frozen=True)
class Engine:
    kind: str = "local"  # "local" | "ray"
    address: str | None = None  # None with kind="ray": an embedded local cluster
    workers: int | None = None  # scoring actors / DDP workers (default: one per CPU for scoring, 1 for training)
    gpus_per_worker: float = 0.0

    @property
    def is_ray(self) -> bool:
        return self.kind == "ray"

    def describe(self) -> str:
        if not self.is_ray:
            return "local (in this process)"
        return f"Ray cluster at {self.address}" if self.address else "Ray (embedded local cluster)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The engine options of ``score`` and ``train``."""
    g = parser.add_argument_group("engine")
    g.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: in this process (default, nothing to start); ray: on a Ray cluster")
    g.add_argument("--address", default=None,
                   help=f"Ray cluster to join, host:port or ray://host:port (default: ${ADDRESS_ENV}, else an embedded local cluster)")
    g.add_argument("--workers", type=int, default=None, help="Ray: scoring actors, or DDP training processes (textgen)")
    g.add_argument("--gpus-per-worker", type=float, default=0.0, help="Ray: GPUs per scoring actor or training process (default 0)")


def from_args(args: argparse.Namespace) -> Engine:
    kind = getattr(args, "engine", "local") or "local"
    address = getattr(args, "address", None)
    workers = getattr(args, "workers", None)
    gpus = float(getattr(args, "gpus_per_worker", 0.0) or 0.0)
    if kind == "local":
        if address:
            raise EngineError("--address needs --engine ray")
        if workers not in (None, 1) or gpus:
            raise EngineError("--workers and --gpus-per-worker need --engine ray")
        return Engine()
    if workers is not None and workers < 1:
        raise EngineError("--workers must be at least 1")
    if gpus < 0:
        raise EngineError("--gpus-per-worker cannot be negative")
    return Engine("ray", address or os.environ.get(ADDRESS_ENV) or None, workers, gpus)


def configured() -> Engine:
    """The engine the web server uses: Ray when ``$UCLAB_RAY_ADDRESS`` is set, otherwise local."""
    addr = os.environ.get(ADDRESS_ENV, "").strip()
    return Engine("ray", addr) if addr else Engine()


def describe() -> str:
    """One line for the sidebar."""
    return configured().describe()


# ---- starting / joining a cluster -------------------------------------------------------------

def check(engine: Engine) -> None:
    """Fail fast on an unusable engine, before any work: an unreachable address."""
    if engine.address:
        check_address(engine.address)


def check_address(address: str) -> None:
    """Fail fast with one line when nothing listens at ``address`` (ray.init would retry for minutes)."""
    if address == "auto":
        return
    hostport = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise EngineError(f"Ray address {address!r} is not host:port (e.g. 10.0.0.5:6379 or ray://head:10001)")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    except OSError as exc:
        raise EngineError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start one with "
                          f"`ray start --head`, fix --address/${ADDRESS_ENV}, or use --engine local") from None


def _quiet() -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never phone home
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    os.environ.setdefault("RAY_TRAIN_V2_ENABLED", "1")


_INIT_LOCK = threading.Lock()  # two Retrain clicks on two pages may connect at the same moment


def init(engine: Engine):
    """Connect to the engine's cluster (or start the embedded one) once per process; returns ``ray``."""
    with _INIT_LOCK:
        return _init(engine)


def _init(engine: Engine):
    _quiet()
    if engine.address:
        check_address(engine.address)
    try:
        import ray
    except ImportError:
        raise EngineError("Ray is not installed; run `pip install -r requirements.txt` or use --engine local") from None
    if ray.is_initialized():
        _configure_data()
        return ray
    # Workers import `usecases` from this checkout: on the embedded cluster through PYTHONPATH (they
    # inherit this environment); on a remote cluster the checkout's code is shipped as the job's
    # working directory (models, data caches and the virtualenv stay behind).
    store_dir = os.environ.get("UCLAB_MODEL_DIR") or str(REPO_ROOT / "models")
    env_vars = {"UCLAB_MODEL_DIR": str(Path(store_dir).resolve()), "RAY_USAGE_STATS_ENABLED": "0"}
    if os.environ.get("UCLAB_DEVICE"):
        env_vars["UCLAB_DEVICE"] = os.environ["UCLAB_DEVICE"]
    kwargs: dict[str, Any] = dict(logging_level=logging.ERROR, log_to_driver=False, configure_logging=True)
    try:
        if engine.address:
            runtime_env = {"working_dir": str(REPO_ROOT), "env_vars": env_vars,
                           "excludes": [".git", ".venv", "models", ".cache", "artifacts", "tests", "*.parquet", "*.csv"]}
            ray.init(address=engine.address, runtime_env=runtime_env, **kwargs)
        else:
            path = os.environ.get("PYTHONPATH", "")
            if str(REPO_ROOT) not in path.split(os.pathsep):
                os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *([path] if path else [])])
            import torch

            ray.init(num_cpus=os.cpu_count() or 1, num_gpus=torch.cuda.device_count(), include_dashboard=False,
                     runtime_env={"env_vars": env_vars}, **kwargs)
    except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"cannot start or join the Ray cluster ({engine.describe()}): {first}") from None
    _configure_data()
    return ray


def _configure_data() -> None:
    """Ray Data: progress bars on a terminal only; its INFO lines (plan, per-second progress) stay in
    the session log file instead of the console."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = sys.stderr.isatty()
    ctx.enable_rich_progress_bars = False
    ctx.enable_auto_log_stats = False
    ctx.print_on_execution_start = False
    if os.environ.get("UCLAB_RAY_SHUFFLE"):
        from ray.data.context import ShuffleStrategy

        ctx.shuffle_strategy = ShuffleStrategy(os.environ["UCLAB_RAY_SHUFFLE"])
    ctx.log_internal_stack_trace = False
    for h in logging.getLogger("ray.data").handlers:  # failures reach the caller as one clear exception instead
        if not isinstance(h, logging.FileHandler) and "File" not in type(h).__name__:
            h.setLevel(logging.CRITICAL)
    for name in ("ray", "ray.train", "ray.tune"):
        logging.getLogger(name).setLevel(logging.ERROR)


def shutdown() -> None:
    """Leave the cluster (stops the embedded one). A no-op when Ray was never imported."""
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()


def cluster_gpus() -> float:
    import ray

    return float(ray.cluster_resources().get("GPU", 0.0))


def cluster_cpus() -> int:
    import ray

    return int(ray.cluster_resources().get("CPU", 1))


_KNOWN = ("DataProblem", "ModelUnusable", "ModelMissing", "TrainingCancelled", "StoreReadOnly", "EngineError")


def rebuild(kind: str, message: str) -> BaseException:
    """One of this code base's one-line exceptions, rebuilt from its name and message."""
    from .runner import TrainingCancelled
    from .store import StoreReadOnly
    from .tables import DataProblem

    if kind == "TrainingCancelled":
        return TrainingCancelled(message)
    if kind == "StoreReadOnly":
        return StoreReadOnly(message)
    if kind == "DataProblem":  # its message is already formatted: keep it as is
        exc = DataProblem.__new__(DataProblem)
        ValueError.__init__(exc, message)
        exc.problems, exc.subject = [message], ""
        return exc
    return EngineError(message)  # ModelUnusable and the rest: the message is complete


def actor_pool(ds, cls, *, workers: int, gpus: float = 0.0, **kwargs):
    """``ds.map_batches(cls)`` on a pool of ``workers`` actors, each loading its model once.

    On a small cluster the pool must not take every CPU, or the read and write tasks around it never
    get one (a deadlock we hit on 2 cores): actors then take a fraction of a CPU each, leaving one
    whole CPU free; each actor runs torch on one thread either way. GPU actors take no CPU.
    """
    import warnings

    import ray

    cpus = cluster_cpus()
    per_actor = 0.0 if gpus else max(0.1, min(1.0, (cpus - 1) / workers)) if cpus > 1 else 0.5
    with warnings.catch_warnings():  # max_restarts as a plain keyword is flagged as deprecated in 2.60
        warnings.simplefilter("ignore")
        return ds.map_batches(cls, compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=per_actor, num_gpus=gpus or None,
                              max_restarts=0, **kwargs)  # no restarts: a failure is reported, not retried with lost arguments


def reraise_cause(exc: BaseException) -> None:
    """A Ray task's failure re-raised as the task's own exception (DataProblem, TrainingCancelled, …), so
    the CLI and the job manager show their one-line messages, not Ray's remote traceback. Ray Data wraps
    a UDF's exception in ``UserCodeException`` and keeps the original only as text; it is found there."""
    import re

    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and type(cause).__name__ in _KNOWN:
        raise cause from None
    m = None
    for m in re.finditer(r"^(?:[\w.]+\.)?(" + "|".join(_KNOWN) + r"): (.+)$", str(exc), flags=re.M):
        break  # the first one is the root cause (Ray prints it first)
    if m:
        raise rebuild(m.group(1), m.group(2).strip()) from None
    raise exc


def get(refs):
    """``ray.get`` with task failures re-raised as their cause."""
    import ray

    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as exc:
        reraise_cause(exc)


# ---- progress and cancellation across processes ---------------------------------------------

class _Relay:
    """A small actor between a job on the cluster and whoever waits for it: progress events flow in
    from the job, a cancel request flows out to it (same protocol as ``holder.Job``)."""

    def __init__(self) -> None:
        self.events: list[tuple[int, int, dict]] = []
        self.cancel_requested = False
        self.result: Any = None

    def push(self, step: int, total: int, metrics: dict) -> None:
        self.events.append((int(step), int(total), metrics))

    def take(self) -> list:
        ev, self.events = self.events, []
        return ev

    def cancel(self) -> None:
        self.cancel_requested = True

    def cancelled(self) -> bool:
        return self.cancel_requested

    def set_result(self, value: Any) -> None:
        self.result = value

    def get_result(self) -> Any:
        return self.result


def relay():
    """A new progress/cancel relay actor (lives on the cluster, no CPU reserved)."""
    import ray

    return ray.remote(num_cpus=0)(_Relay).remote()


def _plain(metrics: dict) -> dict:
    return {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in metrics.items()
            if isinstance(v, (int, float, str))}


def relay_progress(handle) -> Callable[[int, int, dict], None]:
    """A ``Progress`` callback for code running on the cluster: forwards to the relay (fire and forget)."""

    def progress(step: int, total: int, metrics: dict) -> None:
        handle.push.remote(step, total, _plain(metrics))

    return progress


def relay_cancel(handle, every: float = 0.5):
    """A ``CancelToken`` for code running on the cluster that asks the relay at most every ``every`` s."""
    from .runner import CancelToken

    class RelayCancel(CancelToken):
        def __init__(self) -> None:
            super().__init__()
            self._last = 0.0

        @property
        def cancelled(self) -> bool:
            if self._event.is_set():
                return True
            now = time.monotonic()
            if now - self._last >= every:
                self._last = now
                import ray

                if ray.get(handle.cancelled.remote()):
                    self._event.set()
            return self._event.is_set()

    return RelayCancel()


def wait(ref, handle, *, progress=None, cancel=None, poll: float = 0.5):
    """Wait for ``ref`` while forwarding the relay's progress to ``progress`` and ``cancel`` to the job."""
    import ray

    sent = False
    while True:
        ready, _ = ray.wait([ref], timeout=poll)
        if progress is not None:
            for step, total, metrics in ray.get(handle.take.remote()):
                progress(step, total, metrics)
        if cancel is not None and cancel.cancelled and not sent:
            handle.cancel.remote()
            sent = True
        if ready:
            break
    if progress is not None:
        for step, total, metrics in ray.get(handle.take.remote()):
            progress(step, total, metrics)
    return get(ref)


# ---- training on the cluster ------------------------------------------------------------------

def _train_task(name: str, config: Any, data: Any, store_dir: str, key: str, handle, threads: int) -> dict:
    """Runs on a cluster worker: train, save through the model store (atomic swap), return the card."""
    import torch

    import usecases
    from usecases.core.store import ModelStore

    torch.set_num_threads(max(1, threads))
    mod = usecases.get(name)
    trained = mod.train(config, data=data, progress=relay_progress(handle), cancel=relay_cancel(handle))
    return mod.save(trained, ModelStore(store_dir), key=key)


def train_on_cluster(name: str, config: Any, *, store, key: str | None = None, data: Any = None, engine: Engine | None = None,
                     progress=None, cancel=None, cpus: int | None = None):
    """Train use case ``name`` as one task on the cluster and return the saved model, loaded here.

    The task writes through ``store`` (its directory must be shared with the cluster's nodes); this
    process only waits, relaying progress to ``progress`` and a cancel request from ``cancel``.
    """
    import usecases

    engine = engine or configured()
    if not engine.is_ray:
        engine = Engine("ray")
    ray = init(engine)
    key = key or name
    cpus = cpus or int(os.environ.get("UCLAB_RAY_TRAIN_CPUS", "1"))
    handle = relay()
    task = ray.remote(_train_task).options(num_cpus=cpus, num_gpus=engine.gpus_per_worker or 0)
    ref = task.remote(name, config, data, str(Path(store.root).resolve()), key, handle, cpus)
    wait(ref, handle, progress=progress, cancel=cancel)
    return usecases.get(name).load(store, key=key)


# ---- plain map over row batches (triage, text) -----------------------------------------------

class _FileScorer:
    """An actor that loads a use case's model once and scores batches of rows with its ``score_file``,
    so every row gets exactly the validation and arithmetic of the local path."""

    def __init__(self, name: str, store_dir: str, key: str, extra: dict, threads: int) -> None:
        import torch

        import usecases
        from usecases.core.store import ModelStore

        torch.set_num_threads(max(1, threads))
        self.mod = usecases.get(name)
        self.trained = self.mod.load(ModelStore(store_dir), key=key)
        self.extra = extra

    def __call__(self, batch):
        import pandas as pd

        raw = pd.DataFrame(batch).to_csv(index=False).encode("utf-8")  # the cells exactly as read (no CSV-injection quoting)
        # A batch does not know where it sits in the input, so a "line" would be the line in this batch — dropped; the
        # output keeps the files' order instead (``preserve_order`` below).
        return self.mod.score_file(self.trained, raw, "batch.csv", **self.extra).drop(columns=["line"], errors="ignore")


def map_score_file(engine: Engine, name: str, input_path: str, output: str, *, store, key: str | None = None, extra: dict | None = None,
                   batch_rows: int = 2_000) -> int:
    """Score a CSV file or a folder of CSV files with ``name``'s ``score_file`` on an actor pool; write
    partitioned output; return the number of rows written."""
    ray = init(engine)
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from usecases.core.tables import detect_delimiter

    files = input_files(input_path, (".csv", ".txt", ".tsv"))
    with open(files[0], "r", encoding="utf-8", errors="replace") as fh:
        head = [next(fh, "") for _ in range(50)]
    delim = detect_delimiter([h for h in head if h.strip()])
    cols = next(iter(__import__("csv").reader([head[0]], delimiter=delim)))
    ds = ray.data.read_csv(files, parse_options=pacsv.ParseOptions(delimiter=delim),
                           convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in cols}, strings_can_be_null=False,
                                                               quoted_strings_can_be_null=False))
    workers = engine.workers or max(1, cluster_cpus())
    options = ray.data.DataContext.get_current().execution_options
    keep = options.preserve_order
    options.preserve_order = True  # triage rows and prompts carry no id: the output keeps the file's order
    scored = actor_pool(ds, _FileScorer, workers=workers, gpus=engine.gpus_per_worker if cluster_gpus() > 0 else 0,
                        batch_size=batch_rows, batch_format="pandas",
                        fn_constructor_kwargs={"name": name, "store_dir": str(Path(store.root).resolve()), "key": key or name,
                                               "extra": extra or {}, "threads": 1})
    try:
        return write(scored, output)
    except ray.exceptions.RayTaskError as exc:
        reraise_cause(exc)
    finally:
        options.preserve_order = keep


# ---- inputs and outputs ----------------------------------------------------------------------

def input_files(path: str, suffixes: tuple[str, ...]) -> list[str]:
    """A file, or every file with one of ``suffixes`` in a folder (sorted); one clear error otherwise."""
    from usecases.core.tables import DataProblem

    p = Path(path)
    if not p.exists():
        raise EngineError(f"{path}: no such file or folder")
    if p.is_file():
        return [str(p.resolve())]
    files = sorted(str(f.resolve()) for f in p.iterdir() if f.is_file() and f.suffix.lower() in suffixes and not f.name.startswith((".", "_")))
    if not files:
        raise DataProblem(f"it holds no {'/'.join(suffixes)} files", f"folder {path}")
    return files


_MARK = "_UCLAB_OUTPUT"


def check_output(output: str) -> None:
    """An output folder must be new, empty, or an earlier output of this command (it is then replaced)."""
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise EngineError(f"{output}: exists and is a file; with --engine ray the output is a folder of partitions")
    if out.exists() and any(out.iterdir()) and not (out / _MARK).exists():
        raise EngineError(f"{output}: folder exists and is not an earlier output of `score`; choose a new folder")
    if not out.parent.exists():
        raise EngineError(f"{output}: folder {out.parent} does not exist")


def write(ds, output: str) -> int:
    """Write ``ds`` as Parquet partitions (CSV when ``output`` ends in .csv) into a temporary sibling
    folder, then swap it into place, so a failure never leaves half an output. Returns rows written."""
    import shutil
    import uuid

    check_output(output)
    out = Path(output)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        if out.suffix.lower() == ".csv":  # text cells neutralised as the local CSV's are (tables.to_safe_csv): a complaint or a
            from usecases.core.tables import safe_cells  # prompt "=HYPERLINK(…)" had been written live (a review, 2026-12-07)

            ds.map_batches(safe_cells, batch_format="pandas").write_csv(str(tmp))
        else:
            ds.write_parquet(str(tmp))
        (tmp / _MARK).write_text("written by python -m usecases score --engine ray\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return count_rows(output)


def count_rows(output: str) -> int:
    import pyarrow.parquet as pq

    out = Path(output)
    if out.suffix.lower() == ".csv":
        n = 0
        for f in out.glob("*.csv"):
            with open(f, "rb") as fh:
                n += max(0, sum(1 for _ in fh) - 1)
        return n
    return sum(pq.ParquetFile(f).metadata.num_rows for f in out.glob("*.parquet"))


def read_output(output: str):
    """An output folder back as one DataFrame (tests, benchmarks)."""
    import pandas as pd

    out = Path(output)
    if out.suffix.lower() == ".csv":
        parts = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(out.glob("*.csv"))]
    else:
        parts = [pd.read_parquet(f) for f in sorted(out.glob("*.parquet"))]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ---- the CLI's two entry points ---------------------------------------------------------------

def run_score(args, *, store, key: str | None = None, data=None) -> int:
    """``score NAME INPUT -o OUTPUT --engine ray``: dispatch to the use case's distributed scorer, with the model stored under
    ``key`` (``--model``; default: the shipped model) and, for recommendation, ``data`` (``--data``: the user's training file,
    whose histories a model trained on it scores from)."""
    import usecases
    from usecases.core import fmt

    engine = from_args(args)
    mod = usecases.get(args.name)
    check_output(args.output)
    if getattr(args, "mapping", None) and args.name != "triage":
        raise EngineError(f"--mapping is not used by {args.name}")
    t0 = time.perf_counter()
    if args.name == "fraud":
        from usecases.core.runner import tqdm_progress
        from usecases.fraud.distributed import score as fraud_score

        progress, close = tqdm_progress("fraud history features (buckets)") if sys.stderr.isatty() else (None, lambda: None)
        try:
            n = fraud_score(engine, args.input, args.output, store=store, key=key or "fraud", progress=progress)
        finally:
            close()
    elif args.name == "recommendation":
        from usecases.recommendation.distributed import score as rec_score

        n = rec_score(engine, args.input, args.output, store=store, key=key or "recommendation", data=data)
    else:
        extra = {}
        if getattr(args, "mapping", None):
            extra["mapping"] = Path(args.mapping).read_bytes()
        n = map_score_file(engine, mod.SPEC.name, args.input, args.output, store=store, key=key, extra=extra)
    dt = time.perf_counter() - t0
    print(f"{args.name}: scored {n:,} rows on {engine.describe()} in {dt:.1f} s ({fmt.per_second(n, dt)} rows/s) → {args.output}/")
    return 0


def run_train(args, mod, config, *, data, store, key: str, progress) -> dict:
    """``train NAME --engine ray``: DDP on Ray Train for the GPT, one cluster task for the others."""
    engine = from_args(args)
    workers = engine.workers or 1
    if mod.SPEC.name == "textgen":
        from usecases.textgen.distributed import train_ddp

        return train_ddp(config, engine=engine, workers=workers, data=data, store=store, key=key, progress=progress).card
    if workers != 1:
        raise EngineError(f"--workers {workers}: data-parallel training is available for textgen; {mod.SPEC.name} trains as one task "
                          "on the cluster (leave out --workers)")
    return train_on_cluster(mod.SPEC.name, config, store=store, key=key, data=data, engine=engine, progress=progress).card
