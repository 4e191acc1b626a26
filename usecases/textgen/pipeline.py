"""Training, evaluation (bits per byte beside a tuned n-gram), quality figures, storage and batch generation.

Sizes: ``Config.cpu()`` is what 2 CPU cores train in about 20 minutes, ``Config.gpu()`` a GPT-2-small-
style model for one GPU (bf16 autocast, fused AdamW, ``torch.compile``). ``Config()`` leaves the size to
:func:`resolve`: the GPU size on CUDA, the CPU size on a CPU, and — when a time budget is given — the
largest model of a small ladder that can see about 20 tokens per parameter (Hoffmann et al. 2022,
*Training Compute-Optimal Large Language Models*) in that budget, measured by a short speed probe on
this machine, with the learning-rate schedule fitted to the iterations the budget allows.
"""

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
from usecases.core.runner import CancelToken, Progress, RunConfig, TrainingCancelled, run_training
from usecases.core.spec import ConfigMixin, Report
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import Column, DataProblem, Schema, read_table, validate

from . import SPEC
from . import quality as q
from .corpus import Corpus, read_corpus, stack_corpus, stack_fingerprint, stack_versions
from .generate import Sampling, complete, stream_gpt
from .gpt import GPT, GPTConfig
from .ngram import tuned_ngram
from .tokenizer import SUBWORD_ABOVE_BYTES, BPETokenizer, CharTokenizer

LN2 = math.log(2)
TOKENS_PER_PARAM = 20  # compute-optimal ratio (Hoffmann et al. 2022)
QUALITY_PROMPTS = 20
SAMPLE_SETTINGS = Sampling(max_new_tokens=120, temperature=0.8, top_k=40, top_p=0.95, seed=0)
README_PROMPTS = ("The with statement is used to", "Return a new array of given shape", "This function computes the",
                  "Parameters\n----------\nx : array_like\n", "If the file does not exist,")


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
                   batch_size=8, lr=1.5e-3, min_lr=1.5e-4, warmup_iters=100, iters_per_step=25, eval_every_steps=8, eval_batches=8)

    @classmethod
    def gpu(cls) -> "Config":
        """One GPU: GPT-2-small-style 8 × 512 (≈ 30 M parameters with 8,192 BPE tokens), 512-token context, 6,000
        iterations of 32 × 512 ≈ 100 M tokens ≈ 14 epochs of the ~7 M-token corpus. The corpus, not the GPU, limits the
        size: GPT-2 small's 12 × 768 would need far more text, hence a narrower model and dropout 0.1. bf16, compiled, fused AdamW."""
        return cls(model=GPTConfig(block_size=512, n_layer=8, n_head=8, n_embd=512, dropout=0.1), tokenizer="bpe", bpe_vocab=8192,
                   max_iters=6000, batch_size=32, lr=6e-4, min_lr=6e-5, warmup_iters=300, iters_per_step=100, eval_every_steps=5,
                   eval_batches=20, compile=True)

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


# ---- the model file: weights + tokenizer ---------------------------------------------------------

class TextModel(nn.Module):
    """The GPT plus its tokenizer (code points, or the BPE JSON as bytes), so one safetensors file is the model."""

    def __init__(self, cfg: GPTConfig, tokenizer: str = "characters", tokenizer_bytes: int = 0):
        super().__init__()
        self.gpt = GPT(cfg)
        self.tokenizer_kind = tokenizer
        if tokenizer == "characters":
            self.register_buffer("codepoints", torch.zeros(cfg.vocab_size, dtype=torch.int64))
        else:
            self.register_buffer("tokenizer_json", torch.zeros(tokenizer_bytes, dtype=torch.uint8))

    def set_tokenizer(self, tok) -> None:
        if isinstance(tok, CharTokenizer):
            self.codepoints.copy_(tok.to_tensor())
        else:
            self.tokenizer_json = tok.to_tensor()

    def make_tokenizer(self):
        if self.tokenizer_kind == "characters":
            return CharTokenizer.from_tensor(self.codepoints)
        return BPETokenizer.from_tensor(self.tokenizer_json)

    def store_tensors(self, fp16: bool = True) -> dict[str, torch.Tensor]:
        sd = self.state_dict()
        sd.pop("gpt.head.weight")  # tied to gpt.tok.weight; safetensors stores each tensor once
        return {k: (v.half() if fp16 and v.is_floating_point() else v) for k, v in sd.items()}


