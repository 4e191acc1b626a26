"""Fraud on users' files: the own-data protocol (split, fold ensemble, recorded split, external test), the CLI,
and a winning peer put in view."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest

from usecases import fraud
from usecases.core import fmt
from usecases.core.tables import DataProblem

from tests.test_fraud_files import raw_frame

SMALL = dict(n=2000, n_customers=100, n_terminals=2000, n_days=60)


@pytest.fixture(scope="module")
def small_csv() -> bytes:
    return raw_frame(**SMALL).to_csv(index=False).encode()


@pytest.fixture(scope="module")
def cv_model(small_csv):
    return fraud.train(fraud.Config.quick(), data=fraud.read_data(small_csv, "mine.csv"))


def test_time_ordered_holdout_refuses_a_file_with_every_fraud_first():
    """Issue 11: a time-ordered hold-out left 2 frauds in training (all frauds first) and was accepted."""
    df = raw_frame(**SMALL)
    df["label"] = 0
    df.loc[df.index[:400:8], "label"] = 1  # 50 frauds, all in the first fifth of the period
    ds = fraud.read_data(df.to_csv(index=False).encode(), "early.csv")
    with pytest.raises(DataProblem) as err:
        fraud.train(dataclasses.replace(fraud.Config.quick(), split="time"), data=ds)
    msg = str(err.value)
    assert "0 frauds to test on (at least 10 are needed)" in msg and "stratified" in msg and "\n" not in msg


def test_small_files_are_cross_validated_and_every_fold_model_is_kept(cv_model, small_csv):
    t = cv_model
    d = t.card["data"]
    assert d["split_kind"] == "cv" and d["kind"] == "cross-validation" and d["split_record"]["k"] == 5
    assert t.model.k == 5 and d["test_rows"] == d["rows"] == 2000  # every row scored once …
    ds = fraud.read_data(small_csv, "mine.csv")
    from usecases.fraud.pipeline import recover_plan

    plan = recover_plan(ds, d["split_record"])
    start = 0
    for f, (tr, te) in enumerate(plan.folds):  # … by the fold model that did not learn from it
        assert not set(tr) & set(te)
        got = t.artefacts["test.score.model"][start : start + len(te)]
        np.testing.assert_allclose(got, t.model.fold_proba(f, ds.X[te]), atol=1e-6)
        start += len(te)
    assert len(t.card["folds"]["model"]["average_precision"]) == 5
    assert t.card["metrics"]["average_precision"] == pytest.approx(np.mean(t.card["folds"]["model"]["average_precision"]))


def test_thresholds_come_from_each_folds_validation_rows(cv_model):
    ev = fraud.evaluate(cv_model)
    op = fraud.business.operating(ev, fraud.Assumptions(fraud_rate_bps=500.0))
    assert len(op.thresholds) == 5
    val = ev.validation["model"]
    for g, t in enumerate(op.thresholds):
        m = val.group == g
        assert t == fraud.business.choose(val.y[m], val.scores["model"][m], val.amount[m], fraud.Assumptions(fraud_rate_bps=500.0))[0]
    # Each fold's validation rows are its 1,600 training rows, each scored by the ensemble member that held it out.
    assert np.bincount(val.group).tolist() == [1600] * 5


def test_cli_trains_on_a_file_and_evaluates_it_on_its_held_out_rows(tmp_path, capsys, monkeypatch, small_csv):
    """Issue 11: `evaluate fraud --model N --data FILE` said "pass the file again with --data" although it was passed."""
    from usecases.__main__ import main

    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    src = tmp_path / "mine.csv"
    src.write_bytes(small_csv)
    assert main(["train", "fraud", "--data", str(src), "--model-name", "mine", "--quick"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "fraud", "--model", "mine", "--data", str(src), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["data"]["kind"] == "cross-validation" and rep["data"]["test_rows"] == 2000
    assert "recorded when the model was trained on this file" in rep["data"]["split"]
    assert set(rep["baselines"]) == {"logistic_regression", "random_forest", "lightgbm"}
    other = tmp_path / "other.csv"
    other.write_bytes(raw_frame(n=1500, n_customers=100, n_terminals=2000, n_days=60, seed=9).to_csv(index=False).encode())
    assert main(["evaluate", "fraud", "--model", "mine", "--data", str(other), "--json"]) == 0
    ext = json.loads(capsys.readouterr().out)
    assert ext["data"]["kind"] == "external" and ext["data"]["test_rows"] == 1500 and ext["baselines"] == {}


def test_the_training_files_reading_notes_go_with_its_own_evaluation_not_with_another_files(cv_model):
    """``evaluate`` prints the evaluation's notes: what reading the training file left out belongs under that file's figures,
    not under an external test on another file."""
    card = {**cv_model.card, "data": {**cv_model.card["data"], "notes": ["3 rows without an amount were left out"]}}
    trained = dataclasses.replace(cv_model, card=card)
    assert list(fraud.evaluate(trained).notes) == ["3 rows without an amount were left out"]
    other = fraud.read_data(raw_frame(n=600, n_customers=50, n_terminals=500, n_days=30, seed=11).to_csv(index=False).encode(), "other.csv")
    ext = fraud.evaluate(trained, data=other)
    assert ext.data.kind == "external" and list(ext.notes) == []


def test_an_external_file_holding_training_rows_is_scored_without_them(cv_model, small_csv, tmp_path):
    """A slice of the training file (ISLR::Default, 1,500 of its 10,000 rows) was evaluated as "all 1,500 rows of a file the
    model never saw". Rows of the training file (kept as hashes with the model, through a save and a load) are now left out
    and said; a file of nothing else is refused."""
    import pandas as pd

    from usecases.core import protocol
    from usecases.core.store import ModelStore

    store = ModelStore(tmp_path)
    fraud.save(cv_model, store, "fraud/custom/mine")
    t = fraud.load(store, "fraud/custom/mine")
    train = pd.read_csv(pd.io.common.BytesIO(small_csv))
    assert len(t.artefacts[protocol.ROW_HASHES]) == len(train)
    new = raw_frame(n=600, n_customers=50, n_terminals=500, n_days=30, seed=11)
    new["transaction_id"] = "new-" + new["transaction_id"].astype(str)
    alone = fraud.evaluate(t, data=fraud.read_data(new.to_csv(index=False).encode(), "new.csv"))
    mixed = pd.concat([train.iloc[:1000], new]).to_csv(index=False).encode()
    ev = fraud.evaluate(t, data=fraud.read_data(mixed, "mixed.csv"))
    note = f"1,000 of its {1000 + len(new):,} rows are rows of the model's training file (the same values in every column) and are left out"
    assert ev.data.kind == "external" and ev.data.test_rows == len(new) and note in ev.data.split and "never saw" not in ev.data.split
    assert list(ev.notes) == [note[:1].upper() + note[1:] + f": the figures are on the other {len(new):,}"]
    assert ev.data.test_rows == alone.data.test_rows and list(alone.notes) == []
    with pytest.raises(DataProblem, match=r"all 1,000 of its rows are rows of the model's training file .* it is not new data"):
        fraud.evaluate(t, data=fraud.read_data(train.iloc[:1000].to_csv(index=False).encode(), "slice.csv"))
    # the whole file in another order is the training file (transactions are read in time order): its held-out rows
    resorted = fraud.evaluate(t, data=fraud.read_data(train.sample(frac=1.0, random_state=3).to_csv(index=False).encode(), "resorted.csv"))
    assert resorted.data.kind != "external" and resorted.model == pytest.approx(fraud.evaluate(t).model)


def test_amounts_on_another_scale_than_the_training_files_are_said(cv_model):
    """A file in cents scored by a model trained in euros flagged 104 of 1,500 rows instead of 0, without a word."""
    assert cv_model.card["data"]["amount_median"] > 0
    new = raw_frame(n=600, n_customers=50, n_terminals=500, n_days=30, seed=11).drop(columns=["label"])
    plain = fraud.score_file(cv_model, new.to_csv(index=False).encode(), "euros.csv")
    assert not any("amounts here" in n for n in plain.attrs["warnings"] + plain.attrs["notes"])
    cents = fraud.score_file(cv_model, new.assign(amount=new["amount"] * 30).to_csv(index=False).encode(), "cents.csv")  # (×100 passes €1M)
    (w,) = [w for w in cents.attrs["warnings"] if w.startswith("amounts here")]
    assert w.startswith("amounts here are about ") and "× those of the model's training file (median " in w and "cents instead of euros" in w
    assert w in cents.attrs["notes"][:2]
    # evaluated on that file (labels kept): the figures came back as the model's own, without the note the scoring gave
    labelled = raw_frame(n=600, n_customers=50, n_terminals=500, n_days=30, seed=11)
    ev = fraud.evaluate(cv_model, data=fraud.read_data(labelled.assign(amount=labelled["amount"] * 30).to_csv(index=False).encode(), "c.csv"))
    assert any(n.startswith("Amounts here are about ") and "cents instead of euros" in n for n in ev.notes)
    assert not any("mounts here" in n for n in fraud.evaluate(cv_model, data=fraud.read_data(labelled.to_csv(index=False).encode(), "e.csv")).notes)


def test_transactions_scored_without_the_history_their_features_read_are_said(cv_model):
    """One day's batch scored alone: its customers' 30-day and its terminals' delayed windows held only that day, and 120 of
    346 probabilities moved by more than 0.1 against the same rows scored with the days before (a sweep, 2026-12-05)."""
    month = raw_frame(n=600, n_customers=50, n_terminals=500, n_days=30, seed=11).drop(columns=["label"])
    (w,) = [w for w in fraud.score_file(cv_model, month.to_csv(index=False).encode(), "m.csv").attrs["warnings"] if "history" in w]
    assert w.startswith("all 600 transactions fall within 37 days of the file's first (") and "include the 37 days before" in w
    longer = raw_frame(n=100_000, n_customers=20, n_terminals=200, n_days=60, seed=12).drop(columns=["label"])  # the whole simulation
    t = pd.to_datetime(longer["datetime"])
    early = int((t < t.min() + pd.Timedelta(days=37)).sum())
    assert 0 < early < len(longer)
    out = fraud.score_file(cv_model, longer.to_csv(index=False).encode(), "l.csv")
    assert [w for w in out.attrs["warnings"] if "history" in w][0].startswith(f"{early:,} of the {len(longer):,} transactions fall within 37 days")


def test_transactions_scored_without_the_labels_their_terminal_risk_reads_are_said(cv_model):
    """The terminal-risk features count each terminal's known frauds a week back, and an unknown label counts as legitimate:
    4,132 transactions scored without their label column flagged 132 instead of 241, the mean probability 0.042 instead of
    0.110, and nothing said so (a sweep, 2026-12-07)."""
    month = raw_frame(n=3000, n_customers=60, n_terminals=200, n_days=60, seed=11)
    labelled = fraud.score_file(cv_model, month.to_csv(index=False).encode(), "with.csv")
    assert not any("terminal-risk" in w for w in labelled.attrs["warnings"])
    bare = fraud.score_file(cv_model, month.drop(columns=["label"]).to_csv(index=False).encode(), "without.csv")
    (w,) = [w for w in bare.attrs["warnings"] if "terminal-risk" in w]
    assert w.startswith("this file has no label column, so the terminal-risk features") and "give the labels you know" in w
    assert w in bare.attrs["notes"]
    # the warning is about a real change, in the direction it names: without the labels the probabilities read lower
    assert bare["fraud_probability"].mean() < labelled["fraud_probability"].mean(), (bare["fraud_probability"].mean(), labelled["fraud_probability"].mean())
    # the payments still to be checked (the last week) may be blank: only labels the features read count
    t = pd.to_datetime(month["datetime"])
    recent = month.assign(label=month["label"].astype("Int64").astype(object).where(t <= t.max() - pd.Timedelta(days=7), ""))
    assert not any("terminal-risk" in w for w in fraud.score_file(cv_model, recent.to_csv(index=False).encode(), "r.csv").attrs["warnings"])
    older = recent.assign(label=recent["label"].where(t > t.min() + pd.Timedelta(days=10), ""))
    n = int(((t <= t.min() + pd.Timedelta(days=10)) & (t <= t.max() - pd.Timedelta(days=7))).sum())
    (w,) = [w for w in fraud.score_file(cv_model, older.to_csv(index=False).encode(), "o.csv").attrs["warnings"] if "terminal-risk" in w]
    assert w.startswith(f"{n:,} of the {int((t <= t.max() - pd.Timedelta(days=7)).sum()):,} transactions more than 7 days before its last have no label"), w
    none = month.assign(label="")  # every label blank
    (w,) = [w for w in fraud.score_file(cv_model, none.to_csv(index=False).encode(), "n.csv").attrs["warnings"] if "terminal-risk" in w]
    assert w.startswith(f"none of the {int((t <= t.max() - pd.Timedelta(days=7)).sum()):,} transactions more than 7 days before its last has a label"), w


def test_same_file_recomputed_without_arrays_matches_the_recorded_evaluation(cv_model, small_csv):
    ds = fraud.read_data(small_csv, "mine.csv")
    stored = fraud.evaluate(cv_model, ds)
    card = json.dumps(cv_model.card, sort_keys=True, default=str)
    again = fraud.evaluate(dataclasses.replace(cv_model, artefacts=None, peers=None), ds)  # fold models re-score, peers refit
    assert json.dumps(cv_model.card, sort_keys=True, default=str) == card  # evaluate never changes the model
    assert again.model["average_precision"] == pytest.approx(stored.model["average_precision"], abs=1e-6)
    for name in stored.baselines:
        assert again.baselines[name]["average_precision"] == pytest.approx(stored.baselines[name]["average_precision"], abs=1e-6), name
    np.testing.assert_allclose(again.validation["model"].scores["model"], stored.validation["model"].scores["model"], atol=1e-6)


def test_a_winning_peer_can_be_put_in_view_but_not_saved(cv_model, small_csv, tmp_store):
    ev = fraud.evaluate(cv_model)
    peer = max(ev.baselines, key=lambda n: ev.baselines[n]["average_precision"])
    p = fraud.promote(cv_model, peer)
    pev = fraud.evaluate(p)
    assert pev.model == ev.baselines[peer] and pev.baselines["pytorch_detector"] == ev.model
    assert pev.model_label.startswith(fraud.peers.LABELS[peer])
    np.testing.assert_array_equal(pev.test.scores["model"], ev.test.scores[peer])
    ds = fraud.read_data(small_csv, "mine.csv")
    scored = fraud.score(p, ds)
    want = np.mean([fp[peer].predict_proba(ds.X)[:, 1] for fp in cv_model.peers], axis=0)
    np.testing.assert_allclose(scored["fraud_probability"], np.round(want, 6), atol=1e-6)
    with pytest.raises(DataProblem, match="cannot be saved as safetensors"):
        fraud.save(p, tmp_store)


def test_overview_names_the_threshold_new_rows_get_beside_the_per_fold_ones(cv_model, tmp_path, monkeypatch):
    """A cross-validated file: the Overview listed five per-fold thresholds while the Business case and Model tabs showed a
    sixth (the one new transactions get, chosen on all validation rows). The Overview now names that one and says so."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from usecases.core.store import REPO_ROOT, ModelStore

    fraud.save(cv_model, ModelStore(tmp_path / "models"))
    st.cache_resource.clear()
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("views/fraud_detection.py").run()
    assert not at.exception, [e.value for e in at.exception]
    op = fraud.business.operating(fraud.evaluate(cv_model), fraud.business.FraudAssumptions())
    assert len(op.thresholds) > 1
    cap = next(c.value for c in at.caption if c.value.startswith("Threshold "))
    assert "(one per fold, each on its own test rows)" in cap and f"new transactions are scored at {op.threshold:.3f}" in cap, cap
    st.cache_resource.clear()


