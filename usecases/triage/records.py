"""Triage records from users: privacy scrubbing, applying a mapping, validation.

Hospital exports are messy: ``;`` or ``,``, UTF-8 or Latin-1, decimal commas, placeholders for
missing values (``??``, ``-``, ``#N/A`` …) and coded categories. ``read_records`` detects what it can
(``usecases.core.tables``), drops columns that look like direct identifiers *before* anything is
shown, and applies a mapping (the user's, or a guess — see :mod:`.mapping`). Every value it cannot
use is counted per column in ``Records.notes``; a column that cannot be right (no readable number,
every value out of range, a 0/1 flag as a pain score) is refused with a hint. Nothing is written to disk.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from usecases.core.protocol import fingerprint
from usecases.core.tables import FILE_LINES, UNITS_LINE, DataProblem, file_line, no_rows, normalise_name, read_table

MIN_ROWS = 30  # labelled rows a file needs to train and be evaluated by cross-validation (the pipeline's split uses it too)

from .mapping import (ALIASES, CANONICAL, CODED, FIELD_LABELS, INPUTS, LABELS, NUMERIC_FIELDS, PLACEHOLDERS, Guess, Mapping,
                      field_number, guess_mapping, is_flag, maybe_inputs, to_level, to_number, word_codes, young_ages)

__all__ = ["CANONICAL", "CODED", "FIELD_LABELS", "PLACEHOLDERS", "Mapping", "Records", "RANGES", "read_raw", "read_records",
           "apply_mapping", "check_patient", "check_enough", "thin_rows", "scrub"]

# Plausible ranges (units) for single entries and file values.
RANGES = {"age": (0, 120, "years"), "pain": (0, 10, "points"), "sbp": (40, 300, "mmHg"), "dbp": (20, 200, "mmHg"),
          "hr": (20, 250, "/min"), "rr": (4, 80, "/min"), "temp": (30.0, 44.0, "°C"), "spo2": (50, 100, "%")}
VITALS = ("avpu", "sbp", "hr", "rr", "temp", "spo2")
MIN_VITALS = 3  # without a complaint, a suggested level needs at least this many vital signs

# "patient" is an identifier alone or with an id, name or number part ("patient", "Patient ID", "patient no"), not as the
# prefix of a field ("Patient Sex", "patient_gender", "Patient Age (years)" had been left out as identifiers: a sweep, 2026-12-06)
_ID_NAME = re.compile(r"(^|_)(name|first_?name|last_?name|surname|patient_?id|mrn|record|chart|phone|tel|telefon|mobile|dob|birth|"
                      r"geburtsdatum|date_of_birth|address|street|zip|postcode|email|ssn|nhs|insurance|id)($|_)"
                      r"|^patient(_?(id|name|number|num|no|nr))?$")
# Other languages' ids and names (an analyst walkthrough, 2026-12-07: a German export's 'Patienten-Nr.' was shown in the preview
# under "columns that look like names, ids … are dropped", while 'patient_id' was dropped). The name is read accent-folded, with
# "#", "N°" and "Nº" read as "nr", and split into words: a name word (Name, Nom, Nombre, Vorname, Prénom …) or a compound
# (Fallnummer, PatientenID) is an identifier; a number word (Nr., No., Nummer, Numéro, número …) is one alone or beside words
# saying whose number it is (patient, case, admission …) — not beside a measure ("Number of visits", "Nombre de pas" are not).
_NAME_WORDS = frozenset("name names nom noms prenom vorname nachname familienname surname forename firstname lastname apellido apellidos "
                        "cognome nome sobrenome initials initialen kennung identifier identifiant identificador pid mrn ipp nip dni "
                        "nss nir ahv svnr telefon telefono telephone telefone tel handy mobil movil cellulare adresse direccion "
                        "indirizzo endereco strasse anschrift correo courriel geburtsdatum geburtstag naissance nacimiento".split())
# "nombre" is a name in Spanish and a count in French ("Nombre de pas"): read as a number word, one beside whose it is
_NUMBER_WORDS = frozenset("nr no nro num numb number nummer numero numeros nombre".split())
_WHOSE = frozenset("patient patients patienten paciente pacientes patiente pat case fall caso cas record dossier akte expediente "
                   "admission aufnahme ingreso admission encounter visit chart file fichier kranken krankenhaus versicherten "
                   "of de du del di der des the".split())
_COMPOUND = re.compile(r"^(patient(en)?|pat|fall|aufnahme|kranken|versicherten|versicherungs|haus|paciente|case)(nr|nummer|number|no|id|name)$"
                       r"|nummer$")
_PHONE = re.compile(r"^\+?[\d\s().-]{9,}$")
# A number written with decimals ("45.123456789", "37.500000", "36,812345") is no phone number, however many digits it has
# (an age or temperature column exported with six decimals had been left out as phone numbers: a sweep, 2026-12-06). Its
# whole part has no leading zero, so "030.1234567" (a phone number written with a dot) still counts as one.
_DECIMAL = re.compile(r"^[+-]?(?:0|[1-9]\d*)[.,]\d+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
# the same separator twice: "7.0/10" (a pain score charted out of ten) had been dropped as a date of birth
_DATE = re.compile(r"^\d{1,4}([-/.])\d{1,2}\1\d{1,4}$")
SCRUBBED = "scrubbed"  # df.attrs key set by scrub: {column: why it was left out}, so a mapping that names one is told why


def _id_words(col) -> list[str]:
    """The words of a column name, accent-folded ("Numéro" → numero), "#" / "N°" / "Nº" read as "nr"."""
    import unicodedata

    text = re.sub(r"(?i)\bn\s*[°º]", " nr ", str(col)).replace("#", " nr ")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _named_as_identifier(col) -> bool:
    """Does column ``col``'s name say it holds a name or an id, in English or another language (:data:`_NAME_WORDS` …)?"""
    n = normalise_name(col)
    if any(n == a for al in ALIASES.values() for a in al):
        return False
    if _ID_NAME.search(n):
        return True
    words = _id_words(col)
    if not words:
        return False
    if any(w in _NAME_WORDS or w == "id" or _COMPOUND.search(w) for w in words):
        return True
    return any(w in _NUMBER_WORDS for w in words) and all(w in _NUMBER_WORDS or w in _WHOSE for w in words)


