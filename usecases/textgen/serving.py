"""Serving: the model store, users' corpora and prompt files, batch generation and throughput."""

from __future__ import annotations

import re
import threading

import numpy as np
import pandas as pd
import torch

from usecases.core.spec import Throughput
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import Column, DataProblem, Schema, column_choices, file_line, match_columns, read_table, sniff_binary, validate

from . import SPEC
from .corpus import Corpus, _reads_like_prose, plain_text, read_corpus
from .generate import Sampling, complete
from .model import TextModel, Trained

PROMPTS_SCHEMA = Schema(title="prompts file", columns=(Column("prompt", "str", description="Text to continue", example="The with statement",
                                                              aliases=("prompts", "input", "question", "query")),),
                        min_rows=1, max_bytes=5 * 1024 * 1024, na_values=("",))
SCORE_SAMPLING = Sampling(max_new_tokens=200, temperature=0.0)
THROUGHPUT_TOKENS, THROUGHPUT_WARMUP = 64, 16


def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    """Weights (with the tokenizer), card, and the held-out per-token scores (so the page opens without the corpus)."""
    fp16 = trained.card.get("model", {}).get("weights_dtype", "float16") == "float16"
    arts = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in (trained.artefacts or {}).items()}
    return store.save(key or SPEC.name, trained.model.store_tensors(fp16), {**trained.card, "parameter_count": trained.model.gpt.n_params()},
                      format_version=SPEC.format_version, artefacts=arts or None)


def load(store: ModelStore, key: str | None = None) -> Trained:
    key = key or SPEC.name

    def fix(tensors: dict) -> dict:  # the head shares the embedding's weights; the file holds them once, in float16
        out = {k: (v.float() if v.is_floating_point() else v) for k, v in tensors.items()}
        if "gpt.tok.weight" in out:
            out["gpt.head.weight"] = out["gpt.tok.weight"]
        return out

    model, card = load_module(store, key, format_version=SPEC.format_version, build=TextModel.from_card, tensors_hook=fix)
    model.gpt.head.weight = model.gpt.tok.weight  # keep the tie after loading
    arts = store.load_artefacts(key, card)
    return Trained(model=model, card=card, artefacts={k: v.numpy() for k, v in arts.items()} if arts else None)


def add_scores(store: ModelStore, key: str | None = None) -> dict:
    """Score the held-out text of a stored model saved before its per-token scores were kept (its stack
    corpus is rebuilt once) and save them with it; the weights are unchanged. Returns the new card."""
    from .evaluation import _rescore
    from .stackdocs import corpus_for

    trained = load(store, key)
    scores = _rescore(trained, corpus_for(trained.card))
    return save(Trained(model=trained.model, card=trained.card, artefacts=scores.as_artefacts()), store, key)


def read_data(raw: bytes, filename: str, text_column: str | None = None) -> Corpus:
    """A user's corpus (.txt/.md, or a CSV with a text column — ``text_column``, or guessed) for training or evaluation."""
    return read_corpus([(filename, raw)], text_column=text_column)


