"""A linear triage learner in PyTorch (ordinal or multinomial head) — mixed with the blend per fold in the share that fits the
validation rows best by log loss, alone when that share is 1 (:mod:`.learner`, ``cfg.learner == "auto"``; until 2026-12-01 it
served a fold when it triaged the validation rows at a lower cost).

Why it exists: on small real ordinal tables (``carData::Womenlf``, 263 rows; ``MASS::housing``) a tuned
logistic regression beat the MLP + TabM blend, whose networks learned little more than the level frequencies
(README, "Which tabular learner ships"). A linear model over the same information is what a practitioner would
fall back to there; this one is ours — GPU-capable, stored as safetensors — and it is chosen per fold on the
inner validation rows only, never on test rows, so the peer it imitates stays an honest comparison.

Inputs, as the logistic-regression peer reads them (:mod:`.peers`):

* the eight vitals median-imputed and standardised on the training rows, with a missing-indicator each;
* sex / arrival / AVPU one-hot (a value outside the scale counts as not recorded);
* the complaint as TF-IDF of its words + word bigrams and, apart, of its character 3- and 4-grams (:func:`terms`,
  hashed), with the inverse document frequencies of the training rows; each block scaled to unit length, terms in
  fewer training rows than :data:`MIN_DF` dropped (the peer's ``min_df``).

Heads (:data:`HEADS`): proportional odds (one linear score and four ordered thresholds, McCullagh 1980 —
P(level > k) = σ(g(x) + b_k), one weight per input) and multinomial (five scores, as the peer). Each is fit at every C
of :data:`C_GRID` by full-batch L-BFGS in double precision on the mean log-likelihood plus ½‖w‖² / (C·n) —
scikit-learn's scaling of C; thresholds and intercepts are not penalised — and head and C are chosen by linear κ of
the cost-weighted levels on the validation rows, as the peer chooses its C (ties → the first tried: ordinal, small C);
``fit(select="inner_cv" | "auto")`` chooses instead from out-of-fold predictions of 5-fold cross-validation on the
training + validation rows (the product's choice on files of up to :data:`INNER_ROWS` rows since 2026-12-03, through
``triage.Config.linear_select="auto"``).
"""

from __future__ import annotations

import copy
import re
import warnings
import zlib

import numpy as np
import pandas as pd
import torch
from torch import nn

from usecases.core.device import seed_everything
from usecases.core.runner import TrainingCancelled, require_finite
from usecases.core.tables import DataProblem

from .metrics import triage_cost, triage_metrics
from .model import CATEGORIES, N_BUCKETS, N_LEVELS, NUMERIC, WORD, decide, encode_categories, encode_numeric

# The inverse L2 strengths tried, ×4 apart — the logistic-regression peer tries the same (:mod:`.peers` imports this). Until
# 2026-12-02 the grid stopped at 4, and most real ordinal tables chose its edge: with 16 and 64 the peer's κ rose on the
# synthetic cohort (0.793 → 0.805) and on ISLR::Carseats (0.339 → 0.422) — the peer had been under-tuned (README).
C_GRID = (0.25, 1.0, 4.0, 16.0, 64.0)
HEADS = ("ordinal", "softmax")
MAX_ITER = 200
BLOCKS = 2  # words (+ bigrams) and character 3–4-grams, each hashed into N_BUCKETS and scaled to unit length apart
MIN_DF = (2, 3)  # a term in fewer training rows than this carries no weight (the peer's min_df)


