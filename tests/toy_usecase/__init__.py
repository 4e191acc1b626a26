"""A toy fifth use case, used only by tests: it proves that one package registered through
``UCLAB_EXTRA_USECASES`` appears in the CLI, the navigation, Home and the portfolio with no other
file edited. A logistic regression in PyTorch on a two-feature synthetic table, with a constant peer."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from usecases.core.business import assumption
from usecases.core.spec import ConfigMixin, DataInfo, Evaluation, Spec, Throughput, Trained, Value, new_run_id
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import Column, DataProblem, Schema, load_table

SPEC = Spec(name="toy", title="Toy forecasting", purpose="A toy use case registered from a test package.", primary_metric="accuracy",
            primary_label="Accuracy", higher_is_better=True, format_version=1, url_path="toy-forecasting",
            data_source="Synthetic two-feature table", icon=":material/toys:", assumptions_key="toy.a")
SCHEMA = Schema(title="toy table", columns=(Column("x1", "float"), Column("x2", "float"), Column("y", "int", required=False, min=0, max=1)))


@dataclass(frozen=True)
class Config(ConfigMixin):
    n: int = 600
    seed: int = 0
    epochs: int = 200
    budget_seconds: float | None = None
    device: str | None = None

    @classmethod
    def quick(cls) -> "Config":
        return cls(n=300, epochs=50)


@dataclass(frozen=True)
class Assumptions:
    value_per_hit: float = assumption(2.0, label="Value of a correct forecast", unit="€", low=1.0, high=3.0, min=0.0, max=1e6, step=0.5)
    monthly_volume: float = assumption(10_000, label="Forecasts per month", unit="forecasts", min=0.0, max=1e9, step=1000.0)
    monthly_cost: float = assumption(1_000.0, label="Running cost", unit="€/month", low=1_500.0, high=800.0, min=0.0, max=1e9, step=100.0)


def _data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y})


def _proba(model: torch.nn.Module, frame: pd.DataFrame) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(model(torch.as_tensor(frame[["x1", "x2"]].to_numpy(np.float32, copy=True)))).squeeze(1).numpy()


def train(config: Config = Config(), *, data=None, progress=None, cancel=None) -> Trained:
    t0 = time.perf_counter()
    df = data if data is not None else _data(config.n, config.seed)
    tr = df.iloc[: len(df) * 3 // 4]
    torch.manual_seed(config.seed)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    X = torch.as_tensor(tr[["x1", "x2"]].to_numpy(np.float32, copy=True))
    y = torch.as_tensor(tr["y"].to_numpy(np.float32))[:, None]
    for i in range(config.epochs):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if progress is not None:
            progress(i + 1, config.epochs, {"step": i + 1, "train_loss": float(loss.detach())})
        if config.budget_seconds is not None and time.perf_counter() - t0 > config.budget_seconds:
            break
    t = Trained(model=model, card={"run_id": new_run_id(), "training": config.as_dict(), "data": {"source": SPEC.data_source, "split": "first 75 % / last 25 %"}})
    ev = evaluate(t, df if data is not None else None)
    t.card.update({"metrics": ev.model, "baselines": ev.baselines, "training_seconds": time.perf_counter() - t0, "device": {"name": "CPU"}})
    return t


def evaluate(trained: Trained, data=None) -> Evaluation:
    cfg = Config.from_dict(trained.card.get("training", {}))
    df = data if data is not None else _data(cfg.n, cfg.seed)
    te = df.iloc[len(df) * 3 // 4:]
    p = _proba(trained.model, te)
    y = te["y"].to_numpy()
    acc = float(((p >= 0.5) == y).mean())
    const = float(max(y.mean(), 1 - y.mean()))
    folds = np.array_split(np.arange(len(y)), 4)
    return Evaluation(usecase=SPEC.name, primary_metric="accuracy", model={"accuracy": acc}, baselines={"majority_class": {"accuracy": const}},
                      data=DataInfo(source=SPEC.data_source, rows=len(df), split="first 75 % train / last 25 % test", test_rows=len(te), synthetic=True),
                      labels={"majority_class": "Majority class"}, model_label="Logistic regression (toy)",
                      folds={"model": {"accuracy": [float(((p[f] >= 0.5) == y[f]).mean()) for f in folds]},
                             "majority_class": {"accuracy": [float((y[f] == (y.mean() >= 0.5)).mean()) for f in folds]}})


def value(evaluation: Evaluation, assumptions: Assumptions) -> Value:
    from usecases.core import business

    gain = evaluation.model["accuracy"] - evaluation.best_baseline()[1]
    monthly = tuple(gain * s.monthly_volume * s.value_per_hit - s.monthly_cost
                    for s in (business.scenario(assumptions, w) for w in business.SCENARIOS))
    return Value(SPEC.name, SPEC.title, monthly, headline=f"{gain:+.1%} correct forecasts vs the majority class")


def throughput(trained: Trained) -> Throughput:
    df = _data(20_000, 1)
    t = time.perf_counter()
    _proba(trained.model, df)
    return Throughput(len(df) / (time.perf_counter() - t), "forecasts")


def score(trained: Trained, rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(probability=np.round(_proba(trained.model, rows), 6))


def read_data(raw: bytes, filename: str) -> pd.DataFrame:
    df, _ = load_table(raw, SCHEMA, subject=f"“{filename}”")
    if "y" not in df or df["y"].isna().any():
        raise DataProblem("every row needs a label y (0 or 1)", f"“{filename}”")
    return df


def score_file(trained: Trained, raw: bytes, filename: str) -> pd.DataFrame:
    df, _ = load_table(raw, SCHEMA, subject=f"“{filename}”")
    return score(trained, df)


def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    card = store.save(key or SPEC.name, trained.model.state_dict(), trained.card, format_version=SPEC.format_version)
    trained.card = card
    return card


def load(store: ModelStore, key: str | None = None) -> Trained:
    model, card = load_module(store, key or SPEC.name, format_version=SPEC.format_version, build=lambda c: torch.nn.Linear(2, 1))
    return Trained(model=model, card=card)


def bench(quick: bool = False) -> dict:
    t = train(Config.quick())
    return {"scoring": {"value": throughput(t).per_second, "unit": "forecasts/s"}}
