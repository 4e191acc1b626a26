"""Vectorised card-transaction simulator following the design of the open handbook
*Reproducible Machine Learning for Credit Card Fraud Detection — Practical Handbook*
(Le Borgne, Siblini, Lebichot, Bontempi, Université Libre de Bruxelles, 2022), chapter 3.

The generative story is the handbook's; the code is ours and works on whole arrays instead of
looping over customers and days (the handbook's pandas version takes minutes for the default run).

* Customers and terminals sit uniformly on a 100 × 100 grid. A customer spends ``N(mean, mean/2)``
  with ``mean ~ U(5, 100)`` (a negative draw is redrawn from ``U(0, 2·mean)``), makes
  ``Poisson(λ)`` transactions a day with ``λ ~ U(0, 4)``, only at terminals within ``radius``.
* Times of day are ``N(noon, 20 000 s)``; draws outside the day are dropped (as in the handbook).
* Fraud: (1) every amount above 220 is fraud; (2) each day 2 random terminals are compromised for
  the next 28 days — all their transactions are fraud; (3) each day 3 random customers are
  compromised for the next 14 days and a third of their transactions get amount × 5 and are fraud.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from usecases.core.cache import cached_frame

SECONDS_PER_DAY = 86_400
SIM_VERSION = 1


@dataclass(frozen=True)
class SimConfig:
    n_customers: int = 5_000
    n_terminals: int = 10_000
    n_days: int = 183
    start_date: str = "2018-04-01"
    radius: float = 5.0
    seed: int = 0
    # Scenario mix (the handbook's defaults); set a count to 0 to switch a scenario off.
    amount_threshold: float = 220.0  # scenario 1: amounts above this are fraud (inf = off)
    terminals_per_day: int = 2  # scenario 2
    terminal_days: int = 28
    customers_per_day: int = 3  # scenario 3
    customer_days: int = 14
    customer_fraud_share: float = 1 / 3
    customer_amount_factor: float = 5.0

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.n_customers <= 200_000:
            problems.append("customers must be between 1 and 200,000")
        if not 1 <= self.n_terminals <= 200_000:
            problems.append("terminals must be between 1 and 200,000")
        if not 1 <= self.n_days <= 730:
            problems.append("days must be between 1 and 730")
        if not 0 < self.radius <= 100:
            problems.append("radius must be in (0, 100]")
        if self.terminals_per_day < 0 or self.customers_per_day < 0:
            problems.append("compromised counts per day cannot be negative")
        if self.terminals_per_day > self.n_terminals or self.customers_per_day > self.n_customers:
            problems.append("cannot compromise more terminals or customers per day than exist")
        if not 0 <= self.customer_fraud_share <= 1:
            problems.append("share of a compromised customer's transactions must be in [0, 1]")
        try:
            pd.Timestamp(self.start_date)
        except (ValueError, TypeError):
            problems.append(f"start date {self.start_date!r} is not a date")
        if problems:
            from usecases.core.tables import DataProblem

            raise DataProblem(problems, "this simulation setting")

    @property
    def params(self) -> dict:
        return dataclasses.asdict(self)


PRESETS: dict[str, SimConfig] = {
    "Handbook default (5,000 customers · 183 days · ≈1.75 M transactions)": SimConfig(),
    "Medium (2,000 customers · 120 days · ≈0.45 M transactions)": SimConfig(n_customers=2_000, n_terminals=4_000, n_days=120),
    "Small (500 customers · 90 days · ≈85 k transactions)": SimConfig(n_customers=500, n_terminals=1_000, n_days=90),
}


def _profiles(cfg: SimConfig, rng: np.random.Generator):
    cxy = rng.uniform(0, 100, size=(cfg.n_customers, 2))
    mean_amount = rng.uniform(5, 100, size=cfg.n_customers)
    std_amount = mean_amount / 2
    lam = rng.uniform(0, 4, size=cfg.n_customers)
    txy = rng.uniform(0, 100, size=(cfg.n_terminals, 2))
    # Terminals within the radius of each customer, as CSR arrays (indptr, indices).
    neigh = cKDTree(txy).query_ball_point(cxy, r=cfg.radius)
    deg = np.fromiter((len(n) for n in neigh), dtype=np.int64, count=cfg.n_customers)
    indptr = np.concatenate([[0], np.cumsum(deg)])
    indices = np.fromiter((t for n in neigh for t in sorted(n)), dtype=np.int64, count=int(indptr[-1]))
    return cxy, mean_amount, std_amount, lam, txy, indptr, indices, deg


def draw_transactions(rng: np.random.Generator, lo: int, hi: int, n_days: int, lam, mean_amount, std_amount, deg, indptr, indices):
    """The transactions of customers ``lo … hi-1`` (Poisson per customer-day, amount, time in the day, a
    terminal within reach), sorted by time with ties by customer: ``(cust, term, day, seconds, amount)``.
    Shared by :func:`simulate` (all customers) and the partitioned simulator (one block)."""
    counts = rng.poisson(lam[lo:hi, None], size=(hi - lo, n_days))
    cust = np.repeat(np.repeat(np.arange(lo, hi), n_days), counts.ravel())
    day = np.repeat(np.tile(np.arange(n_days), hi - lo), counts.ravel())
    n = len(cust)
    t_in_day = rng.normal(SECONDS_PER_DAY / 2, 20_000, size=n).astype(np.int64)  # int() truncation, as in the handbook
    amount = rng.normal(mean_amount[cust], std_amount[cust])
    neg = amount < 0
    amount[neg] = rng.uniform(0, 2 * mean_amount[cust[neg]])
    amount = np.round(amount, 2)
    u = rng.random(n)
    keep = (t_in_day > 0) & (t_in_day < SECONDS_PER_DAY) & (deg[cust] > 0)
    cust, day, t_in_day, amount, u = cust[keep], day[keep], t_in_day[keep], amount[keep], u[keep]
    term = indices[indptr[cust] + np.floor(u * deg[cust]).astype(np.int64)]
    seconds = t_in_day + day * SECONDS_PER_DAY
    order = np.lexsort((cust, seconds))  # by time, ties by customer (stable, deterministic)
    return cust[order], term[order], day[order], seconds[order], amount[order]


def simulate(cfg: SimConfig = SimConfig()) -> pd.DataFrame:
    """Generate the transactions table (sorted by time) with fraud labels and scenarios."""
    rng = np.random.default_rng(cfg.seed)
    _, mean_amount, std_amount, lam, _, indptr, indices, deg = _profiles(cfg, rng)
    cust, term, day, seconds, amount = draw_transactions(rng, 0, cfg.n_customers, cfg.n_days, lam, mean_amount, std_amount,
                                                         deg, indptr, indices)
    fraud = np.zeros(len(cust), dtype=np.int8)
    scenario = np.zeros(len(cust), dtype=np.int8)

    # Scenario 1: large amounts.
    s1 = amount > cfg.amount_threshold
    fraud[s1], scenario[s1] = 1, 1

    # Scenario 2: compromised terminals — a terminal × day matrix of compromise.
    n_events_days = max(0, cfg.n_days - 1)  # the handbook loops over range(max day)
    if cfg.terminals_per_day > 0 and n_events_days > 0:
        comp_t = np.zeros((cfg.n_terminals, cfg.n_days + cfg.terminal_days), dtype=bool)
        for d in range(n_events_days):
            for t in rng.choice(cfg.n_terminals, size=cfg.terminals_per_day, replace=False):
                comp_t[t, d : d + cfg.terminal_days] = True
        s2 = comp_t[term, day]
        fraud[s2], scenario[s2] = 1, 2

    # Scenario 3: compromised customers — a share of their transactions, amount × factor.
    if cfg.customers_per_day > 0 and n_events_days > 0:
        by_cust = np.lexsort((seconds, cust))
        cust_sorted = cust[by_cust]
        day_sorted = day[by_cust]
        starts = np.searchsorted(cust_sorted, np.arange(cfg.n_customers + 1))
        picked: list[np.ndarray] = []
        for d in range(n_events_days):
            for c in rng.choice(cfg.n_customers, size=cfg.customers_per_day, replace=False):
                lo, hi = starts[c], starts[c + 1]
                days_c = day_sorted[lo:hi]
                a, b = np.searchsorted(days_c, [d, d + cfg.customer_days])
                window = by_cust[lo + a : lo + b]
                k = int(len(window) * cfg.customer_fraud_share)
                if k:
                    picked.append(rng.choice(window, size=k, replace=False))
        if picked:
            idx = np.concatenate(picked)
            # A transaction picked by two overlapping compromises is multiplied twice, as in the handbook.
            np.multiply.at(amount, idx, cfg.customer_amount_factor)
            amount = np.round(amount, 2)
            fraud[idx], scenario[idx] = 1, 3

    start = pd.Timestamp(cfg.start_date)
    return pd.DataFrame(
        {
            "TRANSACTION_ID": np.arange(len(cust), dtype=np.int64),
            "TX_DATETIME": start + pd.to_timedelta(seconds, unit="s"),
            "CUSTOMER_ID": cust.astype(np.int64),
            "TERMINAL_ID": term.astype(np.int64),
            "TX_AMOUNT": amount,
            "TX_TIME_SECONDS": seconds.astype(np.int64),
            "TX_TIME_DAYS": day.astype(np.int64),
            "TX_FRAUD": fraud,
            "TX_FRAUD_SCENARIO": scenario,
        }
    )


def simulate_cached(cfg: SimConfig = SimConfig()) -> pd.DataFrame:
    """``simulate`` with an on-disk Parquet cache keyed by every parameter."""
    return cached_frame("fraud-sim", cfg.params, lambda: simulate(cfg), version=SIM_VERSION)


def fingerprint(df: pd.DataFrame) -> str:
    """A short content hash of a transactions table (recorded in model cards)."""
    import hashlib

    h = hashlib.sha256()
    for col in ("TX_TIME_SECONDS", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"):
        if col in df:
            h.update(np.ascontiguousarray(df[col].to_numpy()).tobytes())
    return h.hexdigest()[:16]
