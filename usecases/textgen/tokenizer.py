"""Tokenizers: byte-level BPE (Hugging Face ``tokenizers``) for corpora above ~1 MB, characters below.

Why both: a subword vocabulary packs ~4 bytes of documentation into one position, so the same GPT sees
four times more text per step and per context window — but it needs enough text to make its thousands
of tokens frequent; on a small corpus (a few hundred kB) most BPE tokens stay rare, and ~100 characters
give every embedding plenty of signal. Both report **bits per byte** (total bits of a text ÷ its UTF-8
bytes), so a character model, a BPE model and an n-gram compare on one scale.

The BPE tokenizer is trained on the training split only and stored *inside* the model's safetensors
file (its JSON as a uint8 tensor), so the checkpoint's sha256 covers it; nothing is pickled.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from functools import lru_cache

import numpy as np
import torch

from usecases.core.tables import DataProblem

SUBWORD_ABOVE_BYTES = 1_000_000  # "auto": BPE for training text above this, characters below


@lru_cache(maxsize=1)
def _unicode_to_byte() -> dict[str, int]:
    """Inverse of GPT-2's ``bytes_to_unicode`` (Radford et al. 2019), which byte-level BPE uses to show
    every byte as a printable character: printable Latin-1 bytes map to themselves, the rest to 256+."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def _show(c: str) -> str:
    """A character for a message: itself, or its code point and name when it would not be seen (a combining mark, a control)."""
    if c.isprintable() and not unicodedata.combining(c) and not c.isspace():
        return repr(c)
    name = {"\t": "tab", "\n": "line break", "\r": "carriage return"}.get(c) or unicodedata.name(c, "control character").lower()
    return f"U+{ord(c):04X} ({name})"


class CharTokenizer:
    kind = "characters"

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
        if missing:  # "é" may arrive as e + a combining accent (pasted from a PDF or a Mac) where training saw one "é", or back
            for form in ("NFC", "NFD"):
                if not self.unknown(unicodedata.normalize(form, text)):
                    return [self.index[c] for c in unicodedata.normalize(form, text)]
            missing = self.unknown(unicodedata.normalize("NFC", text))
            shown = ", ".join(_show(c) for c in missing[:8]) + (" …" if len(missing) > 8 else "")
            raise DataProblem(f"it contains characters the model never saw in training: {shown}; this model reads characters, only "
                              "those of its training text — remove or replace them", "the prompt")
        return [self.index[c] for c in text]

    def encode_array(self, text: str) -> np.ndarray:
        return np.asarray(self.encode(text), dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def stream_decoder(self):
        """A callable turning one new token at a time into the text it adds."""
        return self.decode

    def token_bytes(self) -> np.ndarray:
        return np.array([len(c.encode()) for c in self.chars], dtype=np.int64)


class BPETokenizer:
    """Byte-level BPE from Hugging Face ``tokenizers`` (the GPT-2 scheme): any text encodes, nothing is unknown."""

    kind = "byte-level BPE"

    def __init__(self, tk):
        self.tk = tk
        vocab = tk.get_vocab()
        inv = _unicode_to_byte()
        self._bytes = [b""] * tk.get_vocab_size()
        for piece, i in vocab.items():
            self._bytes[i] = bytes(inv[ch] for ch in piece) if all(ch in inv for ch in piece) else piece.encode()

    @classmethod
    def train(cls, texts, vocab_size: int = 4096) -> "BPETokenizer":
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        tk = Tokenizer(models.BPE())
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tk.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
        tk.train_from_iterator(texts, trainer=trainer)
        return cls(tk)

    @classmethod
    def from_tensor(cls, blob: torch.Tensor) -> "BPETokenizer":
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_str(bytes(blob.to(torch.uint8).tolist()).decode("utf-8")))

    def to_tensor(self) -> torch.Tensor:
        data = self.tk.to_str().encode("utf-8")
        return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()

    def to_json(self) -> dict:
        return json.loads(self.tk.to_str())

    @property
    def vocab_size(self) -> int:
        return self.tk.get_vocab_size()

    def unknown(self, text: str) -> list[str]:
        return []

    def encode(self, text: str) -> list[int]:
        return self.tk.encode(text).ids

    def encode_array(self, text: str, chunk: int = 1 << 16) -> np.ndarray:
        """Long texts: encoded in pieces cut at line breaks (parallel in Rust), so no pre-token spans a cut."""
        pieces, start = [], 0
        while start < len(text):
            end = len(text) if start + chunk >= len(text) else text.rfind("\n", start + 1, start + chunk) + 1 or start + chunk
            pieces.append(text[start:end])
            start = end
        enc = self.tk.encode_batch(pieces)
        return np.fromiter((i for e in enc for i in e.ids), dtype=np.int64)

    def decode(self, ids) -> str:
        return b"".join(self._bytes[int(i)] for i in ids).decode("utf-8", errors="replace")

    def stream_decoder(self):
        """One token at a time → text, holding back a partial UTF-8 character until its last byte arrives."""
        dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return lambda ids: "".join(dec.decode(self._bytes[int(i)]) for i in ids)

    def token_bytes(self) -> np.ndarray:
        return np.array([len(b) for b in self._bytes], dtype=np.int64)
