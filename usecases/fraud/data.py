"""Fraud data sets: the default simulation with its 15 features, and the Dataset every path shares.

Two layouts reach the model:

* ``handbook`` — raw transactions (the simulation, or a user's ``transaction_id, datetime,
  customer_id, terminal_id, amount[, label]`` file), featurised with the handbook's 15 features;
  the file itself is the history.
* ``table`` — a user's already-featurised table: numeric feature columns and a binary label
  (optionally ``Time`` in seconds and ``Amount``), e.g. the public ULB credit-card layout ``Time,
  V1..V28, Amount, Class`` (Dal Pozzolo et al. 2015) or any imbalanced binary table.

Users' files are read in :mod:`usecases.fraud.files`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from usecases.core.cache import cached_frame
from usecases.core.tables import DataProblem

from .evaluation import SplitConfig
from .features import FEATURES, add_features
from .simulate import SIM_VERSION, SimConfig, simulate_cached

LABEL = "TX_FRAUD"
RAW_COLUMNS = ("TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", LABEL)
# Plausibility bounds of users' files (also stated in the README's "What your file must look like").
AMOUNT_MAX = 1_000_000.0  # € per card transaction
FEATURE_ABS_MAX = 1e12  # |value| of a featurised column
DATE_MIN, DATE_MAX = pd.Timestamp("1970-01-01"), pd.Timestamp("2100-01-01")  # [min, max)


@dataclass
class Dataset:
    """A featurised table ready for training, evaluation or scoring, and how to split it."""

    frame: pd.DataFrame  # features + TX_FRAUD (NaN = unknown) + TX_AMOUNT; raw layouts also ids and TX_DATETIME
    layout: str  # "handbook" | "table"
    source: str  # in words: "your file “x.csv” (1,267 transactions)"
    fingerprint: str  # of the validated rows (usecases.core.protocol.fingerprint)
    features: tuple[str, ...] = FEATURES
    split: SplitConfig | None = None  # the handbook's split (simulations); users' files use the protocol
    read_info: object = None
    notes: tuple[str, ...] = ()  # what reading did to the file, in words (e.g. an ignored index column)
    has_amount: bool = True  # the table has money amounts (TX_AMOUNT); else values use the assumed average fraud amount
    synthetic: bool = False
    key_columns: tuple[str, ...] = RAW_COLUMNS  # the validated columns the fingerprint (and a recorded split) is computed on
    label_column: str | None = None  # a featurised table's label column as the file names it (the card keeps it for scoring)
    # A featurised table's text columns read as 1/0: column → [the value read as 1, the value read as 0] (None where the file
    # held one value only). The card keeps the training file's, and every later file is read with them (``recode``).
    codings: dict = field(default_factory=dict)
    # A featurised table's text columns of 3 to CATEGORY_MAX values, each value read as a 1/0 feature "column=value":
    # column → its values, most common first. The card keeps the training file's; later files are read with them.
    categories: dict = field(default_factory=dict)
    # A featurised table's numeric columns with empty cells: column → the median that fills them (a 1/0 feature
    # "column (empty)" marks which); the card keeps the training file's, and later files are filled with them.
    fills: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # what makes every figure on this file doubtful (a column that is the label in disguise)
    # raw transactions are read in time order; each row's place in the file (0 = the first under the header), so scores come
    # back in the file's order (they came back in time order: a sweep, 2026-12-05). None: the frame is in the file's order.
    file_order: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def subject(self) -> str:
        """How messages name this data: "your file “x.csv”" (the source up to the file name's closing quote)."""
        return self.source[: self.source.index("”") + 1] if "”" in self.source else "this data"

    @property
    def labelled(self) -> bool:
        return LABEL in self.frame and bool(self.frame[LABEL].notna().all())

    @property
    def y(self) -> np.ndarray:
        return self.frame[LABEL].to_numpy().astype(np.int8)

    @property
    def X(self) -> np.ndarray:
        return self.frame[list(self.features)].to_numpy(np.float32, copy=True)

    @property
    def times(self) -> np.ndarray | None:
        """Seconds since the first row (for a time-ordered split and day indices), or None."""
        if "TX_DATETIME" in self.frame:
            dt = pd.to_datetime(self.frame["TX_DATETIME"])
            return (dt - dt.min()).dt.total_seconds().to_numpy()
        if "Time" in self.frame and "Time" not in self.features:  # a "Time" of a few values is a feature (files.py)
            return self.frame["Time"].to_numpy(float)
        return None

    @property
    def day(self) -> np.ndarray | None:
        """The day of each row: days since 1970-01-01 with dates (so charts can show them), whole days since
        the first row with a ``Time`` column in seconds, None without times."""
        if "TX_DATETIME" in self.frame:
            d = pd.to_datetime(self.frame["TX_DATETIME"]).dt.floor("D")
            return ((d - pd.Timestamp("1970-01-01")).dt.days).to_numpy().astype(np.int32)
        t = self.times
        return None if t is None else (t // 86_400).astype(np.int32)

    @property
    def amount(self) -> np.ndarray:
        return self.frame["TX_AMOUNT"].to_numpy(float) if "TX_AMOUNT" in self.frame else np.zeros(len(self.frame))

    @property
    def customer(self) -> np.ndarray | None:
        return self.frame["CUSTOMER_ID"].to_numpy() if "CUSTOMER_ID" in self.frame else None

    def for_fold(self, rows: np.ndarray) -> "Dataset":
        """This data with each filled column's empty cells holding the median of ``rows`` (a fold's training rows) instead of
        the whole file's, so no test row's value reaches its fold's training features. The 1/0 "column (empty)" features are
        unchanged. Reading the file fills with the whole file's median (what a model trained on every row, and so every later
        file, uses); the folds of an evaluation each take their own (the file's median had been used in every fold: a leak of
        the test rows' values, small — Titanic's age 28 against 28–28.25 per fold — but not a held-out protocol)."""
        if not self.fills:
            return self
        frame = self.frame.copy()
        train = np.zeros(len(frame), bool)
        train[np.asarray(rows, dtype=np.int64)] = True
        for c in self.fills:
            gap = frame[f"{c} (empty)"].to_numpy() == 1
            known = train & ~gap
            if gap.any() and known.any():
                frame.loc[gap, c] = float(np.median(frame[c].to_numpy(float)[known]))
        return replace(self, frame=frame)


def split_for(sim: SimConfig) -> SplitConfig:
    """The handbook's dates for its default simulation; otherwise the same shape at the end of the period."""
    default = SimConfig()
    if sim.start_date == default.start_date and sim.n_days >= 136:
        return SplitConfig()
    if sim.n_days < 51:
        raise DataProblem("at least 51 simulated days are needed (30 days of history, then 7 train, 7 delay, 7 test)", "this simulation setting")
    start = pd.Timestamp(sim.start_date) + pd.Timedelta(days=sim.n_days - 21)
    return SplitConfig(start_train=f"{start:%Y-%m-%d}")


def sim_fingerprint(sim: SimConfig) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps({"sim": sim.params, "v": SIM_VERSION}, sort_keys=True).encode()).hexdigest()[:20]


def simulated(sim: SimConfig = SimConfig()) -> Dataset:
    """The simulation with its 15 features (both cached on disk by the simulation's parameters)."""
    split = split_for(sim)
    frame = cached_frame("fraud-features", sim.params, lambda: add_features(simulate_cached(sim)), version=SIM_VERSION)
    return Dataset(frame=frame, layout="handbook", source=f"simulated: {sim.n_customers:,} customers, {sim.n_terminals:,} terminals, "
                   f"{sim.n_days} days from {sim.start_date}, seed {sim.seed}", fingerprint=sim_fingerprint(sim), split=split,
                   synthetic=True)


def from_raw(tx: pd.DataFrame, source: str, **kw) -> Dataset:
    """Canonical raw transactions (TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT[, TX_FRAUD])
    sorted by time → the 15 features."""
    from usecases.core.protocol import fingerprint

    keys = tuple(c for c in RAW_COLUMNS if c in tx)
    return Dataset(frame=add_features(tx), layout="handbook", source=source, fingerprint=fingerprint(tx[list(keys)]), key_columns=keys, **kw)

