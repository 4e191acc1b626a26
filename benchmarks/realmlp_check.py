"""RealMLP (the other PyTorch tabular design issue 12 names) on the real tables where our model only ties the best peer.

Issue 12 asks for "a published, well-kept PyTorch tabular design — e.g. TabM … or RealMLP (``pytabkit``; Holzmüller et al.,
*Better by Default: Strong Pre-Tuned MLPs and Boosted Trees on Tabular Data*, NeurIPS 2024)". The product ships TabM; this
checks whether RealMLP would close the gaps TabM leaves, on exactly the rows the product's own-data benchmarks use:

* **fraud** — ``ISLR::Default`` and ``ISLR::Caravan`` read as "your featurised table" (``fraud.read_data``), the product's
  5-fold split (``pipeline.plan_rows``), each fold's empty cells filled as the product fills them; RealMLP-TD with its
  recommended settings for a ranking metric (``val_metric_name="cross_entropy"``, ``use_ls=False``) and 5 inner
  cross-validation members, as our TabM learner cross-fits 5; the three tuned peers refit in the same run
  (``fraud.peers.fit_peers``). Average precision per fold.
* **triage** — the four real ordinal tables where the model is below the logistic regression (``vcd::Arthritis``,
  ``MASS::survey``, ``carData::Womenlf``, ``ISLR::Carseats``), read with the benchmarks' mappings, the product's folds and
  fit / validation rows (``pipeline._fold_rows``); RealMLP-TD on the regression's own features (TF-IDF of the complaint,
  imputed and scaled vitals, one-hot categories) fit on the fit + validation rows with 5 inner members; every level by
  the product's cost-weighted rule (one level of under-triage costs 3 of over-triage); κ linear over the pooled test rows.

RealMLP is not a dependency of the product (it pulls in PyTorch Lightning): ``pip install pytabkit==1.8.0
pytorch-lightning torchmetrics`` first. ``python -m benchmarks.realmlp_check [--only Default,Arthritis]``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

FRAUD = (("ISLR", "Default", "default"), ("ISLR", "Caravan", "Purchase"))
TRIAGE = ("Arthritis", "survey", "Womenlf", "Carseats")


def _realmlp(seed: int):
    try:
        from pytabkit import RealMLP_TD_Classifier
    except ImportError as exc:  # not a dependency of the product
        raise SystemExit("RealMLP is not installed: pip install pytabkit==1.8.0 pytorch-lightning torchmetrics") from exc
    return RealMLP_TD_Classifier(device="cpu", random_state=seed, n_cv=5, val_metric_name="cross_entropy", use_ls=False,
                                 n_threads=1, verbosity=0)


def _fit_predict(X_fit: np.ndarray, y_fit: np.ndarray, X_test: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(classes, probabilities of the test rows) from RealMLP fit on the fit rows alone."""
    m = _realmlp(seed).fit(X_fit.astype(np.float32), y_fit)
    return np.asarray(m.classes_), m.predict_proba(X_test.astype(np.float32))


def fraud_file(package: str, item: str, label: str, echo=print) -> dict[str, list[float]]:
    """Average precision per fold of RealMLP and of each tuned peer, on the product's folds of one real table."""
    from sklearn.metrics import average_precision_score

    from benchmarks.own_data_fraud import _real
    from usecases import fraud
    from usecases.fraud.peers import fit_peers
    from usecases.fraud.pipeline import plan_rows

    ds = fraud.read_data(_real(package, item), f"{item}.csv", label=label)
    ap: dict[str, list[float]] = {"realmlp": []}
    for f, (tr, te) in enumerate(plan_rows(ds).folds):
        X, y = ds.for_fold(tr).X, ds.y
        for name, peer in fit_peers(X[tr], y[tr], seed=0, n_jobs=1).items():
            ap.setdefault(name, []).append(float(average_precision_score(y[te], peer.predict_proba(X[te])[:, 1])))
        classes, p = _fit_predict(X[tr], y[tr], X[te], seed=f)
        ap["realmlp"].append(float(average_precision_score(y[te], p[:, list(classes).index(1)])))
        echo(f"{item} fold {f + 1}: " + ", ".join(f"{n} {v[-1]:.4f}" for n, v in ap.items()))
    return ap