def _why_identifier(col, values: pd.Series) -> str | None:
    """Why column ``col`` (its filled cells ``values``) looks like a direct identifier, or ``None`` when it does not."""
    n = normalise_name(col)
    if _named_as_identifier(col):
        return "its name is an identifier's"
    if not len(values):
        return None
    share = lambda rx: values.str.match(rx).mean()  # noqa: E731
    if (values.str.match(_PHONE) & ~values.str.match(_DECIMAL)).mean() > 0.5:
        return "its values look like phone numbers"
    if share(_EMAIL) > 0.3:
        return "its values look like e-mail addresses"
    if (share(_DATE) > 0.5 and "date" not in n and "time" not in n) or share(_DATE) > 0.8:
        return "its values look like dates of birth"
    return None


def scrub(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop columns that look like names, ids, phone numbers, e-mails or dates of birth; ``attrs[SCRUBBED]`` says why."""
    why = {}
    for col in df.columns:
        values = df[col].astype(str).str.strip()
        reason = _why_identifier(col, values[~values.isin(PLACEHOLDERS)].head(200))
        if reason:
            why[col] = reason
    out = df[[c for c in df.columns if c not in why]]
    out.attrs.update(df.attrs)
    out.attrs[SCRUBBED] = why
    return out, list(why)


def _fahrenheit_hint(canon: str, v: pd.Series) -> str:
    if canon == "spo2" and v.between(0, 1).all():  # 0.97 for 97 %: "check the column and its unit" had left the fix to guess
        return " — they look like a fraction: multiply by 100 (0.97 is 97 %)"
    if canon == "temp" and v.between(86, 112).mean() > 0.8:
        return " — they look like °F: convert with °C = (°F − 32) × 5/9 before uploading"
    if canon == "temp" and v.between(300, 320).mean() > 0.8:
        return " — they look like kelvin: subtract 273.15"
    return " — check the column and its unit"


# What a value outside its plausible range becomes: a warning, not one reading note among many — a heart rate of 400 had
# been dropped and the patient given level 2 with a note inside the collapsed notes (a sweep, 2026-12-05).
IGNORED = "treated as not recorded"
UNMAPPED = "treated as not recorded"  # a code the mapping does not name; with a mapping given (not guessed), a warning


# A pain column's words for no pain: a score of 0 ("none" had been a placeholder, so such patients were "not recorded" without a
# word; a sweep, 2026-12-06). In this column only: elsewhere "none" stays not recorded.
NO_PAIN = ("none", "no pain", "kein", "keine", "kein schmerz", "keine schmerzen")


def _numeric(canon: str, raw: pd.Series, problems: list, notes: list) -> pd.Series:
    label = FIELD_LABELS[canon]
    if canon == "pain":
        text = raw.astype(str).str.strip()
        zero = text.str.lower().isin(NO_PAIN)
        if zero.any():
            notes.append(f"{label}: {int(zero.sum())} values saying no pain ({', '.join(map(repr, text[zero].drop_duplicates().head(3)))}) "
                         "read as 0 — if they mean not recorded, leave those cells empty")
            raw = raw.where(~zero, "0")
    v = field_number(canon, raw)
    if canon == "age" and (young := young_ages(raw).notna()).any():
        ex = raw[young].astype(str).head(2).tolist()
        notes.append(f"{label}: {int(young.sum())} ages in months, weeks or days read in years (e.g. "
                     + ", ".join(f"{e!r} = {v[young].iloc[i]:.2g}" for i, e in enumerate(ex)) + ")")
    text = raw.astype(str).str.strip()
    unreadable = ~text.isin(PLACEHOLDERS) & v.isna()
    if unreadable.any():
        ex = raw[unreadable].astype(str).head(3).tolist()
        notes.append(f"{label}: {int(unreadable.sum())} unreadable values treated as not recorded (e.g. {', '.join(map(repr, ex))})")
    if canon == "pain" and is_flag(raw):
        problems.append(f"{label}: column {raw.name!r} holds only 0 and 1 — a yes/no flag, not a 0–10 pain score; map the 0–10 (NRS) "
                        "column or leave pain unmapped")
        return v
    lo, hi, unit = RANGES[canon]
    known = v.notna()
    out_of = known & ~v.between(lo, hi)
    if known.sum() == 0:
        notes.append(f"{label}: column {raw.name!r} has no readable values; treated as not recorded")
    elif known.sum() >= 3 and out_of[known].all():
        problems.append(f"{label}: all {int(known.sum())} values of {raw.name!r} lie outside {lo:g}–{hi:g} {unit} "
                        f"(from {v[known].min():g} to {v[known].max():g}){_fahrenheit_hint(canon, v[known])}")
    elif known.sum() >= 3 and out_of[known].mean() > 0.5:
        # most of the column implausible: another measurement under this name (respiratory rates named "hr"), whose few
        # plausible values had been read as this field — 92 more patients put at level 1, with a note
        ex = sorted({f"{x:g}" for x in v[out_of].head(20)})[:3]
        problems.append(f"{label}: {int(out_of.sum())} of the {int(known.sum())} values of {raw.name!r} lie outside {lo:g}–{hi:g} {unit} "
                        f"(e.g. {', '.join(ex)}) — more than half, so its other values cannot be trusted either: does the column hold "
                        f"another measurement or unit? Check which column holds which "
                        f"{'measurement' if canon in ('age', 'pain') else 'vital sign'}{_fahrenheit_hint(canon, v[out_of]) if canon == 'temp' else ''}"
                        + (" — a 0–100 pain scale (VAS) divided by 10 gives the 0–10 score" if canon == "pain" and v[known].max() <= 100 else ""))
    elif out_of.any():
        ex = sorted({f"{x:g}" for x in v[out_of].head(20)})[:3]
        unit_hint = _fahrenheit_hint(canon, v[out_of])  # some rows in °F among °C ones: say so, not only "outside 30–44 °C"
        where = ", ".join(f"line {file_line(raw, int(i))}: {v[i]:g}" for i in raw.index[out_of.to_numpy()][:3]) + (" …" if out_of.sum() > 3 else "")
        notes.append(f"{label}: {int(out_of.sum())} of {int(known.sum())} values outside {lo:g}–{hi:g} {unit} {IGNORED} "
                     f"({where}){unit_hint if 'look like' in unit_hint else ''}")
    return v.where(~out_of)


def code_key(value) -> str:
    """How a file's value meets a mapping's code: stripped, in lower case, a whole number as its digits ("1.0" → "1")."""
    t = str(value).strip().lower()
    try:
        f = float(t)
        return str(int(f)) if f.is_integer() and "e" not in t else t
    except (ValueError, OverflowError):
        return t


def _coded(canon: str, raw: pd.Series, codes: dict | None, notes: list) -> pd.Series:
    """A coded field read through ``codes`` (file code → the app's value). With no codes given for the field at all (a
    mapping file that names the column and nothing more), values are read as the guess reads them (:func:`word_codes`:
    the app's own ``F``/``M``, ``walk-in`` …, ``A``/``V``/``P``/``U`` and the words ``Female``, ``EMS``, ``Voice`` …, any
    case), with a note naming each word read as another value: the app's own had all been dropped as "not mapped" (a
    real-file check, 2026-12-03), and the words until 2026-12-06. A field whose codes were given, even empty (codes mapped to
    null), is read through them alone."""
    t = raw.astype(str).str.strip()
    if codes is None:  # the words the guess reads ("Female", "EMS", "Voice"): a mapping of columns only had lost them all
        codes = word_codes(canon, t[~t.isin(PLACEHOLDERS)].unique())
        read = {k: v for k, v in codes.items() if k.lower() != v.lower()}
        if read:
            notes.append(f"{FIELD_LABELS[canon]}: the mapping gives no codes, so its words are read as the guess reads them: "
                         + ", ".join(f"{k!r} → {v}" for k, v in list(read.items())[:8]) + (" …" if len(read) > 8 else ""))
    # codes match in any case and "1" matches "1.0" ("female" for the file's "Female" had left 84 values not recorded)
    keys = t.map(code_key)
    mapped = keys.map({code_key(k): v for k, v in codes.items()})
    named = keys.isin({code_key(k) for k in codes})
    unmapped = ~t.isin(PLACEHOLDERS) & ~named
    if unmapped.any():
        vals = sorted(t[unmapped].unique())[:6]
        n = int(unmapped.sum())
        notes.append(f"{FIELD_LABELS[canon]}: {n} value{'s' if n != 1 else ''} with code{'s' if len(vals) != 1 else ''} "
                     f"{', '.join(map(repr, vals))} not mapped — {UNMAPPED}")
    nulled = ~t.isin(PLACEHOLDERS) & named & mapped.isna()  # mapped to null on purpose: not "not mapped" (a sweep, 2026-12-06)
    if nulled.any():
        vals = sorted(t[nulled].unique())[:6]
        n = int(nulled.sum())
        notes.append(f"{FIELD_LABELS[canon]}: {n} value{'s' if n != 1 else ''} with code{'s' if len(vals) != 1 else ''} "
                     f"{', '.join(map(repr, vals))} read as not recorded, as the mapping says")
    # "None" is a missing-value marker to pandas and spreadsheets, but in a coded column beside real codes it can be one of them
    # ("None" / "Stupor" / "Coma": no coma, i.e. alert) — 185 of 200 such rows had been read as not recorded without a word (a
    # sweep, 2026-12-06). Still read as missing (it usually is), but said, with how to map it.
    word_none = t.str.lower().isin(("none", "nil")) & mapped.isna()
    if word_none.sum() >= max(5, 0.1 * len(t)) and (~t.isin(PLACEHOLDERS)).any():
        w = t[word_none].mode().iloc[0]
        notes.append(f"{FIELD_LABELS[canon]}: {int(word_none.sum())} values {w!r} read as not recorded — if {w!r} is a value in this "
                     f"column, not a blank, map it with a mapping file (codes {{{w!r}: …}}; `--mapping` on the command line)")
    return mapped.astype(object)


def _level_hint(levels: pd.Series) -> str:
    """What to do about reference levels outside 1–5, from what the column holds (a real-file check, 2026-12-03: a 6-level
    scale, a 0-based one and a half level were each refused with no word of what to do)."""
    if (levels % 1 != 0).any():
        return "levels are whole numbers; round or recode the column to 1–5"
    if levels.min() == 0 and levels.max() <= 4:
        return "the scale looks 0-based (0–4): add 1 to every level, or recode it to 1–5"
    if levels.max() > 5:
        return (f"a scale of {int(levels.max())} levels has to become five before training: merge the levels that matter least "
                "(or leave those rows out); the app triages on five")
    return "write each level as 1–5"


def apply_mapping(df: pd.DataFrame, mapping: Mapping, *, require_labels: bool = True, subject: str = "the file") -> tuple[pd.DataFrame, list[str]]:
    """Canonical records from a scrubbed raw frame; returns (records, notes). Raises DataProblem."""
    problems, notes = [], []
    by_name: dict[str, list[str]] = {}
    for col in df.columns:
        by_name.setdefault(normalise_name(col), []).append(col)
    fixed = {}
    for c, col in mapping.columns.items():  # "Vote" for the file's "vote": read it, and say so (it was refused without a hint)
        same = by_name.get(normalise_name(col), []) if col not in df.columns else []
        if len(same) == 1:
            fixed[c] = same[0]
            notes.append(f"the mapping's column {col!r} ({FIELD_LABELS.get(c, c)}) is read as the file's {same[0]!r}")
    if fixed:
        mapping = dataclasses.replace(mapping, columns={**mapping.columns, **fixed})
        twice = sorted({c for c in mapping.columns.values() if list(mapping.columns.values()).count(c) > 1})
        if twice:  # "hrtrate" for heart rate and "HRTRATE" for the respiratory rate: one column, two fields
            raise DataProblem([f"column {c!r} is mapped to more than one field (" + ", ".join(
                FIELD_LABELS.get(k, k) for k, v in mapping.columns.items() if v == c) + ")" for c in twice], subject)
    missing_cols = [c for c, col in mapping.columns.items() if col not in df.columns]
    absent_labels = [c for c in missing_cols if c in LABELS and not require_labels]
    if absent_labels:  # scoring: the mapping the training file needed may name its level columns, which a file to score lacks
        notes.append("Not in this file, and not needed to score it: " + ", ".join(f"{FIELD_LABELS[c]} ({mapping.columns[c]!r})"
                                                                                for c in absent_labels))
        mapping = dataclasses.replace(mapping, columns={c: col for c, col in mapping.columns.items() if c not in absent_labels})
        missing_cols = [c for c in missing_cols if c not in absent_labels]
    # a mapped column that scrub left out is in the file: say why it was not read (it had been "not in the file")
    scrubbed = {normalise_name(k): (k, why) for k, why in df.attrs.get(SCRUBBED, {}).items()}
    left_out = [c for c in missing_cols if normalise_name(mapping.columns[c]) in scrubbed]
    if left_out:
        problems.append("mapped column(s) left out as identifiers before anything is read: " + ", ".join(
            f"{c} → {scrubbed[normalise_name(mapping.columns[c])][0]!r} ({scrubbed[normalise_name(mapping.columns[c])][1]})" for c in left_out)
            + " — identifiers are never read: map the column that holds the field, or write its values as plain numbers or words")
        missing_cols = [c for c in missing_cols if c not in left_out]
    if missing_cols:
        close = {c: difflib.get_close_matches(str(mapping.columns[c]), [str(x) for x in df.columns], n=1, cutoff=0.6) for c in missing_cols}
        problems.append("mapped column(s) not in the file: " + ", ".join(
            f"{c} → {mapping.columns[c]!r}" + (f" (did you mean {close[c][0]!r}?)" if close[c] else "") for c in missing_cols)
            + f" — the file's columns: {', '.join(map(str, df.columns[:15]))}{' …' if len(df.columns) > 15 else ''}")
    if require_labels and "level" not in mapping.columns:
        problems.append("no column is mapped to the reference level, which training and evaluation need — choose the column that "
                        "holds each patient's triage level under “Reference level” in the column mapping (on the command line: "
                        "\"level\": \"your column\" in the mapping file's columns)")
    if not [c for c in mapping.columns if c not in LABELS]:
        # a mapping file replaces the guess: one that names only the levels left every field unread, and said so vaguely
        others = guess_mapping(df).mapping.columns
        took = [f'"{c}": {json.dumps(str(col), ensure_ascii=False)}' for c, col in others.items() if c not in LABELS]
        if took:
            problems.append("no column is mapped to a triage field (age, vitals, complaint …): a mapping file replaces the app's guess, "
                            f"so list them in its \"columns\" — the guess would take {', '.join(took[:8])}{' …' if len(took) > 8 else ''}")
        else:  # nothing to guess either: no mapping file need be involved (it spoke of one to a user who had given none)
            problems.append(f"no column is recognised as a triage field (age, sex, complaint, vital signs …) — the file's columns: "
                            f"{', '.join(map(str, df.columns[:12]))}{' …' if len(df.columns) > 12 else ''}; name them as the example "
                            "export does (age, sex, complaint, sbp, hr, spo2 …), or map them (the Your records tab, or a mapping file)")
    if problems:
        raise DataProblem(problems, subject)
    out = pd.DataFrame(index=df.index)
    if FILE_LINES in df.attrs:  # the file line of each row, when blank lines shifted them (a note names a row by its line)
        out.attrs[FILE_LINES] = df.attrs[FILE_LINES]
    for canon, col in mapping.columns.items():
        raw = df[col]
        if canon in NUMERIC_FIELDS:
            out[canon] = _numeric(canon, raw, problems, notes)
        elif canon in CODED:
            out[canon] = _coded(canon, raw, mapping.codes.get(canon), notes)
        elif canon in LABELS:
            v = to_level(raw, mapping.most_urgent)
            given = mapping.codes.get(canon)
            if given:  # the mapping's own level words ({"High": 1, "Low": 5}), in any case; null = not known
                key = raw.astype(str).map(code_key)
                table = {code_key(k): (np.nan if t is None else float(t)) for k, t in given.items()}
                hit = key.isin(list(table))
                if not hit.any():  # "1" in the codes, "1.0" in the file had matched nothing, and the numbers were read unrecoded
                    problems.append(f"{FIELD_LABELS[canon]}: no value of column {mapping.columns[canon]!r} is one of the mapping's level "
                                    f"codes ({', '.join(map(repr, list(given)[:5]))}); the column holds "
                                    f"{', '.join(map(repr, raw.astype(str).str.strip().drop_duplicates().head(5).tolist()))}")
                v = v.where(~hit, key.map(table))
                raw = raw.where(~(hit & v.isna()), "")  # coded "not known": a blank cell, not a value left unread
            bad = v.notna() & ~v.isin([1, 2, 3, 4, 5])
            if bad.any():
                said = (f"{FIELD_LABELS[canon]}: {int(bad.sum())} values that are not one of the levels 1–5 "
                        f"(e.g. {', '.join(map(repr, raw[bad].astype(str).drop_duplicates().head(3).tolist()))})")
                if require_labels:
                    problems.append(f"{said} — {_level_hint(v[v.notna()])}")
                else:  # scoring needs no reference level: those rows are scored without one (the whole file had been refused)
                    notes.append(f"{said}: those rows are scored without a reference level")
                    v = v.where(~bad)
            # A level written in words the app does not know was read as blank: 157 "emergency" rows (the Australasian
            # scale's level 2) left out as "rows without a reference level", and a model trained with no level 2 at all.
            text = raw.astype(str).str.strip()
            # (values already said above as not one of the levels are not said again: "7 values … not one of the levels 1–5"
            # and "7 values not read as a level" had both stood for the same 7 rows; a sweep, 2026-12-07)
            unread = v.isna() & ~bad & raw.notna() & ~text.isin(PLACEHOLDERS) & (text != "")
            none = (text.str.lower() == "none") & ~text.str.lower().isin([str(k).strip().lower() for k in (given or {})])
            worded = (~text.isin(PLACEHOLDERS) & (text != "") & to_number(text).isna()).any()  # the column writes its levels in words
            if worded and none.any():  # vcd::Arthritis's Improved: None / Some / Marked — "None" is a level there, not a blank
                unread |= none
            if unread.any():
                said = (f"{FIELD_LABELS[canon]}: {int(unread.sum()):,} value{'s' if unread.sum() > 1 else ''} not read as a level "
                        f"(e.g. {', '.join(map(repr, text[unread].value_counts().index[:3].tolist()))})")
                if require_labels:
                    ex = text[unread].drop_duplicates().head(3).tolist()
                    problems.append(f"{said} — write each level as 1–5, a label such as 'Level 2' or 'ESI 2', or a scale's name "
                                    "(resuscitation, emergent, urgent, less urgent, non-urgent), or say which level each value "
                                    "is (the page's level boxes under the column mapping; a mapping file's \"codes\": {\"" + canon + "\": {"
                                    + ", ".join(f"{json.dumps(x, ensure_ascii=False)}: n" for x in ex) + ", …}}, each n a level 1–5); "
                                    "a blank cell means not known")
                else:
                    notes.append(f"{said}: those rows are scored without a reference level")
            out[canon] = 6 - v if mapping.most_urgent == 5 else v
            # Which level each word became, and which levels never occur: a 3-tier "Emergent / Urgent / Non-urgent" file was
            # read as levels 2, 3 and 5 with no word beyond "level 1 is the most urgent end" (a sweep, 2026-12-05).
            # (a placeholder-like word read as a level is said too: Arthritis's "None" → 3 had been left out of the note while
            # half the rows were read from it; a sweep, 2026-12-07)
            words = text[(text != "") & to_number(text).isna() & out[canon].notna()]
            if len(words):
                pairs = words.groupby(words.map(str.lower)).first().to_frame("w").assign(l=out[canon][words.index].groupby(words.map(str.lower)).first())
                pairs = pairs.sort_values("l")
                notes.append(f"{FIELD_LABELS[canon]} words read as levels: " + ", ".join(f"{w!r} → {int(l)}" for w, l in
                                                                                           zip(pairs["w"][:8], pairs["l"][:8]))
                             + (" …" if len(pairs) > 8 else ""))
            seen = set(out[canon].dropna().astype(int))
            if canon == "level" and len(seen) >= 2 and (missing := [l for l in range(1, 6) if l not in seen]):
                notes.append(f"No patient at level{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of 1–5 in {raw.name!r}: "
                             f"the model cannot suggest {'them' if len(missing) > 1 else 'it'}"
                             + (", and the figures for levels 1–2 rest on level 2 alone" if 1 in missing and 2 in seen else "")
                             # not to a user who said which level each value is: DAAG::headInjury's mild / moderate / severe,
                             # mapped to 3, 2, 1, had been told to say it (an analyst walkthrough, 2026-12-07, later)
                             + (" — a scale of fewer levels? Say which level each value is (the page's level boxes under the "
                                "column mapping; a mapping file's \"codes\")" if len(seen) <= 3 and not given else ""))
        else:  # complaint
            text = raw.astype(str).str.strip()
            filled = text[~text.isin(PLACEHOLDERS) & (text != "")]
            if len(filled) >= 3 and to_number(filled).notna().all():
                # numbers are no chief complaint (datasets::attitude's "complaints" ratings had been hashed as words: a sweep, 2026-12-06)
                notes.append(f"{FIELD_LABELS[canon]}: column {raw.name!r} holds numbers only (e.g. "
                             f"{', '.join(map(repr, filled.drop_duplicates().head(3).tolist()))}), not a complaint in words — treated as "
                             "not recorded; map the column that holds the complaint's text, or none")
                out[canon] = ""
                continue
            out[canon] = text.where(~text.isin(PLACEHOLDERS), "")
    if "sbp" in out and "dbp" in out:
        inv = out["dbp"] >= out["sbp"]
        both = int((out["dbp"].notna() & out["sbp"].notna()).sum())
        if both >= 3 and inv.sum() > 0.5 * both:  # swapped columns: every pressure had been dropped with a note
            problems.append(f"Diastolic ≥ systolic in {int(inv.sum())} of the {both} rows that have both: the columns read as systolic "
                            "and diastolic blood pressure look swapped — check which is which (the systolic is the higher number)")
        elif inv.any():
            notes.append(f"Diastolic ≥ systolic in {int(inv.sum())} rows: both treated as not recorded there")
            out.loc[inv, ["sbp", "dbp"]] = np.nan
    if "nurse_level" in out and len(out) and out["nurse_level"].isna().all():  # the nurse row had vanished from every table
        notes.append(f"{FIELD_LABELS['nurse_level']}: column {mapping.columns['nurse_level']!r} holds no level in any row, so there is "
                     "no nurse to compare with")
    if require_labels and "level" in out:
        n_missing = int(out["level"].isna().sum())
        if n_missing:
            notes.append(f"{n_missing} rows without a reference level left out")
            out = out[out["level"].notna()]
    if problems:
        raise DataProblem(problems, subject)
    absent = [FIELD_LABELS[c] for c in INPUTS if c not in out]
    if absent:
        notes.append("Not in the file (treated as not recorded for every patient): " + ", ".join(absent))
    for c in CANONICAL:
        if c not in out:
            out[c] = "" if c == "complaint" else pd.Series(None, index=out.index, dtype=object) if c in CODED else np.nan
    return out[list(CANONICAL)].reset_index(drop=True), notes


SMALL_FILE = 500  # records below which the figures move a lot between folds: the page says so before training
SMALL_LEVEL = 10  # patients a level needs before its under-triage means much


def caution(frame: pd.DataFrame) -> list[str]:
    """What a file too small or too uneven to judge by point figures should be told before training (empty when nothing):
    how many records each fold tests on, which levels hold only a handful, which never appear."""
    out = []
    from usecases.core.protocol import repeats

    rep = repeats(frame)
    if rep is not None:  # a file given twice: training reads its repeats once, so the caution is about what it reads
        out.append(f"{rep.extra:,} of the {len(frame):,} records repeat earlier ones exactly and in the same order (was the file "
                   f"exported twice?): they are read once, so the model trains and is tested on {len(rep.first):,} records.")
        frame = frame.iloc[rep.first]
    counts = frame["level"].value_counts()
    n = len(frame)
    thin = [f"level {int(l)}: {int(c)}" for l, c in counts.sort_index().items() if c < SMALL_LEVEL]
    if n < SMALL_FILE or thin:
        out.append(f"Small file: {n:,} records" + (f" ({', '.join(thin)} patients)" if thin else "") + f" — each of the 5 folds tests on about "
                   f"{n // 5:,}, so κ and under-triage move a lot between folds: read the ranges, not the point figures.")
    absent = [str(l) for l in range(1, 6) if l not in counts.index]
    if absent:
        out.append(f"Level{'s' if len(absent) > 1 else ''} {', '.join(absent)} never appear{'' if len(absent) > 1 else 's'} in the file: "
                   "the model cannot learn to suggest " + ("them." if len(absent) > 1 else "it."))
    return out


def thin_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows with too little to suggest a level from: no complaint and fewer than :data:`MIN_VITALS` vital signs recorded
    (the model would only echo the cohort's average)."""
    has_text = frame["complaint"].fillna("").astype(str).str.strip() != ""
    n_vitals = sum(frame[c].notna() for c in VITALS)
    return ~has_text & (n_vitals < MIN_VITALS)


