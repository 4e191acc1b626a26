"""Core pieces every use case shares: the verdict rule, the own-data split protocol, the number
formats, and the store's evaluation artefacts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from usecases.core import fmt, protocol
from usecases.core.spec import DataInfo, Evaluation
from usecases.core.store import ModelStore
from usecases.core.tables import DataProblem


def _ev(model, peer, higher=True):
    return Evaluation(usecase="x", primary_metric="m", higher_is_better=higher, model={"m": float(np.mean(model))},
                      baselines={"peer": {"m": float(np.mean(peer))}}, data=DataInfo("d", 10, "cv"),
                      folds={"model": {"m": list(model)}, "peer": {"m": list(peer)}}, labels={"peer": "Peer"})


def test_a_win_must_hold_in_every_fold():
    win = _ev([0.8, 0.82, 0.81], [0.7, 0.71, 0.72]).verdict()
    assert win.winner == "model" and "0.810 vs 0.710 for Peer," in win.sentence  # "(EASE (λ 250))" read as nested brackets
    assert _ev([0.7, 0.71, 0.72], [0.8, 0.82, 0.81]).verdict().winner == "peer"
    tie = _ev([0.80, 0.70, 0.90], [0.78, 0.75, 0.85]).verdict()  # better mean, but worse in one fold
    assert tie.winner == "tie" and tie.tie and "changes sign" in tie.sentence
    assert "(from −0.050 to +0.050;" in tie.sentence, tie.sentence  # the minus sign, as money and shares write it
    assert _ev([0.2, 0.21], [0.3, 0.31], higher=False).verdict().winner == "model", "lower is better: smaller wins"


def test_without_folds_the_sentence_says_no_spread_was_measured():
    ev = Evaluation(usecase="x", primary_metric="m", model={"m": 0.9}, baselines={"a": {"m": 0.8}, "b": {"m": 0.85}}, data=DataInfo("d", 1, "s"))
    v = ev.verdict()
    assert v.winner == "model" and v.best_baseline == "b" and v.margin == pytest.approx(0.05) and "no spread measured" in v.sentence
    assert ev.best_baseline() == ("b", 0.85)


def test_binary_split_guards_and_records():
    frame = pd.DataFrame({"a": np.arange(1000)})
    y = np.r_[np.ones(60), np.zeros(940)].astype(int)
    cv = protocol.binary_split(y, frame)
    assert cv.kind == "cv" and cv.k == 5 and sorted(np.bincount(cv.fold)) == [200] * 5
    assert all(y[te].sum() == 12 for _, _, te in cv.folds())
    # All positives first in time: a time-ordered hold-out would test on none of them → refused, suggesting stratified.
    with pytest.raises(DataProblem, match="use the stratified hold-out"):
        protocol.binary_split(y, frame, times=np.arange(1000), prefer="time")
    with pytest.raises(DataProblem, match="at least 30 of each"):
        protocol.binary_split(np.r_[np.ones(25), np.zeros(500)].astype(int), pd.DataFrame({"a": range(525)}))
    rec = cv.record()
    assert protocol.recover(rec, frame, lambda kind, seed: protocol.binary_split(y, frame, seed=seed, prefer=kind)).record() == rec
    assert protocol.recover(rec, frame.assign(a=frame["a"] + 1), lambda k, s: None) is None, "another file: an external test"


def test_class_split_shrinks_k_for_rare_classes():
    y = np.r_[np.full(3, 1), np.full(100, 2), np.full(100, 3)]
    s = protocol.class_split(y, pd.DataFrame({"a": range(len(y))}))
    assert s.k == 3
    with pytest.raises(DataProblem, match="at least 50 are needed"):
        protocol.class_split(np.ones(20), pd.DataFrame({"a": range(20)}))


def test_rows_repeated_by_joined_exports_are_read_once():
    """ISLR::Default given twice (two exports joined) read "random forest wins: 0.825 vs 0.488": every row's copy sat in
    another fold, so each test row had been learned. Repeats in the same order as earlier rows are now read once (in no
    fold: neither trained on nor tested); a file without repeats is split exactly as before; copies that fall anywhere
    (tables of answers, coded profiles — MASS::housing, ISLR::Caravan) stay separate records, with a clause saying so."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=1000), "label": np.r_[np.ones(100), np.zeros(900)].astype(int)})
    y = frame["label"].to_numpy()
    once = protocol.binary_split(y, frame)
    assert "repeat" not in once.description
    for joined in (pd.concat([frame, frame]), pd.concat([frame, frame.tail(300)])):  # exported twice; overlapping exports
        joined = joined.reset_index(drop=True)
        n_rep = len(joined) - 1000
        for s in (protocol.binary_split(joined["label"].to_numpy(), joined), protocol.class_split(joined["label"].to_numpy(), joined)):
            assert f"{n_rep:,} of the {len(joined):,} rows repeat earlier rows exactly and in the same order" in s.description
            assert (s.fold[1000:] == -1).all() and (s.fold[:1000] >= 0).all()
            for _, tr, te in s.folds():
                assert tr.max() < 1000 and te.max() < 1000
            assert len(s.test_rows) == 1000
        s = protocol.binary_split(joined["label"].to_numpy(), joined)
        assert (s.fold[:1000] == once.fold).all()  # the distinct rows are split as the file alone was
        rec = s.record()
        assert protocol.recover(rec, joined, lambda kind, seed: protocol.binary_split(joined["label"].to_numpy(), joined, seed=seed,
                                                                                      prefer=kind)).record() == rec
    # 10,000 distinct rows given twice are cross-validated as the file once is (20,000 rows would have been a hold-out)
    big = pd.DataFrame({"a": rng.normal(size=12_000), "label": np.r_[np.ones(600), np.zeros(11_400)].astype(int)})
    twice = pd.concat([big, big]).reset_index(drop=True)
    assert protocol.binary_split(twice["label"].to_numpy(), twice).kind == "cv"
    # too few rows once the repeats are read once: refused saying so (40 rows cycling through 3 had failed inside scikit-learn)
    cycle = pd.DataFrame({"a": np.arange(40) % 3, "level": np.arange(40) % 3 + 1})
    with pytest.raises(DataProblem, match=r"once its 37 repeated rows are read once .* it has 3 labelled rows; at least 30 are needed"):
        protocol.class_split(cycle["level"].to_numpy(), cycle, min_rows=30)
    # natural copies (answers of a survey, expanded by their counts) are records of their own: split as they come, and said
    answers = pd.DataFrame({"q": rng.integers(0, 3, 600), "level": rng.integers(1, 4, 600)})
    s = protocol.class_split(answers["level"].to_numpy(), answers)
    assert "rows repeat another row exactly and are read as separate records" in s.description
    assert (s.fold == protocol._stratified_folds(answers["level"].to_numpy(), 5, 0)).all()


