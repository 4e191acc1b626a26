"""Synthetic emergency-department cohort generator (every row is SYNTHETIC — no real patient).

The generative story, with the source of each choice (details in the README):

* **Acuity mix** (reference level 1 = resuscitation … 5 = non-urgent): 2 / 17 / 38 / 36 / 6 %,
  close to the KTAS distribution reported by Moon, Shim, Park & Park (2019), "Triage accuracy and
  causes of mistriage using the Korean Triage and Acuity Scale", PLOS ONE 14(9): e0216972.
* **Chief complaint**: drawn from a vocabulary with per-level priors (cardiac arrest and major
  trauma at level 1; chest pain, stroke signs, overdose at 2; abdominal pain, fever at 3; sprains
  and lacerations at 4; prescription refills at 5 …), written in free text with abbreviations
  ("SOB", "abd pain"), durations ("x 2 days"), modifiers and occasional typos, as triage notes are.
* **Vital signs**: a latent physiological derangement d ~ N(μ_level, 1) drives heart rate,
  respiratory rate, blood pressure, SpO₂ and temperature together (so they correlate, as they do
  in shock or sepsis), on top of age-dependent normal ranges; complaint-specific effects add fever
  for infections and hypoxia for breathing complaints. Values are clipped to physiological limits.
* **Missing values** at rates typical of ED triage records (temperature 9 %, pain 11 %, respiratory
  rate 7 %, SpO₂ 5 %, blood pressure 4 %, heart rate 3 %; cf. the missingness reported for the
  MIMIC-IV-ED triage table, Johnson et al. 2023).
* **Nurse label**: the reference level, under-triaged (one level less urgent, occasionally two)
  for ≈ 10.3 % and over-triaged for ≈ 4.3 % of patients, the rates Moon et al. measured. Under-
  triage is likelier when vitals look reassuring, as described in that study.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVEL_MIX = np.array([0.02, 0.17, 0.38, 0.36, 0.06])  # Moon et al. 2019 (rounded), levels 1..5: the target mix
LEVEL_MIX = LEVEL_MIX / LEVEL_MIX.sum()
# Mix of the latent severity that, after the expert reading below, gives a reference mix close to LEVEL_MIX.
# Found by a few multiplicative fixed-point steps (latent ← latent · (target / obtained)^0.7).
LATENT_MIX = np.array([0.0084, 0.058, 0.4565, 0.3957, 0.0815])
LATENT_MIX = LATENT_MIX / LATENT_MIX.sum()
UNDER_TRIAGE, OVER_TRIAGE = 0.103, 0.043

# complaint: (weights over levels 1..5, expected resources for the ESI-style rule, kind, expert base level)
COMPLAINTS: dict[str, tuple[tuple[float, ...], int, str]] = {
    "cardiac arrest": ((40, 1, 0, 0, 0), 2, "cardiac", 1),
    "unresponsive": ((30, 4, 0, 0, 0), 2, "neuro", 1),
    "major trauma": ((25, 10, 1, 0, 0), 2, "trauma", 2),
    "respiratory distress": ((20, 25, 3, 0, 0), 2, "breathing", 2),
    "anaphylaxis": ((10, 20, 2, 0, 0), 2, "allergy", 2),
    "chest pain": ((3, 40, 20, 2, 0), 2, "cardiac", 2),
    "stroke symptoms": ((2, 40, 6, 0, 0), 2, "neuro", 2),
    "overdose": ((3, 30, 8, 1, 0), 2, "tox", 2),
    "seizure": ((3, 25, 12, 2, 0), 2, "neuro", 2),
    "suicidal ideation": ((0, 30, 8, 1, 0), 1, "psych", 2),
    "shortness of breath": ((2, 25, 40, 6, 0), 2, "breathing", 3),
    "gi bleeding": ((1, 18, 20, 2, 0), 2, "gi", 3),
    "abdominal pain": ((0, 6, 60, 25, 2), 2, "gi", 3),
    "fever": ((0, 5, 40, 35, 4), 1, "infection", 3),
    "vomiting": ((0, 3, 35, 30, 3), 2, "gi", 3),
    "headache": ((0, 6, 25, 30, 5), 1, "neuro", 3),
    "back pain": ((0, 2, 25, 40, 8), 1, "msk", 4),
    "dizziness": ((0, 4, 30, 25, 3), 2, "neuro", 3),
    "urinary symptoms": ((0, 1, 15, 40, 10), 1, "gu", 4),
    "laceration": ((0, 1, 6, 60, 10), 1, "trauma", 4),
    "ankle injury": ((0, 0, 5, 60, 20), 1, "msk", 4),
    "wrist injury": ((0, 0, 6, 55, 18), 1, "msk", 4),
    "sore throat": ((0, 0, 2, 35, 45), 0, "infection", 4),
    "rash": ((0, 0, 2, 30, 45), 0, "skin", 5),
    "ear pain": ((0, 0, 1, 30, 40), 0, "infection", 4),
    "cough": ((0, 1, 8, 40, 25), 0, "breathing", 4),
    "medication refill": ((0, 0, 0, 5, 60), 0, "admin", 5),
    "wound check": ((0, 0, 0, 10, 55), 0, "skin", 5),
}

ABBREV = {"shortness of breath": "SOB", "chest pain": "CP", "abdominal pain": "abd pain", "gi bleeding": "GI bleed",
          "urinary symptoms": "dysuria", "respiratory distress": "resp distress", "stroke symptoms": "facial droop, weakness",
          "cardiac arrest": "arrest", "medication refill": "needs script refill", "suicidal ideation": "SI"}
URGENT_WORDS = ["severe ", "sudden ", "worsening "]
MILD_WORDS = ["mild ", "recurrent ", "chronic "]
ACUTE_SUFFIX = [" since this morning", " for 3 hours", ", started an hour ago", ", no relief with paracetamol"]
CHRONIC_SUFFIX = [" x 2 days", " x 1 week", " on and off for a month", " intermittent"]
P_URGENT = np.array([0.6, 0.45, 0.08, 0.05, 0.02])  # by latent level 1..5
P_MILD = np.array([0.0, 0.03, 0.15, 0.35, 0.5])

ARRIVAL = ("walk-in", "ambulance", "other")
AVPU = ("A", "V", "P", "U")
FIELDS_NUMERIC = ("age", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2")
MISSING = {"temp": 0.09, "pain": 0.11, "rr": 0.07, "spo2": 0.05, "sbp": 0.04, "hr": 0.03}

# Derangement mean by level (1 most deranged).
DERANGE_MU = np.array([3.0, 1.6, 0.5, -0.3, -0.6])


@dataclass(frozen=True)
class CohortConfig:
    n: int = 20_000
    seed: int = 0


def _typo(s: str, rng: np.random.Generator) -> str:
    if len(s) < 5:
        return s
    i = int(rng.integers(1, len(s) - 1))
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _complaint_text(name: str, tone: int, rng: np.random.Generator) -> str:
    """Free text for a complaint; ``tone`` +1 urgent wording, −1 mild/chronic wording, 0 neutral."""
    base = ABBREV[name] if name in ABBREV and rng.random() < 0.4 else name
    if tone > 0:
        text = URGENT_WORDS[rng.integers(len(URGENT_WORDS))] + base + (ACUTE_SUFFIX[rng.integers(len(ACUTE_SUFFIX))] if rng.random() < 0.5 else "")
    elif tone < 0:
        text = MILD_WORDS[rng.integers(len(MILD_WORDS))] + base + (CHRONIC_SUFFIX[rng.integers(len(CHRONIC_SUFFIX))] if rng.random() < 0.6 else "")
    else:
        text = base + ((ACUTE_SUFFIX + CHRONIC_SUFFIX)[rng.integers(8)] if rng.random() < 0.3 else "")
    if rng.random() < 0.05:
        text = _typo(text, rng)
    if rng.random() < 0.3:
        text = "c/o " + text
    return text.strip()


def generate(cfg: CohortConfig = CohortConfig()) -> pd.DataFrame:
    """The synthetic cohort: canonical fields + ``level`` (reference) + ``nurse_level``."""
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n
    level = rng.choice(5, size=n, p=LATENT_MIX) + 1  # latent severity drives the record; the label is the expert's reading of it
    names = list(COMPLAINTS)
    W = np.array([COMPLAINTS[c][0] for c in names], dtype=float)  # complaints × levels
    p_c_given_l = W / W.sum(axis=0, keepdims=True)
    complaint = np.array([names[rng.choice(len(names), p=p_c_given_l[:, l - 1])] for l in level])
    kind = np.array([COMPLAINTS[c][2] for c in complaint])

    age = np.clip(rng.normal(44 + 7 * (3 - level), 20), 0, 101).round()
    peds = rng.random(n) < 0.12
    age[peds] = rng.integers(0, 16, peds.sum())
    sex = rng.choice(["F", "M"], size=n)
    p_amb = np.array([0.75, 0.42, 0.2, 0.07, 0.03])[level - 1]
    u = rng.random(n)
    arrival = np.where(u < p_amb, "ambulance", np.where(u < p_amb + 0.05, "other", "walk-in"))

    d = rng.normal(DERANGE_MU[level - 1], 1.0)
    d_pos = np.maximum(d, 0)
    # Age-dependent normal heart and breathing rates (children run faster).
    hr0 = np.where(age < 2, 130, np.where(age < 12, 100, 78))
    rr0 = np.where(age < 2, 34, np.where(age < 12, 22, 15))
    hr = hr0 + 13 * d + rng.normal(0, 9, n)
    rr = rr0 + 3.2 * d_pos + rng.normal(0, 1.8, n)
    sbp = 128 + 0.3 * (age - 45) - 14 * np.maximum(d - 1.2, 0) + rng.normal(0, 14, n)
    dbp = 0.6 * sbp + 4 + rng.normal(0, 7, n)
    spo2 = 98 - 2.2 * np.maximum(d - 0.5, 0) - np.where(kind == "breathing", rng.gamma(2, 1.6, n), 0) + rng.normal(0, 0.9, n)
    temp = 36.9 + np.where(kind == "infection", rng.gamma(2, 0.45, n), 0) + 0.25 * d_pos + rng.normal(0, 0.3, n)
    p_alert = np.array([0.35, 0.85, 0.97, 0.995, 1.0])[level - 1]
    alert = rng.random(n) < p_alert
    avpu = np.where(alert, "A", rng.choice(["V", "P", "U"], size=n, p=[0.45, 0.3, 0.25]))
    avpu[(complaint == "cardiac arrest") | (complaint == "unresponsive")] = np.where(
        rng.random(((complaint == "cardiac arrest") | (complaint == "unresponsive")).sum()) < 0.8, "U", "P")
    pain_mu = np.array([5, 6.2, 5.2, 4.0, 2.2])[level - 1] + np.where(np.isin(kind, ["msk", "trauma", "gi", "cardiac"]), 1.0, -0.5)
    pain = np.clip(np.round(rng.normal(pain_mu, 2.0)), 0, 10)

    u_t = rng.random(n)
    tone = np.where(u_t < P_URGENT[level - 1], 1, np.where(u_t > 1 - P_MILD[level - 1], -1, 0))
    df = pd.DataFrame({
        "age": age, "sex": sex, "arrival": arrival, "complaint": [_complaint_text(c, t, rng) for c, t in zip(complaint, tone)],
        "avpu": avpu, "pain": pain,
        "sbp": np.clip(sbp, 50, 240).round(), "dbp": np.clip(dbp, 25, 140).round(),
        "hr": np.clip(hr, 25, 220).round(), "rr": np.clip(rr, 6, 60).round(),
        "temp": np.clip(temp, 33.0, 42.0).round(1), "spo2": np.clip(spo2, 60, 100).round(),
    })
    df.loc[df["dbp"] >= df["sbp"], "dbp"] = (df["sbp"] * 0.6).round()
    df["level"] = expert_level(df, complaint, tone, rng)
    for col, rate in MISSING.items():
        m = rng.random(n) < rate
        df.loc[m, col] = np.nan
        if col == "sbp":
            df.loc[m, "dbp"] = np.nan
    df["nurse_level"] = nurse_labels(df, rng)
    df.insert(0, "patient", [f"SYN-{cfg.seed:03d}-{i:06d}" for i in range(n)])
    return df


def expert_level(df: pd.DataFrame, complaint: np.ndarray, tone: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The reference (expert) level: a KTAS-like reading of the complete record.

    Start from the complaint's base level; urgent wording moves a level-3/4 complaint one level up,
    mild or chronic wording moves a level-3 complaint to 4; severe pain caps the level at 3 (5–7/10 at 4); first-order
    vital-sign and consciousness criteria cap it at 1, 2 or 3 (Mirhaghi et al. 2015 / KTAS manual
    style thresholds). An expert disagrees with this reading for 4 % of records (±1 level).
    Computed before vitals go missing: the expert saw the full record.
    """
    base = np.array([COMPLAINTS[c][3] for c in complaint])
    e = base.copy()
    e = np.where((tone > 0) & (base >= 3), base - 1, e)
    e = np.where((tone < 0) & (base == 3), 4, e)
    pain = df["pain"].to_numpy()
    e = np.where(pain >= 8, np.minimum(e, 3), e)
    e = np.where((pain >= 5) & (pain < 8), np.minimum(e, 4), e)
    hr, rr, sbp, spo2, temp = (df[c].to_numpy() for c in ("hr", "rr", "sbp", "spo2", "temp"))
    avpu = df["avpu"].to_numpy()
    adult = df["age"].to_numpy() >= 16
    l1 = (avpu == "U") | (sbp < 70) | (spo2 < 85) | (adult & ((hr > 160) | (hr < 35) | (rr > 40)))
    l2 = np.isin(avpu, ["V", "P"]) | (sbp < 90) | (spo2 < 90) | (adult & ((hr > 130) | (rr > 30))) | (temp >= 40)
    l3 = (spo2 < 94) | (adult & ((hr > 110) | (rr > 24))) | (temp >= 38.5) | (sbp >= 200)
    e = np.where(l3, np.minimum(e, 3), e)
    e = np.where(l2, np.minimum(e, 2), e)
    e = np.where(l1, 1, e)
    flip = rng.random(len(e)) < 0.04
    e = np.where(flip, np.clip(e + rng.choice([-1, 1], size=len(e)), 1, 5), e)
    return e.astype(int)


def nurse_labels(df: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Simulated unassisted triage: under-triage ≈ 10.3 %, over-triage ≈ 4.3 % (Moon et al. 2019).

    Under-triage is twice as likely for patients whose heart rate and SpO₂ look normal.
    """
    level = df["level"].to_numpy()
    n = len(level)
    reassuring = (df["hr"].fillna(80).between(60, 100) & (df["spo2"].fillna(98) >= 95)).to_numpy()
    w_under = np.where(reassuring, 2.0, 1.0) * (level < 5)
    p_under = UNDER_TRIAGE * n * w_under / w_under.sum()
    w_over = (level > 1).astype(float)
    p_over = OVER_TRIAGE * n * w_over / w_over.sum()
    u = rng.random(n)
    out = level.copy()
    under = u < p_under
    over = (~under) & (u < p_under + p_over)
    step = np.where(rng.random(n) < 0.12, 2, 1)
    out[under] = np.minimum(5, level[under] + step[under])
    out[over] = np.maximum(1, level[over] - 1)
    return out
