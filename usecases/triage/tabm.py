"""The shared tabular learner (TabM over piecewise-linear embeddings, :mod:`usecases.core.tabular`) as a
triage learner, behind the same three things as the MLP (:mod:`.learner` dispatches to it):
``fit(train_df, val_df, cfg, device, ...) -> TriageTabM``, ``predict_proba(module, df)`` and a module
rebuilt from the card (``build``).

Inputs: the eight vitals as numbers (missing stays missing: TabM's preprocessing imputes and adds an
indicator), sex / arrival / AVPU as categories (a value outside the scale counts as not recorded), the
complaint as the same hashed word and character-trigram ids the MLP reads, averaged by an
``EmbeddingBag``. Ordinal head: CORAL cumulative logits, temperature-calibrated on ``val_df`` — the rows
the peers are tuned on.

Field dropout (``cfg.field_dropout``) is TabularLearner's: while training, each field of a row is hidden
at that rate — a number becomes missing with its indicator on, a category unknown, the complaint
empty — so a file that never recorded a field is read as "not recorded" (see :mod:`.learner`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from usecases.core.tabular import Overrides, TabularLearner, TabularNet, hash_categories, pad_bags

from .model import CATEGORIES, N_BUCKETS, N_LEVELS, encode_numeric, tokens


@dataclass(frozen=True)
class TabMConfig(Overrides):
    """Settings of the triage TabM learner; ``None`` follows :func:`usecases.core.tabular.auto_sizes`."""


class TriageTabM(nn.Module):
    """A fitted :class:`TabularNet` over encoded triage rows: ``forward(num, cat_hash, bag_ids)`` → (n, 5)."""

    def __init__(self, config: dict):
        super().__init__()
        self.net = TabularNet(config)

    @property
    def config(self) -> dict:
        return self.net.config

    def forward(self, num: torch.Tensor, cat_hash: torch.Tensor, bag_ids: torch.Tensor) -> torch.Tensor:
        return self.net(num, cat_hash, bag_ids)


def encode(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(numbers (n, 8) with NaN for not recorded, category codes (n, 3), padded token ids (n, L))."""
    num = encode_numeric(df).numpy()
    cats = []
    for name, values in CATEGORIES.items():
        col = df[name] if name in df else pd.Series([None] * len(df), index=df.index)
        cats.append(col.map(lambda v, ok=frozenset(values): v if v in ok else None).to_numpy(object))
    cat_hash = hash_categories(np.stack(cats, axis=1) if len(df) else np.zeros((0, len(CATEGORIES)), object))
    bags = pad_bags([tokens(t) for t in df["complaint"].fillna("")] if "complaint" in df else [[0]] * len(df), len(df))
    return num.astype(np.float32), cat_hash.reshape(len(df), len(CATEGORIES)), bags


@torch.no_grad()
def predict_proba(module: nn.Module, df: pd.DataFrame, batch: int = 4096, encoded: tuple | None = None) -> np.ndarray:
    """Level probabilities (n, 5); ``encoded``: :func:`encode` (df) when the caller has it already."""
    module.eval()
    device = next(module.parameters()).device
    num, cats, bags = encode(df) if encoded is None else encoded
    out = []
    for i in range(0, len(df), batch):
        sl = slice(i, i + batch)
        out.append(module(*(torch.from_numpy(a[sl]).to(device) for a in (num, cats, bags))).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, N_LEVELS))


def fit(train_df: pd.DataFrame, val_df: pd.DataFrame, cfg, device, *, progress=None, cancel=None, step_offset: int = 0,
        total_steps: int | None = None, history: list | None = None, budget: float | None = None) -> TriageTabM:
    """One TabM fit on ``train_df``; early-stopped and temperature-calibrated on ``val_df``."""
    both = pd.concat([train_df, val_df], ignore_index=True)
    num, cats, bags = encode(both)
    y = both["level"].to_numpy(int) - 1
    settings = getattr(cfg, "tabm", TabMConfig())
    learner = TabularLearner("ordinal", N_LEVELS, bag_buckets=N_BUCKETS, field_dropout=float(cfg.field_dropout), seed=cfg.seed,
                             device=None if device is None else str(device), budget_seconds=budget, **settings.overrides())
    per_member = cfg.max_epochs  # the pipeline counts cfg.max_epochs steps per fold; TabM's own count is rescaled to it

    def prog(s: int, t: int, row: dict) -> None:
        if history is not None:
            history.append({**row, "step": step_offset + s})
        if progress is not None:
            progress(step_offset + min(per_member, round(s * per_member / max(t, 1))), total_steps or per_member, row)

    learner.fit(num, y, cats, bags, val_rows=np.arange(len(train_df), len(both)), progress=prog, cancel=cancel)
    module = TriageTabM(learner.config_dict())
    module.net.load_state_dict(learner.net_.state_dict())
    return module.eval()


def describe(members: list[TriageTabM]) -> dict:
    """The card's model section: enough to rebuild every member (:func:`build_members`)."""
    c = members[0].config
    return {"architecture": f"TabM-mini (k = {c['k']}, {c['n_blocks']} × {c['d_block']}) over piecewise-linear embeddings of the "
                            "vitals with tree-split bin edges, category one-hots and hashed complaint n-grams; CORAL ordinal head; "
                            "temperature-calibrated" + (f"; ensemble of the {len(members)} fold models" if len(members) > 1 else ""),
            "learner": "tabm", "tabular": [m.config for m in members], "members": len(members)}


def build_members(card: dict) -> list[TriageTabM]:
    return [TriageTabM(c) for c in card["model"]["tabular"]]
