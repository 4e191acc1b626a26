"""Property-based: malformed tables through every upload schema and every CLI command end in exit 2
with one line (no traceback), or exit 0 with output whose values are all finite and whose row count
matches — and nothing is written outside ``models/<name>/custom/`` and the output path.

Examples are bounded (``max_examples``) so the whole file stays within ~2 minutes on 2 cores."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.malformed import Table, mutated
from usecases.__main__ import main

OUTCOMES: dict[str, list[int]] = {}  # exit codes per command, to show both paths are exercised
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=True)


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _finite_frame(df: pd.DataFrame) -> bool:
    num = df.select_dtypes("number")
    return bool(np.isfinite(num.to_numpy(dtype=float)).all()) if num.size else True


def _finite_json(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite_json(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_json(v) for v in obj)
    return True


def check_command(capsys, argv: list[str], store: Path, allowed_new: tuple[str, ...] = ()) -> tuple[int, str]:
    """Run the CLI in-process; assert the one-line contract and the no-stray-writes contract."""
    before = _files(store)
    rc = main(argv)
    OUTCOMES.setdefault(argv[0] + " " + argv[1], []).append(rc)
    out, err = capsys.readouterr()
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("note: ") and "it/s]" not in l and "step/s" not in l
             and not l.lstrip().startswith(("train ", "warn"))]
    assert "Traceback" not in err, err
    assert rc in (0, 2), f"exit {rc}: {err[-500:]}"
    if rc == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), err  # one line, whatever the refusal
    new = _files(store) - before
    stray = [f for f in new if not f.startswith(allowed_new)]
    assert not stray, f"written outside the allowed places: {stray}"
    return rc, out


@pytest.fixture(scope="module", autouse=True)
def _environment_restored():
    """The store fixtures below point UCLAB_MODEL_DIR (and the toy registry) elsewhere; whatever happens in
    this module, later modules see the environment they would have seen without it."""
    import os

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


# ---- the toy use case proves the harness (fast) ----------------------------------------------------

TOY = Table(["x1", "x2", "y"], [[f"{a:.2f}", f"{b:.2f}", str(int(a + b > 0))] for a, b in np.random.default_rng(0).normal(size=(80, 2))])


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory):
    import os

    store = tmp_path_factory.mktemp("models")
    old = {k: os.environ.get(k) for k in ("UCLAB_MODEL_DIR", "UCLAB_EXTRA_USECASES")}
    os.environ["UCLAB_MODEL_DIR"] = str(store)
    os.environ["UCLAB_EXTRA_USECASES"] = "tests.toy_usecase"
    assert main(["train", "toy", "--quick"]) == 0
    yield store
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@settings(max_examples=40, **SETTINGS)
@given(case=mutated(TOY))
def test_toy_score_never_crashes_or_lies(toy_store, tmp_path_factory, capsys, case):
    what, raw = case
    d = tmp_path_factory.mktemp("io")
    src, dst = d / "in.csv", d / "out.csv"
    src.write_bytes(raw)
    rc, _ = check_command(capsys, ["score", "toy", str(src), "-o", str(dst)], toy_store)
    if rc == 0:
        out = pd.read_csv(dst)
        assert _finite_frame(out[["probability"]]), what  # echoed inputs may be blank (a label not known yet); predictions never
        assert out["probability"].between(0, 1).all(), what
        assert len(out) == _data_rows(raw), what
    else:
        assert not dst.exists(), "nothing half-written"


# ---- the four use cases: quick models in a private store ----------------------------------------------

def _table(df: pd.DataFrame) -> Table:
    return Table([str(c) for c in df.columns], [[("" if pd.isna(v) else str(v)) for v in r] for r in df.itertuples(index=False)])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    import os

    d = tmp_path_factory.mktemp("models")
    old = os.environ.get("UCLAB_MODEL_DIR")
    os.environ["UCLAB_MODEL_DIR"] = str(d)
    for name in ("fraud", "triage", "recommendation"):
        assert main(["train", name, "--quick"]) == 0, name
    _train_textgen(d)
    yield d
    if old is None:
        os.environ.pop("UCLAB_MODEL_DIR", None)
    else:
        os.environ["UCLAB_MODEL_DIR"] = old


def _code_text(n: int) -> str:
    return "".join(f"def f{i}(x):\n    \"\"\"Return x plus {i}.\"\"\"\n    return x + {i}\n\n" for i in range(n))


def _train_textgen(store_dir) -> None:
    """A quick character GPT on a small corpus (``train textgen --quick`` would read the 27 MB stack corpus)."""
    import dataclasses

    from usecases import textgen
    from usecases.core.store import ModelStore
    from usecases.textgen.corpus import read_corpus

    cfg = dataclasses.replace(textgen.Config.quick(), quality_prompts=1)
    textgen.save(textgen.train(cfg, data=read_corpus([("code.py", _code_text(800).encode())])), ModelStore(store_dir))


PROMPTS = Table(["prompt"], [["def f"], ["def f1(x):"], ["return x"], ["Return x plus"], ["    return"]])  # characters the model knows
# each row its own text: 120 copies of one are refused (the held-out part would repeat the training part word for word)
CORPUS_CSV = Table(["text"], [[_code_text(3)[:-1].replace("plus", f"plus {j} plus")] for j in range(120)])  # (only letters the model read)


def _fraud_table(n: int = 60) -> Table:
    from tests.test_fraud_files import raw_frame

    return _table(raw_frame(n, label=False))


def _triage_table(n: int = 60) -> Table:
    from usecases.triage.cohort import CohortConfig, generate

    cols = ["age", "sex", "arrival", "complaint", "avpu", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2", "level"]
    return _table(generate(CohortConfig(n=n, seed=11))[cols])


def _rec_users(store_dir) -> Table:
    from usecases import recommendation as rec
    from usecases.core.store import ModelStore
    from usecases.recommendation.trained import context

    ids = context(rec.load(ModelStore(store_dir))).data.user_ids[:12]
    return Table(["user_id"], [[str(u)] for u in ids])


OUTPUTS = {"fraud": ("fraud_probability", "flagged"), "triage": ("suggested_level", *(f"p_level_{i}" for i in range(1, 6))),
           "recommendation": ("rank",), "textgen": ("tokens", "seconds", "tokens_per_second")}


def _data_rows(raw: bytes) -> int:
    """Data rows of a delimited file, counted independently of the app's reader: records (quotes may
    hold newlines) that are not blank, minus the header. The delimiter does not change the count."""
    import csv

    text = raw.decode("utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8", errors="replace").lstrip("\ufeff")
    return sum(1 for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)) - 1


def _score(capsys, store, tmp_path_factory, name: str, raw: bytes, what: str, per_row: bool, extra=()):
    d = tmp_path_factory.mktemp("io")
    src, dst = d / "in.csv", d / "out.csv"
    src.write_bytes(raw)
    rc, _ = check_command(capsys, ["score", name, str(src), "-o", str(dst), *extra], store)
    if rc == 0:
        out = pd.read_csv(dst)
        assert _finite_frame(out[list(OUTPUTS[name])]), what  # echoed inputs may be blank ("not recorded"); predictions never
        if name == "recommendation":  # a blank score only beside a most-popular list, which says so in its basis
            blank = out["score"].isna()
            assert out.loc[blank, "basis"].str.startswith("most popular").all() and _finite_frame(out.loc[~blank, ["score"]]), what
        n_rows = _data_rows(raw)
        if per_row:
            assert len(out) == n_rows, what
        else:
            assert 0 < len(out) <= 10 * n_rows, what
    else:
        assert not dst.exists(), "nothing half-written"


@settings(max_examples=25, **SETTINGS)
@given(case=mutated(_fraud_table()))
def test_fraud_score_never_crashes_or_lies(store, tmp_path_factory, capsys, case):
    _score(capsys, store, tmp_path_factory, "fraud", case[1], case[0], per_row=True)


@settings(max_examples=25, **SETTINGS)
@given(case=mutated(_triage_table()))
def test_triage_score_never_crashes_or_lies(store, tmp_path_factory, capsys, case):
    _score(capsys, store, tmp_path_factory, "triage", case[1], case[0], per_row=True, extra=("--accept-guessed-mapping",))


def test_recommendation_score_never_crashes_or_lies(store, tmp_path_factory, capsys):
    @settings(max_examples=20, **SETTINGS)
    @given(case=mutated(_rec_users(store)))
    def run(case):
        _score(capsys, store, tmp_path_factory, "recommendation", case[1], case[0], per_row=False)

    run()


@settings(max_examples=15, **SETTINGS)
@given(case=mutated(PROMPTS))
def test_textgen_score_never_crashes_or_lies(store, tmp_path_factory, capsys, case):
    _score(capsys, store, tmp_path_factory, "textgen", case[1], case[0], per_row=True)


def _evaluate(capsys, store, tmp_path_factory, name: str, raw: bytes, what: str, extra=()):
    d = tmp_path_factory.mktemp("io")
    src = d / "data.csv"
    src.write_bytes(raw)
    rc, out = check_command(capsys, ["evaluate", name, "--data", str(src), "--json", *extra], store)
    if rc == 0:
        ev = json.loads(out)
        assert _finite_json(ev) and ev["data"]["test_rows"] and ev["data"]["test_rows"] > 0, what


FRAUD_FILE = _table(__import__("tests.test_fraud_files", fromlist=["raw_frame"]).raw_frame(n=1500, n_customers=100, n_terminals=1500, n_days=60))


@settings(max_examples=6, **SETTINGS)
@example(case=("unchanged, ; and Latin-1", FRAUD_FILE.to_bytes(";", "latin-1")))
@given(case=mutated(FRAUD_FILE))
def test_fraud_evaluate_on_a_users_file_never_crashes_or_lies(store, tmp_path_factory, capsys, case):
    _evaluate(capsys, store, tmp_path_factory, "fraud", case[1], case[0])


@settings(max_examples=6, **SETTINGS)
@example(case=("unchanged, tab-separated with a BOM", _triage_table(300).to_bytes("\t", "utf-8", True)))
@given(case=mutated(_triage_table(300)))
def test_triage_evaluate_on_a_users_file_never_crashes_or_lies(store, tmp_path_factory, capsys, case):
    _evaluate(capsys, store, tmp_path_factory, "triage", case[1], case[0], extra=("--accept-guessed-mapping",))


@settings(max_examples=8, **SETTINGS)
@example(case=("unchanged", CORPUS_CSV.to_bytes()))
@given(case=mutated(CORPUS_CSV))
def test_textgen_evaluate_on_a_users_corpus_never_crashes_or_lies(store, tmp_path_factory, capsys, case):
    _evaluate(capsys, store, tmp_path_factory, "textgen", case[1], case[0])


@settings(max_examples=3, **SETTINGS)
@example(case=("unchanged", _triage_table(300).to_bytes()))
@given(case=mutated(_triage_table(300)))
def test_triage_train_on_a_users_file_writes_only_its_own_model(store, tmp_path_factory, capsys, case):
    d = tmp_path_factory.mktemp("io")
    src = d / "data.csv"
    src.write_bytes(case[1])
    rc, _ = check_command(capsys, ["train", "triage", "--quick", "--data", str(src), "--model-name", "fuzz", "--accept-guessed-mapping"],
                          store, allowed_new=("triage/custom/fuzz/",))
    if rc == 0:
        card = json.loads((store / "triage" / "custom" / "fuzz" / "card.json").read_text())
        assert _finite_json(card["metrics"]), case[0]


def test_both_paths_were_exercised():
    """A suite that only ever saw refusals would prove little: each command saw some files through."""
    for cmd, codes in OUTCOMES.items():
        assert 0 in codes and 2 in codes, f"{cmd}: exit codes {sorted(set(codes))} over {len(codes)} files"
