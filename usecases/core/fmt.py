"""One place that turns numbers into text for pages, reports and the CLI, by what they are.

money, counts, rates, plain metrics, ranges, ROI and payback each have one format, so the same
quantity reads the same everywhere ("€1.2M", "1,193", "28 %", "0.721", "€35k (€20k – €48k)").
Missing or non-finite values show as "—", never "None" or "nan". Negative money, shares, points and ROI take the minus sign
"−" (U+2212), as money always did: "−95 %" beside "−€28k", not "-95 %".
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import pandas as pd

DASH = "—"
ROI_CAP = 10.0  # ROI above 1,000 % reads as a bug; show "> 1,000 %"


def _ok(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _minus(text: str) -> str:
    return "−" + text[1:] if text.startswith("-") else text


def money(x: float | None, currency: str = "€", precise: bool = False) -> str:
    """Compact money: €1.2M, €411k, €10.7k, €820, €0.0021 (small amounts keep two significant digits);
    negatives keep their sign. ``precise`` writes every euro (€250,000)."""
    if not _ok(x):
        return DASH
    sign = "−" if x < 0 else ""
    a = abs(float(x))
    if precise:
        s = f"{a:,.2f}" if a < 100 and a != int(a) else f"{a:,.0f}"
    elif a >= 1e9:
        s = f"{a / 1e9:.1f}B"
    elif a >= 1e6:
        s = f"{a / 1e6:.1f}M"
    elif a >= 1e5:
        s = f"{a / 1e3:.0f}k"
    elif a >= 1e4:  # three significant digits, as from €100k up: Home's cards read €11k for €10.7k and added up €0.4k off the total
        s = f"{a / 1e3:.1f}".removesuffix(".0") + "k"
    elif a >= 1e3:
        s = f"{a / 1e3:.1f}k"
    elif a >= 10 or a == 0:
        s = f"{a:.0f}"
    elif a >= 0.1:
        s = f"{a:.2f}"
    elif a >= 1e-4:  # two significant digits below €0.10: €0.014 read "€0.01" beside "€0.0059"
        s = f"{a:#.2g}"  # "#": a trailing zero is a significant digit (€0.010, not "€0.01" beside €0.014)
    else:
        s = f"{a:.1e}"
    return f"{sign}{currency}{s}"


def _shown_money(text: str) -> float:
    """The value a :func:`money` text shows ("€5.8k" → 5,800; "−€1,312" → −1,312)."""
    t = text.lstrip("−-").lstrip("€$£").replace(",", "")
    scale = {"k": 1e3, "M": 1e6, "B": 1e9}.get(t[-1:], 1.0)
    v = float(t[:-1] if scale != 1.0 else t) * scale
    return -v if text[:1] in "−-" else v


def money_sum(terms: list[float], total: float) -> list[str]:
    """:func:`money` for each term and their total (``terms`` signed, summing to ``total``), or — when the compact figures do
    not add up as written — every euro: Home read "€28k − €1.3k − €20.8k = €5.8k" for €27,950 − €1,301 − €20,800 = €5,849
    (a sweep, 2026-12-06)."""
    out = [money(x) for x in (*terms, total)]
    if all(_ok(x) for x in (*terms, total)):
        # the compact total must be what the compact terms sum to, written alike: "€38.3k − €7.4k − €20.8k = €10k" passed a
        # check at "€10k"'s own precision (a walkthrough, 2026-12-06)
        if money(sum(_shown_money(t) for t in out[:-1])) != out[-1]:
            whole = [round(x) for x in terms]  # every euro, the total their sum: rounded on its own it could be €1 off
            out = [money(x, precise=True) for x in whole] + [money(sum(whole), precise=True)]
    return out


def money_equation(terms: list[float], total: float, names: list[str] | None = None) -> tuple[str, str, bool]:
    """``terms`` added up as written, "€10.7k + €3.3k − €300 = €13.7k", by :func:`money_sum` (every euro when the compact
    figures would not add up), each term followed by its name in brackets when ``names`` are given; returns the equation,
    the total as written in it, and whether every euro had to be written. Home's tile read "€9.6k" under four cards of
    −€300, €10.7k, €3.3k and −€4.0k, which add to €9.7k (a walkthrough, 2026-12-07)."""
    said = money_sum(terms, total)
    named = [s + (f" ({n})" if names else "") for s, n in zip(said[:-1], names or [""] * len(terms))]
    parts = [named[0]] + [f"− {t.removeprefix('−')}" if t.startswith("−") else f"+ {t}" for t in named[1:]]
    return " ".join(parts) + f" = {said[-1]}", said[-1], said[-1] != money(total)


def about(x: float | None) -> str:
    """A figure said with "about": one decimal below 10, whole from there ("about 1,054.2 on the day it falls on" gave a
    rough figure a precision it does not have; a walkthrough, 2026-12-07)."""
    return number(x, 1) if _ok(x) and abs(x) < 10 else count(x)


def count(x: float | None) -> str:
    """A count of things: 1,193 (rounded to a whole number)."""
    return f"{round(float(x)):,}" if _ok(x) else DASH


def per_second(n: float, seconds: float) -> str:
    """A throughput: 1,193 rows/s is written whole, under 10 with its first significant digits (3 rows in 14 s read "0")."""
    r = float(n) / max(float(seconds), 1e-9)
    return f"{r:,.0f}" if r >= 10 or r == 0 else f"{r:.2g}"


def sentence(text: str) -> str:
    """``text`` with a capital first letter, for a message that starts with a source ("your file …" → "Your file …")."""
    return text[:1].upper() + text[1:]


def rate(x: float | None, digits: int = 0) -> str:
    """A share as a percentage: 0.283 → "28 %"; tiny non-zero shares keep a digit (0.4 %)."""
    if not _ok(x):
        return DASH
    p = 100 * float(x)
    if digits == 0 and p != 0 and abs(p) < 1:
        digits = 1
    if round(p, digits) == 0:
        if p > 0:  # a probability of 0.04 % read "0.0 %" beside "5 %" — impossible, not small (a walkthrough, 2026-12-05)
            return f"< {10 ** -digits:.{digits}f} %"
        p = 0.0  # "-0.0 %" read as a loss
    if 99 < p < 100 and round(p, digits) >= 100:  # a fraud probability of 0.99996 read "100.00 %": certainty it is not
        return f"> {100 - 10 ** -digits:.{digits}f} %"
    return _minus(f"{p:,.{digits}f} %")


def signed_points(x: float | None) -> str:
    """A change in percentage points with its sign, whole points: "+3 pts", "−2 pts", "+1 pt" (it read "-2 pts" beside "−0.8")."""
    if not _ok(x):
        return DASH
    p = round(100 * float(x))
    return _minus(f"{p:+d} pt{'' if abs(p) == 1 else 's'}") if p else "±0 pts"


def points(x: float | None, digits: int = 1) -> str:
    """A difference of two shares, in percentage points: 0.007 → "0.7 pts" (21 % − 20.3 % is not "0.7 %" of anything)."""
    if not _ok(x):
        return DASH
    p = 100 * float(x)
    if round(p, digits) == 0:
        p = 0.0
    return _minus(f"{p:,.{digits}f} pts")


def metric(x: float | None, digits: int = 3) -> str:
    """A model metric (AP, κ, NDCG…): 0.721."""
    return f"{float(x):.{digits}f}" if _ok(x) else DASH


def number(x: float | None, digits: int = 2, typographic: bool = False) -> str:
    """A plain quantity: thousands separators, no trailing zeros (16 → "16", 2.5 → "2.5"). ``typographic``: a negative
    number gets the minus sign ("−5.5", as money and shares write it) — for sentences and tiles; tables that a program
    reads back keep the ASCII "-"."""
    if not _ok(x):
        return DASH
    v = float(x)
    if v == int(v) and abs(v) < 1e15:
        out = f"{int(v):,}"
    elif abs(v) < 1:
        out = f"{v:.{digits}g}"
    else:
        out = f"{v:,.{digits}f}"
        if "." in out:  # only a fraction's zeros: with no decimals, 89.99 → "90" had become "9" (the training time read "9 s")
            out = out.rstrip("0").rstrip(".")
    return _minus(out) if typographic else out


def fixed(x: float | None, digits: int, typographic: bool = True) -> str:
    """A quantity at exactly ``digits`` decimals, trailing zeros kept ("0.20", "−13.0"): for figures shown beside others of
    that precision — :func:`number` drops the zeros, so a headline read "0.2 a week" under the tile's "0.20" and an
    interval "−13 to 11.7 a month" (an exports sweep, 2026-12-06). Exactly 0 stays "0"."""
    if not _ok(x):
        return DASH
    if float(x) == 0:
        return "0"  # exactly none ("0 to 0 a month"), not a rounded figure
    out = f"{float(x):,.{digits}f}"
    if float(out.replace(",", "")) == 0:
        out = out.lstrip("-")  # −0.00 reads as a sign where there is none
    return _minus(out) if typographic else out


def agreeing_digits(agree: Callable[[int], bool], fewest: int = 1, most: int = 3, otherwise: int | None = None) -> int:
    """The fewest decimals (``fewest`` … ``most``) at which figures shown side by side still add up — ``agree(d)`` checks
    them rounded to ``d``: "60.1 → 58.3" beside "1.9 fewer" (the unrounded means differ by 1.86), "1.6 a week × 4.33
    weeks" beside "7.1 a month" (1.64 a week). Where no precision makes them agree: ``most``, or ``otherwise`` when given
    (figures that never add up gain nothing from "60.150 → 58.300")."""
    return next((d for d in range(fewest, most + 1) if agree(d)), most if otherwise is None else otherwise)


def between(lo: float | None, hi: float | None, f: Callable[[Any], str] = money) -> str:
    """A range: "€20k – €48k", or "−€6.0k to −€2.5k" when a bound is negative (a dash between minus signs misread)."""
    neg = any(_ok(x) and float(x) < 0 for x in (lo, hi))
    return f"{f(lo)} {'to' if neg else '–'} {f(hi)}"


def span(lo: float | None, mid: float | None, hi: float | None, f: Callable[[Any], str] = money) -> str:
    """A value with its range: "€35k (€20k – €48k)"; a range that collapses to the value is left out. A negative bound
    gets "to" ("−€4.0k (−€6.0k to −€2.5k)"): a dash beside minus signs read "−€6.0k – −€2.5k"."""
    if not _ok(mid):
        return DASH
    a, b = f(lo), f(hi)
    if not (_ok(lo) and _ok(hi)) or a == b == f(mid):
        return f(mid)
    return f"{f(mid)} ({between(lo, hi, f)})"


def span_words(lo: float | None, mid: float | None, hi: float | None, f: Callable[[Any], str] = money) -> str:
    """:func:`span` with what its brackets are: "−€4.0k (−€6.0k to −€2.5k) at the base assumptions, low – high in brackets", or,
    when the range collapses to the value, "−€4.0k at the low, base and high assumptions alike" (a caption had promised a range
    that :func:`span` leaves out then)."""
    s = span(lo, mid, hi, f)
    if s == DASH:
        return s
    return f"{s} at the low, base and high assumptions alike" if s == f(mid) else f"{s} at the base assumptions, low – high in brackets"


def roi(x: float | None) -> str:
    """Return on investment as a percentage, capped so that a near-zero cost does not read as a bug."""
    if not _ok(x):
        return DASH
    if x > ROI_CAP:
        return f"> {ROI_CAP * 100:,.0f} %"
    return _minus(f"{100 * x:,.0f} %")


def payback(months: float | None, unit: str | None = None) -> str:
    """Payback time in the unit a person would say: days under a month, weeks under three, else months.

    ``unit`` ("days", "weeks" or "months") writes it in that unit instead — for values read side by side, where
    "18.4 months · low never · high 10 weeks" made the reader convert (see :func:`payback_unit`)."""
    if months is None or not _ok(months):
        return "never"
    if months <= 0:
        return "immediately"
    days = months * 30.4
    if unit is None:
        if days < 1:
            return "under a day"
        unit = _payback_unit(months)
    if unit == "days":
        return f"{days:,.0f} day{'s' if round(days) != 1 else ''}" if days >= 0.5 else "under a day"
    if unit == "weeks":
        return f"{days / 7:,.0f} week{'s' if round(days / 7) != 1 else ''}" if days >= 3.5 else payback(months, "days")
    return f"{months:,.1f} months" if months >= 0.05 else payback(months, "days")


def payback_unit(*months: float | None) -> str | None:
    """The one unit to write several paybacks in (a base case and its low/high cases): the unit :func:`payback` would
    pick for the longest finite one; None (each its own) when none is finite and positive."""
    finite = [float(m) for m in months if m is not None and _ok(m) and m > 0]
    return _payback_unit(max(finite)) if finite else None


def _payback_unit(months: float) -> str:
    return "days" if months < 1 else "weeks" if months < 3 else "months"


def paybacks(*months: float | None) -> list[str]:
    """Several paybacks in one unit: ``paybacks(18.4, None, 2.3)`` → ["18.4 months", "never", "2.3 months"]."""
    u = payback_unit(*months)
    return [payback(m, u) for m in months]


def per_unit(x: float | None, unit: str, currency: str = "€") -> str:
    """A price per unit: "€0.0021 per 1k tokens"."""
    return f"{money(x, currency)} per {unit}" if _ok(x) else DASH


FORMATTERS: dict[str, Callable[[Any], str]] = {"money": money, "count": count, "rate": rate, "metric": metric, "number": number}


# Metric keys as the pages write them: the reports turned keys into headers by rule alone ("Ndcg@10", "Auc roc", "Under
# triage l12", "Val bpb") beside the pages' "NDCG@10", "Under-triage L1–2" (a walkthrough, 2026-12-05).
METRIC_LABELS = {"auc_roc": "AUC ROC", "ndcg@10": "NDCG@10", "hr@10": "Hit rate@10", "map@10": "MAP@10", "precision@10": "Precision@10",
                 "recall@10": "Recall@10", "val_bpb": "Bits per byte", "val_bpc": "Bits per character", "val_loss": "Loss (nats/token)",
                 "val_perplexity": "Perplexity", "kappa_linear": "κ linear", "kappa_quadratic": "κ quadratic",
                 "under_triage_l12": "Under-triage L1–2", "under_triage": "Under-triage", "over_triage": "Over-triage",
                 "sensitivity_l12": "Sensitivity L1–2"}


def headers(name: str) -> str:
    """A table header: a metric key as the pages name it (:data:`METRIC_LABELS`), else snake_case → "Snake case" — a Greek
    letter keeps its case ("κ linear" had become "Κ linear", a capital kappa)."""
    if str(name) in METRIC_LABELS:
        return METRIC_LABELS[str(name)]
    s = str(name).replace("_", " ").strip()
    return s if "α" <= s[:1] <= "ω" else s[:1].upper() + s[1:]


def table(df: pd.DataFrame, kinds: Mapping[str, str] | None = None, *, rename: bool = True) -> pd.DataFrame:
    """A copy of ``df`` with each column formatted by its kind (``{"column": "money" | "count" | "rate" |
    "metric" | "number"}``; other columns are shown as text with missing values as "—") and readable headers."""
    kinds = dict(kinds or {})
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        f = FORMATTERS.get(kinds.get(c, ""))
        if f is not None:  # a cell already written as text ("0.932 – 1.243", a spread) is kept: it had become "—"
            out[c] = df[c].map(lambda v, f=f: v if isinstance(v, str) else f(v))
        else:
            out[c] = df[c].map(lambda v: DASH if v is None or (isinstance(v, float) and not math.isfinite(v)) else v)
    if rename:
        out.columns = [headers(c) for c in out.columns]
    return out
