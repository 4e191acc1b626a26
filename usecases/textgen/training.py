"""Training: the nanoGPT loop (AdamW, warm-up then cosine learning rate, gradient clipping) with the time
budget checked every iteration, a live validation curve beside the n-gram's line, and a card that holds
what a person needs to trust the result. Business figures are not computed here."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import torch
from torch import nn

from usecases.core.device import autocast, device_info, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, RunConfig, TrainingCancelled, run_training
from usecases.core.spec import new_run_id
from usecases.core.tables import DataProblem

from . import quality
from .config import Config, batch, resolve
from .corpus import Corpus, shingle_sample
from .evaluation import LN2, compare, ngram_name, score, token_nats
from .model import TextModel, Trained
from .ngram import tuned_ngram
from .prep import build_tokenizer, choose_tokenizer, encode, ngram_orders


# A budgeted schedule is fitted again to at most this many times the probe's iterations. It was 2 while the schedule was
# fitted once: a 2,400 s run on the documentation whose probe ran beside a browser session (0.15 s per iteration read,
# 0.06 s run) reached that cap and ended after 1,909 s. The later refits now correct a warm-up that reads too fast.
REFIT_LIMIT = 4.0
LATER_REFITS = (0.25, 0.5, 0.75)  # shares of the budget at which it is fitted again to the speed since the last fit


def decay_progress(it: int, cfg: Config, max_iters: int | None = None, anchor: tuple[int, float] | None = None) -> float:
    """How far the cosine decay has gone at iteration ``it`` (0 → 1): linearly from ``anchor = (iteration, progress)`` —
    by default (``warmup_iters``, 0) — to 1 at ``max_iters``. A schedule fitted again mid-run anchors at the iteration it was
    fitted, so the learning rate goes on from where it was instead of jumping."""
    total = cfg.max_iters if max_iters is None else max_iters
    a_it, a_p = anchor if anchor is not None else (cfg.warmup_iters, 0.0)
    return min(1.0, a_p + (1.0 - a_p) * max(0, it - a_it) / max(1, total - a_it))


def lr_at(it: int, cfg: Config, max_iters: int | None = None, anchor: tuple[int, float] | None = None) -> float:
    """Linear warm-up, then cosine decay to ``min_lr`` over ``max_iters`` (default ``cfg.max_iters``; as in nanoGPT);
    ``anchor``: :func:`decay_progress`."""
    if it < cfg.warmup_iters:
        return cfg.lr * (it + 1) / cfg.warmup_iters
    ratio = decay_progress(it, cfg, max_iters, anchor)
    return cfg.min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (cfg.lr - cfg.min_lr)


@dataclasses.dataclass
class Prepared:
    """Everything a training loop needs before its first iteration (shared by :func:`train` and the
    data-parallel loop in :mod:`.distributed`, so both start from the same tokens, model size and seed)."""

    config: Config  # resolved: model sized, tokenizer named
    corpus: Corpus
    kind: str
    tok: object
    train_np: np.ndarray
    scored_np: np.ndarray
    train_ids: torch.Tensor
    scored_ids: torch.Tensor
    ngram: object
    ng_info: dict
    ng_bpb: float
    sizing: dict
    device: torch.device
    gen: torch.Generator
    prep_seconds: float
    bytes_per_token: float
    live_ids: torch.Tensor | None = None  # the live check's text (None: the scored text's first windows)
    live_bytes_per_token: float = 0.0
    ng_live_bpb: float = 0.0  # the n-gram on the whole live text (the curve's line is on its scored windows: ``live``)
    _live_cache: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def new_model(self) -> TextModel:
        model = TextModel(self.config.model, "characters" if self.kind == "characters" else "bpe",
                          len(self.tok.to_tensor()) if self.kind == "bpe" else 0)
        model.set_tokenizer(self.tok)
        return model

    def optimizer(self, model: TextModel) -> torch.optim.Optimizer:
        cfg = self.config
        decay = [p for p in model.gpt.parameters() if p.dim() >= 2]  # weight decay on matrices only, as in nanoGPT
        no_decay = [p for p in model.gpt.parameters() if p.dim() < 2]
        return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                                 lr=cfg.lr, betas=(0.9, 0.99), fused=self.device.type == "cuda")

    def live_windows(self, ids=None) -> int:
        """How many ``block_size`` windows of the live text the live check scores (the first ones)."""
        cfg = self.config
        ids = self.live_source if ids is None else ids
        return max(1, min(cfg.eval_batches * cfg.batch_size, (len(ids) - 1) // cfg.model.block_size))

    @property
    def live_source(self) -> torch.Tensor:
        return self.scored_ids if self.live_ids is None else self.live_ids

    @property
    def live(self) -> tuple[torch.Tensor, float, float]:
        """(token ids, bytes per token, n-gram bits per byte) of the text the live check reads: the bytes per token and the
        n-gram's figure are those of the windows it scores — the tokens ``ids[1 : windows × block_size + 1]`` — not of the whole
        text. Both had been the whole text's: on a KJV model the n-gram on the live windows read 1.777 bits per byte while its
        line read 2.134, and the GPT's points were divided by the whole text's 3.759 bytes per token instead of the windows'
        3.928, so a run could be marked past the n-gram while the n-gram was ahead on the text the curve read (2026-12-07)."""
        ids = self.live_source
        n = self.live_windows(ids) * self.config.model.block_size
        key = (id(ids), n)
        if key not in self._live_cache:
            head = ids[: n + 1].numpy()
            nbytes = int(self.tok.token_bytes()[head[1:]].sum())
            ng = float(self.ngram.token_nats(head).sum()) / LN2 / max(1, nbytes)
            self._live_cache[key] = (nbytes / max(1, len(head) - 1), ng)
        bpt, ng = self._live_cache[key]
        return ids, bpt, ng

    def choice_section(self) -> dict:
        """The card's record of what the live curve and the kept checkpoint were measured on."""
        ids, _, ng = self.live
        scored = self.live_windows(ids) * self.config.model.block_size
        if self.live_ids is None:
            return {"text": "the first windows of the scored held-out text (this corpus has no other held-out text)", "disjoint": False,
                    "ngram_bpb": ng, "scored_tokens": scored}
        return {"text": "held-out validation text outside the scored slice", "disjoint": True, "tokens": int(len(ids)), "ngram_bpb": ng,
                "scored_tokens": scored, **({"slice": self.corpus.meta["choice_slice"]} if "choice_slice" in self.corpus.meta else {})}

    def val_loss(self, gpt) -> dict:
        """Live validation: the same fixed windows every time, of the held-out text kept for this check — disjoint from the scored
        text when the corpus has such text (the stack's documentation), so choosing the kept checkpoint does not touch the
        card's figures — beside the n-gram's bits per byte on the same windows, both per byte of those windows."""
        cfg = self.config
        ids, bpt, ng = self.live
        loss = float(token_nats(gpt, ids, cfg.model.block_size, max_windows=self.live_windows(ids)).mean())
        bpb = loss / LN2 / bpt
        return {"val_loss": loss, "val_bpb": bpb, "ngram_bpb": ng, "beats_ngram": float(bpb < ng)}


