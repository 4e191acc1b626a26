"""Malformed variants of a valid table, as Hypothesis strategies: what users' exports really look like
when they go wrong (dropped or renamed columns, values of the wrong type, NaN/inf/huge/negative
numbers, other encodings and delimiters, ragged rows, giant cells, repeated headers, binary junk)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from hypothesis import strategies as st

NASTY_NUMBERS = ("nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e400", "-5", "-0", "0", "999999999999", "1,5", "0x1F", "")
NASTY_TEXT = ("", " ", "=cmd|'/C calc'!A0", "NULL", "#N/A", "??", "ÄÖÜ€", "\t", "1/0", "'; DROP TABLE x; --", "é" * 40)


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]

    def to_bytes(self, delimiter: str = ",", encoding: str = "utf-8", bom: bool = False) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        if self.header:
            w.writerow(self.header)
        w.writerows(self.rows)
        data = buf.getvalue().encode(encoding, errors="replace")
        return (b"\xef\xbb\xbf" + data) if bom else data


def _drop_column(t: Table, i: int) -> Table:
    i %= len(t.header)
    return Table(t.header[:i] + t.header[i + 1:], [r[:i] + r[i + 1:] for r in t.rows])


def _rename_column(t: Table, i: int, name: str) -> Table:
    i %= len(t.header)
    return Table(t.header[:i] + [name] + t.header[i + 1:], t.rows)


def _duplicate_header(t: Table, i: int) -> Table:
    i %= len(t.header)
    return Table(t.header + [t.header[i]], [r + [r[i]] for r in t.rows])


def _set_cell(t: Table, r: int, c: int, value: str) -> Table:
    rows = [list(x) for x in t.rows]
    r %= len(rows)
    c %= len(t.header)
    rows[r][c] = value
    return Table(t.header, rows)


def _ragged(t: Table, r: int) -> Table:
    rows = [list(x) for x in t.rows]
    r %= len(rows)
    rows[r] = rows[r][:-1]
    return Table(t.header, rows)


def _fill_column(t: Table, c: int, value: str) -> Table:
    c %= len(t.header)
    return Table(t.header, [r[:c] + [value] + r[c + 1:] for r in t.rows])


@st.composite
def mutated(draw, base: Table) -> tuple[str, bytes]:
    """(description, file bytes): one or two mutations of ``base`` in a random format."""
    t = base
    what = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["drop", "rename", "duplicate", "cell_number", "cell_text", "column", "ragged", "giant", "truncate", "none"]))
        i, j = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
        if kind == "drop" and len(t.header) > 1:
            t = _drop_column(t, i)
        elif kind == "rename":
            t = _rename_column(t, i, draw(st.sampled_from(["", "Unnamed: 0", "x", "AMOUNT ", "ämount", "col 1"])))
        elif kind == "duplicate":
            t = _duplicate_header(t, i)
        elif kind == "cell_number":
            t = _set_cell(t, i, j, draw(st.sampled_from(NASTY_NUMBERS)))
        elif kind == "cell_text":
            t = _set_cell(t, i, j, draw(st.sampled_from(NASTY_TEXT)))
        elif kind == "column":
            t = _fill_column(t, i, draw(st.sampled_from(NASTY_NUMBERS + NASTY_TEXT)))
        elif kind == "ragged" and t.rows:
            t = _ragged(t, i)
        elif kind == "giant":
            t = _set_cell(t, i, j, "x" * 200_000)
        elif kind == "truncate":
            t = Table(t.header, t.rows[: draw(st.integers(0, 3))])
        what.append(kind)
    fmt = draw(st.sampled_from([(",", "utf-8", False), (";", "utf-8", False), ("\t", "utf-8", True), ("|", "utf-8", False),
                                (";", "latin-1", False), (",", "utf-16", False), (",", "utf-8", True)]))
    raw = t.to_bytes(*fmt)
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        raw = draw(st.sampled_from([b"", b"\x00\x01\x02binary", b"PK\x03\x04zip", b"\n\n\n", raw[: len(raw) // 2]]))
        what.append("junk")
    return f"{'+'.join(what)} {fmt}", raw


def zipped(files: dict[str, str]) -> bytes:
    """A zip archive holding ``files`` (name → text): the shape of .docx/.xlsx/.odt uploads, and of a plain zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