def test_formats_by_kind():
    assert [fmt.money(x) for x in (250_000, 5_000_000, 0.002, -1234, None, float("nan"))] == ["€250k", "€5.0M", "€0.0020", "−€1.2k", "—", "—"]
    assert fmt.money(0.0137) == "€0.014" and fmt.money(0.5) == "€0.50" and fmt.money(2.5) == "€2.50"  # not "€0.01" beside "€0.0059"
    assert [fmt.money(x) for x in (0.0104, 0.00996, 0.05, 0.0020)] == ["€0.010", "€0.010", "€0.050", "€0.0020"]  # two digits, always
    assert fmt.count(16.0) == "16" and fmt.count(1193.4) == "1,193"
    assert fmt.rate(0.283) == "28 %" and fmt.rate(0.004) == "0.4 %"
    assert fmt.rate(-0.0001) == "0.0 %" and fmt.points(-0.0001) == "0.0 pts", "no '-0.0', read as a loss"
    assert fmt.points(0.007) == "0.7 pts" and fmt.points(-0.021) == "−2.1 pts" and fmt.rate(-0.95) == "−95 %" and fmt.roi(-0.95) == "−95 %"
    assert fmt.roi(118.22) == "> 1,000 %" and fmt.roi(0.44) == "44 %"
    assert fmt.payback(0.1) == "3 days" and fmt.payback(1.5) == "7 weeks" and fmt.payback(8.3) == "8.3 months" and fmt.payback(None) == "never"
    # a base case beside its low and high cases is written in one unit: "18.4 months · low never · high 10 weeks" made readers convert
    assert fmt.paybacks(18.4, None, 70 / 30.4) == ["18.4 months", "never", "2.3 months"]
    assert fmt.paybacks(0.5, 0.2, 1.2) == ["2 weeks", "1 week", "5 weeks"] and fmt.paybacks(0.1, 0.05, 0.2) == ["3 days", "2 days", "6 days"]
    assert fmt.paybacks(0, None, None) == ["immediately", "never", "never"] and fmt.paybacks(4.0, 0.001) == ["4.0 months", "under a day"]
    assert fmt.span(168.0, 168.0, 168.0, fmt.number) == "168", "a range that collapses to its value is not repeated"
    # Sentences and tiles write a negative quantity with the minus sign, as money and shares do; tables read back keep "-".
    assert fmt.number(-5.5, 1, typographic=True) == "−5.5" and fmt.number(-5.5, 1) == "-5.5" and fmt.number(-0.25, typographic=True) == "−0.25"
    assert fmt.number(1234.5, 1, typographic=True) == "1,234.5"
    # rounding to no decimals keeps the integer's zeros: 89.99 read "9", 99.6 read "1", 1,999.7 read "2,"
    assert (fmt.number(89.99, 0), fmt.number(99.6, 0), fmt.number(1999.7, 0), fmt.number(19.96, 1)) == ("90", "100", "2,000", "20")
    assert fmt.span(1e4, 2e4, 3e4) == "€20k (€10k – €30k)"
    assert fmt.span(-6e3, -4e3, -2.5e3) == "−€4.0k (−€6.0k to −€2.5k)"
    # what the brackets are, said only when they are shown
    assert fmt.span_words(-6e3, -4e3, -2.5e3) == "−€4.0k (−€6.0k to −€2.5k) at the base assumptions, low – high in brackets"
    assert fmt.span_words(-4e3, -4e3, -4e3) == "−€4.0k at the low, base and high assumptions alike"
    assert fmt.span_words(None, None, None) == fmt.DASH
    assert (fmt.signed_points(-0.02), fmt.signed_points(0.01), fmt.signed_points(0.034), fmt.signed_points(0.001)) == ("−2 pts", "+1 pt", "+3 pts", "±0 pts")  # a dash between minus signs read "−€6.0k – −€2.5k"
    t = fmt.table(pd.DataFrame({"monthly_value": [250000.0], "alerts": [16.0], "note": [None]}), {"monthly_value": "money", "alerts": "count"})
    assert t.columns.tolist() == ["Monthly value", "Alerts", "Note"] and t.iloc[0].tolist() == ["€250k", "16", "—"]


