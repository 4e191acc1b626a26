"""Scale-out measures, side by side in one run: the local path against the Ray engine.

    python -m benchmarks.scale [--rows 2000000] [--small-rows 500000] [--iters 300] [--parts score,train,retrain] [--json OUT]

* **Fraud scoring** of a simulated raw-transactions CSV (partitioned simulator): the in-memory path
  (read, validate, featurise, score in one process — the CLI's local ``score`` without its 50 MB cap)
  against ``score --engine ray`` with 1 and 2 scoring actors. Each run is a separate process; a sampler
  reads every process's peak resident memory (``VmHWM``) in the run's process tree, so the Ray figure
  is the largest single process (driver, raylet or worker). Outputs are compared: same rows, same flags,
  probabilities within 1e-6. Two sizes show how each path's memory grows with the file.
* **GPT training**, 300 iterations of the shipped configuration with the same global batch: one
  process (``textgen.train``) against 2 DDP workers on Ray Train (gloo): ms/iteration and loss.
* **A retrain in flight**: latency of a server-side request (score 20,000 fraud rows + assess 2,000
  triage patients with the shipped models, what the two busiest pages do) while the triage model
  retrains in a thread of the same process (today) or as a job on the local Ray cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable


# ---- process-tree memory sampler ----------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids = (task / "children").read_text().split()
            out += [int(k) for k in kids]
    except OSError:
        pass
    return out


def _tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _status(pid: int) -> tuple[str, int, int]:
    """(command, peak resident bytes so far, private anonymous bytes now) of one process.

    ``VmHWM`` also counts pages of Ray's shared-memory object store that the process touched (they
    belong to the store, are shared by every process and capped by its size), so the private
    anonymous memory (``RssAnon``) is sampled too: that is what grows with a process's own work.
    """
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "", 0, 0
    fields = {line.split(":")[0]: line.split()[1:] for line in text.splitlines() if ":" in line}
    name = (fields.get("Name") or [""])[0]
    hwm = int((fields.get("VmHWM") or ["0"])[0])
    anon = int((fields.get("RssAnon") or ["0"])[0])
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:80]
    except OSError:
        cmd = name
    return cmd or name, hwm * 1024, anon * 1024


def run_measured(cmd: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    """Run ``cmd``; sample every process in its tree; return wall seconds, peak per process, output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, tuple[str, int]] = {}
    anon: dict[int, tuple[str, int]] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for p in _tree(proc.pid):
                name, hwm, private = _status(p)
                if hwm and hwm >= peaks.get(p, ("", 0))[1]:
                    peaks[p] = (name, hwm)
                if private and private >= anon.get(p, ("", 0))[1]:
                    anon[p] = (name, private)
            stop.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop.set()
        th.join()
    wall = time.perf_counter() - t0
    top = sorted(peaks.values(), key=lambda kv: -kv[1])
    top_anon = sorted(anon.values(), key=lambda kv: -kv[1])
    return {"rc": proc.returncode, "seconds": wall, "peak_bytes": top[0][1] if top else 0, "peak_process": top[0][0] if top else "",
            "peak_private_bytes": top_anon[0][1] if top_anon else 0, "peak_private_process": top_anon[0][0] if top_anon else "",
            "processes": len(peaks), "stdout": out, "stderr": err[-2000:]}


# ---- fraud scoring ------------------------------------------------------------------------------

LOCAL_SCRIPT = """
import sys, time
from usecases.core.store import ModelStore
from usecases.fraud.distributed import score_local
t = time.perf_counter()
out = score_local(sys.argv[1], store=ModelStore())
out.to_parquet(sys.argv[2], index=False)
print(len(out), time.perf_counter() - t)
"""


