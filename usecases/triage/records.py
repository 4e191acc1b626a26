"""Triage records from users: privacy scrubbing, column and code mapping, validation.

Hospital exports are messy: ``;`` or ``,``, UTF-8 or Latin-1, decimal commas, placeholders for
missing values (``??``, ``-``, ``NA``, ``#N/A`` …) and coded categories. ``read_records`` detects what
it can (``usecases.core.tables``), drops columns that look like direct identifiers *before*
anything is shown, and proposes a mapping from the file's columns and codes to the canonical fields
that the user (page) or a JSON mapping file (CLI) can correct. Nothing is written to disk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usecases.core.tables import DEFAULT_NA, SPREADSHEET_NA, DataProblem, normalise_name, read_table

CANONICAL = ("age", "sex", "arrival", "complaint", "avpu", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2", "level", "nurse_level")
NUMERIC_FIELDS = ("age", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2")
CODED = {"sex": ("F", "M"), "arrival": ("walk-in", "ambulance", "other"), "avpu": ("A", "V", "P", "U")}
LABELS = ("level", "nurse_level")
REQUIRED = ("level",)  # training needs the reference label; every other field may be absent

# Plausible ranges (units) for single entries and file values.
RANGES = {"age": (0, 120, "years"), "pain": (0, 10, "0–10"), "sbp": (40, 300, "mmHg"), "dbp": (20, 200, "mmHg"),
          "hr": (20, 250, "/min"), "rr": (4, 80, "/min"), "temp": (30.0, 44.0, "°C"), "spo2": (50, 100, "%")}
FIELD_LABELS = {"age": "Age", "sex": "Sex", "arrival": "Arrival mode", "complaint": "Chief complaint", "avpu": "Mental status (AVPU)",
                "pain": "Pain score", "sbp": "Systolic BP", "dbp": "Diastolic BP", "hr": "Heart rate", "rr": "Respiratory rate",
                "temp": "Temperature", "spo2": "SpO₂", "level": "Reference level", "nurse_level": "Nurse level"}

ALIASES = {
    "age": ("age", "edad", "patient_age", "age_years", "alter"),
    "sex": ("sex", "gender", "geschlecht", "sexo"),
    "arrival": ("arrival", "arrival_mode", "mode_of_arrival", "arrival_transport", "transport"),
    "complaint": ("complaint", "chief_complaint", "chiefcomplaint", "cc", "reason", "reason_for_visit", "presenting_complaint"),
    "avpu": ("avpu", "mental", "mental_status", "consciousness", "loc", "level_of_consciousness"),
    "pain": ("pain", "pain_score", "nrs", "nrs_pain"),
    "sbp": ("sbp", "systolic", "sys_bp", "systolic_bp", "bp_sys"),
    "dbp": ("dbp", "diastolic", "dia_bp", "diastolic_bp", "bp_dia"),
    "hr": ("hr", "heart_rate", "heartrate", "pulse", "pr"),
    "rr": ("rr", "resp_rate", "respiratory_rate", "resprate"),
    "temp": ("temp", "temperature", "bt", "body_temperature"),
    "spo2": ("spo2", "sat", "o2sat", "o2_sat", "saturation", "sao2"),
    "level": ("level", "acuity", "ktas", "ktas_expert", "esi", "triage_level", "reference_level", "expert_level", "true_level"),
    "nurse_level": ("nurse_level", "ktas_rn", "nurse", "nurse_acuity", "rn_level"),
}

_ID_NAME = re.compile(r"(^|_)(name|first_?name|last_?name|surname|patient|patient_?id|mrn|record|chart|phone|tel|mobile|dob|birth|"
                      r"date_of_birth|address|street|zip|postcode|email|ssn|nhs|insurance|id)($|_)")
_PHONE = re.compile(r"^\+?[\d\s().-]{9,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
PLACEHOLDERS = tuple(dict.fromkeys(DEFAULT_NA + SPREADSHEET_NA + ("n.a.", "nd", "ND", "--", "N.A.", "?", "x", "X")))


def scrub(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop columns that look like names, ids, phone numbers, e-mails or dates of birth."""
    dropped = []
    keep = []
    for col in df.columns:
        n = normalise_name(col)
        values = df[col].astype(str).str.strip()
        values = values[~values.isin(PLACEHOLDERS)].head(200)
        looks = False
        if _ID_NAME.search(n) and not any(n == a for al in ALIASES.values() for a in al):
            looks = True
        elif len(values):
            share = lambda rx: values.str.match(rx).mean()  # noqa: E731
            looks = share(_PHONE) > 0.5 or share(_EMAIL) > 0.3 or (share(_DATE) > 0.5 and "date" not in n and "time" not in n) or share(_DATE) > 0.8
        (dropped if looks else keep).append(col)
    return df[keep], dropped


