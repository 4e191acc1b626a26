"""Findings of an analyst walkthrough (2026-12-07) with vcdExtra::ICU read as triage records and a German export of it."""

from __future__ import annotations

import numpy as np
import pytest

from usecases import triage
from usecases.core.spec import DataInfo
from usecases.triage import economics
from usecases.triage.evaluation import build, rule_unfit

# vcdExtra::ICU mapped as the analyst did: age, sex, AVPU (from its coma column), systolic BP and heart rate, no nurse level
ICU_RECORDED = ("age", "sex", "avpu", "sbp", "hr")


def _no_nurse_ev(recorded, n: int = 1500, seed: int = 0):
    """A perfect model on rows without a nurse level; the ESI-style rule (the unassisted arm) puts most patients at level 4, as
    it does on a file without complaints (0.05 right on vcdExtra::ICU)."""
    rng = np.random.default_rng(seed)
    y = rng.choice(5, n, p=[0.1, 0.2, 0.45, 0.05, 0.2]) + 1
    probs = np.eye(5)[y - 1] * 0.96 + 0.01
    esi = np.where(rng.random(n) < 0.1, 1, 4)
    return build(y=y, probs={"model": probs}, rule_levels={"esi_rule": esi, "news2": esi},
                 data=DataInfo(source="your file “t1_icu.csv”", rows=n, split="5-fold"), recorded=recorded)


# ---- 1. Operations: the arms that run, and no price against a rule missing most of its inputs -----------------------------

def test_the_rule_is_a_baseline_only_with_the_complaint_and_half_its_signs():
    assert rule_unfit(None) == []  # not known (a card from before the record): as before
    assert rule_unfit(triage.pipeline.INPUTS) == []
    assert rule_unfit(("complaint", "avpu", "sbp", "hr")) == []  # the complaint and three of the six signs
    assert rule_unfit(ICU_RECORDED) == ["Chief complaint", "SpO₂", "Respiratory rate", "Pain score"]
    assert rule_unfit(("avpu", "spo2", "sbp", "hr", "rr", "pain")) == ["Chief complaint"]  # no level 3 or 5 without it
    assert rule_unfit(("complaint", "hr", "sbp")) == ["Mental status (AVPU)", "SpO₂", "Respiratory rate", "Pain score"]


def test_operations_does_not_price_the_model_against_a_rule_without_its_inputs():
    ev = _no_nurse_ev(ICU_RECORDED)
    a = triage.Assumptions(runs=5)
    ops = economics.operations(ev, a)
    assert ops.paired["late_l12_per_week"][0] > 0  # the runs still differ, and a lot: the rule misses most level-1–2 patients
    assert ops.rule_missing == ("Chief complaint", "SpO₂", "Respiratory rate", "Pain score")
    assert not ops.supported()
    assert ops.unassisted.startswith("ESI-style rule without Chief complaint") and "not a real baseline" in ops.unassisted
    v = triage.value(ev, a)  # what Home's card and the portfolio report read too
    assert v.monthly == (-6000.0, -4000.0, -2500.0)  # the running cost alone: no saving
    assert v.headline.startswith("No baseline to price against: without a nurse level in the file, the unassisted arm is the ESI-style rule")
    assert "does not record Chief complaint, SpO₂, Respiratory rate and Pain score" in v.headline
    assert "not priced, so the net is the €4.0k/month running cost" in v.headline
    # the Model tab's and `evaluate`'s notes say what the rule's row is
    (note,) = [n for n in ev.notes if n.startswith("The ESI-style rule reads")]
    assert "not a stand-in for triage" in note and "levels right for" in note
    assert [n for n in ev.at_cost(2.0).notes if n.startswith("The ESI-style rule reads")]  # kept at another ratio, once
    assert len([n for n in ev.at_cost(2.0).notes if n.startswith("The ESI-style rule reads")]) == 1