def test_raw_transactions_are_scored_back_in_the_files_order(cv_model):
    """Raw rows are read in time order for their history features; the scores came back in that order, not the file's (a
    sweep, 2026-12-05). The same probabilities, each on its own row, in the order the file gave them."""
    new = raw_frame(n=300, n_customers=50, n_terminals=500, n_days=30, seed=11).drop(columns=["label"])
    shuffled = new.sample(frac=1.0, random_state=5).reset_index(drop=True)
    out = fraud.score_file(cv_model, shuffled.to_csv(index=False).encode(), "s.csv")
    assert out["transaction_id"].tolist() == shuffled["transaction_id"].tolist()
    in_time = fraud.score_file(cv_model, new.to_csv(index=False).encode(), "t.csv").set_index("transaction_id")["fraud_probability"]
    assert out.set_index("transaction_id")["fraud_probability"].loc[in_time.index].tolist() == in_time.tolist()


def _with_categories(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(["DE", "FR", "US", "NG"], n, p=[0.4, 0.3, 0.22, 0.08])
    amount = rng.gamma(2, 30, n).round(2)
    fraud_p = 0.02 + 0.4 * (country == "NG") + 0.05 * (amount > 120)
    return pd.DataFrame({"channel": rng.choice(["web", "app", "pos"], n), "country": country, "amount": amount,
                         "hour": rng.integers(0, 24, n), "Class": (rng.random(n) < fraud_p).astype(int)})


def test_a_text_column_of_a_few_values_is_a_category_of_one_feature_per_value():
    """A country column (DE, FR, US, NG) was refused as "a yes/no column with a stray value — recode the column or drop those
    rows": a real export with a channel or a country could not be used at all. Such a column is now a category, one 1/0
    feature per value (as a practitioner would encode it for any model); a later file is read with the model's values —
    case aside, a value it never had read as none of them and said, a batch holding two of them not taken for a yes/no."""
    table = _with_categories()
    ds = fraud.read_data(table.to_csv(index=False).encode(), "cats.csv")
    assert ds.features == ("channel=app", "channel=pos", "channel=web", "country=DE", "country=FR", "country=US", "country=NG",
                           "amount", "hour")  # each category's values most common first (app 528, pos 512, web 460)
    assert ds.categories["country"] == ["DE", "FR", "US", "NG"]  # most common first
    assert (ds.frame["country=NG"].to_numpy() == (table["country"] == "NG").to_numpy()).all()
    said = [n for n in ds.notes if n.startswith("column country: ")]
    assert said and said[0].startswith("column country: a category of 4 values, read as one 1/0 feature each (DE ")
    # a stray value in a yes/no column is still a stray value, named with its line
    stray = table.assign(online=np.where(np.arange(len(table)) % 2, "yes", "no"))
    stray.loc[7, "online"] = "maybe"
    with pytest.raises(DataProblem, match=r"column online: 3 different text values .*'maybe' on line 9"):
        fraud.read_data(stray.to_csv(index=False).encode(), "stray.csv")

    t = fraud.train(fraud.Config.quick(), data=ds)
    assert t.card["data"]["categories"] == ds.categories and t.features == ds.features
    batch = table.drop(columns="Class").head(6).copy()
    batch["country"] = ["NG", "fr ", "BR", "DE", "DE", "FR"]  # a new value, one spelled otherwise
    batch["channel"] = ["web", "app"] * 3  # two values only: still the model's category, not a yes/no
    out = fraud.score_file(t, batch.to_csv(index=False).encode(), "batch.csv")
    notes = out.attrs["notes"]
    assert any(n.startswith("column country: 1 row holds a value the model did not learn ('BR' 1×; line 4: 'BR'): "
                            "read as none of its values") for n in notes), notes
    rows = fraud.read_rows(t, batch.to_csv(index=False).encode(), "batch.csv")
    assert rows.frame.loc[1, "country=FR"] == 1.0 and rows.frame.loc[2, ["country=DE", "country=FR", "country=US", "country=NG"]].sum() == 0
    assert (rows.frame["channel=pos"] == 0).all() and rows.features == t.features
    assert rows.frame["channel=web"].tolist() == [1.0, 0.0] * 3
    with pytest.raises(DataProblem, match=r"columns differ from the table the model was trained on \(missing country\)"):
        fraud.read_rows(t, batch.drop(columns="country").to_csv(index=False).encode(), "b.csv")
    # another labelled file, whose country column lacks NG, is evaluated with the model's features
    other = _with_categories(900, seed=5)
    other = other[other["country"] != "NG"]
    ev = fraud.evaluate(t, fraud.read_data(other.to_csv(index=False).encode(), "other.csv", trained=t))
    assert ev.data.kind == "external" and ev.data.rows == len(other)


def test_empty_cells_of_a_feature_are_filled_with_the_training_median_and_marked():
    """carData::TitanicSurvival was refused for its 263 passengers without an age ("fill or drop those rows"): a feature's
    empty cells are now its median plus a 1/0 feature marking them; the card keeps the median, and a file scored later is
    filled with the training rows' median, not its own."""
    table = _with_categories(1200, seed=2)
    rng = np.random.default_rng(3)
    table["age"] = rng.integers(18, 80, len(table)).astype(float)
    gaps = rng.random(len(table)) < 0.2
    table.loc[gaps, "age"] = np.nan
    ds = fraud.read_data(table.to_csv(index=False).encode(), "gaps.csv")
    med = float(np.median(table["age"].dropna()))
    assert ds.fills == {"age": med} and "age (empty)" in ds.features and ds.features.index("age (empty)") == ds.features.index("age") + 1
    assert (ds.frame["age (empty)"].to_numpy() == gaps).all() and (ds.frame.loc[gaps, "age"] == med).all()
    assert any(n.startswith(f"column age: {int(gaps.sum()):,} empty cells ({fmt.rate(gaps.mean())}; ") and f"filled with its median, {med:,.6g}" in n
               for n in ds.notes), ds.notes
    t = fraud.train(fraud.Config.quick(), data=ds)
    assert t.card["data"]["fills"] == {"age": med}
    batch = table.drop(columns="Class").head(5).copy()
    batch["age"] = [np.nan, 90.0, np.nan, np.nan, 20.0]  # its own median (≈ 55) is not the one the model learned with
    rows = fraud.read_rows(t, batch.to_csv(index=False).encode(), "b.csv")
    assert rows.frame["age"].tolist() == [med, 90.0, med, med, 20.0] and rows.frame["age (empty)"].tolist() == [1, 0, 1, 1, 0]
    assert any(f"filled with the training rows' median, {med:,.6g}" in n for n in rows.notes), rows.notes
    full = batch.assign(age=40.0)  # no empty cell in this batch: the marking feature is there, all 0
    assert fraud.read_rows(t, full.to_csv(index=False).encode(), "f.csv").frame["age (empty)"].sum() == 0
    # The columns a file to score needs are the training file's: "age (empty)" is the app's, not one to upload (the batch tab
    # had asked for "the model's 15 feature columns" of a model trained on a file of 12; a sweep, 2026-12-06) ...
    from usecases.fraud.files import file_columns

    asked = file_columns(t.features, t.card["data"].get("categories"), t.card["data"].get("fills"))
    assert "age (empty)" not in asked and sorted(asked) == sorted(c for c in table.columns if c != "Class")
    # ... a file carrying a column of that name is told it is the app's (it had read "its columns differ", naming none) ...
    with pytest.raises(DataProblem, match=r"cannot be used: column age \(empty\): the app makes a 1/0 column of that name itself, "
                                          r"marking the empty cells of age — drop it from the file$"):
        fraud.read_rows(t, batch.assign(**{"age (empty)": 0}).to_csv(index=False).encode(), "b.csv")
    # ... and a file without the column is told of "age" once
    with pytest.raises(DataProblem, match=r"\(missing age\)$"):
        fraud.read_rows(t, batch.drop(columns="age").to_csv(index=False).encode(), "b.csv")


def test_each_fold_fills_empty_cells_with_its_own_training_median(monkeypatch):
    """The fill median had come from every row of the file, test rows included, in every fold: a small leak of the test
    rows' values into the training features. Each fold now fills with the median of its training rows (the model and every
    peer alike); the card keeps the whole file's median for files scored later, and re-evaluating the training file
    reproduces the card."""
    table = _with_categories(1200, seed=7)
    rng = np.random.default_rng(8)
    table["age"] = rng.normal(45, 15, len(table)).round(3)
    gaps = rng.random(len(table)) < 0.25
    table.loc[gaps, "age"] = np.nan
    ds = fraud.read_data(table.to_csv(index=False).encode(), "gaps.csv")
    file_median = ds.fills["age"]
    col, gap = ds.features.index("age"), ds.features.index("age (empty)")
    seen = []
    real = fraud.pipeline.fit_peers

    def spy(X, y, **kw):
        seen.append(X.copy())
        return real(X, y, **kw)

    monkeypatch.setattr(fraud.pipeline, "fit_peers", spy)
    t = fraud.train(dataclasses.replace(fraud.Config.quick(), split="cv"), data=ds)
    plan = fraud.pipeline.recover_plan(ds, t.card["data"]["split_record"])
    assert len(seen) == len(plan.folds) >= 2
    for X, (tr, _) in zip(seen, plan.folds):
        blank = X[:, gap] == 1
        assert blank.any() and np.allclose(X[blank, col], np.median(ds.frame["age"].to_numpy()[tr][~blank]))
    assert not all(np.isclose(X[X[:, gap] == 1, col][0], file_median) for X in seen)  # the file's median is not what folds used
    assert t.card["data"]["fills"] == {"age": file_median}
    again = fraud.evaluate(t, fraud.read_data(table.to_csv(index=False).encode(), "gaps.csv", trained=t))
    assert again.model["average_precision"] == pytest.approx(t.card["metrics"]["average_precision"], abs=1e-6)


def test_a_category_of_many_values_keeps_the_frequent_ones_and_words_like_none_are_values():
    """45 counties were refused as "encode categories as numbers", and a mother's employment "none / parttime / fulltime" had
    its "none" read as an empty cell (AER::GSOEP9402): values held by enough rows get a feature each, the rest share
    "(other)" — so does a value a later file brings —, and in a column of words "none" and "unknown" are values."""
    rng = np.random.default_rng(4)
    n = 1200
    county = np.array([f"County {i}" for i in rng.integers(0, 30, n)], dtype=object)
    county[:6] = ["Tiny A", "Tiny B", "Tiny B", "Tiny C", "Tiny C", "Tiny C"]  # three values held by fewer than 12 rows (1 %)
    work = rng.choice(["none", "parttime", "fulltime"], n, p=[0.45, 0.4, 0.15])
    table = pd.DataFrame({"county": county, "work": work, "x": rng.normal(size=n), "Class": (rng.random(n) < 0.1).astype(int)})
    ds = fraud.read_data(table.to_csv(index=False).encode(), "many.csv")
    assert ds.categories["county"][-1] == "(other)" and len(ds.categories["county"]) == 31
    assert ds.frame["county=(other)"].tolist()[:7] == [1, 1, 1, 1, 1, 1, 0] and ds.frame["county=(other)"].sum() == 6
    said = next(n for n in ds.notes if n.startswith("column county: "))
    assert said.startswith("column county: a category of 30 values, read as one 1/0 feature each (") and " …" in said
    assert "; 3 values held by fewer than 12 rows (6 rows) share one, “(other)”" in said, said
    assert set(ds.categories["work"]) == {"none", "parttime", "fulltime"}
    assert (ds.frame["work=none"].to_numpy() == (work == "none")).all()
    t = fraud.train(fraud.Config.quick(), data=ds)
    batch = table.drop(columns="Class").head(4).assign(county=["County 1", "Tiny A", "Atlantis", "County 2"], work="none")
    rows = fraud.read_rows(t, batch.to_csv(index=False).encode(), "b.csv")
    assert rows.frame["county=(other)"].tolist() == [0, 1, 1, 0] and (rows.frame["work=none"] == 1).all()
    assert any(n.startswith("column county: 2 rows hold a value without a 1/0 feature of its own in the model ('Tiny A' 1×, 'Atlantis' 1×; ")
               and n.endswith("read as “(other)”, with the values the training file held too rarely") for n in rows.notes), rows.notes
    assert not any("empty cell" in n for n in rows.notes)
    # ggplot2::midwest's county names — 320 of them, 3 held 5 times or more — are names, not a category of 3 and an "(other)"
    names = table.assign(county=[f"Name {i}" if i >= 30 else "Common" + str(i % 3) for i in range(n)])
    with pytest.raises(DataProblem, match=r"column county: 1,173 different text values, like names or ids"):
        fraud.read_data(names.to_csv(index=False).encode(), "names.csv")
    # a column of many values each held by a few rows gets the numbers, and what would make it a category
    scattered = table.assign(county=[f"Village {i % 200}" for i in range(n)])  # 200 values of 6 rows, below 12
    with pytest.raises(DataProblem, match=re.escape("column county: text values of 200 kinds (line 2: 'Village 0', line 3: 'Village 1' and "
                                                    "1198 more), too scattered to read as a category: none is held by 12 or more rows "
                                                    "(a category needs 3 to 50 such values covering 75 %) — group the values")):
        fraud.read_data(scattered.to_csv(index=False).encode(), "scattered.csv")
    some = table.assign(county=[f"Village {i % 200}" if i % 4 else f"Town {i % 8}" for i in range(n)])  # 2 towns of 300 rows
    with pytest.raises(DataProblem, match=re.escape("too scattered to read as a category: the 2 held by 12+ rows cover 25 % of the rows")):
        fraud.read_data(some.to_csv(index=False).encode(), "some.csv")
    # A tiny file is told its frauds first: fixing its columns could not make 5 frauds enough (2026-12-06: the text column
    # was named, and after the user dropped it, the frauds) — and 12 frauds, enough to evaluate on, are named with the rest.
    tiny = pd.DataFrame({"amount": np.arange(25) * 3.5 + 1, "note": [f"txn {i} ok" for i in range(25)], "label": [1] * 5 + [0] * 20})
    with pytest.raises(DataProblem, match=r"it has 5 frauds and 20 legitimate rows; at least 10 of each .*\)$"):
        fraud.read_data(tiny.to_csv(index=False).encode(), "tiny.csv")
    with pytest.raises(DataProblem, match=r"\(2 problems\): \(1\) it has 12 frauds and 13 legitimate rows — enough to evaluate a model on, but "
                                          r"training needs at least 30 of each .* \(2\) column note: text values of 25 kinds"):
        fraud.read_data(tiny.assign(label=[1] * 12 + [0] * 13).to_csv(index=False).encode(), "tiny.csv")
    # ... also when some label cells are blank or odd (the label could not be read whole, so nothing had been counted first)
    odd = tiny.assign(label=["1"] * 5 + ["", "maybe"] + ["0"] * 18)
    with pytest.raises(DataProblem, match=r"cannot be used: it has 5 frauds and 18 legitimate rows; at least 10 of each"):
        fraud.read_data(odd.to_csv(index=False).encode(), "odd.csv")
    # ... and a file with a raw layout's column name is told its frauds with the layout's problem, not after it
    named = tiny.rename(columns={"amount": "balance"}).assign(label=[1] * 12 + [0] * 13, customer=[f"Cust{i:03d}" for i in range(25)])
    with pytest.raises(DataProblem, match=r"\(1\) it has 12 frauds and 13 legitimate rows — enough to evaluate .* \(2\) column customer is "
                                          r"the only column named as in the raw-transaction layout"):
        fraud.read_data(named.to_csv(index=False).encode(), "named.csv")
    # Evaluating a model on such a file (the CLI's evaluate, which gives the model): 12 frauds are enough, and not a problem.
    from usecases.fraud.files import read_user_file

    with pytest.raises(DataProblem) as evaluated:
        read_user_file(tiny.assign(label=[1] * 12 + [0] * 13).to_csv(index=False).encode(), "tiny.csv", require_labels=True, training=False)
    assert "training needs" not in str(evaluated.value) and "column note: text values of 25 kinds" in str(evaluated.value)
    # A label coded 1/2 is not "no frauds": it keeps its own message.
    with pytest.raises(DataProblem, match=r"the column holds two values, '1' \(12 rows\) and '2' \(13 rows\)"):
        fraud.read_data(tiny.assign(label=[1] * 12 + [2] * 13).to_csv(index=False).encode(), "codes.csv")
    # well filled but one value too many (50 US states and DC, each on 80+ rows of modeldata::mlc_churn) is not "scattered"
    states = table.assign(county=[f"State {i % 51}" for i in range(n)])
    with pytest.raises(DataProblem, match=r"column county: 51 different values \(line 2: 'State 0', .*\), more than the 50 a category may "
                                          r"have — group them into fewer"):
        fraud.read_data(states.to_csv(index=False).encode(), "states.csv")


def test_a_feature_under_an_ids_name_that_numbers_every_row_is_said():
    """modeldata::credit_data with a zero-padded ``loan_id`` (0000001 … in file order) trained with it as a 28th feature and
    no word (a sweep, 2026-12-06). Still read (an id may carry meaning), but said, with what to do; a real feature is not."""
    rng = np.random.default_rng(0)
    n = 200
    table = pd.DataFrame({"loan_id": [f"{i:07d}" for i in range(1, n + 1)], "CustomerID": rng.permutation(n) + 5000,
                          "income": rng.normal(50, 10, n).round(1), "paid": rng.integers(0, 1000, n), "Class": (np.arange(n) % 4 == 0).astype(int)})
    ds = fraud.read_data(table.to_csv(index=False).encode(), "loans.csv")
    said = [x for x in ds.notes if "under an id's name" in x]
    assert [x.split(":")[0] for x in said] == ["column loan_id", "column CustomerID"], ds.notes
    assert said[0].endswith("drop the column and train again: an id is no feature")
