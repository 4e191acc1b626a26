"""Triage, issue 11: users' records — the mapping guess is reported and never applied silently, the
own-data protocol (cross-validation, fold ensemble, recorded split) and peers fit on the same rows."""

from __future__ import annotations

import dataclasses
import functools
import io
import json

import numpy as np
import pandas as pd
import pytest

from tests.triage_support import FAST, KTAS_MAPPING, cohort_csv, ktas_export
from usecases import triage
from usecases.core.tables import DataProblem
from usecases.triage.mapping import guess_mapping
from usecases.triage.records import read_raw


# ---- the guess ----------------------------------------------------------------------------------

def test_guess_on_a_ktas_like_export_is_refused_and_says_why():
    with pytest.raises(DataProblem) as err:
        triage.read_data(ktas_export(), "ktas.csv")
    msg = str(err.value)
    assert "Sex: numeric codes '1', '2' are ambiguous" in msg  # the old guess read 1 as male (the file means female)
    assert "Arrival mode: numeric codes" in msg and "Mental status (AVPU): numeric codes" in msg
    assert "--accept-guessed-mapping" in msg and "Chief complaint ← 'Chief_complain'" in msg


def test_guess_finds_the_complaint_the_pain_score_and_the_expert_level():
    df, info, _ = read_raw(ktas_export(), "ktas.csv")
    assert info.delimiter == ";" and info.encoding == "cp1252"
    g = guess_mapping(df)
    cols = g.mapping.columns
    assert cols["complaint"] == "Chief_complain" and g.how["complaint"].startswith("close to")
    assert cols["pain"] == "NRS_pain"  # not the 0/1 "Pain" flag
    assert cols["level"] == "KTAS_expert" and cols["nurse_level"] == "KTAS_RN" and cols["temp"] == "BT"
    assert any("'Pain' holds only 0 and 1" in s for s in g.skipped)
    assert g.ambiguous["sex"] == ["1", "2"] and "sex" not in g.mapping.codes or not g.mapping.codes["sex"]
    assert g.needs_confirmation


def test_a_german_rr_column_holding_blood_pressures_is_not_read_as_breaths_a_minute():
    """German records write the blood pressure as "RR" (Riva-Rocci) and the respiratory rate as "AF" (Atemfrequenz). "RR" was
    taken as the respiratory rate: 783 of 800 values voided as implausible, 17 systolic readings kept as breathing rates."""
    from tests.triage_support import cohort_csv

    df = pd.read_csv(io.BytesIO(cohort_csv(300, seed=3)))
    german = df.rename(columns={"sbp": "RR", "rr": "AF"})
    g = guess_mapping(german)
    assert g.mapping.columns["rr"] == "AF" and "RR" not in g.mapping.columns.values()
    assert any(s.startswith("'RR' holds values like a blood pressure (median ") and "Riva-Rocci" in s for s in g.skipped)
    assert guess_mapping(df.rename(columns={"rr": "RR"})).mapping.columns["rr"] == "RR"  # breaths a minute: read as before


def test_a_field_named_with_its_unit_is_found():
    """`HeartRate_bpm`, `Temp (F)`, `SBP mmHg` were left "Not used" and the model trained without them."""
    from tests.triage_support import cohort_csv

    df = pd.read_csv(io.BytesIO(cohort_csv(200, seed=3)))
    g = guess_mapping(df.rename(columns={"hr": "HeartRate_bpm", "temp": "Temp (C)", "sbp": "SBP mmHg", "rr": "Resp Rate /min"}))
    assert (g.mapping.columns["hr"], g.mapping.columns["temp"], g.mapping.columns["sbp"], g.mapping.columns["rr"]) == \
        ("HeartRate_bpm", "Temp (C)", "SBP mmHg", "Resp Rate /min")
    assert g.how["hr"] == "by name, with its unit"
    f = df.assign(temp=df["temp"] * 9 / 5 + 32).rename(columns={"temp": "Temp (F)"})  # found, and its unit named, not dropped
    with pytest.raises(DataProblem, match="°F"):
        triage.read_data(f.to_csv(index=False).encode(), "f.csv")


