"""Fraud detection at scale on Ray: streaming batch scoring and a partitioned simulator.

Scoring (``python -m usecases score fraud INPUT -o OUTPUT --engine ray``)
-------------------------------------------------------------------------
INPUT is a CSV or Parquet file, or a folder of them, in the raw layout the page accepts
(``transaction_id, datetime, customer_id, terminal_id, amount[, label]``), possibly larger than memory.
The 15 handbook features are *history* features: a transaction's customer windows need every earlier
transaction of the same customer in the last 1/7/30 days, and its terminal windows every transaction of
the same terminal between 8 and 37 days earlier (the 7-day label delay). No row-wise map can compute
them, and the two kinds need different groupings. The pipeline therefore runs:

1. **Read and validate** (Ray Data, streaming): each batch goes through the page's own schema check
   (``RAW_SCHEMA``), becomes the simulator's columns (``files.raw_transactions``) and gets two bucket
   numbers, a stable hash of its terminal and of its customer modulo P (P grows with the input, so a
   bucket stays about ``ROWS_PER_BUCKET`` rows whatever the file size). Blocks live in the object
   store, which spills to disk beyond its size. The earliest time of the whole file is collected on
   the way (the local path counts whole seconds from that instant).
2. **Terminal features, by terminal bucket**: a shuffle in plain Ray tasks — each block is split by
   terminal bucket, and one task per bucket gathers its parts from every block, so every transaction
   of a terminal is in one task with its full history. The rows are put in the local path's order
   (time, then id) and the same ``features.terminal_windows`` runs on them.
3. **Customer features, by customer bucket**: the same task splits its output by customer bucket; one
   task per customer bucket gathers them and runs ``customer_windows`` and the time-of-day flags.
   Chaining the two groupings carries every column along, so no join on the transaction id is needed.
4. **Score on an actor pool**: each actor builds the detector once from weights placed once in the
   object store (GPU actors when the cluster has GPUs and ``--gpus-per-worker`` asks for them) and
   scores batches with the local path's ``scoring.score``.
5. **Write** partitioned Parquet (or CSV when OUTPUT ends in ``.csv``), swapped into place at the end.

Ids written more than one way ("1194" and "001194", "C15" and "c15") are bucketed by the id they stand for
(``tables.id_key``), so each stage sees every spelling of its ids and reads them as one, under the spelling most
rows use — the local reader's rule over the whole file, with the same note (the counts of the buckets add up).

Identity with the local path: keys and times are exact, counts are integers, and the rolling sums
restart at every customer/terminal (``features._rolling_count_sum``), so each feature is the same
float64 bits as in the in-memory path — a test compares them row by row. The probability is the same
network on the same inputs; float32 matrix products can round in the last bit differently for
different batch sizes, so probabilities agree to ~1e-8 (printed to 6 decimals).

Limits of the streaming path, stated: transaction ids are checked for duplicates within each customer
and each terminal (a row written twice is caught; one id reused for a different customer *and*
terminal is not, which would need a third shuffle by id); output rows are grouped by customer bucket,
each partition in time order, not globally in time order.

Simulation at scale (:func:`simulate_partitioned`)
---------------------------------------------------
``simulate.simulate`` draws from one random stream in one pass over all customers, so a slice of
customers cannot be generated without generating everything before it. The partitioned mode keeps the
handbook's design and the *same customer and terminal profiles* (drawn first, from the same seed), but
draws each block of ``CHUNK_CUSTOMERS`` customers' transactions from its own stream
(``default_rng([seed, 2, block])``) and the compromise events from another (``[seed, 1]``). Its output
therefore differs transaction by transaction from ``simulate()`` for the same config (same
distributions), and is the same whether run in this process or on any number of Ray tasks.
"""

from __future__ import annotations

import io
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from usecases.core.tables import DataProblem, IdSpellings, detect_delimiter, id_key, id_spellings, validate

from .files import RAW_SCHEMA, joined_date_and_time, raw_transactions
from .features import FEATURES, customer_windows, fraud_labels, seconds_since, terminal_windows, time_flags
from .simulate import SimConfig, _profiles, draw_transactions