@dataclass
class Trained:
    model: TextModel
    card: dict
    corpus: Corpus | None = None
    report: Report | None = None
    extras: dict = field(default_factory=dict)

    @property
    def tokenizer(self):
        if "tok" not in self.extras:
            self.extras["tok"] = self.model.make_tokenizer()
        return self.extras["tok"]

    @property
    def version_key(self) -> str:
        """Identifies these weights (for caches keyed by model version)."""
        return self.card.get("sha256") or str(id(self))

    def stream(self, prompt: str, sampling: Sampling, use_cache: bool = True):
        tok = self.tokenizer
        return stream_gpt(self.model.gpt, tok.encode, tok.stream_decoder(), prompt, sampling, use_cache=use_cache)


# ---- helpers -------------------------------------------------------------------------------------

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
def val_nll(model: GPT, ids: torch.Tensor, block: int, batch: int = 16, max_windows: int | None = None) -> tuple[float, int]:
    """Total cross-entropy (nats) of ``ids[1:]`` in consecutive windows of ``block`` tokens, and the
    number of tokens scored (each window starts without earlier context, as a reader starting there would)."""
    model.eval()
    device = next(model.parameters()).device
    n = (len(ids) - 1) // block
    if max_windows is not None:
        n = min(n, max_windows)
    total, count = 0.0, 0

    def score(x, y):
        with autocast(device):
            logits, _, _ = model(x.to(device))
        return float(nn.functional.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.to(device).reshape(-1), reduction="sum"))

    if n:
        x_all, y_all = ids[: n * block].view(n, block), ids[1 : n * block + 1].view(n, block)
        for i in range(0, n, batch):
            total += score(x_all[i : i + batch], y_all[i : i + batch])
        count = n * block
    rest = len(ids) - 1 - n * block
    if rest > 0 and max_windows is None:
        total += score(ids[n * block : n * block + rest].view(1, -1), ids[n * block + 1 :].view(1, -1))
        count += rest
    return total, count


def val_loss(model: GPT, data: torch.Tensor, block: int, batch: int = 32) -> float:
    """Mean cross-entropy (nats/token) over ``data[1:]``."""
    if len(data) < 2:
        raise DataProblem("the validation text is shorter than two tokens", "this corpus")
    nats, n = val_nll(model, data, block, batch)
    return nats / n


def _choose_tokenizer(config: Config, corpus: Corpus) -> str:
    if config.tokenizer in ("characters", "bpe"):
        return config.tokenizer
    if config.tokenizer != "auto":
        raise ValueError(f"unknown tokenizer {config.tokenizer!r}")
    return "bpe" if len(corpus.train.encode()) > SUBWORD_ABOVE_BYTES else "characters"


def _cache_file(name: str):
    from usecases.core.cache import cache_dir

    return cache_dir() / name


def _write_quietly(path, write) -> None:
    """Best-effort cache write (temp file, then rename); an unwritable cache is skipped."""
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        write(tmp)
        os.replace(tmp, path)
    except OSError:
        pass


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _build_tokenizer(kind: str, corpus: Corpus, vocab: int):
    """The tokenizer for a corpus; BPE is trained on the training split only (cached on disk by its inputs)."""
    if kind == "characters":
        return CharTokenizer.from_text(corpus.text)
    import tokenizers

    path = _cache_file(f"textgen-bpe-{_sha(f'{tokenizers.__version__}|{vocab}|{_sha(corpus.train)}')[:16]}.json")
    if path.exists():
        try:
            from tokenizers import Tokenizer

            return BPETokenizer(Tokenizer.from_file(str(path)))
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            path.unlink(missing_ok=True)
    pieces, step = [], 1 << 16
    for start in range(0, len(corpus.train), step):
        pieces.append(corpus.train[start : start + step])
    tok = BPETokenizer.train(pieces, vocab_size=vocab)
    _write_quietly(path, lambda tmp: tok.tk.save(tmp))
    return tok


