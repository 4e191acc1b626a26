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
from hypothesis import HealthCheck, given, settings

from tests.malformed import Table, mutated
from usecases.__main__ import main

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
    out, err = capsys.readouterr()
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith("note: ") and "it/s]" not in l and "step/s" not in l
             and not l.lstrip().startswith(("train ", "warn"))]
    assert "Traceback" not in err, err
    assert rc in (0, 2), f"exit {rc}: {err[-500:]}"
    if rc == 2:
        assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot be used" in lines[0] or "error: " in lines[0], err
    new = _files(store) - before
    stray = [f for f in new if not f.startswith(allowed_new)]
    assert not stray, f"written outside the allowed places: {stray}"
    return rc, out


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
        assert _finite_frame(out), what
        assert len(out) == len(pd.read_csv(io.BytesIO(raw), sep=None, engine="python", encoding_errors="replace")), what
    else:
        assert not dst.exists(), "nothing half-written"
