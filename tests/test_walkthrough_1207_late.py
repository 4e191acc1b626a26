"""Findings of an analyst walkthrough with real exports (2026-12-07, later; AER::CreditCard's declined applications as
"frauds" on the fraud page, DAAG::headInjury and survival::pbc as triage records): words that priced money a file does not
have, a confusion matrix titled with a threshold its counts were not taken at, and columns suggested for fields they cannot
fill."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from usecases import fraud, triage
from usecases.fraud import business as fb


def _declined(n: int = 300, frauds: int = 60, seed: int = 0) -> pd.DataFrame:
    """AER::CreditCard's shape: a declined application (the "fraud") spends nothing."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, frauds, replace=False)] = 1
    return pd.DataFrame({"income": np.round(rng.lognormal(1.1, 0.4, n) - 0.5 * y, 2),
                         "Betrag": np.where(y == 1, 0.0, np.round(rng.lognormal(4.5, 1.0, n), 2)),
                         "Abgelehnt": np.where(y == 1, "Ja", "Nein")})


def test_frauds_that_all_have_an_amount_of_0_are_told_and_priced_as_frauds_not_money():
    """f2d_german.csv (CreditCard, "Betrag" = expenditure): every declined row spends €0, so the share of "fraud money" fell
    back to the share of frauds, and the Overview read "1.69 % of the fraud money flagged × 750 frauds a month × €87"."""
    from tests.test_fraud import hand_evaluation

    ds = fraud.read_data(_declined().to_csv(index=False, sep=";", decimal=",").encode(), "de.csv", label="Abgelehnt")
    said = [n for n in ds.notes if "every fraud row has an amount of 0" in n]
    assert said and said[0].startswith("column Betrag: read as each payment's amount, but") and "assumed average fraud amount" in said[0], ds.notes
    assert not any("counts the money of the frauds caught" in n for n in ds.notes), ds.notes  # the two had stood side by side
    # a file whose frauds have money is not told so
    ok = _declined().assign(Betrag=lambda d: d["Betrag"] + 5)
    assert not any("amount of 0" in n for n in fraud.read_data(ok.to_csv(index=False).encode(), "ok.csv", label="Abgelehnt").notes)

    ev = hand_evaluation()
    assert fb.no_fraud_money(ev) == ""
    zero = dataclasses.replace(ev, test=dataclasses.replace(ev.test, amount=np.where(ev.test.y == 1, 0.0, 100.0)))
    assert fb.no_fraud_money(zero) == "every fraud in the file has an amount of 0"
    assert fb.no_fraud_money(dataclasses.replace(ev, has_amount=False)) == "the file has no amount column"
    op = fb.operating(zero, fb.FraudAssumptions())
    text = fb.prevented_text(op, fb.FraudAssumptions(), zero.has_amount, fb.no_fraud_money(zero))
    assert "fraud money" not in text and "of the frauds flagged (every fraud in the file has an amount of 0, so every fraud counts at " \
                                           "the average amount)" in text, text
    # without the reason, an amount column still speaks of money, and no amount column of frauds
    assert "of the fraud money flagged" in fb.prevented_text(op, fb.FraudAssumptions(), True)
    assert "(the file has no amount column, so" in fb.prevented_text(op, fb.FraudAssumptions(), False)


def test_the_confusion_matrix_says_the_per_fold_thresholds_its_counts_were_taken_at():
    """A 5-fold file's confusion matrix was titled "Test rows, counted at threshold 0.954" — the threshold new payments are
    scored at — while its 5 caught and 0 false alerts were counted at each fold's own threshold, 0.932 to 0.955."""
    from tests.test_fraud import hand_evaluation

    ev = hand_evaluation()
    op = fb.operating(ev, fb.FraudAssumptions())
    assert fb.counted_at(op) == f"at threshold {fb.threshold_text(op.threshold)}"  # one threshold: said once
    folds = dataclasses.replace(op, thresholds=(0.932, 0.955, 0.943), threshold=0.954)
    assert fb.counted_at(folds) == "at each fold's own threshold (0.932–0.955)"
    assert fb.counted_at(dataclasses.replace(op, thresholds=(0.95, 0.95), threshold=0.954)) == "at each fold's own threshold (0.950)"


