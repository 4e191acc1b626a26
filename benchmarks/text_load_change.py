"""Does a budgeted text run follow a load that changes after its warm-up? (the schedule refits of ``textgen.training.fit``)

A budgeted schedule is fitted to the speed of the warm-up and then again at a quarter, half and three quarters of the
budget (``LATER_REFITS``). This trains the auto-sized model on a Latin-1, CRLF copy of the KJV prose (read through the
same path as an uploaded file) with a short budget while two CPU-bound processes start or stop mid-run, once with the
later refits and once without them (``LATER_REFITS = ()``: the single refit after the warm-up), and reports for each
the seconds of the budget used, the iterations done of those scheduled, why it stopped and the validation bits per byte.

- quieter: the two processes run from the start and are stopped at the 250th batch;
- busier: they are started at the 400th batch.

Each cell is its own process, one thread, run one after another (about 4 × (budget + 15 s)).
``python -m benchmarks.text_load_change [--budget 20] [--scenarios quieter,busier]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHANGE_AT = {"quieter": 250, "busier": 400}


def cell(scenario: str, later: bool, budget: float) -> dict:
    """One run in this process (``--cell``): the load changes at the scenario's batch."""
    import torch

    torch.set_num_threads(1)
    from usecases import textgen
    from usecases.textgen import training as tt
    from usecases.textgen.corpus import kjv_corpus

    raw = kjv_corpus().text.replace("\n", "\r\n").encode("latin-1", errors="replace")
    data = textgen.read_data(raw, "kjv_latin1_crlf.txt")
    if not later:
        tt.LATER_REFITS = ()
    hogs: list[subprocess.Popen] = []

    def start() -> None:
        hogs.extend(subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2))

    def stop() -> None:
        for h in hogs:
            h.kill()
        hogs.clear()

    real, calls = tt.batch, [0]

    def batch(*a, **k):
        calls[0] += 1
        if calls[0] == CHANGE_AT[scenario]:
            (start if scenario == "busier" else stop)()
        return real(*a, **k)

    tt.batch = batch
    if scenario == "quieter":
        start()
    try:
        c = textgen.train(textgen.Config(budget_seconds=budget, device="cpu", quality_prompts=2), data=data).card
    finally:
        stop()
    refit = c.get("schedule_refit", {})
    scheduled = c["training"]["max_iters"]  # the probe's count, unless a refit moved it (by more than 5 %)
    if refit and abs(refit["fitted_iterations"] - scheduled) > 0.05 * scheduled:
        scheduled = refit["fitted_iterations"]
    if refit.get("later"):
        scheduled = refit["later"][-1]["fitted_iterations"]
    return {"scenario": scenario, "later_refits": later, "seconds": c["training_seconds"], "budget": c["training"]["budget_seconds"],
            "iterations": c["model"]["iterations"], "scheduled": scheduled,
            "stopped": c["model"]["stopped"], "val_bpb": c["metrics"]["val_bpb"], "schedule_refit": refit}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--scenarios", default="quieter,busier")
    ap.add_argument("--cell", default=None, help=argparse.SUPPRESS)  # "scenario,0|1": one run, JSON on the last line
    ap.add_argument("--json", default=None, help="also write the rows here")
    a = ap.parse_args(argv)
    if a.cell:
        scenario, later = a.cell.split(",")
        print(json.dumps(cell(scenario, later == "1", a.budget)))
        return 0
    rows = []
    for scenario in [s.strip() for s in a.scenarios.split(",") if s.strip()]:
        if scenario not in CHANGE_AT:
            print(f"unknown scenario {scenario!r}; choose from {sorted(CHANGE_AT)}", file=sys.stderr)
            return 2
        for later in (False, True):
            out = subprocess.run([sys.executable, "-m", "benchmarks.text_load_change", "--budget", str(a.budget), "--cell", f"{scenario},{int(later)}"],
                                 capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\nBudget {a.budget:.0f} s, Latin-1 CRLF KJV prose, auto-sized, 1 thread\n")
    print("| Load change | Refits | Seconds used of the budget | Iterations done / scheduled | Stopped by | Val bits/byte |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {'warm-up, ¼, ½, ¾' if r['later_refits'] else 'warm-up only'} | {r['seconds']:.1f} of {r['budget']:.1f} | "
              f"{r['iterations']} / {r['scheduled']} | {r['stopped']} | {r['val_bpb']:.3f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
