"""Text corpora from CSV: a headerless one-column file keeps its first paragraph; a guessed text column is named (2026-12-05)."""

from __future__ import annotations

import io

import pandas as pd

from usecases.textgen.corpus import read_corpus

PARAS = [f"Copyright (C) 2007 Free Software Foundation, Inc. paragraph {i} of a licence that is long enough to be prose, "
         "with words and sentences. Everyone is permitted to copy it." for i in range(60)]


def _csv(df: pd.DataFrame, **kw) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, **kw)
    return buf.getvalue().encode()


def test_headerless_one_column_keeps_its_first_paragraph():
    corpus = read_corpus([("licence.csv", _csv(pd.DataFrame({"t": PARAS}), header=False))])
    assert corpus.text.startswith(PARAS[0])
    assert "column 'text'" in corpus.source and "Copyright" not in corpus.source.split("column")[1]
    assert any("read without a header" in n for n in corpus.notes), corpus.notes
    named = read_corpus([("licence.csv", _csv(pd.DataFrame({"review text": PARAS})))])  # a real name stays the name
    assert named.text.startswith(PARAS[0]) and "column 'review text'" in named.source and not named.notes


def test_a_guessed_text_column_is_named_in_a_note():
    df = pd.DataFrame({"subject": [f"ticket {i}" for i in range(60)], "body": PARAS, "body_html": [f"<p>{p}</p>" for p in PARAS]})
    corpus = read_corpus([("tickets.csv", _csv(df))])
    assert any("column 'body_html' read as the text" in n and "--text-column" in n for n in corpus.notes), corpus.notes
    assert not read_corpus([("tickets.csv", _csv(df))], text_column="body").notes


def test_the_cli_prints_the_guessed_column(tmp_path, capsys):
    from usecases import textgen
    from usecases.__main__ import _read_user_data

    df = pd.DataFrame({"subject": [f"ticket {i}" for i in range(60)], "body": PARAS, "body_html": [f"<p>{p}</p>" for p in PARAS]})
    f = tmp_path / "tickets.csv"
    f.write_bytes(_csv(df))
    args = type("A", (), {"data": str(f), "text_column": None, "items": None, "label": None, "mapping": None,
                          "accept_guessed_mapping": False})()
    _read_user_data(textgen, args)
    assert "note: tickets.csv: column 'body_html' read as the text" in capsys.readouterr().err


def test_csv_cells_keep_their_indentation_and_a_multi_line_first_cell_is_text():
    """A ``text`` cell of indented code had lost its leading spaces (cells were stripped); a headerless file whose first cell
    is a heading with its underline (a line break, no sentence punctuation) lost that record to the column's name."""
    code = [f"    def f{i}(x):\n        return x + {i}  # an indented method of a class, kept as written" for i in range(60)]
    corpus = read_corpus([("code.csv", _csv(pd.DataFrame({"text": code})))])
    assert corpus.text.startswith("    def f0(x):\n        return x + 0")
    heading = ["Introduction\n============"] + PARAS
    bare = read_corpus([("doc.csv", _csv(pd.DataFrame({"t": heading}), header=False))])
    assert bare.text.startswith("Introduction\n============") and any("read without a header" in n for n in bare.notes)


def test_the_same_text_with_windows_line_ends_is_named_as_a_copy():
    import pytest

    from usecases.core.tables import DataProblem

    text = "".join(f"Verse {i}: a line of prose that is long enough to be read as text.\n" for i in range(200))
    with pytest.raises(DataProblem, match="holds the same text as 'a.txt'"):
        read_corpus([("a.txt", text.encode()), ("b.txt", text.replace("\n", "\r\n").encode())])