def test_with_its_inputs_the_rule_is_still_the_priced_baseline():
    ev = _no_nurse_ev(("complaint", "avpu", "sbp", "hr", "rr", "spo2"))
    ops = economics.operations(ev, triage.Assumptions(runs=5))
    assert ops.rule_missing == () and ops.supported() and ops.unassisted == "ESI-style rule"
    assert triage.value(ev, triage.Assumptions(runs=5)).monthly[1] > 0
    assert not [n for n in ev.notes if n.startswith("The ESI-style rule reads")]


def test_the_operations_caption_names_the_arms_that_run():
    said = economics.arms(_no_nurse_ev(ICU_RECORDED))
    assert "*unassisted*, the ESI-style rule's level" in said and "*model-assisted*, the model's level alone" in said
    assert "Nurse + model" not in said and "nurse's and the model's" not in said
    assert "not a real baseline" in said and "not priced" in said
    assert "not a real baseline" not in economics.arms(_no_nurse_ev(triage.pipeline.INPUTS))
    rng = np.random.default_rng(1)
    y = rng.choice(5, 400) + 1
    with_nurse = build(y=y, probs={"model": np.eye(5)[y - 1]}, rule_levels={"nurse": y, "esi_rule": y},
                       data=DataInfo(source="cohort", rows=400, split="all", synthetic=True))
    assert "*unassisted*, the simulated nurse's level; *model-assisted*, the more urgent of the nurse's and the model's level" in \
        economics.arms(with_nurse)


def test_an_external_evaluation_knows_what_its_file_records():
    """``evaluate --data`` on a file without complaints: the rule's row is said to be no baseline there too."""
    from tests.triage_support import cohort_csv, shipped

    t = shipped()
    if t is None:
        pytest.skip("no shipped triage checkpoint")
    recs = triage.read_data(cohort_csv(300, 5, drop=("complaint", "rr", "spo2", "pain", "temp", "nurse_level")), "no-complaint.csv")
    ev = triage.evaluate(t, data=recs)
    assert "complaint" not in ev.recorded and ev.rule_missing()[0] == "Chief complaint"
    assert any(n.startswith("The ESI-style rule reads the chief complaint") for n in ev.notes)
    assert not economics.operations(ev, triage.Assumptions(runs=5)).supported()


def test_the_operations_tab_says_its_baseline_is_no_baseline(monkeypatch):
    """The page and its report: the caption names the rule and the model alone, the headline is a warning that prices nothing,
    no "measurably better with the model" box (the walkthrough's page read "€216k" under a caption about the nurse). The
    shipped model's test rows stand in for an own file's: its evaluation without the nurse, recording what ICU records."""
    import dataclasses

    import streamlit as st

    from tests.test_triage_page import open_page
    from tests.triage_support import shipped

    if shipped() is None:
        pytest.skip("no shipped triage checkpoint")
    real = triage.evaluate

    def as_icu(trained, data=None):
        ev = real(trained, data)
        return build(y=ev.y, probs=ev.probs, rule_levels={k: v for k, v in ev.rule_levels.items() if k != "nurse"}, fold=ev.fold,
                     val_y=ev.val_y, val_probs=ev.val_probs, data=dataclasses.replace(ev.data, synthetic=False), recorded=ICU_RECORDED)

    monkeypatch.setattr(triage, "evaluate", as_icu)
    monkeypatch.delenv("UCLAB_MODEL_DIR", raising=False)
    app = open_page(600, fresh=True)
    assert not app.exception, [e.value for e in app.exception]
    said = [t_ for _, t_ in app.session_state["_report_sections"].notes]
    ops = next(t_ for t_ in said if t_.startswith("An ED queue simulation"))
    assert "unassisted, the ESI-style rule's level" in ops and "Nurse + model" not in ops and "not a real baseline" in ops
    warned = [w.value for w in app.warning if w.value.startswith("No baseline to price against")]
    assert warned and "does not record Chief complaint" in warned[0]
    assert warned[0] in said  # in the report too
    assert not any("easurably better" in i.value for i in [*app.info, *app.warning])
    assert any(m.label == "Net value / month" and m.value == "−€4.0k" for m in app.metric), [(m.label, m.value) for m in app.metric]
    st.cache_data.clear()
    st.cache_resource.clear()


