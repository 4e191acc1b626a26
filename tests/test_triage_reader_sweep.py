"""The triage records reader on a reviewer's sweep of messy exports (2026-12-06): each test holds one fix, with the values
read, not only "no exception"."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from usecases.core.tables import DataProblem
from usecases.triage.cohort import CohortConfig, generate
from usecases.triage.records import Mapping, read_records, scrub


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return generate(CohortConfig(n=200, seed=7))


def _read(df: pd.DataFrame | bytes, mapping: Mapping | None = None, **kw):
    raw = df if isinstance(df, bytes) else df.to_csv(index=False).encode()
    return read_records(raw, "x.csv", mapping, **kw)


# ---- 1. decimals with many digits are no phone numbers ----------------------------------------------------------------

def test_numbers_with_many_decimals_are_read_not_left_out_as_phone_numbers(cohort):
    d = cohort.copy()
    d["age"] = d["age"] + 0.123456789
    d["temp"] = d["temp"].map("{:.6f}".format)
    recs = _read(d)
    assert "Left out as identifiers, never read (names, ids, phone numbers, e-mails, dates of birth): 'patient'" in recs.notes
    assert not any(n.startswith("Not in the file") for n in recs.notes)
    np.testing.assert_allclose(recs.frame["age"].to_numpy(float), (cohort["age"] + 0.123456789).to_numpy(float))
    np.testing.assert_allclose(recs.frame["temp"].to_numpy(float), cohort["temp"].round(6).to_numpy(float))
    # a decimal comma too ("36,812345")
    comma = cohort.assign(temp=cohort["temp"].map("{:.6f}".format).str.replace(".", ",", regex=False))
    assert scrub(comma.astype(str))[1] == ["patient"]


@pytest.mark.parametrize("phone", ["+49 30 1234567", "030-1234567", "0301234567", "030.1234567", "(030) 123 4567"])
def test_real_phone_numbers_are_still_left_out(cohort, phone):
    d = cohort.astype(str).assign(contact=phone)
    kept, dropped = scrub(d)
    assert dropped == ["patient", "contact"] and kept.attrs["scrubbed"]["contact"] == "its values look like phone numbers"


def test_a_mapped_column_left_out_as_an_identifier_is_named_as_such_not_as_missing(cohort):
    d = cohort.astype(str).assign(temp="030-1234567")
    with pytest.raises(DataProblem) as err:
        _read(d, Mapping(columns={"temp": "temp", "hr": "hr", "sbp": "sbp", "rr": "rr", "level": "level"}))
    msg = str(err.value)
    assert "mapped column(s) left out as identifiers before anything is read: temp → 'temp' (its values look like phone numbers)" in msg
    assert "not in the file" not in msg


# ---- 2. "Patient Sex" is the sex, not an identifier -------------------------------------------------------------------

def test_columns_named_patient_something_are_read_as_their_field(cohort):
    d = cohort.rename(columns={"sex": "Patient Sex", "age": "Patient Age (years)", "patient": "Patient No"})
    recs = _read(d)
    assert recs.dropped == ["Patient No"]
    assert "Sex ← 'Patient Sex' (by name, after 'patient')" in recs.notes[0]
    assert "Age ← 'Patient Age (years)'" in recs.notes[0]
    assert recs.frame["sex"].tolist() == cohort["sex"].tolist() and recs.frame["age"].tolist() == cohort["age"].tolist()
    g = _read(cohort.rename(columns={"sex": "patient_gender"}))
    assert g.frame["sex"].tolist() == cohort["sex"].tolist()
    # "patient" with an id, name or number part is still an identifier
    ids = cohort.astype(str).assign(**{"patient_id": "a", "Patient Name": "b", "patient number": "c", "patient no": "d"})
    assert scrub(ids)[1] == ["patient", "patient_id", "Patient Name", "patient number", "patient no"]


# ---- 3. "none" in a pain column is no pain ----------------------------------------------------------------------------

def test_no_pain_words_in_a_pain_column_are_a_score_of_zero_with_a_note(cohort):
    d = cohort.copy()
    d["pain"] = d["pain"].astype(object)
    d.loc[0:9, "pain"] = "none"
    d.loc[10:12, "pain"] = "No pain"
    d.loc[13:14, "pain"] = "keine Schmerzen"
    d.loc[15, "pain"] = "??"  # a placeholder stays not recorded
    recs = _read(d)
    assert recs.frame["pain"].iloc[:15].tolist() == [0.0] * 15 and np.isnan(recs.frame["pain"].iloc[15])
    np.testing.assert_array_equal(recs.frame["pain"].iloc[16:].to_numpy(float), cohort["pain"].iloc[16:].to_numpy(float))
    assert ("Pain score: 15 values saying no pain ('none', 'No pain', 'keine Schmerzen') read as 0 — if they mean not recorded, "
            "leave those cells empty") in recs.notes
    # only in the pain column: "none" elsewhere is still not recorded
    other = cohort.assign(hr=cohort["hr"].astype(object))
    other.loc[0:4, "hr"] = "none"
    got = _read(other)
    assert got.frame["hr"].iloc[:5].isna().all() and not any("no pain" in n for n in got.notes)


# ---- 4. units the reader did not know -------------------------------------------------------------------------------

@pytest.mark.parametrize("col, cells, expected", [
    ("temp", ["37.5C", "37.5 C", "37.5 °", "38.1 °C"], [37.5, 37.5, 37.5, 38.1]),
    ("spo2", ["97% RA", "97 (RA)", "95 % on room air", "99"], [97.0, 97.0, 95.0, 99.0]),
    ("rr", ["16 breaths", "16 /min", "22 breaths/min", "18"], [16.0, 16.0, 22.0, 18.0]),
    ("age", ["45J", "45 Jahre", "45 yrs", "61 years old"], [45.0, 45.0, 45.0, 61.0]),
])
def test_vital_signs_and_ages_with_units_are_read_as_their_numbers(cohort, col, cells, expected):
    d = cohort.assign(**{col: [cells[i % len(cells)] for i in range(len(cohort))]})
    recs = _read(d)
    assert recs.frame[col].head(8).tolist() == expected * 2
    assert not any("has no numbers" in n or "unreadable" in n for n in recs.notes)


def test_fahrenheit_with_a_space_gets_the_conversion_hint_and_fractions_of_spo2_are_named(cohort):
    with pytest.raises(DataProblem, match=r"Temperature: all 200 values of 'temp' lie outside 30–44 °C \(from 98.6 to 98.6\) — "
                                          r"they look like °F: convert with °C = \(°F − 32\) × 5/9"):
        _read(cohort.assign(temp="98.6 F"))
    frac = cohort.assign(spo2=(cohort["spo2"] / 100).round(2))
    n = int(frac["spo2"].notna().sum())
    with pytest.raises(DataProblem, match=rf"SpO₂: all {n} values of 'spo2' lie outside 50–100 % \(from [0-9.]+ to 1\) — they look "
                                          r"like a fraction: multiply by 100 \(0.97 is 97 %\)"):
        _read(frac)


# ---- 5. a mapping of columns only reads the words the guess reads ---------------------------------------------------

def test_a_mapping_without_codes_reads_word_codes_as_the_guess_does(cohort):
    d = cohort.assign(sex=cohort["sex"].map({"F": "Female", "M": "Male"}),
                      avpu=cohort["avpu"].map({"A": "Alert", "V": "Voice", "P": "Pain", "U": "Unresponsive"}),
                      arrival=cohort["arrival"].map({"walk-in": "Walk in", "ambulance": "EMS", "other": "Other"}))
    cols = {c: c for c in ("age", "sex", "arrival", "complaint", "avpu", "hr", "sbp", "rr", "level")}
    recs = _read(d, Mapping(columns=cols))
    for c in ("sex", "arrival", "avpu"):
        assert recs.frame[c].tolist() == cohort[c].tolist()
    assert "Sex: the mapping gives no codes, so its words are read as the guess reads them: 'Female' → F, 'Male' → M" in recs.notes
    assert any(n.startswith("Mental status (AVPU): the mapping gives no codes") and "'Voice' → V" in n and "'Unresponsive' → U" in n
               for n in recs.notes)
    assert any(n.startswith("Arrival mode: the mapping gives no codes") and "'EMS' → ambulance" in n for n in recs.notes)
    assert not any("not mapped" in n for n in recs.notes)
    # the same values as the guess reads them
    guessed = _read(d, accept_guess=True)
    for c in ("sex", "arrival", "avpu"):
        assert guessed.frame[c].tolist() == recs.frame[c].tolist()
    # codes given for a field, even empty, still rule it alone
    given = _read(d, Mapping(columns=cols, codes={"sex": {"Female": "F"}, "avpu": {}}))
    assert given.frame["sex"].tolist() == cohort["sex"].where(cohort["sex"] == "F").tolist()
    assert given.frame["avpu"].isna().all() and given.frame["arrival"].tolist() == cohort["arrival"].tolist()


# ---- 6. a line of units under the header --------------------------------------------------------------------------------

def _with_line(cohort: pd.DataFrame, line: str) -> bytes:
    rows = cohort.to_csv(index=False).splitlines()
    return ("\n".join([rows[0], line, *rows[1:]]) + "\n").encode()


def test_a_line_of_units_with_a_scale_and_free_text_is_left_out_with_a_note(cohort):
    units = ",years,,,free text,,0-10,mmHg,mmHg,bpm,/min,°C,%,,"
    recs = _read(_with_line(cohort, units), require_labels=False)
    assert recs.notes[0] == "line 2 looks like a line of units under the header (years, 0-10, mmHg, mmHg …): left out, not read as a record"
    assert len(recs.frame) == len(cohort) and not any("unreadable" in n for n in recs.notes)
    for c in ("age", "pain", "hr", "temp", "level"):
        np.testing.assert_array_equal(recs.frame[c].to_numpy(float), cohort[c].to_numpy(float))
    assert recs.frame.attrs["file_lines"][:2] == (3, 4)  # rows keep their lines in the file
    # a real first patient is read, even with a range in a cell
    first = cohort.iloc[:1].to_csv(index=False, header=False).strip().replace(",2.0,92.0,", ",0-10,92.0,")
    kept = _read(_with_line(cohort, first), require_labels=False)
    assert len(kept.frame) == len(cohort) + 1 and kept.frame["sbp"].iloc[0] == 92.0 and np.isnan(kept.frame["pain"].iloc[0])
    assert not any("units" in n for n in kept.notes)
    # other readers still refuse such a line
    from usecases.core.tables import read_table

    with pytest.raises(DataProblem, match=r"line 2 looks like a line of units under the header \(years, 0-10, mmHg, mmHg …\), not a record"):
        read_table(_with_line(cohort, units))


def test_score_triage_scores_no_units_line_as_a_patient(cohort):
    from usecases import triage
    from tests.triage_support import shipped

    model = shipped()
    if model is None:
        pytest.skip("no shipped triage model")
    raw = _with_line(cohort.drop(columns=["level", "nurse_level"]), ",years,,,free text,,0-10,mmHg,mmHg,bpm,/min,°C,%")
    out = triage.score_file(model, raw, "u.csv")
    assert len(out) == len(cohort) and out["line"].tolist()[:3] == [3, 4, 5]
    assert out["age"].tolist()[:3] == cohort["age"].tolist()[:3]
    assert any(n.startswith("line 2 looks like a line of units under the header") for n in out.attrs["notes"])


def test_column_names_with_a_scale_or_a_unit_in_words_are_read_as_their_field(cohort):
    """"NRS Pain (0-10)", "Temperature Celsius", "Pulse Ox" and "Nurse ESI" were each "Not used", so pain, temperature,
    saturation and the nurse's level read as not recorded for every patient."""
    names = {"pain": "NRS Pain (0-10)", "temp": "Temperature Celsius", "spo2": "Pulse Ox", "nurse_level": "Nurse ESI"}
    recs = _read(cohort.rename(columns=names))
    assert {c: recs.mapping.columns[c] for c in names} == names
    for c in ("pain", "temp", "spo2", "nurse_level"):
        np.testing.assert_array_equal(recs.frame[c].to_numpy(float), cohort[c].to_numpy(float))


