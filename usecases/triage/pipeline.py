"""Training, evaluation (model vs rules vs logistic regression vs nurse), storage, single-patient assessment."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from usecases.core.device import autocast, device_info, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, RunConfig, run_training
from usecases.core.spec import ConfigMixin, Report
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import DataProblem

from . import SPEC
from .cohort import CohortConfig, generate
from .metrics import calibration_table, confusion, triage_metrics
from .model import NUMERIC, NetConfig, TriageNet, coral_loss, decide, encode_categories, encode_numeric, encode_text
from .records import Mapping, Records, read_records
from .rules import esi_level, news2_level

BASELINE_LABELS = {"news2": "NEWS2 → level", "esi_rule": "ESI-style rule", "logistic_regression": "Logistic regression (text + vitals)",
                   "nurse": "Simulated nurse (unassisted)"}


@dataclass(frozen=True)
class Config(ConfigMixin):
    cohort: CohortConfig = CohortConfig()
    net: NetConfig = NetConfig()
    max_epochs: int = 40
    patience: int = 6
    lr: float = 2e-3
    weight_decay: float = 1e-4
    batch_size: int = 256
    under_cost: float = 3.0  # decision rule: one level of under-triage costs as much as three of over-triage
    seed: int = 0
    cv_below: int = 3000  # files smaller than this are evaluated by 5-fold cross-validation
    budget_seconds: float | None = None
    device: str | None = None

    @classmethod
    def quick(cls) -> "Config":
        return cls(cohort=CohortConfig(n=3000), max_epochs=4, patience=2)


@dataclass
class Trained:
    model: TriageNet
    card: dict
    report: Report | None = None
    extras: dict = field(default_factory=dict)

    @property
    def under_cost(self) -> float:
        return float(self.card.get("training", {}).get("under_cost", 3.0))


def _tensors(df: pd.DataFrame):
    ids, offs = encode_text(df["complaint"].fillna(""))
    return encode_numeric(df), encode_categories(df), ids, offs


@torch.no_grad()
def predict_proba(model: TriageNet, df: pd.DataFrame, batch: int = 4096) -> np.ndarray:
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(df), batch):
        num, cats, ids, offs = _tensors(df.iloc[i : i + batch])
        with autocast(device):
            p = model(num.to(device), cats.to(device), ids.to(device), offs.to(device))
        out.append(p.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 5))


def _logits(model: TriageNet, df: pd.DataFrame) -> torch.Tensor:
    device = next(model.parameters()).device
    num, cats, ids, offs = _tensors(df)
    return model.logits(num.to(device), cats.to(device), ids.to(device), offs.to(device))


def _fit_net(train_df: pd.DataFrame, val_df: pd.DataFrame, cfg: Config, device, progress=None, cancel=None, step_offset: int = 0,
             total_steps: int | None = None, history: list | None = None, budget: float | None = None) -> TriageNet:
    gen = seed_everything(cfg.seed)
    model = TriageNet(cfg.net)
    model.fit_scaler(encode_numeric(train_df))
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    y_tr = torch.as_tensor(train_df["level"].to_numpy(np.int64, copy=True))
    y_va = val_df["level"].to_numpy(int, copy=True)
    n = len(train_df)

    def step(i: int) -> dict:
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for b in range(0, n, cfg.batch_size):
            idx = perm[b : b + cfg.batch_size].numpy()
            part = train_df.iloc[idx]
            with autocast(device):
                logits = _logits(model, part).float()
            loss = coral_loss(logits, y_tr[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        return {"train_loss": total / n}

    def evaluate() -> dict:
        model.eval()
        with torch.no_grad():
            val_loss = float(coral_loss(_logits(model, val_df).float(), torch.as_tensor(y_va, device=device)))
        p = predict_proba(model, val_df)
        m = triage_metrics(y_va, decide(p, cfg.under_cost))
        return {"val_loss": val_loss, "val_kappa": m["kappa_linear"]}

    def prog(s, t, row):
        row = {**row, "step": step_offset + s}
        if history is not None:
            history.append(row)
        if progress is not None:
            progress(step_offset + s, total_steps or t, row)

    run_training(step, evaluate, RunConfig(max_steps=cfg.max_epochs, patience=cfg.patience, monitor="val_loss", mode="min", budget_seconds=budget),
                 model=model, progress=prog, cancel=cancel)
    # Temperature scaling on the validation part (Guo et al. 2017).
    with torch.no_grad():
        lg = _logits(model, val_df).float()
    k = torch.arange(1, 5, device=lg.device)[None, :]
    target = (torch.as_tensor(y_va, device=lg.device)[:, None] > k).float()
    log_t = torch.zeros(1, requires_grad=True, device=lg.device)
    opt_t = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        opt_t.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lg / log_t.exp(), target)
        loss.backward()
        return loss

    opt_t.step(closure)
    model.temperature.fill_(float(log_t.detach().exp().clamp(0.25, 4.0)))
    model.eval()
    return model


TEXT_FEATURES = (("words", dict(analyzer="word", ngram_range=(1, 2), min_df=2)), ("chars", dict(analyzer="char_wb", ngram_range=(3, 4), min_df=3)))


def make_lr(seed: int, text: tuple[str, ...] = ("words", "chars")):
    """Multinomial logistic regression on TF-IDF of the complaint (words + char n-grams) and imputed, scaled vitals."""
    pre = ColumnTransformer([
        *[(name, TfidfVectorizer(**kw), "complaint") for name, kw in TEXT_FEATURES if name in text],
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()), list(NUMERIC)),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "arrival", "avpu"]),
    ])
    return make_pipeline(pre, LogisticRegression(max_iter=3000, C=2.0, random_state=seed))


def fit_lr(seed: int, df: pd.DataFrame):
    """The logistic-regression baseline fit on ``df``. Text features whose vocabulary would be empty
    (no complaint column mapped, or too few repeated words in a small file) are left out."""
    d = _prep_for_lr(df)
    text = []
    for name, kw in TEXT_FEATURES:
        try:
            TfidfVectorizer(**kw).fit(d["complaint"])
            text.append(name)
        except ValueError:  # empty vocabulary, or none left after min_df
            pass
    return make_lr(seed, tuple(text)).fit(d, df["level"].to_numpy(int))


def _prep_for_lr(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    d["complaint"] = d["complaint"].fillna("").astype(str)
    for c in ("sex", "arrival", "avpu"):
        d[c] = d[c].fillna("unknown").astype(str)
    for c in NUMERIC:
        d[c] = pd.to_numeric(d[c], errors="coerce")
    return d


def _all_predictions(model: TriageNet, lr, test_df: pd.DataFrame, under_cost: float) -> dict:
    probs = predict_proba(model, test_df)
    preds = {"model": decide(probs, under_cost), "news2": news2_level(test_df), "esi_rule": esi_level(test_df),
             "logistic_regression": decide(lr.predict_proba(_prep_for_lr(test_df)), under_cost) if lr is not None else None}
    lr_argmax = lr.predict(_prep_for_lr(test_df)) if lr is not None else None
    if "nurse_level" in test_df and test_df["nurse_level"].notna().all():
        preds["nurse"] = test_df["nurse_level"].to_numpy(int)
    return {"probs": probs, "preds": {k: v for k, v in preds.items() if v is not None}, "lr_argmax": lr_argmax}


def _report(y: np.ndarray, out: dict, test_df: pd.DataFrame, source: str, split_desc: str) -> Report:
    preds = out["preds"]
    model_m = triage_metrics(y, preds["model"])
    base = {n: triage_metrics(y, p) for n, p in preds.items() if n != "model"}
    if out.get("lr_argmax") is not None:
        base["logistic_regression"]["note_argmax_kappa_linear"] = triage_metrics(y, out["lr_argmax"])["kappa_linear"]
    # Model-assisted triage = the more urgent of the nurse's and the model's level (a safety net).
    if "nurse" in preds:
        model_m_assisted = triage_metrics(y, np.minimum(preds["nurse"], preds["model"]))
    else:
        model_m_assisted = None
    return Report(
        usecase=SPEC.name, primary_metric=SPEC.primary_metric, model=model_m, baselines=base,
        data={"source": source, "rows": int(len(test_df)), "split": split_desc},
        extras={"y": y, "preds": preds, "probs": out["probs"], "confusion": {n: confusion(y, p).tolist() for n, p in preds.items()},
                "calibration": calibration_table(out["probs"], y), "assisted": model_m_assisted, "test": test_df},
    )


def train(config: Config = Config(), *, data: Records | None = None, progress: Progress | None = None, cancel: CancelToken | None = None) -> Trained:
    t0 = time.perf_counter()
    device = select_device(config.device)
    if data is None:
        df = generate(config.cohort)
        source = f"SYNTHETIC cohort: {config.cohort.n:,} patients, seed {config.cohort.seed}"
        fingerprint = str(pd.util.hash_pandas_object(df.drop(columns=["patient"]), index=False).sum() % (10**16))
    else:
        df = data.frame
        source = data.source
        fingerprint = str(pd.util.hash_pandas_object(df, index=False).sum() % (10**16))
    y_all = df["level"].to_numpy(int)
    history: list[dict] = []
    min_class = np.bincount(y_all, minlength=6)[1:][np.bincount(y_all, minlength=6)[1:] > 0].min()
    use_cv = len(df) < config.cv_below and data is not None
    if use_cv:
        k = int(min(5, max(2, min_class)))
        folds = list(StratifiedKFold(k, shuffle=True, random_state=config.seed).split(df, y_all))
        split_desc = f"{k}-fold stratified cross-validation (small file: every row is scored by a model that did not see it)"
        probs = np.zeros((len(df), 5))
        preds_lr = np.zeros(len(df), int)
        probs_lr = np.zeros((len(df), 5))
        total = (k + 1) * config.max_epochs
        for i, (tr, te) in enumerate(folds):
            tr_df, va_df = train_test_split(df.iloc[tr], test_size=0.15, random_state=config.seed, stratify=_strat(df.iloc[tr]["level"]))
            m = _fit_net(tr_df, va_df, config, device, progress, cancel, i * config.max_epochs, total, history)
            probs[te] = predict_proba(m, df.iloc[te])
            lr = fit_lr(config.seed, df.iloc[tr])
            pl = np.zeros((len(te), 5))
            pl[:, lr.classes_.astype(int) - 1] = lr.predict_proba(_prep_for_lr(df.iloc[te]))
            probs_lr[te] = pl
            preds_lr[te] = lr.predict(_prep_for_lr(df.iloc[te]))
        tr_df, va_df = train_test_split(df, test_size=0.15, random_state=config.seed, stratify=_strat(df["level"]))
        model = _fit_net(tr_df, va_df, config, device, progress, cancel, k * config.max_epochs, total, [])
        test_df = df
        out = {"probs": probs, "preds": {"model": decide(probs, config.under_cost), "news2": news2_level(df), "esi_rule": esi_level(df),
                                         "logistic_regression": decide(probs_lr, config.under_cost)}, "lr_argmax": preds_lr}
        if df["nurse_level"].notna().all():
            out["preds"]["nurse"] = df["nurse_level"].to_numpy(int)
        lr_final = None
    else:
        train_df, rest = train_test_split(df, test_size=0.3, random_state=config.seed, stratify=_strat(df["level"]))
        val_df, test_df = train_test_split(rest, test_size=0.5, random_state=config.seed, stratify=_strat(rest["level"]))
        split_desc = "stratified random 70 % train / 15 % validation / 15 % test"
        model = _fit_net(train_df, val_df, config, device, progress, cancel, 0, config.max_epochs, history, config.budget_seconds)
        lr_final = fit_lr(config.seed, train_df)
        model.to("cpu")
        out = _all_predictions(model, lr_final, test_df, config.under_cost)
    model.to("cpu")
    train_seconds = time.perf_counter() - t0
    report = _report(test_df["level"].to_numpy(int), out, test_df, source, split_desc)
    card = {
        "data": {"source": source, "fingerprint": fingerprint, "split": split_desc, "rows": int(len(df)), "synthetic": data is None,
                 "level_mix": {str(l): float((y_all == l).mean()) for l in range(1, 6)}},
        "training": config.as_dict(),
        "model": {"architecture": "MLP over vitals, category embeddings and hashed complaint n-grams; CORAL ordinal head; temperature-calibrated",
                  "net": dataclasses.asdict(config.net), "decision": f"minimum expected cost, under-triage weighted {config.under_cost}×"},
        "device": device_info(device).as_dict(),
        "training_seconds": round(train_seconds, 2),
        "metrics": report.model,
        "baselines": report.baselines,
        "assisted": report.extras["assisted"],
        "history": history,
    }
    return Trained(model=model, card=card, report=report, extras={"lr": lr_final})


def _strat(y: pd.Series):
    counts = y.value_counts()
    return y if counts.min() >= 2 else None


# ---- store ------------------------------------------------------------------------------------

def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    card = store.save(key or SPEC.name, trained.model.state_dict(), trained.card, format_version=SPEC.format_version)
    trained.card = card
    return card


def load(store: ModelStore, key: str | None = None) -> Trained:
    model, card = load_module(store, key or SPEC.name, format_version=SPEC.format_version,
                              build=lambda c: TriageNet(NetConfig(**c["model"]["net"])))
    return Trained(model=model, card=card)


def evaluate(trained: Trained, data: Records | None = None) -> Report:
    """Model vs rules, logistic regression (fit in this run) and nurse on the test split, or on ``data``."""
    if data is None and trained.report is not None:
        return trained.report
    cfg = Config.from_dict(trained.card["training"])
    if data is None:
        if not trained.card["data"].get("synthetic"):
            raise DataProblem("this model was trained on your own file, which the app does not keep; pass the file again", "this model")
        df = generate(cfg.cohort)
        train_df, rest = train_test_split(df, test_size=0.3, random_state=cfg.seed, stratify=_strat(df["level"]))
        _, test_df = train_test_split(rest, test_size=0.5, random_state=cfg.seed, stratify=_strat(rest["level"]))
        split_desc = trained.card["data"]["split"]
        source = trained.card["data"]["source"]
    else:
        df = generate(cfg.cohort)
        train_df, _ = train_test_split(df, test_size=0.3, random_state=cfg.seed, stratify=_strat(df["level"]))
        test_df, split_desc, source = data.frame, f"all {len(data.frame):,} rows of your file", data.source
    lr = trained.extras.get("lr") or fit_lr(cfg.seed, train_df)
    trained.extras["lr"] = lr
    out = _all_predictions(trained.model, lr, test_df, trained.under_cost)
    report = _report(test_df["level"].to_numpy(int), out, test_df, source, split_desc)
    if data is None:
        trained.report = report
    return report


# ---- one patient ------------------------------------------------------------------------------

FIELDS_FOR_ATTRIBUTION = ("age", "sex", "arrival", "complaint", "avpu", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2")


def assess(trained: Trained, patient: dict) -> dict:
    """Probabilities, suggested level, red flags, rule levels and per-field attributions for one patient.

    Attributions are occlusions: how P(level 1–2) changes when a field is treated as unknown.
    """
    from .records import check_patient
    from .rules import red_flags

    p = check_patient(patient)
    row = pd.DataFrame([{k: p.get(k, np.nan) for k in FIELDS_FOR_ATTRIBUTION}])
    for c in NUMERIC:
        row[c] = pd.to_numeric(row[c], errors="coerce")
    probs = predict_proba(trained.model, row)[0]
    base_crit = float(probs[:2].sum())
    variants = []
    for f in FIELDS_FOR_ATTRIBUTION:
        r = row.copy()
        r[f] = "" if f == "complaint" else (None if f in ("sex", "arrival", "avpu") else np.nan)
        variants.append(r)
    vp = predict_proba(trained.model, pd.concat(variants, ignore_index=True))
    attributions = {f: base_crit - float(vp[i, :2].sum()) for i, f in enumerate(FIELDS_FOR_ATTRIBUTION)}
    return {
        "probs": probs, "level": int(decide(probs[None], trained.under_cost)[0]), "critical_probability": base_crit,
        "red_flags": red_flags(p), "news2_level": int(news2_level(row)[0]), "esi_level": int(esi_level(row)[0]),
        "attributions": attributions,
    }


def read_data(raw: bytes, filename: str, mapping: bytes | None = None) -> Records:
    return read_records(raw, filename, Mapping.from_json(mapping) if mapping else None)


def score_file(trained: Trained, raw: bytes, filename: str, mapping: bytes | None = None) -> pd.DataFrame:
    """Suggested levels for every record of a file (labels optional)."""
    recs = read_records(raw, filename, Mapping.from_json(mapping) if mapping else None, require_labels=False)
    probs = predict_proba(trained.model, recs.frame)
    out = recs.frame[["age", "sex", "complaint"]].copy()
    out["suggested_level"] = decide(probs, trained.under_cost)
    for i in range(5):
        out[f"p_level_{i + 1}"] = np.round(probs[:, i], 4)
    out["news2_level"] = news2_level(recs.frame)
    out["esi_rule_level"] = esi_level(recs.frame)
    if recs.frame["level"].notna().any():
        out["reference_level"] = recs.frame["level"]
    return out
