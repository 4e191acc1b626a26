"""Recommendation: split, metrics against hand examples, peers, model, fold-in, business, batch, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from usecases import recommendation as rec
from usecases.core.tables import DataProblem
from usecases.recommendation import business as rb
from usecases.recommendation import metrics as M
from usecases.recommendation import pipeline as rp
from usecases.recommendation.data import movielens, read_interactions, stratified_split
from usecases.recommendation.peers import EASE, ItemKNN, MostPopular, top_k


@pytest.fixture(scope="module")
def ml():
    return movielens()


def test_movielens_is_the_2016_latest_small(ml):
    assert len(ml.frame) == 100_004 and ml.n_users == 671 and ml.n_items == 9_066
    assert {"title", "year", "genres"} <= set(ml.items.columns)


def test_split_is_75_25_per_user_without_leakage(ml):
    tr, te = stratified_split(ml.frame, 0.75, 42)
    assert len(tr) + len(te) == len(ml.frame)
    assert not set(zip(tr.user, tr.item)) & set(zip(te.user, te.item))
    per = pd.DataFrame({"tr": tr.groupby("user").size(), "te": te.groupby("user").size()}).fillna(0)
    n = per.tr + per.te
    assert (per.tr == np.round(0.75 * n)).all()
    tr2, _ = stratified_split(ml.frame, 0.75, 42)
    pd.testing.assert_frame_equal(tr, tr2)  # seeded


def _recs(rows):
    return pd.DataFrame(rows, columns=["user", "item", "rank"])


def test_metrics_against_hand_examples():
    truth = pd.DataFrame({"user": [1, 1, 1, 2], "item": [10, 20, 30, 40]})
    recs = _recs([(1, 10, 1), (1, 99, 2), (1, 30, 3), (2, 98, 1), (2, 97, 2), (2, 40, 3)])
    k = 3
    # user 1: hits at ranks 1, 3 of 3 relevant; user 2: hit at rank 3 of 1 relevant.
    assert M.precision_at_k(truth, recs, k) == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert M.recall_at_k(truth, recs, k) == pytest.approx((2 / 3 + 1) / 2)
    dcg1 = 1 + 1 / np.log2(4)
    idcg1 = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    dcg2, idcg2 = 1 / np.log2(4), 1.0
    assert M.ndcg_at_k(truth, recs, k) == pytest.approx((dcg1 / idcg1 + dcg2 / idcg2) / 2)
    ap1 = (1 / 1 + 2 / 3) / 3
    ap2 = (1 / 3) / 1
    assert M.map_at_k(truth, recs, k) == pytest.approx((ap1 + ap2) / 2)
    assert M.hit_rate_at_k(truth, recs, k) == 1.0
    assert M.catalog_coverage(recs, n_items=100, k=k) == pytest.approx(6 / 100)
    train = pd.DataFrame({"user": [1, 2, 3, 4], "item": [10, 10, 99, 50]})
    # p(10) = 2/4 → 1 bit; p(99) = 1/4 → 2 bits; unseen items p = 1/5.
    nov = M.novelty(_recs([(1, 10, 1), (1, 99, 2)]), train, k)
    assert nov == pytest.approx((1 + 2) / 2)
    assert M.popularity_bias(_recs([(1, 10, 1), (1, 99, 2)]), train, k, head_share=0.25) == 0.5


def test_user_without_recs_counts_as_zero():
    truth = pd.DataFrame({"user": [1, 2], "item": [10, 20]})
    recs = _recs([(1, 10, 1)])
    assert M.precision_at_k(truth, recs, 1) == 0.5 and M.ndcg_at_k(truth, recs, 1) == 0.5


def test_peers_by_hand():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=np.float32))
    assert MostPopular().fit(X).scores(X[:1]).tolist() == [[3, 2, 2]]
    e = EASE(lam=1.0).fit(X)
    G = (X.T @ X).toarray() + np.eye(3)
    P = np.linalg.inv(G)
    B = np.eye(3) - P / np.diag(P)
    np.testing.assert_allclose(e.B, B, atol=1e-6)
    assert np.allclose(np.diag(e.B), 0)
    knn = ItemKNN(k=1, shrink=0).fit(X)
    assert (np.count_nonzero(knn.sim, axis=0) <= 1).all()
    items, _ = top_k(np.array([[0.1, 0.9, 0.5]]), sp.csr_matrix(np.array([[0, 1, 0]])), 2)
    assert items.tolist() == [[2, 0]]  # seen item 1 excluded


@pytest.fixture(scope="module")
def quick():
    return rec.train(rec.Config.quick())


def test_quick_model_beats_most_popular_and_reports_peers(quick):
    assert set(quick.card["baselines"]) == {"most_popular", "item_knn", "ease", "implicit_als"}
    assert quick.card["metrics"]["ndcg@10"] > quick.card["baselines"]["most_popular"]["ndcg@10"]
    assert quick.card["history"] and {"lambda", "val_ndcg@10"} <= set(quick.card["history"][0])


def test_model_weights_have_zero_diagonal_and_save_load(quick, tmp_store):
    B = quick.model.weights()
    assert torch_allclose_zero(B.diagonal())
    rec.save(quick, tmp_store)
    loaded = rec.load(tmp_store)
    assert (loaded.model.B == quick.model.B).all()


def torch_allclose_zero(t):
    return bool((t.abs() < 1e-6).all())


def test_fold_in_needs_no_retraining_and_explains(quick):
    quick.ensure_data()
    pop = quick.model.popularity.numpy()
    liked = list(np.argsort(-pop)[:3])
    out = rp.fold_in(quick, liked, None, 10)
    assert len(out) == 10 and not set(out["item_id"]) & set(quick.data.items["item_id"].iloc[liked])
    assert (out["score"].diff().dropna() <= 1e-9).all()
    assert out["because you liked"].str.len().gt(0).any()
    by_genre = rp.fold_in(quick, [], ["Comedy"], 5)
    assert by_genre["genres"].str.contains("Comedy").all()
    with pytest.raises(DataProblem):
        rp.fold_in(quick, [], [], 5)
    sim = rp.similar_items(quick, int(liked[0]), 5)
    assert len(sim) > 0 and liked[0] not in sim.index


def test_recommend_excludes_seen_and_batch_matches(quick):
    quick.ensure_data()
    u = int(quick.train_frame["user"].iloc[0])
    out = rp.recommend(quick, u, 10)
    seen = set(quick.data.items["item_id"].iloc[quick.seen[u].indices])
    assert not set(out["item_id"]) & seen
    uid = quick.data.user_ids[u]
    batch = rec.score_file(quick, f"user_id\n{uid}\n".encode(), "users.csv")
    assert batch["item_id"].tolist() == out["item_id"].tolist()
    headerless = rec.score_file(quick, f"{uid}\n".encode(), "users.csv")
    assert len(headerless) == 10


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"user_id\nnobody\n", "1 unknown user id ('nobody')"),
        (b"", "it is empty"),
        (b"user_id\n", "no data rows"),
    ],
)
def test_batch_bad_input(quick, content, needle):
    with pytest.raises(DataProblem) as err:
        rec.score_file(quick, content, "users.csv")
    assert needle in str(err.value)


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"user,item,rating\nu1,i1,5\n", "has 1 data row; at least 2"),
        (b"user,item,rating\nu1,i1,great\nu1,i2,4\n", "column rating: 1 non-numeric value (line 2: 'great')"),
        (b"user,item\nu1,i1\nu1,i1\nu1,i2\nu1,i3\n", "repeat a (user, item) pair, e.g. (u1, i1)"),
        (b"user,item\nu1,i1\nu1,i2\nu2,i1\n", "no user has the 4 interactions needed"),
        (b"x" * (51 * 1024 * 1024), "over the 50.0 MB limit"),
        (b"", "it is empty"),
    ],
)
def test_bad_interaction_files(content, needle):
    with pytest.raises(DataProblem) as err:
        read_interactions(content, "ratings.csv")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_own_interactions_headerless_tab_separated_train(ml):
    # MovieLens u.data style: tab-separated, no header: user item rating timestamp.
    f = ml.frame[ml.frame.user < 120]
    text = "\n".join(f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in zip(f.user, f.item, f.rating, f.timestamp)).encode()
    inter = read_interactions(text, "u.data")
    assert inter.read_info.delimiter == "\t" and not inter.read_info.header
    t = rec.train(rec.Config(lambda_grid=(500.0,)), data=inter)
    assert t.card["metrics"]["ndcg@10"] > t.card["baselines"]["most_popular"]["ndcg@10"]


def test_business_by_hand():
    a = rb.RecAssumptions(monthly_sessions=1_000_000, baseline_ctr=0.05, conversion=0.1, order_value=20, transfer=0.5,
                          monthly_cost=1_000, upfront_cost=10_000)
    assert rb.offline_lift(0.3, 0.2) == pytest.approx(0.5)
    # uplift 0.5 × 0.5 = 0.25 → 1e6 × 0.05 × 0.25 × 0.1 × 20 = 25,000 per month.
    assert rb.incremental_revenue(a, 0.25) == pytest.approx(25_000)
    v = rb.value(a, 0.5)
    assert v.monthly[1] == pytest.approx(25_000) and v.annual[1] == pytest.approx(300_000)
    assert v.payback_months[1] == 1  # 24,000 net in month 1 covers 10,000
    assert v.roi_year1[1] == pytest.approx((12 * 24_000 - 10_000) / 10_000)
    assert v.uplift[0] == v.uplift[1] == v.uplift[2]  # a value the user typed is kept in every scenario
    d = rb.value(rb.RecAssumptions(), 0.5)  # defaults move to their low/high values
    assert d.uplift == pytest.approx((0.05, 0.15, 0.25)) and d.monthly[0] < d.monthly[1] < d.monthly[2]


def test_sample_size_textbook_example():
    # 10 % → 12 % at α = 0.05 two-sided, power 0.8: 3,841 per group (Fleiss et al., no continuity correction).
    assert rb.sample_size_per_arm(0.10, 0.20, 0.05, 0.80) == 3841
    assert rb.ab_test_days(3841, 1000, 0.5) == pytest.approx(2 * 3841 / 500)
    with pytest.raises(ValueError):
        rb.sample_size_per_arm(0.10, 0.0)
    with pytest.raises(ValueError):
        rb.sample_size_per_arm(1.5, 0.1)


def test_shipped_checkpoint_reproduces_its_card():
    from usecases.core.store import REPO_ROOT, ModelStore

    store = ModelStore(REPO_ROOT / "models")
    if not store.exists("recommendation"):
        pytest.skip("no shipped recommendation checkpoint")
    t = rec.load(store)
    report = rec.evaluate(t)
    for k, v in t.card["metrics"].items():
        assert report.model[k] == pytest.approx(v, abs=1e-6), k
    for name, m in t.card["baselines"].items():
        assert report.baselines[name]["ndcg@10"] == pytest.approx(m["ndcg@10"], abs=0.02), name  # ALS threads: tiny variation