# ---- 2. Identifier columns named in other languages are dropped before anything is shown -------------------------------

ID_COLUMNS = ["Patienten-Nr.", "Patientennummer", "PatientenID", "Fall-Nr.", "Fallnummer", "Aufnahme-Nr.", "Nr.", "No.", "N°", "Nº",
              "Patient #", "Patient No.", "Numéro patient", "Numéro de dossier", "número de paciente", "Nombre", "Nombre del paciente",
              "Nom", "Prénom", "Vorname", "Nachname", "Apellidos", "Pat.-ID", "ID.", "Case number", "Identifiant", "Numero di telefono",
              "Date de naissance"]
CLINICAL_COLUMNS = ["Alter (Jahre)", "Geschlecht", "RR syst. (mmHg)", "Puls (/min)", "Bewusstseinslage", "Aufnahme", "Triagestufe",
                    "Atemfrequenz", "Temperatur", "Sauerstoffsättigung", "Dringlichkeit", "Nombre de pas", "Number of visits",
                    "Patients number per hour", "NRS Pain (0-10)", "Nurse ESI", "Patient Sex", "Patient Age (years)", "Température (°C)",
                    "Fréquence respiratoire", "Frecuencia cardiaca", "Motivo de consulta", "Beschwerde", "hrtrate", "consciousness"]


@pytest.mark.parametrize("column", ID_COLUMNS)
def test_an_identifier_named_in_another_language_is_dropped(column):
    from usecases.triage.records import scrub

    df = __import__("pandas").DataFrame({column: [f"{i:04d}" if i % 2 else f"A{i}" for i in range(40)], "age": range(40)})
    out, dropped = scrub(df)
    assert dropped == [column] and list(out.columns) == ["age"]


def test_clinical_columns_in_other_languages_are_kept():
    import pandas as pd

    from usecases.triage.records import scrub

    df = pd.DataFrame({c: [str(30 + i % 7) for i in range(40)] for c in CLINICAL_COLUMNS})
    out, dropped = scrub(df)
    assert dropped == [] and list(out.columns) == CLINICAL_COLUMNS


def _german_export(n: int = 60) -> bytes:
    """vcdExtra::ICU as a German hospital writes it (the walkthrough's t2_icu_de.csv, rebuilt here): ``;``, decimal commas,
    Latin-1, colour-word levels."""
    import pandas as pd

    rng = np.random.default_rng(7)
    lvl = rng.choice([1, 2, 3, 5], n, p=[0.15, 0.2, 0.45, 0.2])
    sbp = np.where(lvl <= 2, rng.normal(95, 30, n), rng.normal(135, 20, n)).round()
    hr = np.where(lvl <= 2, rng.normal(115, 20, n), rng.normal(90, 15, n)).round()
    cons = np.where(lvl == 1, rng.choice(["komatös", "somnolent"], n), "wach")
    df = pd.DataFrame({"Patienten-Nr.": rng.permutation(np.arange(8, 8 + 4 * n))[:n], "Alter (Jahre)": rng.integers(18, 90, n).astype(float),
                       "Geschlecht": rng.choice(["weiblich", "männlich"], n), "RR syst. (mmHg)": sbp, "Puls (/min)": hr,
                       "Bewusstseinslage": cons, "Aufnahme": rng.choice(["Notfall", "elektiv"], n),
                       "Triagestufe": pd.Series(lvl).map({1: "Rot", 2: "Orange", 3: "Gelb", 4: "Grün", 5: "Blau"})})
    return df.to_csv(index=False, sep=";", decimal=",").encode("latin-1")


def test_the_german_patient_number_is_dropped_and_named_before_the_preview():
    from usecases.triage import records as trec

    df, _, dropped = trec.read_raw(_german_export(), "t2_icu_de.csv")
    assert dropped == ["Patienten-Nr."] and "Alter (Jahre)" in df.columns and "Aufnahme" in df.columns


# ---- 3. Column names the guess misses, the refusal that does not point at the fix, the box that ignores the mapping -------