def score(trained: Trained, rows: pd.DataFrame, sampling: Sampling | None = None, lines: list[int] | None = None) -> pd.DataFrame:
    """A continuation for every row's ``prompt`` (greedy, 200 new tokens unless ``sampling`` says otherwise),
    one prompt after another on the model's device, with its token count and speed. ``lines``: each prompt's line in the
    user's file, named when a prompt cannot be used."""
    if not isinstance(rows, pd.DataFrame) or "prompt" not in rows.columns:
        raise DataProblem("it has no column 'prompt'; give one prompt per row", "the prompts")
    s = sampling or SCORE_SAMPLING
    prompts = rows["prompt"].astype(str)
    lines = lines if lines is not None and len(lines) == len(rows) else None

    def which(i: int, p: str) -> str:  # "prompt 38 of 40" left a file with blank lines to count by hand (a sweep, 2026-12-07)
        where = f"line {lines[i - 1]:,}, " if lines else ""
        return f"prompt {i:,} of {len(rows):,} ({where}{p[:40]!r})"

    if hasattr(trained, "prompt_tokens"):  # every prompt read before any is generated: a character the model never saw in
        for i, p in enumerate(prompts, 1):  # prompt 38 had stopped the run after 37 generations (a sweep, 2026-12-07)
            try:
                trained.prompt_tokens(p)
            except DataProblem as exc:
                raise DataProblem(exc.problems, which(i, p)) from None
    out, long = [], []
    for i, p in enumerate(prompts, 1):
        try:
            text, stats = complete(trained.stream(p, s))
            if hasattr(trained, "prompt_tokens") and (n := trained.prompt_tokens(p)) > trained.model.gpt.cfg.block_size:
                long.append((i, n))
        except DataProblem as exc:  # say which prompt of the file: "the prompt" alone leaves a long file to search
            raise DataProblem(exc.problems, which(i, p)) from None
        out.append({"prompt": p, "completion": text, "tokens": stats["tokens"], "seconds": round(stats["seconds"], 3),
                    "tokens_per_second": round(stats["tokens_per_second"], 1)})
    frame = pd.DataFrame(out, columns=["prompt", "completion", "tokens", "seconds", "tokens_per_second"])
    if long:  # each was cut to its last block_size tokens, unsaid (a sweep, 2026-12-05)
        block = trained.model.gpt.cfg.block_size
        shown = "; ".join(f"prompt {i:,}: {n:,} tokens" for i, n in long[:3]) + (" …" if len(long) > 3 else "")
        frame.attrs["notes"] = [f"{len(long):,} of {len(rows):,} prompts {'are' if len(long) > 1 else 'is'} longer than the model's "
                                f"context of {block:,} tokens ({shown}): the model continues from {'each' if len(long) > 1 else 'its'} "
                                f"last {block:,} tokens, and the start does not shape the continuation"]
    return frame


def score_file(trained: Trained, raw: bytes, filename: str, sampling: Sampling | None = None) -> pd.DataFrame:
    """Generate a continuation for every prompt in a CSV (column ``prompt``) — the CLI ``score``."""
    # Cells as written: "    return x" (a line of indented code) had been scored as "return x", a different prompt with a
    # different continuation (a sweep, 2026-12-04); and only an empty cell is empty — "None" and "NA" are prompts too.
    subject = f"“{filename}”"
    if filename.lower().endswith((".txt", ".md")):  # one prompt per line: it was refused as "line 1 looks like a title" (a sweep)
        rows = _prompt_lines(raw, subject)
        return score(trained, rows, sampling, lines=rows.pop("line").tolist())
    df, info = read_table(raw, max_bytes=PROMPTS_SCHEMA.max_bytes, encodings=("utf-8", "utf-16", "cp1252"), subject=subject,
                          strip=False)
    read_notes = []
    unnamed = info.header and df.shape[1] == 1 and not match_columns(df, PROMPTS_SCHEMA)[0]  # one column, and not a prompt column's name
    if unnamed and _reads_like_a_prompt(str(df.columns[0])):
        # a one-column file of prompts written without a header: its first prompt is not a column name (it was refused as
        # "missing column prompt (found: def add(a, b):)" — a sweep, 2026-12-06; the corpus reader had read such files since 2026-12-05)
        first = str(df.columns[0])
        df, info = read_table(raw, max_bytes=PROMPTS_SCHEMA.max_bytes, encodings=("utf-8", "utf-16", "cp1252"), subject=subject,
                              strip=False, header=False)
        df = df.set_axis(["prompt"], axis=1)
        read_notes.append(f"read without a header — its first line ({first[:40]!r}{'…' if len(first) > 40 else ''}) is a prompt, "
                          "not a column name")
    elif unnamed and len(str(df.columns[0]).split()) >= 3:
        # one column under three words or more that are no prompt column's name ("The assert statement"): "rename the columns"
        # was the advice, when such a file is most often a list of prompts without its header line (a sweep, 2026-12-06)
        first = str(df.columns[0])
        raise DataProblem(f"it has one column, and its first line ({first[:40]!r}) is not a prompt column's name: if that line is a "
                          "prompt, add a first line “prompt” above it, or save the prompts as a .txt file (one per line); if it names "
                          "the column, rename it “prompt”", subject)
    if info.header:  # `input,question`: which one holds the prompts was not said (a sweep, 2026-12-06)
        read_notes += column_choices(df, PROMPTS_SCHEMA)
    rows = validate(df, PROMPTS_SCHEMA, header=info.header, subject=subject)
    out = score(trained, rows, sampling, lines=[file_line(df, r, info.header) for r in range(len(df))])
    out.attrs["notes"] = [*read_notes, *out.attrs.get("notes", [])]
    # The file's other columns (an id, a customer, a channel) come back beside each continuation, as written: the output
    # had held only prompt and completion, so a file of 500 tickets could not be joined back (a sweep, 2026-12-04).
    used = set(match_columns(df, PROMPTS_SCHEMA)[0]) if info.header else {df.columns[0]}
    kept = df[[c for c in df.columns if c not in used and not (str(c).startswith("Unnamed:") and df[c].astype(str).str.strip().eq("").all())]]
    kept = kept.reset_index(drop=True)  # (an empty column left by trailing separators is not carried)
    kept.columns = [f"{c} (your file)" if str(c) in out.columns else str(c) for c in kept.columns]
    if not len(kept.columns):
        return out
    both = pd.concat([kept, out], axis=1)
    both.attrs["notes"] = list(out.attrs.get("notes", []))
    return both