def test_artefacts_travel_with_the_checkpoint_and_are_hash_checked(tmp_path):
    store = ModelStore(tmp_path)
    card = store.save("m", {"w": torch.ones(2)}, {"metrics": {"x": 1.0}}, format_version=1, artefacts={"scores": torch.arange(5.0)})
    assert card["artefacts"]["bytes"] > 0
    got = store.load_artefacts("m", store.read_card("m"))
    assert got["scores"].tolist() == [0, 1, 2, 3, 4]
    art = tmp_path / "m" / "evaluation.safetensors"
    art.write_bytes(art.read_bytes()[:-3] + b"xyz")
    assert store.load_artefacts("m", store.read_card("m")) is None, "a damaged file is never trusted (the caller recomputes)"
    store.save("m", {"w": torch.ones(2)}, {"metrics": {"x": 2.0}}, format_version=1)
    assert not art.exists() and "artefacts" not in store.read_card("m"), "a save without artefacts leaves no stale ones"
    store.rollback("m")
    assert store.load_artefacts("m", store.read_card("m")) is None  # the damaged one came back with its card and still fails the hash


def test_the_verdict_names_what_the_spread_is_over():
    from usecases.core.spec import DataInfo, Evaluation

    ev = Evaluation(usecase="x", primary_metric="m", model={"m": 0.6}, baselines={"b": {"m": 0.5}},
                    data=DataInfo(source="s", rows=10, split="s"), folds={"model": {"m": [0.6, 0.7]}, "b": {"m": [0.5, 0.5]}},
                    spread_unit="resamples of the test users")
    assert ev.verdict().sentence.endswith("better in all 2 resamples of the test users.")
    # identical on every resample: "changes sign between resamples (from +0.000 to +0.000)" said what did not happen
    same = Evaluation(usecase="x", primary_metric="m", model={"m": 1.0}, baselines={"b": {"m": 1.0}}, data=DataInfo(source="s", rows=10, split="s"),
                      folds={"model": {"m": [1.0, 1.0, 1.0]}, "b": {"m": [1.0, 1.0, 1.0]}}, spread_unit="folds")
    v = same.verdict()
    assert v.winner == "tie" and v.sentence == "Tie: PyTorch model and b score the same, 1.000, in every one of the 3 folds."
    # float noise is not a win: a leaked label scored 0.9999999999999998 against 1.0 in every fold ("b wins … better in all 3")
    noisy = Evaluation(usecase="x", primary_metric="m", model={"m": 1.0 - 2e-16}, baselines={"b": {"m": 1.0}},
                       data=DataInfo(source="s", rows=10, split="s"),
                       folds={"model": {"m": [1.0 - 2e-16] * 3}, "b": {"m": [1.0] * 3}}, spread_unit="folds")
    assert noisy.verdict().winner == "tie" and "score the same" in noisy.verdict().sentence
    # a fold barely ahead is written so it can be read as ahead, and the sentence says how the folds split: it had read "from
    # −0.096 to +0.000" beside a peer ahead in four folds of five (a sweep, 2026-12-06)
    barely = Evaluation(usecase="x", primary_metric="m", model={"m": 0.632}, baselines={"b": {"m": 0.682}}, data=DataInfo(source="s", rows=10, split="s"),
                        folds={"model": {"m": [0.60, 0.62, 0.63, 0.64, 0.6503]}, "b": {"m": [0.696, 0.68, 0.70, 0.69, 0.65]}}, spread_unit="folds")
    assert barely.verdict().winner == "tie"
    assert "(from −0.096 to +0.0003; PyTorch model ahead in 1 of 5), so neither is shown to be better on this data." in barely.verdict().sentence
    one = Evaluation(usecase="x", primary_metric="m", model={"m": 1.0 - 2e-16}, baselines={"b": {"m": 1.0}},
                     data=DataInfo(source="s", rows=10, split="s"))
    assert one.verdict().winner == "tie" and one.verdict().margin == 0.0


