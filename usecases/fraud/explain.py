"""Per-feature attributions for one transaction: integrated gradients (Sundararajan et al. 2017) via captum."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
from captum.attr import IntegratedGradients

from .features import LABELS


def attributions(proba: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray, baseline: np.ndarray, features, steps: int = 64) -> pd.DataFrame:
    """Contribution of each feature to ``p(x) − p(baseline)`` (they sum to it up to IG's error).

    ``proba`` maps a (n, features) tensor to fraud probabilities and must be differentiable (e.g.
    ``FoldEnsemble.torch_proba``)."""
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32)[None])
    bt = torch.as_tensor(np.asarray(baseline, dtype=np.float32)[None])
    ig = IntegratedGradients(lambda inp: proba(inp))
    attr, delta = ig.attribute(xt, baselines=bt, n_steps=steps, return_convergence_delta=True)
    a = attr[0].detach().numpy()
    df = pd.DataFrame({"feature": list(features), "label": [LABELS.get(f, f) for f in features], "value": np.asarray(x, float), "attribution": a})
    df.attrs["convergence_delta"] = float(delta.abs().item())
    with torch.no_grad():
        df.attrs["score"] = float(proba(xt).item())
        df.attrs["baseline_score"] = float(proba(bt).item())
    return df.reindex(df["attribution"].abs().sort_values(ascending=False).index).reset_index(drop=True)