@dataclass
class Mapping:
    """File column for each canonical field, code maps for coded fields, and the scale direction."""

    columns: dict[str, str] = field(default_factory=dict)  # canonical → file column
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical → {file code: canonical value}
    most_urgent: int = 1  # 1 when level 1 is most urgent, 5 when level 5 is

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "codes": self.codes, "most_urgent": self.most_urgent}, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Mapping":
        try:
            d = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataProblem(f"it is not valid JSON ({exc})", "the mapping file") from None
        if not isinstance(d, dict) or not isinstance(d.get("columns", {}), dict):
            raise DataProblem('it must be an object like {"columns": {"hr": "Pulse"}, "codes": {...}, "most_urgent": 1}', "the mapping file")
        unknown = sorted(set(d.get("columns", {})) - set(CANONICAL))
        if unknown:
            raise DataProblem(f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} (fields: {', '.join(CANONICAL)})", "the mapping file")
        mu = d.get("most_urgent", 1)
        if mu not in (1, 5):
            raise DataProblem("most_urgent must be 1 or 5", "the mapping file")
        return cls(columns=dict(d.get("columns", {})), codes={k: {str(a): str(b) for a, b in v.items()} for k, v in d.get("codes", {}).items()}, most_urgent=mu)


_CODE_GUESS = {
    "sex": {"f": "F", "female": "F", "w": "F", "woman": "F", "2": "F", "m": "M", "male": "M", "man": "M", "1": "M"},
    "arrival": {"walk-in": "walk-in", "walkin": "walk-in", "walk in": "walk-in", "walk": "walk-in", "self": "walk-in", "1": "walk-in",
                "ambulance": "ambulance", "ems": "ambulance", "amb": "ambulance", "2": "ambulance", "public ambulance": "ambulance",
                "private ambulance": "ambulance", "other": "other", "3": "other", "police": "other", "transfer": "other", "private vehicle": "walk-in"},
    "avpu": {"a": "A", "alert": "A", "1": "A", "v": "V", "verbal": "V", "voice": "V", "2": "V", "p": "P", "pain": "P", "3": "P",
             "u": "U", "unresponsive": "U", "4": "U"},
}


def propose_mapping(df: pd.DataFrame) -> Mapping:
    """Best guess: columns by name (aliases), codes by common spellings."""
    cols = {}
    used = set()
    for canon, aliases in ALIASES.items():
        for col in df.columns:
            if col not in used and normalise_name(col) in aliases:
                cols[canon] = col
                used.add(col)
                break
    codes = {}
    for canon, guess in _CODE_GUESS.items():
        if canon in cols:
            vals = df[cols[canon]].astype(str).str.strip()
            vals = vals[~vals.isin(PLACEHOLDERS)].unique()[:50]
            codes[canon] = {v: guess[v.lower()] for v in vals if v.lower() in guess}
    return Mapping(columns=cols, codes=codes)


def _to_number(s: pd.Series) -> pd.Series:
    t = s.astype(str).str.strip().str.replace(r"^(\d+),(\d+)$", r"\1.\2", regex=True)
    return pd.to_numeric(t.where(~t.isin(PLACEHOLDERS)), errors="coerce")


