"""Text generation business case: cost per 1,000 tokens, drafts per hour, editor time saved, and the
break-even volume against a hosted API.

    cost per 1k tokens   = hourly price / (tokens per second × 3,600) × 1,000
    drafts per hour      = tokens per second × 3,600 / tokens per draft
    monthly value        = drafts × usable share × minutes saved per draft / 60 × editor hourly cost,
                           and 0 unless the model's measured usable share reaches the required share and it
                           beats the n-gram baseline (a draft an editor must rewrite saves nothing)
    self-hosted / month  = fixed infrastructure + drafts × tokens per draft / 1,000 × compute cost per 1k
    API / month          = drafts × tokens per draft / 1,000 × API price per 1k
    break-even           = fixed / (API price per 1k − compute cost per 1k) × 1,000 tokens per month
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from usecases.core import business
from usecases.core.business import assumption

from .quality import DraftQuality


@dataclass(frozen=True)
class TextAssumptions:
    cpu_price: float = assumption(0.10, label="CPU machine price", unit="€/h", min=0.0, max=1_000.0, step=0.01,
                                  help="E.g. a 2-vCPU cloud instance.")
    gpu_price: float = assumption(2.50, label="GPU machine price", unit="€/h", min=0.0, max=10_000.0, step=0.1,
                                  help="E.g. one data-centre GPU by the hour.")
    gpu_tokens_per_second: float = assumption(20_000.0, label="GPU throughput", unit="tokens/s", low=8_000.0, high=40_000.0, min=1.0, max=1e8,
                                              step=1000.0, help="Measure it with `python benchmarks/gpu_check.py` on your GPU; batched serving raises it further.")
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
    api_price: float = assumption(0.002, label="Hosted API price", unit="€ per 1k tokens", low=0.004, high=0.001, min=0.0, max=100.0, step=0.0005)


def cost_per_1k(price_per_hour: float, tokens_per_second: float) -> float:
    if tokens_per_second <= 0:
        return math.inf
    return price_per_hour / (tokens_per_second * 3600.0) * 1000.0


def drafts_per_hour(tokens_per_second: float, tokens_per_draft: float) -> float:
    return tokens_per_second * 3600.0 / tokens_per_draft


def monthly_value(a: TextAssumptions, usable_share: float = 1.0) -> float:
    """Editor time saved per month by the drafts that are usable (the others save nothing)."""
    return a.drafts_per_month * usable_share * a.minutes_saved / 60.0 * a.editor_cost


def value_gate(a: TextAssumptions, quality: DraftQuality | None) -> tuple[float, str]:
    """(share of drafts that saves time, reason): 0 with a plain reason when the measured quality is not enough."""
    if quality is None:
        return 0.0, "no measured draft quality for this model (retrain it to measure it), so no editor time is counted"
    if not quality.beats_ngram:
        return 0.0, "the model does not beat a simple n-gram baseline on held-out text, so its drafts are no better than a phrase-frequency table"
    if quality.usable_share < a.min_usable_share:
        return 0.0, (f"only {quality.usable_share:.0%} of its drafts are usable (measured on {quality.samples} held-out prompts), "
                     f"below the {a.min_usable_share:.0%} required — editors would rewrite them, so no time is saved")
    return quality.usable_share, f"{quality.usable_share:.0%} of its drafts are usable (≥ {a.min_usable_share:.0%} required)"


def monthly_costs(a: TextAssumptions, compute_per_1k: float) -> tuple[float, float]:
    """(self-hosted, hosted API) cost per month for the draft volume."""
    k_tokens = a.drafts_per_month * a.tokens_per_draft / 1000.0
    return a.fixed_monthly + k_tokens * compute_per_1k, k_tokens * a.api_price


def break_even_tokens(a: TextAssumptions, compute_per_1k: float) -> float | None:
    """Monthly tokens above which self-hosting is cheaper than the API; None if it never is."""
    margin = a.api_price - compute_per_1k
    if margin <= 0:
        return None
    return a.fixed_monthly / margin * 1000.0


@dataclass
class TextCase:
    cpu_per_1k: float
    gpu_per_1k: tuple[float, float, float]
    cpu_drafts_per_hour: float
    gpu_drafts_per_hour: float
    value: tuple[float, float, float]  # monthly value of editor time saved, low/base/high
    self_hosted: tuple[float, float, float]  # monthly cost, cheaper of CPU/GPU serving
    api: tuple[float, float, float]
    net: tuple[float, float, float]  # value − self-hosted cost
    break_even: tuple[float | None, float | None, float | None]  # tokens/month
    usable_share: float = 1.0  # share of drafts that counts towards the value (0 when the gate is closed)
    value_reason: str = "quality not checked"


_UNCHECKED = object()


def case(a: TextAssumptions, cpu_tokens_per_second: float, quality: DraftQuality | None = _UNCHECKED) -> TextCase:  # type: ignore[assignment]
    """The monthly figures; with ``quality`` (from the model card) the value follows :func:`value_gate`."""
    cpu = cost_per_1k(a.cpu_price, cpu_tokens_per_second)
    gates = {w: ((1.0, "quality not checked") if quality is _UNCHECKED else value_gate(business.scenario(a, w), quality)) for w in business.SCENARIOS}
    out = {}
    for which in business.SCENARIOS:
        aa = business.scenario(a, which)
        gpu = cost_per_1k(aa.gpu_price, aa.gpu_tokens_per_second)
        per_1k = min(cpu, gpu)
        sh, api = monthly_costs(aa, per_1k)
        v = monthly_value(aa, gates[which][0])
        out[which] = (gpu, v, sh, api, v - sh, break_even_tokens(aa, per_1k))
    g = lambda i: tuple(out[w][i] for w in business.SCENARIOS)  # noqa: E731
    return TextCase(cpu_per_1k=cpu, gpu_per_1k=g(0), cpu_drafts_per_hour=drafts_per_hour(cpu_tokens_per_second, a.tokens_per_draft),
                    gpu_drafts_per_hour=drafts_per_hour(a.gpu_tokens_per_second, a.tokens_per_draft), value=g(1), self_hosted=g(2), api=g(3),
                    net=g(4), break_even=g(5), usable_share=gates["base"][0], value_reason=gates["base"][1])
