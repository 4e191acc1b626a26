"""The handbook's 15 transaction features, computed on whole arrays.

* ``TX_AMOUNT``; ``TX_DURING_WEEKEND`` (Saturday/Sunday); ``TX_DURING_NIGHT`` (hour ≤ 6).
* Per customer, over the windows (t − w days, t] that include the transaction itself: the number
  of transactions and their mean amount, for w = 1, 7, 30.
* Per terminal, shifted back by the label delay D = 7 days (frauds are only known a week later):
  the number of transactions in (t − D − w, t − D] and the share of them that were fraud (risk).

Rolling windows are found with one ``searchsorted`` on a (group, time) key and per-group prefix
sums, so no Python loop runs over customers or terminals, and no customer's values touch another's. :func:`features_reference` is the straightforward
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


def _group_cumsum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running sums that restart at every group (rows sorted by group).

    Each group's sums are computed from its own values only, so one customer's amounts — however
    large — can neither overflow nor round another customer's features (a single running total over
    all rows did both: ``cs[i] − cs[start]`` cancels digits of every earlier group).
    """
    return pd.Series(values, dtype=np.float64).groupby(group, sort=False).cumsum().to_numpy()


def _rolling_count_sum(group, seconds, values, width):
    """(count, sum of values) over (t − width, t] within each group, rows sorted by (group, seconds)."""
    starts = _window_starts(group, seconds, width)
    idx = np.arange(len(group))
    count = idx - starts + 1
    cs = _group_cumsum(group, values)
    # The window starts inside the row's own group; subtract the group's running sum just before it.
    before = np.where((starts > 0) & (group[np.maximum(starts - 1, 0)] == group), cs[np.maximum(starts - 1, 0)], 0.0)
    return count, cs - before


def add_features(tx: pd.DataFrame, *, delay: int = DELAY, windows=WINDOWS) -> pd.DataFrame:
    """Return ``tx`` (same row order) with the 15 feature columns added.

    Needs TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT and TX_FRAUD (NaN = label not known;
    unknown labels count as transactions but not as frauds in the terminal risk).
    """
    out = tx.copy()
    dt = pd.to_datetime(out["TX_DATETIME"])
    seconds = ((dt - dt.min()).dt.total_seconds()).to_numpy().astype(np.int64)
    out["TX_DURING_WEEKEND"] = (dt.dt.weekday >= 5).astype(np.int8).to_numpy()
    out["TX_DURING_NIGHT"] = (dt.dt.hour <= 6).astype(np.int8).to_numpy()
    amount = out["TX_AMOUNT"].to_numpy(dtype=np.float64)

    # Customers: sort by (customer, time).
    cust = pd.factorize(out["CUSTOMER_ID"])[0]
    o = np.lexsort((np.arange(len(out)), seconds, cust))
    cs, ts, am = cust[o], seconds[o], amount[o]
    for w in windows:
        count, total = _rolling_count_sum(cs, ts, am, w * SECONDS_PER_DAY)
        nb = np.empty(len(out)); avg = np.empty(len(out))
        nb[o] = count
        avg[o] = total / count
        out[f"CUSTOMER_ID_NB_TX_{w}DAY_WINDOW"] = nb
        out[f"CUSTOMER_ID_AVG_AMOUNT_{w}DAY_WINDOW"] = avg

    # Terminals: sort by (terminal, time); labels delayed by `delay` days.
    term = pd.factorize(out["TERMINAL_ID"])[0]
    fraud = pd.to_numeric(out["TX_FRAUD"], errors="coerce").fillna(0).to_numpy(dtype=np.float64) if "TX_FRAUD" in out else np.zeros(len(out))
    o = np.lexsort((np.arange(len(out)), seconds, term))
    tg, ts, fr = term[o], seconds[o], fraud[o]
    d = delay * SECONDS_PER_DAY
    n_delay, f_delay = _rolling_count_sum(tg, ts, fr, d)
    for w in windows:
        n_dw, f_dw = _rolling_count_sum(tg, ts, fr, d + w * SECONDS_PER_DAY)
        n_w = n_dw - n_delay
        f_w = f_dw - f_delay
        risk = np.divide(f_w, n_w, out=np.zeros(len(n_w)), where=n_w > 0)
        nb = np.empty(len(out)); rk = np.empty(len(out))
        nb[o] = n_w
        rk[o] = risk
        out[f"TERMINAL_ID_NB_TX_{w}DAY_WINDOW"] = nb
        out[f"TERMINAL_ID_RISK_{w}DAY_WINDOW"] = rk
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