def _encode(tok, text: str) -> np.ndarray:
    """Token ids of a long text (cached on disk as .npy by tokenizer and text, loaded without pickle)."""
    if len(text) < 2_000_000:
        return tok.encode_array(text)
    ident = tok.tk.to_str() if isinstance(tok, BPETokenizer) else "".join(tok.chars)
    path = _cache_file(f"textgen-ids-{_sha(_sha(ident) + _sha(text))[:16]}.npy")
    if path.exists():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
    ids = tok.encode_array(text)

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.save(fh, ids, allow_pickle=False)

    _write_quietly(path, write)
    return ids


def _bytes_of(tok, ids: np.ndarray) -> int:
    return int(tok.token_bytes()[ids].sum())


def _ngram_orders(config: Config, kind: str) -> tuple[int, ...]:
    return config.ngram_orders or ((2, 3, 4, 5) if kind == "bpe" else (3, 4, 5, 6, 7, 8))


# ---- sizing --------------------------------------------------------------------------------------

LADDER = {  # (layers, dims, heads, context, batch, lr): smallest first
    "characters": [(2, 64, 2, 64, 12, 3e-3), (4, 128, 4, 64, 12, 2e-3), (4, 192, 4, 128, 12, 1.5e-3), (6, 256, 8, 128, 12, 1e-3)],
    "bpe": [(2, 96, 2, 64, 12, 3e-3), (3, 128, 4, 128, 12, 2e-3), (4, 192, 4, 128, 12, 1.5e-3), (4, 256, 4, 256, 8, 1.5e-3)],
}