def triage_file(name: str, raw: bytes, mapping: dict | None, echo=print) -> dict[str, dict]:
    """κ linear, under-triage of levels 1–2 and over-triage of RealMLP and of the tuned regression, pooled over the folds."""
    from usecases import triage
    from usecases.core import protocol
    from usecases.triage import pipeline as tp
    from usecases.triage.metrics import triage_metrics
    from usecases.triage.model import decide
    from usecases.triage.peers import fit_peer, make_lr, prep
    from usecases.triage.records import MIN_ROWS

    cfg = triage.Config()
    frame = triage.read_data(raw, f"{name}.csv", mapping=json.dumps(mapping) if mapping else None).frame[list(tp.CANONICAL)]
    split = protocol.class_split(frame["level"].to_numpy(int), frame, prefer=cfg.split, seed=cfg.seed, min_rows=MIN_ROWS)
    ys, levels = [], {"realmlp": [], "logistic_regression": []}
    for f, fit_rows, val_rows, te in tp._fold_rows(frame, split, cfg):
        fit_df, val_df, te_df = frame.iloc[fit_rows], frame.iloc[val_rows], frame.iloc[te]
        lr = fit_peer("logistic_regression", fit_df, val_df, cfg.seed, select=cfg.linear_select)
        levels["logistic_regression"].append(decide(lr.predict_proba(te_df), 3.0))
        pool = pd.concat([fit_df, val_df])  # RealMLP holds out its own inner members' validation rows from these
        features = make_lr(prep(pool), 1.0, cfg.seed).steps[0][1]  # the regression's own features
        dense = lambda m: m.toarray() if hasattr(m, "toarray") else np.asarray(m)  # noqa: E731
        X_fit, X_te = dense(features.fit_transform(prep(pool))), dense(features.transform(prep(te_df)))
        classes, p = _fit_predict(X_fit, pool["level"].to_numpy(int), X_te, seed=f)
        full = np.zeros((len(te_df), 5))
        full[:, classes.astype(int) - 1] = p
        levels["realmlp"].append(decide(full, 3.0))
        ys.append(te_df["level"].to_numpy(int))
    y = np.concatenate(ys)
    out = {n: triage_metrics(y, np.concatenate(v)) for n, v in levels.items()}
    echo(f"{name}: " + ", ".join(f"{n} κ {m['kappa_linear']:.3f}" for n, m in out.items()))
    return out


def _triage_files() -> list[tuple[str, bytes, dict | None]]:
    from benchmarks.own_data_triage import _real_tables
    from benchmarks.triage_blend_share import _fresh_files, _unseen_files

    return [(n, r, m) for n, r, m, _ in _real_tables()] + _fresh_files() + _unseen_files()


def run(only: tuple[str, ...] = (), echo=print) -> list[pd.DataFrame]:
    keep = lambda name: not only or any(w.lower() in name.lower() for w in only)  # noqa: E731
    rows = []
    for package, item, label in FRAUD:
        if keep(item):
            t0 = time.perf_counter()
            ap = fraud_file(package, item, label, echo)
            means = {n: float(np.mean(v)) for n, v in ap.items()}
            best = max((n for n in means if n != "realmlp"), key=means.get)
            ahead = sum(a > b for a, b in zip(ap["realmlp"], ap[best]))
            rows.append({"table": f"{package}::{item}", "RealMLP AP": round(means["realmlp"], 4),
                         "best peer": f"{best} {means[best]:.4f}", "RealMLP ahead in folds": f"{ahead} of {len(ap[best])}",
                         "seconds": round(time.perf_counter() - t0)})
    fraud_table = pd.DataFrame(rows)
    rows = []
    for name, raw, mapping in _triage_files():
        if any(w in name for w in TRIAGE) and keep(name):
            m = triage_file(name, raw, mapping, echo)
            rows.append({"table": name, **{f"{n} κ / under L1–2 / over": f"{v['kappa_linear']:.3f} / {v['under_triage_l12']:.3f} / "
                                                                          f"{v['over_triage']:.3f}" for n, v in m.items()}})
    return [fraud_table, pd.DataFrame(rows)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated table names (e.g. Default,Arthritis)")
    args = ap.parse_args(argv)
    pd.set_option("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 80)
    for table in run(tuple(w for w in args.only.split(",") if w)):
        if table.empty:  # --only named tables of one domain
            continue
        print(table.to_string(index=False))
        print()


if __name__ == "__main__":
    main()