def test_the_too_few_inputs_refusal_suggests_only_columns_for_fields_that_count():
    """survival::pbc (liver disease, no vital signs) with its stage as the level was told "'ast' (as Diastolic BP?)": the
    diastolic BP is none of the six signs the refusal counts, so mapping it (and AST is an enzyme) could not help."""
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame({"age": rng.integers(30, 80, n), "sex": rng.choice(["f", "m"], n), "ast": rng.integers(30, 180, n),
                       "bili": np.round(rng.lognormal(0, 1, n), 1), "level": rng.integers(1, 5, n)})
    with pytest.raises(triage.records.DataProblem) as exc:
        triage.read_data(df.to_csv(index=False).encode(), "pbc.csv")
    msg = str(exc.value)
    assert "only Age, Sex are recorded" in msg and "'ast'" not in msg and "Diastolic" not in msg, msg


def test_a_level_column_is_not_suggested_as_an_input():
    """DAAG::headInjury with its severity in words under "level" ('mild', 'moderate', 'severe') was told "Not used: 'level'
    (may be Mental status (AVPU): map it there if it is)" — the column the guess had just said holds the levels."""
    from usecases.triage.mapping import guess_mapping

    n = 60
    df = pd.DataFrame({"age": np.arange(n) % 70 + 18, "complaint": ["head injury, vomiting"] * n,
                       "level": np.array(["mild", "moderate", "severe"])[np.arange(n) % 3]})
    g = guess_mapping(df)
    assert "level" not in g.maybe, g.maybe
    assert not any("may be Mental status" in line for line in g.lines()), g.lines()


def test_news2_gives_no_level_where_fewer_than_three_of_its_signs_are_recorded():
    """DAAG::headInjury (complaints, no vital signs) scored every patient "news2_level 5" — NEWS2 run on nothing, every sign
    missing scored 0 — beside "head injury; GCS decreasing; open skull fracture"; the evaluation's NEWS2 row (accuracy 0.000,
    under-triage 1.000) stood as a baseline with no word."""
    from tests.triage_support import cohort_csv, shipped

    t = shipped()
    if t is None:
        pytest.skip("no shipped triage checkpoint")
    signs = ("avpu", "sbp", "dbp", "hr", "rr", "temp", "spo2")
    recs = triage.read_data(cohort_csv(200, 5, drop=(*signs, "nurse_level")), "complaints-only.csv")
    scored = triage.score(t, recs.frame)
    assert scored["news2_level"].isna().all(), scored["news2_level"].value_counts(dropna=False)
    assert scored["suggested_level"].notna().all()  # the model still reads the complaints
    notes = triage.score_file(t, cohort_csv(200, 5, drop=(*signs, "nurse_level")), "complaints-only.csv").attrs["notes"]
    assert any(n.startswith("news2_level is left empty on 200 rows with fewer than 3 of the six signs NEWS2 reads") for n in notes), notes
    # two of its signs recorded: still too few; three: NEWS2 runs
    two = triage.read_data(cohort_csv(200, 5, drop=("avpu", "sbp", "dbp", "temp", "spo2", "nurse_level")), "two.csv")
    assert triage.score(t, two.frame)["news2_level"].isna().all()
    three = triage.read_data(cohort_csv(200, 5, drop=("avpu", "dbp", "temp", "spo2", "nurse_level")), "three.csv")
    full = three.frame[["sbp", "hr", "rr"]].notna().all(axis=1)  # per patient: a row missing one of the three has two
    news2 = triage.score(t, three.frame)["news2_level"]
    assert news2[full].notna().all() and news2[~full].isna().all() and full.sum() > 150
    # the evaluation: no NEWS2 row without a sign, a word on one of two signs, none with three
    assert "news2" not in triage.evaluate(t, data=recs).baselines
    ev = triage.evaluate(t, data=two)
    said = [n for n in ev.notes if n.startswith("NEWS2 reads six signs")]
    assert "news2" in ev.baselines and said and "records only Respiratory rate and Heart rate" in said[0], ev.notes
    assert "not a stand-in for triage" in said[0]
    assert not any(n.startswith("NEWS2 reads") for n in triage.evaluate(t, data=three).notes)
    # rows run without their inputs are shown, never marked best: the ESI-style rule's over-triage of 0.000 (everyone at
    # level 5) had been green on the page beside its under-triage of 0.945
    assert ev.no_baselines() == ["news2"] and triage.evaluate(t, data=recs).no_baselines() == ["esi_rule"]
    assert triage.evaluate(t, data=three).no_baselines() == []