def test_a_complaint_column_of_numbers_is_not_read_as_complaints(cohort):
    """datasets::attitude's numeric "complaints" column was taken as the chief complaint and its numbers hashed as words,
    with only the guess's note: a column of numbers only is no complaint in words; it reads as not recorded, and a note says so."""
    d = cohort.assign(complaint=np.arange(len(cohort)) % 60 + 30)
    recs = _read(d)
    assert (recs.frame["complaint"] == "").all()
    assert any(n.startswith("Chief complaint: column 'complaint' holds numbers only (e.g. '30', '31', '32'), not a complaint in words")
               for n in recs.notes), recs.notes
    words = _read(cohort)  # a complaint in words is read as before
    assert (words.frame["complaint"] == cohort["complaint"].fillna("")).mean() > 0.9


def test_a_none_among_real_codes_is_said_not_dropped_unsaid():
    """An ICU export's consciousness column held None / Stupor / Coma ("None": no coma, alert): the 185 "None" rows were read
    as not recorded and only the 15 others were named (a sweep, 2026-12-06). Still read as missing, but a note says so and how
    to map it; the unmapped codes' note counts in the singular too ("1 values with codes 'Coma'")."""
    import pandas as pd

    from usecases.triage.records import _coded

    notes: list[str] = []
    raw = pd.Series(["None"] * 18 + ["Stupor", "Coma"])
    out = _coded("avpu", raw, {}, notes)
    assert out.isna().all()
    assert any("18 values 'None' read as not recorded — if 'None' is a value in this column, not a blank, map it" in n for n in notes), notes
    assert any("2 values with codes 'Coma', 'Stupor' not mapped" in n for n in notes), notes
    notes = []
    _coded("avpu", pd.Series(["None"] * 18 + ["Coma"]), {}, notes)
    assert any("1 value with code 'Coma' not mapped" in n for n in notes), notes
    notes = []  # None rare beside real codes is not worth the note
    _coded("avpu", pd.Series(["None"] * 3 + ["A"] * 40), None, notes)
    assert not any("read as not recorded" in n for n in notes), notes