def check_enough(frame: pd.DataFrame, subject: str) -> None:
    """Refuse records of which every row is too thin to suggest a level from (:func:`thin_rows`)."""
    thin = thin_rows(frame)
    if thin.all() and len(frame):
        recorded = [FIELD_LABELS[c] for c in INPUTS if (frame[c].notna() & (frame[c].astype(str) != "")).any()]
        if not recorded:
            raise DataProblem("nothing is recorded in any row; a suggested level needs the chief complaint or at least "
                              f"{MIN_VITALS} of: {', '.join(FIELD_LABELS[c] for c in VITALS)}", subject)
        raise DataProblem(f"only {', '.join(recorded)} {'is' if len(recorded) == 1 else 'are'} recorded; a suggested level "
                          f"needs the chief complaint or at least {MIN_VITALS} of: {', '.join(FIELD_LABELS[c] for c in VITALS)}", subject)


@dataclass
class Records:
    frame: pd.DataFrame  # canonical fields
    source: str
    dropped: list[str]
    notes: list[str]
    mapping: Mapping
    read_info: object = None
    guess: Guess | None = None  # set when the mapping was guessed
    filename: str = ""
    # what must not pass unseen among the reading notes — levels that run against the vital signs under the mapping given:
    # the page draws it as a warning box, the CLI prints it as `warning:` (it had been one caption among a dozen notes)
    warnings: list[str] = field(default_factory=list)
    _fp: str | None = field(default=None, repr=False)

    @property
    def fingerprint(self) -> str:
        """Identifies these rows (the app caches evaluations by it; the card records it)."""
        if self._fp is None:
            self._fp = fingerprint(self.frame)
        return self._fp


