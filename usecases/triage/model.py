"""The triage classifier: vitals + categories + chief-complaint text → ordinal acuity (1 … 5).

* Numbers: median-imputed (the medians are buffers of the module) with a missing-indicator each,
  then standardised — a missing SpO₂ is information, not zero.
* Categories (sex, arrival mode, AVPU): small learned embeddings.
* Complaint text: words and character trigrams, hashed with CRC-32 into 4,096 buckets and averaged
  by an ``EmbeddingBag`` — robust to abbreviations and typos ("abd pain", "chset pain") without a
  fixed vocabulary, and nothing to store but the embedding table.
* Ordinal head (CORAL, Cao, Mirjalili & Raschka 2020): one score g(x) and four ordered thresholds,
  P(level > k) = σ((g(x) + b_k) / T), so probabilities respect the order of the scale and a
  temperature T fitted on validation data calibrates them (Guo et al. 2017).
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

NUMERIC = ("age", "pain", "sbp", "dbp", "hr", "rr", "temp", "spo2")
CATEGORIES = {"sex": ("F", "M"), "arrival": ("walk-in", "ambulance", "other"), "avpu": ("A", "V", "P", "U")}
N_BUCKETS = 4096
# A word: letters (any alphabet), digits and "/" ("c/o"). It read [a-z0-9/]+, which cut "Übelkeit" to "belkeit" and "früh" to
# "fr" + "h"; on ASCII text the two are the same, so models trained on ASCII complaints (the shipped one) read exactly as before.
WORD = r"(?:[^\W_]|/)+"
N_LEVELS = 5


@dataclass(frozen=True)
class NetConfig:
    text_dim: int = 32
    cat_dim: int = 4
    hidden: int = 128
    dropout: float = 0.1
    bins: int = 16  # piecewise-linear encoding of each number over this many quantile bins (0 = off)


def tokens(text: str) -> list[int]:
    """Hashed word and character-trigram ids (1..N_BUCKETS; 0 is padding)."""
    return list(_tokens(str(text)))


@functools.lru_cache(maxsize=1 << 16)  # a file repeats its complaints: 111,000 rows hold a few thousand distinct ones
def _tokens(text: str) -> tuple[int, ...]:
    words = re.findall(WORD, text.lower())
    grams = [f"w:{w}" for w in words]
    for w in words:
        padded = f"<{w}>"
        grams += [f"c:{padded[i:i + 3]}" for i in range(len(padded) - 2)]
    return tuple(zlib.crc32(g.encode()) % N_BUCKETS + 1 for g in grams) or (0,)


def encode_text(texts) -> tuple[torch.Tensor, torch.Tensor]:
    """(flat token ids, offsets) for an EmbeddingBag."""
    ids, offsets = [], []
    for t in texts:
        offsets.append(len(ids))
        ids.extend(tokens(t))
    return torch.tensor(ids, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def encode_categories(df: pd.DataFrame) -> torch.Tensor:
    cols = []
    for name, values in CATEGORIES.items():
        lookup = {v: i + 1 for i, v in enumerate(values)}  # 0 = unknown
        cols.append(df[name].map(lambda v: lookup.get(v, 0)).fillna(0).to_numpy(dtype=np.int64) if name in df else np.zeros(len(df), np.int64))
    return torch.as_tensor(np.stack(cols, axis=1))


def encode_numeric(df: pd.DataFrame) -> torch.Tensor:
    return torch.as_tensor(np.stack([pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float32) if c in df else
                                     np.full(len(df), np.nan, np.float32) for c in NUMERIC], axis=1))


class TriageNet(nn.Module):
    def __init__(self, cfg: NetConfig = NetConfig()):
        super().__init__()
        self.cfg = cfg
        n_num = len(NUMERIC)
        self.register_buffer("median", torch.zeros(n_num))
        self.register_buffer("mean", torch.zeros(n_num))
        self.register_buffer("std", torch.ones(n_num))
        self.register_buffer("temperature", torch.ones(()))
        self.register_buffer("edges", torch.zeros(n_num, cfg.bins + 1) if cfg.bins else torch.zeros(0))
        self.text = nn.EmbeddingBag(N_BUCKETS + 1, cfg.text_dim, mode="mean", padding_idx=0)
        self.cats = nn.ModuleList(nn.Embedding(len(v) + 1, cfg.cat_dim) for v in CATEGORIES.values())
        d_in = 2 * n_num + n_num * cfg.bins + len(CATEGORIES) * cfg.cat_dim + cfg.text_dim
        self.body = nn.Sequential(nn.Linear(d_in, cfg.hidden), nn.SiLU(), nn.Dropout(cfg.dropout),
                                  nn.Linear(cfg.hidden, cfg.hidden // 2), nn.SiLU(), nn.Dropout(cfg.dropout))
        self.score = nn.Linear(cfg.hidden // 2, 1)
        # Ordered thresholds: b_1 > b_2 > b_3 > b_4 via cumulative softplus steps.
        self.b_first = nn.Parameter(torch.tensor(2.0))
        self.b_steps = nn.Parameter(torch.zeros(N_LEVELS - 2))

    def fit_scaler(self, num: torch.Tensor) -> None:
        """Medians, means and spreads of the training rows. A column with no value at all (not in the
        file, or every value out of range) gets 0 / 0 / 1, so it is all "missing" — never NaN."""
        med = torch.nan_to_num(torch.nanmedian(num, dim=0).values)
        filled = torch.where(torch.isnan(num), med, num)
        self.median.copy_(med)
        self.mean.copy_(filled.mean(0))
        none = torch.isnan(num).all(0)  # std 0 would be clamped to 1e-3 and blow a value up a thousandfold
        self.std.copy_(torch.where(none, torch.ones_like(med), torch.nan_to_num(filled.std(0), nan=1.0).clamp_min(1e-3)))
        if self.cfg.bins:  # quantile bin edges of the recorded values (a column with none: 0..1)
            q = torch.linspace(0, 1, self.cfg.bins + 1, dtype=torch.float64)
            for j in range(num.shape[1]):
                v = num[:, j][~torch.isnan(num[:, j])].double()
                e = torch.quantile(v, q) if len(v) else q.clone()
                self.edges[j] = torch.cummax(e, 0).values.float()

    def ple(self, x: torch.Tensor, miss: torch.Tensor) -> torch.Tensor:
        """Piecewise-linear encoding (Gorishniy, Rubachev & Babenko 2022): component t of a value is
        how far it has moved through quantile bin t (0 before, 1 after). A threshold in the data —
        SpO₂ < 90, heart rate > 130 — is then one weight away, where a plain MLP needs to carve it.
        Missing values encode as 0 (their indicator carries them)."""
        lo, hi = self.edges[:, :-1], self.edges[:, 1:]
        z = ((x[:, :, None] - lo) / (hi - lo).clamp_min(1e-6)).clamp(0, 1)
        return torch.where(miss[:, :, None], torch.zeros_like(z), z).flatten(1)

    def thresholds(self) -> torch.Tensor:
        steps = nn.functional.softplus(self.b_steps) + 1e-3
        return torch.cat([self.b_first[None], self.b_first - torch.cumsum(steps, 0)])

    def logits(self, num: torch.Tensor, cats: torch.Tensor, text_ids: torch.Tensor, text_offsets: torch.Tensor) -> torch.Tensor:
        """Cumulative logits for P(level > k), k = 1..4 (before temperature)."""
        miss = torch.isnan(num)
        x = (torch.where(miss, self.median, num) - self.mean) / self.std
        parts = [x, miss.float(), self.text(text_ids, text_offsets)] + [emb(cats[:, i]) for i, emb in enumerate(self.cats)]
        if self.cfg.bins:
            parts.append(self.ple(torch.nan_to_num(num), miss))
        g = self.score(self.body(torch.cat(parts, dim=1)))
        return g + self.thresholds()[None, :]

    def forward(self, num, cats, text_ids, text_offsets) -> torch.Tensor:
        """Calibrated class probabilities over levels 1..5, shape (n, 5)."""
        p_gt = torch.sigmoid(self.logits(num, cats, text_ids, text_offsets) / self.temperature)
        ones = torch.ones_like(p_gt[:, :1])
        zeros = torch.zeros_like(p_gt[:, :1])
        upper = torch.cat([ones, p_gt], dim=1)
        lower = torch.cat([p_gt, zeros], dim=1)
        return (upper - lower).clamp_min(0)


def coral_loss(cum_logits: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
    """Sum of binary cross-entropies of P(level > k) for k = 1..4 (level in 1..5)."""
    k = torch.arange(1, N_LEVELS, device=level.device)[None, :]
    target = (level[:, None] > k).float()
    return nn.functional.binary_cross_entropy_with_logits(cum_logits, target, reduction="none").sum(1).mean()


def decide(probs: np.ndarray, under_cost: float = 3.0) -> np.ndarray:
    """Level minimising expected cost when under-triage costs ``under_cost`` per level and over-triage 1.

    With under_cost = 1 this is the median of the predictive distribution; larger values trade a
    little over-triage for less under-triage — the safer direction in an emergency department.
    """
    levels = np.arange(1, N_LEVELS + 1)
    diff = levels[:, None] - levels[None, :]  # pred − true
    cost = np.where(diff > 0, under_cost * diff, -diff).astype(float)  # (pred, true)
    expected = probs @ cost.T  # (n, pred)
    return levels[np.argmin(expected, axis=1)]
