"""The triage learner, behind a small interface the pipeline uses and nothing else:

* ``fit(train_df, val_df, cfg, ...) -> nn.Module`` — one model fit on ``train_df``, early-stopped and
  temperature-calibrated on ``val_df``; returns a module whose ``forward`` gives level probabilities.
* ``predict_proba(module, df) -> (n, 5)`` — batched, device-aware.
* ``Ensemble(members)`` — the average of several fitted members (the fold models of a
  cross-validated own-data run); ``build(card)`` makes an empty one of the stored shape to load into.

Three learners provide them: :class:`.model.TriageNet` (MLP + CORAL head, ``cfg.learner == "mlp"``), the
shared TabM learner (:mod:`.tabm`, ``"tabm"``) and a linear model (:mod:`.linear`, ``"linear"``);
``"blend"`` fits the first two on the same rows and averages their calibrated level probabilities
(:class:`Blend`). ``"auto"`` (the default) fits the blend and the linear model on the same rows and serves the mixture
(1 − w)·blend + w·linear whose w ∈ {0, ¼, ½, ¾, 1} fits the validation rows best — the lowest log loss, ties → the
smaller w (:func:`stack_weight`; w = 0 serves the blend alone, w = 1 the linear model alone, anything between a
:class:`Stack`) — per fold, so an ensemble of fold models may mix the three. (Before 2026-12-01 it served whichever of
the two triaged the validation rows at the lower cost, :func:`cheaper`.) ``fit`` follows
``cfg.learner``; ``predict_proba`` and ``build`` follow the module / the card, so a stored model of any kind
loads and scores.

Training drops each input field at random (``field_dropout``): a numeric field becomes missing, a
category "unknown", the complaint empty. The synthetic cohort records nearly everything, but users'
files do not; without this the model never sees "not recorded" and reads it as whatever its
untrained "unknown" embedding happens to say — in an earlier version, level 1 for most patients of
a file without a consciousness column.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from usecases.core.device import autocast, seed_everything
from usecases.core.runner import RunConfig, require_finite, run_training
from usecases.core.tables import DataProblem

from . import linear, tabm
from .linear import TriageLinear
from .metrics import log_loss, triage_cost, triage_metrics
from .model import N_LEVELS, NetConfig, TriageNet, coral_loss, decide, encode_categories, encode_numeric, tokens


class Ensemble(nn.Module):
    """Mean of the members' level probabilities (one member: the member itself)."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, *inputs) -> torch.Tensor:
        return torch.stack([m(*inputs) for m in self.members]).mean(0)

    def member(self, i: int) -> nn.Module:
        return self.members[i]

    def __len__(self) -> int:
        return len(self.members)


class Blend(nn.Module):
    """An MLP and a TabM member fit on the same rows; the mean of their level probabilities, with a temperature of its own.

    Each part is calibrated on its own, but the mean of two calibrated distributions is less confident than either,
    so ``temperature`` — fitted on the validation rows after both parts (:func:`fit_temper`) — rescales the mean's
    cumulative logits of the less urgent boundaries (3 | 4 and 4 | 5; :func:`temper` says why not the critical ones) as
    each part's own temperature rescales its logits. It lives in the card, not the weights (a model stored before it
    loads with 1, the plain mean). The two parts read different encodings of the rows, so
    it has no ``forward``: :func:`predict_proba` scores each part with its own encoding.

    On a small file each part is trained from several seeds (:func:`blend_seeds`) and the blend is the mean over all
    of them: ``pairs`` holds one (MLP, TabM) pair per seed, stored interleaved in ``parts`` (MLP₀, TabM₀, MLP₁, TabM₁, …),
    so a one-seed blend keeps the weight names it always had."""

    def __init__(self, pairs: list[tuple[TriageNet, tabm.TriageTabM]], temperature: float = 1.0):
        super().__init__()
        self.parts = nn.ModuleList([m for pair in pairs for m in pair])
        self.temperature = float(temperature)

    @property
    def seeds(self) -> int:
        return len(self.parts) // 2

    def mlps(self) -> list[TriageNet]:
        return list(self.parts[0::2])

    def tabms(self) -> list[tabm.TriageTabM]:
        return list(self.parts[1::2])


