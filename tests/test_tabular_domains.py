"""The shared TabM learner inside the fraud and triage domains: field dropout, validation rows, and the
domains' own save / load / evaluate with the learner recorded in the card."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from usecases import fraud, triage
from usecases.core.store import ModelStore
from usecases.core.tables import DataProblem
from usecases.core.tabular import TabularLearner, _FieldDropout, hash_categories
from usecases.triage.cohort import CohortConfig, generate

SMALL = dict(k=4, d_block=32, n_blocks=2, d_embedding=4)


# ---- TabularLearner: field dropout and validation rows --------------------------------------------

def test_field_dropout_hides_fields_exactly_as_a_file_that_did_not_record_them():
    """A hidden number must look exactly like a NaN after preprocessing (median's quantile value, indicator
    on), a hidden category like an unseen one (index 0), a hidden bag like an empty complaint."""
    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, 3))
    cats = rng.choice(["a", "b", "c"], size=(n, 2)).astype(object)
    bags = [list(rng.integers(1, 50, 4)) for _ in range(n)]
    y = (X[:, 0] > 0).astype(int)
    m = TabularLearner("binary", seed=0, max_epochs=1, patience=1, n_folds=1, field_dropout=0.2, bag_buckets=64, **SMALL)
    m.fit(X, y, cats, bags)
    net = m.net_
    assert list(net.pre.miss_cols.tolist()) == [0, 1, 2]  # every number can be "not recorded"
    blank = np.full((1, 3), np.nan)
    q_nan, cat_nan = net.inputs(torch.as_tensor(blank, dtype=torch.float32), torch.zeros(1, 2, dtype=torch.int64))
    xq, cq = net.inputs(torch.as_tensor(X[:8], dtype=torch.float32),
                        torch.as_tensor(hash_categories(cats[:8])))
    b = torch.as_tensor(np.array([r for r in bags[:8]]))
    drop = _FieldDropout(0.5, q_nan[0], n_cat=2, n_indicators=3, gen=torch.Generator().manual_seed(1))
    hx, hc, hb = drop(xq, cq, b)
    hidden = hx != xq
    assert hidden.any() and (~hidden).any()
    assert torch.equal(hx[hidden], q_nan[0].expand_as(hx)[hidden])
    assert (hc[:, 2:][hidden] == 1).all() and torch.equal(hc[:, 2:][~hidden], cq[:, 2:][~hidden])
    gone_cat = hc[:, :2] != cq[:, :2]
    assert gone_cat.any() and (hc[:, :2][gone_cat] == 0).all()
    empty = (hb == 0).all(1)
    assert empty.any() and torch.equal(hb[~empty], b[~empty])
    assert cat_nan[0, 2:].tolist() == [1, 1, 1]


def test_a_model_trained_with_field_dropout_reads_a_missing_field_as_unknown():
    """The label is set by a category; with field dropout a row whose category is not recorded gets a
    probability between the two categories' (not the extreme of either)."""
    rng = np.random.default_rng(1)
    n = 1500
    g = rng.choice(["low", "high"], n)
    x = rng.normal(size=(n, 2))
    y = (rng.random(n) < np.where(g == "high", 0.8, 0.1)).astype(int)
    m = TabularLearner("binary", seed=0, max_epochs=15, patience=4, n_folds=1, field_dropout=0.25, **SMALL)
    m.fit(x, y, g[:, None].astype(object))
    xt = rng.normal(size=(300, 2))
    p = {v: m.predict_proba(xt, np.full((300, 1), v, object))[:, 1].mean() for v in ("low", "high", None)}
    assert p["low"] < p[None] < p["high"], p
    assert p["high"] - p["low"] > 0.4