def make_file(rows: int, folder: Path) -> tuple[Path, int]:
    """A simulated raw-transactions CSV of about ``rows`` rows (183 days; ≈ 358 rows per customer)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from usecases.fraud.distributed import simulate_partitioned
    from usecases.fraud.simulate import SimConfig

    customers = max(100, round(rows / 358))
    cfg = SimConfig(n_customers=customers, n_terminals=2 * customers, n_days=183)
    parts = folder / f"sim-{customers}"
    n = simulate_partitioned(cfg, str(parts))
    csv = folder / f"tx-{n}.csv"
    writer = None
    for f in sorted(parts.glob("*.parquet")):  # streamed into one CSV, part by part
        t = pa.Table.from_pandas(pd.read_parquet(f).astype({"datetime": str}), preserve_index=False)
        if writer is None:
            writer = pacsv.CSVWriter(str(csv), t.schema)
        writer.write_table(t)
    writer.close()
    return csv, n


def compare(local_parquet: Path, ray_dir: Path) -> dict:
    import numpy as np
    import pandas as pd

    from usecases.core.engine import read_output

    a = pd.read_parquet(local_parquet).sort_values("transaction_id").reset_index(drop=True)
    b = read_output(str(ray_dir)).sort_values("transaction_id").reset_index(drop=True)
    same_ids = len(a) == len(b) and bool((a["transaction_id"].astype(str).to_numpy() == b["transaction_id"].astype(str).to_numpy()).all())
    return {"rows_equal": same_ids, "flags_equal": same_ids and bool(np.array_equal(a["flagged"].to_numpy(), b["flagged"].to_numpy())),
            "max_prob_diff": float(np.abs(a["fraud_probability"].to_numpy(float) - b["fraud_probability"].to_numpy(float)).max()) if same_ids else None}


def bench_scoring(sizes: list[int], workers: list[int], folder: Path, local: bool = True) -> list[dict]:
    rows = []
    for size in sizes:
        csv, n = make_file(size, folder)
        local_out = folder / f"local-{n}.parquet"
        r = run_measured([PY, "-c", LOCAL_SCRIPT, str(csv), str(local_out)]) if local else None
        for w in workers if r is None else []:
            out = folder / f"ray-{n}-{w}"
            r2 = run_measured([PY, "-m", "usecases", "score", "fraud", str(csv), "-o", str(out), "--engine", "ray", "--workers", str(w)])
            assert r2["rc"] == 0, r2["stderr"]
            rows.append({"path": f"ray, {w} scoring actor{'s' if w > 1 else ''}", "rows": n, "seconds": r2["seconds"],
                         "rows_per_s": n / r2["seconds"], "peak_gb": r2["peak_bytes"] / 1e9, "peak_private_gb": r2["peak_private_bytes"] / 1e9,
                         "peak_process": r2["peak_process"].split("/")[-1][:40], "peak_private_process": r2["peak_private_process"].split("/")[-1][:40],
                         "same_output": "not compared (--no-local)"})
            print(f"  ray×{w}  {n:>10,} rows  {r2['seconds']:7.1f} s  {r2['peak_bytes'] / 1e9:5.2f} GB ({rows[-1]['peak_process']}; private "
                  f"{r2['peak_private_bytes'] / 1e9:5.2f} GB, {rows[-1]['peak_private_process']})", flush=True)
        if r is None:
            continue
        assert r["rc"] == 0, r["stderr"]
        rows.append({"path": "local (one process)", "rows": n, "seconds": r["seconds"], "rows_per_s": n / r["seconds"],
                     "peak_gb": r["peak_bytes"] / 1e9, "peak_private_gb": r["peak_private_bytes"] / 1e9, "peak_process": "python",
                     "same_output": "reference"})
        print(f"  local  {n:>10,} rows  {r['seconds']:7.1f} s  {r['peak_bytes'] / 1e9:5.2f} GB (private {r['peak_private_bytes'] / 1e9:5.2f} GB)",
              flush=True)
        for w in workers:
            out = folder / f"ray-{n}-{w}"
            r = run_measured([PY, "-m", "usecases", "score", "fraud", str(csv), "-o", str(out), "--engine", "ray", "--workers", str(w)])
            assert r["rc"] == 0, r["stderr"]
            cmp = compare(local_out, out)
            rows.append({"path": f"ray, {w} scoring actor{'s' if w > 1 else ''}", "rows": n, "seconds": r["seconds"], "rows_per_s": n / r["seconds"],
                         "peak_gb": r["peak_bytes"] / 1e9, "peak_process": r["peak_process"].split("/")[-1][:40], "processes": r["processes"],
                         "peak_private_gb": r["peak_private_bytes"] / 1e9, "peak_private_process": r["peak_private_process"].split("/")[-1][:40],
                         "same_output": f"rows {cmp['rows_equal']}, flags {cmp['flags_equal']}, |Δp| ≤ {cmp['max_prob_diff']:.1e}"})
            print(f"  ray×{w}  {n:>10,} rows  {r['seconds']:7.1f} s  {r['peak_bytes'] / 1e9:5.2f} GB ({rows[-1]['peak_process']}; private "
                  f"{r['peak_private_bytes'] / 1e9:5.2f} GB, {rows[-1]['peak_private_process']})  {rows[-1]['same_output']}", flush=True)
    return rows


# ---- GPT training -------------------------------------------------------------------------------

TRAIN_SCRIPT = """
import dataclasses, json, sys, tempfile, time
from usecases.core import engine as eng
from usecases.core.store import ModelStore
from usecases import textgen as tp
iters, workers = int(sys.argv[1]), int(sys.argv[2])
cfg = dataclasses.replace(tp.Config(), max_iters=iters, iters_per_step=50, eval_every_steps=2)
t = time.perf_counter()
if workers == 0:
    tr = tp.train(cfg)
else:
    from usecases.textgen.distributed import train_ddp
    e = eng.Engine("ray")
    eng.init(e)
    t = time.perf_counter()
    tr = train_ddp(cfg, engine=e, workers=workers, store=ModelStore(tempfile.mkdtemp()))
