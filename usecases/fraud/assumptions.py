"""The fraud business assumptions: payoff matrix, your portfolio (volume, fraud rate, fraud amount), system
cost and team — with units, bounds, low/high values and the sources of the defaults — and the operating
settings (mode, manual threshold) read from a scenario."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from usecases.core import business
from usecases.core.business import assumption

from .data import AMOUNT_MAX

DAYS_PER_MONTH = 30.4
MODES = ("Profit-optimal", "Team capacity", "Manual")
FRAUD_RATE_SOURCE = ("EBA & ECB, 2024 Report on payment fraud (1 August 2024): in H1 2023 fraud was 0.015 % of the number "
                     "(0.031 % of the value) of card payments with cards issued in the EEA. Low/high: our ±⅓.")
FRAUD_AMOUNT_SOURCE = ("Same report: €633 M of card-payment fraud over 7.31 M fraudulent card payments in H1 2023 ≈ €87 each. "
                       "Low/high: our ±30 %.")


@dataclass(frozen=True)
class FraudAssumptions:
    recovery_share: float = assumption(
        0.8, label="Value recovered per caught fraud", unit="share of amount", low=0.6, high=0.95, min=0.0, max=1.0, step=0.05,
        help="Share of a caught fraud's amount that is not lost (payment blocked or charged back).",
    )
    cost_per_alert: float = assumption(
        5.0, label="Cost per investigated alert", unit="€", low=8.0, high=3.0, min=0.0, max=10_000.0, step=0.5,
        help="Analyst time and tooling per alert, e.g. 7 minutes at €45/h ≈ €5.",
    )
    false_alert_cost: float = assumption(
        2.0, label="Cost of a false alert to the customer relationship", unit="€", low=5.0, high=1.0, min=0.0, max=10_000.0, step=0.5,
        help="Friction of a blocked legitimate payment: support call, card re-issue, churn risk.",
    )
    monthly_transactions: float = assumption(
        5_000_000, label="Card transactions per month", unit="transactions", min=1.0, max=1e11, step=100_000.0,
        help="Your volume; the test rows' per-class rates are scaled to it.",
    )
    fraud_rate_bps: float = assumption(
        # at most half of all payments: a file of loans or claims used as own data runs at its own rate (AER::HMDA denies
        # 1,197 in 10,000; the cap of 1,000 had refused it, and value() now checks the cap — 2026-12-04)
        1.5, label="Your portfolio's fraud rate", unit="per 10,000 payments", low=1.0, high=2.0, min=0.01, max=5_000.0, step=0.1,
        help="Fraudulent card payments per 10,000 payments in your portfolio (the simulated test week has ≈ 71).",
        source=FRAUD_RATE_SOURCE,
    )
    avg_fraud_amount: float = assumption(
        87.0, label="Average fraudulent payment", unit="€", low=60.0, high=120.0, min=1.0, max=AMOUNT_MAX, step=1.0,
        help="Mean amount of a fraudulent payment in your portfolio.", source=FRAUD_AMOUNT_SOURCE,
    )
    yearly_system_cost: float = assumption(
        250_000.0, label="Yearly cost of the system", unit="€/year", low=350_000.0, high=180_000.0, min=0.0, max=1e10, step=10_000.0,
        help="Licences, hosting, model upkeep and monitoring.",
    )
    investigators: float = assumption(
        4, label="Investigators", unit="people", min=0.0, max=10_000.0, step=1.0,
        help="Used in capacity mode: the threshold is set so daily alerts at your volume fit the team.",
    )
    cases_per_day: float = assumption(
        40, label="Cases per investigator per day", unit="cases", min=0.0, max=10_000.0, step=5.0,
    )
    # Operating settings (kept under the scenario keys fraud.mode / fraud.threshold, not assumptions with a range).
    mode: str = "Profit-optimal"
    # the manual threshold; None: the profit-optimal one (to three decimals), where the page's slider starts — Home had priced
    # a link's Manual mode at 0.5 while the page, opened, priced 0.91 (€9.0k against €10.7k a month; a sweep, 2026-12-05)
    threshold: float | None = None

    @property
    def capacity_per_day(self) -> float:
        return float(self.investigators * self.cases_per_day)


Assumptions = FraudAssumptions


def assumptions_from(values: Mapping[str, Any]) -> FraudAssumptions:
    """Assumptions from scenario values (``fraud.a.<field>``, ``fraud.mode``, ``fraud.threshold``); bad values → defaults."""
    names = {f.name for f in business.fields_of(FraudAssumptions)}
    picked = {k[len("fraud.a."):]: v for k, v in values.items() if k.startswith("fraud.a.") and k[len("fraud.a."):] in names}
    a = business.from_values(FraudAssumptions, picked)  # a bad value falls back alone (it had reset every assumption)
    mode = next((m for m in MODES if str(values.get("fraud.mode", "")).strip().casefold() == m.casefold()), "Profit-optimal")
    a = dataclasses.replace(a, mode=mode)  # "manual" is Manual
    try:
        t = float(values["fraud.threshold"])
        if 0.0 <= t <= 1.0:
            a = dataclasses.replace(a, threshold=t)
    except (KeyError, TypeError, ValueError):
        pass
    return a


def rate_words(a: FraudAssumptions) -> str:
    """The portfolio's fraud rate in words: "1.5 in 10,000"."""
    from usecases.core import fmt

    return f"{fmt.number(a.fraud_rate_bps)} in 10,000"
