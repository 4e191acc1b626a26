"""One short script for a GPU machine: is everything GPU-capable really running on the GPU, and how fast?

    python benchmarks/gpu_check.py [--device cuda] [--out results.json]

Trains the quick configuration of every use case on the device (bf16 autocast, pinned loaders),
checks the parameters live on it, and measures inference throughput there and on the CPU in the same
run: fraud transactions/s, recommendation users/s (top-10), triage patients/s, text tokens/s with and
without the KV cache (after a warm-up generation, so one-off kernel set-up is not counted). With a GPU
and Ray installed it also runs the streaming fraud scorer on the embedded Ray cluster with one GPU actor
and checks its flags against the in-memory path. Finishes in a few minutes; prints JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import usecases  # noqa: E402
from usecases.core.device import device_info, select_device  # noqa: E402


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def _ray_gpu_scoring(mod, trained) -> dict:
    """The streaming fraud scorer on the embedded Ray cluster with one GPU actor: rows/s, and the same
    flags as the in-memory path on the same file."""
    import tempfile

    import numpy as np
    import pandas as pd

    from usecases.core import engine as eng
    from usecases.core.store import ModelStore
    from usecases.fraud import distributed as fd
    from usecases.fraud.simulate import SimConfig

    try:
        import ray  # noqa: F401
    except ImportError:
        return {"skipped": "ray is not installed"}
    tmp = Path(tempfile.mkdtemp(prefix="uclab-gpu-"))
    store = ModelStore(tmp / "models")
    trained.model.to("cpu")
    mod.save(trained, store)
    fd.simulate_partitioned(SimConfig(n_customers=1_000, n_terminals=2_000, n_days=120), str(tmp / "parts"))
    pd.concat([pd.read_parquet(f) for f in sorted((tmp / "parts").glob("*.parquet"))]).to_csv(tmp / "tx.csv", index=False)
    local = fd.score_local(str(tmp / "tx.csv"), store=store)
    e = eng.Engine("ray", workers=1, gpus_per_worker=1)
    eng.init(e)
    t = time.perf_counter()
    n = fd.score(e, str(tmp / "tx.csv"), str(tmp / "out"), store=store)
    seconds = time.perf_counter() - t
    got = eng.read_output(str(tmp / "out"))
    a, b = local.sort_values("transaction_id"), got.sort_values("transaction_id")
    eng.shutdown()
    return {"rows": n, "seconds": round(seconds, 2), "rows_per_s": n / seconds, "gpus_in_cluster": 1,
            "flags_equal": bool(np.array_equal(a["flagged"].to_numpy(), b["flagged"].to_numpy())),
            "max_prob_diff": float(np.abs(a["fraud_probability"].to_numpy(float) - b["fraud_probability"].to_numpy(float)).max())}


def _modules(obj, depth: int = 0):
    """Every torch module inside a trained model: the model itself, or those held by its learners, their parts
    (a blend's MLP and TabM) and the tabular learner's network — found by walking the project's own objects."""
    if isinstance(obj, torch.nn.Module):
        yield obj
        return
    if depth > 4:
        return
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    elif type(obj).__module__.startswith("usecases"):
        children = list(vars(obj).values())
    else:
        return
    for c in children:
        yield from _modules(c, depth + 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default=None)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    dev = select_device(a.device)
    out: dict = {"device": device_info(dev).as_dict(), "checks": {}, "throughput": {}}
    for name in usecases.NAMES:
        mod = usecases.get(name)
        t0 = time.perf_counter()
        try:
            data = None
            if name == "textgen":  # the quick GPT on the standard library's topics (seconds), not the 27 MB stack corpus
                from usecases.textgen.corpus import pydoc_corpus

                data = pydoc_corpus()
            trained = mod.train(dataclasses.replace(mod.Config.quick(), device=str(dev)), data=data)
        except Exception as exc:  # one use case failing must not hide the others' figures
            out["checks"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        out["checks"][name] = {"trained_on": trained.card["device"]["type"], "train_seconds": round(time.perf_counter() - t0, 2),
                               "primary_metric": trained.card["metrics"].get(mod.SPEC.primary_metric)}
        for target in dict.fromkeys(["cpu", dev.type]):
            d = torch.device(target if target != "cuda" else str(dev))
            try:
                trained.model.to(d)
                if name == "textgen":  # KV cache vs recomputing the context, each after a warm-up generation
                    from usecases.textgen.generate import Sampling, complete

                    s = Sampling(max_new_tokens=256, temperature=0.0)
                    for cache in (True, False):
                        complete(trained.stream("The with statement", Sampling(max_new_tokens=32, temperature=0.0), use_cache=cache))
                        _, st = complete(trained.stream("The with statement", s, use_cache=cache))
                        out["throughput"][f"textgen tokens/s ({target}, {'KV cache' if cache else 'recompute'})"] = st["tokens_per_second"]
                else:  # the contract's own measurement (after a warm-up), on the device the model now lives on
                    tp = mod.throughput(trained)
                    out["throughput"][f"{name} {tp.unit}/s ({target})"] = tp.per_second
                parts = list(_modules(trained.model))
                params = [t for m in parts for t in (*m.parameters(), *m.buffers())]  # weights and buffers (EASE's B is a buffer)
                out["checks"][name][f"params_on_{target}"] = bool(params) and all(p.device.type == d.type for p in params)
            except Exception as exc:
                out["checks"][name][f"error_on_{target}"] = f"{type(exc).__name__}: {exc}"
        if name == "fraud" and dev.type == "cuda":
            try:
                out["ray_gpu_scoring"] = _ray_gpu_scoring(mod, trained)
            except Exception as exc:
                out["ray_gpu_scoring"] = {"error": f"{type(exc).__name__}: {exc}"}
    text = json.dumps(out, indent=2, default=float)
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
