"""Rule baselines: NEWS2 mapped to levels, and an ESI-style decision rule.

NEWS2 (Royal College of Physicians, *National Early Warning Score (NEWS) 2*, 2017, chart 1):
each parameter scores 0–3; we assume air (no supplemental oxygen, SpO₂ scale 1) because the record
has no oxygen field, and a missing vital scores 0. Our mapping of the aggregate to triage levels
(documented, not from the RCP): ≥ 9 → 1; 7–8 → 2; 5–6 or any single parameter scoring 3 → 3;
1–4 → 4; 0 → 5.

ESI-style rule, after the Emergency Severity Index v4 algorithm (Gilboy et al., AHRQ 2012):
A. needs immediate life-saving intervention (unresponsive, SpO₂ < 85, SBP < 80, HR < 40 or > 150,
   RR < 8 or > 35, or a resuscitation complaint) → 1;
B. high-risk situation (high-risk complaint), new confusion/lethargy (V or P), or severe pain ≥ 7 → 2;
C. expected resources from the complaint: ≥ 2 → 3 (and up to 2 if a danger-zone vital: adult HR > 100,
   RR > 20, SpO₂ < 92), 1 → 4, 0 → 5.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from .cohort import ABBREV, COMPLAINTS


def _band(x: np.ndarray, edges: list[tuple[float, float, int]]) -> np.ndarray:
    out = np.zeros(len(x), dtype=int)
    for lo, hi, pts in edges:
        out[(x >= lo) & (x <= hi)] = pts
    out[np.isnan(x)] = 0
    return out


def news2_parts(df: pd.DataFrame) -> pd.DataFrame:
    """Per-parameter NEWS2 points (air assumed; missing → 0)."""
    f = lambda c: df[c].to_numpy(dtype=float)  # noqa: E731
    return pd.DataFrame({
        "rr": _band(f("rr"), [(-np.inf, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, np.inf, 3)]),
        "spo2": _band(f("spo2"), [(-np.inf, 91, 3), (92, 93, 2), (94, 95, 1), (96, np.inf, 0)]),
        "sbp": _band(f("sbp"), [(-np.inf, 90, 3), (91, 100, 2), (101, 110, 1), (111, 219, 0), (220, np.inf, 3)]),
        "hr": _band(f("hr"), [(-np.inf, 40, 3), (41, 50, 1), (51, 90, 0), (91, 110, 1), (111, 130, 2), (131, np.inf, 3)]),
        "consciousness": np.where(df["avpu"].fillna("A").to_numpy() == "A", 0, 3),
        "temp": _band(f("temp"), [(-np.inf, 35.0, 3), (35.1, 36.0, 1), (36.1, 38.0, 0), (38.1, 39.0, 1), (39.1, np.inf, 2)]),
    }, index=df.index)


def news2(df: pd.DataFrame) -> np.ndarray:
    return news2_parts(df).sum(axis=1).to_numpy()


def news2_level(df: pd.DataFrame) -> np.ndarray:
    parts = news2_parts(df)
    total = parts.sum(axis=1).to_numpy()
    any3 = (parts.to_numpy() == 3).any(axis=1)
    return np.select([total >= 9, total >= 7, (total >= 5) | any3, total >= 1], [1, 2, 3, 4], default=5)


# ---- complaint matching (shared by the ESI rule and the red flags) -----------------------------

_ALIASES = {name: [name] + ([ABBREV[name].lower()] if name in ABBREV else []) for name in COMPLAINTS}
_ALIASES["cardiac arrest"] += ["arrest", "cpr", "no pulse"]
_ALIASES["shortness of breath"] += ["dyspnea", "dyspnoea", "breathless", "sob"]
_ALIASES["chest pain"] += ["cp", "chest tightness"]
_ALIASES["abdominal pain"] += ["abd pain", "stomach pain", "belly pain"]
_ALIASES["stroke symptoms"] += ["stroke", "facial droop", "weakness", "slurred speech"]
_ALIASES["suicidal ideation"] += ["si", "suicidal"]
_ALIASES["gi bleeding"] += ["gi bleed", "melaena", "melena", "hematemesis"]
_ALIASES["urinary symptoms"] += ["dysuria", "uti"]
_ALIASES["medication refill"] += ["script refill", "refill", "prescription"]
HIGH_RISK = {"chest pain", "stroke symptoms", "overdose", "seizure", "suicidal ideation", "gi bleeding", "respiratory distress", "anaphylaxis", "major trauma"}
RESUSCITATION = {"cardiac arrest", "unresponsive"}


def normalise_text(s: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"(?:[^\w/ ]|_)+", " ", str(s).lower())).strip()


def match_complaint(text: str) -> str | None:
    """The vocabulary complaint named in free text (longest alias wins), or None."""
    return _match_complaint(str(text))


@functools.lru_cache(maxsize=1 << 16)  # a file repeats its complaints: looked up once per distinct text
def _match_complaint(text: str) -> str | None:
    t = f" {normalise_text(text)} "
    best, best_len = None, 0
    for name, aliases in _ALIASES.items():
        for a in aliases:
            if f" {a} " in t and len(a) > best_len:
                best, best_len = name, len(a)
    return best


# ESI decision point A, the vital-sign part: a sign that the patient needs an immediate life-saving intervention.
IMMEDIATE_VITALS = (("spo2", "<", 85, "SpO₂ {x:.0f} % (< 85)"), ("sbp", "<", 80, "systolic BP {x:.0f} mmHg (< 80)"),
                    ("hr", "<", 40, "heart rate {x:.0f} /min (< 40)"), ("hr", ">", 150, "heart rate {x:.0f} /min (> 150)"),
                    ("rr", "<", 8, "respiratory rate {x:.0f} /min (< 8)"), ("rr", ">", 35, "respiratory rate {x:.0f} /min (> 35)"))


def _beyond(x, op: str, limit: float):
    return x < limit if op == "<" else x > limit


def immediate_signs(row: dict) -> list[str]:
    """In words, what puts this patient at level 1 under the ESI-style rule (decision point A): unresponsive, a
    resuscitation complaint, or a vital sign in :data:`IMMEDIATE_VITALS`. Empty when nothing does."""
    out = ["unresponsive"] if row.get("avpu") == "U" else []
    m = match_complaint(row.get("complaint") or "")
    if m in RESUSCITATION:
        out.append(f"resuscitation complaint: {m}")
    for key, op, limit, label in IMMEDIATE_VITALS:
        x = row.get(key)
        if x is not None and not (isinstance(x, float) and np.isnan(x)) and _beyond(float(x), op, limit):
            out.append(label.format(x=float(x)))
    return out


def esi_level(df: pd.DataFrame) -> np.ndarray:
    f = lambda c: df[c].to_numpy(dtype=float)  # noqa: E731
    hr, rr, spo2, pain, age = f("hr"), f("rr"), f("spo2"), f("pain"), f("age")
    avpu = df["avpu"].fillna("A").to_numpy()
    matched = [match_complaint(t) for t in df["complaint"].fillna("")]
    resources = np.array([COMPLAINTS[m][1] if m else 1 for m in matched])
    resus = np.array([m in RESUSCITATION for m in matched])
    high = np.array([m in HIGH_RISK for m in matched])
    with np.errstate(invalid="ignore"):
        a = resus | (avpu == "U")
        for key, op, limit, _ in IMMEDIATE_VITALS:
            a = a | _beyond(f(key), op, limit)
        b = high | np.isin(avpu, ["V", "P"]) | (pain >= 7)
        adult = np.nan_to_num(age, nan=30) >= 18
        danger = adult & ((hr > 100) | (rr > 20) | (spo2 < 92))
    level = np.where(resources >= 2, 3, np.where(resources == 1, 4, 5))
    level = np.where((level == 3) & danger, 2, level)
    level = np.where(b, 2, level)
    return np.where(a, 1, level)


def red_flags(row: dict) -> list[str]:
    """Human-readable danger signs for one patient (used on the Assess page)."""
    flags = []
    v = lambda k: row.get(k)  # noqa: E731
    if v("avpu") in ("V", "P", "U"):
        flags.append({"V": "responds to voice only", "P": "responds to pain only", "U": "unresponsive"}[v("avpu")])
    checks = [("spo2", lambda x: x < 92, "SpO₂ {x:.0f} % (< 92)"), ("hr", lambda x: x > 120, "heart rate {x:.0f} /min (> 120)"),
              ("hr", lambda x: x < 45, "heart rate {x:.0f} /min (< 45)"), ("rr", lambda x: x > 24, "respiratory rate {x:.0f} /min (> 24)"),
              ("rr", lambda x: x < 9, "respiratory rate {x:.0f} /min (< 9)"), ("sbp", lambda x: x < 90, "systolic BP {x:.0f} mmHg (< 90)"),
              ("sbp", lambda x: x >= 220, "systolic BP {x:.0f} mmHg (≥ 220)"), ("temp", lambda x: x >= 39.1, "temperature {x:.1f} °C (≥ 39.1)"),
              ("temp", lambda x: x <= 35.0, "temperature {x:.1f} °C (≤ 35.0)"), ("pain", lambda x: x >= 8, "severe pain {x:.0f}/10")]
    for key, test, label in checks:
        x = v(key)
        if x is not None and not (isinstance(x, float) and np.isnan(x)) and test(float(x)):
            flags.append(label.format(x=float(x)))
    m = match_complaint(v("complaint") or "")
    if m in RESUSCITATION or m in HIGH_RISK:
        flags.append(f"high-risk complaint: {m}")
    return flags
