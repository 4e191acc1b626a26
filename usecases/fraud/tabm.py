"""The shared tabular learner (TabM over piecewise-linear embeddings, :mod:`usecases.core.tabular`) as a
fraud learner: the same interface as :class:`.learner.MLPEnsemble`, so the pipeline, the store and the
page treat both alike (``LEARNERS["tabm"]``).

Inputs are the detector's: the raw feature columns plus, where the file has an amount and customer
means, log(amount) − log(customer mean) over each window (:class:`.model.Inputs`; the MLP computes the
same columns inside its module). The log of amounts and counts changes nothing for TabM — its quantile
transform ignores any monotone rescaling — but the ratios are new information for a network that
embeds each column on its own.

The TabM network is cross-fitted over ``n_folds`` inner folds (each member early-stops and is
Platt-calibrated on the rows it did not learn from), as the MLP ensemble is over its 5 members; its
validation rows — where the operating threshold is chosen — are therefore every training row, each
scored by the member that did not learn from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from usecases.core.runner import CancelToken, Progress
from usecases.core.tabular import Overrides, TabularLearner, TabularNet

from .model import Inputs


@dataclass(frozen=True)
class TabMConfig(Overrides):
    """Settings of the fraud TabM learner (cross-fitted over 5 inner folds); ``None`` follows :func:`usecases.core.tabular.auto_sizes`."""

    n_folds: int | None = 5
    #: How the cross-fitted members' P(fraud) are combined for new rows (since 2026-12-04 their mean log-odds, the
    #: logarithmic opinion pool; before, the mean of their probabilities). The threshold is chosen on validation rows
    #: scored by one member each; where one or two members are unsure and the rest confident, the mean of probabilities
    #: lands below such one-member scores, the mean of log-odds much less so (`benchmarks.fraud_pooling`).
    pool: str = "log_odds"


class TabMLearner:
    """Binary :class:`TabularLearner` on the detector's input columns."""

    name = "tabm"

    def __init__(self, inputs: Inputs | None = None, settings: TabMConfig = TabMConfig(), *, seed: int = 0, device: str | None = None,
                 budget_seconds: float | None = None):
        self.inputs, self.settings = inputs, settings
        self.seed, self.device, self.budget_seconds = seed, device, budget_seconds
        self.tab: TabularLearner | None = None
        self.history_: list[dict] = []
        self.stopped_: list[str] = []
        self.validation_ = (np.zeros(0, np.int64), np.zeros(0, np.float32))

    def _design(self, X: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(np.asarray(X, np.float32))
        return (self.inputs.transform(x) if self.inputs is not None else x).numpy()

    def fit(self, X: np.ndarray, y: np.ndarray, *, progress: Progress | None = None, cancel: CancelToken | None = None) -> "TabMLearner":
        X = np.asarray(X, np.float32)
        if self.inputs is None:
            self.inputs = Inputs(X.shape[1])
        self.tab = TabularLearner("binary", seed=self.seed, device=self.device, budget_seconds=self.budget_seconds,
                                  **self.settings.overrides())
        self.tab.fit(self._design(X), np.asarray(y).astype(int), progress=progress, cancel=cancel)
        self.history_ = list(self.tab.history_)
        self.stopped_ = list(self.tab.stopped_)  # per cross-fitted member: "max_steps", "early_stopping" or "budget"
        self.setup_seconds_ = float(self.tab.setup_seconds_)  # preparing the inputs, before any epoch (core.tabular)
        idx, p = self.tab.validation_
        self.validation_ = (idx, p[:, 1].astype(np.float32))
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.tab.predict_proba(self._design(X))

    def recover_validation(self, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``validation_`` of a stored model, recomputed: the inner folds are fixed by the recorded seed."""
        idx, p = self.tab.recover_validation(self._design(X), np.asarray(y).astype(int))
        return idx, p[:, 1].astype(np.float32)

    def torch_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable P(fraud) of raw feature rows (for integrated-gradient attributions)."""
        net = self.tab.net_
        z = self.inputs.transform(x)
        return net(z, torch.zeros(len(z), 0, dtype=torch.int64, device=z.device))[:, 1]

    def parameters(self):
        return self.tab.net_.parameters()

    def to(self, device) -> "TabMLearner":
        self.tab.to(device)
        return self

    def config_dict(self) -> dict:
        return {"learner": self.name, "inputs": dataclasses.asdict(self.inputs), "settings": dataclasses.asdict(self.settings),
                "tabular": self.tab.config_dict()}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.tab.state_dict()

    @classmethod
    def from_state(cls, config: dict, tensors: dict[str, torch.Tensor], *, load: Callable[[torch.nn.Module, dict], None] | None = None) -> "TabMLearner":
        spec = config["inputs"]
        inputs = Inputs(int(spec["n_in"]), tuple(spec["log_cols"]), spec["amount_col"], tuple(spec["mean_cols"]))
        tab_cfg = config["tabular"]
        # A checkpoint saved before the pooling was a setting averaged probabilities: its settings say so, as its network does.
        learner = cls(inputs, TabMConfig(**{"pool": tab_cfg.get("pool", "probabilities"), **config.get("settings", {})}))
        net = TabularNet(tab_cfg)
        (load or (lambda m, t: m.load_state_dict(t, strict=True)))(net, tensors)
        tab = TabularLearner(task=tab_cfg["task"], n_classes=int(tab_cfg["n_classes"]))
        tab.net_ = net.eval()
        learner.tab = tab
        return learner
