"""Reading and validating user tables; CSV export neutralises formulas."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from usecases.core.tables import Column, DataProblem, Schema, load_table, read_table, to_safe_csv

SCHEMA = Schema(
    title="test file",
    columns=(
        Column("id", "str", unique=True),
        Column("when", "datetime"),
        Column("amount", "float", min=0),
        Column("n", "int", required=False, min=0, max=10),
    ),
    allow_extra=False,
    max_bytes=10_000,
)


def _load(text: str | bytes, schema=SCHEMA):
    data = text.encode() if isinstance(text, str) else text
    return load_table(data, schema)


def test_good_file_comma_and_types():
    df, info = _load("id,when,amount,n\na,2018-01-01 10:00,1.5,3\nb,2018-01-02,2,4\n")
    assert info.delimiter == "," and info.header
    assert df["amount"].tolist() == [1.5, 2.0]
    assert pd.api.types.is_datetime64_any_dtype(df["when"])


def test_semicolon_decimal_comma_and_latin1():
    text = "id;when;amount\né1;2018-01-01;1,5\né2;2018-01-02;2,25\n".encode("latin-1")
    schema = Schema(title="t", columns=SCHEMA.columns[:3], encodings=("utf-8", "cp1252"))
    df, info = load_table(text, schema)
    assert info.delimiter == ";" and info.decimal == "," and info.encoding == "cp1252"
    assert df["amount"].tolist() == [1.5, 2.25] and df["id"].tolist() == ["é1", "é2"]


def test_tab_and_pipe_delimiters():
    for d in ("\t", "|"):
        df, info = _load(f"id{d}when{d}amount\na{d}2018-01-01{d}1\n")
        assert info.delimiter == d and len(df) == 1


@pytest.mark.parametrize(
    "data, needle",
    [
        (b"", "it is empty"),
        (b"\n\n  \n", "no rows"),
        (b"PK\x03\x04rest-of-zip", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xls", "old Excel workbook"),
        (b"\x00\x01\x02binary", "binary file"),
        ("id,when,amount\nä,2018-01-01,1\n".encode("latin-1"), "not UTF-8 text (byte 0xe4 on line 2)"),
        ("id,when,amount\n".encode("utf-16"), "UTF-16"),
        (b"x" * 20_000, "over the 9.8 KB limit"),
    ],
)
def test_unreadable_files(data, needle):
    with pytest.raises(DataProblem) as err:
        _load(data)
    assert needle in str(err.value)


def test_every_problem_in_one_message_with_lines():
    text = "id,when,amount,n,extra\na,2018-01-01,1,3,x\na,yesterday,-5,11,y\nc,2018-01-03,abc,2.5,z\nd,2018-01-04,inf,,w\n"
    with pytest.raises(DataProblem) as err:
        _load(text)
    msg = str(err.value)
    assert "unexpected column extra" in msg
    assert "column when: 1 unparseable date value (line 3: 'yesterday')" in msg
    assert "column amount: 1 non-numeric value (line 4: 'abc')" in msg
    assert "column amount: 1 value below 0 (line 3: '-5')" in msg
    assert "column amount: 1 infinite value (line 5: 'inf')" in msg
    assert "column n: 1 value above 10" in msg and "column n: 1 non-integer value (line 4: '2.5')" in msg
    assert "column id: 1 duplicated value (lines 2: 'a', 3: 'a')" in msg
    assert "\n" not in msg


def test_missing_columns_and_empty_values():
    with pytest.raises(DataProblem, match=r"missing columns when, amount \(expected: id, when, amount, n\)"):
        _load("id\na\n")
    with pytest.raises(DataProblem, match="column amount: 1 empty value"):
        _load("id,when,amount\na,2018-01-01,NaN\n")
    with pytest.raises(DataProblem, match="no data rows"):
        _load("id,when,amount\n")


def test_ragged_rows():
    with pytest.raises(DataProblem, match="line 3 has 4 fields where the header has 3"):
        _load("id,when,amount\na,2018-01-01,1\nb,2018-01-02,2,9\n")


def test_headerless_detection():
    df, info = read_table(b"1\t10\t4.0\t881250949\n2\t20\t3.5\t881250950\n")
    assert not info.header and info.delimiter == "\t" and df.shape == (2, 4)


def test_safe_csv_neutralises_formulas_but_keeps_numbers():
    df = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1", "-cmd", "@SUM(A1)", "plain", "\tTab"], "amount": [-5.0, 1, 2, 3, 4, 5]})
    out = pd.read_csv(io.BytesIO(to_safe_csv(df)))
    assert out["name"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-cmd", "'@SUM(A1)", "plain", "'\tTab"]
    assert out["amount"].tolist()[0] == -5.0 and np.issubdtype(out["amount"].dtype, np.number)
    assert to_safe_csv(pd.DataFrame({"=bad": [1]})).startswith(b"'=bad")
