"""Training, evaluation, storage and scoring of the fraud detector and its baselines."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_curve
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from usecases.core.device import autocast, device_info, make_loader, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, RunConfig, TrainingCancelled, run_training
from usecases.core.spec import ConfigMixin, Report
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import DataProblem

from . import SPEC
from . import business as fb
from .data import Dataset, read_user_file, simulated
from .evaluation import metrics
from .evaluation import split as handbook_split
from .model import FraudDetector, NetConfig
from .simulate import SimConfig

BASELINES = ("logistic_regression", "random_forest", "hist_gradient_boosting")
BASELINE_LABELS = {
    "logistic_regression": "Logistic regression",
    "random_forest": "Random forest",
    "hist_gradient_boosting": "Hist. gradient boosting",
}


@dataclass(frozen=True)
class Config(ConfigMixin):
    sim: SimConfig = SimConfig()
    net: NetConfig = NetConfig()
    max_epochs: int = 30
    patience: int = 6
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 512
    seed: int = 0
    budget_seconds: float | None = None
    device: str | None = None
    holdout: str = "time"  # users' files: "time" (last 25 % by time) or "stratified" (random 25 %)

    @classmethod
    def quick(cls) -> "Config":
        return cls(sim=SimConfig(n_customers=300, n_terminals=600, n_days=75), net=NetConfig(hidden=32, layers=2, members=2), max_epochs=3, patience=2)


@dataclass
class Trained:
    model: FraudDetector
    card: dict
    dataset: Dataset | None = None  # in memory after training; rebuilt on demand after a load
    report: Report | None = None
    extras: dict = field(default_factory=dict)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.card["model"]["features"])

    @property
    def threshold(self) -> float:
        return float(self.card.get("operating_threshold", 0.5))


# ---- data preparation -------------------------------------------------------------------------

def prepare(ds: Dataset, holdout: str = "time", seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, test, description) — the handbook split for simulations, a hold-out for users' files."""
    if ds.split is not None:
        train, test = handbook_split(ds.frame, ds.split)
        desc = ds.split.describe()
    elif holdout == "stratified":
        train, test = train_test_split(ds.frame, test_size=0.25, stratify=ds.frame["TX_FRAUD"], random_state=seed)
        desc = "stratified random hold-out: 75 % train / 25 % test"
    else:
        order_col = "TX_DATETIME" if "TX_DATETIME" in ds.frame else "Time"
        f = ds.frame.sort_values(order_col, kind="mergesort")
        cut = int(len(f) * 0.75)
        train, test = f.iloc[:cut], f.iloc[cut:]
        desc = "time-ordered hold-out: first 75 % of transactions train, last 25 % test"
    for name, part in (("training", train), ("test", test)):
        y = part["TX_FRAUD"]
        if (y == 1).sum() < 2 or (y == 0).sum() < 2:
            raise DataProblem(
                f"the {name} part has {int((y == 1).sum())} frauds and {int((y == 0).sum())} legitimate rows; both classes are needed "
                "(try the stratified hold-out, or more days of data)", "this data")
    return train, test, desc


def _xy(frame: pd.DataFrame, features) -> tuple[np.ndarray, np.ndarray]:
    return frame[list(features)].to_numpy(np.float32, copy=True), frame["TX_FRAUD"].to_numpy().astype(np.float32)


def make_baselines(seed: int) -> dict[str, Any]:
    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "random_forest": RandomForestClassifier(n_estimators=100, max_depth=20, n_jobs=-1, random_state=seed),
        "hist_gradient_boosting": HistGradientBoostingClassifier(random_state=seed),
    }