def prepare(config: Config, data: Corpus | None, device=None) -> Prepared:
    """Tokenise, fit the n-gram baseline, size the model and seed — the steps before the first iteration."""
    t0 = time.perf_counter()
    if data is None:
        from .stackdocs import stack_corpus

        data = stack_corpus()
    corpus = data
    kind = choose_tokenizer(config.tokenizer, corpus)
    tok = build_tokenizer(kind, corpus, config.bpe_vocab)
    public = bool(corpus.meta.get("public"))  # only public text is cached on disk (prep.encode)
    train_np, scored_np = encode(tok, corpus.train, cache=public), encode(tok, corpus.scored_text, cache=public)
    device = device if device is not None else select_device(config.device)
    gen = seed_everything(config.seed)
    train_ids, scored_ids = torch.from_numpy(train_np), torch.from_numpy(scored_np)
    if len(train_ids) < 40 or len(scored_ids) < 20:
        raise DataProblem("the corpus is too small to split into training and validation text; add text", "this corpus")
    # The n-gram baseline: its order picked on an inner split of the training tokens, fitted on all of them.
    ngram, ng_info = tuned_ngram(train_np, tok.vocab_size, ngram_orders(config.ngram_orders, kind))
    scored_bytes = int(tok.token_bytes()[scored_np[1:]].sum())
    ng_bpb = ngram.nats(scored_np) / LN2 / scored_bytes
    config, sizing = resolve(config, kind, tok.vocab_size, train_ids, device)
    config = dataclasses.replace(config, tokenizer=kind)  # the card says which tokenizer was used, not "auto"
    fit = min(len(train_ids), len(scored_ids)) - 2
    if config.model.block_size > fit >= 16:  # a short corpus: a shorter context rather than a refusal
        config = dataclasses.replace(config, model=dataclasses.replace(config.model, block_size=fit))
    if len(train_ids) < config.model.block_size + 2 or len(scored_ids) < config.model.block_size + 2:
        raise DataProblem(f"the corpus is too small to split with a {config.model.block_size}-token context; add text", "this corpus")
    live = {}
    if corpus.choice_text:
        live_np = encode(tok, corpus.choice_text, cache=public)
        if len(live_np) >= config.model.block_size + 2:
            live_bytes = int(tok.token_bytes()[live_np[1:]].sum())
            live = {"live_ids": torch.from_numpy(live_np), "live_bytes_per_token": live_bytes / max(1, len(live_np) - 1),
                    "ng_live_bpb": ngram.nats(live_np) / LN2 / live_bytes}
    return Prepared(config, corpus, kind, tok, train_np, scored_np, train_ids, scored_ids, ngram, ng_info, ng_bpb, sizing, device, gen,
                    time.perf_counter() - t0, scored_bytes / max(1, len(scored_np) - 1), **live)


