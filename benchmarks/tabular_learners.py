"""Which learner each domain should ship (issue 12): the MLP and the shared TabM learner against the
tuned peers — same rows, same folds, same run, through the domains' own code.

* ``fraud_run(ds)`` — every fold of the domain's split (the handbook's train week → test week for the
  simulation, the own-data protocol for a file): each learner and every peer fit on the fold's training
  rows; test scores, spreads (20 bootstrap resamples of test days / the CV folds) and paired wins. On the
  handbook split also the scenario-1 check: the share of test payments over 220 (all frauds by
  construction) flagged at the profit-optimal threshold, chosen on each model's own validation rows at the
  default business assumptions. "mlp+tabm" is the mean of the two learners' calibrated probabilities
  (an ensemble: no extra fitting, scored on the same rows).
* ``triage_run(frame)`` — the synthetic cohort's fixed 70/15/15 split, or a file's cross-validation folds
  (the inner validation rows are the peers' tuning rows): κ, under-triage of levels 1–2, over-triage at the
  default cost ratio, with spreads (paired bootstrap of the test rows / the folds).

Winner rule everywhere: the best mean wins only if it beats each other model in every fold / resample
(paired); otherwise it ties with those it does not beat. Timings are wall seconds on this machine; the
load average is printed beside them.
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np
import pandas as pd

LOWER_BETTER = {"under_triage", "under_triage_l12", "over_triage", "under_triage_l12"}


def load() -> str:
    return "load " + " / ".join(f"{x:.1f}" for x in os.getloadavg())


def verdict(folds: dict[str, dict[str, list[float]]], metric: str, higher: bool = True) -> str:
    """Best mean; a win only over models it beats in every fold / resample."""
    means = {n: float(np.nanmean(v[metric])) for n, v in folds.items() if metric in v}
    best = max(means, key=means.get) if higher else min(means, key=means.get)
    sign = 1 if higher else -1
    a = np.asarray(folds[best][metric])
    ties = [n for n in means if n != best and not (sign * (a - np.asarray(folds[n][metric])) > 0).all()]
    return best + (" ~ " + ", ".join(ties) + " (tie)" if ties else " (wins)")


def wins(folds: dict, a: str, b: str, metric: str, higher: bool = True) -> str:
    x, y = np.asarray(folds[a][metric]), np.asarray(folds[b][metric])
    d = (x - y) if higher else (y - x)
    return f"{int((d > 0).sum())}/{len(d)}"


def markdown(df: pd.DataFrame) -> str:
    """A DataFrame as a markdown table (no extra dependency)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def table(point: dict, folds: dict, metrics: list[str], secs: dict | None = None) -> pd.DataFrame:
    rows = []
    for n in point:
        r = {"model": n}
        for m in metrics:
            v = np.asarray(folds[n].get(m, [np.nan]), float)
            r[m] = f"{point[n][m]:.3f} ({np.nanmin(v):.3f}–{np.nanmax(v):.3f})"
        if secs is not None:
            r["fit s"] = round(float(np.sum(secs.get(n, [np.nan]))), 1)
        rows.append(r)
    return pd.DataFrame(rows)


# ---- fraud ----------------------------------------------------------------------------------------

class _Blend:
    def __init__(self, *models):
        self.models = models

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)