def _icu_like(n: int = 80, hr_name: str = "hrtrate") -> bytes:
    """vcdExtra::ICU as the walkthrough read it (t1_icu.csv): no complaint, RR, temperature, SpO₂ or nurse level; AVPU in words
    the guess does not know ('Coma', 'Stupor')."""
    import pandas as pd

    rng = np.random.default_rng(3)
    lvl = rng.choice([1, 2, 3, 5], n, p=[0.15, 0.2, 0.45, 0.2])
    return pd.DataFrame({"patient_id": np.arange(n) + 8, "age": rng.integers(18, 90, n), "sex": rng.choice(["Female", "Male"], n),
                         "race": rng.choice(["White", "Black", "Other"], n), "systolic": np.where(lvl <= 2, rng.normal(95, 30, n), rng.normal(135, 20, n)).round(),
                         hr_name: np.where(lvl <= 2, rng.normal(115, 20, n), rng.normal(90, 15, n)).round(),
                         "consciousness": np.where(lvl == 1, rng.choice(["Coma", "Stupor"], n), "Alert"),
                         "admit": rng.choice(["Emergency", "Elective"], n), "triage_level": lvl}).to_csv(index=False).encode()


@pytest.mark.parametrize("column, field", [
    ("Alter (Jahre)", "age"), ("RR syst. (mmHg)", "sbp"), ("Blutdruck systolisch", "sbp"), ("RR diast. (mmHg)", "dbp"),
    ("Puls (/min)", "hr"), ("Herzfrequenz", "hr"), ("hrtrate", "hr"), ("Bewusstseinslage", "avpu"), ("Bewusstsein", "avpu"),
    ("Triagestufe", "level"), ("Dringlichkeit", "level"), ("Atemfrequenz (/min)", "rr"), ("Temperatur (°C)", "temp"),
    ("Sauerstoffsättigung (%)", "spo2"), ("SpO2 (%)", "spo2"), ("Leitsymptom", "complaint"), ("Schmerz (NRS)", "pain"),
    ("Fréquence cardiaque", "hr"), ("Frecuencia respiratoria", "rr"),
])
def test_common_names_and_names_with_a_unit_in_brackets_are_guessed(column, field):
    import pandas as pd

    from usecases.triage.mapping import guess_mapping

    values = {"age": "45", "sbp": "120", "dbp": "80", "hr": "88", "avpu": "A", "level": "3", "rr": "16", "temp": "37,2", "spo2": "97",
              "complaint": "Brustschmerz", "pain": "4"}[field]
    df = pd.DataFrame({column: [values] * 10, "other": ["x"] * 10})
    g = guess_mapping(df)
    assert g.mapping.columns.get(field) == column, g.lines()


def test_the_german_export_is_read_without_a_mapping_by_hand():
    from usecases.triage import records as trec
    from usecases.triage.mapping import guess_mapping, to_level

    df, _, _ = trec.read_raw(_german_export(), "t2_icu_de.csv")
    g = guess_mapping(df)
    assert g.mapping.columns == {"age": "Alter (Jahre)", "sex": "Geschlecht", "avpu": "Bewusstseinslage", "sbp": "RR syst. (mmHg)",
                                 "hr": "Puls (/min)", "level": "Triagestufe"}, g.lines()
    # the German Manchester colours and names are the levels they name (only 'Orange' had been read)
    import pandas as pd

    assert to_level(pd.Series(["Rot", "Orange", "Gelb", "Grün", "Blau", "sehr dringend", "nicht dringend"])).tolist() == [1, 2, 3, 4, 5, 2, 5]


def test_the_refusal_names_an_unused_column_that_may_be_a_missing_input():
    raw = _icu_like(hr_name="Pulsfrequenz")
    mapping = ('{"columns": {"age": "age", "sex": "sex", "avpu": "consciousness", "sbp": "systolic", "level": "triage_level"}, '
               '"codes": {"avpu": {"Alert": "A", "Coma": "U", "Stupor": "P"}}}')
    with pytest.raises(triage.records.DataProblem) as exc:
        triage.read_data(raw, "t1_icu.csv", mapping)
    msg = str(exc.value)
    assert "only Age, Sex, Mental status (AVPU), Systolic BP are recorded" in msg
    assert "columns not used that may hold one: 'Pulsfrequenz' (as Heart rate?)" in msg
    assert '"columns": {"hr": "Pulsfrequenz"}' in msg and "'race'" not in msg and "'admit'" not in msg
    assert "Traceback" not in msg and msg.count("cannot be used") == 1


