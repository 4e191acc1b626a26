"""The training configuration and how a model is sized for the hardware, the corpus and a time budget.

``Config.cpu()`` is what 2 CPU cores train in about 20 minutes; ``Config.gpu()`` is the same model trained on
one GPU for 80× the tokens (the shipped checkpoint: its size is set by serving on the dashboard's CPU, and the GPU
buys tokens, not parameters). ``Config()`` leaves the size to
:func:`resolve`: the GPU size on CUDA, the CPU size on a CPU, and — when a time budget is given — the
model of a small ladder whose tokens per parameter in that budget come closest (on a log scale) to the
compute-optimal 20 (Hoffmann et al. 2022, *Training Compute-Optimal Large Language Models*), measured by a
short speed probe on this machine, with the learning-rate schedule fitted to the iterations the budget allows.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import torch

from usecases.core.device import autocast
from usecases.core.spec import ConfigMixin

from .gpt import GPT, GPTConfig

TOKENS_PER_PARAM = 20  # compute-optimal ratio (Hoffmann et al. 2022)
QUALITY_PROMPTS = 20  # budgeted runs on a user's corpus: quick to measure, and the page shows the share's wide interval
STANDARD_QUALITY_PROMPTS = 200  # the CPU and GPU configurations (the shipped model): 20 prompts had left 13 of 20 (65 %) with a
# 95 % interval of 43–82 %; 200 prompts narrow it to about ± 7 points for ≈ 90 s of generation on 2 CPU cores (README)


@dataclass(frozen=True)
class Config(ConfigMixin):
    model: GPTConfig | None = None  # None: sized by `resolve` from the hardware, the corpus and the budget
    tokenizer: str = "auto"  # "auto" (BPE above ~1 MB of training text), "bpe" or "characters"
    bpe_vocab: int = 4096
    max_iters: int = 3000
    iters_per_step: int = 50  # one runner step: a point of the live curve; the budget is checked every iteration
    eval_every_steps: int = 5
    eval_batches: int = 8
    batch_size: int = 16
    lr: float = 2e-3
    min_lr: float = 2e-4
    warmup_iters: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    ngram_orders: tuple[int, ...] = ()  # () = by tokenizer: tokens 2–5, characters 3–8; picked on training text only
    seed: int = 1337
    compile: bool = False  # torch.compile (CUDA only: it pays off for long runs on a GPU)
    store_fp16: bool = True  # weights stored as float16 (metrics are measured on the rounded weights)
    quality_prompts: int = QUALITY_PROMPTS
    budget_seconds: float | None = None
    device: str | None = None

    @classmethod
    def quick(cls) -> "Config":
        return cls(model=GPTConfig(block_size=64, n_layer=2, n_head=2, n_embd=64), tokenizer="characters", max_iters=60, iters_per_step=10,
                   eval_every_steps=3, eval_batches=4, batch_size=8, warmup_iters=10, quality_prompts=4)

    @classmethod
    def cpu(cls) -> "Config":
        """2 CPU cores: 4 × 256, 256-token context, 4,096 BPE tokens, 800 iterations of 8 × 256 tokens (≈ 1.6 M tokens).

        Sized to stay well inside 20 minutes on 2 cores; the shipped card records the time it actually took (on a machine shared with other jobs)."""
        return cls(model=GPTConfig(block_size=256, n_layer=4, n_head=4, n_embd=256), tokenizer="bpe", bpe_vocab=4096, max_iters=800,
                   batch_size=8, lr=1.5e-3, min_lr=1.5e-4, warmup_iters=100, iters_per_step=25, eval_every_steps=8, eval_batches=8,
                   quality_prompts=STANDARD_QUALITY_PROMPTS)

    @classmethod
    def gpu(cls) -> "Config":
        """One GPU — the shipped checkpoint: the CPU configuration's model (4 × 256, 256-token context, 4,096 BPE
        tokens, 4.3 M parameters) with 8,000 iterations of 64 × 256 tokens (≈ 131 M tokens, ≈ 17 epochs of the
        ~7.6 M-token corpus) instead of 800 of 8 × 256: 101 s on one H200 (bf16 autocast, fused AdamW, not compiled).
        The model stays this size because the dashboard serves it on a CPU: nanoGPT's 6 × 384 reached 1.012 bits
        per byte against this size's 1.111 in the same GPU time, at 2.9× the parameters and the CPU cost per token
        (README, "Text generation")."""
        return dataclasses.replace(cls.cpu(), batch_size=64, max_iters=8000, warmup_iters=200, iters_per_step=100, eval_every_steps=5,
                                   eval_batches=8)

    @classmethod
    def nanogpt_cpu(cls) -> "Config":
        """nanoGPT's small CPU configuration (shakespeare_char): characters, 4 layers × 128 dims, 64-char context, batch 12, 2,000 iterations."""
        return cls(model=GPTConfig(block_size=64, n_layer=4, n_head=4, n_embd=128), tokenizer="characters", max_iters=2000, batch_size=12,
                   lr=1e-3, min_lr=1e-4, iters_per_step=100, eval_every_steps=5, eval_batches=8, warmup_iters=100)

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        d = dict(d)
        m = d.pop("model", None)
        cfg = super().from_dict(d)
        if isinstance(m, dict):
            known = {f.name for f in dataclasses.fields(GPTConfig)}
            cfg = dataclasses.replace(cfg, model=GPTConfig(**{k: v for k, v in m.items() if k in known}))
        return cfg