def with_config(prep: Prepared, config: Config) -> Prepared:
    """The same tokens and n-gram baseline with another fixed-size ``config``, seeded afresh — so a second
    model fitted on one corpus starts exactly as it would in a run of its own (the tokenizer and the
    n-gram are the slow part of preparing the stack's documentation)."""
    if config.model is None:
        raise ValueError("with_config needs a config with a fixed model size")
    config, sizing = resolve(config, prep.kind, prep.tok.vocab_size, prep.train_ids, prep.device)
    return dataclasses.replace(prep, config=dataclasses.replace(config, tokenizer=prep.kind), sizing=sizing, gen=seed_everything(config.seed))


def train(config: Config = Config(), *, data: Corpus | None = None, progress: Progress | None = None, cancel: CancelToken | None = None) -> Trained:
    """Fit a GPT on ``data`` (default: the stack's documentation) and score it on the held-out text."""
    t0 = time.perf_counter()
    if progress is not None:  # the bar had read "step 0 of 1" for the seconds this takes on a few MB (a sweep, 2026-12-07)
        progress(0, 1, {"step": 0, "stage": "preparing: tokenizer, n-gram baseline, model size"})
    return fit(prepare(config, data), progress=progress, cancel=cancel, t0=t0)


def fit(prep: Prepared, *, progress: Progress | None = None, cancel: CancelToken | None = None, t0: float | None = None) -> Trained:
    """The training loop on a prepared corpus, then :func:`finish`."""
    t0 = time.perf_counter() if t0 is None else t0
    config, device, gen, train_ids = prep.config, prep.device, prep.gen, prep.train_ids
    mcfg = config.model
    model = prep.new_model()
    model.to(device)
    gpt = torch.compile(model.gpt) if (config.compile and device.type == "cuda") else model.gpt
    opt = prep.optimizer(model)
    state = {"it": 0, "last_report": 0.0, "loop_start": None, "max_iters": config.max_iters}
    # A schedule fitted to the budget by the speed probe (resolve) is fitted again once, after the warm-up, to the speed
    # this run actually has: the probe times a few iterations, and a moment of load made it over-estimate the time per
    # iteration, so a run given 1,500 s ended its schedule after 1,138 (README, "How long each needs to pass the 5-gram").
    # It is fitted again at a quarter, half and three quarters of the budget to the speed since the last fit, so a run whose
    # machine gets busier (another user's training starts) or quieter after the warm-up still ends its schedule with its
    # budget: with one refit, a run whose load changed after it stopped 4 s early of 19 (README).
    refit = config.budget_seconds is not None and bool(prep.sizing.get("probes"))
    refit_at = max(config.warmup_iters, 20)
    schedule: dict = {}
    later: list[dict] = []  # the refits after the first
    state.update(anchor=None, mark=None)  # mark: (iteration, seconds since the loop began) of the last fit

    def over_budget() -> bool:
        return config.budget_seconds is not None and time.perf_counter() - state["loop_start"] >= config.budget_seconds

    def total_iters() -> int:
        """Iterations this run will do: max_iters, or the budget's share of them at the speed so far."""
        if config.budget_seconds is None or state["it"] == 0:
            return state["max_iters"]
        rate = state["it"] / max(1e-9, time.perf_counter() - state["loop_start"])
        return max(state["it"], min(state["max_iters"], int(rate * config.budget_seconds)))

    def end_at(fitted: int) -> None:
        """The schedule now ends at ``fitted``; the cosine goes on from where it is (anchored here)."""
        state["anchor"] = (state["it"], decay_progress(state["it"], config, state["max_iters"], state["anchor"]))
        state["max_iters"] = fitted

    def fit_schedule() -> None:
        elapsed = time.perf_counter() - state["loop_start"]
        planned = config.max_iters
        # 3 % under the measured speed: the evaluations between steps have not been timed yet
        fitted = int(np.clip(0.97 * state["it"] / max(elapsed, 1e-9) * config.budget_seconds, state["it"] + 1, REFIT_LIMIT * planned))
        schedule.update({"after_iterations": state["it"], "planned_iterations": planned, "fitted_iterations": fitted,
                         "seconds_per_iteration": round(elapsed / state["it"], 5)})
        state["mark"] = (state["it"], elapsed)
        if abs(fitted - planned) > 0.05 * planned:
            end_at(fitted)

    def fit_again() -> None:
        """At each of :data:`LATER_REFITS` of the budget: the iterations left fitted to the time left at the speed since the last
        fit (evaluations included), when that moves the end by more than 5 % of what was left."""
        elapsed = time.perf_counter() - state["loop_start"]
        it0, t0_ = state["mark"]
        rate = (state["it"] - it0) / max(elapsed - t0_, 1e-9)
        left = state["max_iters"] - state["it"]
        fitted = int(np.clip(state["it"] + 0.97 * rate * (config.budget_seconds - elapsed), state["it"] + 1, REFIT_LIMIT * config.max_iters))
        state["mark"] = (state["it"], elapsed)
        moved = abs(fitted - state["max_iters"]) > 0.05 * max(left, 1)
        later.append({"at_seconds": round(elapsed, 1), "after_iterations": state["it"], "seconds_per_iteration": round(1 / max(rate, 1e-9), 5),
                      "fitted_iterations": fitted if moved else state["max_iters"]})
        if moved:
            end_at(fitted)

    def step(i: int) -> dict:
        if state["loop_start"] is None:
            state["loop_start"] = time.perf_counter()
        model.gpt.train()
        losses = []
        for _ in range(min(config.iters_per_step, state["max_iters"] - state["it"])):
            if cancel is not None and cancel.cancelled:
                raise TrainingCancelled()
            if refit and not schedule and state["it"] >= refit_at:
                fit_schedule()
            elif (refit and schedule and len(later) < len(LATER_REFITS) and state["it"] - state["mark"][0] >= refit_at
                  and time.perf_counter() - state["loop_start"] >= LATER_REFITS[len(later)] * config.budget_seconds):
                fit_again()
            for g in opt.param_groups:
                g["lr"] = lr_at(state["it"], config, state["max_iters"], state["anchor"])
            x, y = batch(train_ids, mcfg.block_size, config.batch_size, gen, device)
            with autocast(device):
                _, loss, _ = gpt(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.gpt.parameters(), config.grad_clip)
            opt.step()
            losses.append(float(loss.detach()))
            state["it"] += 1
            now = time.perf_counter()
            if progress is not None and now - state["last_report"] >= 0.5:  # live progress between runner steps
                state["last_report"] = now
                progress(state["it"], total_iters(), {"step": state["it"], "iter": state["it"], "train_loss": float(np.mean(losses)),
                                                      "ngram_bpb": prep.live[2], "seconds": now - t0})
            if over_budget():  # checked every iteration: the budget is overrun by at most one iteration
                break
        return {"iter": state["it"], "train_loss": float(np.mean(losses)) if losses else float("nan"), "done": state["it"] >= state["max_iters"]}

    def relay(i: int, total: int, row: dict) -> None:  # runner steps → iterations, so the bar counts iterations
        if progress is not None:
            progress(state["it"], total_iters(), {**row, "step": state["it"], "seconds": time.perf_counter() - t0})

    result = run_training(step, lambda: prep.val_loss(model.gpt),
                          RunConfig(max_steps=math.ceil((REFIT_LIMIT if refit else 1) * config.max_iters / config.iters_per_step),
                                    eval_every=config.eval_every_steps,
                                    budget_seconds=config.budget_seconds, monitor="val_loss", mode="min"),
                          model=model.gpt, progress=relay, cancel=cancel)
    if progress is not None:  # it had stood at "step 50 of 50" with no word while the drafts were sampled and scored
        progress(state["it"], max(state["it"], 1), {"step": state["it"],
                                                    "stage": "scoring the held-out text and sampling drafts for the quality figures"})
    return finish(prep, model, result, state["it"], t0, {"schedule_refit": {**schedule, **({"later": later} if later else {})}} if schedule else None)


