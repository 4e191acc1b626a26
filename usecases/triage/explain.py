"""One patient: the suggested level, how sure the model is, and why this level rather than the next
less urgent one — in words a triage nurse can check.

The explanation contrasts the chosen level L with L + 1: it measures how each field moves
P(level ≤ L), the probability that the patient is at least as urgent as L, when that field is treated
as not recorded (the model was trained with fields hidden at random, so "not recorded" is a state it
knows, not an alarm). A positive effect pushes towards L (or more urgent), a negative one towards
L + 1. The complaint is also taken apart word by word, and each word is marked as known (seen at
least five times in training) or not — free text the model has not seen can swing the level, so the
nurse should see when that happens and when the call is close.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usecases.core import fmt

from .mapping import FIELD_LABELS, INPUTS, blank_value
from .metrics import DEFAULT_UNDER_COST
from .model import NUMERIC, decide
from .pipeline import model_proba, unreadable_complaints, unseen_inputs
from .records import RANGES, check_enough, check_patient
from .rules import esi_level, immediate_signs, news2, news2_level, normalise_text, red_flags

AVPU_WORDS = {"A": "alert", "V": "responds to voice", "P": "responds to pain", "U": "unresponsive"}
NEGLIGIBLE = 0.01  # effects under one percentage point are not called a push or a pull
CLOSE_COST = 0.15  # the runner-up's expected cost within 15 % of the chosen one's: a close call
RATIOS = (1.5, DEFAULT_UNDER_COST, 6.0)


@dataclass(frozen=True)
class Effect:
    field: str
    label: str  # "Heart rate 118 /min"
    effect: float  # change in P(level ≤ L) due to this field (probability points, −1..1)


@dataclass(frozen=True)
class WordEffect:
    word: str
    effect: float
    known: bool


@dataclass(frozen=True)
class Assessment:
    probs: np.ndarray  # P(level 1..5)
    level: int
    under_cost: float
    expected_cost: np.ndarray  # expected cost of suggesting each level
    runner_up: int  # the level with the next lowest expected cost
    close_call: bool
    by_ratio: dict  # cost ratio → level (how the suggestion moves with the rule)
    contrast: int  # the level the explanation contrasts with (L + 1, or 4 when L = 5)
    p_at_least: float  # P(level ≤ L) (L = 5: P(level = 5))
    effects: list[Effect] = field(default_factory=list)
    words: list[WordEffect] = field(default_factory=list)
    red_flags: list[str] = field(default_factory=list)
    news2_score: int = 0
    news2_level: int = 5
    esi_level: int = 5
    immediate: list[str] = field(default_factory=list)  # what puts the patient at level 1 under the ESI-style rule
    complaint_unread: bool = False  # the complaint has no word the model learned and few of its letter groups: read as not recorded

    @property
    def critical_probability(self) -> float:
        return float(self.probs[:2].sum())

    @property
    def rule_overruled(self) -> bool:
        """The ESI-style rule says level 1 (a sign of an immediate life threat) and the model says level 3 or less urgent.
        The model learned from patients whose vital signs move together; one extreme value with everything else normal is
        rare among them, and it can under-read it (an adult with a heart rate of 165 and normal vitals gets level 3)."""
        return bool(self.immediate) and self.level >= 3

    def sentence(self) -> str:
        """Why this level, in plain words."""
        L, C = self.level, self.contrast
        up = [e for e in self.effects if e.effect >= NEGLIGIBLE]
        down = [e for e in self.effects if e.effect <= -NEGLIGIBLE]
        toward = f"level {L}" + (" or more urgent" if L > 1 else "")
        parts = [f"Level {L} rather than {C}: P({'level ≤ ' + str(L) if L < 5 else 'level 5'}) = {fmt.rate(self.p_at_least)}."]
        if up:
            parts.append(f"Pushing towards {toward if L < 5 else 'level 5'}: " + ", ".join(f"{e.label} ({fmt.signed_points(e.effect)})" for e in up[:3]) + ".")
        if down:
            parts.append(f"Pulling towards level {C}: " + ", ".join(f"{e.label} ({fmt.signed_points(e.effect)})" for e in down[:3]) + ".")
        if self.close_call:
            parts.append(f"Close call: level {self.runner_up} is nearly as good a choice ({fmt.rate(self.probs[self.runner_up - 1])} vs "
                         f"{fmt.rate(self.probs[L - 1])}); the nurse's judgement decides.")
        unknown = [w.word for w in self.words if not w.known]
        if not up and not down:
            parts.append("No single field moves it by a percentage point: the level rests on the record as a whole.")
        if unknown:
            parts.append(f"Words the model has not learned: {', '.join(unknown)} — check it read the complaint right.")
        return " ".join(parts)


def _value_label(f: str, v) -> str:
    if f == "avpu":
        return f"{FIELD_LABELS[f]}: {AVPU_WORDS.get(v, v)}"
    if f == "complaint":
        return f"Complaint “{v}”"
    if f in ("sex", "arrival"):
        return f"{FIELD_LABELS[f]} {v}"
    unit = RANGES[f][2]
    unit = "/10" if f == "pain" else ("" if unit == "years" else f" {unit}")
    return f"{FIELD_LABELS[f]} {float(v):g}{unit}" + (" years" if f == "age" else "")


def _recorded(f: str, v) -> bool:
    return not (v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()))


def _p_at_least(probs: np.ndarray, L: int) -> np.ndarray:
    """P(level ≤ L) per row for L < 5; P(level = 5) for L = 5 (then the contrast is level 4)."""
    return probs[:, :L].sum(1) if L < 5 else probs[:, 4]


def assess(trained, patient: dict, under_cost: float = DEFAULT_UNDER_COST) -> Assessment:
    """Suggested level, probabilities, closeness, attributions against the next less urgent level, words."""
    p = check_patient(patient)
    row = pd.DataFrame([{k: p.get(k, blank_value(k)) for k in INPUTS}])
    for c in NUMERIC:
        row[c] = pd.to_numeric(row[c], errors="coerce")
    row["complaint"] = row["complaint"].fillna("").astype(str)
    check_enough(row, "this patient's entry")
    unseen = set(unseen_inputs(trained.card))  # fields the training rows never recorded: the model reads them as not recorded
    probs = model_proba(trained, row)[0].astype(float)  # float64: numbers the formatter knows
    levels = np.arange(1, 6)
    cost = np.where(levels[:, None] - levels[None, :] > 0, under_cost * (levels[:, None] - levels[None, :]),
                    levels[None, :] - levels[:, None]).astype(float)
    expected = cost @ probs  # expected cost of suggesting each level
    L = int(decide(probs[None], under_cost)[0])
    order = np.argsort(expected)
    runner = int(levels[order[1]])
    close = bool(expected[order[1]] <= expected[order[0]] * (1 + CLOSE_COST) + 1e-9)
    contrast = L + 1 if L < 5 else 4
    base = float(_p_at_least(probs[None], L)[0])

    fields = [f for f in INPUTS if _recorded(f, p.get(f)) and f not in unseen]
    variants = []
    for f in fields:
        r = row.copy()
        r[f] = blank_value(f)
        variants.append(r)
    unread = bool(unreadable_complaints(trained.card, row)[0])  # read as not recorded: its words move nothing
    words = [] if "complaint" in unseen or unread else normalise_text(p.get("complaint") or "").split()
    for i in range(len(words)):
        r = row.copy()
        r["complaint"] = " ".join(words[:i] + words[i + 1:])
        variants.append(r)
    vp = model_proba(trained, pd.concat(variants, ignore_index=True)) if variants else np.zeros((0, 5))
    q = _p_at_least(vp, L) if len(vp) else np.zeros(0)
    effects = sorted((Effect(f, _value_label(f, p[f]), base - float(q[i])) for i, f in enumerate(fields)),
                     key=lambda e: -abs(e.effect))
    vocab = set(trained.card.get("vocabulary", []))
    word_effects = [WordEffect(w, base - float(q[len(fields) + i]), w in vocab) for i, w in enumerate(words)]
    return Assessment(
        probs=probs, level=L, under_cost=float(under_cost), expected_cost=expected, runner_up=runner, close_call=close,
        by_ratio={r: int(decide(probs[None], r)[0]) for r in RATIOS}, contrast=contrast, p_at_least=base, effects=effects,
        words=word_effects, red_flags=red_flags(p), news2_score=int(news2(row)[0]), news2_level=int(news2_level(row)[0]),
        esi_level=int(esi_level(row)[0]), immediate=immediate_signs(p), complaint_unread=unread)
