"""Emergency-department queue simulation: does model-assisted triage get critical patients seen sooner?

Patients arrive as a Poisson process, are triaged by a nurse (first come, first served), then wait
for a doctor in a priority queue ordered by their *assigned* level (FIFO within a level; non-
preemptive). Consultation time depends on the *true* level. Waits are measured from the end of
triage to the doctor, as the KTAS time-to-physician targets are. A policy is a confusion matrix
P(assigned | true) — the simulated nurse's, or the model-assisted one's, both measured on the test
set — so the simulation needs no patient features. Targets for time to provider are the KTAS ones:
immediate, 10, 30, 60 and 120 minutes for levels 1–5.

Two policies are compared on *paired* runs (common random numbers): run i of both uses the same
seed, so the same arrivals, true levels, consultation and triage times — only the assigned levels
differ (:func:`usecases.triage.value.operations`). With a single class, no triage stage and one
service rate the model is an M/M/c queue, and its mean wait matches the Erlang C formula (a unit
test checks this).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from usecases.core.business import assumption

from .cohort import LEVEL_MIX

TARGET_MINUTES = (0.0, 10.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True)
class EDAssumptions:
    arrivals_per_hour: float = assumption(9.0, label="Arrivals per hour", unit="patients/h", min=0.1, max=200.0, step=0.5)
    doctors: float = assumption(5, label="Doctors on shift", unit="people", min=1.0, max=200.0, step=1.0)
    nurses: float = assumption(2, label="Triage nurses on shift", unit="people", min=1.0, max=100.0, step=1.0)
    triage_minutes: float = assumption(5.0, label="Triage time per patient", unit="min", min=0.0, max=120.0, step=0.5)
    consult_l1: float = assumption(60.0, label="Consultation time, level 1", unit="min", min=1.0, max=600.0, step=5.0)
    consult_l2: float = assumption(40.0, label="Consultation time, level 2", unit="min", min=1.0, max=600.0, step=5.0)
    consult_l3: float = assumption(30.0, label="Consultation time, level 3", unit="min", min=1.0, max=600.0, step=5.0)
    consult_l4: float = assumption(20.0, label="Consultation time, level 4", unit="min", min=1.0, max=600.0, step=5.0)
    consult_l5: float = assumption(12.0, label="Consultation time, level 5", unit="min", min=1.0, max=600.0, step=5.0)
    # (Doctor and nurse costs per hour were inputs here; staffing is the same with and without the model, so they moved no
    # figure on the page — an input that changes nothing reads as broken. They are gone.)
    late_critical_cost: float = assumption(1_200.0, label="Cost of a critical patient seen after target", unit="€", low=400.0, high=2_500.0,
                                           min=0.0, max=1e7, step=100.0,
                                           help="Assumed average cost (harm, longer stay, complaints) when a level 1–2 patient waits past target.")
    monthly_cost: float = assumption(4_000.0, label="Running cost of decision support", unit="€/month", low=6_000.0, high=2_500.0,
                                     min=0.0, max=1e8, step=500.0)

    @property
    def consult_minutes(self) -> tuple[float, ...]:
        return (self.consult_l1, self.consult_l2, self.consult_l3, self.consult_l4, self.consult_l5)


def utilisation(a: EDAssumptions, level_mix: np.ndarray = LEVEL_MIX) -> float:
    """Doctors' offered load per doctor: arrivals × mean consultation time / doctors (≥ 1: the queue grows without bound)."""
    return a.arrivals_per_hour / 60.0 * float(np.dot(level_mix, a.consult_minutes)) / a.doctors


@dataclass
class RunResult:
    wait: np.ndarray  # time from triage to provider (min) per patient — what the KTAS targets measure
    true_level: np.ndarray
    assigned: np.ndarray
    hours: float


def simulate(a: EDAssumptions, policy: np.ndarray, hours: float = 168.0, seed: int = 0, warmup_hours: float = 24.0,
             priority: bool = True, level_mix: np.ndarray = LEVEL_MIX) -> RunResult:
    """One run. ``policy``: 5×5 row-stochastic matrix P(assigned level | true level)."""
    rng = np.random.default_rng(seed)
    lam = a.arrivals_per_hour / 60.0
    horizon = (hours + warmup_hours) * 60.0
    n_exp = int(lam * horizon * 1.2 + 50)
    t = np.cumsum(rng.exponential(1 / lam, n_exp))
    t = t[t < horizon]
    n = len(t)
    true = rng.choice(5, size=n, p=level_mix / level_mix.sum()) + 1
    pol = np.asarray(policy, float)
    pol = pol / pol.sum(axis=1, keepdims=True)
    u = rng.random(n)
    assigned = (u[:, None] > np.cumsum(pol[true - 1], axis=1)).sum(axis=1) + 1
    service = rng.exponential(np.asarray(a.consult_minutes)[true - 1])
    # Stage 1: triage, c_n nurses, FIFO (deterministic-ish service: exponential around the mean).
    nurses = int(a.nurses)
    free = [0.0] * nurses
    heapq.heapify(free)
    ready = np.empty(n)
    tri = rng.exponential(a.triage_minutes, n) if a.triage_minutes > 0 else np.zeros(n)
    for i in range(n):
        s = max(t[i], heapq.heappop(free))
        ready[i] = s + tri[i]
        heapq.heappush(free, ready[i])
    # Stage 2: doctors, non-preemptive priority by assigned level, FIFO within a level. Each time a
    # doctor frees up, everyone ready by then joins the queue and the most urgent waits least.
    order = np.argsort(ready, kind="stable")
    start = np.full(n, np.nan)
    doc_free = [0.0] * int(a.doctors)
    heapq.heapify(doc_free)
    waiting: list[tuple] = []
    i = served = 0
    while served < n:
        d = heapq.heappop(doc_free)
        while i < n and ready[order[i]] <= d:
            j = order[i]
            heapq.heappush(waiting, (assigned[j] if priority else 0, ready[j], j))
            i += 1
        if waiting:
            _, _, j = heapq.heappop(waiting)
            s_ = d
        else:  # idle doctor: the next patient to become ready is seen at once
            j = order[i]
            i += 1
            s_ = ready[j]
        start[j] = s_
        served += 1
        heapq.heappush(doc_free, s_ + service[j])
    keep = t >= warmup_hours * 60.0
    return RunResult(wait=(start - ready)[keep], true_level=true[keep], assigned=assigned[keep], hours=hours)


def summarize(r: RunResult) -> dict[str, float]:
    crit = r.true_level <= 2
    target = np.asarray(TARGET_MINUTES)[r.true_level - 1]
    late = r.wait > target + 1e-9
    return {
        "patients": float(len(r.wait)),
        "mean_wait_all": float(r.wait.mean()) if len(r.wait) else math.nan,
        "mean_wait_l12": float(r.wait[crit].mean()) if crit.any() else math.nan,
        "p90_wait_l12": float(np.quantile(r.wait[crit], 0.9)) if crit.any() else math.nan,
        "late_share_l12": float(late[crit].mean()) if crit.any() else math.nan,
        "late_l12_per_week": float(late[crit].sum() * 168.0 / r.hours),
        "staff_hours": float(r.hours),
    }


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean queueing time Wq of an M/M/c queue (Erlang C)."""
    a = lam / mu
    if a >= c:
        return math.inf
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)
