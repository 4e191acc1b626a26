"""The medical-triage page's *Your records* tab (AppTest, shipped model): the example it offers can be used as it is,
and the mapping widgets follow the uploaded file (a previous file's choices and confirmation do not carry over)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from usecases.core.store import REPO_ROOT, ModelStore
from usecases.triage import records as trec
from usecases.triage.mapping import guess_mapping

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGE = "views/medical_triage.py"

pytestmark = pytest.mark.skipif(not ModelStore(REPO_ROOT / "models").exists("triage"), reason="no shipped triage checkpoint")


def test_the_example_export_is_accepted_as_it_is():
    raw = trec.example_export()
    df, _, _ = trec.read_raw(raw, "triage-example.csv")
    recs = trec.read_records(raw, "triage-example.csv", guess_mapping(df).mapping)
    assert len(recs.frame) >= 30 and recs.frame["level"].value_counts().min() >= 2


def _file(level_column: str = "level") -> bytes:
    return trec.example_export().decode().replace(";level;", f";{level_column};", 1).encode()


@pytest.fixture
def at(monkeypatch):
    monkeypatch.delenv("UCLAB_MODEL_DIR", raising=False)
    app = AppTest.from_file(APP, default_timeout=300)
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _ready(at) -> bool:
    return any("labelled records ready" in s.value for s in at.success)


def test_the_mapping_follows_a_new_file(at):
    # A file without a level column: the reference level stays unmapped and the file is refused.
    at.file_uploader(key="triage.own").set_value(("no-level.csv", _file("grade"), "text/csv")).run()
    assert not at.exception
    assert any("no column is mapped to the reference level" in e.value for e in at.error)
    # The next file has one: its guess is used (it read 'no column is mapped' again, the previous choice kept).
    at.file_uploader(key="triage.own").set_value(("records.csv", _file(), "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="triage.map.level").value == "level"
    assert _ready(at) and not any("reference level" in e.value for e in at.error)
    # A confirmation given for one file's mapping does not count for another file.
    at.checkbox(key="triage.map.confirm").check().run()
    assert not next(b for b in at.button if b.label == "Train and evaluate on my records").disabled
    at.file_uploader(key="triage.own").set_value(("other.csv", _file().replace(b"F;", b"W;"), "text/csv")).run()
    assert not at.exception and _ready(at)
    assert not at.checkbox(key="triage.map.confirm").value
    assert next(b for b in at.button if b.label == "Train and evaluate on my records").disabled


def test_the_nurse_of_a_users_file_is_not_called_simulated():
    import numpy as np

    from usecases.core.spec import DataInfo
    from usecases.triage.economics import policies
    from usecases.triage.evaluation import build

    y = np.array([1, 2, 3, 4, 5] * 8)
    probs = {"model": np.eye(5)[y - 1] * 0.9 + 0.02}
    for synthetic, label, who in ((True, "Simulated nurse (unassisted)", "Simulated nurse"),
                                  (False, "Nurse in your file (unassisted)", "The nurse in your file")):
        ev = build(y=y, probs=probs, rule_levels={"nurse": y}, data=DataInfo(source="x", rows=40, split="s", synthetic=synthetic))
        assert ev.label("nurse") == label and ev.at_cost(5.0).label("nurse") == label
        assert policies(ev, 3.0)[1] == who
