"""Docstrings to prose, and near-duplicate detection — the cleaning steps of the default corpus
(:mod:`.stackdocs`)."""

from __future__ import annotations

import re
import zlib

import numpy as np

_DROP_DIRECTIVES = re.compile(r"^\s*\.\.\s+(code-block|code|sourcecode|math|plot|ipython|doctest|testcode|testoutput|testsetup|autosummary|"
                              r"image|figure|raw|csv-table|list-table|toctree|literalinclude|jupyter-execute|highlight|only|currentmodule|"
                              r"autoclass|autofunction|automodule|include|table|exec_code|plotly)::.*$|^\s*\.\.\s+(_[^:]+:|\|[^|]+\|).*$")
_OTHER_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)::\s*(.*)$")
WORD = re.compile(r"[A-Za-z]+")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def clean_docstring(doc: str) -> str:
    """A docstring as prose: doctest sessions, ``::`` literal blocks and code/math directives dropped,
    reST notes kept as plain sentences (“Note: …”), runs of blank lines squeezed."""
    lines = doc.expandtabs(4).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s.startswith(">>>"):  # a doctest session: the prompt, continuations and output up to a blank line
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        m_drop = _DROP_DIRECTIVES.match(line)
        if m_drop or s.endswith("::"):  # the directive or literal block and its indented body
            base = _indent(line)
            if not m_drop:
                head = s[:-2].rstrip()
                if head and not head.startswith(".."):
                    out.append(" " * base + head + ":")
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
                i += 1
            continue
        m = _OTHER_DIRECTIVE.match(line)
        if m:  # note / warning / versionadded / seealso …: keep the words, drop the markup
            name = m.group(2).replace("versionadded", "new in version").replace("versionchanged", "changed in version").replace("seealso", "see also")
            rest = m.group(3)
            out.append(m.group(1) + name.capitalize() + ":" + (f" {rest}" if rest else ""))
            i += 1
            continue
        out.append(line.rstrip())
        i += 1
    text = "\n".join(out)
    text = re.sub(r"\n(Examples?|Example usage|Usage)\n-+\n*(?=\n\S[^\n]*\n-{3,}|\s*$)", "\n", text)  # headings left empty
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text


def is_prose(text: str) -> bool:
    words = WORD.findall(text)
    if len(words) < 4:
        return False
    letters = sum(len(w) for w in words)
    return letters / max(1, len(re.sub(r"\s", "", text))) >= 0.6


def _shingle_hashes(words: list[str], k: int = 5) -> np.ndarray:
    k = min(k, len(words))
    grams = {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}
    return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))


class NearDuplicates:
    """MinHash (Broder 1997) with banded LSH: ``seen(words)`` is True when an earlier document's
    estimated Jaccard similarity over word 5-grams is at least ``threshold``; else it is remembered."""

    P = np.uint64((1 << 31) - 1)

    def __init__(self, perms: int = 64, bands: int = 8, threshold: float = 0.8, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(self.P), perms, dtype=np.uint64)[:, None]
        self.b = rng.integers(0, int(self.P), perms, dtype=np.uint64)[:, None]
        self.rows, self.threshold = perms // bands, threshold
        self.buckets: list[dict[bytes, int]] = [{} for _ in range(bands)]
        self.sigs: list[np.ndarray] = []

    def seen(self, words: list[str]) -> bool:
        x = _shingle_hashes(words) % self.P
        sig = ((self.a * x[None, :] + self.b) % self.P).min(axis=1)
        keys = [sig[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(len(self.buckets))]
        for band, key in zip(self.buckets, keys):
            j = band.get(key)
            if j is not None and float(np.mean(self.sigs[j] == sig)) >= self.threshold:
                return True
        n = len(self.sigs)
        self.sigs.append(sig)
        for band, key in zip(self.buckets, keys):
            band.setdefault(key, n)
        return False