def test_a_row_that_is_no_baseline_is_never_marked_best():
    from dashboard.components.widgets import best_cells

    values = pd.DataFrame({"κ": [0.799, 0.802, 0.0], "over": [0.053, 0.052, 0.0]}, index=["model", "LR", "ESI-style rule"])
    shown = values.map(lambda v: f"{v:.3f}")
    best = best_cells(values, shown, lower_better=["over"], skip=["ESI-style rule"])
    assert best["over"].tolist() == [False, True, False] and best["κ"].tolist() == [False, True, False]
    assert best_cells(values, shown, lower_better=["over"])["over"].tolist() == [False, False, True]  # as it was


def test_the_level_one_figure_is_not_held_against_a_rule_that_is_no_baseline():
    """DAAG::headInjury without a nurse level or a vital sign: "Level 1 alone (91 patients): the model under-triages 41, fewer
    than the ESI-style rule (91)" stood as a grey caption — comfort from a rule the page calls no stand-in for triage."""
    from usecases.core.spec import DataInfo
    from usecases.triage.evaluation import build

    rng = np.random.default_rng(0)
    y = rng.choice([1, 2, 3], 300, p=[0.1, 0.3, 0.6])
    model = np.where((y == 1) & (rng.random(300) < 0.45), 2, y)  # about 45 % of level 1 under-triaged
    probs = np.eye(5)[model - 1] * 0.9 + 0.02
    data = DataInfo(source="your file", rows=300, split="hand")
    ev = build(y=y, probs={"model": probs}, rule_levels={"esi_rule": np.full(300, 5)}, data=data, recorded=("age", "complaint"))
    text, warn = ev.most_urgent()
    n1, missed = int((y == 1).sum()), int(((y == 1) & (model > 1)).sum())
    assert warn and text.startswith(f"Level 1 alone ({n1} patients): the model under-triages {missed} (")
    assert "no baseline to hold that against" in text and "fewer than" not in text, text
    assert ev.caveat() == text  # the command line's "but:" line and Home's card say it too
    # with the rule's inputs recorded, the comparison stands as before
    fit = build(y=y, probs={"model": probs}, rule_levels={"esi_rule": np.full(300, 5)}, data=data,
                recorded=("complaint", "avpu", "spo2", "sbp", "hr"))
    assert "fewer than the ESI-style rule" in fit.most_urgent()[0] and not fit.most_urgent()[1]


def test_the_batch_tabs_figures_leave_out_the_models_training_rows():
    """The batch tab scored the model's own training file (f3b_us.csv) and read "AUC ROC 0.997, average precision 0.988" as
    "this file, scored by the model" — rows it learned from, beside the Model tab's cross-validated 0.984 and with no word;
    `evaluate` leaves such rows out."""
    df = _declined(n=400, frauds=80).assign(Betrag=lambda d: d["Betrag"] + 1.0)
    raw = df.to_csv(index=False).encode()
    t = fraud.train(fraud.Config.quick(), data=fraud.read_data(raw, "mine.csv", label="Abgelehnt"))
    scored = fraud.score_file(t, raw, "mine.csv")
    figures, said = fraud.batch_figures(scored)
    assert figures is None and said.startswith("all 400 labelled rows are rows of the model's training file"), said
    # new rows beside training rows: the figures are on the new rows only, and say so
    new = _declined(n=200, frauds=40, seed=5).assign(Betrag=lambda d: d["Betrag"] + 1.0, income=lambda d: d["income"] + 0.001)
    both = pd.concat([df.head(100), new]).to_csv(index=False).encode()
    scored = fraud.score_file(t, both, "both.csv")
    figures, said = fraud.batch_figures(scored)
    assert said == ("100 of the 300 labelled rows are rows of the model's training file (the same values in every column) and are "
                    "left out: the figures are on the other 200"), said
    from usecases.fraud.evaluation import scores_metrics

    tail = scored.tail(200)
    assert figures == scores_metrics(tail["label"].to_numpy(int), tail["fraud_probability"].to_numpy())
    # a file of new rows alone: no word
    assert fraud.batch_figures(fraud.score_file(t, new.to_csv(index=False).encode(), "new.csv"))[1] == ""


