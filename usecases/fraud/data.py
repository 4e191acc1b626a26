"""Fraud data: the default simulation with features, and users' own files (two layouts).

* Raw transactions — ``transaction_id, datetime, customer_id, terminal_id, amount[, label]`` —
  are featurised exactly like the simulation (the file itself is the history; a blank label
  means "not known yet").
* An already-featurised table in the public ULB credit-card layout — ``Time, V1..V28, Amount,
  Class`` (Dal Pozzolo et al. 2015) — is used as is, with ``log1p(Amount)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usecases.core.cache import cached_frame
from usecases.core.tables import Column, DataProblem, Schema, read_table, validate

from .evaluation import SplitConfig
from .features import FEATURES, add_features
from .simulate import SIM_VERSION, SimConfig, fingerprint, simulate_cached

RAW_SCHEMA = Schema(
    title="transactions file",
    columns=(
        Column("transaction_id", "str", unique=True, description="Unique id of the transaction", example="T000123",
               aliases=("tx_id", "transactionid", "id")),
        Column("datetime", "datetime", description="When it happened (ISO 8601 or a spreadsheet date-time)", example="2018-08-08 13:45:10",
               aliases=("tx_datetime", "timestamp", "date_time", "time")),
        Column("customer_id", "str", description="Card or customer id", example="C0042", aliases=("card_id", "customer")),
        Column("terminal_id", "str", description="Terminal or merchant id", example="M0917", aliases=("merchant_id", "terminal")),
        Column("amount", "float", min=0.0, unit="€", description="Amount of the transaction", example=57.16, aliases=("tx_amount",)),
        Column("label", "int", required=False, nullable=True, min=0, max=1, description="1 = fraud, 0 = legitimate; blank = not known yet",
               example=0, aliases=("tx_fraud", "is_fraud", "fraud", "class")),
    ),
    min_rows=1,
    allow_extra=False,
)

ULB_FEATURES = ("Time", *(f"V{i}" for i in range(1, 29)), "Amount")
ULB_SCHEMA = Schema(
    title="featurised transactions file (ULB layout)",
    columns=(
        Column("Time", "float", min=0.0, description="Seconds since the first transaction"),
        *(Column(f"V{i}", "float", description="PCA component") for i in range(1, 29)),
        Column("Amount", "float", min=0.0, unit="€"),
        Column("Class", "int", min=0, max=1, description="1 = fraud"),
    ),
    min_rows=2,
    allow_extra=False,
)


@dataclass
class Dataset:
    """A featurised table ready for training/evaluation, with how to split it."""

    frame: pd.DataFrame  # features + TX_FRAUD (+ ids, TX_DATETIME, TX_AMOUNT, CUSTOMER_ID for raw layouts)
    layout: str  # "handbook" (raw transactions) | "ulb"
    source: str
    fingerprint: str
    split: SplitConfig | None = None  # the handbook split for the default simulation
    holdout: str = "time"  # "time" | "stratified" for users' files
    read_info: object = None
    features: tuple[str, ...] = field(default=FEATURES)

    @property
    def labelled(self) -> bool:
        return "TX_FRAUD" in self.frame and self.frame["TX_FRAUD"].notna().all()


def split_for(sim: SimConfig) -> SplitConfig:
    """The handbook's dates for its default simulation; otherwise the same shape at the end of the period."""
    default = SimConfig()
    if sim.start_date == default.start_date and sim.n_days >= 136:
        return SplitConfig()
    if sim.n_days < 51:
        raise DataProblem("at least 51 simulated days are needed (30 days of history, then 7 train, 7 delay, 7 test)", "this simulation setting")
    start = pd.Timestamp(sim.start_date) + pd.Timedelta(days=sim.n_days - 21)
    return SplitConfig(start_train=f"{start:%Y-%m-%d}")


