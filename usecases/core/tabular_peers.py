"""The peers a practitioner would put next to our tabular learner, tuned the same small way.

* ``logistic_regression`` — median imputation + missing-indicators, standard scaling, one-hot
  categories (and TF-IDF of a text column when given); C from a grid.
* ``random_forest`` — scikit-learn's, 300 trees; ``min_samples_leaf`` from a grid.
* ``lightgbm`` — LightGBM with native categories and missing values, early stopping on the inner
  validation rows, a small grid over num_leaves × learning rate × min_child_samples; refit on all
  training rows with the best iteration count.

Tuning uses an inner stratified split of the TRAINING rows only (``val_fraction``, default 20 %);
the chosen settings are then refit on all training rows given. Selection metric: average precision
(binary) or multinomial log-loss (ordinal). Ordinal peers are **multiclass** classifiers whose class
probabilities go through the same expected-cost decision rule as our learner
(:func:`usecases.core.tabular.decide`); no ordinal structure is imposed on them.

``fit_peers(task, X_num, y, X_cat=None, text=None, seed=0, budget=None) -> {name: Peer}``; each
``Peer`` has ``predict_proba(X_num, X_cat=None, text=None)`` → (n, n_classes), and records what
it chose (``params``), its validation score and its fit time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, log_loss
from sklearn.model_selection import train_test_split

from .tables import DataProblem

PEERS = ("logistic_regression", "random_forest", "lightgbm")
LABELS = {"logistic_regression": "Logistic regression", "random_forest": "Random forest", "lightgbm": "LightGBM"}

LR_GRID = [{"C": c} for c in (0.01, 0.1, 1.0, 10.0)]
RF_GRID = [{"min_samples_leaf": m} for m in (1, 5, 20)]
LGBM_GRID = [{"num_leaves": nl, "learning_rate": lr, "min_child_samples": mc}
             for nl in (7, 31) for lr in (0.03, 0.1) for mc in (10, 40)]
TEXT_FEATURES = (("words", dict(analyzer="word", ngram_range=(1, 2), min_df=2)), ("chars", dict(analyzer="char_wb", ngram_range=(3, 4), min_df=3)))


def _frame(X_num, X_cat, text) -> pd.DataFrame:
    parts = []
    if X_num is not None:
        xn = np.asarray(X_num, dtype=np.float64)
        xn = xn[:, None] if xn.ndim == 1 else xn
        parts.append(pd.DataFrame(xn, columns=[f"num{j}" for j in range(xn.shape[1])]))
    if X_cat is not None:
        xc = np.asarray(X_cat, dtype=object)
        xc = xc[:, None] if xc.ndim == 1 else xc
        cat = pd.DataFrame(xc, columns=[f"cat{j}" for j in range(xc.shape[1])])
        parts.append(cat.apply(lambda s: s.map(lambda v: "<missing>" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))))
    if text is not None:
        parts.append(pd.DataFrame({"text": pd.Series(list(text), dtype=object).fillna("").astype(str).to_numpy()}))
    if not parts:
        raise DataProblem("there are no input columns", "the input")
    n = {len(p) for p in parts}
    if len(n) != 1:
        raise DataProblem(f"the input parts have different row counts {sorted(n)}", "the input")
    return pd.concat(parts, axis=1)


def _columns(df: pd.DataFrame) -> tuple[list[str], list[str], bool]:
    return ([c for c in df if c.startswith("num")], [c for c in df if c.startswith("cat")], "text" in df)


def _text_block(df: pd.DataFrame):
    """TF-IDF of words and character n-grams, leaving out a vocabulary that would be empty."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    vecs = []
    for _, kw in TEXT_FEATURES:
        try:
            TfidfVectorizer(**kw).fit(df["text"])
            vecs.append(TfidfVectorizer(**kw))
        except ValueError:
            pass
    return make_union(*vecs) if vecs else None


