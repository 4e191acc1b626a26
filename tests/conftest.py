"""Shared fixtures: an isolated model store and data cache per test session, small torch thread pool."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

# The cores are shared among pytest-xdist workers (`make test` runs two): one torch thread each then, since
# oversubscribed torch threads are several times slower than one per core.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
torch.set_num_threads(max(1, min(2, (os.cpu_count() or 1) // _WORKERS)))


# The longest test files go first. `make test` hands whole files to two workers in collection order (alphabetical), so
# test_textgen.py — whose card reproduction rebuilds the 27 MB documentation corpus in a fresh clone, about 4 minutes
# under load — started last and ran alone at the end while the other worker sat idle. test_triage_linear.py (about 260 s of
# tests since 2026-12-03, the longest file) went first from then: fresh clones' workers took 13 min 40 s and 14 min 8 s
# instead of 14 min 26 s (inside the run-to-run spread).
LONGEST_FIRST = ("test_triage_linear.py", "test_textgen.py", "test_engine.py", "test_malformed_inputs.py", "test_browser.py",
                 "test_triage.py", "test_cli_inputs.py", "test_fraud_own_data.py", "test_triage_bad_input.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture
def tmp_store(tmp_path, monkeypatch):
    """A fresh, empty model store (``UCLAB_MODEL_DIR``) for one test."""
    from usecases.core.store import ModelStore

    d = tmp_path / "models"
    monkeypatch.setenv("UCLAB_MODEL_DIR", str(d))
    return ModelStore(d)


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """Generated data is cached under the repo's .cache normally; tests share one cache per run."""
    if "UCLAB_CACHE_DIR" not in os.environ:
        os.environ["UCLAB_CACHE_DIR"] = str(ROOT / ".cache")
    yield


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave screenshots and other artefacts for people to look at."""
    d = ROOT / "artifacts"
    d.mkdir(exist_ok=True)
    return d