def test_accepting_the_guess_treats_ambiguous_codes_as_not_recorded_and_reports_it():
    recs = triage.read_data(ktas_export(), "ktas.csv", accept_guess=True)
    f = recs.frame
    assert f["sex"].isna().all() and f["arrival"].isna().all()  # not a guessed direction
    assert f["complaint"].str.len().gt(0).mean() > 0.9 and f["pain"].max() > 1
    assert f["temp"].between(30, 44).mean() > 0.85  # decimal commas, "??" missing
    assert recs.notes[0].startswith("Guessed mapping:") and any("ambiguous" in n for n in recs.notes)


def test_an_explicit_mapping_reads_the_codes_the_right_way_round():
    raw = ktas_export()
    recs = triage.read_data(raw, "ktas.csv", mapping=json.dumps(KTAS_MAPPING))
    df, _, _ = read_raw(raw, "ktas.csv")
    assert (recs.frame["sex"] == np.where(df["Sex"] == "1", "F", "M")).all()
    assert recs.guess is None and not any(n.startswith("Guessed") for n in recs.notes)


def test_a_0_1_column_mapped_as_pain_is_refused():
    m = json.loads(json.dumps(KTAS_MAPPING))
    m["columns"]["pain"] = "Pain"
    with pytest.raises(DataProblem, match="holds only 0 and 1 — a yes/no flag, not a 0–10 pain score"):
        triage.read_data(ktas_export(), "ktas.csv", mapping=json.dumps(m))


def test_score_file_with_a_guess_needs_acceptance_too():
    from tests.triage_support import quick_model

    with pytest.raises(DataProblem, match="ambiguous"):
        triage.score_file(quick_model(), ktas_export(60), "ktas.csv")
    out = triage.score_file(quick_model(), ktas_export(60), "ktas.csv", accept_guess=True)
    assert len(out) == 60 and out.attrs["notes"][0].startswith("Guessed mapping")


# ---- the protocol -------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _own():
    recs = triage.read_data(ktas_export(400), "ktas.csv", mapping=json.dumps(KTAS_MAPPING))
    return recs, triage.train(triage.Config(**FAST), data=recs)


def test_own_data_trains_one_model_per_fold_and_records_the_split():
    recs, t = _own()
    rec = t.card["data"]["split_record"]
    assert rec["kind"] == "cv" and rec["k"] == 5 and rec["rows"] == len(recs.frame) and rec["fingerprint"] == recs.fingerprint
    assert len(t.model) == 5 and t.card["model"]["members"] == 5
    assert 0 < t.card["networks_seconds"] < t.card["training_seconds"]  # the peers outside it (runner.budget_overrun)
    assert len(t.card["peers"]["logistic_regression"]) == 5  # one peer per fold, on the fold's rows
    assert "5-fold stratified cross-validation" in t.card["data"]["split"] and not t.card["data"]["synthetic"]


def test_evaluating_on_the_training_file_scores_only_held_out_rows():
    recs, t = _own()
    ev = triage.evaluate(t, recs)
    assert ev.data.kind == "cross-validation" and ev.data.test_rows == len(recs.frame)
    assert ev.model == pytest.approx(t.card["metrics"])
    assert len(ev.folds["model"]["kappa_linear"]) == 5  # every figure carries its spread over folds
    # Without the precomputed arrays: each row by the fold model that did not learn from it, the peer
    # re-fit on the same fold rows — the same figures. (An in-sample score would be far higher.)
    fresh = triage.evaluate(dataclasses.replace(t, artefacts=None, peers=None), recs)
    assert fresh.model == pytest.approx(ev.model) and fresh.baselines["logistic_regression"] == pytest.approx(ev.baselines["logistic_regression"])
    in_sample = triage.score(t, recs.frame)["suggested_level"].to_numpy()
    assert (in_sample == recs.frame["level"]).mean() > ev.model["accuracy"]