def _design(df: pd.DataFrame, *, scale: bool, onehot: bool):
    """A ColumnTransformer for scikit-learn peers."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    num, cat, has_text = _columns(df)
    steps = []
    if num:
        imp = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        steps.append(("num", make_pipeline(imp, StandardScaler()) if scale else imp, num))
    if cat:
        enc = (OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2) if onehot
               else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1))
        steps.append(("cat", enc, cat))
    if has_text:
        tb = _text_block(df)
        if tb is not None:
            steps.append(("text", tb, "text"))
    return ColumnTransformer(steps, sparse_threshold=0.3 if has_text else 0.0)


def full_proba(model_classes, proba: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities for classes 0..n_classes−1 from a model that saw only some of them."""
    out = np.zeros((len(proba), n_classes))
    out[:, np.asarray(model_classes, dtype=int)] = proba
    return out


def _score(task: str, y: np.ndarray, p: np.ndarray) -> float:
    """Higher is better: AP (binary) or minus log-loss (ordinal)."""
    if task == "binary":
        return float(average_precision_score(y, p[:, 1])) if 0 < y.sum() < len(y) else 0.0
    q = np.clip(p, 1e-7, 1)
    return -float(log_loss(y, q / q.sum(1, keepdims=True), labels=np.arange(p.shape[1])))


@dataclass
class Peer:
    """A fitted, tuned peer: ``predict_proba(X_num, X_cat=None, text=None)``."""

    name: str
    task: str
    n_classes: int
    model: Any
    params: dict
    val_score: float
    fit_seconds: float
    tuning: dict = field(default_factory=dict)  # inner_train / inner_val indices and every grid point's score

    def predict_proba(self, X_num=None, X_cat=None, text=None) -> np.ndarray:
        df = _frame(X_num, X_cat, text)
        return full_proba(self.model.classes_, self.model.predict_proba(df), self.n_classes)


def _lgbm_frame(df: pd.DataFrame, categories: dict | None) -> Any:
    """LightGBM input: numbers as they are, categories as pandas categoricals with the training levels,
    text as TF-IDF columns (sparse) when present."""
    num, cat, _ = _columns(df)
    out = df[num].copy()
    for c in cat:
        out[c] = pd.Categorical(df[c], categories=(categories or {}).get(c))
    return out


def _fit_lightgbm(df_tr, y_tr, df_va, y_va, params, task, seed, n_jobs, n_estimators=None):
    import lightgbm as lgb

    num, cat, has_text = _columns(df_tr)
    cats = {c: sorted(df_tr[c].unique().tolist()) for c in cat}
    tb = None
    if has_text:
        tb = _text_block(df_tr)

    def design(df, fit=False):
        base = _lgbm_frame(df, cats)
        if tb is None:
            return base
        import scipy.sparse as sp

        t = tb.fit_transform(df["text"]) if fit else tb.transform(df["text"])
        codes = np.column_stack([base[c].cat.codes.to_numpy().astype(float) for c in cat]) if cat else np.zeros((len(df), 0))
        codes = np.where(codes < 0, np.nan, codes)
        return sp.hstack([sp.csr_matrix(np.column_stack([base[num].to_numpy(float), codes])), t]).tocsr()

    m = lgb.LGBMClassifier(n_estimators=n_estimators or 2000, subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
                           random_state=seed, n_jobs=n_jobs, verbose=-1, **params)
    Xtr = design(df_tr, fit=True)
    kw: dict = {}
    if tb is not None and cat:
        kw["categorical_feature"] = list(range(len(num), len(num) + len(cat)))
    if df_va is not None:
        Xva = design(df_va)
        m.fit(Xtr, y_tr, eval_X=(Xva,), eval_y=(y_va,), callbacks=[lgb.early_stopping(50, verbose=False)], **kw)
    else:
        m.fit(Xtr, y_tr, **kw)
    return m, design, cats


