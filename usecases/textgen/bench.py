"""Text generation figures, each beside a peer measured in the same run on the same machine.

* Quality at a fixed wall-clock budget: our configuration (scaled_dot_product_attention) and a
  same-size reference with explicit-mask attention, both trained for the same seconds.
* Generation: 256 new tokens with the KV cache vs recomputing the whole context for each token
  (same weights, greedy; the texts agree until the context window first fills, after which the cached
  path restarts from the last half of the window); tokens/s and time to first token.
* Training speed of nanoGPT's small CPU configuration (0.8 M parameters, 2,000 iterations of 12 × 64),
  beside a bare PyTorch loop (forward, backward, clipping, AdamW; no runner, no progress, no
  evaluation) training the same model in the same run, so the cost of our runner shows as a ratio.
"""

from __future__ import annotations

import dataclasses
import time

import torch


def bench(quick: bool = False) -> dict:
    from .corpus import pydoc_corpus
    from .generate import Sampling, complete
    from .pipeline import Config, train

    corpus = pydoc_corpus()
    budget = 6.0 if quick else 60.0
    base = Config.quick() if quick else Config.nanogpt_cpu()
    figs: dict[str, dict] = {}
    for name, sdpa in (("ours (SDPA)", True), ("reference (explicit attention)", False)):
        cfg = dataclasses.replace(base, model=dataclasses.replace(base.model, use_sdpa=sdpa), max_iters=100_000, budget_seconds=budget, device="cpu")
        t = train(cfg, data=corpus)
        figs[f"val loss after {budget:.0f} s, {name}"] = {"value": t.card["metrics"]["val_loss"], "unit": "nats/char"}
        figs[f"val bits/char after {budget:.0f} s, {name}"] = {"value": t.card["metrics"]["val_bpc"], "unit": "bits/char"}
        figs[f"iterations in {budget:.0f} s, {name}"] = {"value": t.card["model"]["iterations"], "unit": "iterations"}
        if sdpa:
            trained = t
    s = Sampling(max_new_tokens=64 if quick else 256, temperature=0.0)
    prompt = "The with statement"
    _, cached = complete(trained.stream(prompt, s, use_cache=True))
    _, full = complete(trained.stream(prompt, s, use_cache=False))
    figs["generation tokens/s with KV cache"] = {"value": cached["tokens_per_second"], "unit": "tokens/s"}
    figs["generation tokens/s recomputing the context"] = {"value": full["tokens_per_second"], "unit": "tokens/s"}
    figs["KV cache speed-up"] = {"value": cached["tokens_per_second"] / max(full["tokens_per_second"], 1e-9), "unit": "×"}
    figs["time to first token (KV cache)"] = {"value": cached["first_token_seconds"] * 1000, "unit": "ms"}
    figs["new tokens generated"] = {"value": cached["tokens"], "unit": "tokens"}
    iters = 100 if quick else 2000
    t0 = time.perf_counter()
    small = train(dataclasses.replace(Config.nanogpt_cpu(), max_iters=iters, device="cpu", eval_every_steps=10**6), data=corpus)
    total = time.perf_counter() - t0
    ours_ms = small.card["history"][-1]["seconds"] / iters * 1000
    figs[f"nanoGPT small CPU config, {iters} iterations, training"] = {"value": small.card["training_seconds"], "unit": "s"}
    figs["nanoGPT small CPU config, final evaluation (whole validation text + n-gram baseline)"] = {"value": total - small.card["training_seconds"], "unit": "s"}
    figs["ms per training iteration, our loop"] = {"value": ours_ms, "unit": "ms"}
    bare_ms = _bare_loop_ms(corpus, iters=20 if quick else 200)
    figs["ms per training iteration, bare PyTorch loop (same model and batches)"] = {"value": bare_ms, "unit": "ms"}
    figs["our loop time / bare loop time"] = {"value": ours_ms / bare_ms, "unit": "×"}
    figs["torch threads"] = {"value": torch.get_num_threads(), "unit": "threads"}
    return figs


def _bare_loop_ms(corpus, iters: int) -> float:
    """Milliseconds per iteration of the plainest training loop for the same model (after warm-up)."""
    from .gpt import GPT
    from .pipeline import Config, _batch
    from .tokenizer import CharTokenizer

    cfg = Config.nanogpt_cpu()
    tok = CharTokenizer.from_text(corpus.text)
    ids = torch.tensor(tok.encode(corpus.train), dtype=torch.long)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = GPT(dataclasses.replace(cfg.model, vocab_size=tok.vocab_size)).train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=cfg.weight_decay)
    cpu = torch.device("cpu")

    def one() -> None:
        x, y = _batch(ids, cfg.model.block_size, cfg.batch_size, gen, cpu)
        _, loss, _ = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()

    for _ in range(5):
        one()
    t = time.perf_counter()
    for _ in range(iters):
        one()
    return (time.perf_counter() - t) / iters * 1000
