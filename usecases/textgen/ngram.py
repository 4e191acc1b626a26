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