def tokens_seen(config: dict | "Config") -> int:
    """Training tokens of a configuration (a Config or a card's ``training`` section): iterations × batch × context."""
    d = config.as_dict() if isinstance(config, Config) else config
    return int(d.get("max_iters") or 0) * int(d.get("batch_size") or 0) * int((d.get("model") or {}).get("block_size") or 0)


def retrain_note(card: dict, device: torch.device, config: "Config | None" = None) -> tuple[str, bool]:
    """What Retrain trains on ``device`` (``make train``'s choice there, or ``config`` when the deployment sets one, e.g.
    ``UCLAB_RETRAIN_CONFIG=quick``) beside what the model in service was trained with: ``(sentence, weaker)`` — ``weaker``
    when a retrain here would replace it with a model that sees far fewer tokens."""
    gpu = device.type == "cuda"
    standard = Config.gpu() if gpu else Config.cpu()
    cfg = standard if config is None or config.model is None else config  # model None: sized like the standard one
    if cfg == standard:
        what, took = f"the {'GPU' if gpu else 'CPU'} configuration", "about 2 minutes on one H200" if gpu else "about 20–40 minutes on 2 CPU cores"
    elif cfg == Config.quick():
        what, took = "the quick configuration (this deployment sets UCLAB_RETRAIN_CONFIG=quick)", "seconds; a smoke test, not a usable model"
    else:
        what, took = "the configuration this deployment sets", None
    mine = tokens_seen(cfg)
    text = (f"Retrain trains {what} on this deployment: {cfg.max_iters:,} iterations of {cfg.batch_size} × {cfg.model.block_size} tokens "
            f"({f'≈ {mine / 1e6:.1f} M' if mine >= 1e6 else f'{mine:,}'} tokens{'; ' + took if took else ''}).")
    shipped = tokens_seen(card.get("training") or {})
    if shipped > 2 * mine:
        where = (card.get("device") or {}).get("name", "another machine")
        return (text + f" The model in service saw ≈ {shipped / 1e6:.0f} M tokens on {where}: a retrain here replaces it, for every "
                f"session, with a model that sees {shipped / mine:,.0f}× fewer — expect clearly more bits per byte. The store keeps the "
                "replaced version in previous/."), True
    return text, False


def batch(data: torch.Tensor, block: int, size: int, gen: torch.Generator, device):
    """``size`` random windows of ``block`` tokens and their next-token targets, on ``device``."""
    ix = torch.randint(len(data) - block - 1, (size,), generator=gen)
    x = torch.stack([data[i : i + block] for i in ix])
    y = torch.stack([data[i + 1 : i + 1 + block] for i in ix])
    if device.type == "cuda":
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x.to(device), y.to(device)


# ---- sizing --------------------------------------------------------------------------------------

