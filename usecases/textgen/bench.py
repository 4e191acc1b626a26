"""Text generation figures, each beside a peer measured in the same run on the same machine.

* Quality at a fixed wall-clock budget: our configuration (scaled_dot_product_attention) and a
  same-size reference with explicit-mask attention, both trained for the same seconds.
* Generation: 256 new tokens with the KV cache vs recomputing the whole context for each token
  (same weights, greedy, so both produce the same text); tokens/s and time to first token.
* Training speed of nanoGPT's small CPU configuration (0.8 M parameters, 2,000 iterations of 12 × 64).
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
    train(dataclasses.replace(Config.nanogpt_cpu(), max_iters=iters, device="cpu", eval_every_steps=10**6), data=corpus)
    figs[f"nanoGPT small CPU config, {iters} iterations (incl. final evaluation)"] = {"value": time.perf_counter() - t0, "unit": "s"}
    figs["torch threads"] = {"value": torch.get_num_threads(), "unit": "threads"}
    return figs
