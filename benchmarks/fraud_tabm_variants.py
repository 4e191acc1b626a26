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

``--handbook`` fits the shipped learner and each variant on the handbook's training week instead and scores the test week
(no peers: the README's handbook table has them): AP, card precision@100 and the scenario-1 check — the payments over 220
(all frauds by construction) flagged at the threshold the product would choose on the variant's own validation rows at
the default assumptions (:func:`amount_rule`). Variants for it: ``wd0`` (no weight decay), ``dropout0`` and
``patience12`` (60 epochs, patience 12) — the settings that decide how far a member pushes the payments just above the rule
(≈ 4–5 min each on one thread).
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

VARIANTS = {"shipped": {}, "seed1": {"seed": 1}, "k32": {"k": 32}, "dropout0.3": {"dropout": 0.3},
            "wd0": {"weight_decay": 0.0}, "dropout0": {"dropout": 0.0}, "patience12": {"max_epochs": 60, "patience": 12}}


def _learner(ds, tr, setting: dict):
    """The shipped learner with ``setting`` changed, fit on rows ``tr``. Weight decay is no domain setting (``TabMConfig``
    has none): it is changed in the size rule the learner reads."""
    import contextlib
    import dataclasses
    from unittest import mock

    import usecases.core.tabular as tabular

    tabm = {k: v for k, v in setting.items() if k not in ("seed", "weight_decay")}
    cfg = fraud.Config(seed=setting.get("seed", 0), tabm=TabMConfig(**tabm))
    sizes = tabular.auto_sizes
    patch = (mock.patch.object(tabular, "auto_sizes", lambda n: dataclasses.replace(sizes(n), weight_decay=setting["weight_decay"]))
             if "weight_decay" in setting else contextlib.nullcontext())
    with patch:
        return make_learner(cfg, ds, None).fit(ds.X[tr], ds.y[tr])


def _fit_predict(ds, tr, te, setting: dict) -> np.ndarray:
    p = _learner(ds, tr, setting).predict_proba(ds.X[te])
    return p[:, 1] if p.ndim == 2 else p


def amount_rule(val_y, val_p, val_amount, y, p, amount, rule: float = 220.0) -> dict:
    """Scenario 1 as the product meets it: the threshold chosen on the validation rows at the default assumptions
    (``business.choose``), then the test payments over ``rule`` flagged at it."""
    from usecases.fraud import business as fb

    thr = float(fb.choose(val_y, val_p, val_amount, fb.FraudAssumptions(), True)[0])
    over, flag = amount > rule, p >= thr
    return {"threshold": thr, "flagged": int((flag & over).sum()), "of": int(over.sum()), "alerts": int(flag.sum())}


def run_handbook(variants: list[str]) -> dict[str, dict]:
    from usecases.fraud.data import simulated
    from usecases.fraud.evaluation import card_precision_top_k

    ds = simulated(fraud.Config().sim)
    tr, te = plan_rows(ds).folds[0]
    out = {}
    for v in ["shipped", *variants]:
        t0 = time.perf_counter()
        learner = _learner(ds, tr, VARIANTS[v])
        vi, vp = learner.validation_
        p = learner.predict_proba(ds.X[te])[:, 1]
        y = ds.y[te]
        r = amount_rule(ds.y[tr][vi], vp, ds.amount[tr][vi], y, p, ds.amount[te])
        r.update(ap=float(average_precision_score(y, p)), cp100=float(card_precision_top_k(ds.customer[te], ds.day[te], y, p, k=100)[0]),
                 seconds=time.perf_counter() - t0)
        out[v] = r
        print(f"  {v:<12} AP {r['ap']:.4f}  card precision@100 {r['cp100']:.4f}  threshold {r['threshold']:.3f}  over 220 flagged "
              f"{r['flagged']}/{r['of']}  alerts {r['alerts']}  {r['seconds']:.0f} s", flush=True)
    return out


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
    p.add_argument("--variants", default=None, help="comma-separated: " + ", ".join([*VARIANTS, "seeds"]) +
                   " (default: seed1,seeds,k32,dropout0.3; with --handbook: wd0,dropout0,patience12)")
    p.add_argument("--handbook", action="store_true", help="the handbook split and the scenario-1 check instead of the real tables")
    a = p.parse_args(argv)
    variants = [v for v in (a.variants or ("wd0,dropout0,patience12" if a.handbook else "seed1,seeds,k32,dropout0.3")).split(",") if v]
    if "seeds" in variants and "seed1" not in variants:
        variants.insert(0, "seed1")
    unknown = [v for v in variants if v not in VARIANTS and v != "seeds"]
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join([*VARIANTS, 'seeds'])}")
    if a.handbook:
        if "seeds" in variants:
            raise SystemExit("--handbook scores single fits: leave out 'seeds'")
        run_handbook(variants)
        return
    wanted = set(a.only.split(","))
    for package, item, label in REAL:
        if item in wanted:
            run_file(package, item, label, variants)


if __name__ == "__main__":
    main()