def test_validation_rows_are_held_out_and_recoverable():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=600) > 0.8).astype(int)
    m = TabularLearner("binary", seed=3, max_epochs=3, patience=2, n_folds=3, **SMALL).fit(X, y)
    idx, p = m.validation_
    assert np.array_equal(idx, np.arange(600))  # cross-fitted: every row scored by the member that did not learn from it
    idx2, p2 = m.recover_validation(X, y)
    assert np.array_equal(idx, idx2) and np.allclose(p, p2, atol=1e-6)
    one = TabularLearner("binary", seed=3, max_epochs=2, patience=1, n_folds=1, **SMALL).fit(X, y, val_rows=np.arange(500, 600))
    assert np.array_equal(one.validation_[0], np.arange(500, 600))
    with pytest.raises(DataProblem, match="rows given at training time"):
        one.recover_validation(X, y)
    with pytest.raises(DataProblem, match="some, but not all"):
        TabularLearner("binary", max_epochs=1, **SMALL).fit(X, y, val_rows=np.arange(600))


# ---- fraud --------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _fraud_tabm() -> fraud.Trained:
    return fraud.train(dataclasses.replace(fraud.Config.quick(), learner="tabm"))


def test_fraud_tabm_round_trip_through_the_store(tmp_path):
    assert fraud.Config().learner == "tabm"  # the shipped learner (README, "Which tabular learner ships")
    t = _fraud_tabm()
    assert t.card["training"]["learner"] == "tabm" and t.card["model"]["learner"] == "tabm"
    assert all(f["learner"] == "tabm" for f in t.card["model"]["folds"])
    assert "TabM" in t.card["model"]["architecture"]
    store = ModelStore(tmp_path)
    fraud.save(t, store)
    back = fraud.load(store)
    X = t.artefacts["whatif.sample"]
    np.testing.assert_array_equal(back.model.predict_proba(X), t.model.predict_proba(X))
    ev = fraud.evaluate(back)
    for k, v in t.card["metrics"].items():
        assert ev.model[k] == pytest.approx(v, abs=1e-9), k
    assert back.model.differentiable  # the what-if attributions work for the TabM detector too
    x = torch.as_tensor(X[:4]).requires_grad_(True)
    back.model.torch_proba(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_fraud_tabm_validation_rows_are_recovered_when_the_arrays_are_missing():
    """The fallback that re-evaluates a stored model without its arrays needs the learner's validation rows."""
    from usecases.fraud.pipeline import default_dataset, plan_rows

    t = _fraud_tabm()
    ds = default_dataset(t)
    tr, _ = plan_rows(ds).folds[0]
    idx, p = t.model.learners[0].recover_validation(ds.X[tr], ds.y[tr], t.card["training"]["seed"])
    ref_idx, ref_p = t.model.learners[0].validation_
    assert np.array_equal(idx, ref_idx) and np.allclose(p, ref_p, atol=1e-6)
    np.testing.assert_allclose(t.artefacts["val.model.score"], ref_p, atol=1e-6)


def test_fraud_blend_is_the_mean_of_its_parts_and_round_trips(tmp_path):
    """``learner="blend"``: the MLP ensemble and TabM fit on the same rows; scores, validation rows,
    gradients and the stored form are those of the two parts."""
    from usecases.fraud.pipeline import default_dataset, plan_rows

    steps = []
    t = fraud.train(dataclasses.replace(fraud.Config.quick(), learner="blend"), progress=lambda s, total, row: steps.append((s, total)))
    assert t.card["model"]["learner"] == "blend"
    assert "MLPs" in t.card["model"]["architecture"] and "TabM" in t.card["model"]["architecture"]
    assert steps and max(s for s, _ in steps) == steps[-1][1]  # one bar that ends full, over both parts
    blend = t.model.learners[0]
    X = t.artefacts["whatif.sample"]
    p_mlp, p_tabm = blend.parts["mlp"].predict_proba(X), blend.parts["tabm"].predict_proba(X)
    assert np.abs(p_mlp - p_tabm).max() > 1e-3
    np.testing.assert_allclose(blend.predict_proba(X), (p_mlp + p_tabm) / 2, atol=1e-7)
    (i1, v1), (i2, v2) = blend.parts["mlp"].validation_, blend.parts["tabm"].validation_
    idx, v = blend.validation_
    assert len(idx) and set(idx) == set(i1) & set(i2)
    assert v[0] == pytest.approx((v1[np.searchsorted(i1, idx[0])] + v2[list(i2).index(idx[0])]) / 2, abs=1e-6)
    ds = default_dataset(t)
    tr, _ = plan_rows(ds).folds[0]
    r_idx, r_v = blend.recover_validation(ds.X[tr], ds.y[tr], t.card["training"]["seed"])
    assert np.array_equal(r_idx, idx) and np.allclose(r_v, v, atol=1e-6)
    store = ModelStore(tmp_path)
    fraud.save(t, store)
    back = fraud.load(store)
    np.testing.assert_array_equal(back.model.predict_proba(X), t.model.predict_proba(X))
    x = torch.as_tensor(X[:4]).requires_grad_(True)
    back.model.torch_proba(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    from dashboard.components import fraud_charts  # the page's training curve keeps the two learners' members apart

    names = {tr.name for tr in fraud_charts.training_curve(t.card["history"]).data}
    assert {"MLP · member 1", "TabM · member 1"} <= names, names


def test_fraud_unknown_learner_is_refused():
    with pytest.raises(ValueError, match="unknown learner 'gbm'"):
        fraud.train(dataclasses.replace(fraud.Config.quick(), learner="gbm"))


# ---- triage -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _triage_tabm() -> triage.Trained:
    return triage.train(triage.Config(cohort=CohortConfig(n=2000), learner="tabm", peers=("logistic_regression",),
                                      tabm=triage.pipeline.TabMConfig(max_epochs=25, patience=5)))


def test_triage_tabm_round_trip_through_the_store(tmp_path):
    from usecases.triage import learner

    t = _triage_tabm()
    assert t.card["training"]["learner"] == "tabm" and t.card["model"]["learner"] == "tabm"
    assert t.card["training"]["field_dropout"] > 0
    store = ModelStore(tmp_path)
    triage.save(t, store)
    back = triage.load(store)
    df = generate(CohortConfig(n=300, seed=21)).drop(columns=["patient"])
    np.testing.assert_array_equal(learner.predict_proba(back.model, df), learner.predict_proba(t.model, df))
    ev = triage.evaluate(back)
    for k, v in t.card["metrics"].items():
        assert ev.model[k] == pytest.approx(v, abs=1e-9), k
    assert ev.model["kappa_linear"] > ev.baselines["news2"]["kappa_linear"] + 0.3


def test_triage_tabm_reads_a_missing_consciousness_column_as_not_recorded():
    """The bug field dropout fixed in the MLP must not come back with TabM: a file without AVPU is scored
    like "not recorded", not like "unresponsive"."""
    t = _triage_tabm()
    df = generate(CohortConfig(n=400, seed=21)).drop(columns=["patient"])
    with_col = triage.score_file(t, df.to_csv(index=False).encode(), "with.csv")
    without = triage.score_file(t, df.drop(columns=["avpu"]).to_csv(index=False).encode(), "without.csv")
    n1_with, n1_without = int((with_col["suggested_level"] == 1).sum()), int((without["suggested_level"] == 1).sum())
    assert n1_without <= n1_with + 6, (n1_with, n1_without)
    assert (with_col["suggested_level"] == without["suggested_level"]).mean() > 0.8
    blank = pd.DataFrame([{c: (np.nan if c not in ("sex", "arrival", "avpu", "complaint") else None) for c in triage.records.CANONICAL}] * 3)
    blank["complaint"] = ""
    assert (triage.score(t, blank)["suggested_level"] >= 3).all()


def test_triage_blend_is_the_mean_of_its_two_parts_and_round_trips(tmp_path):
    """``learner="blend"``: an MLP and a TabM member fit on the same rows — on a small file (this one: 1,275 training and
    validation rows) each from three seeds; the stored model reloads with every part and scores the mean of their
    probabilities (each part with its own encoding), its less urgent boundaries rescaled by the blend's own temperature
    (kept in the card) and P(level ≤ 2) exactly the plain mean's."""
    from usecases.triage import learner

    cfg = triage.Config(cohort=CohortConfig(n=1500), learner="blend", peers=("logistic_regression",), max_epochs=8, patience=3,
                        tabm=triage.pipeline.TabMConfig(max_epochs=8, patience=3))
    steps = []
    t = triage.train(cfg, progress=lambda s, total, row: steps.append((s, total)))
    assert t.card["model"]["learner"] == "blend" and "MLP" in t.card["model"]["architecture"] and "TabM" in t.card["model"]["architecture"]
    # One bar for every part: the networks' epochs, then one step for the regression peer (since 2026-12-03).
    assert max(s for s, _ in steps) == cfg.max_epochs + 1 and {tot for _, tot in steps} == {cfg.max_epochs + 1}
    assert {r["part"] for r in t.card["history"]} == {"MLP", "TabM"}  # each part's curve (its first seed), labelled for the page
    (blend,) = t.model.members
    assert blend.seeds == 3 and t.card["model"]["blend_seeds"] == [3] and "from 3 seeds" in t.card["model"]["architecture"]
    df = generate(CohortConfig(n=300, seed=21)).drop(columns=["patient"])
    p_mlp = [learner.predict_proba(m, df) for m in blend.mlps()]
    p_tabm = [learner.predict_proba(m, df) for m in blend.tabms()]
    assert np.abs(p_mlp[0] - p_tabm[0]).max() > 1e-3  # two different learners, not one twice
    assert min(np.abs(a - b).max() for ps in (p_mlp, p_tabm) for a, b in ((ps[0], ps[1]), (ps[0], ps[2]), (ps[1], ps[2]))) > 1e-3  # 3 seeds
    mean = (np.mean(p_mlp, 0) + np.mean(p_tabm, 0)) / 2
    assert blend.temperature < 1.0 and t.card["model"]["blend_temperature"] == [blend.temperature]  # the mean is under-confident: sharpened
    p = learner.predict_proba(t.model, df)
    np.testing.assert_allclose(p, learner.temper(mean, blend.temperature), atol=1e-6)
    np.testing.assert_allclose(p[:, :2].sum(1), mean[:, :2].sum(1), atol=1e-6)
    store = ModelStore(tmp_path)
    triage.save(t, store)
    back = triage.load(store)
    np.testing.assert_array_equal(learner.predict_proba(back.model, df), learner.predict_proba(t.model, df))
    assert triage.evaluate(back).model["kappa_linear"] == pytest.approx(t.card["metrics"]["kappa_linear"], abs=1e-9)


def test_blend_seeds_rule_small_files_only():
    """Seeds per blend part: three up to ``SEED_ROWS`` training + validation rows (a small file), one above — the synthetic
    cohort's 17,000 keep the shipped single-seed blend — and ``blend_seeds`` overrides either."""
    from usecases.triage import learner

    cfg = triage.Config()
    assert learner.blend_seeds(cfg, 800) == learner.blend_seeds(cfg, learner.SEED_ROWS) == 3
    assert learner.blend_seeds(cfg, learner.SEED_ROWS + 1) == learner.blend_seeds(cfg, 17_000) == 1
    assert learner.blend_seeds(dataclasses.replace(cfg, blend_seeds=1), 800) == 1
    assert learner.blend_seeds(dataclasses.replace(cfg, blend_seeds=2), 17_000) == 2
    for bad in (0, -1, 2.5, True, "3"):  # 0 read as "automatic" and -1 crashed mid-training before this check
        with pytest.raises(ValueError, match="blend_seeds"):
            triage.Config(blend_seeds=bad)
    # The shipped card was written before seeds: it rebuilds one (MLP, TabM) pair per blend, under the names it always had,
    # and its stored weights load into it.
    models = Path(__file__).resolve().parents[1] / "models"
    shipped = json.loads((models / "triage" / "card.json").read_text())
    (blend,) = learner.build(shipped).members
    assert blend.seeds == 1 and {k.split(".")[1] for k in blend.state_dict()} == {"0", "1"}
    (loaded,) = triage.load(ModelStore(models)).model.members
    assert isinstance(loaded, learner.Blend) and loaded.seeds == 1


def test_triage_seeds_benchmark_serves_the_blend_of_every_seeds_parts(tmp_path):
    """``benchmarks/triage_seeds.py`` (the README's three-seed and mixture tables): the averaged blend is the tempered mean of
    every seed's MLP and TabM parts, mixed with the linear model per fold at the share the rule sets (the shipped rule's
    share is ``learner.stack_weight``'s); seeds that agree give seed 0's figures; a dump of the folds reloads as saved."""
    from benchmarks.triage_seeds import load, save, served, summarise
    from usecases.triage import learner

    rng = np.random.default_rng(1)

    def probs(n):
        return rng.dirichlet(np.ones(5), n)

    folds = []
    for _ in range(2):
        f = {"y_val": rng.integers(1, 6, 40), "y_test": rng.integers(1, 6, 30), "lin": (np.full((40, 5), 0.2), np.full((30, 5), 0.2))}
        for s in range(2):
            f.update({f"mlp{s}": (probs(40), probs(30)), f"tabm{s}": (probs(40), probs(30))})
        folds.append(f)
    for rule in ("mix", "cost"):  # shipped since 2026-12-01: the linear model's share by log loss; before: one learner by cost
        y, p, picks = served(folds, [0, 1], rule)
        assert len(picks.split()) == 2 and (rule == "mix" or set(picks.split()) <= {"B", "L"})
        for i, f in enumerate(folds):
            mean = [(f["mlp0"][w] + f["mlp1"][w] + f["tabm0"][w] + f["tabm1"][w]) / 4 for w in (0, 1)]
            t = learner.fit_temper(f["y_val"], mean[0])
            blend = [learner.temper(m, t) for m in mean]
            pick = picks.split()[i]
            w = {"B": 0.0, "L": 1.0}[pick] if pick in "BL" else float(pick)
            if rule == "mix":
                assert w == learner.stack_weight(f["y_val"], blend[0], f["lin"][0])[0]
            np.testing.assert_allclose(p[30 * i: 30 * (i + 1)], (1 - w) * blend[1] + w * f["lin"][1])
        np.testing.assert_array_equal(y, np.concatenate([f["y_test"] for f in folds]))
    from benchmarks.triage_seeds import CHOICE, _log_loss

    f = folds[0]
    mean = (f["mlp0"][0] + f["mlp1"][0] + f["tabm0"][0] + f["tabm1"][0]) / 4
    for name, rule in CHOICE.items():  # the rules measured and not kept: shares on the grid, one learner where it says so
        w = rule(f["y_val"], mean, f["lin"][0])
        assert w in learner.STACK_WEIGHTS and (w in (0.0, 1.0) or name.startswith("mix"))
    by_loss = CHOICE["log loss"](f["y_val"], mean, f["lin"][0])
    assert by_loss == float(_log_loss(f["y_val"], f["lin"][0]).mean() < _log_loss(f["y_val"], mean).mean())
    from usecases.triage.metrics import DEFAULT_UNDER_COST, triage_metrics
    from usecases.triage.model import decide

    kappas = [triage_metrics(f["y_val"], decide((1 - w) * mean + w * f["lin"][0], DEFAULT_UNDER_COST))["kappa_linear"] for w in learner.STACK_WEIGHTS]
    assert CHOICE["mix kappa"](f["y_val"], mean, f["lin"][0]) == learner.STACK_WEIGHTS[int(np.argmax(kappas))]  # ties → the smaller w
    for f in folds:
        f["mlp1"], f["tabm1"] = f["mlp0"], f["tabm0"]
    rows = summarise("same seeds", folds, 2)
    assert rows[0]["figures"] == rows[1]["figures"] == rows[2]["figures"] and rows[0]["per_fold"] == rows[2]["per_fold"]
    path = tmp_path / "folds.npz"
    save(str(path), folds)
    back = load(str(path))
    assert [sorted(f) for f in back] == [sorted(f) for f in folds]
    for a, b in zip(folds, back):
        for k, v in a.items():
            for x, z in zip(v if isinstance(v, tuple) else (v,), b[k] if isinstance(b[k], tuple) else (b[k],)):
                np.testing.assert_array_equal(x, z)


def test_blend_share_rules_of_the_triage_benchmark():
    """``benchmarks/triage_blend_share.py`` (the README's "not kept" table): RPS counts the distance on the scale,
    each rule moves the share to the better part, equal parts keep the mean, and the safe rule never takes a
    share with more validation under-triage of levels 1–2 than the mean's."""
    from benchmarks.triage_blend_share import choose, rps

    one_hot = np.eye(5)
    p = np.stack([one_hot[0], one_hot[4], np.full(5, 0.2), one_hot[1]])
    np.testing.assert_allclose(rps(np.array([1, 1, 3, 3]), p), [0.0, 4.0, 0.4, 1.0])
    rng = np.random.default_rng(0)
    y = rng.integers(1, 6, 200)
    good, flat = 0.1 * np.full((200, 5), 0.2) + 0.9 * one_hot[y - 1], np.full((200, 5), 0.2)
    for rule in ("log loss", "RPS", "RPS, safe"):
        assert choose(rule, y, flat, good) == 1.0 and choose(rule, y, good, flat) == 0.0 and choose(rule, y, good, good) == 0.5
    assert choose("mean", y, flat, good) == 0.5 and choose("tabm", y, good, flat) == 1.0
    # TabM better on the whole but one level too calm on every level-1/2 patient, the MLP right on those and
    # uninformative elsewhere: RPS moves far towards TabM, the safe rule only as far as no urgent patient is missed
    y = rng.choice(np.arange(1, 6), 400, p=[0.05, 0.05, 0.3, 0.3, 0.3])  # one patient in ten urgent
    urgent = y <= 2
    calm = 0.1 * np.full((400, 5), 0.2) + 0.9 * one_hot[np.where(urgent, y, y - 1)]  # urgent ones: the next, calmer level
    mlp = np.where(urgent[:, None], 0.02 + 0.9 * one_hot[y - 1], 0.2)  # right on the urgent ones, uninformative elsewhere
    assert choose("RPS", y, mlp, calm) == 1.0 and choose("RPS, safe", y, mlp, calm) == 0.7  # past 0.75 the 3× rule misses them


def test_blend_or_peer_by_validation_cost_of_the_triage_benchmark():
    """The benchmark's "blend or LR, by cost" rules: the 3× cost by hand, the cheaper part is taken (ties → blend),
    and the safe variant refuses a peer that is cheaper overall but misses more urgent validation patients."""
    from benchmarks.triage_blend_share import pick_by_cost, triage_cost

    one_hot = np.eye(5)
    y = np.array([1, 2, 3, 4, 5, 3])
    # levels decided: exact except the 1 → 3 (2 under: 6) and the 5 → 4 (1 over: 1) → 7 / 6
    p = one_hot[np.array([3, 2, 3, 4, 4, 3]) - 1]
    assert triage_cost(y, p) == pytest.approx(7 / 6)
    exact = one_hot[y - 1]
    assert pick_by_cost(y, p, exact) == "peer" and pick_by_cost(y, exact, p) == "blend" and pick_by_cost(y, p, p) == "blend"
    # The peer: right everywhere but one level too calm on the level-2 patient (cost 3); the blend: one level too
    # urgent on four calm patients (cost 4), right on the urgent ones. Cheaper is the peer; safe keeps the blend.
    y = np.array([2, 3, 3, 4, 4, 5, 5])
    peer = one_hot[np.array([3, 3, 3, 4, 4, 5, 5]) - 1]
    blend = one_hot[np.array([2, 2, 2, 3, 3, 5, 5]) - 1]
    assert triage_cost(y, peer) < triage_cost(y, blend)
    assert pick_by_cost(y, blend, peer) == "peer" and pick_by_cost(y, blend, peer, safe=True) == "blend"


def test_one_standard_error_rule_of_the_triage_benchmark():
    """"blend or linear, 1 SE else mean": a learner cheaper on every validation patient serves; one cheaper on a single
    patient and dearer on another (inside one standard error of the paired difference) does not, and the mean serves
    instead. "linear unless the blend is 1 SE cheaper": the linear model keeps such a fold, the blend only a clear win."""
    from benchmarks.triage_blend_share import pick_learner
    from usecases.triage.metrics import triage_costs

    one_hot = np.eye(5)
    y = np.array([1, 2, 3, 3, 4, 4, 5, 5])
    exact, calm = one_hot[y - 1], one_hot[np.minimum(y, 4)]  # calm: one level under on everyone below level 5
    assert triage_costs(y, calm).tolist() == [3, 3, 3, 3, 3, 3, 0, 0]
    assert pick_learner(y, calm, exact, "se") == "linear" and pick_learner(y, exact, calm, "se") == "blend"
    blend, lin = exact.copy(), exact.copy()
    blend[0], lin[7] = one_hot[1], one_hot[3]  # the blend 3 on one patient, the linear model 1 on another
    assert triage_costs(y, lin).sum() - triage_costs(y, blend).sum() == -2  # cheaper by 2/8, standard error 0.41
    assert pick_learner(y, blend, lin, "cost") == "linear" and pick_learner(y, blend, lin, "se") == "mean"
    assert pick_learner(y, exact, exact, "cost") == "blend" and pick_learner(y, exact, exact, "se") == "mean"
    # The one-standard-error rule proper: the simpler (linear) model unless the blend is clearly cheaper.
    assert pick_learner(y, lin, blend, "simpler") == "linear" and pick_learner(y, exact, exact, "simpler") == "linear"
    assert pick_learner(y, exact, calm, "simpler") == "blend"


def test_cross_fitted_logistic_of_the_fraud_linear_benchmark_scores_each_row_out_of_fold():
    """benchmarks.fraud_linear_candidate: every training row's validation score comes from the inner model that did not
    learn from it (so comparing it with TabM's cross-fitted scores is fair), and C is the grid value with the best AP."""
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold

    from benchmarks.fraud_linear_candidate import GRID, crossfit_logistic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=300) > 1.5).astype(int)
    c, oof, models = crossfit_logistic(X, y, seed=3)
    assert c in GRID and len(models) == 5
    for (tr, va), (sc, m) in zip(StratifiedKFold(5, shuffle=True, random_state=3).split(X, y), models):
        assert np.allclose(oof[va], m.predict_proba(sc.transform(X[va]))[:, 1])
        assert not np.allclose(oof[tr][:20], m.predict_proba(sc.transform(X[tr][:20]))[:, 1])  # in-sample scores differ
    assert average_precision_score(y, oof) > 0.6


