"""Text generation's "train on your corpus" path: a tester's sweep (2026-12-07)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from usecases import textgen
from usecases.core.tables import DataProblem
from usecases.textgen import training
from usecases.textgen.corpus import read_corpus, split

LN2 = math.log(2)


def _uneven_corpus():
    """Training text of plain and accented sentences; a held-out part that starts plain and ASCII (the live windows) and ends
    in accented, unpredictable words — so the live windows' n-gram figure and bytes per token differ from the whole part's."""
    rng = np.random.default_rng(0)
    plain = [f"The river runs past the mill number {i % 9} and the miller counts the sacks of grain." for i in range(330)]
    accented = ["".join(rng.choice(list("àéèêëîïôûüç ç ékr")) for _ in range(60)) for _ in range(40)]
    train = "\n".join(plain[:300] + accented[:20])
    held = "\n".join(plain[300:] + accented[20:] * 3)
    text = train + "\n" + held
    corpus = split(text, "uneven")
    return dataclasses.replace(corpus, train=text[: len(train) + 1], val=text[len(train) + 1:])


def test_the_live_ngram_line_is_scored_on_the_live_windows():
    """The live curve's n-gram line and bytes per token are those of the windows the live check scores, not of the whole
    held-out text (they had been: the line read 2.134 where the n-gram on the live windows read 1.777)."""
    cfg = dataclasses.replace(textgen.Config.quick(), eval_batches=1, batch_size=4)
    prep = training.prepare(cfg, _uneven_corpus())
    ids, bpt, ng = prep.live
    block = prep.config.model.block_size
    n = min(cfg.eval_batches * cfg.batch_size, (len(ids) - 1) // block) * block  # the windows val_loss scores
    assert n < len(ids) - 1  # the windows are a part of the held-out text
    head = ids[: n + 1].numpy()
    nbytes = int(prep.tok.token_bytes()[head[1:]].sum())
    assert ng == pytest.approx(prep.ngram.nats(head) / LN2 / nbytes, rel=1e-9)
    assert bpt == pytest.approx(nbytes / n, rel=1e-9)
    assert abs(ng - prep.ng_bpb) > 0.2 and abs(bpt - prep.bytes_per_token) > 0.05  # the case differs from the whole text
    # the GPT's live point is divided by the same windows' bytes
    gpt = prep.new_model().gpt
    row = prep.val_loss(gpt)
    nats = training.token_nats(gpt, ids, prep.config.model.block_size, max_windows=n // block)
    assert len(nats) == n
    assert row["val_bpb"] == pytest.approx(float(nats.sum()) / LN2 / nbytes, rel=1e-5)
    assert row["ngram_bpb"] == ng and row["beats_ngram"] == float(row["val_bpb"] < ng)
    assert prep.choice_section()["ngram_bpb"] == ng and prep.choice_section()["scored_tokens"] == n

