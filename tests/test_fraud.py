"""Fraud: simulator statistics, features, split, metrics, business formulas, scoring, own data, bad input."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from usecases import fraud
from usecases.core.tables import DataProblem
from usecases.fraud import business as fb
from usecases.fraud.evaluation import SplitConfig, card_precision_top_k, metrics, split
from usecases.fraud.features import FEATURES, add_features, features_reference
from usecases.fraud.simulate import SimConfig, simulate
from usecases.fraud.pipeline import BASELINES, predict, score_dataset


@pytest.fixture(scope="module")
def default_sim():
    return simulate(SimConfig())


def test_default_simulation_matches_the_handbook(default_sim):
    tx = default_sim
    # Handbook: 1,754,155 transactions and 0.84 % fraud for its default run.
    assert 1.70e6 < len(tx) < 1.82e6
    assert 0.0078 < tx["TX_FRAUD"].mean() < 0.0090
    assert tx["TX_DATETIME"].min() >= pd.Timestamp("2018-04-01")
    assert tx["TX_DATETIME"].max() < pd.Timestamp("2018-10-01")
    counts = tx["TX_FRAUD_SCENARIO"].value_counts()
    # Scenario 1: every amount > 220 not touched by scenario 2/3 is fraud; 2 and 3 dominate.
    assert ((tx["TX_AMOUNT"] > 220) <= (tx["TX_FRAUD"] == 1)).all()
    assert counts[2] > counts[3] > counts[1] > 500
    assert (tx["TX_AMOUNT"] >= 0).all()
    assert tx["TX_TIME_SECONDS"].is_monotonic_increasing


def test_simulator_parameters_and_scenarios():
    small = SimConfig(n_customers=200, n_terminals=400, n_days=60, seed=3)
    a, b = simulate(small), simulate(small)
    pd.testing.assert_frame_equal(a, b)  # deterministic by seed
    off = simulate(SimConfig(n_customers=200, n_terminals=400, n_days=60, seed=3, terminals_per_day=0, customers_per_day=0, amount_threshold=1e9))
    assert off["TX_FRAUD"].sum() == 0
    only2 = simulate(SimConfig(n_customers=200, n_terminals=400, n_days=60, seed=3, customers_per_day=0, amount_threshold=1e9))
    assert set(only2.loc[only2.TX_FRAUD == 1, "TX_FRAUD_SCENARIO"]) == {2}
    # Scenario 3 transactions are 5× amounts of their customer: larger on average than the customer's others.
    full = simulate(SimConfig(n_customers=300, n_terminals=600, n_days=90, seed=1))
    s3 = full[full.TX_FRAUD_SCENARIO == 3]
    assert len(s3) > 0
    mean_other = full[full.TX_FRAUD == 0].groupby("CUSTOMER_ID")["TX_AMOUNT"].mean()
    assert (s3["TX_AMOUNT"].to_numpy() > 2 * mean_other.reindex(s3["CUSTOMER_ID"]).to_numpy()).mean() > 0.8


@pytest.mark.parametrize("bad", [dict(n_customers=0), dict(n_days=1000), dict(terminals_per_day=-1), dict(start_date="soon")])
def test_simulator_refuses_absurd_settings(bad):
    with pytest.raises(DataProblem):
        SimConfig(**bad)


def test_features_on_a_hand_checked_example():
    tx = pd.DataFrame({
        "TX_DATETIME": pd.to_datetime(["2018-04-07 05:00", "2018-04-07 12:00", "2018-04-08 11:00", "2018-04-20 12:00", "2018-04-21 12:00"]),
        "CUSTOMER_ID": [1, 1, 1, 2, 2], "TERMINAL_ID": [9, 9, 9, 9, 9],
        "TX_AMOUNT": [10.0, 30.0, 50.0, 100.0, 7.0], "TX_FRAUD": [1, 0, 0, 0, 1],
    })
    f = add_features(tx)
    assert f["TX_DURING_WEEKEND"].tolist() == [1, 1, 1, 0, 1]  # 7 and 8 April 2018: Sat, Sun; 20th: Fri; 21st: Sat
    assert f["TX_DURING_NIGHT"].tolist() == [1, 0, 0, 0, 0]
    assert f["CUSTOMER_ID_NB_TX_1DAY_WINDOW"].tolist() == [1, 2, 2, 1, 1]  # 8th 11:00 sees 7th 12:00 (23 h) but not 05:00 (30 h)
    assert f["CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"].tolist() == [10, 20, 40, 100, 7]
    assert f["CUSTOMER_ID_NB_TX_7DAY_WINDOW"].tolist() == [1, 2, 3, 1, 2]
    # Terminal on the 20th: the 7-day delay window is (13th, 20th]; the 1-day window before it is (12th, 13th] → empty.
    assert f["TERMINAL_ID_NB_TX_1DAY_WINDOW"].tolist() == [0, 0, 0, 0, 0]
    # 7-day window before the delay for the 20th 12:00: (6th 12:00, 13th 12:00] holds all three April 7/8 transactions, one fraud.
    assert f["TERMINAL_ID_NB_TX_7DAY_WINDOW"].tolist()[3] == 3
    assert f["TERMINAL_ID_RISK_7DAY_WINDOW"].tolist()[3] == pytest.approx(1 / 3)
    # The April 7/8 rows see nothing older than their 7-day delay.
    assert f["TERMINAL_ID_NB_TX_30DAY_WINDOW"].tolist()[:3] == [0, 0, 0]
    # 30-day window for the 21st 12:00: (6th 12:00 − …] covers all three April 7/8 transactions: 1 fraud of 3.
    assert f["TERMINAL_ID_NB_TX_30DAY_WINDOW"].tolist()[4] == 3
    assert f["TERMINAL_ID_RISK_30DAY_WINDOW"].tolist()[4] == pytest.approx(1 / 3)


def test_vectorised_features_equal_the_per_group_reference():
    tx = simulate(SimConfig(n_customers=80, n_terminals=150, n_days=50, seed=5))
    a, b = add_features(tx), features_reference(tx)
    for col in FEATURES:
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=col)


def test_split_removes_known_compromised_cards(default_sim):
    tx = default_sim
    train, test = split(tx, SplitConfig())
    assert train["TX_DATETIME"].min() >= pd.Timestamp("2018-07-25") and train["TX_DATETIME"].max() < pd.Timestamp("2018-08-01")
    assert test["TX_DATETIME"].min() >= pd.Timestamp("2018-08-08") and test["TX_DATETIME"].max() < pd.Timestamp("2018-08-15")
    known = set(train.loc[train.TX_FRAUD == 1, "CUSTOMER_ID"])
    assert not known & set(test["CUSTOMER_ID"])
    # Handbook: 66,928 training transactions (598 frauds), 58,264 test (385 frauds) on its run.
    assert 60_000 < len(train) < 75_000 and 50_000 < len(test) < 66_000


def test_metrics_match_sklearn_and_card_precision_by_hand():
    rng = np.random.default_rng(0)
    n = 400
    test = pd.DataFrame({"TX_FRAUD": rng.integers(0, 2, n), "CUSTOMER_ID": rng.integers(0, 50, n),
                         "TX_DATETIME": pd.Timestamp("2018-08-08") + pd.to_timedelta(rng.integers(0, 3, n), unit="D")})
    s = rng.random(n)
    m = metrics(test, s, k=5)
    assert m["auc_roc"] == pytest.approx(roc_auc_score(test.TX_FRAUD, s))
    assert m["average_precision"] == pytest.approx(average_precision_score(test.TX_FRAUD, s))
    # Hand example: day 1 cards A (0.9, fraud), B (0.8, legit), C (0.1, fraud); top-2 → 1/2.
    # Day 2: A detected on day 1 is removed; B (0.7, fraud), C (0.2, legit) → top-2 → 1/2. Mean 0.5.
    cp, per_day = card_precision_top_k(np.array(["A", "B", "C", "A", "B", "C"]), np.array([1, 1, 1, 2, 2, 2]),
                                       np.array([1, 0, 1, 1, 1, 0]), np.array([0.9, 0.8, 0.1, 0.99, 0.7, 0.2]), k=2)
    assert per_day == [0.5, 0.5] and cp == 0.5


def test_business_formulas_by_hand():
    a = fb.FraudAssumptions(recovery_share=0.8, cost_per_alert=5, false_alert_cost=2, monthly_transactions=1000, yearly_system_cost=1200)
    y = np.array([1, 1, 0, 0, 0, 1])
    s = np.array([0.9, 0.6, 0.7, 0.2, 0.1, 0.3])
    amount = np.array([100.0, 50.0, 20.0, 10.0, 10.0, 200.0])
    op = fb.operating_point(y, s, amount, 0.5, a, days=2)
    # Flagged: 0.9 (fraud 100), 0.7 (legit), 0.6 (fraud 50) → value 0.8·150 − 5·3 − 2·1 = 103.
    assert (op.caught, op.false_alerts, op.missed, op.alerts) == (2, 1, 1, 3)
    assert op.value == pytest.approx(103.0) and op.precision == pytest.approx(2 / 3) and op.alerts_per_day == 1.5
    curve = fb.profit_curve(y, s, amount, a, days=2)
    # Cut-offs: none 0; top1 80−5=75; top2 75−7=68; top3 68+40−5=103; top4 103+160−5=258; top5 256−… etc.
    assert curve["value"].tolist()[:5] == pytest.approx([0, 75, 68, 103, 258])
    assert fb.optimal_threshold(y, s, amount, a, days=2) == pytest.approx(0.3)
    assert fb.capacity_threshold(s, days=2, alerts_per_day=1) == pytest.approx(0.7)  # 2 alerts over 2 days
    sv = fb.scale(y, s, amount, np.zeros(6), 0.5, a)
    assert sv.monthly[1] == pytest.approx(103 / 6 * 1000)
    assert sv.annual[1] == pytest.approx(12 * 103 / 6 * 1000)
    assert sv.roi[1] == pytest.approx((sv.annual[1] - 1200) / 1200)
    assert sv.monthly[0] <= sv.monthly[1] <= sv.monthly[2]


# ---- a quick model, trained once for the tests below ---------------------------------------------

@pytest.fixture(scope="module")
def quick_model():
    return fraud.train(fraud.Config.quick())


def test_quick_training_produces_model_baselines_and_card(quick_model, tmp_store):
    t = quick_model
    assert set(t.card["baselines"]) == {"logistic_regression", "random_forest", "hist_gradient_boosting"}
    for m in [t.card["metrics"], *t.card["baselines"].values()]:
        assert 0 <= m["average_precision"] <= 1
    card = fraud.save(t, tmp_store)
    loaded = fraud.load(tmp_store)
    X = t.report.extras["test"][list(FEATURES)].to_numpy(np.float32)
    np.testing.assert_allclose(predict(loaded.model, X), t.report.extras["scores"]["model"], rtol=1e-5, atol=1e-6)
    assert card["version"] == 1 and card["device"]["torch"]


def _raw_csv(n=60, label=True, seed=0) -> bytes:
    tx = simulate(SimConfig(n_customers=30, n_terminals=60, n_days=40, seed=seed)).tail(n)
    df = pd.DataFrame({"transaction_id": "T" + tx["TRANSACTION_ID"].astype(str), "datetime": tx["TX_DATETIME"].astype(str),
                       "customer_id": "C" + tx["CUSTOMER_ID"].astype(str), "terminal_id": "M" + tx["TERMINAL_ID"].astype(str),
                       "amount": tx["TX_AMOUNT"]})
    if label:
        df["label"] = tx["TX_FRAUD"].to_numpy()
    return df.to_csv(index=False).encode()


def test_batch_scoring_cli_equivalent(quick_model):
    out = fraud.score_file(quick_model, _raw_csv(label=False), "tx.csv")
    assert list(out.columns) == ["transaction_id", "datetime", "customer_id", "terminal_id", "amount", "fraud_probability", "flagged"]
    assert len(out) == 60 and out["fraud_probability"].between(0, 1).all()
    assert set(out["flagged"]) <= {0, 1}
    with_labels = fraud.score_file(quick_model, _raw_csv(label=True), "tx.csv")
    assert "label" in with_labels


GOOD_HEADER = "transaction_id,datetime,customer_id,terminal_id,amount\n"


@pytest.mark.parametrize(
    "content, needle",
    [
        ("transaction_id,datetime,customer_id,amount\nT1,2018-01-01,C1,5\n", "missing column terminal_id"),
        (GOOD_HEADER.strip() + ",colour\nT1,2018-01-01,C1,M1,5,red\n", "unexpected column colour"),
        (GOOD_HEADER + "T1,2018-01-01,C1,M1,abc\n", "column amount: 1 non-numeric value (line 2: 'abc')"),
        (GOOD_HEADER + "T1,not a date,C1,M1,5\n", "unparseable date"),
        (GOOD_HEADER + "T1,2018-01-01,C1,M1,-5\n", "value below 0"),
        (GOOD_HEADER + "T1,2018-01-01,C1,M1,NaN\n", "column amount: 1 empty value"),
        (GOOD_HEADER + "T1,2018-01-01,C1,M1,inf\n", "infinite value"),
        (GOOD_HEADER + "T1,2018-01-01,C1,M1,5\nT1,2018-01-02,C1,M1,6\n", "column transaction_id: 1 duplicated value"),
        ("", "it is empty"),
        (GOOD_HEADER, "no data rows"),
    ],
)
def test_bad_transaction_files(quick_model, content, needle):
    with pytest.raises(DataProblem) as err:
        fraud.score_file(quick_model, content.encode(), "bad.csv")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_binary_files(quick_model):
    for data, needle in [((GOOD_HEADER + "T1,2018-01-01,Cé,M1,5\n").encode("latin-1"), "not UTF-8"),
                         (b"PK\x03\x04" + b"\x00" * 50, "Excel workbook"),
                         (b"a" * (51 * 1024 * 1024), "over the 50.0 MB limit")]:
        with pytest.raises(DataProblem, match=needle):
            fraud.score_file(quick_model, data, "bad.csv")


def test_own_raw_data_and_ulb_layout_train_and_evaluate():
    raw = simulate(SimConfig(n_customers=150, n_terminals=300, n_days=60, seed=2))
    df = pd.DataFrame({"transaction_id": raw["TRANSACTION_ID"].astype(str), "datetime": raw["TX_DATETIME"].astype(str),
                       "customer_id": raw["CUSTOMER_ID"], "terminal_id": raw["TERMINAL_ID"], "amount": raw["TX_AMOUNT"], "label": raw["TX_FRAUD"]})
    ds = fraud.read_data(df.to_csv(index=False, sep=";").encode(), "mine.csv")
    assert ds.layout == "handbook" and ds.read_info.delimiter == ";"
    t = fraud.train(fraud.Config.quick(), data=ds)
    assert "time-ordered" in t.card["data"]["split"] and set(t.card["baselines"]) == set(BASELINES)
    # ULB layout (Time, V1..V28, Amount, Class): synthetic stand-in with signal in V1.
    rng = np.random.default_rng(0)
    n = 1500
    y = (rng.random(n) < 0.05).astype(int)
    ulb = pd.DataFrame({"Time": np.sort(rng.uniform(0, 172_800, n)), **{f"V{i}": rng.normal(size=n) + (2.5 * y if i == 1 else 0) for i in range(1, 29)},
                        "Amount": rng.gamma(2, 40, n), "Class": y})
    ds2 = fraud.read_data(ulb.to_csv(index=False).encode(), "creditcard.csv")
    assert ds2.layout == "ulb"
    t2 = fraud.train(fraud.Config.quick(), data=ds2)
    assert "precision@100" in t2.card["metrics"] and t2.card["metrics"]["auc_roc"] > 0.8
    with pytest.raises(DataProblem, match="raw transactions"):
        score_dataset(t, ds2)


def test_own_data_needs_labels_and_both_classes():
    with pytest.raises(DataProblem, match="no label column"):
        fraud.read_data(_raw_csv(label=False), "x.csv")
    only_legit = _raw_csv(label=True).replace(b",1\n", b",0\n")
    with pytest.raises(DataProblem, match="at least 10 of each"):
        fraud.read_data(only_legit, "x.csv")


def test_shipped_checkpoint_reproduces_its_card():
    from usecases.core.store import ModelStore, REPO_ROOT

    store = ModelStore(REPO_ROOT / "models")
    if not store.exists("fraud"):
        pytest.skip("no shipped fraud checkpoint")
    t = fraud.load(store)
    report = fraud.evaluate(t)
    for k, v in t.card["metrics"].items():
        assert report.model[k] == pytest.approx(v, abs=1e-6), k
    assert report.data["source"] == t.card["data"]["source"]