class _LgbmModel:
    """Wraps a fitted LGBMClassifier with its own input design (categories, text)."""

    def __init__(self, model, design):
        self.model, self.design = model, design
        self.classes_ = model.classes_

    def predict_proba(self, df):
        return self.model.predict_proba(self.design(df))


def fit_peers(task: str, X_num, y, X_cat=None, text=None, *, seed: int = 0, budget: float | None = None, n_classes: int | None = None,
              peers=PEERS, val_fraction: float = 0.2, n_jobs: int = 1) -> dict[str, Peer]:
    """Tune each peer on an inner validation split of these (training) rows, refit on all of them."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if task not in ("binary", "ordinal"):
        raise ValueError(f"unknown task {task!r}")
    df = _frame(X_num, X_cat, text)
    y = np.asarray(y).astype(int)
    K = 2 if task == "binary" else int(n_classes or (y.max() + 1))
    counts = np.bincount(y, minlength=K)
    strat = y if counts[counts > 0].min() >= 2 else None
    idx_tr, idx_va = train_test_split(np.arange(len(y)), test_size=val_fraction, stratify=strat, random_state=seed)
    d_tr, d_va = df.iloc[idx_tr].reset_index(drop=True), df.iloc[idx_va].reset_index(drop=True)
    y_tr, y_va = y[idx_tr], y[idx_va]
    t_start = time.perf_counter()
    deadline = None if budget is None else t_start + budget
    out: dict[str, Peer] = {}
    for name in peers:
        t0 = time.perf_counter()
        scores: list[tuple[dict, float, int | None]] = []
        if name == "logistic_regression":
            grid = LR_GRID
            make = lambda p: make_pipeline(_design(d_tr, scale=True, onehot=True), LogisticRegression(max_iter=3000, random_state=seed, **p))  # noqa: E731
        elif name == "random_forest":
            grid = RF_GRID
            make = lambda p: make_pipeline(_design(d_tr, scale=False, onehot=False),  # noqa: E731
                                           RandomForestClassifier(n_estimators=300, max_features="sqrt", n_jobs=n_jobs, random_state=seed, **p))
        elif name == "lightgbm":
            grid = LGBM_GRID
        else:
            raise ValueError(f"unknown peer {name!r}")
        for p in grid:
            if scores and deadline is not None and time.perf_counter() > deadline:
                break
            if name == "lightgbm":
                m, design, _ = _fit_lightgbm(d_tr, y_tr, d_va, y_va, p, task, seed, n_jobs)
                pv = full_proba(m.classes_, m.predict_proba(design(d_va)), K)
                scores.append((p, _score(task, y_va, pv), int(m.best_iteration_ or m.n_estimators)))
            else:
                m = make(p).fit(d_tr, y_tr)
                pv = full_proba(m.classes_, m.predict_proba(d_va), K)
                scores.append((p, _score(task, y_va, pv), None))
        best_p, best_s, best_it = max(scores, key=lambda t: t[1])
        if name == "lightgbm":
            m, design, cats = _fit_lightgbm(df, y, None, None, best_p, task, seed, n_jobs, n_estimators=max(1, best_it))
            model = _LgbmModel(m, design)
            best_p = {**best_p, "n_estimators": best_it}
        else:
            # refit the chosen settings on all training rows (encoders too)
            model = (make_pipeline(_design(df, scale=True, onehot=True), LogisticRegression(max_iter=3000, random_state=seed, **best_p))
                     if name == "logistic_regression" else
                     make_pipeline(_design(df, scale=False, onehot=False),
                                   RandomForestClassifier(n_estimators=300, max_features="sqrt", n_jobs=n_jobs, random_state=seed, **best_p)))
            model.fit(df, y)
        out[name] = Peer(name=name, task=task, n_classes=K, model=model, params=best_p, val_score=best_s,
                            fit_seconds=time.perf_counter() - t0,
                            tuning={"inner_train": idx_tr, "inner_val": idx_va, "grid": [(p, s) for p, s, _ in scores]})
    return out

