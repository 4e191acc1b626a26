"""Decoding: temperature, top-k, top-p, stop sequences and a token limit, streamed token by token.

``stream`` works for our GPT (with or without its KV cache) and, through ``next_logits`` callables,
for local Hugging Face models too, so every model on the page has the same controls and the same
latency figures (time to first token, tokens per second).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from usecases.core.tables import DataProblem

from .gpt import GPT, Decoder

MAX_NEW_TOKENS = 2_000


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int = 200
    temperature: float = 0.8
    top_k: int | None = 40
    top_p: float | None = 0.95
    stop: tuple[str, ...] = ()
    seed: int | None = 0

    def check(self) -> None:
        """One line for settings out of range or of the wrong type (since 2026-12-06: ``top_k=1.5`` or ``"40"`` raised a
        TypeError inside torch, and ``stop="and"`` — a string, not a tuple — stopped at every "a", "n" or "d")."""
        def number(v) -> bool:
            return isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v

        def whole(v) -> bool:
            return isinstance(v, numbers.Integral) and not isinstance(v, bool)

        problems = []
        if not whole(self.max_new_tokens) or not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            problems.append(f"max new tokens must be a whole number between 1 and {MAX_NEW_TOKENS:,} (got {self.max_new_tokens!r})")
        if not number(self.temperature) or not 0.0 <= self.temperature <= 5.0:
            problems.append(f"temperature must be between 0 (greedy) and 5 (got {self.temperature!r})")
        if self.top_k is not None and (not whole(self.top_k) or self.top_k < 1):
            problems.append(f"top-k must be a whole number of at least 1 (got {self.top_k!r})")
        if self.top_p is not None and (not number(self.top_p) or not 0.0 < self.top_p <= 1.0):
            problems.append(f"top-p must be in (0, 1] (got {self.top_p!r})")
        if isinstance(self.stop, str) or not all(isinstance(s, str) for s in self.stop):
            problems.append(f"stop sequences must be a list of texts, e.g. ({self.stop!r},) (got {self.stop!r})")
        elif any(not s for s in self.stop):
            problems.append("stop sequences cannot be empty")
        if problems:
            raise DataProblem(problems, "these decoding settings")


def pick(logits: torch.Tensor, s: Sampling, gen: torch.Generator | None) -> int:
    """Next token id from one row of logits under the sampling settings."""
    logits = logits.float()
    if s.temperature == 0:
        return int(torch.argmax(logits))
    logits = logits / s.temperature
    if s.top_k is not None and s.top_k < logits.numel():
        kth = torch.topk(logits, s.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if s.top_p is not None and s.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        cum = torch.cumsum(probs, dim=-1)
        drop = cum - probs > s.top_p  # keep the smallest prefix whose mass reaches top_p (always the first token)
        sorted_logits[drop] = float("-inf")
        logits = torch.full_like(logits, float("-inf")).scatter(0, order, sorted_logits)
    probs = torch.softmax(logits, dim=-1)
    return int(torch.multinomial(probs.cpu(), 1, generator=gen))


@dataclass
class Step:
    text: str  # the new text of this step (one token's worth)
    token: int
    elapsed: float  # seconds since the request
    first_token_seconds: float


class StopFilter:
    """Streams text but holds back any tail that could still become a stop sequence, so a stop that
    spans several tokens is never half-shown. ``push`` returns (text safe to show, stopped)."""

    def __init__(self, stops: tuple[str, ...]):
        self.stops = stops
        self.text = ""
        self.emitted = 0

    def push(self, piece: str) -> tuple[str, bool]:
        self.text += piece
        hits = [i for i in (self.text.find(st, max(0, self.emitted - len(st))) for st in self.stops) if i >= 0]
        if hits:
            end = min(hits)
            out = self.text[self.emitted : end] if end > self.emitted else ""
            self.emitted = max(self.emitted, end)
            return out, True
        hold = 0
        for st in self.stops:
            for k in range(min(len(st) - 1, len(self.text)), 0, -1):
                if self.text.endswith(st[:k]):
                    hold = max(hold, k)
                    break
        safe = len(self.text) - hold
        out = self.text[self.emitted : safe] if safe > self.emitted else ""
        self.emitted = max(self.emitted, safe)
        return out, False

    def flush(self) -> str:
        out = self.text[self.emitted :]
        self.emitted = len(self.text)
        return out


def stream_gpt(model: GPT, encode: Callable[[str], list[int]], decode: Callable[[list[int]], str], prompt: str, s: Sampling,
               *, use_cache: bool = True) -> Iterator[Step]:
    """Stream tokens from our GPT. With ``use_cache`` the prompt is run once and each new token
    costs one position; without it the whole (cropped) context is recomputed for every token."""
    s.check()
    if not prompt:
        raise DataProblem("it is empty; type a few words to continue", "the prompt")
    ids = encode(prompt)
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(s.seed) if s.seed is not None else None
    block = model.cfg.block_size
    t0 = time.perf_counter()
    first = None
    out_ids: list[int] = []
    filt = StopFilter(s.stop)
    model.eval()
    with torch.inference_mode():
        if use_cache:  # prefill: the prompt runs once
            dec = Decoder(model)
            logits = dec.prefill(ids[-block:])
        for _ in range(s.max_new_tokens):
            if not use_cache:  # recompute the whole (cropped) context for every token
                logits = model(torch.tensor([(ids + out_ids)[-block:]], device=device))[0][0, -1]
            nxt = pick(logits, s, gen)
            out_ids.append(nxt)
            now = time.perf_counter() - t0
            first = first if first is not None else now
            shown, stopped = filt.push(decode([nxt]))
            if stopped:
                if shown:
                    yield Step(shown, nxt, now, first)
                return
            yield Step(shown, nxt, now, first)
            if use_cache:
                if dec.full:  # positions are absolute: start again from the last half of the context
                    logits = dec.prefill((ids + out_ids)[-(block // 2):])
                else:  # one position: the new token attends to the cached keys and values
                    logits = dec.step(nxt)
        rest = filt.flush()
        if rest and first is not None:
            yield Step(rest, -1, time.perf_counter() - t0, first)  # token -1: held-back text, not a new token


def stream_logits(next_logits: Callable[[int | None], torch.Tensor], decode_one: Callable[[int], str], s: Sampling, eos: int | None = None) -> Iterator[Step]:
    """Generic loop for models that expose "logits of the next token given the token just chosen"."""
    s.check()
    gen = torch.Generator().manual_seed(s.seed) if s.seed is not None else None
    t0 = time.perf_counter()
    first = None
    last = None
    filt = StopFilter(s.stop)
    for _ in range(s.max_new_tokens):
        logits = next_logits(last)
        last = pick(logits, s, gen)
        if eos is not None and last == eos:
            break
        now = time.perf_counter() - t0
        first = first if first is not None else now
        shown, stopped = filt.push(decode_one(last))
        if stopped:
            if shown:
                yield Step(shown, last, now, first)
            return
        yield Step(shown, last, now, first)
    rest = filt.flush()
    if rest and first is not None:
        yield Step(rest, -1, time.perf_counter() - t0, first)


def complete(steps: Iterator[Step]) -> tuple[str, dict]:
    """Run a stream to the end: (text, {tokens, seconds, first_token_seconds, tokens_per_second})."""
    text, n, last = "", 0, None
    for st in steps:
        text += st.text
        n += st.token >= 0
        last = st
    secs = last.elapsed if last else 0.0
    return text, {"tokens": n, "seconds": secs, "first_token_seconds": last.first_token_seconds if last else 0.0,
                  "tokens_per_second": n / secs if secs > 0 else 0.0}


class Timed:
    """Wraps a stream to tell the engine's time (spent producing tokens) from the caller's (drawing them):
    ``engine_tokens_per_second`` counts only the time inside the generator, so a slow page cannot hide a fast
    engine, nor the other way round."""

    def __init__(self, steps: Iterator[Step]):
        self._it = iter(steps)
        self.engine_seconds = 0.0
        self.tokens = 0
        self.first_token_seconds: float | None = None
        self.started = time.perf_counter()

    def __iter__(self) -> "Timed":
        return self

    def __next__(self) -> Step:
        t = time.perf_counter()
        try:
            st = next(self._it)
        finally:
            self.engine_seconds += time.perf_counter() - t
        if st.token >= 0:
            self.tokens += 1
            if self.first_token_seconds is None:
                self.first_token_seconds = time.perf_counter() - self.started
        return st

    @property
    def wall_seconds(self) -> float:
        return time.perf_counter() - self.started

    @property
    def engine_tokens_per_second(self) -> float:
        return self.tokens / self.engine_seconds if self.engine_seconds > 0 else 0.0


class Redraw:
    """Decides when a page redraws streamed text: at most every ``interval`` seconds (not every N tokens),
    so drawing costs a bounded share of the time whatever the engine's speed."""

    def __init__(self, interval: float = 0.08):
        self.interval = interval
        self.last = -1e9
        self.count = 0

    def due(self) -> bool:
        now = time.perf_counter()
        if now - self.last >= self.interval:
            self.last = now
            self.count += 1
            return True
        return False
