"""The contract and the registry: every registered use case conforms, and a fifth use case registered
from a test package (``tests/toy_usecase``) appears in the CLI, the navigation, Home and the portfolio
with no other file edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import usecases
from usecases.core.spec import check_contract

ROOT = Path(__file__).resolve().parents[1]
TOY = "tests.toy_usecase"


@pytest.mark.parametrize("name", usecases.BUILTIN)
def test_every_builtin_use_case_implements_the_contract(name):
    assert check_contract(usecases.get(name)) == []


def test_check_contract_names_what_is_missing():
    import types

    mod = types.ModuleType("half_done")
    mod.SPEC = usecases.get("fraud").SPEC
    mod.train = lambda config: None  # lacks data/progress/cancel
    problems = check_contract(mod)
    assert "half_done.train lacks parameters data, progress, cancel" in problems
    assert "half_done has no value" in problems and "half_done has no evaluate" in problems


@pytest.fixture
def toy_env(tmp_path, monkeypatch):
    monkeypatch.setenv("UCLAB_EXTRA_USECASES", TOY)
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(tmp_path / "models"))
    return {**os.environ}


def _cli(env, *args):
    p = subprocess.run([sys.executable, "-m", "usecases", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_registry_adds_an_extra_package(toy_env):
    assert usecases.NAMES[-1] == "toy" and usecases.NAMES[:4] == usecases.BUILTIN
    assert check_contract(usecases.get("toy")) == []


def test_unknown_extra_package_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("UCLAB_EXTRA_USECASES", "no_such_package_here")
    with pytest.raises(usecases.UnknownUseCase, match="cannot be imported"):
        usecases.names()


def test_toy_in_cli_list_train_evaluate_score(toy_env, tmp_path):
    rc, out, err = _cli(toy_env, "list")
    assert rc == 0 and "Toy forecasting" in out and "missing" in out.splitlines()[-1], out + err
    rc, out, err = _cli(toy_env, "train", "toy", "--quick")
    assert rc == 0 and "toy: saved" in out, err
    rc, out, err = _cli(toy_env, "evaluate", "toy", "--json")
    assert rc == 0, err
    ev = json.loads(out)
    assert ev["usecase"] == "toy" and ev["primary_metric"] == "accuracy"
    assert ev["model"]["accuracy"] > ev["baselines"]["majority_class"]["accuracy"] + 0.1
    assert ev["verdict"]["winner"] == "model" and len(ev["folds"]["model"]["accuracy"]) == 4
    src = tmp_path / "in.csv"
    src.write_text("x1,x2\n2.0,1.0\n-2.0,-1.0\n")
    rc, out, err = _cli(toy_env, "score", "toy", str(src), "-o", str(tmp_path / "out.csv"))
    assert rc == 0, err
    probs = [float(l.split(",")[-1]) for l in (tmp_path / "out.csv").read_text().splitlines()[1:]]
    assert probs[0] > 0.9 and probs[1] < 0.1


def test_toy_in_navigation_home_and_portfolio(toy_env):
    from streamlit.testing.v1 import AppTest

    import streamlit as st

    st.cache_resource.clear()
    tr = usecases.get("toy")
    from usecases.core.store import ModelStore

    tr.save(tr.train(tr.Config.quick()), ModelStore())
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    cards = " ".join(h.value for h in at.subheader)
    assert "Toy forecasting" in cards
    nets = [m for m in at.metric if m.label == "Net value / month"]
    assert len(nets) == 1, "only the toy has a model in this store, so only it is priced"
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Toy forecasting" in c for c in charts), "the portfolio chart includes the toy"
    at.switch_page("views/generic.py").run()  # raises unless the navigation registered the page
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.endswith("Toy forecasting")
    assert any("wins" in s.value for s in at.success), "the generic page states the verdict"
    st.cache_resource.clear()


def download_bytes(at, needle: str) -> bytes:
    """The bytes behind the first download button whose proto mentions ``needle`` (AppTest keeps them
    in an in-memory media store)."""
    import gc

    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    btn = next(d for d in at.get("download_button") if needle in str(d.proto))
    fid = btn.proto.url.rsplit("/", 1)[-1].split(".")[0]
    for store in (o for o in gc.get_objects() if isinstance(o, MemoryMediaFileStorage)):
        try:
            return bytes(store.get_file(fid).content)
        except Exception:  # another test's store
            continue
    raise AssertionError(f"no stored file for {needle}")


def test_saved_scenario_holds_exactly_what_the_page_shows(toy_env):
    """Changing an assumption and saving at once used to save the value from one change earlier."""
    from streamlit.testing.v1 import AppTest

    tr = usecases.get("toy")
    from usecases.core.store import ModelStore

    tr.save(tr.train(tr.Config.quick()), ModelStore())
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/generic.py").run()
    at.number_input(key="toy.a.value_per_hit").set_value(2.5).run()
    saved = json.loads(download_bytes(at, "scenario"))
    assert saved["values"]["toy.a.value_per_hit"] == 2.5
    at.number_input(key="toy.a.value_per_hit").set_value(3.0).run()
    assert json.loads(download_bytes(at, "scenario"))["values"]["toy.a.value_per_hit"] == 3.0


def test_generic_page_batch_upload_scores_or_refuses_in_one_message(toy_env):
    """The upload component the pages use: a good file is scored and offered as a CSV, a bad one gets one
    message naming the column and lines, and nothing else breaks."""
    from streamlit.testing.v1 import AppTest

    tr = usecases.get("toy")
    from usecases.core.store import ModelStore

    tr.save(tr.train(tr.Config.quick()), ModelStore())
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/generic.py").run()
    at.file_uploader(key="toy.batch").set_value(("in.csv", b"x1;x2\n1,5;0,5\n-2;-1\n", "text/csv")).run()
    assert not at.exception and not at.error
    assert any("2 rows" in c.value and "semicolon" in c.value and "decimal comma" in c.value for c in at.caption)
    assert len(at.dataframe[-1].value) == 2
    at.file_uploader(key="toy.batch").set_value(("bad.csv", b"x1,x2\n1,abc\n2,inf\n", "text/csv")).run()
    assert not at.exception
    msg = at.error[0].value
    assert msg.startswith("“bad.csv” cannot be used (2 problems)") and "x2: 1 non-numeric value (line 2: 'abc')" in msg and "infinite" in msg