def test_a_thin_row_with_a_danger_sign_gets_the_rules_level_not_none():
    """An analyst walkthrough (2026-12-07), vcdExtra::ICU: a patient in coma whose systolic BP of 36 fell outside 40–300 had only
    two vital signs left (AVPU and pulse), so "too little recorded": no level at all, under a green "80 records scored" box.
    A row too thin for the model whose recorded signs put it at level 1 or 2 by the ESI-style rule now gets that level, with
    a warning naming its line; a thin row without a danger sign still gets none."""
    from usecases import triage
    from usecases.core.store import REPO_ROOT, ModelStore

    store = ModelStore(REPO_ROOT / "models")
    if not store.exists("triage"):
        pytest.skip("no shipped triage checkpoint")
    trained = triage.load(store)
    rows = pd.DataFrame({"age": [68, 63, 50, 41], "sex": ["M", "F", "F", "M"], "consciousness": ["Alert", "Coma", "Alert", "Stupor"],
                         "systolic": [112, 36, 130, None], "hrtrate": [64, 86, None, 70]})
    mapping = {"columns": {"age": "age", "sex": "sex", "avpu": "consciousness", "sbp": "systolic", "hr": "hrtrate"},
               "codes": {"avpu": {"Alert": "A", "Coma": "U", "Stupor": "P"}, "sex": {"Female": "F", "Male": "M", "F": "F", "M": "M"}}}
    out = triage.score_file(trained, rows.to_csv(index=False).encode(), "icu.csv", mapping=json.dumps(mapping).encode())
    by_line = out.set_index("line")
    assert by_line.loc[3, "suggested_level"] == 1 and by_line.loc[3, "esi_rule_level"] == 1  # coma: level 1
    assert pd.isna(by_line.loc[3, "p_level_1"])  # not the model's: it had too little to go on
    assert by_line.loc[5, "suggested_level"] == 2  # responds to pain only: level 2 by the rule
    assert pd.isna(by_line.loc[4, "suggested_level"])  # alert, one vital sign: still no level
    warning = out.attrs["rule_only"]
    assert warning in out.attrs["warnings"] and "line 3: level 1 (unresponsive)" in warning and "line 5: level 2 (responds to pain only)" in warning
    assert any("no level suggested" in n and "(line 4)" in n for n in out.attrs["notes"])
