"""Training runner (early stopping, budget, cancel, best weights) and device selection."""

from __future__ import annotations

import time

import pytest
import torch

from usecases.core import device as dev
from usecases.core.runner import CancelToken, RunConfig, TrainingCancelled, run_training


def test_early_stopping_restores_best_weights():
    model = torch.nn.Linear(1, 1, bias=False)
    scores = [0.5, 0.7, 0.6, 0.65, 0.55, 0.9]
    seen = []

    def step(i):
        with torch.no_grad():
            model.weight.fill_(float(i))
        return {"train_loss": 1.0 / i}

    def evaluate():
        s = scores[len(seen)]
        seen.append(s)
        return {"val_ap": s}

    res = run_training(step, evaluate, RunConfig(max_steps=6, patience=3, monitor="val_ap", mode="max"), model=model)
    assert res.stopped == "early_stopping"
    assert res.steps == 5 and res.best_step == 2
    assert model.weight.item() == 2.0  # weights of the best step
    assert [r["step"] for r in res.history] == [1, 2, 3, 4, 5]


def test_time_budget_stops_and_keeps_best():
    res = run_training(lambda i: time.sleep(0.05) or {}, lambda: {"val_loss": 1.0}, RunConfig(max_steps=1000, budget_seconds=0.2))
    assert res.stopped == "budget"
    assert 2 <= res.steps < 50


def test_cancel_raises_and_progress_is_reported():
    token = CancelToken()
    calls = []

    def step(i):
        if i == 3:
            token.cancel()
        return {"train_loss": 0.0}

    with pytest.raises(TrainingCancelled):
        run_training(step, lambda: {"val_loss": 0.0}, RunConfig(max_steps=10), progress=lambda s, t, m: calls.append((s, t)), cancel=token)
    assert calls[:3] == [(1, 10), (2, 10), (3, 10)]


def test_missing_monitored_metric_is_a_clear_error():
    with pytest.raises(KeyError, match="val_loss"):
        run_training(lambda i: {}, lambda: {"other": 1.0}, RunConfig(max_steps=2))


def test_run_config_validation():
    with pytest.raises(ValueError):
        RunConfig(max_steps=0)
    with pytest.raises(ValueError):
        RunConfig(max_steps=1, mode="sideways")


def test_device_selection_and_overrides(monkeypatch):
    monkeypatch.delenv(dev.ENV_VAR, raising=False)
    auto = dev.select_device()
    assert auto.type in ("cuda", "mps", "cpu")
    monkeypatch.setenv(dev.ENV_VAR, "cpu")
    assert dev.select_device().type == "cpu"
    assert dev.select_device("cpu").type == "cpu"
    with pytest.raises(dev.DeviceError, match="unknown device"):
        dev.select_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(dev.DeviceError, match="CUDA is not available"):
            dev.select_device("cuda")
    info = dev.device_info(torch.device("cpu"))
    assert info.torch_version == torch.__version__ and "CPU" in info.name
    assert dev.loader_kwargs(torch.device("cpu")) == {"pin_memory": False}
    assert dev.loader_kwargs(torch.device("cuda")) == {"pin_memory": True}


@pytest.mark.filterwarnings("ignore:CUDA is not available")
def test_autocast_is_bf16_on_cuda_only():
    with dev.autocast(torch.device("cpu")):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    ctx = dev.autocast(torch.device("cuda"))
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.bfloat16


def test_seeds_make_runs_repeatable():
    dev.seed_everything(7)
    a = torch.randn(3)
    dev.seed_everything(7)
    assert torch.equal(a, torch.randn(3))