class Stack(nn.Module):
    """A blend and a linear model fit on the same rows, served as (1 − ``weight``)·blend + ``weight``·linear (level
    probabilities). The weight is chosen on the validation rows (:func:`stack_weight`) and lives in the card
    (``linear_weight``), not in the weights; the parts keep their own encodings, so it has no ``forward``."""

    def __init__(self, blend: Blend, linear_model: TriageLinear, weight: float):
        super().__init__()
        self.parts = nn.ModuleList([blend, linear_model])
        self.weight = float(weight)

    @property
    def blend(self) -> Blend:
        return self.parts[0]

    @property
    def linear(self) -> TriageLinear:
        return self.parts[1]


STACK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the linear model's share tried on the validation rows


def stack_weight(y: np.ndarray, p_blend: np.ndarray, p_linear: np.ndarray) -> tuple[float, dict[str, float]]:
    """``learner="auto"``'s rule: the linear model's share w ∈ :data:`STACK_WEIGHTS` whose mixture has the lowest mean log loss
    on the validation rows ``y`` (ties → the smaller w), and, for the card, the log loss and triage cost at the 3× rule of
    the blend, the linear model and the mixture served.

    Why a mixture chosen by log loss, not one learner chosen by cost: on a small file the choice rests on 11–60
    validation patients, the cost counts only the level each one gets (one patient moved across a boundary flips it),
    while the log loss reads every probability; and the two learners err differently, so a mixture can beat both
    (stacking: Wolpert 1992, Breiman 1996). Measured on seventeen files, the last three added only to check it (README,
    "Mixing the blend and the linear model")."""
    mixes = [(1 - w) * p_blend + w * p_linear for w in STACK_WEIGHTS]
    losses = np.array([log_loss(y, m) for m in mixes])
    i = int(np.flatnonzero(losses <= losses.min() + 1e-9)[0])
    return float(STACK_WEIGHTS[i]), {"blend_log_loss": float(losses[0]), "linear_log_loss": float(losses[-1]), "served_log_loss": float(losses[i]),
                                     "blend_cost": triage_cost(y, p_blend), "linear_cost": triage_cost(y, p_linear),
                                     "served_cost": triage_cost(y, mixes[i])}


def kind_of(member: nn.Module) -> str:
    """"blend", "linear" or "mix" (a :class:`Stack`) — a fold model of ``learner="auto"`` as the card names it."""
    return "mix" if isinstance(member, Stack) else "linear" if isinstance(member, TriageLinear) else "blend"


def _blend_part(member: nn.Module) -> Blend | None:
    return member.blend if isinstance(member, Stack) else member if isinstance(member, Blend) else None


def _linear_part(member: nn.Module) -> TriageLinear | None:
    return member.linear if isinstance(member, Stack) else member if isinstance(member, TriageLinear) else None


SEED_ROWS = 3000  # a fold with at most this many training + validation rows trains each blend part from SMALL_FILE_SEEDS seeds
SMALL_FILE_SEEDS = 3


def blend_seeds(cfg, rows: int) -> int:
    """Seeds per blend part for a fold of ``rows`` training + validation rows: ``cfg.blend_seeds`` when set, else
    :data:`SMALL_FILE_SEEDS` up to :data:`SEED_ROWS` rows and 1 above (the evidence is in the README: on a 1,000-patient
    file single seeds ranged 0.751–0.795 in κ; on five synthetic files of 1,000–2,000 patients the mean of three seeds
    triaged at a lower cost than the average single seed on every one)."""
    n = getattr(cfg, "blend_seeds", None)
    return int(n) if n is not None else (SMALL_FILE_SEEDS if rows <= SEED_ROWS else 1)


def _blend_of(net: NetConfig, tabs, temperature: float, seeds: int) -> Blend:
    return Blend([(TriageNet(net), next(tabs)) for _ in range(seeds)], temperature)