def apply_mapping(df: pd.DataFrame, mapping: Mapping, *, require_labels: bool = True, subject: str = "the file") -> tuple[pd.DataFrame, list[str]]:
    """Canonical records from a scrubbed raw frame; returns (records, notes). Raises DataProblem."""
    problems, notes = [], []
    missing_cols = [c for c, col in mapping.columns.items() if col not in df.columns]
    if missing_cols:
        problems.append("mapped column(s) not in the file: " + ", ".join(f"{c} → {mapping.columns[c]!r}" for c in missing_cols))
    if require_labels and "level" not in mapping.columns:
        problems.append("no column is mapped to the reference level, which training and evaluation need")
    usable = [c for c in mapping.columns if c not in LABELS]
    if not usable:
        problems.append("no column is mapped to a triage field (age, vitals, complaint …)")
    if problems:
        raise DataProblem(problems, subject)
    out = pd.DataFrame(index=df.index)
    for canon, col in mapping.columns.items():
        raw = df[col]
        if canon in NUMERIC_FIELDS:
            v = _to_number(raw)
            bad_text = raw.astype(str).str.strip().pipe(lambda t: ~t.isin(PLACEHOLDERS) & v.isna())
            if bad_text.any():
                ex = raw[bad_text].astype(str).head(3).tolist()
                notes.append(f"{FIELD_LABELS[canon]}: {int(bad_text.sum())} unreadable values treated as missing (e.g. {', '.join(map(repr, ex))})")
            lo, hi, unit = RANGES[canon]
            out_of = (v < lo) | (v > hi)
            if out_of.any():
                notes.append(f"{FIELD_LABELS[canon]}: {int(out_of.sum())} values outside {lo}–{hi} {unit} treated as missing")
                v = v.where(~out_of)
            out[canon] = v
        elif canon in CODED:
            codes = mapping.codes.get(canon, {})
            t = raw.astype(str).str.strip()
            mapped = t.map(codes)
            unmapped = ~t.isin(PLACEHOLDERS) & mapped.isna()
            if unmapped.any():
                vals = sorted(t[unmapped].unique())[:5]
                notes.append(f"{FIELD_LABELS[canon]}: codes {', '.join(map(repr, vals))} are not mapped and are treated as unknown")
            out[canon] = mapped.astype(object)  # categories, even when no code matched
        elif canon in LABELS:
            v = _to_number(raw)
            bad = v.notna() & ~v.isin([1, 2, 3, 4, 5])
            if bad.any():
                problems.append(f"{FIELD_LABELS[canon]}: {int(bad.sum())} values outside the 1–5 scale (e.g. {', '.join(map(repr, raw[bad].astype(str).head(3).tolist()))})")
            if mapping.most_urgent == 5:
                v = 6 - v
            out[canon] = v
        else:  # complaint
            out[canon] = raw.astype(str).str.strip().where(~raw.astype(str).str.strip().isin(PLACEHOLDERS), "")
    if "sbp" in out and "dbp" in out:
        inv = out["dbp"] >= out["sbp"]
        if inv.any():
            notes.append(f"Diastolic ≥ systolic in {int(inv.sum())} rows: both treated as missing there")
            out.loc[inv, ["sbp", "dbp"]] = np.nan
    if require_labels and "level" in out:
        n_missing = int(out["level"].isna().sum())
        if n_missing:
            notes.append(f"{n_missing} rows without a reference level left out")
            out = out[out["level"].notna()]
    if problems:
        raise DataProblem(problems, subject)
    for c in CANONICAL:
        if c not in out:  # not in the file: missing numbers, unknown categories, no complaint text
            out[c] = "" if c == "complaint" else pd.Series(None, index=out.index, dtype=object) if c in CODED else np.nan
    return out.reset_index(drop=True), notes


@dataclass
class Records:
    frame: pd.DataFrame  # canonical fields
    source: str
    dropped: list[str]
    notes: list[str]
    mapping: Mapping
    read_info: object = None


def read_raw(raw: bytes, filename: str) -> tuple[pd.DataFrame, object, list[str]]:
    """Read a messy export and scrub identifiers. Returns (frame, read info, dropped columns)."""
    subject = f"“{filename}”"
    df, info = read_table(raw, max_bytes=50 * 1024 * 1024, encodings=("utf-8", "cp1252"), subject=subject)
    if len(df) == 0:
        raise DataProblem("it has no data rows", subject)
    df, dropped = scrub(df)
    if df.shape[1] == 0:
        raise DataProblem("no usable columns remain after removing identifiers", subject)
    return df, info, dropped


def read_records(raw: bytes, filename: str, mapping: Mapping | None = None, *, require_labels: bool = True, min_per_level: int = 2) -> Records:
    df, info, dropped = read_raw(raw, filename)
    mapping = mapping or propose_mapping(df)
    subject = f"“{filename}”"
    recs, notes = apply_mapping(df, mapping, require_labels=require_labels, subject=subject)
    if require_labels:
        counts = recs["level"].value_counts()
        present = [int(l) for l in counts.index]
        if len(present) < 2:
            raise DataProblem(f"only level {present[0] if present else '—'} occurs; at least two levels are needed to train and evaluate", subject)
        thin = [f"level {int(l)}: {int(c)}" for l, c in counts.sort_index().items() if c < min_per_level]
        if thin:
            raise DataProblem(f"too few rows per level to evaluate ({'; '.join(thin)}; at least {min_per_level} each for the levels present)", subject)
        if len(recs) < 30:
            raise DataProblem(f"it has {len(recs)} labelled rows; at least 30 are needed", subject)
    return Records(frame=recs, source=f"your file {filename} ({len(recs):,} records)", dropped=dropped, notes=notes, mapping=mapping, read_info=info)


def check_patient(entry: dict) -> dict:
    """Validate one intake-form entry; raise DataProblem naming each implausible field."""
    problems = []
    out = dict(entry)
    for k, (lo, hi, unit) in RANGES.items():
        v = entry.get(k)
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        if not lo <= float(v) <= hi:
            problems.append(f"{FIELD_LABELS[k]} {v:g} is outside the plausible range {lo:g}–{hi:g} {unit}")
    s, d = entry.get("sbp"), entry.get("dbp")
    if s is not None and d is not None and not (np.isnan(s) or np.isnan(d)) and d >= s:
        problems.append(f"Diastolic BP ({d:g}) must be lower than systolic BP ({s:g})")
    for k, allowed in CODED.items():
        if entry.get(k) not in (None, "", *allowed):
            problems.append(f"{FIELD_LABELS[k]} must be one of {', '.join(allowed)}")
    if problems:
        raise DataProblem(problems, "this patient's entry")
    return out
