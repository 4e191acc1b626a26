"""Split and metrics of the handbook's protocol, so numbers compare with its published tables.

* Split: train on ``delta_train`` days from ``start``, then wait ``delta_delay`` days (labels of
  recent transactions are not known yet), then test on ``delta_test`` days. Cards known to be
  compromised before a test day (frauds in the training set, or in the delay before that day) are
  removed from that test day: in production they would already be blocked.
* Metrics: AUC ROC, Average Precision (primary) and Card Precision@k — for each test day, the
  share of truly compromised cards among the k cards with the highest score (a card's score is
  its highest transaction score that day), averaged over days; cards detected on an earlier day
  are removed from later days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SplitConfig:
    start_train: str = "2018-07-25"
    delta_train: int = 7
    delta_delay: int = 7
    delta_test: int = 7

    def describe(self) -> str:
        s = pd.Timestamp(self.start_train)
        tr_end = s + pd.Timedelta(days=self.delta_train - 1)
        te_start = s + pd.Timedelta(days=self.delta_train + self.delta_delay)
        te_end = te_start + pd.Timedelta(days=self.delta_test - 1)
        return (
            f"train {s:%Y-%m-%d}..{tr_end:%Y-%m-%d}, {self.delta_delay}-day delay, "
            f"test {te_start:%Y-%m-%d}..{te_end:%Y-%m-%d} (known compromised cards removed)"
        )


def day_index(tx: pd.DataFrame, origin: pd.Timestamp) -> np.ndarray:
    return ((pd.to_datetime(tx["TX_DATETIME"]) - origin).dt.days).to_numpy()


def split_indices(tx: pd.DataFrame, cfg: SplitConfig = SplitConfig()) -> tuple[np.ndarray, np.ndarray]:
    """The handbook's ``get_train_test_set`` as row positions (train, test); test without known-compromised cards."""
    start = pd.Timestamp(cfg.start_train)
    day = day_index(tx, start)
    fraud = tx["TX_FRAUD"].to_numpy()
    train = np.flatnonzero((day >= 0) & (day < cfg.delta_train))
    known = set(tx["CUSTOMER_ID"].to_numpy()[train][fraud[train] == 1])
    parts = []
    cust = tx["CUSTOMER_ID"].to_numpy()
    for d in range(cfg.delta_test):
        # Frauds of the day `delta_delay` days before this test day become known.
        delay_day = cfg.delta_train + d - 1
        known |= set(cust[(day == delay_day) & (fraud == 1)])
        test_day = cfg.delta_train + cfg.delta_delay + d
        parts.append(np.flatnonzero((day == test_day) & ~np.isin(cust, list(known))))
    return train, (np.concatenate(parts) if parts else np.zeros(0, np.int64))


def split(tx: pd.DataFrame, cfg: SplitConfig = SplitConfig()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The handbook split as (train, test) frames."""
    tr, te = split_indices(tx, cfg)
    return tx.iloc[tr], tx.iloc[te]


def card_precision_top_k(
    customer: np.ndarray, day: np.ndarray, y: np.ndarray, score: np.ndarray, k: int = 100, remove_detected: bool = True
) -> tuple[float, list[float]]:
    """Mean daily Card Precision@k and the per-day values (the handbook's definition)."""
    df = pd.DataFrame({"c": customer, "d": day, "y": y, "s": score})
    detected: set = set()
    per_day = []
    for d in sorted(df["d"].unique()):
        g = df[(df["d"] == d) & ~df["c"].isin(detected)]
        by_card = g.groupby("c").agg(s=("s", "max"), y=("y", "max")).sort_values("s", ascending=False, kind="mergesort")
        top = by_card.head(k)
        hits = top.index[top["y"] == 1]
        per_day.append(len(hits) / k)
        if remove_detected:
            detected |= set(hits)
    return (float(np.mean(per_day)) if per_day else float("nan")), per_day


def metrics(test: pd.DataFrame, score: np.ndarray, *, k: int = 100) -> dict[str, float]:
    y = test["TX_FRAUD"].to_numpy()
    day = pd.to_datetime(test["TX_DATETIME"]).dt.floor("D").to_numpy()
    return scores_metrics(y, score, customer=test["CUSTOMER_ID"].to_numpy(), day=day, k=k)


def scores_metrics(y: np.ndarray, score: np.ndarray, *, customer: np.ndarray | None = None, day: np.ndarray | None = None,
                   k: int = 100) -> dict[str, float]:
    """AUC ROC and average precision; with card ids and days also the handbook's card precision@k."""
    y = np.asarray(y).astype(int)
    if len(np.unique(y)) < 2:
        out = {"auc_roc": float("nan"), "average_precision": float("nan")}
    else:
        out = {"auc_roc": float(roc_auc_score(y, score)), "average_precision": float(average_precision_score(y, score))}
    if customer is not None and day is not None:
        out[f"card_precision@{k}"] = card_precision_top_k(customer, day, y, score, k=k)[0]
    return out


def bootstrap_metrics(y: np.ndarray, scores: dict[str, np.ndarray], units: np.ndarray, *, n: int = 20, seed: int = 0,
                      per_unit: dict[str, dict[str, np.ndarray]] | None = None) -> dict[str, dict[str, list[float]]]:
    """Per-resample AUC and AP of every model on the same bootstrap resamples of ``units`` (test days, or
    blocks of rows), paired across models — the spread of a single hold-out. ``per_unit`` holds metrics
    that are already means over units (card precision per day): they are resampled directly."""
    rng = np.random.default_rng(seed)
    uniq, inv = np.unique(units, return_inverse=True)
    rows_of = [np.flatnonzero(inv == i) for i in range(len(uniq))]
    out: dict[str, dict[str, list[float]]] = {name: {"auc_roc": [], "average_precision": []} for name in scores}
    for name, m in (per_unit or {}).items():
        for metric in m:
            out[name][metric] = []
    for _ in range(n):
        pick = rng.integers(0, len(uniq), len(uniq))
        rows = np.concatenate([rows_of[i] for i in pick])
        yy = y[rows]
        for name, s in scores.items():
            ok = 0 < yy.sum() < len(yy)
            out[name]["auc_roc"].append(float(roc_auc_score(yy, s[rows])) if ok else float("nan"))
            out[name]["average_precision"].append(float(average_precision_score(yy, s[rows])) if ok else float("nan"))
        for name, m in (per_unit or {}).items():
            for metric, vals in m.items():
                out[name][metric].append(float(np.mean(np.asarray(vals)[pick])))
    return out
