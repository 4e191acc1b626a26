"""What the page, Home and the CLI read about a triage model: :class:`TriageEvaluation`.

It is built from *scored rows* — the reference level of each row, the level probabilities of the
model and of the learned peers, the rule baselines' and the nurse's levels — never from a refit of
the model. Levels follow the cost-weighted rule at a chosen ratio (``at_cost`` gives the same
evaluation at another ratio, for the page's slider); every metric carries its spread over folds
(own data: the cross-validation folds) or over paired bootstrap resamples of the test rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from usecases.core import fmt
from usecases.core.spec import DataInfo, Evaluation

from . import SPEC
from .metrics import DEFAULT_UNDER_COST, calibration_table, confusion, tradeoff, triage_metrics
from .model import decide
from .peers import LABELS

FOLD_METRICS = ("kappa_linear", "accuracy", "under_triage_l12", "over_triage", "under_triage")
N_BOOTSTRAP = 20
LOWER_BETTER = ("under_triage", "under_triage_l12", "over_triage")


@dataclass(kw_only=True)
class TriageEvaluation(Evaluation):
    y: np.ndarray  # reference level of every scored row
    probs: dict[str, np.ndarray]  # "model" and each learned peer → (n, 5) probabilities
    rule_levels: dict[str, np.ndarray]  # rules and nurse → levels (they need no decision rule)
    fold: np.ndarray | None = None  # fold of each scored row (cross-validation), else None
    val_y: np.ndarray | None = None  # validation rows of the model, for the cost-ratio trade-off
    val_probs: np.ndarray | None = None
    under_cost: float = DEFAULT_UNDER_COST
    assisted: dict[str, float] | None = None  # nurse + model (the more urgent of the two)
    file_most_urgent: int = 1  # 5 when the user's file writes its most urgent level as 5: sentences then name its own numbers
    recorded: tuple[str, ...] | None = None  # input fields the rows' file records (None: not known — the shipped cohort records all)

    # ---- derived, pure ----------------------------------------------------------------------
    def levels(self, name: str) -> np.ndarray:
        """The levels of ``name`` on the scored rows (learned models: cost-weighted at ``under_cost``)."""
        if name in self.probs:
            return decide(self.probs[name], self.under_cost)
        return self.rule_levels[name]

    @property
    def names(self) -> list[str]:
        return ["model", *self.baselines]

    @property
    def has_nurse(self) -> bool:
        return "nurse" in self.rule_levels

    def confusion(self, name: str) -> np.ndarray:
        return confusion(self.y, self.levels(name))

    def rule_missing(self) -> list[str]:
        """The ESI-style rule's inputs this file does not record, by label — ``[]`` while the rule stands as a baseline (see
        :func:`rule_unfit`)."""
        return rule_unfit(self.recorded) if "esi_rule" in self.rule_levels else []

    def no_baselines(self) -> list[str]:
        """The rule rows run without most of their inputs (:func:`rule_note`): shown, but no best value of a column — the ESI-style
        rule without a sign had the table's best over-triage, 0.000, marked green beside its under-triage of 0.945 (it puts nearly
        everyone at level 5; an analyst walkthrough, 2026-12-07, later)."""
        from .records import MIN_VITALS

        out = ["esi_rule"] if self.rule_missing() else []
        if "news2" in self.rule_levels and self.recorded is not None and len(set(NEWS2_SIGNS) & set(self.recorded)) < MIN_VITALS:
            out.append("news2")
        return out

    def calibration(self) -> list[dict]:
        return calibration_table(self.probs["model"], self.y)

    def calibration_sentence(self) -> str:
        """What the reliability chart shows, in words: how many patients sit in the two outer bins, and whether the ones
        between are predicted less or more extreme than observed (the blend averages two calibrated learners, which pulls
        its probabilities towards the middle: at a predicted 40–60 %, 56 of 63 test patients were levels 1–2; the blend's own
        temperature leaves P(level ≤ 2) alone on purpose — :func:`.learner.temper`)."""
        cal = calibration_table(self.probs["model"], self.y)
        if not cal:
            return ""
        outer = [r for r in cal if r["bin"] in (0, 9)]
        mid = [r for r in cal if r["bin"] not in (0, 9)]
        n_mid = sum(r["n"] for r in mid)
        text = (f"Each point is a tenth of the probability scale, sized by its patients: {fmt.count(sum(r['n'] for r in outer))} of the "
                f"{fmt.count(sum(r['n'] for r in cal))} patients get below 10 % or above 90 %.")
        if n_mid:
            # A bin predicted at 48 % and observed at 80 % is not "under-confident": it is on the wrong side of 50 %.
            crossed = [r for r in mid if (r["observed"] - 0.5) * (r["predicted"] - 0.5) < 0]
            same = [r for r in mid if r not in crossed]
            under = sum(r["n"] for r in same if abs(r["observed"] - 0.5) > abs(r["predicted"] - 0.5))
            over = sum(r["n"] for r in same) - under
            off = sum(r["n"] * abs(r["observed"] - r["predicted"]) for r in mid) / n_mid
            kind = ("under-confident: what is observed there is further from 50 % than what is predicted" if under >= over else
                    "over-confident: what is observed there is closer to 50 % than what is predicted")
            most = max(under, over)
            text += (f" For the {fmt.count(n_mid)} between, the probability is off by {fmt.points(off)} on average, "
                     f"{'all of them' if most == n_mid else f'{fmt.count(most)} of them'} {kind}")
            if crossed:
                worst = max(crossed, key=lambda r: r["n"] * abs(r["observed"] - r["predicted"]))
                n_crossed = sum(r["n"] for r in crossed)
                text += (f"; for {fmt.count(n_crossed)} the observed share is on the other side of 50 % (predicted "
                         f"{fmt.rate(worst['predicted'])}, observed {fmt.rate(worst['observed'])})")
            text += " — read a middle probability as “unsure”, not as its number."
        return text

    def _level_one(self, other: str | None = None) -> dict | None:
        """Level-1 (most urgent) patients alone, model vs ``other`` (default: the nurse, else the ESI-style rule): how many
        each under-triaged, how many only one of them did (with the exact McNemar p on those) and how many both (the more
        urgent of the two levels) — ``None`` without level-1 patients or anyone to compare with."""
        other = other or ("nurse" if self.has_nurse else "esi_rule" if "esi_rule" in self.rule_levels else None)
        one = self.y == 1
        if other is None or not one.any():
            return None
        from scipy.stats import binomtest

        lm, lo = self.levels("model")[one], self.levels(other)[one]
        mine, theirs = lm > 1, lo > 1
        only_m, only_o = int((mine & ~theirs).sum()), int((~mine & theirs).sum())
        who, short = ((("simulated nurse" if self.data.synthetic else "nurse in your file"), "nurse") if other == "nurse"
                      else (self.label(other), "rule"))
        return {"patients": int(one.sum()), "model": int(mine.sum()), "other": int(theirs.sum()), "only_model": only_m, "only_other": only_o,
                "p": binomtest(only_m, only_m + only_o).pvalue if only_m + only_o else 1.0,
                "both": int((np.minimum(lm, lo) > 1).sum()), "who": who, "short": short}

    def _no_level_one_baseline(self, other: str | None = None) -> bool:
        """The level-1 comparison would be with the ESI-style rule run without most of its inputs (no nurse level)."""
        return (other or ("nurse" if self.has_nurse else "esi_rule")) == "esi_rule" and "esi_rule" in self.no_baselines()

    def _alone(self, c: dict) -> str:
        """The level-1 figure when there is no one to hold it against: DAAG::headInjury's 91 most urgent patients read "the model
        under-triages 41, fewer than the ESI-style rule (91)", a caption of comfort from a rule that put everyone at level 5 and
        that the page calls no baseline (an analyst walkthrough, 2026-12-07, later)."""
        return (f"{level_name(1, self.file_most_urgent).capitalize()} alone ({c['patients']} patients): the model under-triages {c['model']} "
                f"({fmt.rate(c['model'] / c['patients'])}), and there is no baseline to hold that against — the file has no nurse level, "
                f"and the ESI-style rule, run without most of what it reads, under-triages {c['other']}.")

    def most_urgent(self, other: str | None = None) -> tuple[str, bool] | None:
        """``(sentence, model_worse)`` on the level-1 (most urgent) patients alone: the levels 1–2 figure pools 1 with the far
        larger level 2, so a model that is better there can still under-triage more level-1 patients than the nurse. Counts
        under-triaged by each, the patients only one of them under-triaged (exact McNemar test on those), and nurse + model
        (the more urgent of the two). ``None`` without level-1 patients or anyone to compare with."""
        c = self._level_one(other)
        if c is None:
            return None
        if self._no_level_one_baseline(other):
            return self._alone(c), c["model"] > 0
        verdict = "more than" if c["model"] > c["other"] else "fewer than" if c["model"] < c["other"] else "as many as"
        text = (f"{level_name(1, self.file_most_urgent).capitalize()} alone ({c['patients']} patients): the model under-triages {c['model']}, {verdict} the {c['who']} "
                f"({c['other']}); {c['only_model']} only the model missed and {c['only_other']} only the {c['short']} missed "
                f"(exact McNemar p = {c['p']:.2f}{', not conclusive' if c['p'] >= 0.05 else ''}). Together, taking the more urgent of the two "
                f"levels, {c['both']} {'is' if c['both'] == 1 else 'are'} under-triaged.")
        return text, c["model"] > c["other"]

    def caveat(self) -> str:
        """Home's card and the CLI: the level-1 count of :meth:`most_urgent`, when the model under-triages more level-1
        patients than the nurse (or, without one, the ESI-style rule) — "" otherwise."""
        c = self._level_one()
        if c is not None and c["model"] and self._no_level_one_baseline():
            return self._alone(c)
        if c is None or c["model"] <= c["other"]:
            return ""
        return (f"On {level_name(1, self.file_most_urgent)} alone the model under-triages more patients than the {c['who']}: {c['model']} vs {c['other']} of "
                f"{c['patients']} (McNemar p = {c['p']:.2f}{', not conclusive' if c['p'] >= 0.05 else ''}) — the pooled figures hide it.")

    def rule_overruled(self) -> tuple[int, int, int] | None:
        """How often, on these scored rows, the ESI-style rule said level 1 while the model said level 3 or less urgent (the
        Assess tab's warning): ``(times, rows, of which the reference level was 1 or 2)``; None without the rule's levels."""
        if "esi_rule" not in self.rule_levels:
            return None
        hit = (self.rule_levels["esi_rule"] == 1) & (self.levels("model") >= 3)
        return int(hit.sum()), int(len(self.y)), int((hit & (self.y <= 2)).sum())

    def tradeoff(self) -> list[dict]:
        """Under- vs over-triage of the model as the cost ratio varies, on its validation rows."""
        if self.val_y is None or self.val_probs is None or not len(self.val_y):
            return []
        return tradeoff(self.val_y, self.val_probs)

    def at_cost(self, under_cost: float) -> "TriageEvaluation":
        """The same scored rows judged with another cost ratio (a new object; this one is unchanged)."""
        if float(under_cost) == self.under_cost:
            return self
        return build(y=self.y, probs=self.probs, rule_levels=self.rule_levels, fold=self.fold, val_y=self.val_y, val_probs=self.val_probs,
                     data=self.data, notes=self.notes, under_cost=float(under_cost), file_most_urgent=self.file_most_urgent,
                     recorded=self.recorded)


def _metrics(y: np.ndarray, levels: np.ndarray) -> dict[str, float]:
    return triage_metrics(y, levels)


def _spread(y: np.ndarray, levels: dict[str, np.ndarray], fold: np.ndarray | None, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Per fold (cross-validation) or per paired bootstrap resample of the rows: every metric of every model."""
    if fold is not None and len(np.unique(fold)) >= 2:
        parts = [np.flatnonzero(fold == f) for f in np.unique(fold)]
    else:
        rng = np.random.default_rng(seed)
        parts = [rng.integers(0, len(y), len(y)) for _ in range(N_BOOTSTRAP)]
    out: dict[str, dict[str, list[float]]] = {}
    for name, lv in levels.items():
        rows = [triage_metrics(y[idx], lv[idx]) for idx in parts]
        out[name] = {m: [float(r[m]) for r in rows] for m in FOLD_METRICS}
    return out


# The nurse levels of a user's file were given by their nurses, not simulated: the label of the shared model's
# synthetic cohort ("Simulated nurse (unassisted)") read as if the app had made them up.
NURSE_IN_FILE = "Nurse in your file (unassisted)"

# The ESI-style rule (rules.esi_level) as a stand-in for unassisted triage, 2026-12-07 (an analyst walkthrough): vcdExtra::ICU
# with a derived level and no nurse level, complaint, respiratory rate, SpO₂ or pain had the Operations tab price the model
# against this rule — right for 5 % of the test patients, 67 % under-triaged — as "€216k a month". Without the complaint no
# patient can reach level 3 or 5 (decision point C counts resources from the complaint alone), and without its signs decision
# points A and B see nothing, so the rule is a baseline only where the file records the complaint and at least half of the
# six signs it checks.
RULE_COMPLAINT = "complaint"
RULE_SIGNS = ("avpu", "spo2", "sbp", "hr", "rr", "pain")


def rule_unfit(recorded) -> list[str]:
    """The labels of the ESI-style rule's inputs missing from a file that records ``recorded`` (input field names), when the
    file lacks the chief complaint or more than half of the six signs the rule checks (AVPU, SpO₂, systolic BP, heart rate,
    respiratory rate, pain) — the rule is then no stand-in for triage; ``[]`` when it is one, or when ``recorded`` is None
    (not known: a card from before the record)."""
    if recorded is None:
        return []
    from .mapping import FIELD_LABELS

    have = set(recorded)
    missing = [c for c in (RULE_COMPLAINT, *RULE_SIGNS) if c not in have]
    if RULE_COMPLAINT in have and len([c for c in RULE_SIGNS if c in have]) * 2 >= len(RULE_SIGNS):
        return []
    return [FIELD_LABELS[c] for c in missing]


def listed(items) -> str:
    """``a, b and c``."""
    items = list(items)
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + (items[-1] if items else "")


NEWS2_SIGNS = ("rr", "spo2", "sbp", "hr", "avpu", "temp")  # what NEWS2 reads (rules.news2_parts); each one missing scores 0


def rule_note(recorded, rule_levels: dict, y) -> list[str]:
    """The Model tab's and ``evaluate``'s word on an ESI-style rule row computed without most of its inputs, and on a NEWS2 row
    computed from fewer than 3 of its six signs (DAAG::headInjury, complaints alone: NEWS2 put every patient at level 5 and its
    row of 0.000 stood as a baseline without a word; an analyst walkthrough, 2026-12-07, later)."""
    from .mapping import FIELD_LABELS
    from .records import MIN_VITALS

    def right(name: str) -> str:
        return fmt.rate(float((np.asarray(rule_levels[name]) == np.asarray(y)).mean()) if len(y) else float("nan"))

    out = []
    missing = rule_unfit(recorded) if "esi_rule" in rule_levels else []
    if missing:
        out.append(f"The ESI-style rule reads the chief complaint and six signs; this file does not record {listed(missing)}, so its "
                   f"row is the rule run without them (levels right for {right('esi_rule')} of the scored "
                   "patients), not a stand-in for triage — nothing on this page is priced against it")
    have = [FIELD_LABELS[c] for c in NEWS2_SIGNS if recorded is not None and c in set(recorded)]
    if "news2" in rule_levels and recorded is not None and len(have) < MIN_VITALS:
        out.append(f"NEWS2 reads six signs ({listed(FIELD_LABELS[c] for c in NEWS2_SIGNS)}), each one not recorded scoring 0; this file "
                   + (f"records only {listed(have)}" if have else "records none of them") + f", so its row is NEWS2 run without them "
                   f"(levels right for {right('news2')} of the scored patients), not a stand-in for triage")
    return out


def build(*, y, probs: dict, rule_levels: dict, data: DataInfo, fold=None, val_y=None, val_probs=None, notes=(),
          under_cost: float = DEFAULT_UNDER_COST, file_most_urgent: int = 1, recorded=None) -> TriageEvaluation:
    """A :class:`TriageEvaluation` from scored rows (pure: no model is fit here). ``file_most_urgent``: 5 when the user's file
    writes its most urgent level as 5 (its mapping's ``most_urgent``) — the rows hold the app's levels either way. ``recorded``:
    the input fields the file records (None: not known), which says whether the ESI-style rule is a baseline (:func:`rule_unfit`)."""
    y = np.asarray(y, int)
    levels = {n: decide(p, under_cost) for n, p in probs.items()}
    levels.update({n: np.asarray(v, int) for n, v in rule_levels.items()})
    base = {n: _metrics(y, lv) for n, lv in levels.items() if n != "model"}
    assisted = _metrics(y, np.minimum(levels["nurse"], levels["model"])) if "nurse" in levels else None
    return TriageEvaluation(
        usecase=SPEC.name, primary_metric=SPEC.primary_metric, higher_is_better=True, model=_metrics(y, levels["model"]), baselines=base,
        data=data, labels={n: NURSE_IN_FILE if n == "nurse" and not data.synthetic else LABELS.get(n, n) for n in base}, folds=_spread(y, levels, fold), model_label=SPEC.model_label,
        spread_unit="folds" if fold is not None and len(np.unique(fold)) >= 2 else "resamples",
        y=y, probs=dict(probs), rule_levels={n: np.asarray(v, int) for n, v in rule_levels.items()}, fold=fold, val_y=val_y, val_probs=val_probs,
        under_cost=float(under_cost), assisted=assisted, file_most_urgent=int(file_most_urgent),
        recorded=None if recorded is None else tuple(recorded),
        notes=[*(n for n in notes if not n.startswith(_COMPUTED_NOTES)), *scale_note(file_most_urgent), *rule_note(recorded, rule_levels, y),
               *constant_note(y, levels["model"], under_cost, file_most_urgent),
               *guess_note(y, levels["model"], under_cost, file_most_urgent)])


def scale_note(file_most_urgent: int) -> list[str]:
    """On a file whose level 5 is the most urgent, which of its levels the figures' numbers are."""
    if file_most_urgent != 5:
        return []
    return ["Levels here are on the app's scale, 1 = most urgent: your file's 5 is level 1, its 4 is level 2 and so on, so "
            "\"levels 1–2\" in these figures are your 5 and 4"]


def level_name(level: int, file_most_urgent: int = 1) -> str:
    """``"level 1"`` — or, on a file whose level 5 is the most urgent, ``"level 1 (5 in your file)"``: the scored rows hold the
    app's levels (1 = most urgent), and the same number names another level in such a file (the level-1 warning and the notes
    had said "level 1" to a user whose file calls it 5)."""
    return f"level {level}" if file_most_urgent != 5 else f"level {level} ({6 - level} in your file)"


def constant_note(y: np.ndarray, model_levels: np.ndarray, under_cost: float, file_most_urgent: int = 1) -> list[str]:
    """A model that suggests one level for every scored patient while the patients hold several has learned nothing it can
    use at this decision rule, and its κ of 0 reads like a poor model rather than none (MASS::Cars93: level 1 for all 93
    rows in every fold, κ 0.000, accuracy 0.17, said nowhere — a real-file check, 2026-12-03)."""
    kept = np.unique(model_levels)
    if len(y) < 2 or len(kept) != 1 or len(np.unique(y)) < 2:
        return []
    return [f"The model suggests {level_name(int(kept[0]), file_most_urgent)} for every one of the {len(y):,} scored patients at the {under_cost:g}× rule: on "
            "this file it found nothing that moves a patient to another level, so its figures are those of a constant guess — "
            "the peers' show what the file allows"]


def guess_note(y: np.ndarray, model_levels: np.ndarray, under_cost: float, file_most_urgent: int = 1) -> list[str]:
    """A model whose levels are right less often than suggesting the scored patients' most common level for everyone
    (ordinal::soup collapsed to five levels: accuracy 0.450 against 0.470, said nowhere — a real-file check, 2026-12-03). The
    cost-weighted rule moves doubtful patients one level more urgent, so fewer exact levels can be the price of fewer
    under-triaged patients: the note says whether the triage cost per patient — the rule's own objective — pays for it."""
    y, lv = np.asarray(y, int), np.asarray(model_levels, int)
    if len(y) < 2 or len(np.unique(lv)) == 1 or len(np.unique(y)) < 2:  # one level for everyone: constant_note says it
        return []
    vals, counts = np.unique(y, return_counts=True)
    top, share, acc = int(vals[counts.argmax()]), counts.max() / len(y), float((lv == y).mean())
    tied = int((counts == counts.max()).sum()) > 1
    if acc >= share:
        return []

    def cost(levels: np.ndarray) -> float:
        d = levels - y
        return float(np.where(d > 0, under_cost * d, -d).mean())

    mc, gc = cost(lv), cost(np.full_like(y, top))
    # the level on the app's scale, said as such, or with the file's own number when the file's level 5 is the most urgent
    named = f"level {top} (on the app's scale, 1 = most urgent)" if file_most_urgent != 5 else level_name(top, 5)
    head = (f"The model's levels are right for {acc:.1%} of the {len(y):,} scored patients, fewer than suggesting {named} "
            f"— {'one of the most common levels' if tied else 'the most common'} here — for everyone would "
            f"get right ({share:.1%})")
    if mc < gc:
        return [f"{head}; the {under_cost:g}× rule moves doubtful patients to the more urgent level, and its triage cost per patient is "
                f"lower than that guess's ({mc:.3f} vs {gc:.3f}), so the trade pays at this rule"]
    return [f"{head}, and its triage cost per patient is not lower either ({mc:.3f} vs {gc:.3f}): on this file the model does no "
            "better than a constant guess — the peers show what the file allows"]


_COMPUTED_NOTES = ("The model suggests level ", "The model's levels are right for ", "Levels here are on the app's scale",
                   "The ESI-style rule reads the chief complaint", "NEWS2 reads six signs")  # made by build: not carried into a rebuild


def replace_data(ev: TriageEvaluation, **changes) -> TriageEvaluation:
    return dataclasses.replace(ev, data=dataclasses.replace(ev.data, **changes))