ROWS_PER_BUCKET = 250_000  # target rows per history group: bounds a task's memory, whatever the file size
ORDER = ["TX_DATETIME", "TRANSACTION_ID"]  # the local path's row order (from_raw); ties in time broken by id


# ---- stage functions (run on the cluster; plain pandas, tested locally too) -------------------

def _bucket(values: pd.Series, n: int) -> np.ndarray:
    """A stable bucket per id (pandas' fixed-key SipHash; the same in every process and run). Hashed on the id's
    :func:`~usecases.core.tables.id_key`, so "7", "007" and "7.0" land in one bucket, where the stage reads them as one id as
    the local path does."""
    return (pd.util.hash_pandas_object(id_key(values), index=False).to_numpy() % np.uint64(n)).astype(np.int64)


def normalise(batch: pd.DataFrame, n_buckets: int, subject: str) -> pd.DataFrame:
    """One batch of raw rows → validated simulator columns + ``_ns`` (time in ns) + bucket numbers."""
    strings = joined_date_and_time(pd.DataFrame({c: batch[c].astype(str).str.strip() for c in batch.columns}), [])  # as files._raw
    data = validate(strings, RAW_SCHEMA, header=True, subject=subject)
    tx = raw_transactions(data, subject)
    tx["_ns"] = tx["TX_DATETIME"].to_numpy().astype("datetime64[ns]").astype(np.int64)
    tx["_tb"] = _bucket(tx["TERMINAL_ID"], n_buckets)
    tx["_cb"] = _bucket(tx["CUSTOMER_ID"], n_buckets)
    return tx


def _in_local_order(group: pd.DataFrame, what: str) -> pd.DataFrame:
    dup = group["TRANSACTION_ID"].duplicated(keep=False)
    if dup.any():
        ids = group.loc[dup, "TRANSACTION_ID"].unique()
        raise DataProblem(f"column transaction_id: {len(ids)} duplicated value{'s' if len(ids) > 1 else ''} within one {what} "
                          f"({', '.join(map(repr, ids[:3]))}{' …' if len(ids) > 3 else ''})", "the transactions file")
    return group.sort_values(ORDER, kind="mergesort").reset_index(drop=True)


def _origin(dt: pd.Series, origin_ns: int) -> pd.Timestamp:
    return pd.Timestamp(origin_ns, unit="ns").as_unit(dt.dt.unit)  # same unit as the data: same arithmetic as local


def terminal_stage(group: pd.DataFrame, origin_ns: int) -> tuple[pd.DataFrame, IdSpellings]:
    """All transactions of the terminals of one bucket → + the six terminal features, each terminal id written more than one
    way read as one (every row of such a terminal is in this bucket: the same merge as the local path's, over the file)."""
    g = _in_local_order(group, "terminal")
    g["TERMINAL_ID"], merged = id_spellings(g["TERMINAL_ID"])
    dt = pd.to_datetime(g["TX_DATETIME"])
    seconds = seconds_since(dt, _origin(dt, origin_ns))
    for k, v in terminal_windows(g["TERMINAL_ID"], seconds, fraud_labels(g)).items():
        g[k] = v
    return g, merged


def customer_stage(group: pd.DataFrame, origin_ns: int) -> tuple[pd.DataFrame, IdSpellings]:
    """All transactions of the customers of one bucket → + the customer features and time flags (customer ids merged as
    :func:`terminal_stage` merges terminal ids)."""
    g = _in_local_order(group, "customer")
    g["CUSTOMER_ID"], merged = id_spellings(g["CUSTOMER_ID"])
    dt = pd.to_datetime(g["TX_DATETIME"])
    seconds = seconds_since(dt, _origin(dt, origin_ns))
    for k, v in time_flags(dt).items():
        g[k] = v
    for k, v in customer_windows(g["CUSTOMER_ID"], seconds, g["TX_AMOUNT"].to_numpy(dtype=np.float64)).items():
        g[k] = v
    return g, merged


