"""The contract every use case package follows, so the CLI, the sidebar, the home page and the
tests can treat them alike.

A use case package ``usecases/<name>/__init__.py`` exposes:

* ``SPEC`` — a :class:`Spec`.
* ``Config`` — a dataclass of training settings; ``Config.quick()`` is a seconds-long variant for tests.
* ``train(config, *, data=None, progress=None, cancel=None) -> Trained`` — fits the model and its
  baselines on the same split; honours ``config.budget_seconds``, ``config.device`` and cancellation.
* ``save(trained, store, key=None) -> card`` and ``load(store, key=None) -> Trained`` (the latter
  raises :class:`~usecases.core.store.ModelUnusable` with a reason).
* ``evaluate(trained, data=None) -> Report``.
* ``read_data(raw: bytes, filename) -> data`` — a user's file, validated (``--data``).
* ``score_file(trained, raw: bytes, filename) -> DataFrame`` — batch predictions (``score``).
* ``bench(quick=False) -> dict[str, dict]`` — speed figures ``{name: {"value", "unit"}}``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Spec:
    name: str  # CLI / store key: "fraud"
    title: str  # "Fraud detection"
    purpose: str  # one line for cards and --help
    primary_metric: str  # key in Report.model, e.g. "average_precision"
    primary_label: str  # "Average precision"
    higher_is_better: bool
    format_version: int  # bump when the weights layout changes; old files are then "incompatible"
    page: str  # url path of the dashboard page
    data_source: str  # short description of the default data


@dataclass
class Report:
    """Model and baseline metrics on one split (the JSON of ``evaluate --json``)."""

    usecase: str
    primary_metric: str
    model: dict[str, float]
    baselines: dict[str, dict[str, float]]
    data: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)  # curves etc. for the page, not in JSON

    def to_json(self) -> dict[str, Any]:
        return {
            "usecase": self.usecase,
            "primary_metric": self.primary_metric,
            "model": self.model,
            "baselines": self.baselines,
            "data": self.data,
        }

    def best_baseline(self, higher_is_better: bool = True) -> tuple[str, float] | None:
        vals = [(n, m[self.primary_metric]) for n, m in self.baselines.items() if self.primary_metric in m]
        if not vals:
            return None
        return (max if higher_is_better else min)(vals, key=lambda kv: kv[1])


class ConfigMixin:
    """``as_dict``/``from_dict`` for a use case's (frozen) Config dataclass, so model cards can record
    the training config and a stored model can rebuild it. Nested config dataclasses and tuples are
    restored from their JSON form; keys the current code does not know are ignored."""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, d: dict):
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in d:
                continue
            v, default = d[f.name], f.default
            if dataclasses.is_dataclass(default) and isinstance(v, dict):
                known = {g.name for g in dataclasses.fields(default)}
                v = type(default)(**{k: x for k, x in v.items() if k in known})
            elif isinstance(default, tuple) and isinstance(v, list):
                v = tuple(v)
            kwargs[f.name] = v
        return cls(**kwargs)