def test_the_guessed_box_follows_the_mapping_chosen():
    from usecases.triage import records as trec
    from usecases.triage.mapping import Mapping, as_mapped, guess_mapping

    df, _, _ = trec.read_raw(_icu_like(hr_name="Pulsfrequenz"), "t1_icu.csv")
    g = guess_mapping(df)
    lines = g.lines()
    assert any("'Coma', 'Stupor' are not known" in l for l in lines)
    assert any(l.startswith("Not used: ") and "'Pulsfrequenz' (may be Heart rate: map it there if it is)" in l for l in lines), lines
    # unchanged (codes the page could not place default to "not recorded"): still the guess, its prompt kept
    same = Mapping(columns=dict(g.mapping.columns), codes={"sex": {"Female": "F", "Male": "M"}, "avpu": {"Alert": "A", "Coma": None, "Stupor": None}})
    assert as_mapped(g, same, df) is g
    mine = Mapping(columns={**g.mapping.columns, "hr": "Pulsfrequenz"},
                   codes={"sex": {"Female": "F", "Male": "M"}, "avpu": {"Alert": "A", "Coma": "U", "Stupor": "P"}})
    lines = as_mapped(g, mine, df).lines()
    assert lines[0].startswith("Your mapping: ") and "Heart rate ← 'Pulsfrequenz' (your choice)" in lines[0]
    assert "Mental status (AVPU) codes: 'Alert' → A, 'Coma' → U, 'Stupor' → P" in lines
    assert not any("not known" in l for l in lines) and not any("Pulsfrequenz" in l for l in lines[1:]), lines


def test_the_page_box_reflects_the_mapping(monkeypatch):
    import streamlit as st

    from tests.test_triage_page import open_page
    from tests.triage_support import shipped

    if shipped() is None:
        pytest.skip("no shipped triage checkpoint")
    monkeypatch.delenv("UCLAB_MODEL_DIR", raising=False)
    app = open_page()
    app.file_uploader(key="triage.own").set_value(("t1_icu.csv", _icu_like(hr_name="Pulsfrequenz"), "text/csv")).run()
    assert not app.exception, [e.value for e in app.exception]

    def box() -> str:
        return next(e for e in app.expander if "What the app guessed" in e.label or "Your mapping" in e.label).markdown[0].value

    assert "'Coma', 'Stupor' are not known" in box()
    app.selectbox(key="triage.map.hr").set_value("Pulsfrequenz").run()
    app.selectbox(key="triage.code.avpu.Coma").set_value("U").run()
    app.selectbox(key="triage.code.avpu.Stupor").set_value("P").run()
    assert not app.exception, [e.value for e in app.exception]
    said = box()
    assert "Heart rate ← 'Pulsfrequenz' (your choice)" in said and "not known" not in said and "'Coma' → U" in said
    assert "Not used: 'race', 'admit'" in said
    st.cache_data.clear()


# ---- 4. The command line is not told to upload ----------------------------------------------------------------------------

def test_the_trained_mapping_note_names_the_command_lines_way_and_the_pages():
    import json

    from usecases.triage.serving import _known

    card = {"data": {"mapping": {"columns": {"age": "age", "hr": "hrtrate", "level": "triage_level"}, "codes": {}, "most_urgent": 1},
                     "mapping_guessed": False}}
    trained = type("T", (), {"card": card})()
    _, note = _known(trained, lambda: ["age", "hrtrate"])
    assert "upload one" not in note
    assert "give a mapping file: --mapping on the command line, the Mapping upload on the page's Score a file tab" in note
    assert json.dumps(card)  # the card is left as it was