def terms(text: str) -> tuple[list[int], list[int]]:
    """Hashed ids of the complaint's words and word bigrams (1..N_BUCKETS) and of its character 3- and 4-grams
    within words (N_BUCKETS+1..2·N_BUCKETS); [0] for an empty complaint."""
    words = re.findall(WORD, str(text).lower())
    w = [f"w:{a}" for a in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    c = [f"c:{p[i:i + n]}" for a in words for p in (f" {a} ",) for n in (3, 4) for i in range(len(p) - n + 1)]
    return ([zlib.crc32(t.encode()) % N_BUCKETS + 1 for t in w] or [0],
            [zlib.crc32(t.encode()) % N_BUCKETS + 1 + N_BUCKETS for t in c] or [0])


def encode(df: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(numbers (n, 8) with NaN, category codes (n, 3), flat term ids, offsets, block of each term (0 words, 1 characters))."""
    texts = df["complaint"].fillna("") if "complaint" in df else pd.Series([""] * len(df))
    ids, blocks, offsets = [], [], []
    for t in texts:
        offsets.append(len(ids))
        w, c = terms(t)
        ids += w + c
        blocks += [0] * len(w) + [1] * len(c)
    return (encode_numeric(df), encode_categories(df), torch.tensor(ids, dtype=torch.long),
            torch.tensor(offsets, dtype=torch.long), torch.tensor(blocks, dtype=torch.long))


class TriageLinear(nn.Module):
    """Linear model (proportional-odds or multinomial head) over vitals, categories and complaint TF-IDF:
    ``forward(*encode(df))`` → (n, 5) level probabilities."""

    def __init__(self, head: str = "ordinal"):
        super().__init__()
        if head not in ("ordinal", "softmax"):
            raise ValueError(f"unknown head {head!r}; known: ordinal, softmax")
        self.head = head
        out = 1 if head == "ordinal" else N_LEVELS
        n_num = len(NUMERIC)
        self.register_buffer("median", torch.zeros(n_num))
        self.register_buffer("mean", torch.zeros(n_num))
        self.register_buffer("std", torch.ones(n_num))
        self.register_buffer("idf", torch.zeros(BLOCKS * N_BUCKETS + 1))
        self.register_buffer("c", torch.ones(()))  # the chosen inverse regularisation, kept for the card
        self.register_buffer("present", torch.ones(N_LEVELS, dtype=torch.bool))  # softmax: levels seen in training
        self.num = nn.Linear(2 * n_num, out, bias=False)
        self.cats = nn.ModuleList(nn.Embedding(len(v) + 1, out) for v in CATEGORIES.values())
        self.text = nn.EmbeddingBag(BLOCKS * N_BUCKETS + 1, out, mode="sum")
        self.cut = nn.Parameter(torch.zeros(N_LEVELS - 1 if head == "ordinal" else N_LEVELS))  # b_k before ordering: b_1 = cut_1, b_k = b_{k−1} − softplus(cut_k)
        for p in (self.num.weight, self.text.weight, *(e.weight for e in self.cats)):
            nn.init.zeros_(p)

    def fit_scaler(self, num: torch.Tensor, ids: torch.Tensor, offsets: torch.Tensor, blocks: torch.Tensor) -> None:
        """Medians, means, spreads and inverse document frequencies of the training rows."""
        med = torch.nan_to_num(torch.nanmedian(num, dim=0).values) if len(num) else torch.zeros(num.shape[1])
        filled = torch.where(torch.isnan(num), med, num)
        self.median.copy_(med)
        self.mean.copy_(filled.mean(0))
        self.std.copy_(torch.nan_to_num(filled.std(0, correction=0), nan=1.0).clamp_min(1e-3))  # as StandardScaler
        n = len(offsets)
        rows = _rows(ids, offsets)
        size = BLOCKS * N_BUCKETS + 1
        df = torch.zeros(size)
        seen = torch.unique(rows * size + ids) % size  # each bucket once per row
        df.index_add_(0, seen, torch.ones(len(seen)))
        idf = torch.log((1.0 + n) / (1.0 + df)) + 1.0  # scikit-learn's smoothed idf
        rare = torch.cat([torch.zeros(1), torch.full((N_BUCKETS,), float(MIN_DF[0])), torch.full((N_BUCKETS,), float(MIN_DF[1]))])
        idf[df < rare] = 0.0
        idf[0] = 0.0  # padding: an empty complaint carries nothing
        self.idf.copy_(idf)

    def penalised(self) -> torch.Tensor:
        """‖w‖² of every weight (the thresholds are not penalised)."""
        return sum((p**2).sum() for p in (self.num.weight, self.text.weight, *(e.weight for e in self.cats)))

    def thresholds(self) -> torch.Tensor:
        steps = nn.functional.softplus(self.cut[1:]) + 1e-4
        return torch.cat([self.cut[:1], self.cut[:1] - torch.cumsum(steps, 0)])

    def design(self, num, cats, ids, offsets, blocks) -> tuple:
        """The rows as the linear model reads them (no learned parameter involved, so a fit computes it once):
        (standardised numbers and missing-indicators (n, 16), category codes, term ids, offsets, TF-IDF weights)."""
        miss = torch.isnan(num)
        x = (torch.where(miss, self.median, num) - self.mean) / self.std
        w = self.idf[ids]
        group = _rows(ids, offsets) * BLOCKS + blocks  # each row's words and characters scaled to unit length apart
        norm = torch.zeros(len(offsets) * BLOCKS, device=w.device, dtype=w.dtype).index_add_(0, group, w**2).sqrt().clamp_min(1e-12)
        return torch.cat([x, miss.float()], 1), cats, ids, offsets, w / norm[group]

    def logits(self, num, cats, ids, offsets, blocks) -> torch.Tensor:
        """Cumulative logits of P(level > k), k = 1..4 (softmax head: the five levels' logits)."""
        return self.score(self.design(num, cats, ids, offsets, blocks))

    def score(self, design: tuple) -> torch.Tensor:
        x, cats, ids, offsets, weights = design
        if isinstance(ids, _Sparse):  # training: the TF-IDF rows as a sparse matrix (far faster gradients than the bag's)
            g = self.num(x) + _SparseMatmul.apply(ids, self.text.weight)
        else:
            g = self.num(x) + self.text(ids, offsets, per_sample_weights=weights)
        g = g + sum(emb(cats[:, i]) for i, emb in enumerate(self.cats))
        if self.head == "softmax":
            return (g + self.cut[None, :]).masked_fill(~self.present[None, :], float("-inf"))
        return g + self.thresholds()[None, :]

    def forward(self, num, cats, ids, offsets, blocks) -> torch.Tensor:
        with torch.autocast(num.device.type, enabled=False):  # a linear model gains nothing from half precision
            return self.proba(self.logits(num.float(), cats, ids, offsets, blocks))

    def proba(self, logits: torch.Tensor) -> torch.Tensor:
        if self.head == "softmax":
            return torch.softmax(logits, 1)
        # P(level k) = σ(a_{k−1}) − σ(a_k) with a_0 = +∞, a_5 = −∞, written as σ(a_{k−1})·σ(−a_k)·(1 − e^{a_k − a_{k−1}}) so that
        # it does not round to 0 in single precision when both are near 1 (the thresholds are ordered: a_k < a_{k−1})
        inf = torch.full_like(logits[:, :1], float("inf"))
        hi, lo = torch.cat([inf, logits], 1), torch.cat([logits, -inf], 1)
        return torch.sigmoid(hi) * torch.sigmoid(-lo) * -torch.expm1(lo - hi)


class _Sparse:
    """A row-sparse matrix and its transpose (CSR), for ``X @ W`` and its gradient ``Xᵀ @ G``."""

    def __init__(self, ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor, n_cols: int):
        coo = torch.sparse_coo_tensor(torch.stack([_rows(ids, offsets), ids]), weights, (len(offsets), n_cols), check_invariants=True).coalesce()
        with warnings.catch_warnings():  # "sparse CSR support is in beta": matrix products are all this uses
            warnings.simplefilter("ignore", UserWarning)
            self.x = coo.to_sparse_csr()
            self.xt = coo.t().coalesce().to_sparse_csr()


class _SparseMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, m: _Sparse, w: torch.Tensor) -> torch.Tensor:
        ctx.m = m
        return m.x @ w

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, ctx.m.xt @ grad


def _rows(ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """The row of each token of a flat (ids, offsets) bag."""
    lens = torch.diff(torch.cat([offsets, torch.tensor([len(ids)], device=offsets.device)]))
    return torch.repeat_interleave(torch.arange(len(offsets), device=offsets.device), lens)


def _nll(model: TriageLinear, design: tuple, y: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of the levels (1..5)."""
    p = model.proba(model.score(design))
    return -torch.log(p[torch.arange(len(y)), y - 1].clamp_min(1e-12)).mean()


def _start(model: TriageLinear, y: np.ndarray) -> None:
    """Thresholds at the training rows' cumulative log-odds (a level nobody has gets a small share); softmax: the
    levels' log-frequencies, levels nobody has masked out."""
    if model.head == "softmax":
        counts = np.bincount(np.asarray(y, int), minlength=N_LEVELS + 1)[1:]
        with torch.no_grad():
            model.present.copy_(torch.as_tensor(counts > 0))
            model.cut.copy_(torch.as_tensor(np.log(np.maximum(counts, 1) / max(counts.sum(), 1)), dtype=torch.float32))
        return
    share = np.array([(y > k).mean() for k in range(1, N_LEVELS)]).clip(1e-3, 1 - 1e-3)
    b = np.log(share / (1 - share))
    b = np.minimum.accumulate(b - np.arange(N_LEVELS - 1) * 1e-3)
    with torch.no_grad():
        model.cut[0] = float(b[0])
        steps = np.maximum(b[:-1] - b[1:] - 1e-4, 1e-3)
        model.cut[1:] = torch.as_tensor(np.log(np.expm1(steps)), dtype=torch.float32)


@torch.no_grad()
def predict_proba(module: TriageLinear, data, batch: int = 8192) -> np.ndarray:
    """(n, 5) level probabilities of a data frame (or of its :func:`encode`)."""
    module.eval()
    device = next(module.parameters()).device
    num, cats, ids, offsets, blocks = data if isinstance(data, tuple) else encode(data)
    n, out = len(offsets), []
    for i in range(0, n, batch):
        j = min(i + batch, n)
        a, b = int(offsets[i]), int(offsets[j]) if j < n else len(ids)
        part = (num[i:j], cats[i:j], ids[a:b], offsets[i:j] - a, blocks[a:b])
        out.append(module(*(x.to(device) for x in part)).cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, N_LEVELS))


def fit_path(inputs, y_tr: np.ndarray, head: str, device, grid=C_GRID, cancel=None) -> list[TriageLinear]:
    """One fit per C of ``grid`` (ascending) on encoded rows (:func:`encode`), each started from the previous
    solution — the inputs' design is computed once, and a warm start needs a fraction of the iterations."""
    model = TriageLinear(head)
    model.fit_scaler(inputs[0], inputs[2], inputs[3], inputs[4])
    _start(model, y_tr)
    model.to(device, torch.float64)  # float32 loses the last digits of a mean log-likelihood over many rows, and L-BFGS stalls on them
    with torch.no_grad():
        x, cats, ids, offsets, weights = model.design(*(x.to(device, torch.float64) if x.is_floating_point() else x.to(device) for x in inputs))
        design = (x, cats, _Sparse(ids, offsets, weights, model.text.num_embeddings), None, None)
    y = torch.as_tensor(np.array(y_tr, np.int64), device=device)
    out = []
    for C in sorted(grid):
        if cancel is not None and cancel.cancelled:
            raise TrainingCancelled()
        lam = 1.0 / (C * max(len(y_tr), 1))
        opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=MAX_ITER, tolerance_grad=1e-5, tolerance_change=1e-9,
                                history_size=20, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad(set_to_none=True)
            loss = _nll(model, design, y) + 0.5 * lam * model.penalised()
            require_finite(loss)
            loss.backward()
            return loss

        opt.step(closure)
        model.c.fill_(C)
        out.append(copy.deepcopy(model).float().eval())
    return out


# select="auto": a fold with at most this many training + validation rows chooses by inner cross-validation. Measured at
# 3,000 (README, "Head and C by inner cross-validation"): above 1,000 rows it gained nothing on six files (two real tables,
# four synthetic samples; −0.005 to +0.003 κ) and made the linear fit 5× and the regression's 5× as long (a 3,000-row
# file trained in 890 s instead of 511 s on one thread); at or below, the validation rows are at most 150 per fold.
INNER_ROWS = 1000
INNER_FOLDS = 5


def _score(y: np.ndarray, p: np.ndarray, by: str) -> float:
    """Lower is better: minus linear κ of the 3×-rule levels (``by="kappa"``) or the triage cost (``by="cost"``)."""
    if not np.isfinite(p).all():
        raise DataProblem("the linear model's training diverged (its probabilities are not finite numbers); nothing was saved",
                          "this training run")
    return (triage_cost(y, p) if by == "cost" else -triage_metrics(y, decide(p))["kappa_linear"]) if len(y) else 0.0


def inner_folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Stratified folds of ``y`` (up to :data:`INNER_FOLDS`, at least two patients of every level per fold's training
    part), or ``None`` when a level has fewer than two patients."""
    from sklearn.model_selection import StratifiedKFold

    k = min(INNER_FOLDS, int(np.unique(y, return_counts=True)[1].min()))
    if k < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def fit(train_df: pd.DataFrame, val_df: pd.DataFrame, cfg, device, *, cancel=None, heads=HEADS, by: str = "kappa",
        select: str = "validation", progress=None) -> TriageLinear:
    """The linear model fit on ``train_df``, its head and C chosen by ``by`` (linear κ of the 3×-rule levels, or triage
    cost). ``select="validation"`` chooses on ``val_df``; ``"inner_cv"`` on out-of-fold predictions for every row of
    ``train_df`` + ``val_df`` (:data:`INNER_FOLDS` stratified folds), then refits the choice on ``train_df``; ``"auto"``
    takes inner cross-validation up to :data:`INNER_ROWS` rows. Why: on a small file the validation rows are few (11–72 per
    fold on the real ordinal tables), and choosing one of ten fits on them picks noise — by inner cross-validation the
    linear model alone gained κ on five real tables of six. The product passes ``triage.Config.linear_select`` ("auto" by
    default since 2026-12-03, with the regression peer chosen the same way, ``peers.fit_peer(select=…)``; measured through
    the product path in the README, "Head and C by inner cross-validation"); this function's own default stays the
    validation rows. ``progress(done, what)``, when given, hears the share of the fits done (0 → 1) and what runs now, before
    each path of fits and at the end."""
    seed_everything(cfg.seed)
    y_tr, y_va = train_df["level"].to_numpy(int), val_df["level"].to_numpy(int)
    tr = encode(train_df)
    if select == "auto":
        select = "inner_cv" if len(train_df) + len(val_df) <= INNER_ROWS else "validation"
    pool_y = np.concatenate([y_tr, y_va])
    folds = inner_folds(pool_y, cfg.seed) if select == "inner_cv" else None
    paths = len(heads) if folds is None else len(folds) * len(heads) + 1
    tell = (lambda i, what: progress(i / paths, what)) if progress is not None else (lambda i, what: None)
    if folds is None:  # validation rows (or a level too rare to cross-validate)
        va = encode(val_df)
        best = None
        fits = []
        for i, h in enumerate(heads):
            tell(i, f"linear model: {h} head, C by the validation rows")
            fits += fit_path(tr, y_tr, h, device, cancel=cancel)
        tell(paths, "linear model: done")
        for m in fits:
            cost = _score(y_va, predict_proba(m, va), by)
            if best is None or cost < best[0] - 1e-12:
                best = (cost, m)
        best[1].chosen_by = "validation"
        return best[1]
    pool = pd.concat([train_df, val_df])
    oof: dict[tuple[str, float], np.ndarray] = {}
    for j, (a, b) in enumerate(folds):
        part, held = encode(pool.iloc[a]), encode(pool.iloc[b])  # the held-out rows once, not once per fit scored on them
        for i, h in enumerate(heads):
            tell(j * len(heads) + i, f"linear model: {h} head, inner fold {j + 1} of {len(folds)}")
            for m in fit_path(part, pool_y[a], h, device, cancel=cancel):
                oof.setdefault((h, float(m.c)), np.zeros((len(pool), N_LEVELS)))[b] = predict_proba(m, held)
    scores = {k: _score(pool_y, p, by) for k, p in oof.items()}  # ties → the first head tried, the smaller C
    head, c = min(scores, key=lambda k: (round(scores[k], 12), heads.index(k[0]), k[1]))
    tell(paths - 1, f"linear model: the chosen {head} head and C {c:g} refit on the training rows")
    m = next(m for m in fit_path(tr, y_tr, head, device, grid=tuple(x for x in C_GRID if x <= c), cancel=cancel) if float(m.c) == c)
    m.chosen_by = f"{len(folds)}-fold inner cross-validation"
    tell(paths, "linear model: done")
    return m


def describe(chosen_by: str = "validation") -> str:
    where = "on the validation rows" if chosen_by == "validation" else f"by {chosen_by}"
    return ("linear model (proportional-odds or multinomial head) over standardised vitals with missing-indicators, category "
            f"one-hots and TF-IDF of the complaint's words and character n-grams; head and L2 strength chosen {where}")
