"""Text → token ids: the tokenizer for a corpus and the encoded texts, both cached on disk by their inputs
(a 27 MB corpus takes minutes to tokenise; the cache is keyed by what determines the result)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .tokenizer import SUBWORD_ABOVE_BYTES, BPETokenizer, CharTokenizer

ENCODE_CACHE_ABOVE = 2_000_000  # characters: shorter texts are encoded each time


def choose_tokenizer(requested: str, corpus: Corpus) -> str:
    """"characters" or "bpe": as requested, or by size for "auto" (subwords above ~1 MB of training text)."""
    if requested in ("characters", "bpe"):
        return requested
    if requested != "auto":
        raise ValueError(f"unknown tokenizer {requested!r}")
    return "bpe" if len(corpus.train.encode()) > SUBWORD_ABOVE_BYTES else "characters"


def ngram_orders(requested: tuple[int, ...], kind: str) -> tuple[int, ...]:
    """The n-gram orders to try (picked on training text only): tokens 2–5, characters 3–8."""
    return requested or ((2, 3, 4, 5) if kind == "bpe" else (3, 4, 5, 6, 7, 8))


def build_tokenizer(kind: str, corpus: Corpus, vocab: int):
    """The tokenizer for a corpus; BPE is trained on the training split only. Cached on disk only for public text (the stack's
    documentation, ``meta["public"]``): a user's corpus stays in memory — its BPE merges, fragments of its text, had been
    saved under .cache and never deleted (a review, 2026-12-07)."""
    if kind == "characters":
        return CharTokenizer.from_text(corpus.text)
    import tokenizers

    def train() -> BPETokenizer:
        step = 1 << 16
        return BPETokenizer.train([corpus.train[i : i + step] for i in range(0, len(corpus.train), step)], vocab_size=vocab)

    if not corpus.meta.get("public"):
        return train()
    path = _cache_file(f"textgen-bpe-{_sha(f'{tokenizers.__version__}|{vocab}|{_sha(corpus.train)}')[:16]}.json")
    if path.exists():
        try:
            from tokenizers import Tokenizer

            return BPETokenizer(Tokenizer.from_file(str(path)))
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            path.unlink(missing_ok=True)
    tok = train()
    _write_quietly(path, lambda tmp: tok.tk.save(tmp))
    return tok


def encode(tok, text: str, *, cache: bool = False) -> np.ndarray:
    """Token ids of a text; long public texts (``cache``) are cached as .npy by tokenizer and text, loaded without pickle. A
    user's text is never written to disk (its token ids decode back to it)."""
    if not cache or len(text) < ENCODE_CACHE_ABOVE:
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


def _cache_file(name: str) -> Path:
    from usecases.core.cache import cache_dir

    return cache_dir() / name


def _write_quietly(path: Path, write) -> None:
    """Best-effort cache write (temp file, then rename); an unwritable cache is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        write(tmp)
        os.replace(tmp, path)
    except OSError:
        pass


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