h = tr.card["history"]
print(json.dumps({"loop_seconds": h[-1]["seconds"], "iterations": tr.card["model"]["iterations"], "train_loss": h[-1]["train_loss"],
                  "val_loss": tr.card["metrics"]["val_loss"], "wall": time.perf_counter() - t, "curve": [r["train_loss"] for r in h]}))
"""


def bench_training(iters: int) -> list[dict]:
    rows = []
    for workers in (0, 2):
        r = run_measured([PY, "-c", TRAIN_SCRIPT, str(iters), str(workers)])
        assert r["rc"] == 0, r["stderr"]
        d = json.loads(r["stdout"].strip().splitlines()[-1])
        rows.append({"path": "one process (2 threads)" if workers == 0 else f"Ray Train DDP, {workers} gloo workers (1 thread each)",
                     "ms_per_iter": 1000 * d["loop_seconds"] / d["iterations"], "train_loss": d["train_loss"], "val_loss": d["val_loss"],
                     "wall_s": d["wall"], "curve": d["curve"]})
        print(f"  {rows[-1]['path']:<45} {rows[-1]['ms_per_iter']:7.1f} ms/iter  train loss {d['train_loss']:.4f}  val loss {d['val_loss']:.4f}",
              flush=True)
    return rows


# ---- a retrain in flight ------------------------------------------------------------------------

RETRAIN_SCRIPT = """
import dataclasses, json, statistics, sys, tempfile, time
import numpy as np
from usecases.core import engine as eng
from usecases.core.holder import JobManager
from usecases.core.store import ModelStore
from usecases import triage, fraud
from usecases.fraud.pipeline import predict
from usecases.triage.cohort import CohortConfig, generate
from usecases.triage.pipeline import predict_proba
mode, seconds = sys.argv[1], float(sys.argv[2])
shipped = ModelStore()
fm, tm = fraud.load(shipped), triage.load(shipped)
X = np.random.default_rng(0).lognormal(size=(20_000, len(fm.features))).astype("float32")
patients = generate(CohortConfig(n=2_000, seed=5))
def request():
    t = time.perf_counter(); predict(fm.model, X); predict_proba(tm.model, patients); return time.perf_counter() - t
store = ModelStore(tempfile.mkdtemp())
if mode == "ray":
    e = eng.Engine("ray"); eng.init(e)
for _ in range(3): request()  # warm
jm = JobManager()
if mode == "inprocess":
    job = jm.start("t", "retrain", lambda j: triage.save(triage.train(triage.Config(), progress=j.progress, cancel=j.cancel), store))
elif mode == "ray":
    job = jm.start("t", "retrain", lambda j: eng.train_on_cluster("triage", triage.Config(), store=store, engine=e, progress=j.progress, cancel=j.cancel))
lat = []
t0 = time.perf_counter()
while time.perf_counter() - t0 < seconds and (mode == "idle" or job.running):
    lat.append(request())
lat.sort()
print(json.dumps({"n": len(lat), "p50": statistics.median(lat), "p95": lat[int(0.95 * (len(lat) - 1))],
                  "retrain_state": None if mode == "idle" else job.state}))
if mode != "idle":
    job.cancel.cancel(); job.thread.join(300)
"""


def bench_retrain(seconds: float) -> list[dict]:
    rows = []
    for mode, label in (("idle", "no retrain"), ("inprocess", "retrain in a thread of the server (today)"),
                        ("ray", "retrain submitted to the local Ray cluster")):
        r = run_measured([PY, "-c", RETRAIN_SCRIPT, mode, str(seconds)])
        assert r["rc"] == 0, r["stderr"]
        d = json.loads(r["stdout"].strip().splitlines()[-1])
        rows.append({"mode": label, "requests": d["n"], "p50_ms": 1000 * d["p50"], "p95_ms": 1000 * d["p95"], "server_peak_gb": None})
        print(f"  {label:<45} {d['n']:>4} requests  p50 {1000 * d['p50']:7.1f} ms  p95 {1000 * d['p95']:7.1f} ms", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--small-rows", type=int, default=500_000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--retrain-seconds", type=float, default=60.0)
    ap.add_argument("--parts", default="score,train,retrain")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--no-local", action="store_true", help="scoring: Ray runs only (no local reference, no comparison)")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    results: dict = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="uclab-scale-") as tmp:
        if "score" in parts:
            print("fraud scoring (local vs Ray):", flush=True)
            sizes = sorted({s for s in (a.small_rows, a.rows) if s})
            results["scoring"] = bench_scoring(sizes, [int(w) for w in a.workers.split(",")], Path(tmp), local=not a.no_local)
    if "train" in parts:
        print(f"GPT training, {a.iters} iterations, same global batch:", flush=True)
        results["training"] = bench_training(a.iters)
    if "retrain" in parts:
        print(f"request latency with a triage retrain in flight ({a.retrain_seconds:.0f} s):", flush=True)
        results["retrain"] = bench_retrain(a.retrain_seconds)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
