"""Training, evaluation (val loss, bits/char, perplexity, n-gram baseline), storage and batch generation."""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from usecases.core.device import autocast, device_info, seed_everything, select_device
from usecases.core.runner import CancelToken, Progress, RunConfig, run_training
from usecases.core.spec import ConfigMixin, Report
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import Column, DataProblem, Schema, read_table, validate

from . import SPEC
from .corpus import Corpus, pydoc_corpus, read_corpus
from .generate import Sampling, complete, stream_gpt
from .gpt import GPT, GPTConfig
from .ngram import WittenBellNGram
from .tokenizer import CharTokenizer

LN2 = math.log(2)


@dataclass(frozen=True)
class Config(ConfigMixin):
    model: GPTConfig = GPTConfig(block_size=128, n_layer=4, n_head=4, n_embd=192)
    max_iters: int = 3000
    iters_per_step: int = 50  # one progress step (and one point of the live loss curve)
    eval_every_steps: int = 5
    eval_batches: int = 16
    batch_size: int = 16
    lr: float = 2e-3
    min_lr: float = 2e-4
    warmup_iters: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    ngram_order: int = 5
    seed: int = 1337
    compile: bool = False  # torch.compile (CUDA only: it pays off for long runs on a GPU)
    budget_seconds: float | None = None
    device: str | None = None

    @classmethod
    def quick(cls) -> "Config":
        return cls(model=GPTConfig(block_size=64, n_layer=2, n_head=2, n_embd=64), max_iters=60, iters_per_step=10, eval_every_steps=3,
                   eval_batches=4, batch_size=8)

    @classmethod
    def nanogpt_cpu(cls) -> "Config":
        """nanoGPT's small CPU configuration: 4 layers × 128 dims, 64-char context, batch 12, 2,000 iterations."""
        return cls(model=GPTConfig(block_size=64, n_layer=4, n_head=4, n_embd=128), max_iters=2000, batch_size=12, lr=1e-3, min_lr=1e-4,
                   iters_per_step=100, eval_every_steps=5, eval_batches=8, warmup_iters=100)


