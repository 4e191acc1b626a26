"""The GPT trained data-parallel on Ray Train (``train textgen --engine ray --workers N``).

Each worker runs the same loop as :func:`usecases.textgen.training.train` — same seed, model
initialisation, learning-rate schedule, clipping and AdamW — with three changes (see
``usecases/core/ddp.py`` for the protocol):

* the model is wrapped in ``DistributedDataParallel``;
* every rank draws the *global* batch of ``batch_size`` windows from the same seeded generator and
  trains on its own ``batch_size / N`` slice, so N workers see exactly the batches one process sees
  and the averaged gradient is that of the global-batch loss;
* rank 0 alone evaluates, decides early stopping and the time budget, reports progress, and saves
  through the model store.

With the same global batch the loss curve therefore matches the single-process run up to
floating-point summation order (a test checks it with two gloo workers).
"""

from __future__ import annotations

import math
import time

import numpy as np

from usecases.core import ddp
from usecases.core import engine as eng
from usecases.core.tables import DataProblem


def _loop(cfg: dict) -> None:
    """Per-worker training function (runs inside a Ray Train worker process)."""
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel

    from usecases.core.device import autocast
    from usecases.core.runner import RunConfig, run_training
    from usecases.core.store import ModelStore

    from .config import batch
    from .serving import save
    from .training import finish, lr_at, prepare

    torch.set_num_threads(max(1, int(cfg.get("threads", 1))))
    handle = cfg["relay"]
    ctx = ddp.context()
    rank, world, device = ctx.rank, ctx.world, ctx.device
    t0 = time.perf_counter()
    prep = prepare(cfg["config"], cfg.get("corpus"), device=device)  # same tokens, size and seed on every rank
    config, mcfg, gen = prep.config, prep.config.model, prep.gen
    model = prep.new_model()
    model.to(device)
    net = DistributedDataParallel(model.gpt, device_ids=[device.index] if device.type == "cuda" else None)
    opt = prep.optimizer(model)
    state = {"it": 0}
    steps = math.ceil(config.max_iters / config.iters_per_step)
    share = config.batch_size // world
    lo = rank * share
    control = ddp.Control(handle, rank)

    def step(i: int) -> dict:
        control.check()
        model.gpt.train()
        losses = []
        for _ in range(min(config.iters_per_step, config.max_iters - state["it"])):
            for g in opt.param_groups:
                g["lr"] = lr_at(state["it"], config)
            x, y = batch(prep.train_ids, mcfg.block_size, config.batch_size, gen, device)  # the global batch, same on every rank
            with autocast(device):
                _, loss, _ = net(x[lo : lo + share], y[lo : lo + share])
            opt.zero_grad(set_to_none=True)
            loss.backward()  # DDP averages the gradients of the ranks' equal slices
            nn.utils.clip_grad_norm_(model.gpt.parameters(), config.grad_clip)
            opt.step()
            mean = loss.detach().float().clone()
            dist.all_reduce(mean)
            losses.append(float(mean) / world)  # the global batch's mean loss
            state["it"] += 1
        return {"iter": state["it"], "train_loss": float(np.mean(losses))}

    def evaluate() -> dict:
        if rank != 0:  # followers never decide anything
            return {"val_loss": 0.0}
        return prep.val_loss(model.gpt)

    if rank == 0:
        run = RunConfig(max_steps=steps, eval_every=config.eval_every_steps, budget_seconds=config.budget_seconds, monitor="val_loss", mode="min")
        result = run_training(step, evaluate, run, model=model.gpt, progress=eng.relay_progress(handle))
    else:
        result = run_training(step, evaluate, RunConfig(max_steps=steps, eval_every=config.eval_every_steps, monitor="val_loss", mode="min"))
    control.finish()
    if rank != 0:
        return
    engine = {"engine": {"kind": "ray", "strategy": "DDP (Ray Train TorchTrainer)", "workers": world,
                         "backend": dist.get_backend(), "batch_per_worker": share}}
    trained = finish(prep, model, result, state["it"], t0, extra=engine)
    card = save(trained, ModelStore(cfg["store_dir"]), key=cfg["key"])
    import ray

    ray.get(handle.set_result.remote({"card": card}))


def train_ddp(config, *, engine: eng.Engine, workers: int, store, key: str = "textgen", data=None, progress=None, cancel=None):
    """Train the GPT on ``workers`` DDP processes on the cluster; returns the saved model, loaded here."""
    from pathlib import Path

    from .serving import load

    if workers < 1:
        raise eng.EngineError("--workers must be at least 1")
    if config.batch_size % workers:
        raise DataProblem(f"the global batch of {config.batch_size} does not split evenly over {workers} workers; "
                          "choose a worker count that divides it", "this training setting")
    out = ddp.fit(_loop, {"config": config, "corpus": data, "store_dir": str(Path(store.root).resolve()), "key": key, "threads": 1},
                  engine=engine, workers=workers, progress=progress, cancel=cancel, name="uclab-textgen")
    if not out or "card" not in out:
        raise eng.EngineError("distributed training ended without a saved model")
    return load(store, key=key)
