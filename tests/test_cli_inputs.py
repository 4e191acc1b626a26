"""CLI guards that hold for every use case (shown on the toy use case, which trains in a second):
one line and exit 2 for every bad argument, never a traceback, never an overwritten input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    e = {**os.environ, "UCLAB_EXTRA_USECASES": "tests.toy_usecase", "UCLAB_MODEL_DIR": str(store)}
    assert _run(e, "train", "toy", "--quick")[0] == 0
    assert _run(e, "train", "toy", "--quick", "--data", str(_csv(store / "mine.csv", labelled=True)), "--model-name", "mine")[0] == 0
    return e


def _run(env, *args):
    p = subprocess.run([sys.executable, "-m", "usecases", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def _csv(path: Path, labelled: bool = False) -> Path:
    import numpy as np

    rng = np.random.default_rng(3)
    rows = ["x1,x2" + (",y" if labelled else "")]
    for _ in range(200):
        a, b = rng.normal(size=2)
        rows.append(f"{a:.3f},{b:.3f}" + (f",{int(a + 0.5 * b > 0)}" if labelled else ""))
    path.write_text("\n".join(rows) + "\n")
    return path


def _one_line(rc, err, needle):
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert needle in lines[0], lines[0]


def test_output_equal_to_input_is_refused(env, tmp_path):
    src = _csv(tmp_path / "x.csv")
    before = src.read_bytes()
    rc, _, err = _run(env, "score", "toy", str(src), "-o", str(src))
    _one_line(rc, err, "is the input file")
    assert src.read_bytes() == before


def test_output_inside_a_file_is_one_line(env, tmp_path):
    src = _csv(tmp_path / "x.csv")
    rc, _, err = _run(env, "score", "toy", str(src), "-o", str(src / "out.csv"))
    _one_line(rc, err, "is a file, not a folder")


def test_output_through_a_link_writes_the_file_it_names(env, tmp_path):
    """``-o`` naming a link: the file it points to is written and the link stays a link (it had been replaced by a plain
    file, the target left as it was, and the run said "replaced the file that was there")."""
    src = _csv(tmp_path / "x.csv")
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "scores.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    rc, out, err = _run(env, "score", "toy", str(src), "-o", str(link))
    assert rc == 0, err
    assert link.is_symlink() and len(target.read_text().splitlines()) == 201


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_output_that_is_not_a_plain_file_is_refused(env, tmp_path):
    """A pipe (or a device such as /dev/null, which run as root had been replaced by a plain file) is refused in one line
    and left as it is."""
    src = _csv(tmp_path / "x.csv")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    rc, _, err = _run(env, "score", "toy", str(src), "-o", str(fifo))
    _one_line(rc, err, "is not a plain file")
    assert fifo.is_fifo()


@pytest.mark.parametrize("command", [["score", "toy", "x.csv", "-o", "y.csv", "--model", ""], ["evaluate", "toy", "--model", " "],
                                     ["train", "toy", "--quick", "--data", "x.csv", "--model-name", ""]])
def test_an_empty_model_name_is_refused(env, command):
    """``--model "$MODEL"`` with the variable unset: refused, not read as "the shipped model" (nor, for --model-name, as the
    file's name, which had replaced a model of that name)."""
    rc, _, err = _run(env, *command)
    _one_line(rc, err, "is empty")


@pytest.mark.parametrize("command", [["list"], ["evaluate", "toy"], ["score", "toy", "x.csv", "-o", "y.csv"]])
def test_a_model_store_that_does_not_exist_is_named(env, command, tmp_path):
    """UCLAB_MODEL_DIR naming no folder is an empty store, but a mistyped path had read "toy model is not trained yet; train
    it with `make train`" alone: a note names the store."""
    _, _, err = _run({**env, "UCLAB_MODEL_DIR": str(tmp_path / "nowhere")}, *command)
    assert f"note: UCLAB_MODEL_DIR is {tmp_path / 'nowhere'}, which is not a folder yet, so no model is found there" in err, err


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "-inf", "-1e3"])
def test_budget_must_be_a_positive_finite_number(env, value):
    rc, _, err = _run(env, "train", "toy", "--quick", "--budget-seconds", value)
    _one_line(rc, err, "--budget-seconds must be a positive number of seconds")


