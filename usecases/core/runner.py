"""The training runner every use case shares.

A use case supplies ``step(i) -> metrics`` (one epoch, or a block of iterations) and
``evaluate() -> metrics`` (on its validation split). The runner calls them, reports progress
through one callback, keeps the best weights by a monitored validation metric (early stopping
after ``patience`` evaluations without improvement), stops at a wall-clock budget, and stops
when a cancel token is set. Progress goes to a tqdm bar in the CLI and to ``st.progress`` in
the app; the runner itself knows neither.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import torch

Metrics = dict[str, float]


class Progress(Protocol):
    """``step`` of ``total`` done; ``metrics`` the step's figures, and optionally ``"stage"``: words saying what runs now
    (the app and the CLI show them beside the bar; the charts draw only the numbers)."""

    def __call__(self, step: int, total: int, metrics: Metrics) -> None: ...


def require_finite(loss: torch.Tensor) -> None:
    """Refuse a training step whose loss is not a finite number (a model trained on it would be saved useless)."""
    if not torch.isfinite(loss):
        from .tables import DataProblem

        raise DataProblem("training diverged (the loss is not a finite number); a column may hold no usable values — "
                          "nothing was saved", "this training run")


class TrainingCancelled(RuntimeError):
    """Training was cancelled by the user; nothing was saved."""

    def __init__(self, message: str = "training was cancelled; the current model is unchanged"):
        super().__init__(message)


class CancelToken:
    """Thread-safe flag a UI or a signal handler sets to stop training at the next step."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


MAX_BUDGET_SECONDS = 7 * 24 * 3600  # beyond a week a run cannot finish (1e308 overflowed the text model's sizing) and Ctrl-C saves nothing


def check_budget(seconds: float | None, name: str = "budget_seconds") -> None:
    """A training budget is None (none) or a positive, finite number of seconds, at most a week: one rule for every
    use case's Config, the runner and the CLI's ``--budget-seconds``."""
    if seconds is None:
        return
    try:
        ok = math.isfinite(seconds) and 0 < seconds <= MAX_BUDGET_SECONDS
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a positive number of seconds, at most {MAX_BUDGET_SECONDS:,} (a week) (got {seconds!r})")


@dataclass
class RunConfig:
    max_steps: int
    eval_every: int = 1
    budget_seconds: float | None = None
    patience: int | None = None  # evaluations without improvement before stopping
    monitor: str = "val_loss"
    mode: str = "min"  # "min" or "max"
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        if self.mode not in ("min", "max"):
            raise ValueError("mode must be 'min' or 'max'")
        check_budget(self.budget_seconds)


@dataclass
class RunResult:
    history: list[Metrics] = field(default_factory=list)  # one row per step: step, seconds, train and val metrics
    best: Metrics = field(default_factory=dict)
    best_step: int = 0
    steps: int = 0
    seconds: float = 0.0
    stopped: str = "max_steps"  # "max_steps" | "early_stopping" | "budget"


def run_training(
    step: Callable[[int], Metrics],
    evaluate: Callable[[], Metrics],
    config: RunConfig,
    *,
    model: torch.nn.Module | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> RunResult:
    """Run ``step`` up to ``config.max_steps`` times; evaluate, early-stop, honour budget and cancel.

    When ``model`` is given, its best state (by ``config.monitor``) is restored before returning.
    Raises :class:`TrainingCancelled` if ``cancel`` is set; the caller then saves nothing.
    """
    sign = 1.0 if config.mode == "max" else -1.0
    best_score = -math.inf
    best_state = None
    since_best = 0
    result = RunResult()
    start = time.perf_counter()
    for i in range(1, config.max_steps + 1):
        if cancel is not None and cancel.cancelled:
            raise TrainingCancelled()
        row: Metrics = {"step": i}
        row.update(step(i))
        done = bool(row.pop("done", False))  # a step may end the run early: its schedule is complete
        is_last = i == config.max_steps or done
        elapsed = time.perf_counter() - start
        over_budget = config.budget_seconds is not None and elapsed >= config.budget_seconds
        if i % config.eval_every == 0 or is_last or over_budget:
            val = evaluate()
            row.update(val)
            if config.monitor not in val:
                raise KeyError(f"evaluate() did not return the monitored metric {config.monitor!r}")
            score = sign * float(val[config.monitor])
            if score > best_score + config.min_delta or best_state is None:
                best_score = score
                result.best = dict(val)
                result.best_step = i
                since_best = 0
                if model is not None:
                    best_state = copy.deepcopy({k: v.detach().clone() for k, v in model.state_dict().items()})
            else:
                since_best += 1
        row["seconds"] = time.perf_counter() - start
        result.history.append(row)
        result.steps = i
        if progress is not None:
            progress(i, config.max_steps, row)
        if config.patience is not None and since_best >= config.patience:
            result.stopped = "early_stopping"
            break
        if over_budget:
            result.stopped = "budget"
            break
        if done:
            break
    if cancel is not None and cancel.cancelled:
        raise TrainingCancelled()
    result.seconds = time.perf_counter() - start
    if model is not None and best_state is not None:
        model.load_state_dict(best_state)
    return result


def tqdm_progress(description: str) -> tuple[Progress, Callable[[], None]]:
    """A progress callback drawing a tqdm bar (CLI), and a function that closes it."""
    from tqdm import tqdm

    bar: dict = {}

    def update(step: int, total: int, metrics: Metrics) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit="step", leave=True)
        b = bar["bar"]
        b.total = total
        b.n = step
        shown = {k: f"{v:.4g}" for k, v in metrics.items() if k not in ("step", "seconds") and isinstance(v, float)}
        if isinstance(metrics.get("stage"), str):  # what runs now, where a domain says (triage: the fold, the linear model, a peer)
            b.set_description(f"{description} · {metrics['stage']}", refresh=False)
        else:  # a stage said once (text: "preparing …") is over when the next row names none
            b.set_description(description, refresh=False)
        b.set_postfix(shown, refresh=False)
        b.refresh()

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return update, close


