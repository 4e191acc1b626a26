"""Text generation business case: what self-hosting the model costs at the user's draft volume, what its
usable drafts save in editor time, and the break-even volume against a hosted API.

    cost per 1k tokens   = machine price per hour / (measured tokens per second × 3,600) × 1,000
    drafts per hour      = tokens per second × 3,600 / tokens per draft
    editor time saved    = drafts × usable share × minutes saved per draft / 60 × editor hourly cost,
                           and 0 unless the model's measured usable share reaches the required share and it
                           beats the n-gram baseline in every block (a draft an editor must rewrite saves nothing);
                           the low and high cases take the ends of the usable share's 95 % interval
    self-hosted / month  = fixed infrastructure + drafts × tokens per draft / 1,000 × cost per 1k
    net value / month    = editor time saved − self-hosted cost               (``Value.monthly``)
    API / month          = drafts × tokens per draft / 1,000,000 × API price per 1M tokens
    break-even           = fixed / (API price per 1k − cost per 1k) × 1,000 tokens per month

The machine prices are Home's (``home.p.cpu_price`` / ``home.p.gpu_price``), so the text page, Home's
cost table and its portfolio price compute the same way; the tokens per second are measured on this
deployment (:func:`usecases.textgen.throughput`) — a GPU's cost is only stated when a GPU was measured.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from usecases.core import business, fmt
from usecases.core.business import assumption
from usecases.core.spec import Value

from . import SPEC
from .evaluation import TextEvaluation
from .quality import Quality

HOME_PRICES = "home.p."  # Home's portfolio inputs: cpu_price, gpu_price (see usecases.portfolio.PortfolioAssumptions)


@dataclass(frozen=True)
class TextAssumptions:
    tokens_per_draft: float = assumption(600, label="Tokens per draft", unit="tokens", min=1.0, max=1e6, step=50.0)
    drafts_per_month: float = assumption(3_000, label="Drafts per month", unit="drafts", min=0.0, max=1e9, step=100.0)
    minutes_saved: float = assumption(12.0, label="Editor minutes saved per draft", unit="min", low=5.0, high=20.0, min=0.0, max=600.0, step=1.0,
                                      help="Time an editor saves by starting from a draft instead of a blank page, after reviewing it.")
    editor_cost: float = assumption(45.0, label="Editor cost", unit="€/h", min=0.0, max=1_000.0, step=1.0)
    fixed_monthly: float = assumption(300.0, label="Fixed self-hosting cost", unit="€/month", low=600.0, high=150.0, min=0.0, max=1e8, step=50.0,
                                      help="Monitoring, upkeep and the always-on share of the machine.")
    min_usable_share: float = assumption(0.8, label="Usable drafts required", unit="share", low=0.9, high=0.7, min=0.0, max=1.0, step=0.05,
                                         help="The value counts only when at least this share of the model's drafts is usable (measured on held-out "
                                              "prompts: ≥ 97 % real words, no repeated 8-token run). Below it, editors would rewrite the drafts.")
    api_price_per_m: float = assumption(2.0, label="Hosted API price", unit="€ per 1M tokens", low=4.0, high=1.0, min=0.0, max=100_000.0, step=0.5,
                                        help="What a hosted model API charges per million generated tokens.")
    # Machine prices per hour: set on Home (scenario keys home.p.cpu_price / home.p.gpu_price), not under tg.a.
    cpu_price: float = 0.10
    gpu_price: float = 2.50


Assumptions = TextAssumptions


def assumptions_from(values: Mapping[str, Any]) -> TextAssumptions:
    """The text assumptions from scenario values: ``tg.a.<field>`` and Home's machine prices
    ``home.p.cpu_price`` / ``home.p.gpu_price`` (checked against Home's own bounds). A value of the wrong
    type or out of range falls back to its default, one field at a time."""
    from usecases.portfolio import PortfolioAssumptions

    own = _valid(TextAssumptions, values, SPEC.assumptions_prefix + ".")
    home = PortfolioAssumptions()
    prices = {"cpu_price": home.cpu_price, "gpu_price": home.gpu_price}  # Home's defaults, then Home's values
    prices.update({k: v for k, v in _valid(PortfolioAssumptions, values, HOME_PRICES).items() if k in prices})
    return dataclasses.replace(TextAssumptions(), **own, **prices)


def _valid(cls, values: Mapping[str, Any], prefix: str) -> dict[str, float]:
    out = {}
    for f in business.fields_of(cls):
        v = values.get(prefix + f.name)
        if v is None or isinstance(v, bool):
            continue
        try:
            x = float(v)
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(x) and (f.min is None or x >= f.min) and (f.max is None or x <= f.max):
            out[f.name] = x
    return out


# ---- formulas --------------------------------------------------------------------------------------

def cost_per_1k(price_per_hour: float, tokens_per_second: float) -> float:
    if tokens_per_second <= 0:
        return math.inf
    return price_per_hour / (tokens_per_second * 3600.0) * 1000.0


def drafts_per_hour(tokens_per_second: float, tokens_per_draft: float) -> float:
    return tokens_per_second * 3600.0 / tokens_per_draft


def editor_value(a: TextAssumptions, usable_share: float = 1.0) -> float:
    """Editor time saved per month by the drafts that are usable (the others save nothing)."""
    return a.drafts_per_month * usable_share * a.minutes_saved / 60.0 * a.editor_cost


def value_gate(a: TextAssumptions, quality: Quality | None, beats_ngram: bool, which: str = "base") -> tuple[float, str]:
    """(share of drafts that saves time, reason): 0 with a plain reason when the measured quality is not enough. The low and
    high cases (``which``) take the ends of the usable share's 95 % interval, as fraud's take its bootstrap: with 40 % required
    and 46 % measured (interval 39–53 %), the low case had priced €137k like the base, though at 39 % no time is saved (an
    exports sweep, 2026-12-06)."""
    if quality is None:
        return 0.0, "no measured draft quality for this model (retrain it to measure it), so no editor time is counted"
    if not beats_ngram:
        return 0.0, "the model does not beat a simple n-gram baseline on held-out text, so its drafts are no better than a phrase-frequency table"
    share, ci = quality.usable_share, quality.usable_interval()
    if ci is not None and which in ("low", "high"):
        share = ci[0] if which == "low" else ci[1]
    at = "" if which == "base" else f" at the {which} end of its interval"
    if share < a.min_usable_share:
        return 0.0, (f"only {fmt.rate(share)} of its drafts are usable{at} ({quality.usable_counts()}), "
                     f"below the {fmt.rate(a.min_usable_share)} required — editors would rewrite them, so no time is saved")
    return share, (f"{fmt.rate(share)} of its drafts are usable{at} ({quality.usable_counts()}; "
                   f"≥ {fmt.rate(a.min_usable_share)} required)")


def monthly_tokens(a: TextAssumptions) -> float:
    """Tokens generated a month at the draft volume (the cost chart marks it; the costs are priced on it)."""
    return a.drafts_per_month * a.tokens_per_draft


def monthly_costs(a: TextAssumptions, compute_per_1k: float) -> tuple[float, float]:
    """(self-hosted, hosted API) cost per month for the draft volume."""
    k_tokens = monthly_tokens(a) / 1000.0
    return a.fixed_monthly + k_tokens * compute_per_1k, k_tokens * a.api_price_per_m / 1000.0


def break_even_tokens(a: TextAssumptions, compute_per_1k: float) -> float | None:
    """Monthly tokens above which self-hosting is cheaper than the API; None if it never is."""
    margin = a.api_price_per_m / 1000.0 - compute_per_1k
    if margin <= 0:
        return None
    return a.fixed_monthly / margin * 1000.0


# ---- the value -------------------------------------------------------------------------------------

Triple = tuple[float, float, float]


@dataclass(frozen=True, kw_only=True)
class TextValue(Value):
    """``Value`` plus the parts of the sum the page shows (each low, base, high)."""

    device: str  # where the tokens per second were measured ("cpu", "cuda:0")
    tokens_per_second: float
    cost_per_1k: float  # € per 1,000 tokens on the measured device (Home's cost table uses the same unit)
    drafts_per_hour: float
    editor_value: Triple  # editor time saved per month (0 when the quality gate is closed)
    self_hosted: Triple
    api: Triple
    break_even: tuple[float | None, float | None, float | None]  # tokens per month
    usable_share: float  # share of drafts counted (0 when the gate is closed)
    gate: str  # why that share

    @property
    def cost_per_1m(self) -> float:
        return self.cost_per_1k * 1000.0

    @property
    def on_gpu(self) -> bool:
        return self.device.startswith("cuda")


def value(evaluation: TextEvaluation, assumptions: TextAssumptions) -> TextValue:
    """Net value per month at the user's draft volume after the self-hosting cost (low, base, high), at the
    throughput measured on this deployment and the machine price of that device. Absurd assumptions are refused."""
    business.check(assumptions)
    a, tp = assumptions, evaluation.throughput
    on_gpu = tp.device.startswith("cuda")
    per_1k = cost_per_1k(a.gpu_price if on_gpu else a.cpu_price, tp.per_second)
    beats = evaluation.beats_ngram
    rows = []
    for which in business.SCENARIOS:
        aa = business.scenario(a, which)
        share, reason = value_gate(aa, evaluation.quality, beats, which)
        saved = editor_value(aa, share)
        hosted, api = monthly_costs(aa, per_1k)
        rows.append((saved - hosted, saved, hosted, api, break_even_tokens(aa, per_1k), share, reason))
    col = lambda i: tuple(r[i] for r in rows)  # noqa: E731
    base = rows[1]
    if base[5] > 0:
        headline = f"{fmt.rate(base[5])} of drafts usable: {fmt.money(base[1])} of editor time saved, {fmt.money(base[2])} self-hosting per month"
    else:
        # a colon, not brackets: the reason carries its own "(92 of 200 …)", and Home read "… 39–53 %));"
        headline = f"No editor time counted: {base[6].split(',')[0]}; self-hosting costs {fmt.money(base[2])} per month"
    return TextValue(usecase=SPEC.name, title=SPEC.title, monthly=col(0), running=col(2), headline=headline, device=tp.device,
                     tokens_per_second=tp.per_second,
                     cost_per_1k=per_1k, drafts_per_hour=drafts_per_hour(tp.per_second, a.tokens_per_draft), editor_value=col(1),
                     self_hosted=col(2), api=col(3), break_even=col(4), usable_share=base[5], gate=base[6])


def cost_by_volume(a: TextAssumptions, compute_per_1k: float, tokens_per_month) -> "pd.DataFrame":
    """Monthly cost of self-hosting and of the hosted API at each volume (long format, for a line chart)."""
    import numpy as np
    import pandas as pd

    k = np.asarray(tokens_per_month, dtype=float) / 1000.0
    return pd.DataFrame({"tokens per month": np.r_[k, k] * 1000.0, "€ per month": np.r_[a.fixed_monthly + k * compute_per_1k, k * a.api_price_per_m / 1000.0],
                         "option": ["self-hosted"] * len(k) + ["hosted API"] * len(k)})
