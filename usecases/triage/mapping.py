"""How a user's file maps onto the triage fields: the mapping file (validated against a schema) and
the guess made when there is none — reported in full, never applied silently.

A guess maps columns by name (aliases and close spellings: ``Chief_complain`` → complaint) and codes
by common spellings ("female", "w", "Alert"). It never guesses what it cannot know: numeric codes
(is sex 1 female or male? is arrival 3 a private car or "other"?) are *ambiguous*, a 0/1 column is
never a 0–10 pain score, and a code it does not know is *unmapped*. :class:`Guess` lists all of it;
``read_data`` refuses to go on with such a guess unless the caller accepts it (then ambiguous and
unmapped codes count as "not recorded").
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usecases.core.tables import DEFAULT_NA, SPREADSHEET_NA, DataProblem, json_loads, normalise_name, on_distinct, text_to_numbers

CANONICAL = ("age", "sex", "arrival", "complaint", "avpu", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2", "level", "nurse_level")
INPUTS = CANONICAL[:12]
NUMERIC_FIELDS = ("age", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2")
CODED = {"sex": ("F", "M"), "arrival": ("walk-in", "ambulance", "other"), "avpu": ("A", "V", "P", "U")}
LABELS = ("level", "nurse_level")
FIELD_LABELS = {"age": "Age", "sex": "Sex", "arrival": "Arrival mode", "complaint": "Chief complaint", "avpu": "Mental status (AVPU)",
                "pain": "Pain score", "sbp": "Systolic BP", "dbp": "Diastolic BP", "hr": "Heart rate", "rr": "Respiratory rate",
                "temp": "Temperature", "spo2": "SpO₂", "level": "Reference level", "nurse_level": "Nurse level"}
PLACEHOLDERS = tuple(dict.fromkeys(DEFAULT_NA + SPREADSHEET_NA + ("n.a.", "nd", "ND", "--", "N.A.", "?", "x", "X")))
MAPPING_SUBJECT = "the mapping file"

# Since 2026-12-07 (an analyst walkthrough: a German export's every vital was "Not used") German, French and Spanish names
# too; abbreviations that also name a diagnosis or flag in English exports (HF heart failure, PAD, PAS, FC, FR, ETA) are not
# taken, so a 0/1 column is never read as a vital sign.
ALIASES = {
    "age": ("age", "edad", "patient_age", "age_years", "alter", "lebensalter", "idade"),
    "sex": ("sex", "gender", "geschlecht", "sexo", "sexe", "genero", "sesso"),
    "arrival": ("arrival", "arrival_mode", "mode_of_arrival", "arrival_transport", "transport", "ankunft", "ankunftsart", "zuweisung"),
    "complaint": ("complaint", "chief_complaint", "chiefcomplaint", "cc", "reason", "reason_for_visit", "presenting_complaint", "beschwerde",
                  "beschwerden", "hauptbeschwerde", "leitsymptom", "vorstellungsgrund", "motivo_de_consulta", "motivo_consulta",
                  "motif_de_consultation", "motif_de_recours"),
    "avpu": ("avpu", "mental", "mental_status", "consciousness", "loc", "level_of_consciousness", "bewusstsein", "bewusstseinslage",
             "bewusstseinszustand", "vigilanz", "conscience", "etat_de_conscience", "conciencia", "nivel_de_conciencia"),
    "pain": ("nrs_pain", "pain_score", "nrs", "pain", "schmerz", "vas", "schmerzen", "schmerzskala", "schmerzscore", "douleur", "dolor",
             "eva"),
    "sbp": ("sbp", "systolic", "sys_bp", "systolic_bp", "bp_sys", "rr_sys", "rr_syst", "rr_systolisch", "blutdruck_systolisch",
            "systolischer_blutdruck", "systolisch", "tension_systolique", "pression_systolique", "presion_sistolica",
            "sistolica"),
    "dbp": ("dbp", "diastolic", "dia_bp", "diastolic_bp", "bp_dia", "rr_dia", "rr_diast", "rr_diastolisch", "blutdruck_diastolisch",
            "diastolischer_blutdruck", "diastolisch", "tension_diastolique", "pression_diastolique", "presion_diastolica",
            "diastolica"),
    "hr": ("hr", "heart_rate", "heartrate", "pulse", "pr", "puls", "hrtrate", "hrate", "pulse_rate", "herzfrequenz", "pouls",
           "frequence_cardiaque", "frecuencia_cardiaca", "pulso"),
    "rr": ("rr", "resp_rate", "respiratory_rate", "resprate", "af", "atemfrequenz", "frequence_respiratoire",
           "frecuencia_respiratoria"),
    "temp": ("temp", "temperature", "bt", "body_temperature", "temperatur", "korpertemperatur", "temperatura"),
    "spo2": ("spo2", "sat", "o2sat", "o2_sat", "saturation", "sao2", "pulse_ox", "pulseox", "pulse_oximetry", "sauerstoffsattigung",
             "o2_sattigung", "sattigung", "saturacion", "sat_o2"),
    "level": ("level", "acuity", "ktas_expert", "ktas", "esi", "triage_level", "reference_level", "expert_level", "true_level",
              "triagestufe", "triage_stufe", "triagekategorie", "dringlichkeit", "dringlichkeitsstufe", "behandlungsprioritat",
              "niveau_de_triage", "nivel_de_triaje", "nivel_de_triage"),
    "nurse_level": ("nurse_level", "ktas_rn", "nurse", "nurse_acuity", "rn_level", "nurse_esi", "nurse_ktas", "nurse_triage", "triage_nurse"),
}

# Word codes only: a number says nothing about which category it stands for.
CODE_WORDS = {
    "sex": {"f": "F", "female": "F", "w": "F", "woman": "F", "weiblich": "F", "m": "M", "male": "M", "man": "M", "männlich": "M",
            "mujer": "F", "femenino": "F", "femme": "F", "féminin": "F", "hombre": "M", "masculino": "M", "varón": "M", "varon": "M",
            "homme": "M", "masculin": "M"},
    "arrival": {"walk-in": "walk-in", "walkin": "walk-in", "walk in": "walk-in", "walk": "walk-in", "self": "walk-in", "selbst": "walk-in",
                "private vehicle": "walk-in", "ambulance": "ambulance", "ems": "ambulance", "amb": "ambulance", "rtw": "ambulance",
                "public ambulance": "ambulance", "private ambulance": "ambulance", "other": "other", "police": "other", "transfer": "other"},
    "avpu": {"a": "A", "alert": "A", "v": "V", "verbal": "V", "voice": "V", "p": "P", "pain": "P", "u": "U", "unresponsive": "U"},
}


@dataclass
class Mapping:
    """File column for each canonical field, code maps for coded fields, and the scale direction."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical → file column
    # canonical → {file code: canonical value}; for the levels, {file value: level 1–5 on the file's scale, or None = not known}
    codes: dict[str, dict[str, str | int | None]] = field(default_factory=dict)
    most_urgent: int = 1  # 1 when level 1 is most urgent, 5 when level 5 is

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "codes": self.codes, "most_urgent": self.most_urgent}, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Mapping":
        """Parse and validate a mapping file; one :class:`DataProblem` names every bad key."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise DataProblem("it is not UTF-8 text", MAPPING_SUBJECT) from None
        if not text.strip():
            raise DataProblem('it is empty; a mapping looks like {"columns": {"hr": "Pulse"}, "codes": {"sex": {"w": "F"}}, "most_urgent": 1}',
                              MAPPING_SUBJECT)
        twice: list[str] = []

        def no_repeats(pairs):  # {"hr": "Puls", "hr": "AF"}: the last had won without a word, and the file was blamed for it
            keys = [k for k, _ in pairs]
            twice.extend(k for k in dict.fromkeys(keys) if keys.count(k) > 1)
            return dict(pairs)

        try:
            d = json_loads(text, object_pairs_hook=no_repeats)
        except ValueError as exc:
            # the decoder's own words ("Expecting property name enclosed in double quotes: line 1 column 123 (char 122)") for
            # the commonest slip, a comma before } or ], which JSON does not allow (a sweep, 2026-12-05)
            pos = getattr(exc, "pos", None)
            where = f"line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
            before = text[:pos].rstrip() if isinstance(pos, int) else ""
            if before.endswith(",") and text[pos:pos + 1] in ("}", "]"):
                raise DataProblem(f"it is not valid JSON: a comma before the closing {text[pos]!r} at {where} — JSON allows none there; "
                                  "remove it", MAPPING_SUBJECT) from None
            raise DataProblem(f"it is not valid JSON ({getattr(exc, 'msg', exc)}{' at ' + where if where else ''})", MAPPING_SUBJECT) from None
        if twice:
            raise DataProblem(f"it names {', '.join(map(repr, dict.fromkeys(twice)))} more than once in one place; keep one of each "
                              "(JSON keeps only the last, which may not be the one you meant)", MAPPING_SUBJECT)
        problems = check_mapping(d)
        if problems:
            raise DataProblem(problems, MAPPING_SUBJECT)
        # a code given null is "not known" / "not recorded", and kept: it must not read as a code the mapping forgot (a
        # category's null had been dropped, so a file's 'Helicopter', sent to null on purpose, read as "not mapped"; since
        # 2026-12-06 a code a given mapping does not name is a warning)
        return cls(columns=dict(d.get("columns", {})), codes={k: {str(a): b for a, b in v.items()}
                                                              for k, v in d.get("codes", {}).items()},
                   most_urgent=int(d.get("most_urgent", 1)))


def check_mapping(d) -> list[str]:
    """Every way ``d`` (parsed JSON) differs from the mapping schema, one line each, naming the key."""
    if not isinstance(d, dict):
        return ['it must be an object like {"columns": {"hr": "Pulse"}, "codes": {...}, "most_urgent": 1}']
    problems = []
    extra = sorted(set(d) - {"columns", "codes", "most_urgent"})
    if extra:
        problems.append(f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} (keys: columns, codes, most_urgent)")
    cols = d.get("columns", {})
    if not isinstance(cols, dict):
        problems.append(f'"columns" must be an object of field → column name, not {_kind(cols)}')
    else:
        unknown = sorted(set(cols) - set(CANONICAL))
        if unknown:
            problems.append(f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in \"columns\" (fields: {', '.join(CANONICAL)})")
        for k, v in cols.items():
            if k in CANONICAL and (not isinstance(v, str) or not v.strip()):
                problems.append(f'"columns.{k}" must be one column name (text), not {_kind(v)}')
        dup = sorted({v for v in cols.values() if isinstance(v, str) and list(cols.values()).count(v) > 1})
        if dup:
            problems.append(f"column{'s' if len(dup) > 1 else ''} {', '.join(map(repr, dup))} mapped to more than one field")
    codes = d.get("codes", {})
    if not isinstance(codes, dict):
        problems.append(f'"codes" must be an object like {{"sex": {{"w": "F"}}}}, not {_kind(codes)}')
    else:
        for k, v in codes.items():
            if k in LABELS:  # level words a scale of one's own uses: {"High": 1, "Medium": 3, "Low": 5}
                if not isinstance(v, dict):
                    problems.append(f'"codes.{k}" must be an object of file value → level 1–5, not {_kind(v)}')
                    continue
                seen: dict[str, object] = {}
                for code, target in v.items():  # {"High": 1, "high": 5}: the later had won, quietly
                    k2 = str(code).strip().lower()
                    if k2 in seen and seen[k2] != target:
                        problems.append(f'"codes.{k}" gives {code!r} two levels ({json.dumps(seen[k2])} and {json.dumps(target)}) in '
                                        "different spellings; codes are read in any case")
                    seen[k2] = target
                for code, target in v.items():
                    if target is not None and (isinstance(target, bool) or target not in (1, 2, 3, 4, 5)):
                        problems.append(f'"codes.{k}.{code}" is {json.dumps(target, ensure_ascii=False)}; it must be a level 1–5 '
                                        '(a number, on the file\'s scale: see most_urgent) or null for "not known"')
            elif k not in CODED:
                problems.append(f'"codes.{k}": only {", ".join((*CODED, *LABELS))} have codes')
            elif not isinstance(v, dict):
                problems.append(f'"codes.{k}" must be an object of file code → {" / ".join(CODED[k])}, not {_kind(v)}')
            else:
                for code, target in v.items():
                    if target is not None and target not in CODED[k]:
                        problems.append(f'"codes.{k}.{code}" is {json.dumps(target, ensure_ascii=False)}; it must be one of '
                                        f'{", ".join(CODED[k])} (or null for "not recorded")')
    mu = d.get("most_urgent", 1)
    if isinstance(mu, bool) or mu not in (1, 5):
        problems.append(f'"most_urgent" must be 1 or 5 (got {json.dumps(mu)})')
    return problems


def _kind(v) -> str:
    return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false",
            type(None): "null"}.get(type(v), type(v).__name__)


# ---- the guess --------------------------------------------------------------------------------

@dataclass
class Guess:
    """A proposed mapping and everything about it a person must check."""

    mapping: Mapping
    how: dict[str, str] = field(default_factory=dict)  # field → how the column was found
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # field → codes that could mean several things
    unmapped: dict[str, list[str]] = field(default_factory=dict)  # field → codes no rule maps
    skipped: list[str] = field(default_factory=list)  # columns that look right by name but not by content
    unused: list[str] = field(default_factory=list)  # file columns mapped to nothing
    maybe: dict[str, str] = field(default_factory=dict)  # unused column → the missing input field it may hold (:func:`maybe_inputs`)
    chosen: bool = False  # the mapping a person chose (:func:`as_mapped`), not the app's guess

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.ambiguous or self.unmapped or "level" not in self.mapping.columns)

    def lines(self) -> list[str]:
        """The guess in words, for the CLI and the page."""
        out = [("Your mapping: " if self.chosen else "Guessed mapping: ")
               + (", ".join(f"{FIELD_LABELS[c]} ← {col!r}{' (' + self.how[c] + ')' if self.how.get(c) else ''}"
                            for c, col in self.mapping.columns.items()) or "nothing")]
        if "level" in self.mapping.columns:
            out.append(f"{'Chosen' if self.chosen else 'Assumed'}: level {self.mapping.most_urgent} is the most urgent end of "
                       f"{self.mapping.columns['level']!r}")
        for c, codes in self.mapping.codes.items():
            if given := {k: v for k, v in codes.items() if v is not None}:
                out.append(f"{FIELD_LABELS[c]} codes: " + ", ".join(f"{k!r} → {v}" for k, v in given.items()))
            if none := [k for k, v in codes.items() if v is None]:
                out.append(f"{FIELD_LABELS[c]}: {', '.join(map(repr, none))} read as not recorded")
        for c, codes in self.ambiguous.items():
            out.append(f"{FIELD_LABELS[c]}: numeric codes {', '.join(map(repr, codes))} are ambiguous (which is which?) — say so in a mapping")
        for c, codes in self.unmapped.items():
            out.append(f"{FIELD_LABELS[c]}: codes {', '.join(map(repr, codes))} are not known — say what they mean in a mapping")
        out += self.skipped
        if self.unused:
            out.append("Not used: " + ", ".join(_shown_name(c) + (f" (may be {FIELD_LABELS[self.maybe[c]]}: map it there if it is)"
                                                                  if c in self.maybe else "") for c in self.unused))
        return out


_UNNAMED = re.compile(r"^Unnamed: (\d+)(?:\.\d+)?$")


def _shown_name(col) -> str:
    """A column as the notes name it: pandas' ``Unnamed: 0`` for a header cell left empty is "the unnamed column 1" (its
    place in the file), as a person reading the file would call it."""
    m = _UNNAMED.match(str(col))
    return f"the unnamed column {int(m.group(1)) + 1}" if m else repr(col)


def _values(s: pd.Series, limit: int = 50) -> list[str]:
    t = s.astype(str).str.strip()
    return [v for v in t[~t.isin(PLACEHOLDERS)].unique()[:limit]]


# A unit written after a vital sign or an age ("141 bpm", "37.9 °C", "74 mmHg", "25/min", "62 y"): the number is read. A
# temperature in °F keeps its number, which the plausibility check then names as °F. Every vital of a file with units had
# been dropped as "has no numbers" (a sweep of messy exports, 2026-12-04).
# A pain score charted out of its maximum ("7/10", "7 / 10") is its number: such a column had been dropped as "has no numbers"
# and pain called "not in the file" (a sweep, 2026-12-05: 72 of 600 suggested levels changed).
_UNIT = re.compile(r"(?<=\d)\s*(?:bpm|beats?/min|breaths?/min|b/min|/min|per min|mm ?hg|[°º]\s?[cf]|deg ?[cf]|years?|yrs?|y/o|y|/\s*10)\.?$",
                   re.IGNORECASE)
# An age in months, weeks or days ("24 mo", "6 months", "10 days", "3 wk"): a child's age, read in years. It had been
# "unreadable, treated as not recorded" (and "24 mo" cannot simply lose its unit: 24 years).
_AGE_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(months?|mos?|mths?|m/o|weeks?|wks?|w/o|days?|d/o|d)\.?\s*$", re.IGNORECASE)
_PER_YEAR = {"m": 12.0, "w": 365.25 / 7, "d": 365.25}


def young_ages(s: pd.Series) -> pd.Series:
    """Ages written in months, weeks or days (:data:`_AGE_UNIT`), in years; NaN for every other cell. Computed once per
    distinct value, as :func:`to_number` is."""
    return on_distinct(_young_ages, s)


def _young_ages(s: pd.Series) -> pd.Series:
    m = s.astype(str).str.extract(_AGE_UNIT)
    n = pd.to_numeric(m[0].str.replace(",", ".", regex=False), errors="coerce")
    return n / m[1].str.lower().str[0].map(_PER_YEAR)


# Units only one field writes, stripped for that field alone (a bare "C" or "J" after another field's number means nothing):
# "37.5C", "37.5 C", "37.5 °" and "98.6 F" (kept as °F, which the plausibility check names, as it does "98.6°F"); "97% RA",
# "97 (RA)" (on room air; a saturation's % is dropped whether or not every value has one); "16 breaths"; "45J", "45 Jahre",
# "45 yrs old". Each had made its whole column "has no numbers; not used" (a sweep, 2026-12-06).
_FIELD_UNIT = {
    "temp": re.compile(r"(?<=\d)\s*(?:[°º]|deg(?:rees?)?)?\s*(?:[cf]|celsius|fahrenheit)?\.?$", re.IGNORECASE),
    "spo2": re.compile(r"(?<=\d)\s*%?\s*(?:\(\s*(?:ra|room air|on air)\s*\)|(?:on\s+)?(?:ra|room air|air))?\.?$", re.IGNORECASE),
    "rr": re.compile(r"(?<=\d)\s*(?:breaths?|resp(?:irations?)?|atemzüge)(?:\s*(?:/|per)\s*min(?:ute)?)?\.?$", re.IGNORECASE),
    "age": re.compile(r"(?<=\d)\s*(?:j|jahre?|jr?s?|years?\s+old|yrs?\s+old|yo)\.?$", re.IGNORECASE),
}


def field_number(canon: str, s: pd.Series) -> pd.Series:
    """``to_number`` for one field: an age in months, weeks or days is read in years (:func:`young_ages`), and a unit only
    this field writes (:data:`_FIELD_UNIT`) is dropped."""
    unit = _FIELD_UNIT.get(canon)
    v = to_number(s) if unit is None else on_distinct(lambda d: _to_number(d.astype(str).str.strip().str.replace(unit, "", regex=True)), s)
    if canon == "age":
        young = young_ages(s)
        v = v.where(young.isna(), young)
    return v


def to_number(s: pd.Series) -> pd.Series:
    """Numbers from text cells: decimal commas decided for the whole column (``text_to_numbers``: a comma that may be a
    thousands separator is not guessed, so such a cell stays unread and is counted as such), placeholders (``??``, ``-``,
    ``#N/A``) → missing, a unit after the number (:data:`_UNIT`, and ``%``) dropped. Computed once per distinct value."""
    return on_distinct(_to_number, s)


def _to_number(s: pd.Series) -> pd.Series:
    t = s.astype(str).str.strip().str.replace(_UNIT, "", regex=True)
    return text_to_numbers(t.where(~t.isin(PLACEHOLDERS), ""), thousands=False)[0]  # no vital sign reaches a thousand: 98.000 is 98


_LEVEL_WORDS = re.compile(r"^(?:level|lvl|esi|ktas|ctas|mts|ats|triage|acuity|category|cat|priority|prio|p)\s*[-:#.]?\s*([1-5])$", re.I)


# Level names of the five-level scales, 1 = most urgent: the Manchester Triage System's (Mackway-Jones et al., *Emergency
# Triage*, 3rd ed. 2014) names and colours, and the Canadian scale's names (CTAS; Beveridge et al. 1999), which the page uses.
LEVEL_NAMES = {"immediate": 1, "red": 1, "resuscitation": 1, "very urgent": 2, "orange": 2, "emergent": 2, "urgent": 3, "yellow": 3,
               "standard": 4, "green": 4, "less urgent": 4, "semi urgent": 4, "non urgent": 5, "nonurgent": 5, "blue": 5,
               "emergency": 2,  # the Australasian Triage Scale's category 2 (its 1, 3, 4, 5: resuscitation … non-urgent)
               # the German Manchester system's colours and names (Ersteinschätzung in der Notaufnahme): a German export's
               # 'Triagestufe' of Rot … Blau had read only 'Orange' (an analyst walkthrough, 2026-12-07)
               "rot": 1, "sofort": 1, "sehr dringend": 2, "gelb": 3, "dringend": 3, "grün": 4, "gruen": 4, "grun": 4, "normal": 4,
               "blau": 5, "nicht dringend": 5}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
# "2 - Emergent", "3: Urgent", "4) Less urgent" (an EHR's coded label): the leading digit is the level
_DIGIT_LABEL = re.compile(r"^([1-5])\s*[-:.)]\s*[^\W\d_][\w\s-]*$")
_ROMAN_LABEL = re.compile(r"^(?:(?:level|esi|ktas|ctas|mts|ats|triage|category|cat|priority)\s*[-:#.]?\s*)?(i{1,3}|iv|v)$", re.I)


def to_level(s: pd.Series, most_urgent: int = 1) -> pd.Series:
    """Triage levels from text cells: numbers as ``to_number`` reads them, labels that name one level in words (``Level 2``,
    ``ESI 3``, ``KTAS-1``, ``P4``) — the digit is the level — and the scales' level names (``Very urgent``, ``Green``,
    ``Non-urgent``, the Australasian ``Emergency``: :data:`LEVEL_NAMES`), an EHR's coded label (``2 - Emergent``: the
    digit) and Roman numerals (``II``, ``Level IV``); anything else is not a level. Names always mean 1 = most urgent, so with
    ``most_urgent == 5`` they are written on that scale (the caller turns the whole column round). Computed once per
    distinct value."""
    return on_distinct(lambda d: _to_level(d, most_urgent), s)


def _to_level(s: pd.Series, most_urgent: int) -> pd.Series:
    t = s.astype(str).str.strip()
    worded = t.str.extract(_LEVEL_WORDS)[0]
    worded = worded.where(worded.notna(), t.str.extract(_DIGIT_LABEL)[0])
    worded = worded.where(worded.notna(), t.str.extract(_ROMAN_LABEL)[0].str.lower().map(_ROMAN))
    named = t.str.lower().str.replace(r"[-_\s]+", " ", regex=True).map(LEVEL_NAMES)
    if most_urgent == 5:
        named = 6 - named
    num = _to_number(s)
    return num.where(worded.isna(), pd.to_numeric(worded, errors="coerce")).where(named.isna(), named)


def level_words(s: pd.Series, limit: int = 12) -> list[str]:
    """The values of a level column that are not read as a level (words of a scale of one's own: ``High``, ``Low``), most
    frequent first, at most ``limit`` — what a mapping's ``codes.level`` has to place (the page asks for each)."""
    t = s.astype(str).str.strip()
    none = t[t.str.lower() == "none"]  # a level word on some scales (vcd::Arthritis: None / Some / Marked), else a blank
    t = t[~t.isin(PLACEHOLDERS) & (t != "")]
    unread = t[to_level(t).isna()]
    if len(unread) and len(none):
        unread = pd.concat([unread, none])
    return [str(v) for v in unread.value_counts().index[:limit]]


def blank_value(field: str):
    """What "not recorded" is in a canonical frame: an empty complaint, no category, a missing number."""
    return "" if field == "complaint" else (None if field in CODED else np.nan)


def is_flag(s: pd.Series) -> bool:
    """A yes/no column: every readable value is 0 or 1 (never a 0–10 score)."""
    v = to_number(s).dropna()
    return len(v) >= 5 and bool(v.isin([0, 1]).all())


# "Pain (0-10)", "Temperature Celsius": a scale or a unit in words after the name (each was "Not used": a sweep, 2026-12-06)
_UNIT_SUFFIX = re.compile(r"_(?:bpm|mmhg|min|per_min|c|f|degc|degf|pct|percent|yrs|years|y|0_10|1_10|celsius|fahrenheit|jahre|ans|anos)$")
_BRACKETS = re.compile(r"\s*[(\[{][^)\]}]*[)\]}]\s*")


def field_name(col) -> str:
    """A column name as the guess compares it with the aliases: accents folded ("Sauerstoffsättigung" → sauerstoffsattigung; they
    had been dropped, "sauerstoffs_ttigung") and normalised (``normalise_name``)."""
    import unicodedata

    return normalise_name("".join(ch for ch in unicodedata.normalize("NFKD", str(col)) if not unicodedata.combining(ch)))


def _bare_name(col) -> str:
    """:func:`field_name` without a bracketed unit or scale and a unit after it: "Alter (Jahre)" → alter, "RR syst. (mmHg)" →
    rr_syst, "Puls (/min)" → puls (each was "Not used": an analyst walkthrough, 2026-12-07)."""
    return _UNIT_SUFFIX.sub("", field_name(_BRACKETS.sub(" ", str(col))))
RR_MEDIAN_MAX = 60  # breaths a minute: a column named RR with a higher median is a blood pressure


def _find_column(canon: str, df: pd.DataFrame, used: set) -> tuple[str | None, str, list[str]]:
    """(column, how, skipped notes) for one field: exact aliases in priority order, then close spellings."""
    names = {col: field_name(col) for col in df.columns if col not in used}
    skipped = []
    candidates = []
    for alias in ALIASES[canon]:
        candidates += [(col, "by name") for col, n in names.items() if n == alias]
    for alias in ALIASES[canon]:  # a unit after the name ("HeartRate_bpm", "Temp (F)", "SBP mmHg", "Alter (Jahre)") was "Not used"
        candidates += [(col, "by name, with its unit") for col, n in names.items()
                       if (_UNIT_SUFFIX.sub("", n) == alias or _bare_name(col) == alias) and all(col != c for c, _ in candidates)]
    for alias in ALIASES[canon]:  # "Patient Sex", "patient_gender", "Patient Age (years)": the field after a "patient" prefix
        candidates += [(col, "by name, after 'patient'") for col, n in names.items() if n.startswith("patient_")
                       and _UNIT_SUFFIX.sub("", n.removeprefix("patient_")) == alias and all(col != c for c, _ in candidates)]
    for col, n in names.items():
        close = difflib.get_close_matches(n, ALIASES[canon], n=1, cutoff=0.88)
        if close and all(col != c for c, _ in candidates):
            candidates.append((col, f"close to {close[0]!r}"))
    found = None
    for col, how in candidates:  # every look-alike that cannot be the field is reported, even after a match
        if canon == "pain" and is_flag(df[col]):
            skipped.append(f"{col!r} holds only 0 and 1 — a yes/no flag, not a 0–10 pain score; not used as {FIELD_LABELS['pain']}")
        elif canon in LABELS and to_level(df[col]).notna().sum() == 0 and len(_values(df[col])):
            # it said "has no numbers", and the refusal only "no column looks like the reference level"
            shown = ", ".join(map(repr, sorted(_values(df[col]))[:4]))
            ex = ", ".join(f"{json.dumps(v, ensure_ascii=False)}: n" for v in sorted(_values(df[col]))[:2])
            skipped.append(f"{col!r} holds {shown}{' …' if len(_values(df[col])) > 4 else ''} — not levels 1–5 (a number, a label such as "
                           f"'Level 2', or a triage scale's name); not used as {FIELD_LABELS[canon]} — to use it, map it and say which "
                           f"level each value is (on the page: the boxes under the column mapping; in a mapping file: \"columns\": {{\"{canon}\": {json.dumps(str(col), ensure_ascii=False)}}}, "
                           f"\"codes\": {{\"{canon}\": {{{ex}, …}}}}, each n a level 1–5)")
        elif canon in NUMERIC_FIELDS and field_number(canon, df[col]).notna().sum() == 0 and len(_values(df[col])):
            skipped.append(f"{col!r} has no numbers; not used as {FIELD_LABELS[canon]}")
        elif canon == "rr" and to_number(df[col]).median() > RR_MEDIAN_MAX:
            # German records write the blood pressure as "RR" (Riva-Rocci): read as breaths a minute, 783 of 800 values were
            # voided as implausible, the 17 systolic readings of 60–80 kept as breathing rates, and "AF" (Atemfrequenz) unused.
            skipped.append(f"{col!r} holds values like a blood pressure (median {to_number(df[col]).median():.0f}), not breaths a minute "
                           "— in German records RR is the blood pressure (Riva-Rocci); not used as Respiratory rate (map it yourself if "
                           "it is one)")
        elif found is None:
            found = (col, how)
    return (*(found or (None, "")), skipped)


def _code_words(canon: str, values: list[str]) -> dict[str, str]:
    """The words (lower case) the guess reads in coded column ``canon`` whose values are ``values``."""
    words = CODE_WORDS[canon]
    if canon == "sex" and "h" in {v.lower() for v in values}:
        # H/M is Spanish (hombre / mujer) and H/F French (homme / femme): with an H in the column, M is a woman — read as
        # English, a Spanish file's women had been men (a sweep, 2026-12-05)
        words = {**words, "h": "M", "m": "F", "v": "M"}
    return words


def word_codes(canon: str, values) -> dict[str, str]:
    """{value: the app's value} for the values of coded column ``canon`` written as words the guess knows (``Female`` → F,
    ``EMS`` → ambulance, ``Voice`` → V; any case) — the guess's codes, and a mapping's for a field it gives no codes."""
    values = [str(v) for v in values]
    words = _code_words(canon, values)
    return {v: words[v.lower()] for v in values if v.lower() in words}


def guess_mapping(df: pd.DataFrame) -> Guess:
    """Best guess from column names and word codes, with everything it could not decide."""
    cols, how, used, skipped = {}, {}, set(), []
    for canon in CANONICAL:
        col, h, sk = _find_column(canon, df, used)
        skipped += sk
        if col is not None:
            cols[canon], how[canon] = col, h
            used.add(col)
    g = Guess(Mapping(columns=cols), how=how, skipped=list(dict.fromkeys(skipped)))
    for canon, words in CODE_WORDS.items():
        if canon not in cols:
            continue
        vals = _values(df[cols[canon]])
        words = _code_words(canon, vals)
        g.mapping.codes[canon] = word_codes(canon, vals)
        numeric = [v for v in vals if v.lower() not in words and _is_number(v)]
        other = [v for v in vals if v.lower() not in words and not _is_number(v)]
        if numeric:
            g.ambiguous[canon] = sorted(numeric, key=_num_key)
        if other:
            g.unmapped[canon] = sorted(other)
    g.unused = [c for c in df.columns if c not in used]
    g.maybe = maybe_inputs(df, g.mapping)
    return g


def as_mapped(guess: Guess, mapping: Mapping, df: pd.DataFrame) -> Guess:
    """The guess as a person's ``mapping`` of ``df`` leaves it, for the page's box above the mapping: after 'hrtrate' was mapped
    to Heart rate and 'Coma', 'Stupor' given codes, the box had still said "codes 'Coma', 'Stupor' are not known" and "Not
    used: … 'hrtrate'" (an analyst walkthrough, 2026-12-07). A field mapped as guessed keeps how it was found; codes the
    mapping names (any case, as numbers) are placed; with no codes for a coded field its words are read as the reader reads
    them (:func:`word_codes`)."""
    from .records import code_key

    def placed(codes: dict) -> dict:  # the page sends a code it could not place as "not recorded" (None) until one is chosen
        return {k: {code_key(a): b for a, b in v.items() if b is not None} for k, v in codes.items() if any(b is not None for b in v.values())}

    if (mapping.columns == guess.mapping.columns and mapping.most_urgent == guess.mapping.most_urgent
            and placed(mapping.codes) == placed(guess.mapping.codes)):
        return guess
    how = {c: guess.how.get(c, "") if guess.mapping.columns.get(c) == col else "your choice" for c, col in mapping.columns.items()}
    g = Guess(Mapping(columns=dict(mapping.columns), codes={k: dict(v) for k, v in mapping.codes.items()}, most_urgent=mapping.most_urgent),
              how=how, chosen=True)
    for canon in CODE_WORDS:
        col = mapping.columns.get(canon)
        if col is None or col not in df:
            continue
        vals = _values(df[col])
        codes = mapping.codes.get(canon)
        named = {code_key(k) for k in (codes if codes is not None else word_codes(canon, vals))}
        left = [v for v in vals if code_key(v) not in named]
        if numeric := [v for v in left if _is_number(v)]:
            g.ambiguous[canon] = sorted(numeric, key=_num_key)
        if other := [v for v in left if not _is_number(v)]:
            g.unmapped[canon] = sorted(other)
    taken = set(mapping.columns.values())
    g.skipped = [sk for sk in guess.skipped if not any(sk.startswith(repr(col)) for col in taken)]
    g.unused = [c for c in df.columns if c not in taken]
    g.maybe = maybe_inputs(df, g.mapping)
    return g


def maybe_inputs(df: pd.DataFrame, mapping: Mapping) -> dict[str, str]:
    """{unused column: the input field it may hold} for the input fields ``mapping`` leaves out: a column whose name is like
    one of the field's aliases (a shared part of ≥ 3 letters, or 60 % alike) and whose values fit the field (numbers: 90 % of
    them inside its range; AVPU, sex, arrival: at most 8 distinct values; complaint: text). Said beside "Not used" and in the
    refusal of a file with too few inputs: that refusal had named the fields recorded, not the unused 'hrtrate' that was the
    heart rate (an analyst walkthrough, 2026-12-07)."""
    from .records import RANGES

    taken = set(mapping.columns.values())
    missing = [c for c in INPUTS if c not in mapping.columns]
    out = {}
    for col in df.columns:
        if col in taken:
            continue
        name = _bare_name(col)
        if len(name) < 2 or any(name in ALIASES[label] for label in LABELS):
            # a column named as a level is none of the inputs: headInjury's 'level' of mild / moderate / severe had been
            # offered as the mental status ("level" of consciousness; an analyst walkthrough, 2026-12-07, later)
            continue
        vals = _values(df[col], limit=200)
        if not vals:
            continue
        best, score = None, 0.0
        for canon in missing:
            like = max(max(difflib.SequenceMatcher(None, name, a).ratio(), 0.9 if len(a) >= 3 and (a in name or name in a) and
                           len(min(a, name, key=len)) >= 3 else 0.0) for a in ALIASES[canon])
            if like < 0.6 or like <= score:
                continue
            cell = df[col].astype(str).str.strip()
            cell = cell[~cell.isin(PLACEHOLDERS)]
            if canon in NUMERIC_FIELDS:
                v = field_number(canon, cell).dropna()
                lo, hi, _ = RANGES[canon]
                fits = len(v) >= 0.8 * len(cell) and len(v) > 0 and v.between(lo, hi).mean() >= 0.9
            elif canon == "complaint":
                fits = not all(_is_number(x) for x in vals)
            else:
                fits = len(vals) <= 8
            if fits:
                best, score = canon, like
        if best is not None:
            out[col] = best
    return out


def _is_number(v: str) -> bool:
    try:
        float(v.replace(",", "."))
        return True
    except ValueError:
        return False


def _num_key(v: str) -> float:
    return float(v.replace(",", ".")) if _is_number(v) else np.inf