def test_another_file_is_an_external_test_with_the_fold_peers():
    recs, t = _own()
    other = triage.read_data(ktas_export(200, seed=12), "other.csv", mapping=json.dumps(KTAS_MAPPING))
    ev = triage.evaluate(t, other)
    assert ev.data.kind == "external" and ev.data.test_rows == 200 and "logistic_regression" in ev.baselines
    stored = triage.evaluate(dataclasses.replace(t, peers=None), other)
    assert "logistic_regression" not in stored.baselines and any("not kept" in n for n in stored.notes)


def test_an_external_file_holding_training_rows_is_scored_without_them(tmp_path):
    """A 400-row slice of a training file was evaluated as "external test: all 400 rows (the model never saw this file)", κ
    0.754 against 0.691 cross-validated. Rows of the training file (kept as hashes with the model, through a save and a load)
    are now left out and said; a file of nothing else — the training file re-sorted — is refused."""
    from usecases.core import protocol
    from usecases.core.store import ModelStore

    recs, t = _own()
    store = ModelStore(tmp_path)
    triage.save(t, store, "triage/custom/own")
    t = dataclasses.replace(triage.load(store, "triage/custom/own"), peers=t.peers)
    assert len(t.artefacts[protocol.ROW_HASHES]) == len(recs.frame)
    mine = ktas_export(400).decode("latin-1").splitlines()
    theirs = ktas_export(200, seed=12).decode("latin-1").splitlines()
    assert mine[0] == theirs[0]
    mixed = "\n".join([mine[0], *mine[1:151], *theirs[1:]]).encode("latin-1")
    ev = triage.evaluate(t, triage.read_data(mixed, "mixed.csv", mapping=json.dumps(KTAS_MAPPING)))
    note = "150 of its 350 rows are rows of the model's training file (the same values in every column) and are left out: the figures are on the other 200"
    assert ev.data.kind == "external" and ev.data.test_rows == 200 and note in ev.data.split
    assert any(n.startswith(note[:1].upper() + note[1:]) for n in ev.notes)
    alone = triage.evaluate(t, triage.read_data(ktas_export(200, seed=12), "other.csv", mapping=json.dumps(KTAS_MAPPING)))
    assert ev.model == pytest.approx(alone.model)  # the same 200 new rows, the same figures
    resorted = "\n".join([mine[0], *sorted(mine[1:])]).encode("latin-1")
    with pytest.raises(DataProblem, match=r"all 400 of its rows are rows of the model's training file .* it is not new data"):
        triage.evaluate(t, triage.read_data(resorted, "sorted.csv", mapping=json.dumps(KTAS_MAPPING)))


def test_cost_ratio_trade_off_is_computed_on_validation_rows():
    recs, t = _own()
    ev = triage.evaluate(t, recs)
    rows = ev.tradeoff()
    assert [r["ratio"] for r in rows] == sorted(r["ratio"] for r in rows) and len(ev.val_y) < len(recs.frame)
    under = [r["under_triage"] for r in rows]
    over = [r["over_triage"] for r in rows]
    assert under[0] >= under[-1] and over[0] <= over[-1]  # a dearer under-triage buys less of it with more over-triage
    assert ev.at_cost(8.0).model["over_triage"] >= ev.at_cost(1.0).model["over_triage"]
    assert ev.at_cost(3.0) is ev  # the default rule: the same object


def test_tiny_file_is_refused_and_small_class_shrinks_k():
    with pytest.raises(DataProblem, match="at least 30 are needed"):
        triage.read_data(cohort_csv(25, 3), "tiny.csv")
    from usecases.core import protocol

    y = np.array([1] * 3 + [2] * 30 + [3] * 30)
    s = protocol.class_split(y, __import__("pandas").DataFrame({"y": y}))
    assert s.k == 3


