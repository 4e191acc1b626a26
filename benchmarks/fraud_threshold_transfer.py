"""Do the fraud thresholds chosen on inner-validation rows carry over to the test rows of a cross-validated own file?

Each fold's learner is an average of cross-fitted members, so its test scores are less extreme than the single-member
scores on its inner-validation rows, where the threshold is chosen. This compares, on the real tables of
``benchmarks.own_data_fraud``, the gross value per month on the test rows (at the default fraud rate, at 100 per 10,000,
and at 300 per 10,000 with €20 an alert) of:

* ``inner``: the shipped rule, thresholds chosen on each fold's own inner-validation rows;
* ``cross``: thresholds chosen on the *other* folds' test rows, scored by their own fold models — averaged scores like the
  test rows', and still never the fold's own test rows;
* ``oracle``: the best single threshold chosen on the test rows themselves (an upper bound, not a method).

Run ``python -m benchmarks.fraud_threshold_transfer [--quick]``; the README ("Thresholds on cross-validated files") has
the figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from usecases import fraud
from usecases.fraud.assumptions import FraudAssumptions
from usecases.fraud.business import _rates, choose, cutoffs, monthly

from .own_data_fraud import REAL, _real

RATES = (FraudAssumptions(), FraudAssumptions(fraud_rate_bps=100.0), FraudAssumptions(fraud_rate_bps=300.0, cost_per_alert=20.0))


def hindsight(y, s, amount, a: FraudAssumptions, has_amount: bool) -> float:
    """Gross value per month at the best single threshold on these rows themselves (an upper bound, not a method)."""
    c = cutoffs(y, s, amount, has_amount)
    return float(monthly(c.recall.to_numpy(), c.amount_recall.to_numpy(), c.fpr.to_numpy(), a)["gross"].max())


def compare(ev, name: str, a: FraudAssumptions) -> dict:
    s, g, y, amount = ev.test.scores[name], ev.test.group, ev.test.y, ev.test.amount
    v = ev.validation[name]
    k = int(g.max()) + 1

    def gross(thresholds) -> tuple[float, int, int]:
        flag = s >= np.asarray(thresholds)[g]
        r = _rates(y.astype(bool), flag, amount, ev.has_amount)
        return float(monthly(*r, a)["gross"]), int((flag & (y == 1)).sum()), int(flag.sum())

    inner = [choose(v.y[v.group == f], v.scores[name][v.group == f], v.amount[v.group == f], a, ev.has_amount)[0] for f in range(k)]
    cross = [choose(y[g != f], s[g != f], amount[g != f], a, ev.has_amount)[0] for f in range(k)]
    oracle = hindsight(y, s, amount, a, ev.has_amount)
    return {"inner": gross(inner), "cross": gross(cross), "oracle": oracle,
            "val_max": [float(v.scores[name][v.group == f].max()) for f in range(k)], "test_max": [float(s[g == f].max()) for f in range(k)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the quick configuration (seconds per file)")
    args = ap.parse_args()
    cfg = fraud.Config.quick() if args.quick else fraud.Config()
    for pkg, item, label in REAL:
        ds = fraud.read_data(_real(pkg, item), f"{item}.csv", label=label)
        t0 = time.perf_counter()
        ev = fraud.evaluate(fraud.train(cfg, data=ds), ds)
        print(f"== {pkg}::{item}: {len(ds.frame)} rows, {int(ds.y.sum())} positives, trained in {time.perf_counter() - t0:.0f} s")
        for name in ev.names:
            if name not in ev.validation:
                continue
            for a in RATES:
                r = compare(ev, name, a)
                print(f"  {ev.label(name):28s} {a.fraud_rate_bps:6.1f} bps €{a.cost_per_alert:g}/alert  inner {r['inner'][0]:>12,.0f} ({r['inner'][1]}/{r['inner'][2]})"
                      f"  cross {r['cross'][0]:>12,.0f} ({r['cross'][1]}/{r['cross'][2]})  oracle {r['oracle']:>12,.0f}")


if __name__ == "__main__":
    main()