class FraudScorer:
    """Ray Data callable class: builds the detector once per actor, then scores batches."""

    def __init__(self, model: list, threads: int = 1, with_features: bool = False, csv: bool = False) -> None:
        import ray
        import torch

        from usecases.core.store import load_state

        from .learner import FoldEnsemble
        from .pipeline import Trained

        torch.set_num_threads(max(1, threads))
        weights, card, threshold = ray.get(model[0])  # placed once in the object store by the driver
        tensors = {k: torch.from_numpy(v) for k, v in weights.items()}
        ensemble = FoldEnsemble.from_state(card["model"], tensors, load=lambda m, t: load_state(m, t, "fraud"))
        self.trained = Trained(model=ensemble, card=card)
        self.threshold = threshold  # the driver's profit-optimal threshold: the same flags as the local path
        self.with_features, self.csv = with_features, csv

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        from usecases.core.tables import neutralise

        from .data import Dataset
        from .scoring import score as score_rows

        frame = batch.sort_values(ORDER, kind="mergesort").reset_index(drop=True)
        out = score_rows(self.trained, Dataset(frame=frame, layout="handbook", source="", fingerprint=""), self.threshold)
        if self.with_features:
            for f in FEATURES:
                out[f] = frame[f].to_numpy()
        if self.csv:  # same protection as the local CSV (to_safe_csv)
            for c in ("transaction_id", "customer_id", "terminal_id"):
                out[c] = out[c].map(neutralise)
        return out


# ---- the pipeline ------------------------------------------------------------------------------

def _reader(ray, files: list[str]):
    """Ray Data source over the input files, every CSV column read as text (validation converts)."""
    if all(f.lower().endswith(".parquet") for f in files):
        return ray.data.read_parquet(files)
    if any(f.lower().endswith(".parquet") for f in files):
        raise DataProblem("it mixes Parquet and CSV files; use one format", "the input folder")
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(files[0], encoding="utf-8", errors="replace") as fh:
        head = [line for line in (next(fh, "") for _ in range(200)) if line.strip()]
    if not head:
        raise DataProblem("it is empty", f"“{Path(files[0]).name}”")
    delim = detect_delimiter(head)
    cols = [c.strip() for c in next(csv.reader([head[0]], delimiter=delim))]
    return ray.data.read_csv(
        files, parse_options=pacsv.ParseOptions(delimiter=delim),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in cols}, strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
        read_options=pacsv.ReadOptions(block_size=16 << 20))


def head_notes(files: list[str], rows: int = 2_000) -> list[str]:
    """What the local path says about how it read the file (a time-zone offset set aside, a date and a time column joined),
    from the first rows of the first file: the stages read every batch alike but cannot send words back, so the streaming
    path had said nothing of either (a sweep, 2026-12-05). A batch mixing offsets is refused by the stage that reads it."""
    first = files[0]
    if first.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(first)
        df = next(pf.iter_batches(batch_size=rows)).to_pandas() if pf.metadata.num_rows else pd.DataFrame()
    else:
        with open(first, encoding="utf-8", errors="replace") as fh:
            head = [line for line in (next(fh, "") for _ in range(rows + 1)) if line.strip()]
        if len(head) < 2:
            return []
        df = pd.read_csv(io.StringIO("".join(head)), sep=detect_delimiter(head[:200]), dtype=str, keep_default_na=False)
    if not len(df):
        return []
    notes: list[str] = []
    try:
        strings = joined_date_and_time(pd.DataFrame({c: df[c].astype(str).str.strip() for c in df.columns}), notes)
        raw_transactions(validate(strings, RAW_SCHEMA, header=True, subject="the file"), "the file", notes=notes)
    except DataProblem:
        return []  # the stages refuse such rows, naming them; the notes are for a file that reads
    return [f"{n} (read from the first {min(rows, len(df)):,} rows of {Path(first).name})" for n in notes]


def _n_buckets(files: list[str]) -> int:
    size = sum(Path(f).stat().st_size for f in files)
    bytes_per_row = 20 if all(f.lower().endswith(".parquet") for f in files) else 60
    return max(2, math.ceil(size / bytes_per_row / ROWS_PER_BUCKET))