def fraud_run(ds, learners=("mlp", "tabm"), *, config=None, split: str = "auto", blend: bool = True, log=print) -> dict:
    from usecases import fraud
    from usecases.fraud import business as fb
    from usecases.fraud.artefacts import concat, fold_arrays, fold_metrics
    from usecases.fraud.peers import PEERS, fit_peers
    from usecases.fraud.pipeline import make_learner, plan_rows

    config = config or fraud.Config()
    plan = plan_rows(ds, split, config.seed)
    X, y = ds.X, ds.y
    parts, secs, vals = [], {}, {}
    for f, (tr, te) in enumerate(plan.folds):
        fitted, val = {}, {}
        for name in learners:
            t0 = time.perf_counter()
            m = make_learner(dataclasses.replace(config, learner=name), ds, config.budget_seconds).fit(X[tr], y[tr])
            secs.setdefault(name, []).append(time.perf_counter() - t0)
            log(f"  fold {f + 1}/{len(plan.folds)} {name}: {secs[name][-1]:.0f} s ({load()})")
            fitted[name], val[name] = m, m.validation_
        if blend and {"mlp", "tabm"} <= set(fitted):
            fitted["mlp+tabm"] = _Blend(fitted["mlp"], fitted["tabm"])
            (i1, p1), (i2, p2) = val["mlp"], val["tabm"]
            if np.array_equal(i1, i2):
                val["mlp+tabm"] = (i1, (p1 + p2) / 2)
        t0 = time.perf_counter()
        peers = fit_peers(X[tr], y[tr], seed=config.seed, names=PEERS)
        secs.setdefault("peers (all 3)", []).append(time.perf_counter() - t0)
        log(f"  fold {f + 1}: peers {secs['peers (all 3)'][-1]:.0f} s ({load()})")
        names = list(fitted)
        first = fitted[names[0]]
        others = {**{n: fitted[n] for n in names[1:]}, **peers}
        validation = {**val, **{n: p.validation_ for n, p in peers.items()}}
        part = fold_arrays(ds, f, tr, te, first, others, validation)
        part[f"test.score.{names[0]}"] = part.pop("test.score.model")
        parts.append(part)
    arrays = concat(parts)
    names = [n for n in [*fitted, *PEERS]]
    point, folds = fold_metrics(ds, plan, {**arrays, "test.score.model": arrays[f"test.score.{names[0]}"]}, names)
    out = {"split": plan.description, "kind": plan.kind, "rows": len(y), "test_rows": int(len(arrays["test.y"])), "point": point,
           "folds": folds, "seconds": secs}
    if plan.kind == "handbook":  # scenario 1: amount > 220 is always fraud — caught like a tree catches it?
        a = fb.FraudAssumptions()
        amount, over = arrays["test.amount"], arrays["test.amount"] > 220
        out["over220"] = {}
        for n in names:
            if f"val.{n}.score" not in arrays:
                continue
            thr = fb.choose(arrays[f"val.{n}.y"], arrays[f"val.{n}.score"], arrays[f"val.{n}.amount"], a, ds.has_amount)[0]
            flag = arrays[f"test.score.{n}"] >= thr
            out["over220"][n] = {"flagged": int((flag & over).sum()), "of": int(over.sum()), "alerts": int(flag.sum()),
                                 "threshold": float(thr), "frauds_caught": int((flag & (arrays["test.y"] == 1)).sum())}
    return out


def fraud_tables(res: dict) -> list[pd.DataFrame]:
    metrics = [m for m in ("average_precision", "card_precision@100", "auc_roc") if m in res["folds"][next(iter(res["folds"]))]]
    t = table(res["point"], res["folds"], metrics, res["seconds"])
    if "over220" in res:
        t["amount > 220 flagged"] = t["model"].map(lambda n: (lambda o: f"{o['flagged']}/{o['of']} ({o['flagged'] / max(o['of'], 1):.0%}); "
                                                                    f"{o['alerts']} alerts" if o else "—")(res["over220"].get(n)))
    names = list(res["point"])
    pw = []
    for a in [n for n in names if n in ("mlp", "tabm", "mlp+tabm")]:
        for b in names:
            if b != a:
                pw.append({"model": a, "vs": b, **{f"{m} wins": wins(res["folds"], a, b, m) for m in metrics}})
    v = pd.DataFrame([{"metric": m, "verdict": verdict(res["folds"], m)} for m in metrics])
    return [t, pd.DataFrame(pw), v]


# ---- triage -----------------------------------------------------------------------------------------

