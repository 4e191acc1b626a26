"""Architecture rules: usecases/ never imports streamlit; dashboard/ reaches models only through usecases."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_LIBS = {"torch", "sklearn", "safetensors", "captum", "implicit", "transformers", "tokenizers", "scipy"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_usecases_never_import_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "usecases").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == [], f"usecases/ must not import streamlit: {offenders}"


def test_dashboard_reaches_models_only_through_usecases():
    offenders = {}
    for p in (ROOT / "dashboard").rglob("*.py"):
        bad = _imports(p) & MODEL_LIBS
        if bad:
            offenders[str(p.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}, f"dashboard/ must use usecases, not model libraries directly: {offenders}"


def test_no_unsafe_torch_load():
    for p in list((ROOT / "usecases").rglob("*.py")) + list((ROOT / "dashboard").rglob("*.py")):
        text = p.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "torch.load(" in line:
                assert "weights_only=True" in line, f"{p}: torch.load without weights_only=True"
            assert "pickle.load" not in line, f"{p}: unpickling is not allowed"
