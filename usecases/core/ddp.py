"""Data-parallel training on Ray Train (``TorchTrainer``: one process per worker, DDP over gloo on CPU
or NCCL on GPUs), with the runner's progress and cancel protocol carried across processes.

A use case supplies ``loop(config)`` — the per-worker training function — and :func:`fit` runs it on
``workers`` processes. Inside the loop, :func:`context` gives the rank, world size and device, and
:class:`Control` keeps the ranks in step:

* **One decision-maker.** Rank 0 runs the runner with the real budget, patience and a progress
  callback that reaches the waiting process through a relay actor; the other ranks only follow.
  At the start of every step rank 0 broadcasts *continue*, *finished* or *cancelled*, so no rank
  waits in a collective that another rank will never enter.
* **Same numbers as one process.** Every rank draws the *global* batch from the same seeded
  generator and keeps its own equal slice; DDP averages the gradients, which is the gradient of
  the global-batch mean loss. Clipping and AdamW then see the same gradient on every rank.
* **One writer.** Rank 0 saves through the model store (safetensors, card, atomic swap) and hands
  the card back through the relay.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from . import engine as eng
from .runner import TrainingCancelled

CONTINUE, FINISHED, CANCELLED = 0, 1, 2


class Finished(Exception):
    """Raised on a following rank when rank 0 has finished (budget, early stopping, last step)."""


@dataclass
class Context:
    rank: int
    world: int
    device: Any  # torch.device


def context() -> Context:
    """Rank, world size and device of this worker (CPU, or its own GPU when the run has GPUs)."""
    import torch
    import torch.distributed as dist

    rank, world = dist.get_rank(), dist.get_world_size()
    if torch.cuda.is_available():
        import ray.train

        local = ray.train.get_context().get_local_rank()
        device = torch.device(f"cuda:{local}")
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    return Context(rank, world, device)


class Control:
    """Per-step agreement between ranks (see the module docstring)."""

    def __init__(self, handle, rank: int, poll_seconds: float = 0.5):
        self.rank = rank
        self.cancel = eng.relay_cancel(handle, every=poll_seconds) if rank == 0 else None
        self.done = False

    def _broadcast(self, flag: int) -> int:
        import torch
        import torch.distributed as dist

        t = torch.tensor([flag], dtype=torch.int64)
        dist.broadcast(t, src=0)
        return int(t.item())

    def check(self) -> None:
        """Call at the start of every step on every rank."""
        if self.rank == 0:
            flag = CANCELLED if self.cancel.cancelled else CONTINUE
            self._broadcast(flag)
            if flag == CANCELLED:
                raise TrainingCancelled()
            return
        flag = self._broadcast(CONTINUE)
        if flag == FINISHED:
            self.done = True
            raise Finished()
        if flag == CANCELLED:
            raise TrainingCancelled()

    def finish(self) -> None:
        """Call on every rank once its runner has returned normally."""
        if self.rank == 0:
            self._broadcast(FINISHED)
        elif not self.done:
            self._broadcast(CONTINUE)  # receives rank 0's FINISHED


def fit(loop: Callable[[dict], None], loop_config: dict, *, engine: eng.Engine, workers: int, progress=None, cancel=None,
        name: str = "uclab") -> Any:
    """Run ``loop`` on ``workers`` Ray Train workers; return what rank 0 put in the relay's result.

    ``loop_config`` gains ``relay`` (the actor handle). Progress and cancellation use the runner's
    protocol; a worker's DataProblem or TrainingCancelled is re-raised here as itself.
    """
    ray = eng.init(engine)
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    use_gpu = engine.gpus_per_worker > 0 and eng.cluster_gpus() > 0
    resources = {"CPU": 1.0, **({"GPU": float(engine.gpus_per_worker)} if use_gpu else {})}
    handle = eng.relay()
    storage = Path(tempfile.gettempdir()) / "uclab-ray-train"
    trainer = TorchTrainer(
        _wrapped(loop), train_loop_config={**loop_config, "relay": handle},
        torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
        scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu, resources_per_worker=resources),
        run_config=RunConfig(name=f"{name}-{int(time.time() * 1000)}", storage_path=str(storage), failure_config=FailureConfig(max_failures=0)),
    )
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = trainer.fit()
        except BaseException as exc:  # noqa: BLE001 — re-raised in the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=run, name=f"{name}-ddp", daemon=True)
    thread.start()
    sent = False
    while thread.is_alive():
        thread.join(0.5)
        for step, total, metrics in ray.get(handle.take.remote()):
            if progress is not None:
                progress(step, total, metrics)
        if cancel is not None and cancel.cancelled and not sent:
            handle.cancel.remote()
            sent = True
    for step, total, metrics in ray.get(handle.take.remote()):
        if progress is not None:
            progress(step, total, metrics)
    outcome = ray.get(handle.get_result.remote())
    if isinstance(outcome, dict) and "error" in outcome:
        _raise(outcome["error"])
    if "error" in box:
        raise eng.EngineError(f"distributed training failed: {_first_line(box['error'])}") from None
    return outcome


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _raise(err: dict) -> None:
    kind, message = err.get("type"), err.get("message", "")
    if kind in eng._KNOWN:
        raise eng.rebuild(kind, message)
    raise eng.EngineError(f"distributed training failed on a worker: {kind}: {message}")


def _wrapped(loop: Callable[[dict], None]) -> Callable[[dict], None]:
    """The per-worker entry: rank 0 reports the loop's known failures through the relay, so the caller
    re-raises them as themselves (one line) instead of Ray Train's wrapped traceback."""

    def entry(config: dict) -> None:
        import torch.distributed as dist

        handle = config["relay"]
        try:
            loop(config)
        except Finished:
            return
        except Exception as exc:
            if dist.get_rank() == 0:
                import ray

                ray.get(handle.set_result.remote({"error": {"type": type(exc).__name__, "message": str(exc)}}))
            if type(exc).__name__ in ("TrainingCancelled", "DataProblem", "StoreReadOnly"):
                return  # reported; end this worker quietly
            raise

    return entry