@pytest.mark.parametrize("command", [["score", "toy", "x.csv", "-o", "y.csv"], ["evaluate", "toy"], ["train", "toy", "--quick"]])
def test_bogus_device_in_the_environment_is_refused_by_every_command(env, command):
    rc, _, err = _run({**env, "UCLAB_DEVICE": "bogus"}, *command)
    _one_line(rc, err, "unknown device 'bogus'")


def test_score_and_evaluate_with_an_own_data_model(env, tmp_path):
    src = _csv(tmp_path / "x.csv")
    out = tmp_path / "scored.csv"
    rc, _, err = _run(env, "score", "toy", str(src), "-o", str(out), "--model", "mine")
    assert rc == 0 and len(out.read_text().splitlines()) == 201, err
    rc, _, err = _run(env, "score", "toy", str(src), "-o", str(out), "--model", "nosuch")
    _one_line(rc, err, "toy/custom/nosuch model is not trained yet")
    # the advice for a named model of one's own is to train it on a file, not `make train` (which makes the shipped ones)
    assert "train it on your file with `python -m usecases train toy --data FILE --model-name nosuch`" in err and "make train" not in err
    rc, out_, err = _run(env, "evaluate", "toy", "--model", "mine", "--json")
    assert rc == 0 and json.loads(out_)["usecase"] == "toy", err


def test_list_notices_truncated_weights_and_wrongly_typed_cards(env, tmp_path):
    import shutil

    store = Path(env["UCLAB_MODEL_DIR"])
    bad = {**env, "UCLAB_MODEL_DIR": str(tmp_path / "m")}
    shutil.copytree(store / "toy", tmp_path / "m" / "toy")
    w = tmp_path / "m" / "toy" / "model.safetensors"
    w.write_bytes(w.read_bytes()[:-5])
    rc, out, err = _run(bad, "list")
    (toy,) = [l for l in out.splitlines() if l.startswith("toy ")]
    assert rc == 0 and "unusable" in toy, out
    # a model of one's own is listed under its use case, with the --model that names it (list had never shown them)
    mine = out.splitlines()[out.splitlines().index(toy) + 1]
    assert mine.startswith("  --model mine") and "your model, trained on your file" in mine and "ready" in mine, out
    rc, out, err = _run(bad, "list", "--json")
    assert {"usecase": "toy", "model": "mine"}.items() <= [r for r in json.loads(out) if r.get("model")][0].items()
    w.write_bytes((store / "toy" / "model.safetensors").read_bytes())
    card = tmp_path / "m" / "toy" / "card.json"
    c = json.loads(card.read_text())
    c["format_version"] = "1"
    card.write_text(json.dumps(c))
    rc, _, err = _run(bad, "evaluate", "toy")
    _one_line(rc, err, "format_version is str, not int")


def test_list_calls_a_card_of_another_format_unusable_as_evaluate_does(env, tmp_path, monkeypatch):
    """A card of format 99 (written by a newer version of the product) had been "ready" in `list` and the sidebar, and then
    refused by evaluate and score."""
    import shutil

    from usecases.core.holder import ModelHolder
    from usecases.core.store import ModelStore

    store = Path(env["UCLAB_MODEL_DIR"])
    bad = {**env, "UCLAB_MODEL_DIR": str(tmp_path / "m")}
    shutil.copytree(store / "toy", tmp_path / "m" / "toy")
    card = tmp_path / "m" / "toy" / "card.json"
    c = json.loads(card.read_text())
    ours, c["format_version"] = c["format_version"], 99
    card.write_text(json.dumps(c))
    rc, out, err = _run(bad, "list")
    (toy,) = [l for l in out.splitlines() if l.startswith("toy ")]
    assert rc == 0 and "unusable" in toy and f"saved in format 99, this code reads format {ours}" in toy, out
    rc, _, err = _run(bad, "evaluate", "toy")
    _one_line(rc, err, "saved in format 99")
    ms = ModelStore(tmp_path / "m")
    assert ms.status("toy").state == "ready"  # without the reader's format: the card alone is sound
    assert ms.status("toy", format_version=ours).state == "unusable"
    monkeypatch.setenv("UCLAB_EXTRA_USECASES", "tests.toy_usecase")
    assert ModelHolder(ms).status("toy").state == "unusable"  # the sidebar's status


