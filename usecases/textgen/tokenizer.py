"""Character-level tokenizer.

Why characters rather than byte-level BPE: the corpus is small (≈ 0.47 M characters of Python's
reference documentation), so a BPE vocabulary of thousands of tokens would leave most of them rare;
103 symbols give every embedding plenty of training signal, bits per character can be read straight
off the loss, and results compare directly with nanoGPT's character models. The cost is longer
sequences per word, which the KV cache makes cheap at generation time.
"""

from __future__ import annotations

import torch

from usecases.core.tables import DataProblem


class CharTokenizer:
    def __init__(self, chars: list[str]):
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        return cls(sorted(set(text)))

    @classmethod
    def from_tensor(cls, codepoints: torch.Tensor) -> "CharTokenizer":
        return cls([chr(int(c)) for c in codepoints.tolist()])

    def to_tensor(self) -> torch.Tensor:
        return torch.tensor([ord(c) for c in self.chars], dtype=torch.int64)

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        return sorted({c for c in text if c not in self.index})

    def encode(self, text: str) -> list[int]:
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(c) for c in missing[:8]) + (" …" if len(missing) > 8 else "")
            raise DataProblem(f"it contains characters the model never saw in training: {shown}; remove or replace them", "the prompt")
        return [self.index[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)