LADDER = {  # (layers, dims, heads, context, batch, lr): smallest first
    "characters": [(2, 64, 2, 64, 12, 3e-3), (4, 128, 4, 64, 12, 2e-3), (4, 192, 4, 128, 12, 1.5e-3), (6, 256, 8, 128, 12, 1e-3)],
    "bpe": [(2, 96, 2, 64, 12, 3e-3), (3, 128, 4, 128, 12, 2e-3), (4, 192, 4, 128, 12, 1.5e-3), (4, 256, 4, 256, 8, 1.5e-3)],
}


def _probe(cfg: GPTConfig, batch_size: int, train_ids: torch.Tensor, device, iters: int = 2) -> float:
    """Seconds per training iteration of ``cfg`` on this machine (after one warm-up iteration)."""
    torch.manual_seed(0)
    m = GPT(cfg).to(device).train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)

    def one():
        x, y = batch(train_ids, cfg.block_size, batch_size, gen, device)
        with autocast(device):
            _, loss, _ = m(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    one()
    t = time.perf_counter()
    for _ in range(iters):
        one()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / iters


def resolve(config: Config, kind: str, vocab_size: int, train_ids: torch.Tensor, device) -> tuple[Config, dict]:
    """The config to train: the given model, or a size picked for the hardware, corpus and budget."""
    if config.model is not None:
        return dataclasses.replace(config, model=dataclasses.replace(config.model, vocab_size=vocab_size)), {"rule": "fixed by the config"}
    if config.budget_seconds is None:
        base = Config.gpu() if device.type == "cuda" else Config.cpu()
        keep = {f.name: getattr(config, f.name) for f in dataclasses.fields(Config) if f.name in ("seed", "device", "budget_seconds")}
        cfg = dataclasses.replace(base, **keep)
        return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, vocab_size=vocab_size)), {
            "rule": f"no budget: the {'GPU' if device.type == 'cuda' else 'CPU'} configuration"}
    t0 = time.perf_counter()
    budget = config.budget_seconds
    chosen, probes = None, []
    for layers, dims, heads, block, bsz, lr in LADDER[kind]:
        block = min(block, max(16, (len(train_ids) - 2) // 4))
        g = GPTConfig(vocab_size=vocab_size, block_size=block, n_layer=layers, n_head=heads, n_embd=dims)
        spent = time.perf_counter() - t0
        sec = _probe(g, bsz, train_ids, device)
        n_params = GPT(g).n_params()
        left = budget - (time.perf_counter() - t0)
        iters = int(max(0.0, left) / sec)
        tokens = iters * bsz * block
        probes.append({"model": f"{layers}×{dims}, context {block}", "parameters": n_params, "seconds_per_iter": round(sec, 4),
                       "iterations_in_budget": iters, "tokens_per_param": round(tokens / n_params, 1)})
        # The rung whose tokens per parameter come closest to the compute-optimal ratio, on a log scale. The ratio falls
        # ~30× from one rung to the next, so "the largest rung with at least 20" (the rule until 2026-12-02) could leave a
        # 600 s budget on the 2 × 64 model at ~290 tokens per parameter, where 4 × 128 reaches ~10 and a lower loss (README).
        gap = abs(math.log(max(tokens, 1) / (TOKENS_PER_PARAM * n_params)))
        if chosen is None or gap < chosen[4]:
            chosen = (g, bsz, lr, iters, gap)
        if tokens < TOKENS_PER_PARAM * n_params or spent + sec * 4 > 0.1 * budget:
            break  # larger models only move further from the ratio, or probing eats the budget
    g, bsz, lr, iters, _ = chosen
    probe_seconds = time.perf_counter() - t0
    iters = max(10, int((budget - probe_seconds) / next(p["seconds_per_iter"] for p in probes if p["model"].startswith(f"{g.n_layer}×{g.n_embd},"))))
    cfg = dataclasses.replace(config, model=g, batch_size=bsz, lr=lr, min_lr=lr / 10, max_iters=iters, warmup_iters=max(5, min(100, iters // 10)),
                              iters_per_step=max(1, min(50, iters // 40)), eval_every_steps=4,
                              budget_seconds=max(1e-3, budget - probe_seconds))
    return cfg, {"rule": f"the model whose tokens per parameter in the budget come closest to {TOKENS_PER_PARAM} (speed probed here)",
                 "probes": probes, "probe_seconds": round(probe_seconds, 2)}