def test_evaluating_the_shipped_model_on_a_feature_table_says_to_train_one_first():
    """`evaluate fraud --data f7_french_dates.csv --label fraude` read "This file cannot be used: the model was trained on raw
    transactions (…); this file has another layout" — neither the file named nor what to do."""
    import types

    from usecases.core.tables import DataProblem
    from usecases.fraud.features import FEATURES
    from usecases.fraud.results import _check_layout

    shipped = types.SimpleNamespace(layout="handbook", features=tuple(FEATURES))  # the shipped model's layout
    ds = fraud.read_data(_declined().to_csv(index=False).encode(), "fr.csv", label="Abgelehnt")
    with pytest.raises(DataProblem) as err:
        _check_layout(shipped, ds)
    msg = str(err.value)
    assert msg.startswith("Your file “fr.csv” cannot be used: the model was trained on raw transactions"), msg
    assert "train a model on it first: python -m usecases train fraud --data fr.csv --label Abgelehnt --model-name NAME" in msg, msg


def test_a_typo_in_a_label_of_words_names_the_words_the_other_rows_hold():
    """f3_us_typo.csv: one 'fruad' among 'fraud' and 'legit' read "1 value that is not 1/0 (or yes/no, true/false)" — as if
    the file should hold 1/0, where its other 1,318 rows read as they should."""
    from usecases.core.tables import DataProblem

    df = _declined().assign(Abgelehnt=lambda d: np.where(d["Abgelehnt"] == "Ja", "fraud", "legit"))
    df.loc[7, "Abgelehnt"] = "fruad"
    with pytest.raises(DataProblem) as err:
        fraud.read_data(df.to_csv(index=False).encode(), "us.csv", label="Abgelehnt")
    msg = str(err.value)
    assert "column Abgelehnt: 1 value that is not 1/0 (or yes/no, true/false) (line 9: 'fruad')" in msg, msg
    assert "the other rows read 'fraud' (59 rows) as fraud and 'legit' (240 rows) as legitimate: correct that cell" in msg, msg


def test_a_scale_of_fewer_levels_is_not_told_to_say_what_it_said():
    """headInjury's mild / moderate / severe, mapped to 3, 2 and 1 in the mapping file, read "No patient at levels 4, 5 … a scale
    of fewer levels? Say which level each value is (a mapping file's "codes")" — what the mapping had just done."""
    n = 90
    df = pd.DataFrame({"age": np.arange(n) % 70 + 18, "complaint": ["head injury"] * n,
                       "level": np.array(["mild", "moderate", "severe"])[np.arange(n) % 3]})
    mapping = '{"columns": {"level": "level", "age": "age", "complaint": "complaint"}, "codes": {"level": {"severe": 1, "moderate": 2, "mild": 3}}}'
    recs = triage.read_data(df.to_csv(index=False).encode(), "head.csv", mapping)
    said = [x for x in recs.notes if x.startswith("No patient at levels 4, 5")]
    assert said and "Say which level" not in said[0], recs.notes
    coded = df.assign(level=df["level"].map({"severe": 1, "moderate": 2, "mild": 3}))
    said = [x for x in triage.read_data(coded.to_csv(index=False).encode(), "coded.csv").notes if x.startswith("No patient at levels 4, 5")]
    assert said and said[0].endswith("Say which level each value is (the page's level boxes under the column mapping; a mapping file's "
                                     "\"codes\")"), said


def test_a_capped_precision_speaks_of_the_alerts_worked_and_the_possessive_reads():
    """Team capacity on f3b_us.csv: "No false alert among the 1,023 legitimate test payments at this threshold" stood beside
    "1 among the test rows's 1,023" — the threshold raised one; the alerts the team works hold none."""
    from tests.test_fraud_walkthrough_1207 import _operating

    a = fb.FraudAssumptions()
    capped = dataclasses.replace(_operating(83, 0, frauds=296, legit=1023), mode="Team capacity", raised_alerts_per_day=168.4,
                                 worked_from=0.946, raised_false_alerts=1, validation_legit=4092, validation_alerts_per_day=4.0)
    assert capped.capped
    words = capped.precision_words
    assert words.startswith("No false alert among the alerts your team works (scores from 0.946) on the 1,023 legitimate test payments"), words
    said = " ".join(t for _, t in fb.capacity_messages(capped, "test rows"))
    assert "rows's" not in said and "1 among the test rows' 1,023" in said, said
    assert "1 among the test week's 1,023" in " ".join(t for _, t in fb.capacity_messages(capped, "test week"))
    plain = dataclasses.replace(capped, mode="Profit-optimal", worked_from=float("-inf"))
    assert plain.precision_words.startswith("No false alert among the 1,023 legitimate test payments at this threshold")