def budget_caveat(stopped: Sequence[Sequence[str]], budget_seconds: float | None) -> str:
    """One sentence when a time budget cut training short, else "".

    ``stopped``: per fold, how each network stopped (:attr:`RunResult.stopped`). A network stopped by the budget
    (``"budget"``) kept its best epoch so far but had not stopped improving on its own, so a model trained that
    way can lose to a peer it would beat with more time — the verdict alone does not say so (a re-run of the
    own-data benchmark on a machine shared by three jobs: TabM 0.461 against logistic regression's 0.525 on
    ISLR::Default, where it ties at 0.524 with enough time)."""
    runs = [s for fold in stopped for s in fold]
    cut = sum(s == "budget" for s in runs)
    if not cut:
        return ""
    limit = f" of {budget_seconds:,.0f} s" if budget_seconds else ""
    nets = "network" if len(runs) == 1 else "networks"
    return (f"The PyTorch model's training was cut short by its time budget{limit}: {cut} of its {len(runs)} {nets} stopped at "
            "the budget, not because validation stopped improving, so it may be undertrained and its figures may understate "
            "it — train again with a longer budget before acting on a peer's lead.")


def budget_overrun(card: dict) -> str:
    """One sentence when training ran well past its time budget because what the budget does not bound took the time, else "".

    ``--budget-seconds`` bounds the PyTorch networks (checked every epoch); the peers are tuned on the same rows in full,
    since a peer cut short would make the comparison unfair. On a 300-column × 1,000-row fraud table a budget of 20 s
    trained for 163 s, and nothing said why (a sweep, 2026-12-05). Needs the card's ``training_seconds``,
    ``networks_seconds`` and ``training.budget_seconds``; silent when the run stayed within 1.2 × the budget + 5 s."""
    budget = (card.get("training") or {}).get("budget_seconds")
    total, nets = card.get("training_seconds"), card.get("networks_seconds")
    if not budget or not isinstance(total, (int, float)) or not isinstance(nets, (int, float)) or total <= 1.2 * budget + 5:
        return ""
    peers = (f"the rest, {total - nets:,.0f} s, went to tuning the peers on the same rows (and to reading and scoring), which run "
             "in full so that the comparison is fair")
    setup = card.get("networks_setup_seconds")
    if nets > 1.1 * budget + 1:  # "the budget bounds the networks (74 s)" had stood beside a budget of 40 s (a sweep, 2026-12-06)
        why = []
        if isinstance(setup, (int, float)) and setup >= 1:
            why.append(f"{setup:,.0f} s of it preparing their inputs (bin edges for each column, set before the first epoch, "
                       "which the budget does not stop)")
        floor = card.get("networks_fold_floor") or {}
        if floor.get("folds", 0) > 1 and floor.get("seconds"):  # the first folds' networks (their set-up on a wide file) had spent the budget
            why.append(f"each of the {floor['folds']} folds' networks trains for at least {floor['seconds']:g} s, however little of "
                       "the budget the folds before it left")
        return (f"training took {total:,.0f} s against a budget of {budget:,.0f} s: the PyTorch model's networks took {nets:,.0f} s"
                + (" — " + "; ".join(why) if why else "") + f", so each trained only briefly; {peers}")
    return f"training took {total:,.0f} s against a budget of {budget:,.0f} s: the budget bounds the PyTorch model's networks ({nets:,.0f} s); {peers}"
