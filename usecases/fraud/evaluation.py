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


def split(tx: pd.DataFrame, cfg: SplitConfig = SplitConfig()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The handbook's ``get_train_test_set`` (train, test), test without known-compromised cards."""
    start = pd.Timestamp(cfg.start_train)
    day = day_index(tx, start)
    fraud = tx["TX_FRAUD"].to_numpy()
    train = tx[(day >= 0) & (day < cfg.delta_train)]
    known = set(train.loc[train["TX_FRAUD"] == 1, "CUSTOMER_ID"])
    parts = []
    cust = tx["CUSTOMER_ID"].to_numpy()
    for d in range(cfg.delta_test):
        # Frauds of the day `delta_delay` days before this test day become known.
        delay_day = cfg.delta_train + d - 1
        known |= set(cust[(day == delay_day) & (fraud == 1)])
        test_day = cfg.delta_train + cfg.delta_delay + d
        mask = (day == test_day) & ~np.isin(cust, list(known))
        parts.append(tx[mask])
    test = pd.concat(parts) if parts else tx.iloc[:0]
    return train, test


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
    if len(np.unique(y)) < 2:
        auc = ap = float("nan")
    else:
        auc = float(roc_auc_score(y, score))
        ap = float(average_precision_score(y, score))
    day = pd.to_datetime(test["TX_DATETIME"]).dt.floor("D").to_numpy()
    cp, _ = card_precision_top_k(test["CUSTOMER_ID"].to_numpy(), day, y, score, k=k)
    return {"auc_roc": auc, "average_precision": ap, f"card_precision@{k}": cp}
