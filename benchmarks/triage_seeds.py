"""Does averaging seeds help the triage blend on small files? (the evidence behind ``learner.blend_seeds``) And how should
``learner="auto"`` combine the blend with the linear model? (the evidence behind ``learner.stack_weight``)

On a small file each fold model's figures depend on its seed. For every fold of each file (the folds and settings of
:mod:`benchmarks.triage_blend_share`, i.e. of the own-data benchmark) this fits the linear candidate once and the blend's
MLP and TabM parts at seeds 0 … S−1 (one seed each, ``blend_seeds=1``), then scores the test rows three ways, each blend
tempered on its validation rows and combined with the linear model by ``--rule`` (default ``mix``, what
``learner="auto"`` does since 2026-12-01: the linear model's share w ∈ {0, ¼, ½, ¾, 1} with the lowest validation log
loss; ``cost``: the one learner with the lower validation triage cost, as before):

* ``seed 0`` — the single-seed blend as shipped before 2026-12-01;
* ``one seed, mean of S`` — each single seed's figures, averaged over the S seeds (what one seed gives on average), with
  the range of their κ;
* ``S seeds averaged`` — the blend of all 2·S parts (what ``blend_seeds=S`` serves).

Reported: κ linear / under-triage of levels 1–2 / over-triage at the 3× rule / triage cost per patient / ranked probability
score (RPS, Epstein 1969) and, per fold, B(lend), L(inear) or the linear model's share. The files: the own-data
benchmark's, the nine of ``triage_blend_share`` no rule was tuned on, and two more synthetic samples (1,200 patients,
seed 53; 1,800, seed 67).

``--choose "cost,log loss,RPS,mix RPS,mix cost,cost 1SE,mix kappa"`` adds rows with other rules beside it (:data:`CHOICE`;
measured on 2026-12-01, ``mix kappa`` on 2026-12-03; only ``mix`` kept — README); ``--dump DIR`` saves every fold's
probabilities there and reuses them on the next run, so further rules cost no refitting.

``python -m benchmarks.triage_seeds [--only NAME,…] [--seeds 3] [--rule mix|cost] [--choose …] [--dump DIR]`` (≈ 35 min on
one thread for every file but WVS, which is above ``learner.SEED_ROWS`` and skipped unless named).
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
import pandas as pd

from benchmarks.triage_blend_share import _folds, _fresh_files, pick_learner, rps
from usecases.triage.learner import STACK_WEIGHTS, stack_weight
from usecases.triage.metrics import DEFAULT_UNDER_COST, triage_cost, triage_costs, triage_metrics


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


def _by_score(score):
    """A blend-or-linear rule: the linear model (w = 1) when its mean validation ``score(y, p)`` is lower, else the blend."""
    def pick(y: np.ndarray, p_blend: np.ndarray, p_lin: np.ndarray) -> float:
        return 1.0 if score(y, p_lin).mean() < score(y, p_blend).mean() - 1e-12 else 0.0
    return pick


def _log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return -np.log(np.clip(p[np.arange(len(y)), y - 1], 1e-6, 1))


def _mix_by(score):
    """A mixture rule: the share w ∈ ``learner.STACK_WEIGHTS`` with the lowest mean validation ``score(y, p)`` (ties → smaller w)."""
    def pick(y: np.ndarray, p_blend: np.ndarray, p_lin: np.ndarray) -> float:
        s = np.array([np.mean(score(y, (1 - w) * p_blend + w * p_lin)) for w in STACK_WEIGHTS])
        return float(STACK_WEIGHTS[int(np.flatnonzero(s <= s.min() + 1e-12)[0])])
    return pick


def _mix_by_kappa(y: np.ndarray, p_blend: np.ndarray, p_lin: np.ndarray) -> float:
    """A mixture rule: the share w ∈ ``learner.STACK_WEIGHTS`` whose levels at the 3× rule have the highest validation κ
    linear (ties → smaller w) — the score the linear model's own head and C are chosen by."""
    from usecases.triage.model import decide

    k = np.array([triage_metrics(y, decide((1 - w) * p_blend + w * p_lin, DEFAULT_UNDER_COST))["kappa_linear"] for w in STACK_WEIGHTS])
    return float(STACK_WEIGHTS[int(np.flatnonzero(k >= k.max() - 1e-12)[0])])


def _cost_then_log_loss(y: np.ndarray, p_blend: np.ndarray, p_lin: np.ndarray) -> float:
    """One learner: the cheaper by validation cost when the paired cost difference exceeds its standard error, else the
    one with the lower validation log loss."""
    d = triage_costs(y, p_lin) - triage_costs(y, p_blend)
    se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.inf
    if abs(d.mean()) > se:
        return 1.0 if d.mean() < 0 else 0.0
    return _by_score(_log_loss)(y, p_blend, p_lin)


# The linear model's share w in (1 − w)·blend + w·linear, per fold, from the validation rows (all measured on 2026-12-01;
# README, "Mixing the blend and the linear model"):
CHOICE = {"mix": lambda y, b, lin: stack_weight(y, b, lin)[0],  # learner="auto" since 2026-12-01
          "cost": lambda y, b, lin: float(pick_learner(y, b, lin, "cost") == "linear"),  # learner="auto" before: the lower triage cost
          "RPS": _by_score(rps), "log loss": _by_score(_log_loss),  # one learner, by a proper score (not kept)
          "mix RPS": _mix_by(rps), "mix cost": _mix_by(triage_costs),  # a mixture, by another score (not kept)
          "cost 1SE": _cost_then_log_loss,  # one learner, by cost unless within one standard error (not kept)
          "mix kappa": _mix_by_kappa}  # a mixture, by validation κ (measured 2026-12-03)