def simulated(sim: SimConfig = SimConfig()) -> Dataset:
    """The simulation with its 15 features (both cached on disk by the simulation's parameters)."""
    split = split_for(sim)
    frame = cached_frame("fraud-features", sim.params, lambda: add_features(simulate_cached(sim)), version=SIM_VERSION)
    return Dataset(frame=frame, layout="handbook", source=f"simulated: {sim.n_customers:,} customers, {sim.n_terminals:,} terminals, "
                   f"{sim.n_days} days from {sim.start_date}, seed {sim.seed}", fingerprint=fingerprint(frame), split=split)


def raw_transactions(df: pd.DataFrame) -> pd.DataFrame:
    """Validated raw transactions (RAW_SCHEMA columns) → the simulator's column names, in file order."""
    tx = pd.DataFrame({
        "TRANSACTION_ID": df["transaction_id"].astype(str).to_numpy(),
        "TX_DATETIME": pd.to_datetime(df["datetime"]).to_numpy(),
        "CUSTOMER_ID": df["customer_id"].astype(str).to_numpy(),
        "TERMINAL_ID": df["terminal_id"].astype(str).to_numpy(),
        "TX_AMOUNT": df["amount"].astype(float).to_numpy(),
    })
    if "label" in df:
        tx["TX_FRAUD"] = pd.to_numeric(df["label"], errors="coerce").astype(float).to_numpy()
    return tx


def from_raw(df: pd.DataFrame, source: str) -> Dataset:
    """Validated raw transactions (RAW_SCHEMA columns) → featurised Dataset (rows in time order, ties by id)."""
    tx = raw_transactions(df)
    tx = tx.sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="mergesort").reset_index(drop=True)
    feats = add_features(tx)
    return Dataset(frame=feats, layout="handbook", source=source, fingerprint=fingerprint(feats))


def from_ulb(df: pd.DataFrame, source: str) -> Dataset:
    frame = df.rename(columns={"Class": "TX_FRAUD"}).copy()
    frame["TX_FRAUD"] = frame["TX_FRAUD"].astype(float)
    frame["TX_AMOUNT"] = frame["Amount"].astype(float)
    frame["TRANSACTION_ID"] = np.arange(len(frame)).astype(str)
    h = pd.util.hash_pandas_object(frame[list(ULB_FEATURES) + ["TX_FRAUD"]], index=False).to_numpy()
    import hashlib

    return Dataset(frame=frame, layout="ulb", source=source, fingerprint=hashlib.sha256(h.tobytes()).hexdigest()[:16],
                   features=ULB_FEATURES, holdout="time")


def read_user_file(raw: bytes, filename: str, *, require_labels: bool) -> Dataset:
    """Detect the layout, validate, featurise. Raises one DataProblem listing every problem."""
    subject = f"“{filename}”"
    df, info = read_table(raw, max_bytes=RAW_SCHEMA.max_bytes, encodings=RAW_SCHEMA.encodings, subject=subject)
    cols = {c.strip().lower() for c in df.columns}
    if {"v1", "v2", "amount", "class"} <= cols or {"v1", "v28"} <= cols:
        data = validate(df, ULB_SCHEMA, header=info.header, subject=subject)
        ds = from_ulb(data, f"your file {filename} (ULB layout, {len(data):,} rows)")
    else:
        data = validate(df, RAW_SCHEMA, header=info.header, subject=subject)
        if require_labels:
            if "label" not in data:
                raise DataProblem("it has no label column; training and evaluation need 1 = fraud / 0 = legitimate for each row", subject)
            n_missing = int(data["label"].isna().sum())
            if n_missing:
                raise DataProblem(f"column label: {n_missing} rows have no label; training needs a label on every row", subject)
        ds = from_raw(data, f"your file {filename} ({len(data):,} transactions)")
    ds.read_info = info
    if require_labels:
        y = ds.frame["TX_FRAUD"]
        n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
        if n_pos < 10 or n_neg < 10:
            raise DataProblem(f"it has {n_pos} frauds and {n_neg} legitimate transactions; at least 10 of each are needed to train and evaluate", subject)
    return ds
