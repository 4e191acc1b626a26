"""The command line: every command, the fixed JSON shapes, and one-line errors for bad arguments and files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from usecases.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, env=None):
    """Run ``python -m usecases`` in a subprocess (as a user would)."""
    e = {**os.environ, **(env or {})}
    p = subprocess.run([sys.executable, "-m", "usecases", *args], cwd=ROOT, capture_output=True, text=True, env=e, timeout=600)
    return p.returncode, p.stdout, p.stderr


def test_list_shows_every_use_case():
    rc, out, err = run_cli("list")
    assert rc == 0, err
    for name in ("textgen", "fraud", "recommendation", "triage"):
        assert name in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (["train", "nosuch"], "unknown use case 'nosuch'"),
        (["frobnicate"], "invalid choice"),
        (["evaluate"], "the following arguments are required: name"),
        (["score", "fraud", "missing.csv", "-o", "out.csv"], "missing.csv: no such file"),
        (["train", "fraud", "--device", "tpu"], "unknown device 'tpu'"),
        (["train", "fraud", "--budget-seconds", "-3"], "--budget-seconds must be a positive number"),
        (["train", "all", "--data", "x.csv"], "--data needs one use case"),
        (["train", "fraud", "--data", "x.csv"], "x.csv: no such file"),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(args, needle, tmp_path):
    rc, out, err = run_cli(*args, env={"UCLAB_MODEL_DIR": str(tmp_path)})
    assert rc == 2
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert needle in lines[0]


def test_train_evaluate_score_round_trip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    assert main(["train", "fraud", "--quick", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "fraud: saved" in out and "best baseline" in out
    assert main(["evaluate", "fraud", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert {"usecase", "primary_metric", "model", "baselines", "data", "verdict"} <= set(rep) <= {"usecase", "primary_metric", "model",
                                                                                            "baselines", "data", "verdict", "folds", "notes"}
    assert rep["verdict"]["winner"] in {"model", "tie", *rep["baselines"]} and rep["verdict"]["sentence"]
    assert rep["usecase"] == "fraud" and rep["primary_metric"] == "average_precision"
    assert set(rep["baselines"]) == {"logistic_regression", "random_forest", "lightgbm"}
    assert {"source", "rows", "split", "kind", "test_rows"} <= set(rep["data"])
    # score: same numbers as the library call
    from tests.test_fraud import _raw_csv

    src = tmp_path / "tx.csv"
    src.write_bytes(_raw_csv(label=False))
    dst = tmp_path / "scored.csv"
    assert main(["score", "fraud", str(src), "-o", str(dst)]) == 0
    scored = pd.read_csv(dst)
    assert len(scored) == 60 and {"fraud_probability", "flagged"} <= set(scored.columns)
    from usecases import fraud
    from usecases.core.store import ModelStore

    lib = fraud.score_file(fraud.load(ModelStore()), _raw_csv(label=False), "tx.csv")
    assert scored["fraud_probability"].tolist() == pytest.approx(lib["fraud_probability"].astype(float).tolist(), abs=1e-6)
    assert scored["flagged"].tolist() == lib["flagged"].tolist()
    # a second run over the same output replaces it, and says so (it had replaced it without a word)
    assert main(["score", "fraud", str(src), "-o", str(dst)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"→ {dst} (replaced the file that was there)")
    # an output named for another format is refused, not filled with CSV text under that name
    for name in ("scores.xlsx", "scores.parquet"):
        assert main(["score", "fraud", str(src), "-o", str(tmp_path / name)]) == 2
        assert "scores are written as CSV; give a name ending in .csv" in capsys.readouterr().err and not (tmp_path / name).exists()


def test_a_text_model_behind_its_ngram_is_said_with_what_the_budget_allowed(tmp_path, monkeypatch, capsys):
    """`train textgen --data … --budget-seconds 0.001` saved a model of one iteration (5.96 bits per byte against the
    n-gram's 1.86) and printed the two numbers without a word."""
    import argparse as ap_mod
    import csv as csv_mod
    import inspect

    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    corpus = tmp_path / "docs.txt"
    corpus.write_text(inspect.getsource(csv_mod) + inspect.getsource(ap_mod))
    assert main(["train", "textgen", "--data", str(corpus), "--budget-seconds", "0.001", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "textgen: warning: the model is behind its best baseline, char_" in out and "gram_witten_bell, on held-out data (bits per byte " in out, out
    assert "its time budget of 0.001 s allowed 1 training iteration; train again with a longer budget" in out, out


def test_the_budget_said_is_the_one_given():
    """--budget-seconds 5 had been reported as "its time budget of 4.13947 s" (the loop's share after sizing the model)."""
    from usecases import textgen
    from usecases.__main__ import _behind_baseline

    card = {"metrics": {textgen.SPEC.primary_metric: 2.0}, "training": {"budget_seconds": 4.13947}, "history": [{"iter": 521}]}
    text = _behind_baseline(card, textgen.SPEC, ("char_4gram", 0.9), given=5.0)
    assert "its time budget of 5 s (4.1 s of it left for training after sizing the model) allowed 521 training iterations" in text, text
    assert "its time budget of 4.14 s allowed" in _behind_baseline(card, textgen.SPEC, ("char_4gram", 0.9))


def test_bad_input_file_for_score_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    assert main(["train", "fraud", "--quick"]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("transaction_id,datetime\nT1,2018-01-01\n")
    out = tmp_path / "out.csv"
    assert main(["score", "fraud", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing columns customer_id, terminal_id, amount" in err and err.count("\n") == 1
    assert not out.exists(), "nothing half-written"


def test_unusable_model_gives_the_standard_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    assert main(["evaluate", "fraud"]) == 2
    assert "fraud model is not trained yet" in capsys.readouterr().err
    assert main(["train", "fraud", "--quick"]) == 0
    w = tmp_path / "models" / "fraud" / "model.safetensors"
    w.write_bytes(w.read_bytes()[:100])
    capsys.readouterr()
    assert main(["evaluate", "fraud"]) == 2
    err = capsys.readouterr().err
    assert "fraud model is unusable:" in err and "retrain with `make train` or the Retrain button" in err


def test_bench_json_shape(capsys):
    assert main(["bench", "fraud", "--quick", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert set(rep) == {"usecase", "device", "figures"} and rep["usecase"] == "fraud"
    for fig in rep["figures"].values():
        assert set(fig) == {"value", "unit"} and isinstance(fig["value"], (int, float))


def test_score_recommendation_with_an_unknown_id_says_so_on_stderr(tmp_path, capsys):
    """The shipped model scores the ids it knows; an unknown id gets the most popular items and one `note:` line says so."""
    src = tmp_path / "users.csv"
    src.write_text("user_id\n1\nnew-customer\n")
    dst = tmp_path / "recs.csv"
    assert main(["score", "recommendation", str(src), "-o", str(dst)]) == 0
    got = capsys.readouterr()
    assert "note: 1 unknown user id ('new-customer'); the model knows 671 users" in got.err and "most popular items" in got.err
    out = pd.read_csv(dst, dtype=str)
    assert out["user_id"].value_counts().to_dict() == {"1": 10, "new-customer": 10}
    assert (out[out.user_id == "new-customer"]["basis"] == "most popular: this user id is not in the model").all()


def test_a_recommendation_model_trained_on_your_file_scores_with_that_file(tmp_path, monkeypatch, capsys):
    """`score recommendation --model mine` said "pass that file again (e.g. `evaluate --data FILE`)", but `score` had no way to
    take it: a model trained on a user's own file could not be scored from the command line at all."""
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"i{rng.integers(0, 40)}", int(rng.integers(1, 6))) for u in range(60) for _ in range(12)]
    mine = tmp_path / "mine.csv"
    pd.DataFrame(rows, columns=["user", "item", "rating"]).drop_duplicates(["user", "item"]).to_csv(mine, index=False)
    users, out = tmp_path / "users.csv", tmp_path / "recs.csv"
    users.write_text("user_id\nu1\nu2\n")
    assert main(["train", "recommendation", "--quick", "--data", str(mine), "--model-name", "mine"]) == 0
    capsys.readouterr()
    assert main(["score", "recommendation", str(users), "--model", "mine", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pass that file again (`score recommendation USERS --model NAME --data FILE`" in err and not out.exists()
    # The model is what cannot be used here, not the user list (it read "“users.csv” cannot be used", a sweep, 2026-12-07).
    assert "This model cannot be used: this model was trained on your own file" in err and "users.csv" not in err
    part = tmp_path / "part.csv"
    part.write_text("\n".join(mine.read_text().splitlines()[:200]) + "\n")
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(part), "-o", str(out)]) == 2
    n_part = len(pd.read_csv(part).drop_duplicates(["user", "item"]))
    n_mine = len(pd.read_csv(mine))
    assert (f"the file given is not the one it was trained on: it reads as {n_part:,} interactions, that file as {n_mine:,}; pass "
            "that file") in capsys.readouterr().err
    # The training file sorted again in a spreadsheet had read "its rows differ": it is the same rows, in another order.
    resorted = tmp_path / "resorted.csv"
    pd.read_csv(mine).sort_values(["item", "user"]).to_csv(resorted, index=False)
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(resorted), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert ("the file given holds the same interactions as the one it was trained on, in another order (sorted again?)"
            in err) and not out.exists()
    assert "This model with --data “resorted.csv” cannot be used" in err and "users.csv" not in err
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(mine), "-o", str(out)]) == 0
    got = pd.read_csv(out, dtype=str)
    assert got["user_id"].value_counts().to_dict() == {"u1": 10, "u2": 10} and got["item_id"].str.startswith("i").all()
    capsys.readouterr()
    # The training file's context is now cached in this process; another file is still refused (it was accepted from the cache).
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(part), "-o", str(tmp_path / "r2.csv")]) == 2
    assert "the file given is not the one it was trained on: it reads as" in capsys.readouterr().err
    assert main(["score", "fraud", str(users), "--data", str(mine), "-o", str(tmp_path / "f.csv")]) == 2
    assert "--data is not used by fraud when scoring" in capsys.readouterr().err


def test_evaluate_prints_the_notes_the_page_shows_under_its_table(capsys):
    """``evaluate`` printed the table and the verdict only: which learner serves the triage model and why (the note the page
    shows under its table) never reached the command line or its JSON."""
    from usecases import triage
    from usecases.core.store import ModelStore
    from usecases.triage.pipeline import served_notes

    notes = served_notes(triage.load(ModelStore(Path(__file__).resolve().parents[1] / "models")).card)
    assert notes and notes[0].startswith("Served by the MLP + TabM blend")
    assert main(["evaluate", "triage"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [l for l in out if l.startswith("note: ")] == [f"note: {n}" for n in notes]
    assert out.index(f"note: {notes[0]}") == len(out) - len(notes)  # under the verdict
    assert "; 3,001 patients scored)" in out[0] and " rows; " in out[0]  # what the test rows are, in their unit
    assert main(["evaluate", "triage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == notes


def test_evaluate_says_under_the_verdict_what_the_verdict_hides(capsys):
    """The shipped triage model ties LightGBM on κ, and ``evaluate`` said only that, while on level 1 alone it under-triages
    more patients than the simulated nurse (15 against 10 of 58 — README); the page warned, the command line did not."""
    from usecases import triage
    from usecases.core.store import ModelStore
    from usecases.triage.pipeline import evaluate

    caveat = evaluate(triage.load(ModelStore(Path(__file__).resolve().parents[1] / "models"))).caveat()
    assert caveat.startswith("On level 1 alone the model under-triages more patients than the simulated nurse: ")
    assert main(["evaluate", "triage"]) == 0
    out = capsys.readouterr().out.splitlines()
    i = next(i for i, line in enumerate(out) if line.startswith("Tie: ") or " wins: " in line)
    assert out[i + 1] == f"but: {caveat}"
    assert main(["evaluate", "triage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["caveat"] == caveat


def test_a_run_well_past_its_budget_says_the_peers_took_the_time():
    """`train fraud --budget-seconds 20` on a 300-column table trained for 163 s and said nothing: the budget bounds the
    networks, and the peers are tuned in full after them. The CLI now prints a note naming both (runner.budget_overrun)."""
    from usecases.core.runner import budget_overrun

    card = {"training": {"budget_seconds": 20.0}, "training_seconds": 163.2, "networks_seconds": 18.9}
    assert budget_overrun(card) == ("training took 163 s against a budget of 20 s: the budget bounds the PyTorch model's networks "
                                    "(19 s); the rest, 144 s, went to tuning the peers on the same rows (and to reading and scoring), "
                                    "which run in full so that the comparison is fair")
    assert budget_overrun({**card, "training_seconds": 28.0}) == ""  # within 1.2 × 20 + 5 s
    assert budget_overrun({**card, "training": {"budget_seconds": None}}) == ""
    assert budget_overrun({k: v for k, v in card.items() if k != "networks_seconds"}) == ""  # cards of earlier models
    # The networks themselves past the budget: "the budget bounds the networks (74 s)" had stood beside a budget of 40 s (a
    # sweep, 2026-12-06) — preparing their inputs (bin edges per column) comes before the first epoch the budget can stop.
    wide = {"training": {"budget_seconds": 40.0}, "training_seconds": 92.0, "networks_seconds": 74.0, "networks_setup_seconds": 51.0}
    assert budget_overrun(wide) == ("training took 92 s against a budget of 40 s: the PyTorch model's networks took 74 s — 51 s of it "
                                    "preparing their inputs (bin edges for each column, set before the first epoch, which the budget "
                                    "does not stop), so each trained only briefly; the rest, 18 s, went to tuning the peers on the same "
                                    "rows (and to reading and scoring), which run in full so that the comparison is fair")
    # ... and the floor each fold's networks get: 5 s of budget, 15 s of epochs (credit_data, 3,000 rows; a sweep, 2026-12-06)
    floor = {"training": {"budget_seconds": 5.0}, "training_seconds": 26.0, "networks_seconds": 17.0, "networks_setup_seconds": 2.0,
             "networks_fold_floor": {"folds": 5, "seconds": 1.0}}
    assert ("networks took 17 s — 2 s of it preparing their inputs (bin edges for each column, set before the first epoch, which the "
            "budget does not stop); each of the 5 folds' networks trains for at least 1 s, however little of the budget the folds "
            "before it left, so each trained only briefly; the rest, 9 s, went to tuning the peers") in budget_overrun(floor)
    # 9 s of networks beside a budget of 5 s is past it too (credit_data, 3,000 rows: "bounds the networks (9 s)", 2026-12-06)
    assert "networks took 9 s" in budget_overrun({**floor, "training_seconds": 18.0, "networks_seconds": 9.0})
    assert "bounds the PyTorch model's networks" not in budget_overrun({k: v for k, v in wide.items() if k != "networks_setup_seconds"})


def test_the_cli_prints_the_budget_note_after_training(tmp_path, monkeypatch, capsys):
    from usecases import fraud
    from usecases.__main__ import main

    real = fraud.train

    def slow_peers(config, **kw):  # a trained card as a wide table gives it: the peers took most of the time
        t = real(config, **kw)
        t.card.update(training_seconds=60.0, networks_seconds=2.0)
        return t

    monkeypatch.setattr(fraud, "train", slow_peers)
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "store"))
    assert main(["train", "fraud", "--quick", "--budget-seconds", "5", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "fraud: note: training took 60 s against a budget of 5 s: the budget bounds the PyTorch model's networks (2 s)" in out, out
    assert " · 2.0s for the model, 60.0s in all with the peers and the evaluation on CPU" in out, out  # "· 60.0s on CPU" before


def test_the_saved_line_says_the_whole_runs_time_beside_the_models_own(tmp_path, monkeypatch, capsys):
    """`train recommendation` printed "0.3s on CPU" for a run of 13 s: the card's training_seconds is the model's tuning and
    fit alone (what its time is compared on), and the peers and the evaluation took the rest (a sweep, 2026-12-06)."""
    from usecases import recommendation

    real = recommendation.train

    def timed(config, **kw):
        t = real(config, **kw)
        t.card.update(training_seconds=0.3, total_seconds=13.2)
        return t

    monkeypatch.setattr(recommendation, "train", timed)
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "store"))
    assert main(["train", "recommendation", "--quick", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert " · 0.3s for the model, 13.2s in all with the peers and the evaluation on CPU" in out, out


def test_scoring_without_the_titles_file_the_model_was_trained_with_says_so(tmp_path, monkeypatch, capsys):
    """A model trained with `--items TITLES`, scored with `--data FILE` alone, wrote "item 31" in every title without a word:
    the titles file is not kept with the model. A note now says which file is missing; with it the titles come back — also in
    the same process after a run without it (the cached training context had kept the first run's item names)."""
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    rng = np.random.default_rng(1)
    rows = [(f"u{u}", f"i{rng.integers(0, 40)}", int(rng.integers(1, 6))) for u in range(60) for _ in range(12)]
    mine, titles = tmp_path / "mine.csv", tmp_path / "titles.csv"
    pd.DataFrame(rows, columns=["user", "item", "rating"]).drop_duplicates(["user", "item"]).to_csv(mine, index=False)
    pd.DataFrame({"item_id": [f"i{i}" for i in range(40)], "title": [f"Film {i}" for i in range(40)]}).to_csv(titles, index=False)
    users, out = tmp_path / "users.csv", tmp_path / "recs.csv"
    users.write_text("user_id\nu1\nu2\n")
    assert main(["train", "recommendation", "--quick", "--data", str(mine), "--items", str(titles), "--model-name", "mine"]) == 0
    capsys.readouterr()
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(mine), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "note: the model was trained with a titles file (40 items titled), but none came with its data this time" in err, err
    assert pd.read_csv(out, dtype=str)["title"].str.startswith("item i").all()
    assert main(["score", "recommendation", str(users), "--model", "mine", "--data", str(mine), "--items", str(titles),
                 "-o", str(out)]) == 0
    assert "titles file" not in capsys.readouterr().err
    assert pd.read_csv(out, dtype=str)["title"].str.startswith("Film ").all()


def test_a_page_run_well_past_its_budget_says_why_when_it_finishes():
    """The page's own-file training has a budget box; a run far past it finished with its figure alone."""
    from dashboard.components.training import finished_message

    card = {"metrics": {"average_precision": 0.8081}, "training": {"budget_seconds": 30.0}, "training_seconds": 200.0,
            "networks_seconds": 28.0}
    msg = finished_message(card, "average_precision", "AP")
    assert msg.startswith("AP 0.808 — now in view (“Model in view” at the top switches back). Training took 200 s against a budget "
                          "of 30 s: the budget bounds the PyTorch model's networks (28 s); the rest, 172 s, went to tuning the peers"), msg
    assert finished_message({**card, "training_seconds": 40.0}, "average_precision", "AP").endswith("switches back).")
