"""Character n-gram baseline with interpolated Witten–Bell smoothing (Witten & Bell 1991; as in
Chen & Goodman 1999, eq. 19): a proper probability for every character, so its bits per character
compare directly with the GPT's on the same validation text.

    P_n(c | h) = (count(h, c) + N1+(h·) · P_{n−1}(c | h')) / (count(h) + N1+(h·))

where N1+(h·) is the number of distinct characters seen after history h, and the recursion ends at
the uniform distribution over the vocabulary.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np


class WittenBellNGram:
    def __init__(self, order: int = 5):
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order

    def fit(self, text: str, vocab: list[str]) -> "WittenBellNGram":
        self.vocab = list(vocab)
        self.counts: list[dict[str, Counter]] = [defaultdict(Counter) for _ in range(self.order)]
        for n in range(self.order):  # history length n
            for i in range(n, len(text)):
                self.counts[n][text[i - n : i]][text[i]] += 1
        self.totals = [{h: sum(c.values()) for h, c in level.items()} for level in self.counts]
        self.types = [{h: len(c) for h, c in level.items()} for level in self.counts]
        return self

    def prob(self, history: str, c: str) -> float:
        p = 1.0 / len(self.vocab)
        for n in range(0, self.order):
            if n > len(history):
                break
            h = history[len(history) - n :] if n else ""
            total = self.totals[n].get(h)
            if not total:
                continue
            t = self.types[n][h]
            p = (self.counts[n][h][c] + t * p) / (total + t)
        return p

    def bits_per_char(self, text: str) -> float:
        nll = 0.0
        for i, c in enumerate(text):
            nll -= math.log2(self.prob(text[max(0, i - self.order + 1) : i], c))
        return nll / max(1, len(text))


# ---- the same estimator over integer token arrays, vectorised with numpy --------------------------

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Fold token ``t`` into the 64-bit hash ``h`` (SplitMix64's finaliser; collisions ~ n² / 2⁶⁴)."""
    with np.errstate(over="ignore"):
        x = (h ^ (t.astype(np.uint64) + np.uint64(1))) * _M1
        x ^= x >> np.uint64(30)
        x *= _M2
        x ^= x >> np.uint64(27)
        x *= _M3
        return x ^ (x >> np.uint64(31))


def _lookup(keys: np.ndarray, values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """values[key] for each query (0 where the key is absent); ``keys`` sorted."""
    if len(keys) == 0:
        return np.zeros(len(q), dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    return np.where(keys[pos] == q, values[pos], 0)


class TokenNGram:
    """Interpolated Witten–Bell n-gram over token ids — the formula of :class:`WittenBellNGram` — with
    counts kept as sorted 64-bit hashes of the histories, so tens of millions of tokens fit in seconds.
    ``nats(ids)`` scores positions 1 … n−1 of a sequence, each with its full history in that sequence."""

    def __init__(self, order: int = 4):
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order

    @staticmethod
    def _histories(ids: np.ndarray, k: int) -> np.ndarray:
        """Hash of the k tokens before each position (position i ≥ k)."""
        h = np.zeros(len(ids), dtype=np.uint64)
        for j in range(1, k + 1):
            prev = np.zeros(len(ids), dtype=np.int64)
            prev[j:] = ids[:-j]
            h = _mix(h, prev)
        return h

    def fit(self, ids: np.ndarray, vocab_size: int) -> "TokenNGram":
        ids = np.asarray(ids, dtype=np.int64)
        self.vocab_size = vocab_size
        self.levels = []
        for k in range(self.order):  # history length k
            h = self._histories(ids, k)[k:]
            joint = _mix(h, ids[k:])
            jk, jc = np.unique(joint, return_counts=True)
            first = np.unique(joint, return_index=True)[1]
            hk, ht = np.unique(h, return_counts=True)
            tk, tt = np.unique(h[first], return_counts=True)  # distinct followers per history
            self.levels.append((jk, jc, hk, ht, tk, tt))
        return self

    def nats(self, ids: np.ndarray, order: int | None = None) -> float:
        """Total negative log-likelihood (nats) of ``ids[1:]`` given their histories."""
        return float(self.token_nats(ids, order).sum())

    def token_nats(self, ids: np.ndarray, order: int | None = None) -> np.ndarray:
        """Negative log-likelihood (nats) of each of ``ids[1:]`` given its history (float64)."""
        ids = np.asarray(ids, dtype=np.int64)
        order = min(order or self.order, self.order)
        p = np.full(len(ids), 1.0 / self.vocab_size)
        for k in range(order):
            jk, jc, hk, ht, tk, tt = self.levels[k]
            h = self._histories(ids, k)
            total = _lookup(hk, ht, h).astype(float)
            types = _lookup(tk, tt, h).astype(float)
            count = _lookup(jk, jc, _mix(h, ids)).astype(float)
            ok = (total > 0) & (np.arange(len(ids)) >= k)
            p = np.where(ok, (count + types * p) / np.maximum(total + types, 1.0), p)
        return -np.log(p[1:])


def tuned_ngram(train_ids: np.ndarray, vocab_size: int, orders: tuple[int, ...]) -> tuple[TokenNGram, dict]:
    """Pick the order on an inner split of the *training* tokens (last 10 %), then refit on all of them."""
    cut = int(len(train_ids) * 0.9)
    inner = TokenNGram(max(orders)).fit(train_ids[:cut], vocab_size)
    held = train_ids[cut:]
    scores = {n: inner.nats(held, order=n) / max(1, len(held) - 1) for n in orders}
    best = min(scores, key=scores.get)
    return TokenNGram(best).fit(train_ids, vocab_size), {"order": best, "inner_nats_per_token": scores}