class TextModel(nn.Module):
    """The GPT plus its character vocabulary (as code points), so one safetensors file is the model."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.gpt = GPT(cfg)
        self.register_buffer("codepoints", torch.zeros(cfg.vocab_size, dtype=torch.int64))

    def store_tensors(self) -> dict[str, torch.Tensor]:
        sd = self.state_dict()
        sd.pop("gpt.head.weight")  # tied to gpt.tok.weight; safetensors stores each tensor once
        return sd


@dataclass
class Trained:
    model: TextModel
    card: dict
    corpus: Corpus | None = None
    report: Report | None = None
    extras: dict = field(default_factory=dict)

    @property
    def tokenizer(self) -> CharTokenizer:
        if "tok" not in self.extras:
            self.extras["tok"] = CharTokenizer.from_tensor(self.model.codepoints)
        return self.extras["tok"]

    def stream(self, prompt: str, sampling: Sampling, use_cache: bool = True):
        tok = self.tokenizer
        return stream_gpt(self.model.gpt, tok.encode, tok.decode, prompt, sampling, use_cache=use_cache)


def _lr_at(it: int, cfg: Config) -> float:
    """Linear warm-up, then cosine decay to ``min_lr`` (as in nanoGPT)."""
    if it < cfg.warmup_iters:
        return cfg.lr * (it + 1) / cfg.warmup_iters
    ratio = min(1.0, (it - cfg.warmup_iters) / max(1, cfg.max_iters - cfg.warmup_iters))
    return cfg.min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (cfg.lr - cfg.min_lr)


def _batch(data: torch.Tensor, block: int, batch: int, gen: torch.Generator, device):
    ix = torch.randint(len(data) - block - 1, (batch,), generator=gen)
    x = torch.stack([data[i : i + block] for i in ix])
    y = torch.stack([data[i + 1 : i + 1 + block] for i in ix])
    if device.type == "cuda":
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x.to(device), y.to(device)


@torch.no_grad()
def val_loss(model: GPT, data: torch.Tensor, block: int, batch: int = 32) -> float:
    """Mean cross-entropy (nats/char) over the whole text in non-overlapping windows of ``block``."""
    model.eval()
    device = next(model.parameters()).device
    n = (len(data) - 1) // block
    if n == 0:
        raise DataProblem("the validation text is shorter than one context window", "this corpus")
    x_all = data[: n * block].view(n, block)
    y_all = data[1 : n * block + 1].view(n, block)
    total = 0.0
    for i in range(0, n, batch):
        x, y = x_all[i : i + batch].to(device), y_all[i : i + batch].to(device)
        with autocast(device):
            logits, _, _ = model(x)
        total += float(nn.functional.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum"))
    return total / (n * block)


def train(config: Config = Config(), *, data: Corpus | None = None, progress: Progress | None = None, cancel: CancelToken | None = None) -> Trained:
    t0 = time.perf_counter()
    corpus = data if data is not None else pydoc_corpus()
    tok = CharTokenizer.from_text(corpus.text)
    mcfg = dataclasses.replace(config.model, vocab_size=tok.vocab_size)
    if len(corpus.val) < mcfg.block_size + 2 or len(corpus.train) < mcfg.block_size + 2:
        raise DataProblem(f"the corpus is too small to split with a {mcfg.block_size}-character context; add text", "this corpus")
    device = select_device(config.device)
    gen = seed_everything(config.seed)
    model = TextModel(mcfg)
    model.codepoints.copy_(tok.to_tensor())
    model.to(device)
    gpt = torch.compile(model.gpt) if (config.compile and device.type == "cuda") else model.gpt
    train_ids = torch.tensor(tok.encode(corpus.train), dtype=torch.long)
    val_ids = torch.tensor(tok.encode(corpus.val), dtype=torch.long)
    decay = [p for n, p in model.gpt.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.gpt.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=config.lr, betas=(0.9, 0.99), fused=device.type == "cuda")
    state = {"it": 0}
    steps = math.ceil(config.max_iters / config.iters_per_step)
    eval_gen = torch.Generator().manual_seed(config.seed + 1)

    def step(i: int) -> dict:
        model.gpt.train()
        losses = []
        for _ in range(min(config.iters_per_step, config.max_iters - state["it"])):
            for g in opt.param_groups:
                g["lr"] = _lr_at(state["it"], config)
            x, y = _batch(train_ids, mcfg.block_size, config.batch_size, gen, device)
            with autocast(device):
                _, loss, _ = gpt(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.gpt.parameters(), config.grad_clip)
            opt.step()
            losses.append(float(loss.detach()))
            state["it"] += 1
        return {"iter": state["it"], "train_loss": float(np.mean(losses))}

    def evaluate() -> dict:
        model.gpt.eval()
        with torch.no_grad():
            ls = []
            for _ in range(config.eval_batches):
                x, y = _batch(val_ids, mcfg.block_size, config.batch_size, eval_gen, device)
                with autocast(device):
                    _, loss, _ = model.gpt(x, y)
                ls.append(float(loss))
        return {"val_loss": float(np.mean(ls))}

    result = run_training(step, evaluate, RunConfig(max_steps=steps, eval_every=config.eval_every_steps, budget_seconds=config.budget_seconds,
                                                    monitor="val_loss", mode="min"), model=model.gpt, progress=progress, cancel=cancel)
    train_seconds = time.perf_counter() - t0
    model.to("cpu").eval()
    trained = Trained(model=model, card={}, corpus=corpus)
    report = _evaluate(trained, corpus, config.ngram_order)
    trained.report = report
    trained.card = {
        "data": {"source": corpus.source, "fingerprint": corpus.fingerprint, "split": "contiguous 90 % train / 10 % validation",
                 "train_chars": len(corpus.train), "val_chars": len(corpus.val)},
        "training": dataclasses.replace(config, model=mcfg).as_dict(),
        "model": {"architecture": "GPT (decoder-only transformer), character-level", "config": dataclasses.asdict(mcfg),
                  "parameters": model.gpt.n_params(), "iterations": state["it"], "stopped": result.stopped},
        "tokenizer": {"kind": "characters", "vocab_size": tok.vocab_size},
        "device": device_info(device).as_dict(),
        "training_seconds": round(train_seconds, 2),
        "metrics": report.model,
        "baselines": report.baselines,
        "history": [{k: v for k, v in r.items() if k in ("step", "iter", "train_loss", "val_loss", "seconds")} for r in result.history],
    }
    return trained


def _evaluate(trained: Trained, corpus: Corpus, ngram_order: int) -> Report:
    tok = CharTokenizer.from_tensor(trained.model.codepoints)
    missing = tok.unknown(corpus.val)
    if missing:
        raise DataProblem(f"the validation text has characters outside the model's vocabulary ({''.join(missing[:10])})", "this corpus")
    val_ids = torch.tensor(tok.encode(corpus.val), dtype=torch.long)
    loss = val_loss(trained.model.gpt, val_ids, trained.model.gpt.cfg.block_size)
    ng = WittenBellNGram(ngram_order).fit(corpus.train, tok.chars)
    ng_bpc = ng.bits_per_char(corpus.val)
    model_m = {"val_loss": loss, "val_bpc": loss / LN2, "val_perplexity": math.exp(loss)}
    base = {f"char_{ngram_order}gram_witten_bell": {"val_loss": ng_bpc * LN2, "val_bpc": ng_bpc, "val_perplexity": 2 ** ng_bpc}}
    return Report(usecase=SPEC.name, primary_metric=SPEC.primary_metric, model=model_m, baselines=base,
                  data={"source": corpus.source, "rows": len(corpus.text), "split": "contiguous 90 % train / 10 % validation"})


# ---- store -------------------------------------------------------------------------------------

def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    card = store.save(key or SPEC.name, trained.model.store_tensors(), {**trained.card, "parameter_count": trained.model.gpt.n_params()},
                      format_version=SPEC.format_version)
    trained.card = card
    return card


def load(store: ModelStore, key: str | None = None) -> Trained:
    def tie(tensors: dict) -> dict:  # the head shares the embedding's weights; the file holds them once
        if "gpt.tok.weight" in tensors:
            tensors["gpt.head.weight"] = tensors["gpt.tok.weight"]
        return tensors

    model, card = load_module(store, key or SPEC.name, format_version=SPEC.format_version,
                              build=lambda c: TextModel(GPTConfig(**c["model"]["config"])), tensors_hook=tie)
    model.gpt.head.weight = model.gpt.tok.weight  # keep the tie after loading
    return Trained(model=model, card=card)


def evaluate(trained: Trained, data: Corpus | None = None) -> Report:
    if data is None and trained.report is not None:
        return trained.report
    cfg = Config.from_dict(trained.card.get("training", {}))
    if data is None:
        if "reference documentation" not in trained.card["data"]["source"]:
            raise DataProblem("this model was trained on your own corpus, which the app does not keep; pass it again with --data", "this model")
        data = pydoc_corpus()
        if data.fingerprint != trained.card["data"]["fingerprint"]:
            raise DataProblem("this Python's bundled documentation differs from the one the model was trained on "
                              f"({trained.card['data']['source']}); retrain with `make train`", "this model")
        trained.report = _evaluate(trained, data, cfg.ngram_order)
        return trained.report
    return _evaluate(trained, data, cfg.ngram_order)


def read_data(raw: bytes, filename: str) -> Corpus:
    return read_corpus([(filename, raw)])


PROMPTS_SCHEMA = Schema(title="prompts file", columns=(Column("prompt", "str", description="Text to continue", example="The with statement"),),
                        min_rows=1, max_bytes=5 * 1024 * 1024)


def score_file(trained: Trained, raw: bytes, filename: str, sampling: Sampling | None = None) -> pd.DataFrame:
    """Generate a continuation for every prompt in a CSV (column ``prompt``) — the CLI ``score``."""
    df, info = read_table(raw, max_bytes=PROMPTS_SCHEMA.max_bytes, encodings=("utf-8",), subject=f"“{filename}”")
    prompts = validate(df, PROMPTS_SCHEMA, header=info.header, subject=f"“{filename}”")["prompt"].tolist()
    s = sampling or Sampling(max_new_tokens=200, temperature=0.0)
    rows = []
    for p in prompts:
        text, stats = complete(trained.stream(p, s))
        rows.append({"prompt": p, "completion": text, "tokens": stats["tokens"], "seconds": round(stats["seconds"], 3),
                     "tokens_per_second": round(stats["tokens_per_second"], 1)})
    return pd.DataFrame(rows)