def test_lightgbm_peer_is_tuned_on_validation_rows_only():
    from usecases.triage.cohort import CohortConfig, generate
    from usecases.triage.peers import TREE_CHECKPOINTS, fit_peer

    df = generate(CohortConfig(n=900, seed=4)).drop(columns=["patient"])
    p = fit_peer("lightgbm", df.iloc[:600], df.iloc[600:750])
    assert p.params["trees"] in TREE_CHECKPOINTS and p.params["num_leaves"] in (15, 31)
    probs = p.predict_proba(df.iloc[750:])
    assert probs.shape == (150, 5) and np.allclose(probs.sum(1), 1, atol=1e-6)


def test_rule_baselines_are_left_out_when_the_file_has_nothing_they_read():
    from usecases.triage.pipeline import rule_levels

    from tests.triage_support import no_rule_csv

    df = triage.read_data(no_rule_csv(200, 5), "x.csv").frame
    assert df["complaint"].str.startswith("treatment=").all()
    assert "news2" not in rule_levels(df) and "esi_rule" not in rule_levels(df) and "nurse" not in rule_levels(df)
    full = triage.read_data(cohort_csv(200, 5), "y.csv").frame
    assert {"news2", "esi_rule", "nurse"} <= set(rule_levels(full))


def test_the_training_mapping_scores_a_file_without_its_level_columns():
    """The mapping the Your records tab downloads names the level columns; a file to score has none, and scoring with that
    mapping was refused ("mapped column(s) not in the file: level → …") although the level is optional there."""
    from tests.triage_support import KTAS_MAPPING, ktas_export, quick_model

    raw = ktas_export(40)
    df = pd.read_csv(io.BytesIO(raw), sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    unlabelled = df.drop(columns=["KTAS_expert", "KTAS_RN"]).to_csv(index=False, sep=";").encode("latin-1")
    out = triage.score_file(quick_model(), unlabelled, "to-score.csv", mapping=json.dumps(KTAS_MAPPING))
    assert len(out) == 40 and out["suggested_level"].between(1, 5).all() and "reference_level" not in out
    assert "Not in this file, and not needed to score it: Reference level ('KTAS_expert'), Nurse level ('KTAS_RN')" in out.attrs["notes"]
    with pytest.raises(DataProblem, match="mapped column\\(s\\) not in the file: level → 'KTAS_expert'"):
        triage.read_data(unlabelled, "to-train.csv", mapping=json.dumps(KTAS_MAPPING))  # training still needs them


def test_a_mapped_column_named_in_another_case_is_read_and_a_typo_gets_a_suggestion():
    """A mapping naming "Vote" for the file's "vote" was refused as "not in the file" with no hint (a real-file check,
    2026-12-03). A name that differs only in case, spaces or punctuation is read, said in a note; a typo is refused with the
    closest column and the file's columns."""
    from tests.triage_support import KTAS_MAPPING, ktas_export

    raw = ktas_export(200)
    want = triage.read_data(raw, "k.csv", mapping=json.dumps(KTAS_MAPPING))
    loose = {**KTAS_MAPPING, "columns": {**KTAS_MAPPING["columns"], "hr": "hr", "complaint": "chief complain"}}
    got = triage.read_data(raw, "k.csv", mapping=json.dumps(loose))
    pd.testing.assert_frame_equal(got.frame, want.frame)
    assert "the mapping's column 'hr' (Heart rate) is read as the file's 'HR'" in got.notes
    assert "the mapping's column 'chief complain' (Chief complaint) is read as the file's 'Chief_complain'" in got.notes
    typo = {**KTAS_MAPPING, "columns": {**KTAS_MAPPING["columns"], "spo2": "Saturaton"}}
    with pytest.raises(DataProblem, match=r"mapped column\(s\) not in the file: spo2 → 'Saturaton' \(did you mean 'Saturation'\?\) — "
                                          r"the file's columns: "):
        triage.read_data(raw, "k.csv", mapping=json.dumps(typo))


def test_an_unnamed_column_is_named_as_a_person_reads_the_file():
    """A table saved with pandas' index had its first column named "Not used: 'Unnamed: 0'" — pandas' name for an empty
    header cell, not the file's (a real-file check, 2026-12-03)."""
    from tests.triage_support import cohort_csv

    df = pd.read_csv(io.BytesIO(cohort_csv(300, 0))).assign(ward="A")
    notes = triage.read_data(df.to_csv().encode(), "x.csv").notes
    assert "Not used: the unnamed column 1, 'ward'" in notes and not any("Unnamed" in n for n in notes)


def test_a_model_reads_a_file_given_without_a_mapping_with_its_own_mapping(tmp_path):
    """A real-file check (2026-12-03): trained with "level 5 is the most urgent" and evaluated on its own file without the
    mapping, the file was read by a guess (level 1 most urgent) — every level turned round, κ 0.000, no word of why; scoring
    wrote level 1 beside reference level 5. The card now keeps the mapping, and a file given without one is read with it
    (said in a note) by evaluate, by score and by the command line; a file that lacks the level is still scored with it."""
    import argparse

    import usecases.__main__ as cli

    raw_df = pd.read_csv(io.BytesIO(ktas_export(400)), sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    for c in ("KTAS_expert", "KTAS_RN"):  # the file's own scale: 5 = most urgent
        raw_df[c] = (6 - raw_df[c].astype(int)).astype(str)
    raw = raw_df.to_csv(index=False, sep=";").encode("latin-1")
    mapping = json.dumps({**KTAS_MAPPING, "most_urgent": 5})
    mapped = triage.read_data(raw, "reversed.csv", mapping=mapping)
    t = triage.train(triage.Config(**FAST), data=mapped)
    assert t.card["data"]["mapping"]["most_urgent"] == 5 and t.card["data"]["mapping"]["columns"]["level"] == "KTAS_expert"

    own = triage.read_data(raw, "reversed.csv", trained=t)
    assert own.frame["level"].tolist() == mapped.frame["level"].tolist() and own.fingerprint == mapped.fingerprint
    assert own.notes[0].startswith("Read with the mapping this model was trained with (level 5 is the most urgent end of 'KTAS_expert'")
    ev, ev_mapped = triage.evaluate(t, own), triage.evaluate(t, mapped)
    assert ev.data.kind == "cross-validation" and ev.model == pytest.approx(ev_mapped.model) and ev.model["kappa_linear"] > 0.3
    # The figures' levels are the app's: the evaluation says which of the file's own levels they are (it had said "level 1"
    # to a user whose file calls that level 5), after a reload and at another cost ratio too.
    for e in (ev, ev_mapped, triage.evaluate(t), ev.at_cost(8)):
        assert e.file_most_urgent == 5 and sum(n.startswith("Levels here are on the app's scale") for n in e.notes) == 1, e.notes
        assert "your file's 5 is level 1" in next(n for n in e.notes if n.startswith("Levels here"))
    # the same patients in a file written 1 = most urgent: the same rows, so the same figures, named on that file's scale
    # (it had been told "your file's 5 is level 1" from the training file's mapping — a sweep, 2026-12-04)
    plain = triage.evaluate(t, triage.read_data(ktas_export(400), "plain.csv", mapping=json.dumps(KTAS_MAPPING)))
    assert plain.data.kind == "cross-validation" and plain.model == pytest.approx(ev.model)
    assert plain.file_most_urgent == 1 and not any(n.startswith("Levels here") or "in your file" in n for n in plain.notes), plain.notes
    # another file, read with the mapping: an external test, its figures named on that file's scale too
    other_df = pd.read_csv(io.BytesIO(ktas_export(200, seed=29)), sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    for c in ("KTAS_expert", "KTAS_RN"):
        other_df[c] = (6 - other_df[c].astype(int)).astype(str)
    ext = triage.evaluate(t, triage.read_data(other_df.to_csv(index=False, sep=";").encode("latin-1"), "other.csv", mapping=mapping))
    assert ext.data.kind == "external" and ext.file_most_urgent == 5
    assert sum(n.startswith("Levels here are on the app's scale") for n in ext.notes) == 1, ext.notes
    # The command line passes the model to the reader.
    f = tmp_path / "reversed.csv"
    f.write_bytes(raw)
    args = argparse.Namespace(data=str(f), mapping=None, items=None, text_column=None, accept_guessed_mapping=False)
    assert cli._read_user_data(triage, args, t).frame["level"].tolist() == mapped.frame["level"].tolist()
    # Scoring: the file's scale both ways, with or without the mapping, and without the level column too.
    s_given, s_own = triage.score_file(t, raw, "r.csv", mapping=mapping), triage.score_file(t, raw, "r.csv")
    assert s_own["suggested_level"].tolist() == s_given["suggested_level"].tolist()
    assert s_own["reference_level"].tolist() == raw_df["KTAS_expert"].astype(int).tolist()
    assert (s_own["suggested_level"] == s_own["reference_level"]).mean() > 0.4  # on the same scale (turned round: about 0.1)
    bare = triage.score_file(t, raw_df.drop(columns=["KTAS_expert"]).to_csv(index=False, sep=";").encode("latin-1"), "bare.csv")
    assert bare["suggested_level"].tolist() == s_given["suggested_level"].tolist() and "reference_level" not in bare
    assert any("Read with the mapping this model was trained with" in n for n in bare.attrs["notes"])
    # A file with none of its columns is guessed as before.
    other = triage.read_data(cohort_csv(200, 5), "other.csv", trained=t)
    assert other.guess is not None and not any("trained with" in n for n in other.notes)
    # A model whose training file was read by a guess guesses again (as it did then): a column the training file lacked is
    # then named as never seen in training, rather than left unread.
    assert t.card["data"]["mapping_guessed"] is False
    guessed = dataclasses.replace(t, card={**t.card, "data": {**t.card["data"], "mapping_guessed": True}})
    assert triage.trained_mapping(guessed, raw, "reversed.csv") is None


def test_a_model_never_suggests_a_level_its_training_file_never_held():
    """A model trained on levels 2–3 alone suggested level 1 for 55 of 600 patients (p up to 0.67) while its training note said
    it "cannot suggest" level 1: the networks give an unseen level a share, and the cost-weighted rule weighs urgent levels
    up (a sweep, 2026-12-07). Unseen levels now get probability 0 — when scoring, in the Assess tab and in the evaluation."""
    from usecases.triage import explain
    from usecases.triage.pipeline import held_only

    p = np.array([[0.3, 0.5, 0.2, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    assert np.allclose(held_only(p, [1, 4, 5]), [[0, 5 / 7, 2 / 7, 0, 0], [1, 0, 0, 0, 0]])  # nothing left: kept as it was
    assert held_only(p, []) is p
    df = pd.read_csv(io.BytesIO(cohort_csv(500, seed=4)))
    two = df[df["level"].isin([2, 3])]
    recs = triage.read_data(two.to_csv(index=False).encode(), "two.csv")
    assert any("the model cannot suggest them" in n for n in recs.notes)
    t = triage.train(triage.Config(**FAST), data=recs)
    assert triage.pipeline.never_seen(t.card)[1] == [1, 4, 5]
    out = triage.score_file(t, cohort_csv(300, seed=8), "all.csv")
    assert set(out["suggested_level"].dropna().astype(int)) <= {2, 3}
    assert (out[["p_level_1", "p_level_4", "p_level_5"]].fillna(0) == 0).all().all()
    ev = triage.evaluate(t)
    assert set(np.unique(ev.levels("model"))) <= {2, 3}  # the cross-validated figures too
    urgent = {"age": 70, "sex": "M", "arrival": "ambulance", "complaint": "chest pain", "avpu": "V", "pain": 9, "sbp": 80, "dbp": 40,
              "hr": 140, "rr": 32, "temp": 39.5, "spo2": 85}
    said = explain.assess(t, urgent)
    assert said.level in (2, 3) and said.probs[0] == 0, said