def build(card: dict) -> Ensemble:
    """An ensemble of the shape a card describes (weights are loaded into it afterwards)."""
    kind = card["model"].get("learner")
    temps = iter(card["model"].get("blend_temperature") or [])
    seeds = iter(card["model"].get("blend_seeds") or [])  # a card stored before seeds: one per blend
    if kind == "auto":
        net, tabs = NetConfig(**card["model"]["net"]), iter(tabm.build_members(card))
        heads = iter(card["model"].get("linear", {}).get("heads", []))
        weights = card["model"].get("linear_weight") or [None] * len(card["model"]["served"])  # cards before 2026-12-01: no mixtures
        members = []
        for k, w in zip(card["model"]["served"], weights):
            blend = _blend_of(net, tabs, next(temps, 1.0), next(seeds, 1)) if k in ("blend", "mix") else None
            lin = TriageLinear(next(heads)) if k in ("linear", "mix") else None
            members.append(Stack(blend, lin, w) if k == "mix" else blend if blend is not None else lin)
        return Ensemble(members)
    if kind == "tabm":
        return Ensemble(tabm.build_members(card))
    if kind == "linear":
        return Ensemble([TriageLinear(h) for h in card["model"]["linear"]["heads"]])
    if kind == "blend":
        net, tabs = NetConfig(**card["model"]["net"]), iter(tabm.build_members(card))
        n_blends = len(card["model"].get("blend_seeds") or card["model"]["tabular"])
        return Ensemble([_blend_of(net, tabs, next(temps, 1.0), next(seeds, 1)) for _ in range(n_blends)])
    net = NetConfig(**card["model"]["net"])
    return Ensemble([TriageNet(net) for _ in range(int(card["model"].get("members", 1)))])


def describe(members: list[nn.Module], cfg) -> dict:
    """The card's model section for these fitted members."""
    if getattr(cfg, "learner", None) == "auto":
        return _describe_auto(members, cfg)
    if isinstance(members[0], tabm.TriageTabM):
        return tabm.describe(members)
    if isinstance(members[0], TriageLinear):  # learner="linear" alone (it had been described, and rebuilt, as the MLP)
        return {"architecture": f"{LINEAR_NAME}: " + linear.describe(_chosen_by(members))
                                + (f"; ensemble of the {len(members)} fold models" if len(members) > 1 else ""),
                "learner": "linear", "linear": _linear_record(members), "members": len(members)}
    if isinstance(members[0], Blend):
        t = tabm.describe([m.parts[1] for m in members])
        return {**t, "architecture": "mean of two learners fit on the same rows — (1) MLP over vitals, category embeddings and "
                                     "hashed complaint n-grams, (2) " + t["architecture"].replace("; ensemble of", "; ensemble of both over")
                                     + "; their mean's less urgent boundaries (levels 3 | 4, 4 | 5) temperature-calibrated on the validation rows"
                                     + _seeds_phrase(members, cfg),
                "learner": "blend", "net": dataclasses.asdict(cfg.net), **_blend_record(members)}
    return {"architecture": "MLP over vitals, category embeddings and hashed complaint n-grams; CORAL ordinal head; "
                            "temperature-calibrated" + (f"; ensemble of the {len(members)} fold models" if len(members) > 1 else ""),
            "learner": "mlp-coral", "net": dataclasses.asdict(cfg.net), "members": len(members)}


BLEND_NAME = "MLP + TabM blend"
LINEAR_NAME = "linear model"


