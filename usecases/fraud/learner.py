"""The learner behind the fraud model, kept behind one small interface so it can be swapped.

A learner is a scikit-learn-like estimator:

* ``fit(X, y, *, progress=None, cancel=None)`` — learns from the rows it is given only, holding out
  inner validation rows of them for early stopping and calibration (the wall-clock budget, seed and
  device are constructor arguments);
* ``validation_`` — ``(row indices into X, P(fraud))`` for those inner validation rows, each scored by a
  model that did not learn from it: the operating threshold is chosen on these rows, never on test rows;
* ``predict_proba(X)`` → ``(n, 2)``; ``history_`` — one row per epoch for the training curve;
* ``config_dict()`` (JSON for the card) + ``state_dict()`` (tensors for safetensors) and
  ``from_state(config, tensors)`` to rebuild it; optionally ``torch_proba(x)`` (differentiable, for
  attributions).

:class:`MLPEnsemble` (``"mlp"``) and :class:`.tabm.TabMLearner` (``"tabm"``, the shared TabM learner)
are the two learners; ``Config.learner`` picks one and the card records it. :class:`FoldEnsemble`
holds one learner per fold of a cross-validation (or one for a hold-out) and averages them for new rows.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Protocol

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from usecases.core.device import autocast, make_loader, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, RunConfig, TrainingCancelled, run_training

from .model import FraudDetector, Inputs, NetConfig


class Learner(Protocol):
    history_: list[dict]
    validation_: tuple[np.ndarray, np.ndarray]

    def fit(self, X: np.ndarray, y: np.ndarray, *, progress: Progress | None = None, cancel: CancelToken | None = None) -> "Learner": ...
    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...
    def config_dict(self) -> dict: ...
    def state_dict(self) -> dict[str, torch.Tensor]: ...


def _platt(logits: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Fit p = sigmoid(a·logit + b) on held-out rows (Platt 1999) by L-BFGS."""
    a = torch.ones(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([a, b], lr=0.5, max_iter=100)
    lg, yy = logits.detach().float().cpu(), y.float().cpu()

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(a * lg + b, yy)
        loss.backward()
        return loss

    opt.step(closure)
    return float(a.item()), float(b.item())


@torch.no_grad()
def predict(model: torch.nn.Module, X: np.ndarray, *, batch_size: int = 65_536) -> np.ndarray:
    """Calibrated fraud probabilities of a torch module for a feature matrix, in batches, on its device."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(X), batch_size):
        xb = torch.as_tensor(X[i : i + batch_size], dtype=torch.float32, device=device)
        with autocast(device):
            out.append(model(xb).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


class MLPEnsemble:
    """K MLPs, each trained on 4/5 of the rows and early-stopped (validation AP) and Platt-calibrated
    on the other 1/5; their calibrated probabilities are averaged."""

    name = "mlp"

    def __init__(self, net: NetConfig = NetConfig(), inputs: Inputs | None = None, *, max_epochs: int = 30, patience: int = 6,
                 lr: float = 1e-3, weight_decay: float = 1e-4, batch_size: int = 512, seed: int = 0, device: str | None = None,
                 budget_seconds: float | None = None):
        self.net, self.inputs = net, inputs
        self.max_epochs, self.patience, self.lr, self.weight_decay = max_epochs, patience, lr, weight_decay
        self.batch_size, self.seed, self.device, self.budget_seconds = batch_size, seed, device, budget_seconds
        self.module: FraudDetector | None = None
        self.history_: list[dict] = []
        self.stopped_: list[str] = []  # per member: "max_steps", "early_stopping" or "budget" (core.runner)
        self.validation_ = (np.zeros(0, np.int64), np.zeros(0, np.float32))

    def fit(self, X: np.ndarray, y: np.ndarray, *, progress: Progress | None = None, cancel: CancelToken | None = None) -> "MLPEnsemble":
        t0 = time.perf_counter()
        deadline = None if self.budget_seconds is None else t0 + self.budget_seconds
        X = np.asarray(X, np.float32)
        y = np.asarray(y, np.float32)
        device = select_device(self.device)
        gen = seed_everything(self.seed)
        model = FraudDetector(self.net, self.inputs or Inputs(X.shape[1]))
        model.fit_scaler(torch.from_numpy(X))
        model.to(device)
        K = self.net.members
        folds = list(StratifiedKFold(K, shuffle=True, random_state=self.seed).split(X, y)) if K > 1 else [
            train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=self.seed)]
        oof_idx, oof_p = [], []
        total_steps = K * self.max_epochs
        for k, (tr_idx, va_idx) in enumerate(folds):
            if cancel is not None and cancel.cancelled:
                raise TrainingCancelled()
            remaining = None if deadline is None else max(0.5, (deadline - time.perf_counter()) / (K - k))
            Xv = torch.from_numpy(X[va_idx]).to(device)
            self._fit_member(model, k, X[tr_idx], y[tr_idx], Xv, y[va_idx], gen, device, remaining, progress, cancel, total_steps)
            with torch.no_grad(), autocast(device):
                lg = model.member_logit(k, Xv).float()
            a, b = _platt(lg, torch.from_numpy(y[va_idx]))
            model.calib_a[k] = a
            model.calib_b[k] = b
            oof_idx.append(va_idx)
            oof_p.append(torch.sigmoid(a * lg + b).cpu().numpy())
        model.eval().to("cpu")
        self.module = model
        idx = np.concatenate(oof_idx)
        order = np.argsort(idx, kind="stable")
        self.validation_ = (idx[order], np.concatenate(oof_p)[order].astype(np.float32))
        return self

    def _fit_member(self, model, k, Xtr, ytr, Xv, yv, gen, device, budget, progress, cancel, total_steps) -> None:
        member = model.members[k]
        opt = torch.optim.AdamW(member.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        # Small files: smaller batches, so an epoch still takes ~32 optimizer steps.
        batch = int(min(self.batch_size, max(64, len(ytr) // 32)))
        loader = make_loader((torch.from_numpy(Xtr), torch.from_numpy(ytr)), batch, shuffle=True, generator=gen, device=device)

        def step(i: int) -> dict:
            member.train()
            total, n = 0.0, 0
            for xb, yb in loader:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                with autocast(device):
                    logit = member(model.inputs(xb)).float()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(yb)
                n += len(yb)
            return {"member": k + 1, "train_loss": total / max(n, 1)}

        def evaluate() -> dict:
            model.eval()
            with torch.no_grad(), autocast(device):
                lg = model.member_logit(k, Xv).float().cpu().numpy()
            return {"val_ap": float(average_precision_score(yv, lg)) if yv.sum() > 0 else 0.0}

        def member_progress(i: int, total: int, row: dict) -> None:
            s = k * self.max_epochs + i
            self.history_.append({**row, "step": s})
            if progress is not None:
                progress(s, total_steps, {**row, "step": s})

        result = run_training(step, evaluate, RunConfig(max_steps=self.max_epochs, patience=self.patience, monitor="val_ap", mode="max",
                                                        budget_seconds=budget), model=member, progress=member_progress, cancel=cancel)
        self.stopped_.append(result.stopped)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = predict(self.module, np.asarray(X, np.float32)).astype(np.float64)
        return np.c_[1 - p, p]

    @torch.no_grad()
    def recover_validation(self, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``validation_`` of a stored model, recomputed: the members' held-out rows are fixed by the seed."""
        X, y = np.asarray(X, np.float32), np.asarray(y).astype(int)
        K = self.net.members
        folds = list(StratifiedKFold(K, shuffle=True, random_state=seed).split(X, y)) if K > 1 else [
            train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)]
        m = self.module.eval()
        idx, p = [], []
        for k, (_, va) in enumerate(folds):
            lg = m.member_logit(k, torch.from_numpy(X[va]))
            idx.append(va)
            p.append(torch.sigmoid(m.calib_a[k] * lg + m.calib_b[k]).numpy())
        idx = np.concatenate(idx)
        order = np.argsort(idx, kind="stable")
        return idx[order], np.concatenate(p)[order].astype(np.float32)

    def torch_proba(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)

    def config_dict(self) -> dict:
        spec = self.module.spec
        return {"learner": self.name, "net": dataclasses.asdict(self.net), "inputs": dataclasses.asdict(spec)}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().contiguous() for k, v in self.module.state_dict().items()}

    def parameters(self):
        return self.module.parameters()

    def to(self, device) -> "MLPEnsemble":
        self.module.to(device)
        return self

    @classmethod
    def from_state(cls, config: dict, tensors: dict[str, torch.Tensor], *, load: Callable[[torch.nn.Module, dict], None] | None = None) -> "MLPEnsemble":
        spec = config["inputs"]
        inputs = Inputs(int(spec["n_in"]), tuple(spec["log_cols"]), spec["amount_col"], tuple(spec["mean_cols"]))
        learner = cls(NetConfig(**config["net"]), inputs)
        module = FraudDetector(learner.net, inputs)
        (load or (lambda m, t: m.load_state_dict(t, strict=True)))(module, tensors)
        learner.module = module.eval()
        return learner