def test_an_assumption_label_does_not_repeat_its_unit():
    """"Sessions per month (sessions)" and "Cases per investigator per day (cases)" said the unit twice; short units stay."""
    from dashboard.components.widgets import _fmt_unit

    assert _fmt_unit("sessions", "Sessions per month") == "" and _fmt_unit("cases", "Cases per investigator per day") == ""
    assert _fmt_unit("s", "Budget") == " (s)" and _fmt_unit("min", "Administration time") == " (min)"
    assert _fmt_unit("€/h", "CPU price") == " (€/h)" and _fmt_unit("", "Anything") == ""


def test_a_peer_ahead_on_another_metric_is_named_with_how_often():
    """"PyTorch detector wins" (average precision) sat beside a table highlighting LightGBM on AUC ROC and card precision@100
    without a word."""
    from usecases.core.spec import DataInfo, Evaluation

    ev = Evaluation(usecase="x", primary_metric="ap", model={"ap": 0.73, "auc": 0.8961, "p100": 0.50}, data=DataInfo(source="s", rows=1, split="s"),
                    baselines={"lgbm": {"ap": 0.69, "auc": 0.8968, "p100": 0.4}, "rf": {"ap": 0.70, "auc": 0.80, "p100": 0.5004}},
                    labels={"lgbm": "LightGBM", "rf": "Random forest"}, spread_unit="resamples",
                    folds={"model": {"auc": [0.9, 0.8, 0.85]}, "lgbm": {"auc": [0.91, 0.79, 0.86]}})
    text = ev.ahead_elsewhere({"ap": "average precision", "auc": "AUC ROC", "p100": "precision@100"})
    # AUC: 0.897 vs 0.896 shown, ahead in 2 of 3 resamples; precision@100: 0.500 vs 0.500 as shown — not "ahead"
    assert text == ("A peer leads on another metric — on AUC ROC, LightGBM 0.897 vs 0.896, ahead in 2 of 3 resamples. "
                    "The verdict reads average precision, the primary metric."), text
    assert ev.ahead_elsewhere({"ap": "average precision", "p100": "precision@100"}) == ""