def _describe_auto(members: list[nn.Module], cfg) -> dict:
    served = [kind_of(m) for m in members]
    blends = [b for b in (_blend_part(m) for m in members) if b is not None]
    lins = [x for x in (_linear_part(m) for m in members) if x is not None]
    t = tabm.describe([m.parts[1] for m in blends]) if blends else {"architecture": ""}
    k = len(served)
    n = {kind: served.count(kind) for kind in ("blend", "linear", "mix")}
    fold = "the fold" if k == 1 else "each fold"
    blend_what = (f"{BLEND_NAME}: mean of (1) an MLP over vitals, category embeddings and hashed complaint n-grams and (2) "
                  + t["architecture"].split("; ensemble of")[0] + "; their mean's less urgent boundaries (levels 3 | 4, 4 | 5) "
                  "temperature-calibrated on the validation rows" + _seeds_phrase(blends, cfg))
    if n["blend"] == k:
        what = blend_what
    elif n["linear"] == k:
        what = f"{LINEAR_NAME}: " + linear.describe(_chosen_by(lins))
    else:
        weights = sorted({getattr(m, "weight", None) for m in members if isinstance(m, Stack)})
        parts = [f"{BLEND_NAME} alone in {n['blend']}" if n["blend"] else "", f"{LINEAR_NAME} alone in {n['linear']}" if n["linear"] else "",
                 (f"a mixture of the two in {n['mix']} (the {LINEAR_NAME}'s share " + ", ".join(share_label(w) for w in weights) + ")") if n["mix"] else ""]
        what = f"{'; '.join(p for p in parts if p)} of {k} folds" + (f" (the {blend_what})" if blends else "")
    if all("chosen_by" not in (getattr(m, "selection", None) or {"chosen_by": 1}) for m in members):  # a card before 2026-12-01
        rule = (f"per fold, whichever of the {BLEND_NAME} and the {LINEAR_NAME} (both fit on {fold}'s rows) triaged the validation "
                "patients at the lower cost (3 per level of under-triage, 1 per level over; ties → the blend)")
    else:
        rule = (f"per fold, the mixture (1 − w) × the {BLEND_NAME} + w × the {LINEAR_NAME}, both fit on {fold}'s rows, with the w in "
                f"{{{', '.join(share_label(w) for w in STACK_WEIGHTS)}}} that fitted the validation patients best (lowest log loss; ties → the smaller w)")
    if any((s or {}).get("inner_cv_rows") for s in (getattr(m, "selection", None) for m in members)):
        rule += f", counting also out-of-fold predictions of the training patients ({INNER_FOLDS} inner folds; a small file)"
    by = _chosen_by(lins)
    if lins and by != "validation" and by not in what:
        rule += f"; the {LINEAR_NAME}'s head and L2 strength chosen by {by} on {fold}'s training + validation rows"
    return {"architecture": f"{what} — {rule}" + (f"; ensemble of the {k} fold models" if k > 1 else ""),
            "learner": "auto", "served": served, "net": dataclasses.asdict(cfg.net),
            "linear": _linear_record(lins),
            "linear_weight": [0.0 if s == "blend" else 1.0 if s == "linear" else m.weight for s, m in zip(served, members)],
            **_blend_record(blends),
            "selection": [getattr(m, "selection", None) for m in members], "members": k}


def _chosen_by(lins: list) -> str:
    """How the linear fits chose their head and C: "validation", "N-fold inner cross-validation" or both, in fold order."""
    return " / ".join(dict.fromkeys(getattr(m, "chosen_by", "validation") for m in lins)) or "validation"


def _linear_record(lins: list) -> dict:
    return {"heads": [m.head for m in lins], "c": [float(m.c) for m in lins],
            "chosen_by": [getattr(m, "chosen_by", "validation") for m in lins]}


def share_label(w: float) -> str:
    """The linear model's share as the page writes it: 0, ¼, ½, ¾, 1."""
    return {0.0: "0", 0.25: "¼", 0.5: "½", 0.75: "¾", 1.0: "1"}.get(w, f"{w:g}")


def _blend_record(blends: list[Blend]) -> dict:
    """What rebuilds the blends (:func:`build`): every TabM part's settings in order, each blend's temperature and seeds."""
    return {"tabular": [t.config for b in blends for t in b.tabms()], "blend_temperature": [b.temperature for b in blends],
            "blend_seeds": [b.seeds for b in blends]}


def _seeds_phrase(blends: list[Blend], cfg) -> str:
    n = max((b.seeds for b in blends), default=1)
    small = " (a small file)" if getattr(cfg, "blend_seeds", None) is None else ""
    return "" if n == 1 else f"; each part trained from {n} seeds and averaged{small}"


def _first(module: nn.Module) -> nn.Module:
    return module.members[0] if isinstance(module, Ensemble) and len(module) else module


class Encoded:
    """A frame's inputs as tensors, encoded once (text tokens kept per row for batching)."""

    def __init__(self, df: pd.DataFrame):
        self.num = encode_numeric(df)
        self.cats = encode_categories(df)
        self.tok = [np.asarray(tokens(t), dtype=np.int64) for t in df["complaint"].fillna("")]

    def __len__(self) -> int:
        return len(self.tok)

    def batch(self, idx: np.ndarray, drop: float = 0.0, gen: torch.Generator | None = None):
        num, cats = self.num[idx].clone(), self.cats[idx].clone()
        tok = [self.tok[i] for i in idx]
        if drop > 0:
            num[torch.rand(num.shape, generator=gen) < drop] = float("nan")
            cats[torch.rand(cats.shape, generator=gen) < drop] = 0
            gone = (torch.rand(len(idx), generator=gen) < drop).numpy()
            tok = [np.zeros(1, np.int64) if g else t for t, g in zip(tok, gone)]
        lens = np.array([len(t) for t in tok])
        offsets = torch.as_tensor(np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else np.zeros(0, np.int64))
        ids = torch.as_tensor(np.concatenate(tok) if tok else np.zeros(0, np.int64))
        return num, cats, ids, offsets


