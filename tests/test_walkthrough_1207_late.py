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
    assert said and said[0].startswith("column Betrag: ") and "assumed average fraud amount" in said[0], ds.notes
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
