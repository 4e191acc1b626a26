"""Corpora: Python's bundled reference documentation (default) and users' own texts.

Default: ``pydoc_data.topics`` — the reference-manual topics that ship with every CPython (used by
``help()``), framed as drafts for a documentation assistant. Topics are joined in key order, then
split 90 / 10 into contiguous training and validation text (the validation part is unseen prose,
not shuffled sentences of training topics).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from usecases.core.tables import DataProblem, decode_text, read_table, sniff_binary

MIN_CHARS = 2_000
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Corpus:
    text: str
    source: str
    train: str
    val: str

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def split(text: str, source: str, ratio: float = 0.9) -> Corpus:
    if len(text) < MIN_CHARS:
        raise DataProblem(f"it has {len(text):,} characters; at least {MIN_CHARS:,} are needed to train and hold out 10 % for validation", "this corpus")
    cut = int(len(text) * ratio)
    return Corpus(text=text, source=source, train=text[:cut], val=text[cut:])


def pydoc_corpus() -> Corpus:
    from pydoc_data import topics

    parts = [f"{key}\n{'=' * len(key)}\n\n{topics.topics[key].strip()}\n\n" for key in sorted(topics.topics)]
    text = "".join(parts)
    import sys

    return split(text, f"Python {sys.version_info.major}.{sys.version_info.minor} reference documentation (pydoc_data.topics, {len(topics.topics)} topics)")


def read_corpus(files: list[tuple[str, bytes]], text_column: str | None = None) -> Corpus:
    """.txt / .md files (concatenated) or a CSV's text column → a corpus."""
    if not files:
        raise DataProblem("no file was given", "the corpus")
    texts = []
    names = []
    for name, raw in files:
        subject = f"“{name}”"
        if not raw:
            raise DataProblem("it is empty", subject)
        if len(raw) > MAX_BYTES:
            raise DataProblem(f"it is {len(raw) / 2**20:.1f} MB, over the {MAX_BYTES // 2**20} MB limit", subject)
        reason = sniff_binary(raw)
        if reason:
            raise DataProblem(reason, subject)
        if name.lower().endswith((".csv", ".tsv")):
            df, _ = read_table(raw, max_bytes=MAX_BYTES, encodings=("utf-8", "cp1252"), subject=subject)
            col = text_column or _guess_text_column(df)
            if col not in df.columns:
                raise DataProblem(f"it has no column {col!r} (columns: {', '.join(df.columns)})", subject)
            texts.append("\n\n".join(t for t in df[col].astype(str) if t.strip()))
        else:
            text, _ = decode_text(raw, ("utf-8", "cp1252"), subject)
            texts.append(text)
        names.append(name)
    text = "\n\n".join(t.replace("\r\n", "\n") for t in texts)
    return split(text, f"your corpus ({', '.join(names)}; {len(text):,} characters)")


def _guess_text_column(df) -> str:
    lengths = {c: df[c].astype(str).str.len().mean() for c in df.columns}
    return max(lengths, key=lengths.get)
