"""Would more ensembling or more regularisation lift the fraud model on real tables? (Measured; not built.)

Issue 12 asks small files to prefer "fewer parameters, stronger regularisation, ensembling over seeds/folds". The fraud
model already averages 5 cross-fitted TabM members, each with k parallel heads. This benchmark refits the shipped learner
(``fraud.Config()``, no time budget) on the outer folds the product records for each real table and, on exactly the same
rows, the same learner changed in one setting at a time:

* ``seed1`` — the same learner with seed 1 (other inner folds, other initialisation);
* ``seeds`` — the mean of the seed-0 and seed-1 models' probabilities: an ensemble over seeds, twice the training time;
* ``k32`` — 32 parallel heads instead of the size rule's 12–16 (the TabM authors' default);
* ``dropout0.3`` — dropout 0.3 instead of 0.15 (files under 6,000 rows) or 0.1 (larger ones).

The tuned peers are refit on the same rows in the same run. Average precision per fold and its mean; "wins" counts the
folds where a variant beats the shipped learner. ``python -m benchmarks.fraud_tabm_variants [--only Default,Caravan,HMDA]
[--variants seed1,k32,dropout0.3]`` (≈ 5–12 min per file and variant on one thread).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import average_precision_score

from usecases import fraud
from usecases.fraud.peers import fit_peers
from usecases.fraud.pipeline import make_learner, plan_rows
from usecases.fraud.tabm import TabMConfig

from .own_data_fraud import REAL, _real

VARIANTS = {"shipped": {}, "seed1": {"seed": 1}, "k32": {"k": 32}, "dropout0.3": {"dropout": 0.3}}


def _fit_predict(ds, tr, te, setting: dict) -> np.ndarray:
    tabm = {k: v for k, v in setting.items() if k != "seed"}
    cfg = fraud.Config(seed=setting.get("seed", 0), tabm=TabMConfig(**tabm))
    learner = make_learner(cfg, ds, None)
    learner.fit(ds.X[tr], ds.y[tr])
    p = learner.predict_proba(ds.X[te])
    return p[:, 1] if p.ndim == 2 else p


def run_file(package: str, item: str, label: str, variants: list[str]) -> dict[str, list[float]]:
    ds = fraud.read_data(_real(package, item), f"{item}.csv", label=label)
    plan = plan_rows(ds)
    ap: dict[str, list[float]] = {}
    seconds: dict[str, float] = {}
    for tr, te in plan.folds:
        y = ds.y[te]
        probs = {}
        for v in ["shipped", *variants]:
            if v == "seeds":
                continue
            t0 = time.perf_counter()
            probs[v] = _fit_predict(ds, tr, te, VARIANTS[v])
            seconds[v] = seconds.get(v, 0.0) + time.perf_counter() - t0
        if "seeds" in variants:
            probs["seeds"] = (probs["shipped"] + probs["seed1"]) / 2
        for name, peer in fit_peers(ds.X[tr], ds.y[tr], seed=0).items():
            probs[name] = peer.predict_proba(ds.X[te])[:, 1]
        for name, p in probs.items():
            ap.setdefault(name, []).append(float(average_precision_score(y, p)))
    print(f"== {package}::{item}: {len(ds.y):,} rows, {int(ds.y.sum())} positives, {plan.description}")
    base = np.asarray(ap["shipped"])
    for name, v in ap.items():
        a = np.asarray(v)
        extra = "" if name == "shipped" or name not in VARIANTS and name != "seeds" else f"  beats shipped in {int((a > base).sum())}/{len(a)} folds"
        secs = f"  {seconds[name]:.0f} s" if name in seconds else ""
        print(f"  {name:<20} mean AP {a.mean():.4f}  folds " + " ".join(f"{x:.4f}" for x in a) + extra + secs, flush=True)
    return ap


def main(argv: list[str] | None = None) -> None:
    import torch

    torch.set_num_threads(1)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="Default,Caravan,HMDA", help="comma-separated table names (ISLR::Default → Default)")
    p.add_argument("--variants", default="seed1,seeds,k32,dropout0.3", help="comma-separated: " + ", ".join([*VARIANTS, "seeds"]))
    a = p.parse_args(argv)
    variants = [v for v in a.variants.split(",") if v]
    if "seeds" in variants and "seed1" not in variants:
        variants.insert(0, "seed1")
    unknown = [v for v in variants if v not in VARIANTS and v != "seeds"]
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join([*VARIANTS, 'seeds'])}")
    wanted = set(a.only.split(","))
    for package, item, label in REAL:
        if item in wanted:
            run_file(package, item, label, variants)


if __name__ == "__main__":
    main()