def test_list_says_why_a_model_is_unusable_and_which_folders_model_cannot_name(env, tmp_path):
    import shutil

    store = Path(env["UCLAB_MODEL_DIR"])
    bad = {**env, "UCLAB_MODEL_DIR": str(tmp_path / "m")}
    shutil.copytree(store / "toy", tmp_path / "m" / "toy")
    (tmp_path / "m" / "toy" / "card.json").write_text("{not json")
    mine = tmp_path / "m" / "toy" / "custom" / "mine"
    shutil.copytree(mine, mine.parent / "with space")  # made by hand: --model 'with space' reads 'with-space', another folder
    shutil.copytree(mine, mine.parent / "with-space")
    shutil.copytree(mine, mine.parent / "v1.")  # letters and dots only, but a trailing dot is stripped: 'v1', not a folder
    rc, out, err = _run(bad, "list")
    (toy,) = [l for l in out.splitlines() if l.startswith("toy ")]
    assert rc == 0 and "unusable" in toy and "card.json" in toy, out  # the reason, not the bare word
    (spaced,) = [l for l in out.splitlines() if "--model with space" in l]
    assert "unreachable" in spaced and "reads 'with-space', another folder" in spaced, out
    (dotted,) = [l for l in out.splitlines() if "--model v1." in l]
    assert "unreachable" in dotted and "neither starting nor ending with '-' or '.'" in dotted and "reads 'v1', which is not a folder" in dotted, out
    assert "unreachable" not in [l for l in out.splitlines() if "--model with-space" in l][0]
    rc, out, err = _run(bad, "list", "--json")
    rows = json.loads(out)
    (t,) = [r for r in rows if r["usecase"] == "toy" and "model" not in r]
    assert t["status"] == "unusable" and "card.json" in t["reason"] and t["headline"] == ""
    (w,) = [r for r in rows if r.get("model") == "with space"]
    assert w["status"] == "unreachable" and "letters, digits" in w["reason"]
    assert "reason" not in [r for r in rows if r.get("model") == "mine"][0]


