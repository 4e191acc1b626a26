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


def _prose(n_sentences: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    words = "the river mill grain miller counts sacks of and a stone wheel turns slowly under morning light while boys carry water".split()
    return [" ".join(rng.choice(words, size=int(rng.integers(8, 16)))).capitalize() + "." for _ in range(n_sentences)]


def test_a_rewrapped_copy_of_the_training_text_is_refused():
    """The training text followed by the same text re-wrapped at 72 columns had trained with no word (its n-gram read 1.022 bits
    per byte, 2.134 on clean text): lines and 128-character slices were compared verbatim."""
    import textwrap

    sentences = _prose(1500)
    original = "\n".join(" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3))  # lines of three sentences
    rewrapped = textwrap.fill(" ".join(sentences), 72)
    with pytest.raises(DataProblem, match=r"repeats text of the part the model trains on, word for word \(line breaks and spacing aside\)"):
        read_corpus([("kjv.txt", (original + "\n\n" + rewrapped).encode())])
    respaced = original.replace(". ", ".  ")  # two spaces after each full stop, as typists do
    with pytest.raises(DataProblem, match="it holds the same text as 'a.txt'"):
        read_corpus([("a.txt", original.encode()), ("b.txt", respaced.encode())])
    # one sentence per CSV row
    csv = "text\n" + "".join(f'"{s}"\n' for s in sentences)
    with pytest.raises(DataProblem, match="it holds the same text as 'a.txt'"):
        read_corpus([("a.txt", original.encode()), ("b.csv", csv.encode())])
    read_corpus([("a.txt", original.encode())])  # the text once is read


def test_a_held_out_part_partly_copied_gets_a_note():
    """A held-out part 41 % copied from the training part had been read with no note (its n-gram read 1.663 bits per byte,
    2.143 clean): above 15 % the reader says the held-out figures are flattered, and by what share."""
    sentences = _prose(3000)
    lines = [" ".join(sentences[i:i + 2]) for i in range(0, len(sentences), 2)]  # 1,500 lines
    cut = int(len(lines) * 0.9)
    held = [lines[i - cut] if i % 10 < 3 else ln for i, ln in enumerate(lines[cut:], start=cut)]  # 30 % copied from the start
    corpus = read_corpus([("a.txt", "\n".join(lines[:cut] + held).encode())])
    note = next((n for n in corpus.notes if "held-out figures" in n), None)
    assert note is not None and "flattered" in note, corpus.notes
    share = int(note.split("%")[0])
    assert 20 <= share <= 40, note
    assert not read_corpus([("a.txt", "\n".join(lines).encode())]).notes  # clean: no note


def _page(rows: int = 3000) -> str:
    return ("<!DOCTYPE html><html><head><title>t</title></head><body>"
            + "".join(f'<div class="row"><p><a href="/x/{i}">{i}</a> <span>item {i}</span></p></div>\n' for i in range(rows)) + "</body></html>")


def _json_lines(rows: int = 3000) -> str:
    import json

    return "".join(json.dumps({"id": i, "text": f"a line of text number {i} with words", "label": "x"}) + "\n" for i in range(rows))


@pytest.mark.parametrize("body, needle", [(_page(), "it is an HTML page"), (_json_lines(), "it is JSON data")])
def test_markup_and_json_in_utf16_are_refused_as_in_utf8(body, needle):
    """An HTML page or JSON lines saved as UTF-16 with its byte-order mark had trained: the sniffs read raw bytes."""
    with pytest.raises(DataProblem, match=needle):
        read_corpus([("f.txt", body.encode())])
    with pytest.raises(DataProblem, match=needle):
        read_corpus([("f.txt", b"\xff\xfe" + body.encode("utf-16-le"))])


@pytest.mark.parametrize("body, needle", [(_page(), r"part of it is markup, not plain text: \d+% of the characters of the 64 kB from line"),
                                          (_json_lines(), r"part of it is JSON data, not plain text: \d+% of the lines of the 64 kB from line")])
def test_markup_after_the_first_64_kb_is_refused(body, needle):
    """Markup or JSON lines after 64 kB of prose had trained: the tag count read the first 64 kB, the JSON sniff 3 lines."""
    prose = "\n".join(" ".join(_prose(3, seed=i)) for i in range(400))
    assert len(prose.encode()) > 70_000
    read_corpus([("f.txt", prose.encode())])  # the prose alone is read
    with pytest.raises(DataProblem, match=needle):
        read_corpus([("f.txt", (prose + "\n" + body).encode())])


def test_an_external_text_says_whether_the_gpt_was_trained_on_it(tmp_path):
    """`evaluate --data` on the model's own training text (re-wrapped, so with another fingerprint) had been labelled "the
    n-gram … has seen this kind of text, the GPT has not"; it now says how much of the scored text the training text holds."""
    import textwrap

    from usecases.core.store import ModelStore

    own = "\n".join(" ".join(_prose(3, seed=i)) for i in range(900))
    other = "\n".join(" ".join(_prose(3, seed=10_000 + i)) for i in range(900))
    cfg = dataclasses.replace(textgen.Config.quick(), max_iters=10, iters_per_step=10, quality_prompts=1)
    t = textgen.train(cfg, data=split(own, "own"))
    textgen.save(t, ModelStore(tmp_path))
    t = textgen.load(ModelStore(tmp_path))  # the sample survives saving
    trained_on = own[: int(len(own) * 0.9)]  # the part the GPT trained on, re-wrapped (so another fingerprint)
    seen = textgen.evaluate(t, split(textwrap.fill(trained_on, 72), "own, re-wrapped")).data
    assert seen.kind == "external" and "the GPT has not" not in seen.split
    assert "occur in the GPT's training text — the GPT has seen part of this text" in seen.split, seen.split
    unseen = textgen.evaluate(t, split(other, "other")).data.split
    assert "little or none" in textgen.evaluate(t, split(textwrap.fill(own, 72), "own")).data.split  # its end: the held-out part
    assert "little or none of it was in the GPT's training text" in unseen, unseen
    old = dataclasses.replace(t, artefacts={k: v for k, v in t.artefacts.items() if k != "train_shingles"})
    assert "cannot be checked" in textgen.evaluate(old, split(other, "other")).data.split


@pytest.mark.parametrize("command", [["list"], ["evaluate", "textgen"]])
def test_a_closed_pipe_is_no_bug(command, tmp_path):
    """`evaluate … | head -2` had said "unexpected BrokenPipeError … this is a bug in AI Use-Case Lab"."""
    import os
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-m", "usecases", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, "UCLAB_DEVICE": "cpu"})
    p.stdout.close()  # the reader stops before the first line is written
    err = p.stderr.read().decode()
    rc = p.wait(timeout=120)
    assert "BrokenPipe" not in err and "bug" not in err and "Traceback" not in err, err
    assert rc == 141, (rc, err)


def test_a_users_corpus_is_never_written_to_disk(tmp_path, monkeypatch):
    """A corpus over 1 MB had its BPE tokenizer (merges: fragments of the user's text) saved under .cache, and one over 2 M
    characters its token ids (which decode back to the text), never deleted (a review, 2026-12-07). Only public text — the
    stack's documentation — is cached."""
    from usecases.textgen import prep

    monkeypatch.setenv("UCLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(prep, "ENCODE_CACHE_ABOVE", 100)
    text = "".join(f"Note {i}: confidential patient diagnosis {i * 7919 % 1000}, merger code 4711-secret.\n" for i in range(2000))
    mine = read_corpus([("private-notes.txt", text.encode())])
    tok = prep.build_tokenizer("bpe", mine, 400)
    ids = prep.encode(tok, mine.train)
    assert len(ids) > 100 and list(tmp_path.iterdir()) == []
    # and through training's own preparation of a user's corpus (BPE, long texts), where a call site could pass cache=True
    training.prepare(dataclasses.replace(textgen.Config.quick(), tokenizer="bpe", bpe_vocab=400), mine)
    assert list(tmp_path.iterdir()) == []
    public = dataclasses.replace(mine, meta={**mine.meta, "public": True})  # the same calls on public text do cache
    prep.encode(prep.build_tokenizer("bpe", public, 400), public.train, cache=True)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npy"]


def test_a_byte_order_mark_inside_a_corpus_is_not_trained_on():
    """`cat a.txt b.txt` of two files saved with a UTF-8 byte-order mark keeps the second mark in the middle of the text: it
    had been read, and trained on, as a character (a sweep, 2026-12-07)."""
    bom = b"\xef\xbb\xbf"
    part = "".join(f"Line {i} of the notes says something plain about item {i % 13}.\n" for i in range(300))
    corpus = read_corpus([("joined.txt", bom + part.encode() + bom + part.replace("notes", "minutes").encode())])
    assert "\ufeff" not in corpus.text and corpus.text.count("Line 0 of the") == 2
    # soft hyphens (text copied from a PDF or a web page), in a .txt or a CSV's text column alike
    shy = part.replace("something", "some\u00adthing")
    import pandas as pd

    column = pd.DataFrame({"text": shy.splitlines()}).to_csv(index=False).encode()
    for files in ([("shy.txt", shy.encode())], [("shy.csv", column)]):
        got = read_corpus(files).text
        assert "\u00ad" not in got and "something plain" in got, files[0][0]


def test_a_csv_column_of_markup_or_json_is_refused_as_a_txt_of_it_is():
    """A ticket export's body_html column, or a column of JSON payloads, trained on its tags and braces: the markup and JSON
    checks a .txt gets had been skipped for a CSV's text column (a sweep, 2026-12-07)."""
    import json

    import pandas as pd

    html = pd.DataFrame({"id": range(300), "body_html": [f"<div class='msg'><p>Hello <b>customer {i}</b>, your order <span>{i}</span> "
                                                         "shipped.</p></div>" for i in range(300)]})
    payload = pd.DataFrame({"id": range(300), "payload": [json.dumps({"text": f"Order {i} shipped to the customer today", "n": i})
                                                          for i in range(300)]})
    prose = pd.DataFrame({"id": range(300), "text": [f"The order {i} was shipped to the customer today and arrived well." for i in range(300)]})
    with pytest.raises(DataProblem, match=r"column 'body_html' cannot be used: it is markup, not plain text"):
        read_corpus([("tickets.csv", html.to_csv(index=False).encode())])
    with pytest.raises(DataProblem, match=r"column 'payload' cannot be used: it is JSON data, not plain text: 100% of its lines"):
        read_corpus([("events.csv", payload.to_csv(index=False).encode())])
    assert "shipped to the customer" in read_corpus([("notes.csv", prose.to_csv(index=False).encode())]).text


def test_a_few_json_lines_after_a_64_kb_boundary_do_not_refuse_a_corpus():
    """The last 64 kB piece could be a few bytes: 65,512 bytes of prose then five JSON lines read "100 % JSON" and the whole
    corpus was refused — where the same tail after less prose was read (a review, 2026-12-07). The last piece is the text's
    last 64 kB."""
    import json

    prose = "".join(f"Paragraph {i} tells of the harbour, the boats and the weather of that year.\n" for i in range(900))
    tail = "".join(json.dumps({"id": i, "note": "kept"}) + "\n" for i in range(5))
    assert len(prose.encode()) > 65_536  # the premise: the tail starts a piece of its own
    assert "harbour" in read_corpus([("notes.txt", (prose + tail).encode())]).text
    lots = "".join(json.dumps({"id": i, "note": f"a record of the day {i}"}) + "\n" for i in range(3000))
    with pytest.raises(DataProblem, match="part of it is JSON data"):
        read_corpus([("notes.txt", (prose + lots).encode())])


def test_every_prompt_is_read_before_any_is_generated(monkeypatch):
    """A character the model never saw in prompt 38 of 40 had stopped the run after 37 generations (a sweep, 2026-12-07): all
    prompts are checked first, so nothing is generated for a file that cannot be scored whole."""
    import pandas as pd

    from usecases.textgen import serving
    from usecases.textgen.generate import Sampling

    corpus = read_corpus([("code.txt", "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(400)).encode())])
    trained = textgen.train(dataclasses.replace(textgen.Config.quick(), quality_prompts=2, max_iters=5, budget_seconds=None), data=corpus)
    calls = []
    monkeypatch.setattr(serving, "complete", lambda *a, **k: calls.append(1) or ("", {"tokens": 0, "seconds": 0.0, "tokens_per_second": 0.0}))
    rows = pd.DataFrame({"prompt": ["def f(x):"] * 3 + ["caf\u00e9 = 1"]})
    with pytest.raises(DataProblem, match=r"^Prompt 4 of 4 \('café = 1'\) cannot be used"):
        serving.score(trained, rows, Sampling(max_new_tokens=2, temperature=0.0))
    assert calls == []  # nothing was generated before the refusal
    # The refusal names the prompt's line in the file: blank lines and a header make "prompt 4" another line (a sweep, 2026-12-07).
    txt = b"def f(x):\n\n\ndef f1(x):\n\ndef f2(x):\ncaf\xc3\xa9 = 1\n"
    with pytest.raises(DataProblem, match=r"^Prompt 4 of 4 \(line 7, 'café = 1'\) cannot be used"):
        serving.score_file(trained, txt, "prompts.txt", Sampling(max_new_tokens=2, temperature=0.0))
    csv = "id,prompt\n1,def f(x):\n2,\"def f1(x):\n    return x\"\n3,caf\u00e9 = 1\n".encode()
    with pytest.raises(DataProblem, match=r"^Prompt 3 of 3 \(line 5, 'café = 1'\) cannot be used"):
        serving.score_file(trained, csv, "prompts.csv", Sampling(max_new_tokens=2, temperature=0.0))
    assert calls == []