def _to(device, *xs):
    return [x.to(device) for x in xs]


@torch.no_grad()
def predict_proba(module: nn.Module, df: pd.DataFrame | Encoded, batch: int = 4096) -> np.ndarray:
    if isinstance(module, Ensemble) and (len({type(m) for m in module.members}) > 1 or isinstance(_first(module), Stack)):
        return np.mean([predict_proba(m, df, batch) for m in module.members], axis=0)  # fold models of different learners, or mixtures
    if isinstance(module, Stack):
        if not isinstance(df, pd.DataFrame):
            raise TypeError("a mixture scores data frames (each part encodes the rows itself)")
        return (1 - module.weight) * predict_proba(module.blend, df, batch) + module.weight * linear.predict_proba(module.linear, df, batch)
    first = _first(module)
    if isinstance(first, TriageLinear):
        if not isinstance(df, pd.DataFrame):
            raise TypeError("the linear model scores data frames (it encodes the rows itself)")
        return linear.predict_proba(module, df, batch)
    if isinstance(first, tabm.TriageTabM):
        return tabm.predict_proba(module, df, batch)
    if isinstance(first, Blend):  # each part scores with its own encoding, each member's mean gets its own temperature
        if not isinstance(df, pd.DataFrame):
            raise TypeError("a blend scores data frames (its TabM part encodes the rows itself)")
        blends = module.members if isinstance(module, Ensemble) else [module]
        enc, tab_enc = Encoded(df), tabm.encode(df)
        return np.mean([temper((np.mean([predict_proba(m, enc, batch) for m in b.mlps()], axis=0)
                                + np.mean([tabm.predict_proba(t, df, batch, tab_enc) for t in b.tabms()], axis=0)) / 2,
                               b.temperature) for b in blends], axis=0)
    module.eval()
    device = next(module.parameters()).device
    enc = df if isinstance(df, Encoded) else Encoded(df)
    out = []
    for i in range(0, len(enc), batch):
        inputs = _to(device, *enc.batch(np.arange(i, min(i + batch, len(enc)))))
        with autocast(device):
            p = module(*inputs)
        out.append(p.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, N_LEVELS))


def fit(train_df: pd.DataFrame, val_df: pd.DataFrame, cfg, device, *, progress=None, cancel=None, step_offset: int = 0,
        total_steps: int | None = None, history: list | None = None, budget: float | None = None) -> nn.Module:
    """One model fit on ``train_df`` (``cfg.learner``: "mlp" → :class:`TriageNet`, "tabm" → :mod:`.tabm`);
    early stopping on validation loss, then a temperature."""
    kw = dict(progress=progress, cancel=cancel, step_offset=step_offset, total_steps=total_steps, history=history, budget=budget)
    kind = getattr(cfg, "learner", "mlp")
    if kind == "auto":
        return _fit_auto(train_df, val_df, cfg, device, **kw)
    if kind == "linear":
        return linear.fit(train_df, val_df, cfg, device, cancel=cancel, select=getattr(cfg, "linear_select", "validation"),
                          progress=_linear_progress(progress, step_offset, total_steps))
    if kind == "tabm":
        return tabm.fit(train_df, val_df, cfg, device, **kw)
    if kind == "blend":  # both parts on the same rows, from each seed; every part gets its share of the progress steps and time
        seeds = blend_seeds(cfg, len(train_df) + len(val_df))
        share, h_mlp, h_tabm, pairs = 1 / (2 * seeds), [], [], []
        for j in range(seeds):
            c = dataclasses.replace(cfg, seed=cfg.seed + j)
            part = {**kw, "budget": None if budget is None else budget * share}
            mlp = _fit_mlp(train_df, val_df, c, device, **{**part, "progress": _scaled(progress, step_offset, share, 2 * j * share * cfg.max_epochs),
                                                            "history": h_mlp if j == 0 else None})
            t = tabm.fit(train_df, val_df, c, device, **{**part, "progress": _scaled(progress, step_offset, share, (2 * j + 1) * share * cfg.max_epochs),
                                                          "history": h_tabm if j == 0 else None})
            pairs.append((mlp, t))
        if history is not None:  # the first seed's curve of each part, labelled (the page draws them apart)
            history += [{**r, "part": "MLP"} for r in h_mlp] + [{**r, "part": "TabM"} for r in h_tabm]
        blend = Blend(pairs).to(next(pairs[0][0].parameters()).device)
        blend.temperature = round(fit_temper(val_df["level"].to_numpy(int), predict_proba(blend, val_df)), 4)  # as the card stores it
        return blend
    if kind != "mlp":
        raise ValueError(f"unknown learner {cfg.learner!r}; known: auto, blend, mlp, tabm, linear")
    return _fit_mlp(train_df, val_df, cfg, device, **kw)


