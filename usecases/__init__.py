"""AI Use-Case Lab: the models, data, evaluation and business figures behind the dashboard.

Nothing in this package imports Streamlit: the same functions serve the app, the CLI
(``python -m usecases``) and the tests.

The registry: ``NAMES`` lists the use cases in page order — the four built in, then any package named
in ``UCLAB_EXTRA_USECASES`` (comma-separated import paths of packages that implement the contract in
``usecases/core/spec.py``). Everything that lists use cases (CLI, navigation, Home, portfolio,
scenario keys, tests) reads it, so adding a use case is one package plus, optionally, one view file.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

BUILTIN: tuple[str, ...] = ("textgen", "fraud", "recommendation", "triage")
EXTRA_ENV = "UCLAB_EXTRA_USECASES"


class UnknownUseCase(ValueError):
    pass


def _extra_paths() -> list[str]:
    return [p.strip() for p in os.environ.get(EXTRA_ENV, "").split(",") if p.strip()]


def _extras() -> dict[str, str]:
    """``{SPEC.name: import path}`` of the extra packages (imported to read their names)."""
    out = {}
    for path in _extra_paths():
        try:
            mod = importlib.import_module(path)
        except ImportError as exc:
            raise UnknownUseCase(f"{EXTRA_ENV} names {path!r}, which cannot be imported ({exc})") from None
        spec = getattr(mod, "SPEC", None)
        if spec is None:
            raise UnknownUseCase(f"{EXTRA_ENV} names {path!r}, which has no SPEC")
        out[spec.name] = path
    return out


def names() -> tuple[str, ...]:
    return BUILTIN + tuple(n for n in _extras() if n not in BUILTIN)


def get(name: str) -> ModuleType:
    """The use case package ``name`` (imported on first use, so the CLI starts fast)."""
    if name in BUILTIN:
        return importlib.import_module(f"usecases.{name}")
    extras = _extras()
    if name in extras:
        return importlib.import_module(extras[name])
    raise UnknownUseCase(f"unknown use case {name!r}; choose one of {', '.join(names())}")


def all_modules() -> list[ModuleType]:
    return [get(n) for n in names()]


def __getattr__(attr: str):
    if attr == "NAMES":  # read at each use, so an extra package registered later is seen
        return names()
    raise AttributeError(f"module 'usecases' has no attribute {attr!r}")