def finish(prep: Prepared, model: TextModel, result, iterations: int, t0: float, extra: dict | None = None) -> Trained:
    """Round the weights as stored, score the held-out text once with them, and write the card."""
    config, kind, tok, mcfg = prep.config, prep.kind, prep.tok, prep.config.model
    model.to("cpu").eval()
    if config.store_fp16:  # the card's figures are those of the stored (rounded) weights
        with torch.no_grad():
            for p in model.gpt.parameters():
                p.copy_(p.half().float())

    # Score the held-out text once with the final weights: the card's figures and the stored per-token scores.
    scores = score(model.gpt, prep.ngram, prep.scored_np)
    name = ngram_name(kind, prep.ng_info["order"])
    metrics, baselines, _ = compare(tok, scores, name)
    # a sample of the training text's 8-word runs, so text given to evaluate later can be checked for overlap with it
    trained = Trained(model=model, card={}, artefacts={**scores.as_artefacts(), "train_shingles": shingle_sample(prep.corpus.train)})
    # the drafts are written and judged before the run's time is read: taken first, "total_seconds" left out the seconds they
    # take, and the page's "done after 13 s" stood beside the card's 10 s (a walkthrough, 2026-12-07)
    drafts = quality.measure(trained, prep.corpus, ng_beaten=metrics["val_bpb"] < baselines[name]["val_bpb"], n_prompts=config.quality_prompts)
    passed = next((r for r in result.history if r.get("val_bpb") is not None and r["val_bpb"] < prep.live[2]), None)
    trained.card.update({
        "run_id": new_run_id(),  # with the data fingerprint it keys the app's cached evaluations
        "data": _data_section(prep.corpus, tok, prep.scored_np),
        "training": config.as_dict(),
        "sizing": prep.sizing,
        **(extra or {}),
        "model": {"architecture": f"GPT (decoder-only transformer), {'character' if kind == 'characters' else 'byte-level BPE'} tokens",
                  "config": dataclasses.asdict(mcfg), "parameters": model.gpt.n_params(), "iterations": iterations, "stopped": result.stopped,
                  "weights_dtype": "float16" if config.store_fp16 else "float32"},
        "tokenizer": {"kind": tok.kind, "vocab_size": tok.vocab_size, "library": _tokenizers_version() if kind == "bpe" else None,
                      "json_bytes": len(tok.to_tensor()) if kind == "bpe" else 0,
                      "train_tokens": int(len(prep.train_np)), "bytes_per_token": round(prep.bytes_per_token, 3)},
        "device": device_info(prep.device).as_dict(),
        "training_seconds": round(result.seconds, 2),
        "total_seconds": round(time.perf_counter() - t0, 2),
        "prep_seconds": round(prep.prep_seconds, 2),
        "metrics": metrics,
        "baselines": baselines,
        "ngram": {"name": name, **prep.ng_info},
        "passed_ngram_after_seconds": round(passed["seconds"], 1) if passed else None,
        "checkpoint_choice": {**prep.choice_section(), "kept_iteration": next((r.get("iter") for r in result.history
                                                                               if r.get("step") == result.best_step), None),
                              "last_iteration": iterations},
        "quality": drafts,
        "history": [{k: v for k, v in r.items() if k in ("step", "iter", "train_loss", "val_loss", "val_bpb", "seconds")} for r in result.history],
    })
    return trained


def _data_section(corpus: Corpus, tok, scored_np: np.ndarray) -> dict:
    """What the model was trained and scored on (the corpus's own description, sizes and split)."""
    meta = corpus.meta
    return {"source": corpus.source, "fingerprint": corpus.fingerprint, "split": meta.get("split", ""),
            "train_bytes": len(corpus.train.encode()), "val_bytes": len(corpus.val.encode()),
            "scored_bytes": int(tok.token_bytes()[scored_np].sum()),
            **{k: meta[k] for k in ("eval_slice", "versions", "licences", "documents", "modules", "val_modules", "val_documents",
                                    "content_sha256", "chars_by_package", "build_stats") if k in meta}}


def _tokenizers_version() -> str:
    import tokenizers

    return f"tokenizers {tokenizers.__version__}"