INNER_CV_ROWS = 500  # choose_by="inner_cv": files with at most this many training + validation rows
INNER_FOLDS = 5


def _fit_auto(train_df: pd.DataFrame, val_df: pd.DataFrame, cfg, device, **kw) -> nn.Module:
    """The blend and the linear model on the same rows, served in the mixture that fits the validation rows best
    (:func:`stack_weight`): the blend alone, the linear model alone (the other is dropped) or a :class:`Stack`.
    With ``cfg.choose_by == "inner_cv"`` and a small file, the choice also counts out-of-fold predictions for every training
    row (both learners refit on :data:`INNER_FOLDS` inner folds of ``train_df``, early-stopped on ``val_df``), so it
    rests on all the fold's rows instead of its few validation rows. The served module carries ``selection`` (the weight,
    the log losses and triage costs of both learners and of the mixture served) for the card."""
    blend = fit(train_df, val_df, dataclasses.replace(cfg, learner="blend"), device, **kw)
    tell = _linear_progress(kw.get("progress"), kw.get("step_offset", 0) + cfg.max_epochs, kw.get("total_steps"))
    lin = linear.fit(train_df, val_df, cfg, device, cancel=kw.get("cancel"), select=getattr(cfg, "linear_select", "validation"),
                     progress=tell).to(next(blend.parameters()).device)
    y = val_df["level"].to_numpy(int)
    p_blend, p_lin = predict_proba(blend, val_df), linear.predict_proba(lin, val_df)
    inner = getattr(cfg, "choose_by", "validation") == "inner_cv" and len(train_df) + len(val_df) <= INNER_CV_ROWS
    if inner:
        ys, pb, pl = [y], [p_blend], [p_lin]
        order = np.random.default_rng(cfg.seed).permutation(len(train_df))
        for j, held in enumerate(np.array_split(order, INNER_FOLDS)):
            if tell is not None:  # no steps of its own (a measured option, not the default): the bar says what runs
                tell(1.0, f"choosing the blend / linear mixture: inner fold {j + 1} of {INNER_FOLDS}, both learners refit")
            rest, out = train_df.iloc[np.setdiff1d(order, held)], train_df.iloc[held]
            b = fit(rest, val_df, dataclasses.replace(cfg, learner="blend"), device, cancel=kw.get("cancel"))
            lk = linear.fit(rest, val_df, cfg, device, cancel=kw.get("cancel"), select=getattr(cfg, "linear_select", "validation"))
            ys.append(out["level"].to_numpy(int))
            pb.append(predict_proba(b, out))
            pl.append(linear.predict_proba(lk, out))
        y, p_blend, p_lin = np.concatenate(ys), np.concatenate(pb), np.concatenate(pl)
    w, scores = stack_weight(y, p_blend, p_lin)
    kept = blend if w == 0 else lin if w == 1 else Stack(blend, lin, w)
    kept.selection = {"validation_rows": int(len(val_df)), "chosen_by": "log loss", "linear_weight": w,
                      **{k: round(v, 4) for k, v in scores.items()}, "served": kind_of(kept),
                      **({"inner_cv_rows": int(len(y) - len(val_df))} if inner else {})}
    return kept