def _reads_like_a_prompt(cell: str) -> bool:
    """A one-column file's first cell that is text to continue, not a column name: prose (``corpus._reads_like_prose``), or
    code and sentences with brackets or punctuation (``def add(a, b):``) — a column name is a word or a few."""
    return _reads_like_prose(cell) or bool(re.search(r"[()\[\]{}.!?;:,=\"']", cell.strip()))


def _prompt_lines(raw: bytes, subject: str) -> pd.DataFrame:
    """A text file's non-blank lines, each a prompt as written (leading spaces kept)."""
    if len(raw) > PROMPTS_SCHEMA.max_bytes:
        raise DataProblem(f"it is larger than {PROMPTS_SCHEMA.max_bytes // (1024 * 1024)} MB", subject)
    reason = sniff_binary(raw, "text")
    if reason:
        raise DataProblem(reason, subject)
    # Windows (CR LF) and classic-Mac (CR alone) line ends too: a CR-only file had been one prompt of three lines
    lines = [(n, line) for n, line in enumerate(re.split(r"\r\n|\r|\n", plain_text(raw, subject)), 1) if line.strip()]
    if not lines:
        raise DataProblem("it holds no prompt (only blank lines); write one prompt per line", subject)
    return pd.DataFrame({"prompt": [p for _, p in lines], "line": [n for n, _ in lines]})


# One measurement per training run and device for the whole process: the evaluation (which prices the
# tokens) and Home's cost table read the same figure.
_MEASURED: dict[tuple[str, str], Throughput] = {}
_MEASURING = threading.Lock()


def throughput(trained: Trained) -> Throughput:
    """Tokens per second of one stream (greedy, KV cache) after a warm-up, on the model's device."""
    device = str(next(trained.model.parameters()).device)
    key = (trained.run_id, device)
    with _MEASURING:  # two measurements at once would slow each other down
        if key not in _MEASURED:
            _MEASURED[key] = Throughput(per_second=_tokens_per_second(trained), unit="tokens", device=device)
        return _MEASURED[key]


def _tokens_per_second(trained: Trained, prompt: str = "The with statement") -> float:
    tok = trained.tokenizer
    if tok.unknown(prompt):  # a character model of a corpus without these letters: any text it knows will do
        prompt = "".join(c for c in tok.chars if c.isprintable())[:8] or tok.chars[0]
    complete(trained.stream(prompt, Sampling(max_new_tokens=THROUGHPUT_WARMUP, temperature=0.0)))
    _, stats = complete(trained.stream(prompt, Sampling(max_new_tokens=THROUGHPUT_TOKENS, temperature=0.0)))
    return stats["tokens_per_second"]