def test_fraud_tabm_variants_benchmark_scores_every_variant_on_the_same_folds(monkeypatch, capsys):
    """``benchmarks/fraud_tabm_variants.py`` (the README's "measured, not built" table): each variant is fit on the product's
    folds with exactly its one setting changed, "seeds" is the mean of the seed-0 and seed-1 probabilities, the peers are
    scored on the same rows, and an unknown variant is refused."""
    from sklearn.metrics import average_precision_score

    import benchmarks.fraud_tabm_variants as bench

    seen = []

    def fake(ds, tr, te, setting):  # a stand-in learner: the settings it was given, and a fixed score per variant
        seen.append((len(tr), len(te), dict(setting)))
        rng = np.random.default_rng(setting.get("seed", 0) * 10 + setting.get("k", 0))
        return ds.y[te] * 0.3 + rng.random(len(te))

    monkeypatch.setattr(bench, "_fit_predict", fake)
    ap = bench.run_file("AER", "HMDA", "deny", ["seed1", "seeds", "k32"])
    assert set(ap) == {"shipped", "seed1", "seeds", "k32", "logistic_regression", "random_forest", "lightgbm"}
    assert [s for *_, s in seen[:3]] == [{}, {"seed": 1}, {"k": 32}] and len(seen) == 15  # 3 fits on each of 5 folds
    assert all(n_tr + n_te == 2380 for n_tr, n_te, _ in seen)
    ds = fraud.read_data(bench._real("AER", "HMDA"), "HMDA.csv", label="deny")
    _, te = bench.plan_rows(ds).folds[0]
    mean = (fake(ds, te, te, {}) + fake(ds, te, te, {"seed": 1})) / 2
    assert ap["seeds"][0] == pytest.approx(average_precision_score(ds.y[te], mean))
    assert ap["logistic_regression"][0] == pytest.approx(0.5250, abs=5e-4)  # the README's peer, same fold
    assert "beats shipped in" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="unknown variant"):
        bench.main(["--variants", "k64"])