def cheaper(y: np.ndarray, p_blend: np.ndarray, p_linear: np.ndarray) -> tuple[str, dict[str, float]]:
    """``learner="auto"``'s rule before 2026-12-01 (the benchmarks still measure it): ("linear" or "blend", both mean
    validation triage costs) — the linear model serves only when it is strictly cheaper; ties → the blend."""
    costs = {"blend": triage_cost(y, p_blend), "linear": triage_cost(y, p_linear)}
    return ("linear" if costs["linear"] < costs["blend"] - 1e-9 else "blend"), costs


# The steps a fold's linear model fills on the progress bar, after the networks' epochs (its fits are not epochs: a share of
# its paths of fits — with inner cross-validation 11 on a small file, each a few seconds — moves the bar by this many steps).
LINEAR_STEPS = 10


def fold_steps(cfg) -> int:
    """The progress steps of one fold's model: the networks' epochs and, where a linear model is fit, :data:`LINEAR_STEPS`."""
    kind = getattr(cfg, "learner", "mlp")
    return (cfg.max_epochs if kind != "linear" else 0) + (LINEAR_STEPS if kind in ("auto", "linear") else 0)


def _linear_progress(progress, offset: int, total: int | None):
    """``linear.fit``'s ``progress(done, what)`` on the fold's bar: steps ``offset`` … ``offset + LINEAR_STEPS``."""
    if progress is None:
        return None
    return lambda done, what: progress(offset + round(done * LINEAR_STEPS), total or offset + LINEAR_STEPS, {"stage": what})


def _scaled(progress, offset: int, share: float, start: float):
    """A progress callback for one part of a blend: its steps count ``share`` of the fold's, after ``start``."""
    if progress is None:
        return None
    return lambda s, t, row: progress(offset + round(start + (s - offset) * share), t, row)