def _split(block: pd.DataFrame, key: str, n: int) -> list:
    """One block → its rows for each of the ``n`` buckets of ``key`` (the map side of a shuffle), plus
    the block's earliest time in ns (-1 when empty) as the last value."""
    codes = block[key].to_numpy()
    parts = [block[codes == b].reset_index(drop=True) for b in range(n)]
    return [*parts, int(block["_ns"].min()) if len(block) else -1] if key == "_tb" else parts


def _reduce(stage: str, origin_ns: int, n_out: int, *parts: pd.DataFrame) -> list:
    """The reduce side: all rows of one bucket → the stage's features, split again for the next stage (``n_out`` parts),
    and last the ids it found written more than one way (:class:`IdSpellings`)."""
    group = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    run = terminal_stage if stage == "terminal" else customer_stage
    out, merged = run(group, origin_ns) if len(group) else (group, IdSpellings())
    return [*(_split(out, "_cb", n_out) if n_out > 1 else [out]), merged]


def featurized_refs(engine, input_path: str, *, n_buckets: int | None = None, progress=None) -> tuple[list, list[str]]:
    """Stages 1–3: object refs of DataFrames, one per customer bucket, each holding whole customer
    histories with all 15 features; and the notes the local path gives on ids written more than one way.

    The reading is a streaming Ray Data pipeline; the two keyed regroupings are plain Ray tasks
    (map: split a block by bucket, ``num_returns=P``; reduce: concatenate one bucket's parts from every
    block). Ray Data's own groupby would do the same with helper actors, which on a small cluster sit on
    the CPUs the stages need; plain tasks hold a CPU only while they run.
    """
    from usecases.core import engine as eng

    ray = eng.init(engine)
    files = eng.input_files(input_path, (".csv", ".txt", ".parquet"))
    P = n_buckets or _n_buckets(files)
    subject = f"“{Path(input_path).name}” (line numbers count within a batch)"
    norm = _reader(ray, files).map_batches(normalise, batch_format="pandas", batch_size=100_000,
                                           fn_kwargs={"n_buckets": P, "subject": subject})
    try:
        blocks = norm.to_pandas_refs()
    except ray.exceptions.RayTaskError as exc:
        eng.reraise_cause(exc)
    if not blocks:
        raise DataProblem("it has no data rows", f"“{Path(input_path).name}”")
    split = ray.remote(_split).options(num_returns=P + 1)
    mapped = [split.remote(b, "_tb", P) for b in blocks]
    mins = [m for m in eng.get([parts[-1] for parts in mapped]) if m >= 0]
    if not mins:
        raise DataProblem("it has no data rows", f"“{Path(input_path).name}”")
    origin = min(mins)
    by_terminal = ray.remote(_reduce).options(num_returns=P + 1)
    t_out = [by_terminal.remote("terminal", origin, P, *[parts[j] for parts in mapped]) for j in range(P)]
    by_customer = ray.remote(_reduce).options(num_returns=2)
    c_out = [by_customer.remote("customer", origin, 1, *[parts[j] for parts in t_out]) for j in range(P)]
    refs = [c[0] for c in c_out]
    found = {"terminal": IdSpellings(), "customer": IdSpellings()}
    pending, done = [c[1] for c in c_out], 0
    while pending:  # wait for the features (progress per finished bucket; only the small counts travel); a failure surfaces here
        ready, pending = ray.wait(pending, num_returns=1)
        found["customer"] += eng.get(ready[0])
        done += 1
        if progress is not None:
            progress(done, P, {})
    for merged in eng.get([t[-1] for t in t_out]):
        found["terminal"] += merged
    notes = [n for n in (found[w].note(w) for w in ("customer", "terminal")) if n]  # the local path's order and words
    return refs, [*head_notes(files), *notes]