def test_fraud_tabm_variants_handbook_mode_flags_the_amount_rule_at_the_validation_threshold(monkeypatch):
    """``--handbook`` (the README's scenario-1 settings): the threshold is the product's choice on the validation rows,
    never on the test rows; the payments over 220 are counted at it; ``wd0`` reaches the size rule the learner reads."""
    import usecases.core.tabular as tabular
    from usecases.fraud import business as fb

    import benchmarks.fraud_tabm_variants as bench

    rng = np.random.default_rng(0)
    val_y = (rng.random(4000) < 0.02).astype(int)
    val_amount = rng.uniform(5, 200, 4000)
    val_p = np.clip(val_y * 0.9 + rng.normal(0.05, 0.05, 4000), 0, 1)
    amount = np.r_[np.full(10, 230.0), np.full(990, 50.0)]
    y = (amount > 220).astype(int)
    p = np.r_[np.linspace(0.5, 1.0, 10), np.full(990, 0.01)]
    r = bench.amount_rule(val_y, val_p, val_amount, y, p, amount)
    thr = fb.choose(val_y, val_p, val_amount, fb.FraudAssumptions(), True)[0]
    assert r["threshold"] == thr and 0.5 < thr < 1.0  # neither end: some payments over 220 fall short of it
    assert r["of"] == 10 and r["flagged"] == int((p[:10] >= thr).sum()) and 0 < r["flagged"] < 10 and r["alerts"] == r["flagged"]
    seen = []

    class Stop(Exception):
        pass

    def fake_make_learner(cfg, ds, budget):  # the learner reads the size rule when it fits: what would it get?
        seen.append((cfg.tabm, tabular.auto_sizes(68_526)))
        raise Stop

    monkeypatch.setattr(bench, "make_learner", fake_make_learner)
    for name in ("shipped", "wd0", "dropout0"):
        with pytest.raises(Stop):
            bench._learner(None, None, bench.VARIANTS[name])
    (c0, s0), (c1, s1), (c2, s2) = seen
    assert s1.weight_decay == 0.0 and s0.weight_decay == 3e-4 and s2.weight_decay == 3e-4
    assert c2.dropout == 0.0 and c0.dropout is None and c1.dropout is None
    assert tabular.auto_sizes(68_526).weight_decay == 3e-4  # restored
    with pytest.raises(SystemExit, match="leave out 'seeds'"):
        bench.main(["--handbook", "--variants", "seed1,seeds"])


