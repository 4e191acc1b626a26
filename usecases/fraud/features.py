"""The handbook's 15 transaction features, computed on whole arrays.

* ``TX_AMOUNT``; ``TX_DURING_WEEKEND`` (Saturday/Sunday); ``TX_DURING_NIGHT`` (hour ≤ 6).
* Per customer, over the windows (t − w days, t] that include the transaction itself: the number
  of transactions and their mean amount, for w = 1, 7, 30.
* Per terminal, shifted back by the label delay D = 7 days (frauds are only known a week later):
  the number of transactions in (t − D − w, t − D] and the share of them that were fraud (risk).

Rolling windows are found with one ``searchsorted`` on a (group, time) key and prefix sums, so
no Python loop runs over customers or terminals. :func:`features_reference` is the straightforward
per-group pandas version (the handbook's approach), kept for tests and the speed benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOWS = (1, 7, 30)
DELAY = 7
SECONDS_PER_DAY = 86_400

FEATURES: tuple[str, ...] = (
    "TX_AMOUNT",
    "TX_DURING_WEEKEND",
    "TX_DURING_NIGHT",
    *(f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW" for w in WINDOWS),
    *(f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW" for w in WINDOWS),
    *(f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW" for w in WINDOWS),
    *(f"TERMINAL_ID_RISK_{w}DAY_WINDOW" for w in WINDOWS),
)

LABELS: dict[str, str] = {
    "TX_AMOUNT": "Amount",
    "TX_DURING_WEEKEND": "Weekend",
    "TX_DURING_NIGHT": "Night (0–6 h)",
    **{f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW": f"Customer: transactions, {w} d" for w in WINDOWS},
    **{f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW": f"Customer: mean amount, {w} d" for w in WINDOWS},
    **{f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW": f"Terminal: transactions, {w} d (7 d ago)" for w in WINDOWS},
    **{f"TERMINAL_ID_RISK_{w}DAY_WINDOW": f"Terminal: fraud share, {w} d (7 d ago)" for w in WINDOWS},
}


def _window_starts(group: np.ndarray, seconds: np.ndarray, width: int) -> np.ndarray:
    """For rows sorted by (group, seconds): index of the first row of the same group with time > t − width."""
    span = int(seconds.max() - seconds.min()) + 2 * width + 1 if len(seconds) else 1
    key = group.astype(np.int64) * span + (seconds - seconds.min()).astype(np.int64) + width
    return np.searchsorted(key, key - width, side="right")


def _rolling_count_sum(group, seconds, values, width):
    """(count, sum of values) over (t − width, t] within each group, rows sorted by (group, seconds).

    The prefix sums restart at every group, so a window's sum depends only on its own group's rows in
    order — the same bits whichever other groups share the array. The streaming engine
    (``usecases/fraud/distributed.py``) relies on this to match the in-memory path exactly.
    """
    starts = _window_starts(group, seconds, width)
    idx = np.arange(len(group))
    count = idx - starts + 1
    cs = pd.Series(np.asarray(values, dtype=np.float64)).groupby(np.asarray(group), sort=False).cumsum().to_numpy()
    first = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(first, idx, 0)) if len(group) else idx
    before = np.where(starts > group_start, cs[np.maximum(starts - 1, 0)], 0.0)
    return count, cs - before


def seconds_since(dt: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    """Whole seconds from ``origin`` (the earliest transaction of the whole table), as integers."""
    return ((dt - origin).dt.total_seconds()).to_numpy().astype(np.int64)


def time_flags(dt: pd.Series) -> dict[str, np.ndarray]:
    return {"TX_DURING_WEEKEND": (dt.dt.weekday >= 5).astype(np.int8).to_numpy(), "TX_DURING_NIGHT": (dt.dt.hour <= 6).astype(np.int8).to_numpy()}


def customer_windows(customer, seconds: np.ndarray, amount: np.ndarray, windows=WINDOWS) -> dict[str, np.ndarray]:
    """Per customer, over (t − w days, t]: number of transactions and mean amount (rows in any order;
    ties in time keep the rows' order)."""
    n = len(seconds)
    cust = pd.factorize(customer)[0]
    o = np.lexsort((np.arange(n), seconds, cust))
    cs, ts, am = cust[o], seconds[o], amount[o]
    out = {}
    for w in windows:
        count, total = _rolling_count_sum(cs, ts, am, w * SECONDS_PER_DAY)
        nb = np.empty(n); avg = np.empty(n)
        nb[o] = count
        avg[o] = total / count
        out[f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW"] = nb
        out[f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"] = avg
    return out


def terminal_windows(terminal, seconds: np.ndarray, fraud: np.ndarray, *, delay: int = DELAY, windows=WINDOWS) -> dict[str, np.ndarray]:
    """Per terminal, over (t − delay − w days, t − delay]: number of transactions and share of frauds."""
    n = len(seconds)
    term = pd.factorize(terminal)[0]
    o = np.lexsort((np.arange(n), seconds, term))
    tg, ts, fr = term[o], seconds[o], fraud[o]
    d = delay * SECONDS_PER_DAY
    n_delay, f_delay = _rolling_count_sum(tg, ts, fr, d)
    out = {}
    for w in windows:
        n_dw, f_dw = _rolling_count_sum(tg, ts, fr, d + w * SECONDS_PER_DAY)
        n_w = n_dw - n_delay
        f_w = f_dw - f_delay
        risk = np.divide(f_w, n_w, out=np.zeros(len(n_w)), where=n_w > 0)
        nb = np.empty(n); rk = np.empty(n)
        nb[o] = n_w
        rk[o] = risk
        out[f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW"] = nb
        out[f"TERMINAL_ID_RISK_{w}DAY_WINDOW"] = rk
    return out


def fraud_labels(tx: pd.DataFrame) -> np.ndarray:
    """TX_FRAUD as 0/1 floats; an unknown label (NaN) counts as not fraud."""
    if "TX_FRAUD" not in tx:
        return np.zeros(len(tx))
    return pd.to_numeric(tx["TX_FRAUD"], errors="coerce").fillna(0).to_numpy(dtype=np.float64)


def add_features(tx: pd.DataFrame, *, delay: int = DELAY, windows=WINDOWS) -> pd.DataFrame:
    """Return ``tx`` (same row order) with the 15 feature columns added.

    Needs TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT and TX_FRAUD (NaN = label not known;
    unknown labels count as transactions but not as frauds in the terminal risk).
    """
    out = tx.copy()
    dt = pd.to_datetime(out["TX_DATETIME"])
    seconds = seconds_since(dt, dt.min())
    for k, v in time_flags(dt).items():
        out[k] = v
    amount = out["TX_AMOUNT"].to_numpy(dtype=np.float64)
    for k, v in customer_windows(out["CUSTOMER_ID"], seconds, amount, windows).items():
        out[k] = v
    for k, v in terminal_windows(out["TERMINAL_ID"], seconds, fraud_labels(out), delay=delay, windows=windows).items():
        out[k] = v
    return out


def features_reference(tx: pd.DataFrame, *, delay: int = DELAY, windows=WINDOWS) -> pd.DataFrame:
    """The handbook-style per-group pandas implementation (slow; for tests and the benchmark)."""
    out = tx.copy()
    out["TX_DATETIME"] = pd.to_datetime(out["TX_DATETIME"])
    out["TX_DURING_WEEKEND"] = out["TX_DATETIME"].apply(lambda d: int(d.weekday() >= 5))
    out["TX_DURING_NIGHT"] = out["TX_DATETIME"].apply(lambda d: int(d.hour <= 6))

    def customer_group(g: pd.DataFrame) -> pd.DataFrame:
        g = g.sort_values("TX_DATETIME")
        s = g.set_index("TX_DATETIME")["TX_AMOUNT"]
        for w in windows:
            cnt = s.rolling(f"{w}D").count()
            tot = s.rolling(f"{w}D").sum()
            g[f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW"] = cnt.values
            g[f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"] = (tot / cnt).values
        return g

    def terminal_group(g: pd.DataFrame) -> pd.DataFrame:
        g = g.sort_values("TX_DATETIME")
        f = g.set_index("TX_DATETIME")["TX_FRAUD"].fillna(0)
        nf_d = f.rolling(f"{delay}D").sum()
        nt_d = f.rolling(f"{delay}D").count()
        for w in windows:
            nf_dw = f.rolling(f"{delay + w}D").sum()
            nt_dw = f.rolling(f"{delay + w}D").count()
            nf_w = nf_dw - nf_d
            nt_w = nt_dw - nt_d
            g[f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW"] = nt_w.values
            g[f"TERMINAL_ID_RISK_{w}DAY_WINDOW"] = (nf_w / nt_w).fillna(0).values
        return g

    parts = [customer_group(g) for _, g in out.groupby("CUSTOMER_ID", sort=False)]
    out = pd.concat(parts).sort_index()
    parts = [terminal_group(g) for _, g in out.groupby("TERMINAL_ID", sort=False)]
    return pd.concat(parts).sort_index()
