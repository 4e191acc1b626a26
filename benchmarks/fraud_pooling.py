"""Should the fraud model average its members' probabilities or their log-odds? (Measured on 2026-12-02; built on 2026-12-04.)

The fraud TabM learner cross-fits 5 members; each is Platt-calibrated on the inner-validation rows it did not learn from,
and the operating threshold is chosen on those rows — each scored by one member. New rows are scored by the mean of the
members' probabilities, which is less extreme than one member's score wherever the members disagree: on the handbook's
test week six payments over 220 (all frauds by construction) scored 0.37–0.88 against a threshold of 0.893 because two
of the five members were unsure. Averaging log-odds instead (the logarithmic opinion pool, Genest & Zidek 1986, *Statistical
Science* 1(1)) keeps a confident majority confident.

This refits the shipped learner (``fraud.Config()``, no time budget, one thread) on every fold the product records for
each real table of ``benchmarks.own_data_fraud`` and scores the same test rows both ways: average precision per fold, and
the gross value per month at the three settings of ``benchmarks.fraud_threshold_transfer`` (default fraud rate; 100 per
10,000; 300 per 10,000 at €20 an alert), with thresholds chosen on each fold's inner-validation rows as the product does,
beside the best threshold in hindsight (an upper bound, not a method). ``--handbook`` scores the shipped checkpoint's
test week instead (no refitting): the payments over 220 flagged at the default assumptions.

``python -m benchmarks.fraud_pooling [--only Default,Caravan,HMDA] [--handbook]`` (≈ 5–10 min per table on one thread).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.metrics import average_precision_score

from usecases import fraud
from usecases.core.tabular import pool_members
from usecases.fraud.business import _rates, choose, monthly
from usecases.fraud.pipeline import make_learner, plan_rows

from .fraud_threshold_transfer import RATES, hindsight
from .own_data_fraud import REAL, _real

POOLS = ("mean of probabilities (shipped until 2026-12-04)", "mean of log-odds (shipped since)")


def member_probs(learner, X: np.ndarray) -> np.ndarray:
    """(members, rows) calibrated P(fraud) of each cross-fitted member."""
    net = learner.tab.net_
    x = torch.as_tensor(learner._design(X))
    with torch.no_grad():
        xq, cats = net.inputs(x, torch.zeros(len(x), 0, dtype=torch.int64))
        return torch.stack([m.proba(m.raw(xq, cats, None))[:, 1] for m in net.members]).double().numpy()


def pool(P: np.ndarray) -> dict[str, np.ndarray]:
    """(members, rows) P(fraud) → each pool's scores, through the product's own pooling (``tabular.pool_members``)."""
    probs = torch.as_tensor(np.stack([1 - P, P], axis=-1))
    return {name: pool_members(probs, how)[:, 1].numpy() for name, how in zip(POOLS, ("probabilities", "log_odds"))}


def gross(y, s, amount, thr, a, has_amount) -> float:
    return float(monthly(*_rates(y.astype(bool), s >= thr, amount, has_amount), a)["gross"])


def run_table(package: str, item: str, label: str) -> None:
    ds = fraud.read_data(_real(package, item), f"{item}.csv", label=label)
    plan = plan_rows(ds)
    amount = ds.amount if ds.has_amount else np.zeros(len(ds.y))
    ap = {p: [] for p in POOLS}
    money = {(p, i, w): 0.0 for p in POOLS for i in range(len(RATES)) for w in ("inner", "oracle")}
    t0 = time.perf_counter()
    for tr, te in plan.folds:
        learner = make_learner(fraud.Config(), ds, None).fit(ds.X[tr], ds.y[tr])
        vi, vp = learner.validation_
        vy, va = ds.y[tr][vi], amount[tr][vi]
        y, amt = ds.y[te], amount[te]
        for name, s in pool(member_probs(learner, ds.X[te])).items():
            ap[name].append(float(average_precision_score(y, s)))
            for i, a in enumerate(RATES):
                thr = choose(vy, vp, va, a, ds.has_amount)[0]
                money[(name, i, "inner")] += gross(y, s, amt, thr, a, ds.has_amount) / len(plan.folds)
                money[(name, i, "oracle")] += hindsight(y, s, amt, a, ds.has_amount) / len(plan.folds)
    print(f"== {package}::{item}: {len(ds.y):,} rows, {int(ds.y.sum())} positives, {plan.description}; {time.perf_counter() - t0:.0f} s")
    for name in POOLS:
        a = np.asarray(ap[name])
        vals = "  ".join(f"{RATES[i].fraud_rate_bps:g} bps: €{money[(name, i, 'inner')]:,.0f} (hindsight €{money[(name, i, 'oracle')]:,.0f})"
                         for i in range(len(RATES)))
        print(f"  {name:<32} mean AP {a.mean():.4f} (folds {' '.join(f'{x:.4f}' for x in a)})  gross/month {vals}", flush=True)
    d = np.asarray(ap[POOLS[1]]) - np.asarray(ap[POOLS[0]])
    print(f"  log-odds − probabilities, AP per fold: {' '.join(f'{x:+.4f}' for x in d)}")


def handbook() -> None:
    from usecases.core.store import ModelStore
    from usecases.fraud.assumptions import FraudAssumptions
    from usecases.fraud.data import simulated
    from usecases.fraud.evaluation import card_precision_top_k

    t = fraud.load(ModelStore())
    arr = t.artefacts
    ds = simulated(fraud.Config().sim)
    _, te = plan_rows(ds).folds[0]
    learner = t.model.learners[0]
    y, amt, day = arr["test.y"], arr["test.amount"], arr["test.day"]
    over = amt > 220
    for name, s in pool(member_probs(learner, ds.X[te])).items():
        parts = []
        for a in (FraudAssumptions(), *RATES[1:]):
            thr = choose(arr["val.model.y"], arr["val.model.score"], arr["val.model.amount"], a, True)[0]
            flag = s >= thr
            parts.append(f"{a.fraud_rate_bps:g} bps: over 220 {int((flag & over).sum())}/{int(over.sum())}, {int(flag.sum())} alerts, "
                         f"gross €{gross(y, s, amt, thr, a, True):,.0f}")
        cp = card_precision_top_k(ds.customer[te], day, y, s, k=100)[0]
        print(f"  {name:<32} AP {average_precision_score(y, s):.4f}  card precision@100 {cp:.4f}  " + "; ".join(parts), flush=True)


def main(argv=None) -> None:
    torch.set_num_threads(1)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="Default,Caravan,HMDA")
    p.add_argument("--handbook", action="store_true", help="the shipped checkpoint's test week only (no refitting)")
    a = p.parse_args(argv)
    if a.handbook:
        handbook()
        return
    wanted = set(a.only.split(","))
    for package, item, label in REAL:
        if item in wanted:
            run_table(package, item, label)


if __name__ == "__main__":
    main()
