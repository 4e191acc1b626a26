"""Quality figures a reader can check by eye, measured on held-out prompts.

* **Words in vocabulary** — share of the words (runs of letters, lower-cased) of sampled text that occur
  in the training text. Garbled output ("funtcion", "retrns") shows up here first.
* **distinct-2** — distinct word bigrams ÷ all word bigrams over the samples (Li et al. 2016, *A
  Diversity-Promoting Objective Function for Neural Conversation Models*, NAACL): low values mean the
  model repeats itself.
* **Longest repeated n-gram** — in one greedy (temperature 0) continuation of 300 tokens, the longest
  token sequence that occurs twice: greedy decoding of small models falls into loops.
* **Usable draft** — a sample whose words are ≥ 97 % in vocabulary and that repeats no 8-token sequence;
  the share of usable drafts is what the business case multiplies editor time by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z]+")
MIN_IN_VOCAB = 0.97
MAX_REPEAT = 8  # a draft that repeats an 8-token sequence is not usable


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def vocabulary(text: str) -> set[str]:
    return set(words(text))


def in_vocab_share(text: str, vocab: set[str]) -> float | None:
    ws = words(text)
    return sum(w in vocab for w in ws) / len(ws) if ws else None


def distinct_n(texts: list[str], n: int = 2) -> float | None:
    grams, total = set(), 0
    for t in texts:
        ws = words(t)
        g = [tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)]
        grams.update(g)
        total += len(g)
    return len(grams) / total if total else None


def longest_repeat(ids: list[int]) -> int:
    """Length of the longest contiguous sequence that occurs at least twice in ``ids`` (overlaps allowed)."""
    lo, hi = 0, len(ids) - 1
    while lo < hi:  # binary search: if an n-gram repeats, every shorter one does too
        mid = (lo + hi + 1) // 2
        seen, found = set(), False
        for i in range(len(ids) - mid + 1):
            g = tuple(ids[i : i + mid])
            if g in seen:
                found = True
                break
            seen.add(g)
        lo, hi = (mid, hi) if found else (lo, mid - 1)
    return lo


def usable(text: str, ids: list[int], vocab: set[str]) -> bool:
    share = in_vocab_share(text, vocab)
    return share is not None and share >= MIN_IN_VOCAB and longest_repeat(ids) < MAX_REPEAT


@dataclass(frozen=True)
class DraftQuality:
    """What the business case needs: the share of usable drafts and whether the model beats the n-gram."""

    usable_share: float
    beats_ngram: bool
    samples: int

    @classmethod
    def from_card(cls, card: dict) -> "DraftQuality | None":
        q = card.get("quality") or {}
        if "usable_share" not in q:
            return None
        return cls(usable_share=float(q["usable_share"]), beats_ngram=bool(q.get("beats_ngram", False)), samples=int(q.get("samples", 0)))
