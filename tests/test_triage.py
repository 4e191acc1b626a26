"""Triage: generator, NEWS2/ESI rules by hand, metrics vs scikit-learn, queue vs Erlang C, messy files,
privacy scrubbing, bad input, model and shipped checkpoint. (Own data: test_triage_own_data.py; bad
input: test_triage_bad_input.py; value, explanation and page: test_triage_value.py.)"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from tests.triage_support import FAST, quick_model, shipped
from usecases import triage
from usecases.core.tables import DataProblem
from usecases.triage import peers as tpeers
from usecases.triage import queue as tq
from usecases.triage import records as trec
from usecases.triage.cohort import LEVEL_MIX, CohortConfig, generate
from usecases.triage.mapping import guess_mapping
from usecases.triage.metrics import triage_metrics, weighted_kappa
from usecases.triage.model import decide
from usecases.triage.rules import esi_level, match_complaint, news2, news2_level


@pytest.fixture(scope="module")
def cohort():
    return generate(CohortConfig(n=20_000, seed=0))


def test_generator_distributions(cohort):
    mix = cohort["level"].value_counts(normalize=True).sort_index().to_numpy()
    assert np.abs(mix - LEVEL_MIX).max() < 0.02  # Moon et al. 2019 mix within 2 points
    under = (cohort["nurse_level"] > cohort["level"]).mean()
    over = (cohort["nurse_level"] < cohort["level"]).mean()
    assert 0.085 < under < 0.12 and 0.03 < over < 0.055  # 10.3 % / 4.3 %
    miss = cohort.isna().mean()
    assert 0.07 < miss["temp"] < 0.11 and 0.02 < miss["hr"] < 0.04 and miss["age"] == 0
    means = cohort.groupby("level")[["hr", "spo2"]].mean()
    assert means["hr"].is_monotonic_decreasing and means["spo2"].is_monotonic_increasing
    assert (cohort["dbp"].dropna() < cohort.loc[cohort["dbp"].notna(), "sbp"]).all()
    assert cohort["spo2"].max() <= 100 and cohort["complaint"].str.len().min() > 0
    assert cohort["patient"].str.startswith("SYN-").all()  # visibly synthetic ids


def test_news2_by_hand():
    # RR 26 (3), SpO2 93 (2), SBP 95 (2), HR 115 (2), V (3), T 38.5 (1) → 13 → level 1.
    sick = pd.DataFrame([{"rr": 26, "spo2": 93, "sbp": 95, "hr": 115, "avpu": "V", "temp": 38.5}])
    assert news2(sick)[0] == 13 and news2_level(sick)[0] == 1
    well = pd.DataFrame([{"rr": 16, "spo2": 98, "sbp": 125, "hr": 72, "avpu": "A", "temp": 36.8}])
    assert news2(well)[0] == 0 and news2_level(well)[0] == 5
    single3 = pd.DataFrame([{"rr": 16, "spo2": 90, "sbp": 125, "hr": 72, "avpu": "A", "temp": 36.8}])  # SpO2 ≤ 91 scores 3
    assert news2(single3)[0] == 3 and news2_level(single3)[0] == 3
    missing = pd.DataFrame([{"rr": np.nan, "spo2": np.nan, "sbp": np.nan, "hr": 72, "avpu": "A", "temp": np.nan}])
    assert news2(missing)[0] == 0


def _esi(**kw):
    base = {"age": 40, "rr": 16, "spo2": 98, "sbp": 125, "hr": 80, "avpu": "A", "temp": 37.0, "pain": 2, "complaint": "sore throat"}
    return int(esi_level(pd.DataFrame([{**base, **kw}]))[0])


def test_esi_rule_by_hand():
    assert _esi() == 5  # no resources
    assert _esi(complaint="laceration") == 4  # one resource
    assert _esi(complaint="abdominal pain") == 3  # two resources
    assert _esi(complaint="abdominal pain", hr=120) == 2  # danger-zone vitals up-triage a level 3
    assert _esi(complaint="chest pain") == 2  # high-risk complaint
    assert _esi(pain=8) == 2  # severe pain
    assert _esi(avpu="P") == 2  # new confusion / lethargy
    assert _esi(avpu="U") == 1 and _esi(spo2=82) == 1 and _esi(complaint="c/o arrest") == 1
    assert match_complaint("c/o SOB x 2 days") == "shortness of breath"
    assert match_complaint("worsening abd pain") == "abdominal pain"


def test_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, 500)
    p = np.clip(y + rng.integers(-1, 2, 500), 1, 5)
    m = triage_metrics(y, p)
    assert m["kappa_linear"] == pytest.approx(cohen_kappa_score(y, p, weights="linear"))
    assert m["kappa_quadratic"] == pytest.approx(cohen_kappa_score(y, p, weights="quadratic"))
    assert m["under_triage"] == pytest.approx((p > y).mean()) and m["over_triage"] == pytest.approx((p < y).mean())
    crit = y <= 2
    assert m["under_triage_l12"] == pytest.approx((p[crit] > y[crit]).mean())
    assert m["sensitivity_l12"] == pytest.approx((p[crit] <= 2).mean())
    assert weighted_kappa([1, 2, 3], [1, 2, 3], "linear") == 1.0


def test_decision_rule_prefers_urgent_when_uncertain():
    probs = np.array([[0.0, 0.4, 0.6, 0.0, 0.0]])
    assert decide(probs, under_cost=1.0)[0] == 3  # median
    assert decide(probs, under_cost=3.0)[0] == 2  # under-triage costs more


def test_the_blends_temperature_finds_a_known_sharpening_and_leaves_the_critical_boundaries_alone():
    """``learner.temper`` rescales only logit P(level > 3) and logit P(level > 4): on rows drawn from a distribution that is
    sharper there than the one given, ``fit_temper`` recovers how much sharper, and P(level 1) and P(level ≤ 2) — all the
    decision between levels 1–2 and 3 reads — are exactly as they were."""
    from usecases.triage import learner

    rng = np.random.default_rng(0)
    given = rng.dirichlet(np.full(5, 2.0), size=40_000)
    truth = learner.temper(given, 0.5)
    y = 1 + (rng.random(len(truth))[:, None] > np.cumsum(truth, axis=1)).sum(1)
    t = learner.fit_temper(y, given)
    assert t == pytest.approx(0.5, abs=0.05)
    p = learner.temper(given, t)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-9)
    np.testing.assert_allclose(p[:, 0], given[:, 0], atol=1e-12)
    np.testing.assert_allclose(p[:, :2].sum(1), given[:, :2].sum(1), atol=1e-12)
    sure = 1 - given[:, :3].sum(1) > 0.6  # P(level > 3) above 60 %: sharpened further from 50 %
    assert (1 - p[sure, :3].sum(1) > 1 - given[sure, :3].sum(1)).all()
    assert learner.fit_temper(y, truth) == pytest.approx(1.0, abs=0.05)  # already calibrated: left alone
    assert learner.fit_temper(np.tile([1, 2, 3], 20), given[:60]) == 1.0  # no row beyond level 3: nothing to fit
    assert learner.fit_temper(y[:9], given[:9]) == 1.0


def test_queue_matches_erlang_c():
    a = tq.EDAssumptions(arrivals_per_hour=4, doctors=3, triage_minutes=0, consult_l1=25, consult_l2=25, consult_l3=25, consult_l4=25, consult_l5=25)
    waits = [tq.simulate(a, np.eye(5), hours=5000, seed=s, priority=False).wait.mean() for s in range(12)]
    assert np.mean(waits) == pytest.approx(tq.erlang_c_wait(4 / 60, 1 / 25, 3), rel=0.06)  # 5.62 min
    assert tq.erlang_c_wait(6 / 60, 1 / 25, 3) == pytest.approx(35.11, abs=0.01)  # textbook: a = 2.5, c = 3
    assert tq.erlang_c_wait(1.0, 0.25, 3) == float("inf")  # overloaded


def test_priority_queue_favours_urgent_levels():
    r = tq.simulate(tq.EDAssumptions(), np.eye(5), hours=336, seed=1)
    w = pd.Series(r.wait).groupby(r.true_level).mean()
    assert w[2] < w[3] < w[4]
    assert tq.utilisation(tq.EDAssumptions()) == pytest.approx(9 / 60 * float(np.dot(LEVEL_MIX, (60, 40, 30, 20, 12))) / 5)


def test_contract_is_complete():
    from usecases.core.spec import check_contract

    assert check_contract(triage) == []


def test_quick_training_reports_peers_nurse_and_reloads(tmp_store):
    t = quick_model()
    assert set(t.card["baselines"]) == {"news2", "esi_rule", "logistic_regression", "lightgbm", "nurse"}
    m, b = t.card["metrics"], t.card["baselines"]
    assert m["kappa_linear"] > b["esi_rule"]["kappa_linear"] + 0.1 and m["kappa_linear"] > b["news2"]["kappa_linear"] + 0.3
    assert t.card["run_id"] and t.card["data"]["split"] == "stratified random 70 % train / 15 % validation / 15 % test"
    assert t.card["data"]["test_rows"] == len(t.artefacts["y"]) == pytest.approx(300, abs=2) and t.card["peers"]["logistic_regression"][0]["C"] in tpeers.C_GRID
    triage.save(t, tmp_store)
    loaded = triage.load(tmp_store)
    assert loaded.artefacts is not None and loaded.peers is None
    ev = triage.evaluate(loaded)  # from the stored arrays: nothing refit
    assert ev.model == pytest.approx(t.card["metrics"]) and ev.baselines["lightgbm"] == pytest.approx(b["lightgbm"])
    patient = {"age": 70, "sex": "M", "arrival": "ambulance", "complaint": "chest pain", "avpu": "A", "pain": 8, "sbp": 100, "dbp": 60,
               "hr": 120, "rr": 24, "temp": 37.0, "spo2": 93}
    a1, a2 = triage.assess(t, patient), triage.assess(loaded, patient)
    np.testing.assert_allclose(a1.probs, a2.probs, atol=1e-6)
    assert abs(a1.probs.sum() - 1) < 1e-5 and {e.field for e in a1.effects} >= {"spo2", "complaint"}
    assert any("high-risk complaint" in f for f in a1.red_flags)


def test_evaluate_never_mutates_the_model():
    t = quick_model()
    before = (dict(t.card), {k: v.copy() for k, v in t.artefacts.items()})
    triage.evaluate(t)
    triage.evaluate(t).at_cost(6.0)
    assert t.card == before[0] and all(np.array_equal(t.artefacts[k], v) for k, v in before[1].items())


@pytest.mark.parametrize("field, value, needle", [("dbp", 130, "Diastolic BP (130) must be lower than systolic BP"),
                                                  ("spo2", 101, "SpO₂ 101 is outside"), ("temp", 70, "Temperature 70 is outside"),
                                                  ("age", -3, "Age -3 is outside")])
def test_implausible_entries_are_refused_by_name(field, value, needle):
    patient = {"age": 50, "sex": "F", "arrival": "walk-in", "complaint": "cough", "avpu": "A", "pain": 2, "sbp": 120, "dbp": 80, "hr": 80,
               "rr": 16, "temp": 37.0, "spo2": 98, field: value}
    with pytest.raises(DataProblem) as err:
        triage.assess(quick_model(), patient)
    assert needle in str(err.value)


MESSY = (
    "Name;Patient ID;Telefon;Geburtsdatum;Alter;Geschlecht;Ankunft;Beschwerde;Bewusstsein;Schmerz;RR sys;RR dia;Puls;AF;Temp;SpO2;KTAS\n"
    "Müller, Anna;4711;+49 30 1234567;1950-02-03;74;w;RTW;Brustschmerz;A;8;105;70;118;24;37,4;93;2\n"
    "Schmidt, Jan;4712;+49 30 7654321;1988-11-30;36;m;selbst;Halsschmerzen;A;2;125;80;78;16;36,8;??;5\n"
    "Weber, Eva;4713;+49 30 1111111;2001-05-05;23;w;selbst;Schnittwunde;A;-;120;#N/A;88;;37,0;98;4\n"
)


def _messy(rows=40):
    """An export of ``rows`` patients with the three stories above; from the fourth on each has another age (rows that only
    cycle through three would be three rows repeated in order, which the own-data protocol reads once)."""
    lines = MESSY.strip().split("\n")
    body = []
    for i in range(rows):
        cells = lines[1 + i % 3].split(";")
        if i >= 3:
            cells[4] = str(20 + (i * 7) % 60)
        body.append(";".join(cells))
    return ("\n".join([lines[0], *body]) + "\n").encode("latin-1")


def test_messy_file_detection_privacy_and_mapping():
    raw = _messy()
    df, info, dropped = trec.read_raw(raw, "export.csv")
    assert info.delimiter == ";" and info.encoding == "cp1252"
    assert set(dropped) == {"Name", "Patient ID", "Telefon", "Geburtsdatum"}
    assert not any(c in df.columns for c in dropped)
    mapping = trec.Mapping(
        columns={"age": "Alter", "sex": "Geschlecht", "arrival": "Ankunft", "complaint": "Beschwerde", "avpu": "Bewusstsein", "pain": "Schmerz",
                 "sbp": "RR sys", "dbp": "RR dia", "hr": "Puls", "rr": "AF", "temp": "Temp", "spo2": "SpO2", "level": "KTAS"},
        codes={"sex": {"w": "F", "m": "M"}, "arrival": {"RTW": "ambulance", "selbst": "walk-in"}, "avpu": {"A": "A"}},
    )
    recs = trec.read_records(raw, "export.csv", trec.Mapping.from_json(mapping.to_json()))
    f = recs.frame
    assert f["temp"].iloc[0] == pytest.approx(37.4)  # decimal comma
    assert np.isnan(f["spo2"].iloc[1]) and np.isnan(f["pain"].iloc[2]) and np.isnan(f["dbp"].iloc[2])  # ??, -, #N/A
    assert f["sex"].iloc[0] == "F" and f["arrival"].iloc[0] == "ambulance" and f["level"].tolist()[:3] == [2, 5, 4]
    reversed_ = trec.read_records(raw, "export.csv", trec.Mapping(columns=mapping.columns, codes=mapping.codes, most_urgent=5))
    assert reversed_.frame["level"].tolist()[:3] == [4, 1, 2]
    guess = guess_mapping(pd.DataFrame({"Heart Rate": [1], "SpO2": [1], "Triage Level": [1], "Chief Complaint": ["x"]}))
    assert guess.mapping.columns == {"hr": "Heart Rate", "spo2": "SpO2", "level": "Triage Level", "complaint": "Chief Complaint"}


def test_file_without_complaint_text_still_trains():
    """No complaint column (or none mapped): the peers leave out their text features, training still works."""
    from usecases.triage.peers import fit_peer

    df = generate(CohortConfig(n=400, seed=4)).drop(columns=["patient", "complaint"])
    recs = triage.read_data(df.to_csv(index=False).encode(), "no-text.csv")
    assert (recs.frame["complaint"] == "").all()
    t = triage.train(triage.Config(**FAST), data=recs)
    lr = fit_peer("logistic_regression", recs.frame.iloc[:300], recs.frame.iloc[300:])
    assert [name for name, _, _ in lr.estimator[0].transformers] == ["num", "cat"]  # no empty-vocabulary text features
    assert all(math.isfinite(v) for v in (t.card["metrics"]["kappa_linear"], t.card["baselines"]["logistic_regression"]["kappa_linear"]))


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"", "it is empty"),
        (b"name;phone\nAnna;+49 30 1234567\n", "no usable columns remain"),
        (b"age;hr;level\n" + b"50;80;7\n" * 40, "40 values that are not one of the levels 1–5 (e.g. '7')"),
        (b"age;hr;level\n" + b"50;80;3\n" * 40, "only level 3 occurs"),
        (b"age;hr;level\n" + b"50;80;3\n" * 39 + b"60;90;2\n", "too few rows per level"),
        (b"colour;shape\nred;round\nblue;square\n", "no column can be read as the reference level (name it level, triage_level, ESI, KTAS …)"),
        (b"x" * (51 * 1024 * 1024), "over the 50.0 MB limit"),
    ],
)
def test_bad_record_files(content, needle):
    with pytest.raises(DataProblem) as err:
        triage.read_data(content, "records.csv")
    assert needle in str(err.value)


def test_a_mapping_that_names_columns_only_reads_the_apps_own_values():
    """A mapping file with "columns" and no "codes" (the app's own F/M, walk-in/ambulance/other and A/V/P/U in the file)
    dropped every sex, arrival and AVPU value as "not mapped" (a real-file check, 2026-12-03: κ 0.542 → 0.493). Values
    already the app's own are read as themselves, in any case; codes given for a field, even a null one, still rule it."""
    d = generate(CohortConfig(n=300, seed=3)).drop(columns=["patient"])
    d["sex"] = d["sex"].str.lower()  # any case
    raw = d.to_csv(index=False).encode()
    recs = triage.read_data(raw, "c.csv", mapping=json.dumps({"columns": {k: k for k in d}}))
    assert not any("not mapped" in n for n in [*recs.notes, *recs.warnings])
    assert recs.frame["sex"].tolist() == d["sex"].str.upper().tolist()
    assert recs.frame["arrival"].tolist() == d["arrival"].tolist() and recs.frame["avpu"].tolist() == d["avpu"].tolist()
    # "U" means "unknown" in this export: mapped to null, it is not recorded (not read as unresponsive).
    given = triage.read_data(raw, "c.csv", mapping=json.dumps({"columns": {k: k for k in d}, "codes": {"avpu": {"A": "A", "V": "V", "P": "P", "U": None}}}))
    assert (d["avpu"] == "U").any() and not (given.frame["avpu"] == "U").any()
    assert given.frame["avpu"].isna().sum() == (d["avpu"] == "U").sum()
    # ... and said as the mapping's choice, not as "not mapped" (it had read "codes 'Boat', 'Helicopter' not mapped" beside a
    # mapping that sent Helicopter to null on purpose; a sweep, 2026-12-06)
    n_u = int((d["avpu"] == "U").sum())
    assert any(n.startswith(f"Mental status (AVPU): {n_u} values with code 'U' read as not recorded, as the mapping says") for n in given.notes), given.notes
    assert not any("not mapped" in n for n in [*given.notes, *given.warnings])
    # A code a given mapping does not name ('C', ACVPU's new confusion) is new to it: a warning, not a note among the others —
    # it had been dropped as not recorded with a note alone, where the same code under a guess is refused.
    d2 = d.copy()
    d2.loc[d2.index[:20], "avpu"] = "C"
    new = triage.read_data(d2.to_csv(index=False).encode(), "c.csv",
                           mapping=json.dumps({"columns": {k: k for k in d}, "codes": {"avpu": {"A": "A", "V": "V", "P": "P", "U": "U"}}}))
    (w,) = [x for x in new.warnings if "not mapped" in x]
    assert w.startswith("Mental status (AVPU): 20 values with code 'C' not mapped — treated as not recorded — the mapping does not "
                        "name these codes; if they mean something, add them to it and read the file again"), w
    assert not any("not mapped" in n for n in new.notes) and new.frame["avpu"].iloc[:20].isna().all()


def test_levels_outside_one_to_five_say_what_to_do_and_do_not_stop_scoring():
    """A real-file check (2026-12-03): ordinal::soup's six-level SURENESS, a 0-based scale and a half level were refused with
    "not one of the levels 1–5" and nothing on what to do; scoring, which needs no reference level, refused the whole file."""
    hints = {"7": "a scale of 7 levels has to become five before training", "0": "the scale looks 0-based (0–4): add 1 to every level",
             "2.5": "levels are whole numbers"}
    for odd, hint in hints.items():
        body = f"50;80;{odd}\n" * 20 + "50;80;2\n" * 20 + ("50;80;4\n" if odd == "0" else "")
        with pytest.raises(DataProblem, match=f"values that are not one of the levels 1–5 \\(e.g. '{odd}'\\) — {re.escape(hint)}"):
            triage.read_data(("age;hr;level\n" + body).encode(), "x.csv")
    model = shipped()
    if model is None:
        pytest.skip("no shipped triage model")
    d = generate(CohortConfig(n=40, seed=8)).drop(columns=["patient"])
    d["level"] = d["level"].astype(object)
    d.loc[[3, 7], "level"] = 6
    out = triage.score_file(model, d.to_csv(index=False).encode(), "six.csv")
    assert len(out) == 40 and out["suggested_level"].notna().all() and out["reference_level"].isna().sum() == 2
    assert any("2 values that are not one of the levels 1–5 (e.g. '6'): those rows are scored without a reference level" in n
               for n in out.attrs["notes"])


def test_a_model_that_suggests_one_level_for_everyone_is_said_to():
    """MASS::Cars93 (93 rows): the model put every row at level 1, κ 0.000 in all five folds, accuracy 0.17, and nothing said
    so (a real-file check, 2026-12-03). A constant model is named as one in the evaluation's notes."""
    from usecases.core.spec import DataInfo
    from usecases.triage.evaluation import build

    y = np.array([1, 2, 3, 3, 4, 5, 3, 2] * 5)
    info = DataInfo(source="x", rows=len(y), split="s", kind="held-out", test_rows=len(y), unit="patients")
    flat = np.tile([0.6, 0.1, 0.1, 0.1, 0.1], (len(y), 1))
    ev = build(y=y, probs={"model": flat}, rule_levels={}, data=info)
    assert ev.model["kappa_linear"] == 0 and any(n.startswith("The model suggests level 1 for every one of the 40 scored patients at the 3× rule")
                                                 for n in ev.notes)
    sharp = np.eye(5)[y - 1] * 0.9 + 0.02
    assert not any("for every one of" in n for n in build(y=y, probs={"model": sharp}, rule_levels={}, data=info).notes)
    assert sum("for every one of" in n for n in ev.at_cost(2.0).at_cost(3.0).notes) == 1  # said once, not once per rebuild


def test_a_model_less_often_right_than_the_most_common_level_is_said_to_and_whether_its_cost_pays():
    """ordinal::soup collapsed to five levels: accuracy 0.450 against 0.470 for always the most common level, said nowhere
    (a real-file check, 2026-12-03). The note gives both shares and whether the triage cost per patient — what the
    cost-weighted rule trades exact levels for — is lower than the constant guess's."""
    from usecases.core.spec import DataInfo
    from usecases.triage.evaluation import build

    y = np.array([3] * 50 + [2] * 25 + [4] * 25)
    info = DataInfo(source="x", rows=len(y), split="s", kind="held-out", test_rows=len(y), unit="patients")
    # One level more urgent for every level-3 and level-4 patient, right for every level-2 one: accuracy 25 %, never under-triaged
    up = np.eye(5)[np.where(y == 2, 2, y - 1) - 1] * 0.96 + 0.01
    ev = build(y=y, probs={"model": up}, rule_levels={}, data=info)
    assert ev.model["accuracy"] == 0.25
    (note,) = [n for n in ev.notes if n.startswith("The model's levels are right")]
    assert note.startswith("The model's levels are right for 25.0% of the 100 scored patients, fewer than suggesting level 3 (on "
                           "the app's scale, 1 = most urgent) — the most common here — for everyone would get right (50.0%); the 3× rule moves doubtful patients")
    assert "lower than that guess's (0.750 vs 1.000)" in note
    # Two levels too urgent for everyone but level 2: more costly than the guess, said so
    worse = np.eye(5)[np.clip(np.where(y == 2, 2, y - 2), 1, 5) - 1] * 0.96 + 0.01
    (note,) = [n for n in build(y=y, probs={"model": worse}, rule_levels={}, data=info).notes if n.startswith("The model's levels")]
    assert "its triage cost per patient is not lower either (1.500 vs 1.000): on this file the model does no better than a constant guess" in note
    assert not any(n.startswith("The model's levels") for n in build(y=y, probs={"model": np.eye(5)[y - 1] * 0.96 + 0.01},
                                                                    rule_levels={}, data=info).notes)


def test_bad_mapping_files():
    with pytest.raises(DataProblem, match="not valid JSON"):
        trec.Mapping.from_json(b"{nope")
    with pytest.raises(DataProblem, match="unknown field colour"):
        trec.Mapping.from_json(json.dumps({"columns": {"colour": "x"}}))
    with pytest.raises(DataProblem, match='"most_urgent" must be 1 or 5'):
        trec.Mapping.from_json(json.dumps({"columns": {}, "most_urgent": 3}))


def test_shipped_checkpoint_reproduces_its_card_and_meets_targets():
    t = shipped()
    if t is None:
        pytest.skip("no shipped triage checkpoint")
    assert t.artefacts is not None  # the page opens without refitting anything
    ev = triage.evaluate(t)
    for k, v in t.card["metrics"].items():
        assert ev.model[k] == pytest.approx(v, abs=1e-6), k
    # The stored test scores are this model's scores of the regenerated test patients.
    from usecases.triage import learner
    from usecases.triage.pipeline import Config, synthetic_split

    cfg = Config.from_dict(t.card["training"])
    df = generate(cfg.cohort).drop(columns=["patient"])
    _, _, te = synthetic_split(df["level"].to_numpy(int), cfg.seed)
    np.testing.assert_allclose(learner.predict_proba(t.model, df.iloc[te]), t.artefacts["p.model"], atol=1e-5)
    assert np.array_equal(df["level"].to_numpy(int)[te], t.artefacts["y"])
    assert ev.model["kappa_linear"] >= 0.83
    for name in ("news2", "esi_rule", "nurse", "logistic_regression"):  # safer than the rules, the nurse and the linear peer
        assert ev.model["under_triage_l12"] < ev.baselines[name]["under_triage_l12"], name


def test_level_one_alone_is_reported_where_the_pooled_figure_hides_it():
    """Under-triage of levels 1–2 pools the few level-1 patients with the many level-2 ones; the page also reports level 1
    alone. By hand: 10 level-1 patients; the model under-triages 4 (rows 0–3), the nurse 2 (rows 2, 4); only the model: 3
    (rows 0, 1, 3), only the nurse: 1 (row 4) — exact McNemar p = 2 × P(X ≥ 3 | n 4, ½) = 0.625; together (the more urgent of
    the two) only row 2 stays under-triaged."""
    from usecases.core.spec import DataInfo
    from usecases.triage.evaluation import build

    y = np.array([1] * 10 + [3] * 10)
    model = np.array([2, 2, 3, 2] + [1] * 6 + [3] * 10)
    nurse = np.array([1, 1, 2, 1, 2] + [1] * 5 + [3] * 10)
    ev = build(y=y, probs={"model": np.eye(5)[model - 1]}, rule_levels={"nurse": nurse}, data=DataInfo("t", 20, "all", synthetic=True))
    text, worse = ev.most_urgent()
    assert worse and text.startswith("Level 1 alone (10 patients): the model under-triages 4, more than the simulated nurse (2); "
                                     "3 only the model missed and 1 only the nurse missed (exact McNemar p = 0.62, not conclusive)")
    assert text.endswith("Together, taking the more urgent of the two levels, 1 is under-triaged.")
    # Home's card, the CLI and the portfolio report carry the short form, which the verdict on κ would otherwise hide
    assert ev.caveat() == ("On level 1 alone the model under-triages more patients than the simulated nurse: 4 vs 2 of 10 "
                           "(McNemar p = 0.62, not conclusive) — the pooled figures hide it.")
    assert ev.to_json()["caveat"] == ev.caveat()
    better = build(y=y, probs={"model": np.eye(5)[y - 1]}, rule_levels={"nurse": nurse}, data=DataInfo("t", 20, "all"))
    assert not better.most_urgent()[1] and "fewer than the nurse in your file" in better.most_urgent()[0]  # a user's own nurses
    assert better.caveat() == "" and "caveat" not in better.to_json()
    assert build(y=np.array([3, 4]), probs={"model": np.eye(5)[[2, 3]]}, rule_levels={"nurse": np.array([3, 4])},
                 data=DataInfo("t", 2, "all")).most_urgent() is None
    # a user's file whose level 5 is the most urgent: the same patients, named with the file's own number
    five = build(y=y, probs={"model": np.eye(5)[model - 1]}, rule_levels={"nurse": nurse}, data=DataInfo("t", 20, "all"), file_most_urgent=5)
    assert five.most_urgent()[0].startswith("Level 1 (5 in your file) alone (10 patients): the model under-triages 4, ")
    assert five.caveat().startswith("On level 1 (5 in your file) alone the model under-triages more patients than the nurse in your file: 4 vs 2")
    assert five.at_cost(8).file_most_urgent == 5 and "Levels here are on the app's scale" not in " ".join(ev.notes)
    assert [n for n in five.at_cost(8).notes if n.startswith("Levels here")] == [n for n in five.notes if n.startswith("Levels here")] != []


def test_an_immediate_life_threat_the_model_under_reads_is_flagged_on_the_assess_tab():
    """One extreme vital sign with everything else normal is rare in the cohort (vitals move together there), and the model
    under-reads it: an adult with a heart rate of 165 and normal vitals gets level 3 or less urgent, where the ESI-style rule
    says level 1. The assessment says so (``rule_overruled``, with the sign in words) instead of leaving the model's level
    alone on screen; a normal patient raises nothing. The evaluation counts the same split by hand."""
    from usecases.core.spec import DataInfo
    from usecases.triage.evaluation import build
    from usecases.triage.rules import esi_level, immediate_signs

    assert immediate_signs({"hr": 165.0, "spo2": np.nan, "rr": 12.0, "avpu": "A", "complaint": "ankle pain"}) == ["heart rate 165 /min (> 150)"]
    assert immediate_signs({"hr": 80.0, "avpu": "U", "complaint": "found in cardiac arrest", "rr": 6.0}) == [
        "unresponsive", "resuscitation complaint: cardiac arrest", "respiratory rate 6 /min (< 8)"]
    row = pd.DataFrame([{"age": 45.0, "hr": 165.0, "rr": 14.0, "spo2": 98.0, "sbp": 128.0, "pain": 3.0, "avpu": "A", "complaint": "ankle pain"}])
    assert esi_level(row)[0] == 1 and esi_level(row.assign(hr=150.0))[0] > 1  # the rule's own thresholds, shared
    t = shipped()
    if t is not None:
        patient = {"age": 45.0, "sex": "M", "arrival": "walk-in", "complaint": "ankle pain", "avpu": "A", "pain": 3.0, "sbp": 128.0,
                   "dbp": 80.0, "hr": 165.0, "rr": 14.0, "temp": 36.8, "spo2": 98.0}
        res = triage.assess(t, patient)
        assert res.esi_level == 1 and res.immediate == ["heart rate 165 /min (> 150)"]
        assert res.rule_overruled == (res.level >= 3)
        assert not triage.assess(t, dict(patient, hr=78.0)).rule_overruled
    y = np.array([1, 2, 4, 3, 3])
    model = np.array([3, 3, 4, 1, 3])
    esi = np.array([1, 1, 1, 1, 3])  # rows 0–2: rule 1, model ≥ 3 (reference 1–2 in rows 0 and 1); row 3: model 1; row 4: rule 3
    ev = build(y=y, probs={"model": np.eye(5)[model - 1]}, rule_levels={"esi_rule": esi}, data=DataInfo("t", 5, "all"))
    assert ev.rule_overruled() == (3, 5, 2)
    assert build(y=y, probs={"model": np.eye(5)[model - 1]}, rule_levels={}, data=DataInfo("t", 5, "all")).rule_overruled() is None


def test_the_calibration_sentence_says_which_way_the_middle_bins_are_off():
    """The Assess tab called the probabilities "calibrated" while the Model tab's chart showed 56 of 63 test patients at a
    predicted 40–60 % were levels 1–2: the chart now says in words how far and which way the middle bins are off."""
    from types import SimpleNamespace

    import numpy as np

    from usecases.triage.evaluation import TriageEvaluation

    def ev(p12, levels):  # P(level 1–2) split over levels 1 and 2; the rest on level 3
        p = np.asarray(p12, float)
        return SimpleNamespace(probs={"model": np.c_[p / 2, p / 2, 1 - p, np.zeros((len(p), 2))]}, y=np.asarray(levels))

    # 8 sure patients, 4 at 50 % who were all levels 1–2: under-confident, off by 50 points
    under = ev([0.02] * 4 + [0.97] * 4 + [0.5] * 4, [3] * 4 + [1] * 4 + [2] * 4)
    text = TriageEvaluation.calibration_sentence(under)
    assert "8 of the 12 patients get below 10 % or above 90 %" in text
    assert "For the 4 between, the probability is off by 50.0 pts on average, all of them under-confident" in text
    # predicted 80 % where half were levels 1–2: over-confident
    over = ev([0.02] * 4 + [0.8] * 4, [3] * 4 + [1, 1, 3, 3])
    assert "all of them over-confident" in TriageEvaluation.calibration_sentence(over)
    # predicted 45 % where all were levels 1–2 is on the wrong side of 50 %, not "under-confident" (the page said "all of them
    # under-confident" beside a bin predicted at 48 % and observed at 80 %)
    crossed = TriageEvaluation.calibration_sentence(ev([0.02] * 4 + [0.45] * 4 + [0.7] * 4, [3] * 4 + [1] * 8))
    assert "8 between" in crossed and "4 of them under-confident" in crossed and "all of them" not in crossed, crossed
    assert "; for 4 the observed share is on the other side of 50 % (predicted 45 %, observed 100 %) — read" in crossed, crossed