def score(engine, input_path: str, output: str, *, store, key: str = "fraud", with_features: bool = False,
          n_buckets: int | None = None, progress=None) -> int:
    """Score ``input_path`` on the cluster into the partitioned ``output``; return rows written."""
    from usecases.core import engine as eng

    from .pipeline import load

    from .scoring import default_threshold

    trained = load(store, key=key)
    if trained.layout != "handbook":
        raise DataProblem("the streaming path scores raw transactions; this model reads a featurised table — use --engine local",
                          "this model")
    ray = eng.init(engine)
    weights = {k: v.detach().cpu().numpy() for k, v in trained.model.state_dict().items()}
    model_ref = ray.put((weights, trained.card, default_threshold(trained)))
    gpus = engine.gpus_per_worker if eng.cluster_gpus() > 0 else 0
    workers = engine.workers or max(1, min(eng.cluster_cpus(), 4))
    refs, notes = featurized_refs(engine, input_path, n_buckets=n_buckets, progress=progress)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    scored = eng.actor_pool(ray.data.from_pandas_refs(refs), FraudScorer, workers=workers, gpus=gpus, batch_format="pandas",
                            batch_size=65_536, fn_constructor_kwargs={"model": [model_ref], "threads": 1, "with_features": with_features,
                                                                      "csv": output.lower().endswith(".csv")})
    try:
        return eng.write(scored, output)
    except ray.exceptions.RayTaskError as exc:
        eng.reraise_cause(exc)


def score_local(path: str, *, store, key: str = "fraud", with_features: bool = False) -> pd.DataFrame:
    """The in-memory path on a file of any size (the CLI's local ``score`` caps files at 50 MB): read,
    validate, featurise and score in this process — the reference the streaming path must match."""
    from usecases.core.tables import read_table

    from .data import from_raw
    from .pipeline import load
    from .scoring import score as score_rows

    trained = load(store, key=key)
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        df = pd.read_parquet(p)
        df = pd.DataFrame({c: df[c].astype(str) for c in df.columns})
    else:
        df, _ = read_table(p.read_bytes(), max_bytes=1 << 40, subject=f"“{p.name}”")
    subject = f"“{p.name}”"
    tx = raw_transactions(validate(joined_date_and_time(df, []), RAW_SCHEMA, header=True, subject=subject), subject)
    for col in ("CUSTOMER_ID", "TERMINAL_ID"):  # as the page's reader does (files._raw)
        tx[col], _ = id_spellings(tx[col])
    ds = from_raw(tx.sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="mergesort").reset_index(drop=True), p.name)
    out = score_rows(trained, ds)
    if with_features:
        for f in FEATURES:
            out[f] = ds.frame[f].to_numpy()
    return out


# ---- partitioned simulation ----------------------------------------------------------------------

CHUNK_CUSTOMERS = 1_000  # fixed block size: the data never depends on how many tasks generate it


def sim_plan(cfg: SimConfig) -> dict:
    """The cheap global draws, made once: profiles (identical to ``simulate``) and compromise events."""
    rng = np.random.default_rng(cfg.seed)
    _, mean_amount, std_amount, lam, _, indptr, indices, deg = _profiles(cfg, rng)
    ev = np.random.default_rng([cfg.seed, 1])
    n_event_days = max(0, cfg.n_days - 1)
    comp_t = np.zeros((cfg.n_terminals, cfg.n_days + cfg.terminal_days), dtype=bool)
    comp_c: list[tuple[int, int]] = []
    for d in range(n_event_days):
        if cfg.terminals_per_day > 0:
            for t in ev.choice(cfg.n_terminals, size=cfg.terminals_per_day, replace=False):
                comp_t[t, d : d + cfg.terminal_days] = True
        if cfg.customers_per_day > 0:
            comp_c += [(d, int(c)) for c in ev.choice(cfg.n_customers, size=cfg.customers_per_day, replace=False)]
    return {"mean": mean_amount, "std": std_amount, "lam": lam, "indptr": indptr, "indices": indices, "deg": deg,
            "comp_t": comp_t, "comp_c": comp_c}


def n_chunks(cfg: SimConfig) -> int:
    return math.ceil(cfg.n_customers / CHUNK_CUSTOMERS)