def _probe(cfg: GPTConfig, batch: int, train_ids: torch.Tensor, device, iters: int = 2) -> float:
    """Seconds per training iteration of ``cfg`` on this machine (after one warm-up iteration)."""
    torch.manual_seed(0)
    m = GPT(cfg).to(device).train()
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)

    def one():
        x, y = _batch(train_ids, cfg.block_size, batch, gen, device)
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
    for layers, dims, heads, block, batch, lr in LADDER[kind]:
        block = min(block, max(16, (len(train_ids) - 2) // 4))
        g = GPTConfig(vocab_size=vocab_size, block_size=block, n_layer=layers, n_head=heads, n_embd=dims)
        spent = time.perf_counter() - t0
        sec = _probe(g, batch, train_ids, device)
        n_params = GPT(g).n_params()
        left = budget - (time.perf_counter() - t0)
        iters = int(max(0.0, left) / sec)
        tokens = iters * batch * block
        probes.append({"model": f"{layers}×{dims}, context {block}", "parameters": n_params, "seconds_per_iter": round(sec, 4),
                       "iterations_in_budget": iters, "tokens_per_param": round(tokens / n_params, 1)})
        if chosen is None or tokens >= TOKENS_PER_PARAM * n_params:
            chosen = (g, batch, lr, iters)
        if tokens < TOKENS_PER_PARAM * n_params or spent + sec * 4 > 0.1 * budget:
            break  # larger models only get worse from here, or probing eats the budget
    g, batch, lr, iters = chosen
    probe_seconds = time.perf_counter() - t0
    iters = max(10, int((budget - probe_seconds) / next(p["seconds_per_iter"] for p in probes if p["model"].startswith(f"{g.n_layer}×{g.n_embd},"))))
    cfg = dataclasses.replace(config, model=g, batch_size=batch, lr=lr, min_lr=lr / 10, max_iters=iters, warmup_iters=max(5, min(100, iters // 10)),
                              iters_per_step=max(1, min(50, iters // 40)), eval_every_steps=4,
                              budget_seconds=max(1e-3, budget - probe_seconds))
    return cfg, {"rule": f"largest model that sees ≥ {TOKENS_PER_PARAM} tokens per parameter in the budget (speed probed here)",
                 "probes": probes, "probe_seconds": round(probe_seconds, 2)}


# ---- training ------------------------------------------------------------------------------------

def _prepare(corpus: Corpus, config: Config, kind: str):
    tok = _build_tokenizer(kind, corpus, config.bpe_vocab)
    return tok, _encode(tok, corpus.train), _encode(tok, corpus.scored_text)


def train(config: Config = Config(), *, data: Corpus | None = None, progress: Progress | None = None, cancel: CancelToken | None = None) -> Trained:
    t0 = time.perf_counter()
    corpus = data if data is not None else stack_corpus()
    kind = _choose_tokenizer(config, corpus)
    tok, train_np, scored_np = _prepare(corpus, config, kind)
    device = select_device(config.device)
    gen = seed_everything(config.seed)
    train_ids = torch.from_numpy(train_np)
    scored_ids = torch.from_numpy(scored_np)
    if len(train_ids) < 40 or len(scored_ids) < 20:
        raise DataProblem("the corpus is too small to split into training and validation text; add text", "this corpus")
    orders = _ngram_orders(config, kind)
    ngram, ng_info = tuned_ngram(train_np, tok.vocab_size, orders)
    scored_bytes = _bytes_of(tok, scored_np[1:])
    ng_bpb = ngram.nats(scored_np) / LN2 / scored_bytes
    config, sizing = resolve(config, kind, tok.vocab_size, train_ids, device)
    config = dataclasses.replace(config, tokenizer=kind)  # the card says which tokenizer was used, not "auto"
    fit = min(len(train_ids), len(scored_ids)) - 2
    if config.model.block_size > fit >= 16:  # a short corpus: a shorter context rather than a refusal
        config = dataclasses.replace(config, model=dataclasses.replace(config.model, block_size=fit))
    mcfg = config.model
    if len(train_ids) < mcfg.block_size + 2 or len(scored_ids) < mcfg.block_size + 2:
        raise DataProblem(f"the corpus is too small to split with a {mcfg.block_size}-token context; add text", "this corpus")
    prep_seconds = time.perf_counter() - t0
    model = TextModel(mcfg, "characters" if kind == "characters" else "bpe", len(tok.to_tensor()) if kind == "bpe" else 0)
    model.set_tokenizer(tok)
    model.to(device)
    gpt = torch.compile(model.gpt) if (config.compile and device.type == "cuda") else model.gpt
    decay = [p for n, p in model.gpt.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.gpt.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=config.lr, betas=(0.9, 0.99), fused=device.type == "cuda")
    steps = math.ceil(config.max_iters / config.iters_per_step)
    bytes_per_token = scored_bytes / max(1, len(scored_np) - 1)
    # Live validation: the same fixed windows of the scored text every time (cheap, and comparable with the n-gram's bits per byte).
    live_windows = max(1, min(config.eval_batches * config.batch_size, (len(scored_ids) - 1) // mcfg.block_size))
    state = {"it": 0, "last_report": 0.0, "loop_start": None}
    ng_name = f"{'token' if kind == 'bpe' else 'char'}_{ng_info['order']}gram_witten_bell"

    def over_budget() -> bool:
        return config.budget_seconds is not None and time.perf_counter() - state["loop_start"] >= config.budget_seconds

    def total_iters() -> int:
        """Iterations this run will do: max_iters, or the budget's share of them at the speed so far."""
        if config.budget_seconds is None or state["it"] == 0:
            return config.max_iters
        rate = state["it"] / max(1e-9, time.perf_counter() - state["loop_start"])
        return max(state["it"], min(config.max_iters, int(rate * config.budget_seconds)))

    def step(i: int) -> dict:
        if state["loop_start"] is None:
            state["loop_start"] = time.perf_counter()
        model.gpt.train()
        losses = []
        for _ in range(min(config.iters_per_step, config.max_iters - state["it"])):
            if cancel is not None and cancel.cancelled:
                raise TrainingCancelled()
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
            now = time.perf_counter()
            if progress is not None and now - state["last_report"] >= 0.5:  # live progress between runner steps
                state["last_report"] = now
                progress(state["it"], total_iters(), {"step": state["it"], "iter": state["it"], "train_loss": float(np.mean(losses)),
                                                      "ngram_bpb": ng_bpb, "seconds": now - t0})
            if over_budget():  # checked every iteration: the budget is overrun by at most one iteration
                break
        return {"iter": state["it"], "train_loss": float(np.mean(losses)) if losses else float("nan")}

    def evaluate() -> dict:
        nats, n = val_nll(model.gpt, scored_ids, mcfg.block_size, max_windows=live_windows)
        loss = nats / n
        bpb = loss / LN2 / bytes_per_token
        return {"val_loss": loss, "val_bpb": bpb, "ngram_bpb": ng_bpb, "beats_ngram": float(bpb < ng_bpb)}

    def relay(i: int, total: int, row: dict) -> None:  # runner steps → iterations, so the bar counts iterations
        if progress is not None:
            progress(state["it"], total_iters(), {**row, "step": state["it"], "seconds": time.perf_counter() - t0})

    result = run_training(step, evaluate, RunConfig(max_steps=steps, eval_every=config.eval_every_steps, budget_seconds=config.budget_seconds,
                                                    monitor="val_loss", mode="min"), model=model.gpt, progress=relay, cancel=cancel)
    loop_seconds = result.seconds
    model.to("cpu").eval()
    if config.store_fp16:  # the card's figures are those of the stored (rounded) weights
        with torch.no_grad():
            for p in model.gpt.parameters():
                p.copy_(p.half().float())
    trained = Trained(model=model, card={}, corpus=corpus)
    trained.extras["tok"] = tok
    report = _report(trained, corpus, kind, scored_np, ngram, ng_name, ng_info)
    trained.report = report
    passed = next((r for r in result.history if r.get("val_bpb") is not None and r["val_bpb"] < ng_bpb), None)
    qual = quality(trained, corpus, ng_beaten=report.model["val_bpb"] < ng_bpb, n_prompts=config.quality_prompts)
    trained.card = {
        "data": {"source": corpus.source, "fingerprint": corpus.fingerprint, "split": corpus.meta.get("split", ""),
                 "train_bytes": len(corpus.train.encode()), "val_bytes": len(corpus.val.encode()),
                 "scored_bytes": int(scored_bytes + _bytes_of(tok, scored_np[:1])),
                 **({"eval_slice": corpus.meta["eval_slice"]} if "eval_slice" in corpus.meta else {}),
                 **{k: corpus.meta[k] for k in ("versions", "licences", "documents", "modules", "val_modules", "val_documents",
                                                "content_sha256", "chars_by_package", "build_stats") if k in corpus.meta}},
        "training": config.as_dict(),
        "sizing": sizing,
        "model": {"architecture": f"GPT (decoder-only transformer), {'character' if kind == 'characters' else 'byte-level BPE'} tokens",
                  "config": dataclasses.asdict(mcfg), "parameters": model.gpt.n_params(), "iterations": state["it"], "stopped": result.stopped,
                  "weights_dtype": "float16" if config.store_fp16 else "float32"},
        "tokenizer": {"kind": tok.kind, "vocab_size": tok.vocab_size, "library": _tokenizers_version() if kind == "bpe" else None,
                      "json_bytes": len(tok.to_tensor()) if kind == "bpe" else 0,
                      "train_tokens": int(len(train_np)), "bytes_per_token": round(bytes_per_token, 3)},
        "device": device_info(device).as_dict(),
        "training_seconds": round(loop_seconds, 2),
        "total_seconds": round(time.perf_counter() - t0, 2),
        "prep_seconds": round(prep_seconds, 2),
        "metrics": report.model,
        "baselines": report.baselines,
        "ngram": {"name": ng_name, **ng_info},
        "passed_ngram_after_seconds": round(passed["seconds"], 1) if passed else None,
        "quality": qual,
        "history": [{k: v for k, v in r.items() if k in ("step", "iter", "train_loss", "val_loss", "val_bpb", "seconds")} for r in result.history],
    }
    return trained


def _tokenizers_version() -> str:
    import tokenizers

    return f"tokenizers {tokenizers.__version__}"


def _report(trained: Trained, corpus: Corpus, kind: str, scored_np: np.ndarray, ngram, ng_name: str, ng_info: dict) -> Report:
    tok = trained.tokenizer
    scored_bytes = _bytes_of(tok, scored_np[1:])
    chars = len(tok.decode(scored_np[1:]))
    nats, n = val_nll(trained.model.gpt, torch.from_numpy(scored_np), trained.model.gpt.cfg.block_size)
    ng_nats = ngram.nats(scored_np)

    def figures(total_nats: float) -> dict:
        return {"val_loss": total_nats / n, "val_bpb": total_nats / LN2 / scored_bytes, "val_bpc": total_nats / LN2 / chars,
                "val_perplexity": math.exp(total_nats / n)}

    m = figures(nats)
    base = {ng_name: figures(ng_nats)}
    m["vs_ngram"] = m["val_bpb"] / base[ng_name]["val_bpb"] - 1  # −0.15 = 15 % fewer bits per byte
    return Report(usecase=SPEC.name, primary_metric=SPEC.primary_metric, model=m, baselines=base,
                  data={"source": corpus.source, "rows": int(n), "split": corpus.meta.get("split", ""), "scored_bytes": scored_bytes,
                        "tokens": int(n), "ngram_order": ng_info["order"]})


def quality(trained: Trained, corpus: Corpus, *, ng_beaten: bool, n_prompts: int = QUALITY_PROMPTS) -> dict:
    """Words in vocabulary and distinct-2 at temperature 0.8, the longest repeat in 300-token greedy runs,
    the share of usable drafts, and five unedited samples — all from prompts out of the validation text."""
    vocab = q.vocabulary(corpus.train)
    prompts = list(corpus.prompts[:n_prompts]) or _prompts_from(corpus.val, n_prompts)
    t_sampling = Sampling(max_new_tokens=100, temperature=0.8, top_k=None, top_p=None, seed=0)
    texts, shares, usable = [], [], 0
    for i, p in enumerate(prompts):
        steps = list(trained.stream(p, dataclasses.replace(t_sampling, seed=i)))
        text = "".join(s.text for s in steps)
        ids = [s.token for s in steps if s.token >= 0]
        texts.append(text)
        sh = q.in_vocab_share(text, vocab)
        if sh is not None:
            shares.append(sh)
        usable += q.usable(text, ids, vocab)
    greedy = []
    for p in prompts[:5]:
        steps = list(trained.stream(p, Sampling(max_new_tokens=300, temperature=0.0, top_k=None, top_p=None)))
        greedy.append(q.longest_repeat([s.token for s in steps if s.token >= 0]))
    samples = []
    for p in README_PROMPTS:
        try:
            text, _ = complete(trained.stream(p, SAMPLE_SETTINGS))
        except DataProblem:  # a character model may not know a character of the prompt
            continue
        samples.append({"prompt": p, "completion": text})
    all_words = [w for t in texts for w in q.words(t)]
    share = sum(w in vocab for w in all_words) / len(all_words) if all_words else 0.0
    return {
        "prompts": prompts, "samples": len(prompts),
        "in_vocab_share": share, "in_vocab_share_min": min(shares) if shares else None,
        "distinct_2": q.distinct_n(texts, 2),
        "greedy_longest_repeat": greedy, "greedy_longest_repeat_max": max(greedy) if greedy else None,
        "usable_share": usable / len(prompts) if prompts else 0.0,
        "usable_rule": f"a 100-token sample at temperature 0.8 with ≥ {q.MIN_IN_VOCAB:.0%} of its words in the training vocabulary "
                       f"and no repeated {q.MAX_REPEAT}-token sequence",
        "beats_ngram": bool(ng_beaten),
        "sampling": "temperature 0.8, no top-k/top-p, 100 new tokens, seed = prompt index",
        "readme_samples": samples,
        "readme_settings": dataclasses.asdict(SAMPLE_SETTINGS),
    }


def _prompts_from(text: str, n: int) -> list[str]:
    """Prompts for a user's corpus: the first five words of lines of the validation text that start a sentence."""
    out = []
    for line in text.splitlines()[1:]:  # the validation text may start mid-line
        ws = line.split()
        if len(ws) >= 8 and line[:1].isupper():
            out.append(" ".join(ws[:5]))
        if len(out) == n:
            break
    return out or [text[:40]]


# ---- store ---------------------------------------------------------------------------------------

def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    fp16 = trained.card.get("model", {}).get("weights_dtype", "float16") == "float16"
    card = store.save(key or SPEC.name, trained.model.store_tensors(fp16), {**trained.card, "parameter_count": trained.model.gpt.n_params()},
                      format_version=SPEC.format_version)
    trained.card = card
    return card


def _build(card: dict) -> TextModel:
    tk = card.get("tokenizer", {})
    kind = "characters" if tk.get("kind", "characters") == "characters" else "bpe"
    return TextModel(GPTConfig(**card["model"]["config"]), kind, int(tk.get("json_bytes", 0)))


def load(store: ModelStore, key: str | None = None) -> Trained:
    def fix(tensors: dict) -> dict:  # the head shares the embedding's weights; the file holds them once, in float16
        out = {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}
        if "gpt.tok.weight" in out:
            out["gpt.head.weight"] = out["gpt.tok.weight"]
        return out

    def build(card: dict) -> TextModel:
        m = _build(card)
        return m

    model, card = load_module(store, key or SPEC.name, format_version=SPEC.format_version, build=build, tensors_hook=fix)
    model.gpt.head.weight = model.gpt.tok.weight  # keep the tie after loading
    return Trained(model=model, card=card)


def _check_stack(card: dict) -> Corpus:
    """The stack corpus for a model trained on it — refused, with the differing versions named, if this machine's stack differs."""
    data = card.get("data", {})
    want = data.get("versions") or {}
    have = stack_versions()
    if stack_fingerprint(want) != stack_fingerprint(have) or data.get("fingerprint") != stack_fingerprint(have):
        diff = [f"{k} {want.get(k, '—')} → {have.get(k, '—')}" for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]
        raise DataProblem("its corpus was read from other installed versions (" + (", ".join(diff) or "a different corpus builder")
                          + "), so its validation text differs here; retrain with `make train` or evaluate with --data", "this model")
    corpus = stack_corpus()
    if data.get("content_sha256") and corpus.meta.get("content_sha256") != data["content_sha256"]:
        raise DataProblem("the documentation read on this machine differs from the training corpus although the versions match "
                          "(a locally modified package?); retrain with `make train`", "this model")
    return corpus


def evaluate(trained: Trained, data: Corpus | None = None) -> Report:
    """Bits per byte of the model and of the n-gram (fit on the same training text) on the scored text."""
    if data is None and trained.report is not None:
        return trained.report
    cfg = Config.from_dict(trained.card.get("training", {}))
    cache = data is None
    if data is None:
        source = trained.card.get("data", {}).get("source", "")
        if not source.startswith("documentation of the installed Python stack"):
            raise DataProblem("this model was trained on your own corpus, which the app does not keep; pass it again with --data", "this model")
        data = _check_stack(trained.card)
    tok = trained.tokenizer
    kind = "characters" if isinstance(tok, CharTokenizer) else "bpe"
    missing = tok.unknown(data.text)
    if missing:
        raise DataProblem(f"it has characters outside the model's vocabulary ({''.join(missing[:10])})", "this corpus")
    train_np = _encode(tok, data.train)
    scored_np = _encode(tok, data.scored_text)
    order = trained.card.get("ngram", {}).get("order")
    if order:  # the order picked at training time (on training text only), refit on this training text
        from .ngram import TokenNGram

        ngram, info = TokenNGram(order).fit(train_np, tok.vocab_size), {"order": order}
    else:
        ngram, info = tuned_ngram(train_np, tok.vocab_size, _ngram_orders(cfg, kind))
    name = f"{'token' if kind == 'bpe' else 'char'}_{info['order']}gram_witten_bell"
    report = _report(trained, data, kind, scored_np, ngram, name, info)
    if cache:
        trained.report = report
    return report


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


def measure_tokens_per_second(trained: Trained, tokens: int = 200, warmup: int = 20, prompt: str = "The with statement") -> float:
    """Engine throughput of one stream (greedy, KV cache), after a warm-up run — once per model version."""
    tok = trained.tokenizer
    if tok.unknown(prompt):  # a character model of a corpus without these letters: any text it knows will do
        prompt = "".join(c for c in tok.chars if c.isprintable())[:8] or tok.chars[0]
    complete(trained.stream(prompt, Sampling(max_new_tokens=warmup, temperature=0.0)))
    _, stats = complete(trained.stream(prompt, Sampling(max_new_tokens=tokens, temperature=0.0)))
    return stats["tokens_per_second"]


def baseline_label(name: str) -> str:
    """``token_4gram_witten_bell`` → ``token 4-gram (Witten–Bell)``."""
    import re

    return re.sub(r"(\d+)gram", r"\1-gram", name.replace("_witten_bell", " (Witten–Bell)").replace("_", " "))


def ngram_verdict(card: dict) -> str | None:
    """A plain warning when the model is no better than its n-gram baseline (None when it is better)."""
    m = card.get("metrics", {}).get("val_bpb")
    base = next(iter(card.get("baselines", {}).items()), None)
    if m is None or base is None or m < base[1]["val_bpb"]:
        return None
    return (f"This model is worse than a simple n-gram baseline: {m:.2f} bits per byte against {base[1]['val_bpb']:.2f} for the "
            f"{baseline_label(base[0])} fitted on the same training text. Its drafts are no better than a phrase-frequency table — "
            "train longer (a larger time budget) or on more text before using it.")