def test_an_unexpected_error_is_one_line_not_a_traceback(env, tmp_path):
    # A module whose evaluate raises a bug-like error: the CLI still answers in one line.
    pkg = tmp_path / "buggy_uc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from tests.toy_usecase import *\nfrom tests.toy_usecase import SPEC as _S\nimport dataclasses\n"
        "SPEC = dataclasses.replace(_S, name='buggy', url_path='buggy')\n"
        "def evaluate(trained, data=None):\n    raise KeyError('oops')\n")
    e = {**env, "UCLAB_EXTRA_USECASES": "buggy_uc", "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    assert _run(e, "train", "buggy", "--quick")[0] == 0
    rc, out, err = _run(e, "evaluate", "buggy")
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert rc == 1 and len(lines) == 1 and "this is a bug in AI Use-Case Lab" in lines[0] and "Traceback" not in err


def test_an_option_another_use_case_takes_is_refused_in_one_line(env, tmp_path):
    """--text-column is the text model's (a CSV corpus's column); given to another use case it is one line, not ignored."""
    data = _csv(tmp_path / "d.csv", labelled=True)
    rc, _, err = _run(env, "train", "toy", "--quick", "--data", str(data), "--text-column", "x1")
    _one_line(rc, err, "--text-column is not used by toy")


def test_what_the_page_shows_as_a_warning_reaches_the_command_line(tmp_path, capsys):
    """The fraud page put "column outcome_code … is probably the label under another name" in a warning box; `train
    fraud --data` printed the notes and not the warning, and saved a model that scored 1.000 everywhere without a word."""
    import types

    from usecases.__main__ import _read_user_data

    f = tmp_path / "d.csv"
    f.write_text("a\n1\n")
    data = types.SimpleNamespace(notes=["read 1 row"], warnings=["column outcome_code separates the classes on its own"])
    mod = types.SimpleNamespace(read_data=lambda raw, name: data, SPEC=types.SimpleNamespace(name="toy"))
    assert _read_user_data(mod, types.SimpleNamespace(data=str(f))) is data
    err = capsys.readouterr().err.splitlines()
    assert err == ["note: read 1 row", "warning: column outcome_code separates the classes on its own"]


def test_the_evaluate_header_says_the_kind_once_and_a_note_it_holds_is_not_printed_again(monkeypatch, capsys):
    """`evaluate fraud --data slice.csv` read "(…; external: external test: 600 rows of this file; 1,000 of its 1,600 rows are
    rows of the model's training file …)" and then printed the same sentence again as a note."""
    import types

    import usecases
    from usecases import __main__ as cli
    from usecases.core.spec import DataInfo, Evaluation

    seen = "1,000 of its 1,600 rows are rows of the model's training file (the same values in every column) and are left out"
    ev = Evaluation(usecase="toy", primary_metric="m", model={"m": 0.6}, baselines={"b": {"m": 0.5}},
                    data=DataInfo(source="s.csv", rows=600, split=f"external test: 600 rows of this file; {seen}", kind="external"),
                    notes=(seen[:1].upper() + seen[1:] + ": the figures are on the other 600", "Peers are not shown"))
    mod = types.SimpleNamespace(load=lambda store, key: None, evaluate=lambda trained, data=None: ev,
                                SPEC=types.SimpleNamespace(title="Toy"))
    monkeypatch.setattr(usecases, "get", lambda name: mod)
    monkeypatch.setattr(cli, "_store", lambda: None)
    assert cli.cmd_evaluate(types.SimpleNamespace(name="toy", data=None, json=False, model=None)) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Toy — s.csv (600 rows; external test: 600 rows of this file; {seen})"
    assert "note: Peers are not shown" in out and out.count("are rows of the model's training file") == 1


def test_the_evaluate_table_shows_each_peer_by_its_whole_name(monkeypatch, capsys):
    """The header cut "logistic_regression" to "logistic_regressio" (a real-file check, 2026-12-03); each column is now as
    wide as its name, and the figures stay under it."""
    import types

    import usecases
    from usecases import __main__ as cli
    from usecases.core.spec import DataInfo, Evaluation

    ev = Evaluation(usecase="toy", primary_metric="m", model={"m": 0.6}, baselines={"logistic_regression_tuned": {"m": 0.5}},
                    data=DataInfo(source="s.csv", rows=600, split="test", kind="external"))
    mod = types.SimpleNamespace(load=lambda store, key: None, evaluate=lambda trained, data=None: ev,
                                SPEC=types.SimpleNamespace(title="Toy"))
    monkeypatch.setattr(usecases, "get", lambda name: mod)
    monkeypatch.setattr(cli, "_store", lambda: None)
    assert cli.cmd_evaluate(types.SimpleNamespace(name="toy", data=None, json=False, model=None)) == 0
    header, row = capsys.readouterr().out.splitlines()[1:3]
    assert header.endswith(" logistic_regression_tuned") and len(row) == len(header) and row.endswith(" 0.5000")


def test_a_long_budget_is_written_as_a_plain_number():
    """`train textgen --budget-seconds 120` read "(1.2e+02 s of it left for training …)" (a sweep, 2026-12-06)."""
    import usecases
    from usecases.__main__ import _behind_baseline

    spec = usecases.get("textgen").SPEC
    card = {"metrics": {spec.primary_metric: 2.5}, "training": {"budget_seconds": 118.6}, "history": [{"iter": 40}]}
    text = _behind_baseline(card, spec, ("5-gram", 2.4), given=120.0)
    assert "its time budget of 120 s (118.6 s of it left for training after sizing the model) allowed 40 training iterations" in text, text
    card["training"]["budget_seconds"] = 1234.0
    assert "its time budget of 1,234 s allowed" in _behind_baseline(card, spec, ("5-gram", 2.4)), card