def sim_chunk(cfg: SimConfig, plan: dict, k: int) -> pd.DataFrame:
    """Transactions of customers [k·CHUNK, (k+1)·CHUNK) in the raw layout, sorted by time."""
    lo, hi = k * CHUNK_CUSTOMERS, min(cfg.n_customers, (k + 1) * CHUNK_CUSTOMERS)
    rng = np.random.default_rng([cfg.seed, 2, k])
    cust, term, day, seconds, amount = draw_transactions(rng, lo, hi, cfg.n_days, plan["lam"], plan["mean"], plan["std"], plan["deg"],
                                                         plan["indptr"], plan["indices"])
    fraud = (amount > cfg.amount_threshold).astype(np.int8)  # scenario 1
    if cfg.terminals_per_day > 0 and len(cust):  # scenario 2
        fraud[plan["comp_t"][term, day]] = 1
    picked = []  # scenario 3: this block's compromised customers, in event order
    for d, c in plan["comp_c"]:
        if lo <= c < hi:
            window = np.flatnonzero((cust == c) & (day >= d) & (day < d + cfg.customer_days))
            kk = int(len(window) * cfg.customer_fraud_share)
            if kk:
                picked.append(rng.choice(window, size=kk, replace=False))
    if picked:
        idx = np.concatenate(picked)
        np.multiply.at(amount, idx, cfg.customer_amount_factor)
        amount = np.round(amount, 2)
        fraud[idx] = 1
    start = pd.Timestamp(cfg.start_date)
    return pd.DataFrame({
        "transaction_id": (k * 1_000_000_000 + np.arange(len(cust))).astype(np.int64),
        "datetime": start + pd.to_timedelta(seconds, unit="s"),
        "customer_id": cust.astype(np.int64), "terminal_id": term.astype(np.int64),
        "amount": amount, "label": fraud.astype(np.int64),
    })


def _write_chunk(cfg: SimConfig, plan, k: int, output: str) -> int:
    df = sim_chunk(cfg, plan, k)
    path = Path(output) / f"part-{k:05d}.parquet"
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(path)
    return len(df)


def simulate_partitioned(cfg: SimConfig, output: str, *, engine=None, progress=None) -> int:
    """Write the partitioned simulation as ``output/part-NNNNN.parquet`` (one per block of customers),
    in this process or as one Ray task per block; the same files either way. Returns rows written."""
    Path(output).mkdir(parents=True, exist_ok=True)
    plan = sim_plan(cfg)
    K = n_chunks(cfg)
    if engine is None or not engine.is_ray:
        total = 0
        for k in range(K):
            total += _write_chunk(cfg, plan, k, output)
            if progress:
                progress(k + 1, K, {"rows": float(total)})
        return total
    from usecases.core import engine as eng

    ray = eng.init(engine)
    plan_ref = ray.put(plan)
    task = ray.remote(_write_chunk)
    pending = [task.remote(cfg, plan_ref, k, str(Path(output).resolve())) for k in range(K)]
    total, done = 0, 0
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        total += int(eng.get(ready[0]))
        done += 1
        if progress:
            progress(done, K, {"rows": float(total)})
    return total


def main(argv: list[str] | None = None) -> int:
    """``python -m usecases.fraud.distributed --customers N --days D -o DIR [--engine ray]``: a large simulation."""
    import argparse

    from usecases.core import engine as eng

    ap = argparse.ArgumentParser(description="Write a partitioned fraud simulation (raw layout, Parquet parts).")
    ap.add_argument("--customers", type=int, default=5_000)
    ap.add_argument("--terminals", type=int, default=None, help="default: twice the customers")
    ap.add_argument("--days", type=int, default=183)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", required=True)
    eng.add_arguments(ap)
    a = ap.parse_args(argv)
    cfg = SimConfig(n_customers=a.customers, n_terminals=a.terminals or 2 * a.customers, n_days=a.days, seed=a.seed)
    t0 = time.perf_counter()
    n = simulate_partitioned(cfg, a.output, engine=eng.from_args(a))
    print(f"simulated {n:,} transactions in {n_chunks(cfg)} parts in {time.perf_counter() - t0:.1f} s → {a.output}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