def _fit_mlp(train_df: pd.DataFrame, val_df: pd.DataFrame, cfg, device, *, progress=None, cancel=None, step_offset: int = 0,
             total_steps: int | None = None, history: list | None = None, budget: float | None = None) -> TriageNet:
    gen = seed_everything(cfg.seed)
    model = TriageNet(cfg.net)
    tr, va = Encoded(train_df), Encoded(val_df)
    model.fit_scaler(tr.num)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    # One-cycle schedule (warm-up, then cosine decay over the epoch budget): reaches a good fit in
    # far fewer epochs than a constant rate; early stopping still picks the best epoch.
    # Small files: smaller batches, so a few hundred rows still get enough optimisation steps per epoch.
    batch = int(min(cfg.batch_size, max(16, len(tr) // 16)))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.max_epochs * -(-len(tr) // batch), pct_start=0.1)
    y_tr = torch.as_tensor(train_df["level"].to_numpy(np.int64, copy=True))
    y_va = val_df["level"].to_numpy(int, copy=True)
    n = len(tr)

    def step(i: int) -> dict:
        model.train()
        perm = torch.randperm(n, generator=gen).numpy()
        total = 0.0
        for b in range(0, n, batch):
            idx = perm[b : b + batch]
            inputs = _to(device, *tr.batch(idx, cfg.field_dropout, gen))
            with autocast(device):
                logits = model.logits(*inputs).float()
            loss = coral_loss(logits, y_tr[idx].to(device))
            require_finite(loss)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        return {"train_loss": total / n}

    def evaluate() -> dict:
        model.eval()
        with torch.no_grad():
            val_loss = float(coral_loss(model.logits(*_to(device, *va.batch(np.arange(len(va))))).float(),
                                        torch.as_tensor(y_va, device=device)))
        if not math.isfinite(val_loss):
            raise DataProblem("training diverged (the validation loss is not a finite number); nothing was saved", "this training run")
        m = triage_metrics(y_va, decide(predict_proba(model, va), 3.0))
        return {"val_loss": val_loss, "val_kappa": m["kappa_linear"]}

    def prog(s, t, row):
        row = {**row, "step": step_offset + s}
        if history is not None:
            history.append(row)
        if progress is not None:
            progress(step_offset + s, total_steps or t, row)

    run_training(step, evaluate, RunConfig(max_steps=cfg.max_epochs, patience=cfg.patience, monitor="val_loss", mode="min", budget_seconds=budget),
                 model=model, progress=prog, cancel=cancel)
    _fit_temperature(model, va, y_va, device)
    model.eval()
    return model


def _fit_temperature(model: TriageNet, va: Encoded, y_va: np.ndarray, device) -> None:
    """Temperature scaling of the cumulative logits on the validation rows (Guo et al. 2017)."""
    with torch.no_grad():
        lg = model.logits(*_to(device, *va.batch(np.arange(len(va))))).float()
    k = torch.arange(1, N_LEVELS, device=lg.device)[None, :]
    target = (torch.as_tensor(y_va, device=lg.device)[:, None] > k).float()
    log_t = torch.zeros(1, requires_grad=True, device=lg.device)
    opt_t = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        opt_t.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(lg / log_t.exp(), target)
        loss.backward()
        return loss

    opt_t.step(closure)
    t = float(log_t.detach().exp().clamp(0.25, 4.0))
    model.temperature.fill_(t if math.isfinite(t) else 1.0)


LESS_URGENT = (2, 3)  # the cumulative logits a blend's temperature rescales: P(level > 3) and P(level > 4), columns 2 and 3


def _cumulative_logits(p: np.ndarray) -> np.ndarray:
    gt = np.clip(1.0 - np.cumsum(p, axis=1)[:, :-1], 1e-7, 1 - 1e-7)
    return np.log(gt / (1 - gt))


def temper(p: np.ndarray, t: float, boundaries: tuple[int, ...] = LESS_URGENT) -> np.ndarray:
    """Level probabilities (n, 5) with the cumulative logits of the less urgent boundaries — logit P(level > 3) and
    logit P(level > 4) — divided by ``t`` (t < 1 sharpens), the others as they are.

    Why not all four: the mean of two calibrated learners is less confident than either, and a temperature on every
    boundary (fitted on the validation rows: 0.5–1.0 on the benchmark's files) lowered over-triage and raised κ on every
    synthetic file, but also raised the under-triage of levels 1–2 on small files (1,500 patients: 14.0 % →
    16.2 %) — at the critical boundaries the blend's doubt errs towards the safe side, and that is kept. Whether a
    level-1 or -2 patient is put at 1–2 depends only on P(level ≤ 2), which this leaves alone. ``boundaries``: the
    columns of the four cumulative logits to rescale (``(0, 1, 2, 3)``, all of them, is the variant measured against it)."""
    if t == 1.0:
        return p
    gt = np.clip(1.0 - np.cumsum(p, axis=1)[:, :-1], 0.0, 1.0)  # P(level > k); the other boundaries keep exactly these
    b = list(boundaries)
    gt[:, b] = 1.0 / (1.0 + np.exp(-_cumulative_logits(p)[:, b] / t))
    gt = np.minimum.accumulate(gt, axis=1)  # P(level > k) stays non-increasing in k
    upper = np.concatenate([np.ones((len(p), 1)), gt], axis=1)
    lower = np.concatenate([gt, np.zeros((len(p), 1))], axis=1)
    return np.clip(upper - lower, 0.0, None)


def fit_temper(y: np.ndarray, p: np.ndarray, boundaries: tuple[int, ...] = LESS_URGENT) -> float:
    """The temperature (0.25 … 4) for :func:`temper` that minimises the binary cross-entropies of P(level > 3) and
    P(level > 4) (or of ``boundaries``) — the CORAL loss of the boundaries it rescales — on the rows ``y``; 1 with fewer
    than 10 rows, or when every row lies on one side of those boundaries (a file whose levels are 1–3 only)."""
    from scipy.optimize import minimize_scalar

    y = np.asarray(y, int)
    target = (y[:, None] > np.arange(1, N_LEVELS)[None, :])[:, list(boundaries)]
    if len(y) < 10 or target.all() or not target.any():
        return 1.0
    z = _cumulative_logits(p)[:, list(boundaries)]

    def loss(log_t: float) -> float:
        s = z / math.exp(log_t)
        return float(np.where(target, np.logaddexp(0, -s), np.logaddexp(0, s)).sum(1).mean())

    r = minimize_scalar(loss, bounds=(math.log(0.25), math.log(4.0)), method="bounded", options={"xatol": 1e-4})
    return float(math.exp(r.x)) if r.success and math.isfinite(r.x) else 1.0