def read_raw(raw: bytes, filename: str) -> tuple[pd.DataFrame, object, list[str]]:
    """Read a messy export and scrub identifiers. Returns (frame, read info, dropped columns)."""
    subject = f"“{filename}”"
    # a line of units under the header ("years", "0-10", "mmHg" …) is left out with a note: it had been scored as a patient
    df, info = read_table(raw, max_bytes=50 * 1024 * 1024, encodings=("utf-8", "cp1252"), subject=subject, drop_units_line=True)
    if len(df) == 0:
        raise DataProblem(no_rows(df.columns), subject)
    df, dropped = scrub(df)
    if df.shape[1] == 0:
        raise DataProblem("no usable columns remain after removing identifiers", subject)
    df = split_pressures(df)
    return df, info, dropped


_PRESSURE = re.compile(r"\s*(\d{2,3})\s*/\s*(\d{2,3})\s*(?:mm\s*hg)?\s*", re.IGNORECASE)


def split_pressures(df: pd.DataFrame) -> pd.DataFrame:
    """A blood-pressure column written as charted ("132/88", "132 / 88 mmHg") → two columns, ``systolic`` and ``diastolic``,
    which the guess then reads by name; ``df.attrs["pressure_note"]`` says so. A column qualifies when at least 80 % of its
    filled cells are such pairs; a file that already has systolic or diastolic columns is left as it is. It had been left
    out as "not used", with both pressures "not in the file" (a real-file sweep, 2026-12-04: 11 levels changed)."""
    names = {normalise_name(c) for c in df.columns}
    if names & {"sbp", "dbp", "systolic", "diastolic"}:
        return df
    for col in df.columns:
        text = df[col].astype(str).str.strip()
        filled = text[~text.isin(PLACEHOLDERS) & (text != "")]
        if len(filled) < 3:
            continue
        parts = text.str.extract(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})", expand=True)
        nums = parts.loc[filled.index].astype(float)
        # pairs that read as pressures: the first the higher, in a pressure's range (a "15/15" coma score or a "12/05" date is not)
        pairs = filled.str.fullmatch(_PRESSURE) & nums[0].between(50, 300) & nums[1].between(20, 200) & (nums[0] > nums[1])
        if pairs.mean() < 0.8:
            continue
        out = df.drop(columns=[col]).assign(systolic=parts[0].fillna(""), diastolic=parts[1].fillna(""))
        out.attrs.update(df.attrs)
        example = filled[pairs].iloc[0]
        out.attrs["pressure_note"] = (f"column {col!r} holds blood pressures as systolic/diastolic (e.g. {example!r}): read as two "
                                      f"columns, systolic and diastolic" + (f"; {int((~pairs).sum())} other values left as not recorded"
                                                                           if (~pairs).any() else ""))
        return out
    return df