def served(folds: list[dict], seeds: list[int], choice: str = "mix") -> tuple[np.ndarray, np.ndarray, str]:
    """(test levels, test probabilities, per-fold w) of ``learner="auto"`` with the blend of ``seeds``' parts; ``choice``
    names the rule that sets the linear model's share w on the validation rows (:data:`CHOICE`)."""
    from usecases.triage import learner as tl

    ps, picks = [], []
    for f in folds:
        blend = [(np.mean([f[f"mlp{s}"][w] for s in seeds], 0) + np.mean([f[f"tabm{s}"][w] for s in seeds], 0)) / 2 for w in (0, 1)]
        t = tl.fit_temper(f["y_val"], blend[0])
        blend = [tl.temper(b, t) for b in blend]
        w = CHOICE[choice](f["y_val"], blend[0], f["lin"][0])
        picks.append("B" if w == 0 else "L" if w == 1 else f"{w:g}")
        ps.append((1 - w) * blend[1] + w * f["lin"][1])
    return np.concatenate([f["y_test"] for f in folds]), np.concatenate(ps), " ".join(picks)


def figures(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """κ linear, under-triage of levels 1–2, over-triage, triage cost per patient, mean RPS."""
    from usecases.triage.model import decide

    m = triage_metrics(y, decide(p, DEFAULT_UNDER_COST))
    return np.array([m["kappa_linear"], m["under_triage_l12"], m["over_triage"], triage_cost(y, p), rps(y, p).mean()])


def summarise(name: str, folds: list[dict], seeds: int, choices: tuple[str, ...] = (), rule: str = "mix") -> list[dict]:
    def fmt(v: np.ndarray) -> str:
        return " / ".join(f"{x:.3f}" for x in v[:4]) + f" / {v[4]:.4f}"

    singles = [served(folds, [s], rule) for s in range(seeds)]
    each = np.array([figures(y, p) for y, p, _ in singles])
    y, p, picks = served(folds, list(range(seeds)), rule)
    rows = [{"file": name, "rule": "seed 0", "figures": fmt(each[0]), "per_fold": singles[0][2]},
            {"file": name, "rule": f"one seed, mean of {seeds}", "figures": fmt(each.mean(0)),
             "per_fold": f"κ {each[:, 0].min():.3f}–{each[:, 0].max():.3f}"},
            {"file": name, "rule": f"{seeds} seeds averaged", "figures": fmt(figures(y, p)), "per_fold": picks}]
    for c in choices:
        y, p, picks = served(folds, list(range(seeds)), c)
        rows.append({"file": name, "rule": f"{seeds} seeds averaged, w by rule {c!r}", "figures": fmt(figures(y, p)), "per_fold": picks})
    return rows


def save(path: str, folds: list[dict]) -> None:
    """Every fold's levels and probabilities, so further rules can be scored without refitting (``--dump``)."""
    np.savez_compressed(path, **{f"{i}|{k}|{w}": (v[w] if isinstance(v, tuple) else v) for i, f in enumerate(folds) for k, v in f.items()
                                 for w in ((0, 1) if isinstance(v, tuple) else (0,))})


def load(path: str) -> list[dict]:
    z = np.load(path)
    folds: dict[int, dict] = {}
    for key in z.files:
        i, k, w = key.split("|")
        f = folds.setdefault(int(i), {})
        if k.startswith("y_"):
            f[k] = z[key]
        else:
            f.setdefault(k, [None, None])[int(w)] = z[key]
    return [{k: tuple(v) if isinstance(v, list) else v for k, v in folds[i].items()} for i in sorted(folds)]


def files() -> list[tuple[str, bytes | None, dict | None]]:
    from benchmarks.own_data_tabular import _triage_files
    from benchmarks.own_data_triage import _synthetic
    from benchmarks.triage_blend_share import _unseen_files

    return (list(_triage_files(False)) + _fresh_files() + _unseen_files()
            + [(f"synthetic sub-sample ({n:,} patients, seed {s})", _synthetic(n, s), None) for n, s in ((1200, 53), (1800, 67))])


def main(argv: list[str] | None = None) -> None:
    import torch

    from benchmarks.tabular_learners import markdown

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated substrings of file names ('sub-sample' for the synthetic samples)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rule", default="mix", choices=tuple(CHOICE), help="the rule of the main rows (mix: shipped; cost: before 2026-12-01)")
    ap.add_argument("--choose", default="", help="comma-separated further rules to score beside it: " + ", ".join(CHOICE))
    ap.add_argument("--dump", default="", help="a folder: save every fold's probabilities there, or reuse them if saved already")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    only = [o for o in args.only.split(",") if o]
    choices = tuple(c for c in args.choose.split(",") if c)
    for name, raw, mapping in files():
        if (only and not any(o in name for o in only)) or (not only and "WVS" in name):
            continue
        print(f"\n### {name}\n", flush=True)
        path = os.path.join(args.dump, "".join(c if c.isalnum() else "_" for c in name)[:60] + f"_s{args.seeds}.npz") if args.dump else ""
        if path and os.path.exists(path):
            folds = load(path)
        else:
            folds = fit_folds(name, raw, mapping, args.seeds)
            if path:
                save(path, folds)
        print(markdown(pd.DataFrame(summarise(name, folds, args.seeds, choices, args.rule))), flush=True)


if __name__ == "__main__":
    main()
