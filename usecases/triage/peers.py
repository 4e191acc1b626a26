"""The peers a practitioner would pick for tabular triage data with a free-text complaint, fit on
the same training rows as the model and tuned on the same validation rows, then judged with the
same cost-weighted decision rule:

* multinomial logistic regression on TF-IDF of the complaint (words + character n-grams) and
  imputed, scaled vitals — the inverse regularisation C chosen from 0.25 … 64 (×4 apart; the linear model's grid);
* LightGBM (gradient-boosted trees; multiclass) on the raw vitals (missing values handled by the
  trees), one-hot categories and TF-IDF of the complaint — leaves chosen from a small grid, the
  number of trees by early stopping on the validation rows.

Both choose their setting by linear κ of the cost-weighted level on the validation rows — except that on a file of at
most :data:`.linear.INNER_ROWS` rows (``triage.Config.linear_select="auto"``, the default) the regression, like our linear
model, chooses its C by 5-fold inner cross-validation on the training + validation rows, as a practitioner would on a
small file. The rule
baselines (NEWS2, ESI-style) and the nurse need no fitting; see :mod:`.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import linear as _linear  # INNER_ROWS read at call time: the same threshold as our linear model's
from .linear import C_GRID, inner_folds  # the same grid and the same choice as our linear model's
from .metrics import triage_metrics
from .model import N_LEVELS, NUMERIC, decide

PEERS = ("logistic_regression", "lightgbm")
LABELS = {"logistic_regression": "Logistic regression (TF-IDF + vitals, tuned C)", "lightgbm": "LightGBM (tuned)",
          "news2": "NEWS2 → level", "esi_rule": "ESI-style rule", "nurse": "Simulated nurse (unassisted)"}
LEAVES_GRID = (15, 31)
# Capped vocabularies: the 28-complaint synthetic vocabulary needs far fewer, and the cap keeps a
# user's large file from making the peers slower than the model.
TEXT_FEATURES = (("words", dict(analyzer="word", ngram_range=(1, 2), min_df=2, max_features=1000, dtype=np.float32)),
                 ("chars", dict(analyzer="char_wb", ngram_range=(3, 4), min_df=3, max_features=2000, dtype=np.float32)))
CATS = ("sex", "arrival", "avpu")


@dataclass
class FittedPeer:
    name: str
    estimator: Any
    params: dict

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """(n, 5) probabilities over levels 1..5 (levels absent from training get 0)."""
        p = self.estimator.predict_proba(prep(df))
        out = np.zeros((len(df), N_LEVELS))
        out[:, np.asarray(self.estimator.classes_, int) - 1] = p
        return out


def prep(df: pd.DataFrame) -> pd.DataFrame:
    d = df[["complaint", *CATS, *NUMERIC]].copy()
    d["complaint"] = d["complaint"].fillna("").astype(str)
    for c in CATS:
        d[c] = d[c].fillna("unknown").astype(str)
    for c in NUMERIC:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    return d


def _text_features(df: pd.DataFrame, max_features: int | None = None) -> list:
    """TF-IDF transformers whose vocabulary is not empty on these rows (a file may have no complaint)."""
    out = []
    for name, kw in TEXT_FEATURES:
        kw = {**kw, "max_features": min(max_features, kw["max_features"])} if max_features else kw
        try:
            TfidfVectorizer(**kw).fit(df["complaint"])
            out.append((name, TfidfVectorizer(**kw), "complaint"))
        except ValueError:  # empty vocabulary, or none left after min_df
            pass
    return out


def make_lr(df: pd.DataFrame, C: float, seed: int):
    pre = ColumnTransformer([
        *_text_features(df),
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()), list(NUMERIC)),
        ("cat", OneHotEncoder(handle_unknown="ignore"), list(CATS)),
    ])
    return make_pipeline(pre, LogisticRegression(max_iter=500, tol=1e-3, C=C, random_state=seed))


def make_lgbm(df: pd.DataFrame, leaves: int, seed: int):
    from lightgbm import LGBMClassifier

    pre = ColumnTransformer([
        *_text_features(df, max_features=300),
        ("num", "passthrough", list(NUMERIC)),
        ("cat", OneHotEncoder(handle_unknown="ignore"), list(CATS)),
    ])
    clf = LGBMClassifier(n_estimators=max(TREE_CHECKPOINTS), learning_rate=0.1, num_leaves=leaves, min_child_samples=10, subsample=0.8, subsample_freq=1,
                         colsample_bytree=0.5, reg_lambda=1.0, max_bin=63, random_state=seed, n_jobs=1, verbose=-1)
    return make_pipeline(pre, clf)


TREE_CHECKPOINTS = (25, 50, 100, 150, 200)


@dataclass
class _Boosted:
    """A fitted LightGBM pipeline used with the number of trees chosen on the validation rows."""

    pipe: Any
    trees: int

    @property
    def classes_(self):
        return self.pipe.steps[1][1].classes_

    def predict_proba(self, d: pd.DataFrame) -> np.ndarray:
        X = self.pipe.steps[0][1].transform(d)
        return self.pipe.steps[1][1].predict_proba(X.astype(np.float32), num_iteration=self.trees)


def _fit_lgbm(d_tr: pd.DataFrame, y_tr, d_va: pd.DataFrame, y_va, leaves: int, seed: int, under_cost: float) -> list[tuple[float, _Boosted]]:
    """One LightGBM fit; every checkpoint of its tree count scored by validation κ: [(κ, model), …]."""
    pipe = make_lgbm(d_tr, leaves, seed)
    pre, clf = pipe.steps[0][1], pipe.steps[1][1]
    clf.fit(pre.fit_transform(d_tr).astype(np.float32), y_tr)
    out = []
    for trees in TREE_CHECKPOINTS:
        b = _Boosted(pipe, trees)
        p = np.zeros((len(d_va), N_LEVELS))
        p[:, np.asarray(b.classes_, int) - 1] = b.predict_proba(d_va)
        out.append((triage_metrics(y_va, decide(p, under_cost))["kappa_linear"] if len(y_va) else 0.0, b))
    return out


def _lr_by_inner_cv(train_df: pd.DataFrame, val_df: pd.DataFrame, seed: int, under_cost: float) -> FittedPeer | None:
    """Logistic regression with C chosen as our linear model chooses its C on a small file (:func:`.linear.fit`): by κ of
    out-of-fold predictions from stratified inner folds of the training + validation rows, refit on the training rows —
    ``None`` when a level is too rare to fold on. Neither is tuned further than the other."""
    pool = pd.concat([train_df, val_df])
    y = pool["level"].to_numpy(int)
    folds = inner_folds(y, seed)
    if folds is None:
        return None
    d = prep(pool)
    oof = {c: np.zeros((len(pool), N_LEVELS)) for c in C_GRID}
    for a, b in folds:
        for c in C_GRID:
            oof[c][b] = FittedPeer("logistic_regression", make_lr(d.iloc[a], c, seed).fit(d.iloc[a], y[a]), {}).predict_proba(pool.iloc[b])
    kappa = {c: triage_metrics(y, decide(p, under_cost))["kappa_linear"] for c, p in oof.items()}
    c = max(C_GRID, key=lambda c: (round(kappa[c], 12), -c))  # ties → the smaller C
    d_tr = prep(train_df)
    return FittedPeer("logistic_regression", make_lr(d_tr, c, seed).fit(d_tr, train_df["level"].to_numpy(int)),
                      {"C": c, "cv_kappa": round(float(kappa[c]), 4), "chosen_by": f"{len(folds)}-fold inner cross-validation"})


def fit_peer(name: str, train_df: pd.DataFrame, val_df: pd.DataFrame, seed: int = 0, under_cost: float = 3.0,
             select: str = "validation") -> FittedPeer:
    """Fit ``name`` on ``train_df``, choosing its setting by validation κ (cost-weighted levels). ``select="inner_cv"`` (or
    ``"auto"``: up to :data:`.linear.INNER_ROWS` rows) chooses the regression's C by inner cross-validation instead, as
    ``linear.fit(select=…)`` chooses our linear model's — the two go together (``triage.Config.linear_select``; "auto" is
    the product's default since 2026-12-03)."""
    rows = len(train_df) + len(val_df)
    if name == "logistic_regression" and (select == "inner_cv" or (select == "auto" and rows <= _linear.INNER_ROWS)):
        peer = _lr_by_inner_cv(train_df, val_df, seed, under_cost)
        if peer is not None:
            return peer
    d_tr, d_va = prep(train_df), prep(val_df)
    y_tr, y_va = train_df["level"].to_numpy(int), val_df["level"].to_numpy(int)
    best = None
    grid = [{"C": c} for c in C_GRID] if name == "logistic_regression" else [{"num_leaves": l} for l in LEAVES_GRID]
    for params in grid:
        if name == "logistic_regression":
            est = make_lr(d_tr, params["C"], seed).fit(d_tr, y_tr)
        elif name == "lightgbm":
            for kappa, b in _fit_lgbm(d_tr, y_tr, d_va, y_va, params["num_leaves"], seed, under_cost):
                if best is None or kappa > best[0]:
                    best = (kappa, FittedPeer(name, b, {**params, "trees": b.trees}))
            continue
        else:
            raise ValueError(f"unknown peer {name!r}")
        peer = FittedPeer(name, est, params)
        kappa = triage_metrics(y_va, decide(peer.predict_proba(val_df), under_cost))["kappa_linear"] if len(y_va) else 0.0
        if best is None or kappa > best[0]:
            best = (kappa, peer)
    best[1].params["val_kappa"] = round(float(best[0]), 4)
    return best[1]