def triage_run(frame: pd.DataFrame | None = None, learners=("mlp", "tabm"), *, config=None, log=print) -> dict:
    """``frame=None``: the synthetic cohort of ``config`` with its fixed split; else a file's CV folds."""
    from usecases import triage
    from usecases.core import protocol
    from usecases.core.device import select_device
    from usecases.core.spec import DataInfo
    from usecases.triage import learner as tl
    from usecases.triage.cohort import generate
    from usecases.triage.evaluation import build
    from usecases.triage.peers import fit_peer
    from usecases.triage.pipeline import _fold_rows, rule_levels, synthetic_split
    from usecases.triage.records import CANONICAL

    cfg = config or triage.Config()
    device = select_device(cfg.device)
    if frame is None:
        frame = generate(cfg.cohort).drop(columns=["patient"])[list(CANONICAL)]
        tr, va, te = synthetic_split(frame["level"].to_numpy(int), cfg.seed)
        folds = [(0, tr, va, te)]
        desc = "synthetic cohort, stratified 70 / 15 / 15"
    else:
        frame = frame[list(CANONICAL)]
        split = protocol.class_split(frame["level"].to_numpy(int), frame, prefer=cfg.split, seed=cfg.seed)
        folds = list(_fold_rows(frame, split, cfg))
        desc = split.description
    secs: dict[str, list[float]] = {}
    ys, fold_id, probs, rules, vals = [], [], {}, {}, {}
    for i, (f, fit_rows, val_rows, te) in enumerate(folds):
        fit_df, val_df, te_df = frame.iloc[fit_rows], frame.iloc[val_rows], frame.iloc[te]
        ys.append(te_df["level"].to_numpy(int))
        fold_id.append(np.full(len(te), i))
        for name in learners:
            t0 = time.perf_counter()
            m = tl.fit(fit_df, val_df, dataclasses.replace(cfg, learner=name), device, budget=cfg.budget_seconds)
            secs.setdefault(name, []).append(time.perf_counter() - t0)
            probs.setdefault(name, []).append(tl.predict_proba(m, te_df))
            vals.setdefault(name, []).append((val_df["level"].to_numpy(int), tl.predict_proba(m, val_df)))
            log(f"  fold {i + 1}/{len(folds)} {name}: {secs[name][-1]:.0f} s ({load()})")
        if {"mlp", "tabm"} <= set(learners):
            probs.setdefault("mlp+tabm", []).append((probs["mlp"][-1] + probs["tabm"][-1]) / 2)
        for n in cfg.peers:
            t0 = time.perf_counter()
            probs.setdefault(n, []).append(fit_peer(n, fit_df, val_df, cfg.seed).predict_proba(te_df))
            secs.setdefault(n, []).append(time.perf_counter() - t0)
        for n, v in rule_levels(te_df).items():
            rules.setdefault(n, []).append(v)
    cat = {n: np.concatenate(v) for n, v in probs.items()}
    first = learners[0]
    ev = build(y=np.concatenate(ys), probs={"model": cat[first], **{n: p for n, p in cat.items() if n != first}},
               rule_levels={n: np.concatenate(v) for n, v in rules.items()}, fold=np.concatenate(fold_id) if len(folds) > 1 else None,
               data=DataInfo(source="", rows=len(frame), split=desc, kind="", test_rows=int(sum(len(t) for *_, t in folds))))
    point = {first: ev.model, **ev.baselines}
    fold_vals = {(first if n == "model" else n): v for n, v in ev.folds.items()}
    return {"split": desc, "rows": len(frame), "point": point, "folds": fold_vals, "seconds": secs, "validation": vals}


def triage_tables(res: dict) -> list[pd.DataFrame]:
    metrics = ["kappa_linear", "under_triage_l12", "over_triage"]
    t = table(res["point"], res["folds"], metrics, res["seconds"])
    names = list(res["point"])
    pw = []
    for a in [n for n in names if n in ("mlp", "tabm", "mlp+tabm")]:
        for b in names:
            if b != a:
                pw.append({"model": a, "vs": b, **{f"{m} better": wins(res["folds"], a, b, m, m not in LOWER_BETTER) for m in metrics}})
    v = pd.DataFrame([{"metric": m, "verdict": verdict(res["folds"], m, m not in LOWER_BETTER)} for m in metrics])
    return [t, pd.DataFrame(pw), v]