def test_the_training_file_saved_again_is_not_taken_for_new_data():
    """ISLR::Default saved with its numbers written "44,361.63" matched no training row exactly and was evaluated as "a file
    the model never saw" (a sweep, 2026-12-05). A file with exactly as many rows as the training file, most of them unmatched,
    is said to be possibly that file saved again."""
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    stored = protocol.row_hashes(train)
    keep, note = protocol.external_rows(stored, train.round(2), "x")
    assert keep.all() and note.startswith("it has exactly as many rows as the model's training file (500) but only 0 of them equal a "
                                          "training row in every value: if it is that file saved again")
    other = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    assert protocol.external_rows(stored, other, "x")[1] is None  # another file of another size: a plain external test
    mixed = pd.concat([train.head(100), train.tail(400).round(2)])
    keep, note = protocol.external_rows(stored, mixed, "x")
    assert int((~keep).sum()) == 100 and "; it has exactly as many rows" in note



def test_a_slice_of_the_training_file_saved_again_is_not_taken_for_new_data():
    """The first 2,000 of ISLR::Default's 3,000 training rows saved again to cents were evaluated as "all 2,000 rows of a file the
    model never saw" (a sweep, 2026-12-07): the same-size rule above did not apply. The model keeps a hash of each training row
    with numbers at 3 significant digits and times to the minute, and a file most of whose rows match one is said to be
    possibly the training file saved again; a new file from the same source is not."""
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"balance": rng.gamma(2, 400, size=3000), "income": rng.normal(33_000, 13_000, size=3000),
                          "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, 3000), unit="s")})
    exact, near = protocol.row_hashes(train), protocol.near_row_hashes(train)
    slice_ = train.head(2000).assign(balance=lambda d: d["balance"].round(2), income=lambda d: d["income"].round(2),
                                     when=lambda d: d["when"].dt.floor("min"))
    keep, note = protocol.external_rows(exact, slice_, "x", near=near)
    assert keep.all() and re.match(r"1,9\d\d of its 2,000 rows equal a training row once numbers are rounded to 3 significant "
                                   "digits and times to the minute: if they come from the model's training file saved again", note), note
    assert protocol.external_rows(exact, slice_, "x")[1] is None  # a model without the near hashes: as before
    new = pd.DataFrame({"balance": rng.gamma(2, 400, size=2000), "income": rng.normal(33_000, 13_000, size=2000),
                        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, 2000), unit="s")})
    assert protocol.external_rows(exact, new, "x", near=near)[1] is None  # rows from the same source, not the same rows
    # a table of few columns fills the 3-digit buckets: its own rows repeat there, and fresh rows are not taken for copies
    few = pd.DataFrame({"amount": np.round(rng.lognormal(3, 1, size=100_000), 2), "age": rng.integers(18, 90, size=100_000)})
    fresh = pd.DataFrame({"amount": np.round(rng.lognormal(3, 1, size=2000), 2), "age": rng.integers(18, 90, size=2000)})
    note = protocol.external_rows(protocol.row_hashes(few), fresh, "x", near=protocol.near_row_hashes(few))[1]
    assert not note or "once numbers are rounded" not in note, note