from .tabm import TabMLearner  # noqa: E402  (the shared TabM learner behind the same interface)


class BlendLearner:
    """The MLP ensemble and the TabM learner fit on the same rows; P(fraud) is the mean of their calibrated
    probabilities. Validation scores (for the threshold) are the mean on the rows both held out."""

    name = "blend"
    PARTS = ("mlp", "tabm")

    def __init__(self, mlp: MLPEnsemble, tabm: TabMLearner):
        self.parts = {"mlp": mlp, "tabm": tabm}
        self.history_: list[dict] = []
        self.validation_ = (np.zeros(0, np.int64), np.zeros(0, np.float32))

    def fit(self, X: np.ndarray, y: np.ndarray, *, progress: Progress | None = None, cancel: CancelToken | None = None) -> "BlendLearner":
        n = self.parts["mlp"].net.members * self.parts["mlp"].max_epochs  # the MLP's own step count

        def part_progress(i: int):  # one bar for both parts: the MLP's steps, then TabM's rescaled to as many
            def cb(step: int, total: int, row: dict) -> None:
                s = step if i == 0 else n + round(step * n / max(total, 1))
                if progress is not None:
                    progress(min(s, 2 * n), 2 * n, {**row, "step": s})
            return cb

        for i, name in enumerate(self.PARTS):
            if cancel is not None and cancel.cancelled:
                raise TrainingCancelled()
            self.parts[name].fit(X, y, progress=part_progress(i), cancel=cancel)
        self.history_ = [{**h, "part": {"mlp": "MLP", "tabm": "TabM"}[name]} for name, lr in self.parts.items() for h in lr.history_]
        self.stopped_ = [s for lr in self.parts.values() for s in getattr(lr, "stopped_", [])]
        self.setup_seconds_ = sum(float(getattr(lr, "setup_seconds_", 0.0)) for lr in self.parts.values())
        self.validation_ = _common(*(lr.validation_ for lr in self.parts.values()))
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.mean([lr.predict_proba(X) for lr in self.parts.values()], axis=0)

    def recover_validation(self, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        return _common(*(lr.recover_validation(X, y, seed) for lr in self.parts.values()))

    def torch_proba(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([lr.torch_proba(x) for lr in self.parts.values()]).mean(0)

    def parameters(self):
        for lr in self.parts.values():
            yield from lr.parameters()

    def to(self, device) -> "BlendLearner":
        for lr in self.parts.values():
            lr.to(device)
        return self

    def config_dict(self) -> dict:
        return {"learner": self.name, "parts": {n: lr.config_dict() for n, lr in self.parts.items()}}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {f"{n}.{k}": v for n, lr in self.parts.items() for k, v in lr.state_dict().items()}

    @classmethod
    def from_state(cls, config: dict, tensors: dict[str, torch.Tensor], **kw) -> "BlendLearner":
        parts = {}
        for n in cls.PARTS:
            own = {k[len(n) + 1:]: v for k, v in tensors.items() if k.startswith(n + ".")}
            parts[n] = LEARNERS[n].from_state(config["parts"][n], own, **kw)
        extra = len(tensors) - sum(1 for k in tensors if k.split(".", 1)[0] in cls.PARTS)
        if extra:
            raise KeyError(f"{extra} stored tensors belong to no part of the blend")
        return cls(parts["mlp"], parts["tabm"])


def _common(*vals: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean validation score on the rows every part held out (sorted row indices)."""
    vals = [(i[np.argsort(i, kind="stable")], p[np.argsort(i, kind="stable")]) for i, p in vals]
    idx = vals[0][0]
    for i, _ in vals[1:]:
        idx = np.intersect1d(idx, i)
    ps = [p[np.searchsorted(i, idx)] for i, p in vals]
    return idx.astype(np.int64), np.mean(ps, axis=0).astype(np.float32) if ps else np.zeros(0, np.float32)


LEARNERS: dict[str, type] = {"mlp": MLPEnsemble, "tabm": TabMLearner, "blend": BlendLearner}


class FoldEnsemble:
    """One learner per fold (cross-validation) or a single one (hold-out); new rows get their mean."""

    def __init__(self, learners: list[Any]):
        self.learners = list(learners)

    @property
    def k(self) -> int:
        return len(self.learners)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.mean([lr.predict_proba(X) for lr in self.learners], axis=0)

    def fold_proba(self, i: int, X: np.ndarray) -> np.ndarray:
        return self.learners[i].predict_proba(X)[:, 1]

    @property
    def differentiable(self) -> bool:
        return all(hasattr(lr, "torch_proba") for lr in self.learners)

    def torch_proba(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([lr.torch_proba(x) for lr in self.learners]).mean(0)

    def to(self, device) -> "FoldEnsemble":
        for lr in self.learners:
            if hasattr(lr, "to"):
                lr.to(device)
        return self

    def config_dict(self) -> dict:
        return {"folds": [lr.config_dict() for lr in self.learners]}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {f"fold{i}.{k}": v for i, lr in enumerate(self.learners) for k, v in lr.state_dict().items()}

    @classmethod
    def from_state(cls, config: dict, tensors: dict[str, torch.Tensor], **kw) -> "FoldEnsemble":
        learners = []
        for i, cfg in enumerate(config["folds"]):
            prefix = f"fold{i}."
            own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            learners.append(LEARNERS[cfg["learner"]].from_state(cfg, own, **kw))
        n = sum(1 for k in tensors if not any(k.startswith(f"fold{i}.") for i in range(len(learners))))
        if n:
            raise KeyError(f"{n} stored tensors belong to no fold")
        return cls(learners)