def read_records(raw: bytes, filename: str, mapping: Mapping | None = None, *, require_labels: bool = True, min_per_level: int = 2,
                 accept_guess: bool = False, read: tuple | None = None) -> Records:
    """Canonical records from a file. Without ``mapping`` the mapping is guessed and reported in
    ``notes``; a guess with ambiguous or unknown codes (or no level column) is refused unless
    ``accept_guess`` (those codes then count as not recorded)."""
    df, info, dropped = read if read is not None else read_raw(raw, filename)  # ``read``: read_raw's result, when already parsed
    subject = f"“{filename}”"
    guess = None
    if mapping is None:
        guess = guess_mapping(df)
        mapping = guess.mapping
        if guess.needs_confirmation and not accept_guess and (require_labels or guess.ambiguous or guess.unmapped):
            issues = [l for l in guess.lines() if "ambiguous" in l or "not known" in l]
            no_level = require_labels and "level" not in mapping.columns
            if no_level:  # say why a look-alike was not taken; accepting the guess cannot supply a level
                why = [sk for sk in guess.skipped if f"not used as {FIELD_LABELS['level']}" in sk]
                issues.append("no column can be read as the reference level" + (": " + "; ".join(why) if why else
                                                                                 " (name it level, triage_level, ESI, KTAS …)"))
            # "check the guessed mapping (nothing)" when no column was recognised: then there is no guess to check
            guessed = guess.lines()[0][len("Guessed mapping: "):]
            raise DataProblem(issues + [("check the guessed mapping (" + guessed + ") and pass" if mapping.columns else
                                         "no column was recognised; pass") + " a "
                                        "mapping file (--mapping)" + ("" if no_level and not issues[:-1] else
                                                                       ", or accept the guess (--accept-guessed-mapping: ambiguous "
                                                                       "and unknown codes then count as not recorded)")], subject)
    recs, notes = apply_mapping(df, mapping, require_labels=require_labels, subject=subject)
    if guess is not None:
        notes = guess.lines() + notes
    if df.attrs.get("pressure_note"):
        notes = [df.attrs["pressure_note"], *notes]
    if df.attrs.get(UNITS_LINE):
        notes = [df.attrs[UNITS_LINE], *notes]
    if dropped:  # they were left out without a word: a pain column charted "7.0/10" had gone as a date of birth (2026-12-05)
        notes.append(f"Left out as identifiers, never read (names, ids, phone numbers, e-mails, dates of birth): "
                     f"{', '.join(map(repr, dropped))}")
    warnings: list[str] = [n for n in notes if f"{IGNORED} (line" in n]  # implausible values, with their lines
    if guess is None:  # a mapping given (or the model's own): a code it does not name is new to it — 'C' (ACVPU's new
        # confusion) had been dropped as not recorded with a note alone, where the same code under a guess is refused (a
        # sweep, 2026-12-06)
        warnings += [n + " — the mapping does not name these codes; if they mean something, add them to it and read the file again"
                     for n in notes if n.endswith(f"not mapped — {UNMAPPED}")]
        notes = [n for n in notes if not n.endswith(f"not mapped — {UNMAPPED}")]
    notes = [n for n in notes if n not in warnings]
    against = runs_against_the_vitals(recs)
    if against is not None:
        rho, n = against
        rho_s = f"{rho:+.2f}".replace("-", "−")
        said = (f"its levels run against the vital signs and complaints: the patients the ESI-style rule puts at its most urgent "
                f"levels hold the {'high' if mapping.most_urgent == 1 else 'low'} numbers of '{mapping.columns.get('level', 'level')}' (Spearman ρ {rho_s} over {n:,} patients; "
                f"a file whose level {mapping.most_urgent} is the most urgent reads about +0.6)")
        if guess is not None and not require_labels:  # scoring reads no reference level: it is left out, and said (the file had
            # been refused for a column scoring does not need; a sweep, 2026-12-07)
            recs["level"] = np.nan
            warnings.append(f"Reference levels left out: {said}, so level {6 - mapping.most_urgent} may be the most urgent. Scoring does not "
                            f"need them; to keep them in the scored file, say which end is most urgent (\"most_urgent\": "
                            f"{6 - mapping.most_urgent} in a mapping file)")
        elif guess is not None:  # the guess assumed the end; the file says the other — a model trained on it would learn it upside down
            raise DataProblem(f"{said} — is level {6 - mapping.most_urgent} the most urgent? Say so in a mapping file "
                              f"(\"most_urgent\": {6 - mapping.most_urgent}), or, if level {mapping.most_urgent} is, pass a mapping "
                              "that says that", subject)
        else:
            warnings.append(f"Check which end is most urgent: {said}, so level {6 - mapping.most_urgent} may be the most urgent — if it is, "
                            f"say so: \"most_urgent\": {6 - mapping.most_urgent} in a mapping file, or \"level {6 - mapping.most_urgent} is most urgent\" "
                            "on the Your records tab")
    if require_labels:
        counts = recs["level"].value_counts()
        present = [int(l) for l in counts.index]
        if len(present) < 2:
            raise DataProblem(f"only level {present[0] if present else '—'} occurs; at least two levels are needed to train and evaluate", subject)
        thin = [f"level {int(l)}: {int(c)}" for l, c in counts.sort_index().items() if c < min_per_level]
        if thin:
            raise DataProblem(f"too few rows per level to evaluate ({'; '.join(thin)}; at least {min_per_level} each for the levels present)", subject)
        if len(recs) < MIN_ROWS:
            raise DataProblem(f"it has {len(recs)} labelled rows; at least {MIN_ROWS} are needed", subject)
    try:
        check_enough(recs, subject)  # what scoring needs, so a model is never trained on records it could not score
    except DataProblem as exc:
        # the refusal named the fields recorded, not the unused 'hrtrate' that held the heart rate (an analyst walkthrough,
        # 2026-12-07): the columns left out that may hold a missing input are named, with where to map them
        # only for the fields the refusal counts: pbc's liver enzyme 'ast' had been offered "as Diastolic BP?", which no
        # mapping could have made enough (an analyst walkthrough, 2026-12-07, later)
        maybe = {c: f for c, f in maybe_inputs(df, mapping).items() if f == "complaint" or f in VITALS}
        if not maybe:
            raise
        raise DataProblem(exc.problems[0] + " — the file has columns not used that may hold one: " + ", ".join(
            f"{c!r} (as {FIELD_LABELS[f]}?)" for c, f in maybe.items()) + "; map each under its field (on the page: the column "
            "mapping above; in a mapping file: \"columns\": {" + ", ".join(f"{json.dumps(f)}: {json.dumps(str(c), ensure_ascii=False)}"
                                                                     for c, f in maybe.items()) + "})", subject) from None
    return Records(frame=recs, source=f"your file “{filename}” ({len(recs):,} records)", dropped=dropped, notes=notes, mapping=mapping,
                   read_info=info, guess=guess, filename=filename, warnings=warnings)