def test_realmlp_check_fits_each_fold_on_the_products_rows_and_scores_the_peer_as_the_readme_says(monkeypatch):
    """``benchmarks/realmlp_check.py`` (the README's RealMLP rows): RealMLP learns from each fold's fit + validation rows
    only and is scored on that fold's test rows, with the same cost-weighted rule as the regression; the regression is the
    product's peer (κ 0.259 on Arthritis, the README's figure); without pytabkit the benchmark says how to install it."""
    import sys

    import benchmarks.realmlp_check as bench

    seen = []

    def fake(X_fit, y_fit, X_test, seed):  # a stand-in learner: every test row gets the fit rows' level shares
        seen.append((len(X_fit), len(X_test), X_fit.shape[1] == X_test.shape[1]))
        classes, counts = np.unique(y_fit, return_counts=True)
        return classes, np.tile(counts / counts.sum(), (len(X_test), 1))

    monkeypatch.setattr(bench, "_fit_predict", fake)
    name, raw, mapping = next(f for f in bench._triage_files() if "Arthritis" in f[0])
    out = bench.triage_file(name, raw, mapping, echo=lambda _: None)
    assert len(seen) == 5 and sum(n_te for _, n_te, _ in seen) == 84 and all(n_fit + n_te == 84 and same for n_fit, n_te, same in seen)
    assert out["logistic_regression"]["kappa_linear"] == pytest.approx(0.259, abs=5e-4)
    assert out["realmlp"]["kappa_linear"] == pytest.approx(0.0)  # one level for everyone: no agreement beyond chance
    monkeypatch.setitem(sys.modules, "pytabkit", None)
    with pytest.raises(SystemExit, match="pip install pytabkit"):
        bench._realmlp(0)
