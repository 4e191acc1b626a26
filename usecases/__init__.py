"""AI Use-Case Lab: the models, data, evaluation and business figures behind the dashboard.

Nothing in this package imports Streamlit: the same functions serve the app, the CLI
(``python -m usecases``) and the tests.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Order is the order of the pages in the app and of ``python -m usecases list``.
NAMES: tuple[str, ...] = ("textgen", "fraud", "recommendation", "triage")


class UnknownUseCase(ValueError):
    pass


def get(name: str) -> ModuleType:
    """The use case package ``name`` (imported on first use, so the CLI starts fast)."""
    if name not in NAMES:
        raise UnknownUseCase(f"unknown use case {name!r}; choose one of {', '.join(NAMES)}")
    return importlib.import_module(f"usecases.{name}")


def all_modules() -> list[ModuleType]:
    return [get(n) for n in NAMES]
