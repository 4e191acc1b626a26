"""Does averaging seeds help the triage blend on small files? (the evidence behind ``learner.blend_seeds``)

On a small file each fold model's figures depend on its seed. For every fold of each file (the folds and settings of
:mod:`benchmarks.triage_blend_share`, i.e. of the own-data benchmark) this fits the linear candidate once and the blend's
MLP and TabM parts at seeds 0 … S−1 (one seed each, ``blend_seeds=1``), then scores the test rows three ways, each blend
tempered on its validation rows and chosen against the linear model by validation cost exactly as ``learner="auto"``:

* ``seed 0`` — the single-seed blend as shipped before 2026-12-01;
* ``one seed, mean of S`` — each single seed's figures, averaged over the S seeds (what one seed gives on average), with
  the range of their κ;
* ``S seeds averaged`` — the blend of all 2·S parts (what ``blend_seeds=S`` serves).

Reported: κ linear / under-triage of levels 1–2 / over-triage at the 3× rule / triage cost per patient / ranked probability
score (RPS, Epstein 1969) and, per fold, B(lend) or L(inear). The files: the own-data benchmark's, the three of
``triage_blend_share`` no rule was tuned on, and two more synthetic samples (1,200 patients, seed 53; 1,800, seed 67).

``python -m benchmarks.triage_seeds [--only NAME,…] [--seeds 3]`` (≈ 25 min on one thread for every file but WVS, which is
above ``learner.SEED_ROWS`` and skipped unless named).
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pandas as pd

from benchmarks.triage_blend_share import _folds, _fresh_files, pick_learner, rps
from usecases.triage.metrics import DEFAULT_UNDER_COST, triage_cost, triage_metrics


def fit_folds(name: str, raw: bytes | None, mapping: dict | None, seeds: int) -> list[dict]:
    """Per fold: validation / test levels and the probabilities of the linear model and of each seed's MLP and TabM part."""
    import torch

    from usecases.core.device import select_device
    from usecases.triage import learner as tl
    from usecases.triage import linear

    cfg, folds = _folds(name, raw, mapping)
    device = select_device(cfg.device)
    out = []
    for fit_df, val_df, te_df in folds:
        f = {"y_val": val_df["level"].to_numpy(int), "y_test": te_df["level"].to_numpy(int)}
        lm = linear.fit(fit_df, val_df, cfg, device)
        f["lin"] = (linear.predict_proba(lm, val_df), linear.predict_proba(lm, te_df))
        for s in range(seeds):
            for k in ("mlp", "tabm"):
                m = tl.fit(fit_df, val_df, dataclasses.replace(cfg, learner=k, seed=s), torch.device(device))
                f[f"{k}{s}"] = (tl.predict_proba(m, val_df), tl.predict_proba(m, te_df))
        out.append(f)
    return out


def served(folds: list[dict], seeds: list[int]) -> tuple[np.ndarray, np.ndarray, str]:
    """(test levels, test probabilities, per-fold B/L) of ``learner="auto"`` with the blend of ``seeds``' parts."""
    from usecases.triage import learner as tl

    ps, picks = [], []
    for f in folds:
        blend = [(np.mean([f[f"mlp{s}"][w] for s in seeds], 0) + np.mean([f[f"tabm{s}"][w] for s in seeds], 0)) / 2 for w in (0, 1)]
        t = tl.fit_temper(f["y_val"], blend[0])
        blend = [tl.temper(b, t) for b in blend]
        k = pick_learner(f["y_val"], blend[0], f["lin"][0], "cost")
        picks.append("B" if k == "blend" else "L")
        ps.append(blend[1] if k == "blend" else f["lin"][1])
    return np.concatenate([f["y_test"] for f in folds]), np.concatenate(ps), " ".join(picks)


def figures(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """κ linear, under-triage of levels 1–2, over-triage, triage cost per patient, mean RPS."""
    from usecases.triage.model import decide

    m = triage_metrics(y, decide(p, DEFAULT_UNDER_COST))
    return np.array([m["kappa_linear"], m["under_triage_l12"], m["over_triage"], triage_cost(y, p), rps(y, p).mean()])


def summarise(name: str, folds: list[dict], seeds: int) -> list[dict]:
    def fmt(v: np.ndarray) -> str:
        return " / ".join(f"{x:.3f}" for x in v[:4]) + f" / {v[4]:.4f}"

    singles = [served(folds, [s]) for s in range(seeds)]
    each = np.array([figures(y, p) for y, p, _ in singles])
    y, p, picks = served(folds, list(range(seeds)))
    return [{"file": name, "rule": "seed 0", "figures": fmt(each[0]), "per_fold": singles[0][2]},
            {"file": name, "rule": f"one seed, mean of {seeds}", "figures": fmt(each.mean(0)),
             "per_fold": f"κ {each[:, 0].min():.3f}–{each[:, 0].max():.3f}"},
            {"file": name, "rule": f"{seeds} seeds averaged", "figures": fmt(figures(y, p)), "per_fold": picks}]


def files() -> list[tuple[str, bytes | None, dict | None]]:
    from benchmarks.own_data_tabular import _triage_files
    from benchmarks.own_data_triage import _synthetic

    return (list(_triage_files(False)) + _fresh_files()
            + [(f"synthetic sub-sample ({n:,} patients, seed {s})", _synthetic(n, s), None) for n, s in ((1200, 53), (1800, 67))])


def main(argv: list[str] | None = None) -> None:
    import torch

    from benchmarks.tabular_learners import markdown

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated substrings of file names ('sub-sample' for the synthetic samples)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    only = [o for o in args.only.split(",") if o]
    for name, raw, mapping in files():
        if (only and not any(o in name for o in only)) or (not only and "WVS" in name):
            continue
        print(f"\n### {name}\n", flush=True)
        print(markdown(pd.DataFrame(summarise(name, fit_folds(name, raw, mapping, args.seeds), args.seeds))), flush=True)


if __name__ == "__main__":
    main()