def runs_against_the_vitals(recs: pd.DataFrame, min_rows: int = 30) -> tuple[float, int] | None:
    """``(ρ, patients)`` when the file's levels run clearly against what its vital signs and complaints say — the ESI-style
    rule's levels (1 = most urgent) and the file's, read with the mapping's end as most urgent, correlate negatively (Spearman
    ρ below −0.2 at p < 0.01, over patients with a vital sign or a complaint); ``None`` otherwise. A file whose
    level 5 is the most urgent, read with the guess's "level 1", trained upside down with κ 0.53 and one note (a sweep of
    messy exports, 2026-12-04); on correctly read synthetic files ρ is about +0.6."""
    from scipy.stats import spearmanr

    from .rules import esi_level

    if "level" not in recs or recs["level"].notna().sum() < min_rows:
        return None
    vitals = [c for c in ("sbp", "dbp", "hr", "rr", "temp", "spo2") if c in recs]
    read = recs[vitals].notna().any(axis=1) if vitals else pd.Series(False, index=recs.index)
    if "complaint" in recs:  # a complaint to read (esi_level matches it against the vocabulary, once per row)
        read |= recs["complaint"].fillna("").astype(str).str.strip() != ""
    rows = recs[read & recs["level"].notna()]
    if len(rows) < min_rows or rows["level"].nunique() < 2:
        return None
    full = rows.reindex(columns=list(CANONICAL))
    rule = esi_level(full)
    if len(np.unique(rule)) < 2:
        return None
    r = spearmanr(rule, rows["level"].to_numpy(float))
    return (float(r.correlation), len(rows)) if r.correlation < -0.2 and r.pvalue < 0.01 else None


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


def example_export() -> bytes:
    """The example export the *Your records* tab offers (synthetic, ``;`` separated, decimal commas): large enough
    to be read and trained on as it is — every level present at least twice, at least 30 rows (the 8-row example was
    refused by the tab that offered it: "too few rows per level to evaluate")."""
    from .cohort import CohortConfig, generate

    example = generate(CohortConfig(n=60, seed=5))[["patient", *CANONICAL]]
    return example.to_csv(index=False, sep=";", decimal=",").encode()