def fit_baselines(X: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    models = make_baselines(seed)
    for m in models.values():
        m.fit(X, y)
    return models


# ---- the detector -----------------------------------------------------------------------------

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
def predict(model: FraudDetector, X: np.ndarray, *, batch_size: int = 65_536) -> np.ndarray:
    """Calibrated fraud probabilities for a feature matrix, in batches, on the model's device."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(X), batch_size):
        xb = torch.as_tensor(X[i : i + batch_size], dtype=torch.float32, device=device)
        with autocast(device):
            out.append(model(xb).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def train(config: Config = Config(), *, data: Dataset | None = None, progress: Progress | None = None, cancel: CancelToken | None = None) -> Trained:
    """Fit the detector (cross-validated ensemble) and the baselines on the same split; evaluate both."""
    t0 = time.perf_counter()
    deadline = None if config.budget_seconds is None else t0 + config.budget_seconds
    ds = data if data is not None else simulated(config.sim)
    train_df, test_df, split_desc = prepare(ds, config.holdout, config.seed)
    features = ds.features
    X, y = _xy(train_df, features)
    device = select_device(config.device)
    gen = seed_everything(config.seed)
    model = FraudDetector(config.net, n_in=len(features), layout=ds.layout)
    model.fit_scaler(torch.from_numpy(X))
    model.to(device)
    K = config.net.members
    folds = list(StratifiedKFold(K, shuffle=True, random_state=config.seed).split(X, y)) if K > 1 else [
        train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=config.seed)]
    history: list[dict] = []
    total_steps = K * config.max_epochs
    for k, (tr_idx, va_idx) in enumerate(folds):
        if cancel is not None and cancel.cancelled:
            raise TrainingCancelled()
        member = model.members[k]
        opt = torch.optim.AdamW(member.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        loader = make_loader((torch.from_numpy(X[tr_idx]), torch.from_numpy(y[tr_idx])), config.batch_size, shuffle=True, generator=gen, device=device)
        Xv = torch.from_numpy(X[va_idx]).to(device)
        yv = y[va_idx]

        def step(i: int, member=member, opt=opt, loader=loader, k=k) -> dict:
            member.train()
            total, n = 0.0, 0
            for xb, yb in loader:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                with autocast(device):
                    logit = model.members[k](model.inputs(xb)).float()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(yb)
                n += len(yb)
            return {"member": k + 1, "train_loss": total / max(n, 1)}

        def evaluate(k=k, Xv=Xv, yv=yv) -> dict:
            model.eval()
            with torch.no_grad(), autocast(device):
                lg = model.member_logit(k, Xv).float().cpu().numpy()
            return {"val_ap": float(average_precision_score(yv, lg)) if yv.sum() > 0 else 0.0}

        def member_progress(step_i: int, total: int, row: dict, k=k) -> None:
            history.append({**row, "step": k * config.max_epochs + step_i})
            if progress is not None:
                progress(k * config.max_epochs + step_i, total_steps, {**row, "step": k * config.max_epochs + step_i})

        remaining = None if deadline is None else max(0.5, (deadline - time.perf_counter()) / (K - k))
        run_training(step, evaluate, RunConfig(max_steps=config.max_epochs, patience=config.patience, monitor="val_ap", mode="max",
                                               budget_seconds=remaining), model=member, progress=member_progress, cancel=cancel)
        with torch.no_grad(), autocast(device):
            lg = model.member_logit(k, Xv).float()
        a, b = _platt(lg, torch.from_numpy(yv))
        model.calib_a[k] = a
        model.calib_b[k] = b
    model.eval()
    train_seconds = time.perf_counter() - t0

    baselines = fit_baselines(X, y, config.seed)
    report = _report(model, baselines, ds, train_df, test_df, split_desc)
    threshold = fb.optimal_threshold(
        report.extras["y"], report.extras["scores"]["model"], report.extras["amount"], fb.FraudAssumptions(), report.extras["days"])
    card = {
        "data": {"source": ds.source, "fingerprint": ds.fingerprint, "split": split_desc, "train_rows": len(train_df),
                 "test_rows": len(test_df), "train_frauds": int(y.sum()), "test_frauds": int(report.extras["y"].sum())},
        "training": config.as_dict(),
        "model": {"architecture": "cross-validated ensemble of MLPs (Platt-calibrated)", "net": dataclasses.asdict(config.net),
                  "n_in": len(features), "layout": ds.layout, "features": list(features)},
        "device": device_info(device).as_dict(),
        "training_seconds": round(train_seconds, 2),
        "metrics": report.model,
        "baselines": report.baselines,
        "operating_threshold": threshold,
        "history": history,
    }
    model.to("cpu")
    trained = Trained(model=model, card=card, dataset=ds, report=report, extras={"baseline_models": baselines})
    return trained


def _report(model: FraudDetector, baselines: dict, ds: Dataset, train_df, test_df, split_desc: str) -> Report:
    features = ds.features
    Xt, yt = _xy(test_df, features)
    scores = {"model": predict(model, Xt)}
    for name, m in baselines.items():
        scores[name] = m.predict_proba(Xt)[:, 1]
    has_days = "TX_DATETIME" in test_df
    if has_days:
        day = pd.to_datetime(test_df["TX_DATETIME"]).dt.floor("D").to_numpy()
        n_days = float(max(1, len(np.unique(day))))
    else:  # ULB layout: Time is seconds since the first transaction
        day = (test_df["Time"].to_numpy() // 86_400).astype(int)
        n_days = max(1.0, float(test_df["Time"].max() - test_df["Time"].min()) / 86_400)

    def m_of(s):
        if has_days and "CUSTOMER_ID" in test_df:
            return metrics(test_df, s)
        r = metrics(test_df.assign(TX_DATETIME=pd.Timestamp("2000-01-01"), CUSTOMER_ID=np.arange(len(test_df))), s)
        r["precision@100"] = r.pop("card_precision@100")  # without card ids: transaction-level precision@100
        return r

    model_metrics = m_of(scores["model"])
    base_metrics = {n: m_of(scores[n]) for n in baselines}
    curves = {}
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(yt, s)  # drop_intermediate keeps only the corners
        prec, rec, _ = precision_recall_curve(yt, s)
        keep = np.r_[True, np.diff(rec) != 0]  # one point per recall level: the curve's exact shape
        curves[name] = {"fpr": fpr, "tpr": tpr, "precision": prec[keep], "recall": rec[keep]}
    return Report(
        usecase=SPEC.name, primary_metric=SPEC.primary_metric, model=model_metrics, baselines=base_metrics,
        data={"source": ds.source, "rows": int(len(ds.frame)), "split": split_desc, "test_rows": int(len(test_df)), "test_frauds": int(yt.sum())},
        extras={"y": yt.astype(int), "scores": scores, "amount": test_df["TX_AMOUNT"].to_numpy(float), "day": day, "days": float(n_days),
                "curves": curves, "test": test_df},
    )


# ---- store ----------------------------------------------------------------------------------

def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    card = store.save(key or SPEC.name, trained.model.state_dict(), trained.card, format_version=SPEC.format_version)
    trained.card = card
    return card


def load(store: ModelStore, key: str | None = None) -> Trained:
    def build(card: dict) -> FraudDetector:
        m = card["model"]
        return FraudDetector(NetConfig(**m["net"]), n_in=int(m["n_in"]), layout=m["layout"])

    model, card = load_module(store, key or SPEC.name, format_version=SPEC.format_version, build=build)
    return Trained(model=model, card=card)


def default_dataset(trained: Trained) -> Dataset:
    """The dataset a stored default model was trained on (regenerated from its recorded config)."""
    if "simulated" not in trained.card["data"]["source"]:
        raise DataProblem(
            "this model was trained on your own file, which the app does not keep; pass the file again with --data to evaluate it", "this model")
    cfg = Config.from_dict(trained.card["training"])
    return simulated(cfg.sim)


def evaluate(trained: Trained, data: Dataset | None = None) -> Report:
    """Model vs baselines (fit in this run on the model's training split) on the test split, or on ``data``."""
    if data is None and trained.report is not None:
        return trained.report
    ds = default_dataset(trained)
    cfg = Config.from_dict(trained.card["training"])
    train_df, test_df, split_desc = prepare(ds, cfg.holdout, cfg.seed)
    X, y = _xy(train_df, ds.features)
    baselines = trained.extras.get("baseline_models") or fit_baselines(X, y, cfg.seed)
    trained.extras["baseline_models"] = baselines
    if data is not None:
        if data.layout != trained.model.layout:
            raise DataProblem(f"the model expects {trained.model.layout} features but the file has the {data.layout} layout", "this file")
        if not data.labelled:
            raise DataProblem("every row needs a label (1 = fraud, 0 = legitimate) to be evaluated", "this file")
        return _report(trained.model, baselines, data, data.frame, data.frame, f"all {len(data.frame):,} labelled rows of your file")
    report = _report(trained.model, baselines, ds, train_df, test_df, split_desc)
    trained.report = report
    trained.dataset = ds
    return report


# ---- scoring ---------------------------------------------------------------------------------

def score_dataset(trained: Trained, ds: Dataset, threshold: float | None = None) -> pd.DataFrame:
    if ds.layout != trained.model.layout:
        raise DataProblem(
            "this model scores raw transactions (transaction_id, datetime, customer_id, terminal_id, amount)"
            if trained.model.layout == "handbook" else "this model scores files in the ULB layout (Time, V1..V28, Amount)", "this file")
    X = ds.frame[list(trained.features)].to_numpy(np.float32)
    p = predict(trained.model, X)
    t = trained.threshold if threshold is None else threshold
    f = ds.frame
    out = pd.DataFrame({"transaction_id": f["TRANSACTION_ID"].astype(str).to_numpy()})
    if "TX_DATETIME" in f:
        out["datetime"] = pd.to_datetime(f["TX_DATETIME"]).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
        out["customer_id"] = f["CUSTOMER_ID"].astype(str).to_numpy()
        out["terminal_id"] = f["TERMINAL_ID"].astype(str).to_numpy()
    out["amount"] = f["TX_AMOUNT"].to_numpy()
    if "TX_FRAUD" in f:
        out["label"] = f["TX_FRAUD"].to_numpy()
    out["fraud_probability"] = np.round(p, 6)
    out["flagged"] = (p >= t).astype(int)
    return out


def read_data(raw: bytes, filename: str) -> Dataset:
    """A user's labelled file for ``train --data`` / ``evaluate --data``."""
    return read_user_file(raw, filename, require_labels=True)


def score_file(trained: Trained, raw: bytes, filename: str, threshold: float | None = None) -> pd.DataFrame:
    """Batch scoring of a user's file (labels optional) — the CLI ``score`` and the page's Batch tab."""
    ds = read_user_file(raw, filename, require_labels=False)
    return score_dataset(trained, ds, threshold)
