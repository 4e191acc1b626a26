"""Users' own files: interactions (ratings or implicit feedback), optional item titles, user lists.

Interactions: user, item, optional rating (any scale), optional time (Unix seconds or a date);
comma, semicolon, tab, pipe or ``::`` separated (MovieLens ``u.data`` and ``ratings.dat`` work as
they are), with or without a header, UTF-8 or Latin-1. Titles: MovieLens ``u.item`` (pipe-separated,
Latin-1, 19 genre flags), ``movies.dat`` (``::``) or a CSV ``item_id,title[,genres[,year]]``.
"""

from __future__ import annotations

import io
import re

import pandas as pd

from usecases.core import fmt
from usecases.core.tables import (Column, DataProblem, Schema, column_choices, file_line, header_as_data, join_date_and_time, match_columns, match_spellings, merge_id_spellings,
                                  normalise_name, parse_dates, read_table, rounded_ids, times_of_day_only, validate)

from .data import LIKED_SHARE, MIN_USER_INTERACTIONS, Interactions, encode

ENCODINGS = ("utf-8", "cp1252", "latin-1")  # latin-1 decodes any byte: MovieLens' u.item is Latin-1
MIN_USERS = 10  # fewer users than this cannot be split, tuned and tested honestly
UNIX_SECONDS = 1e8  # a bare number column above this is a Unix time, not a rating (1973 onwards)

INTERACTIONS_SCHEMA = Schema(
    title="interactions file",
    columns=(
        # German, French and Spanish exports (since 2026-12-07: a `Bewertung;Datum` export had trained without its ratings and
        # times, with a note; an analyst walkthrough)
        Column("user", "str", description="User or customer id", example="u17",
               aliases=("user_id", "userid", "customer", "customer_id", "kunde", "kunden_id", "kundennummer", "benutzer", "nutzer",
                        "client", "client_id", "utilisateur", "usuario", "cliente")),
        Column("item", "str", description="Item or product id", example="i42",
               aliases=("item_id", "itemid", "movie_id", "movieid", "product", "product_id", "artikel", "artikel_id", "artikelnummer",
                        "produkt", "produkt_id", "produit", "article", "producto", "artículo")),
        Column("rating", "float", required=False, nullable=True, description="Explicit rating (optional; any scale)", example=4.0,
               aliases=("score", "stars", "bewertung", "sterne", "évaluation", "valoración", "puntuación", "calificación"),
               # "9,455 non-numeric values (… 'too much', 'about right' …)" had said nothing of what to do (a walkthrough, 2026-12-07)
               bad_hint="write each rating as a number (e.g. 1–5, or 1 and −1 for likes and dislikes), or remove the rating column "
                        "to count every row as an interaction"),
        Column("timestamp", "str", required=False, nullable=True, description="Unix seconds or a date/time (optional)", example=1260759144,
               aliases=("time", "ts", "date", "datetime", "datum", "zeit", "zeitpunkt", "zeitstempel", "fecha", "horodatage")),
    ),
    min_rows=2,
    encodings=ENCODINGS,
    headerless_ok=True,
)

TITLES_SCHEMA = Schema(
    title="item titles file",
    columns=(
        # the interactions file's names for the item, German, French and Spanish ones included: a `Kunde;Artikel;Datum` export
        # trained while its titles file `Artikel;Name` was refused as "missing column item_id" (a walkthrough, 2026-12-07)
        Column("item_id", "str", unique=True, aliases=("item", "movieid", "movie_id", "id", "product_id", "itemid", "product", "artikel",
                                                       "artikel_id", "artikelnummer", "produkt", "produkt_id", "produit", "article",
                                                       "producto", "artículo")),
        Column("title", "str", nullable=True, required=True, aliases=("name", "titel", "bezeichnung", "titre", "nom", "título", "titulo",
                                                                      "nombre")),
        Column("genres", "str", required=False, nullable=True, aliases=("genre", "category", "categories")),
        Column("year", "float", required=False, nullable=True),
    ),
    min_rows=1,
    encodings=ENCODINGS,
    headerless_ok=True,
)

USERS_SCHEMA = Schema(
    title="user list",
    columns=(Column("user_id", "str", description="A user id known to the model", example="15",
                    aliases=("user", "userid", "customer", "customer_id")),),  # the interactions file's names ("customer" was refused)
    min_rows=1,
    encodings=ENCODINGS,
    headerless_ok=True,
)

# MovieLens-100K u.item: id | title | release date | video release date | IMDb URL | 19 genre flags.
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
                 "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western")


def _colons_to_tabs(raw: bytes) -> bytes:
    """MovieLens ``.dat`` files separate fields with ``::``; read them as tab-separated. A UTF-16 file (a byte-order mark)
    is looked at as text and written back in UTF-16: its bytes hold no ``::``, so a ``movies.dat`` saved as UTF-16 was read
    as one column and refused as "a pipe inside a text splits it" (a sweep, 2026-12-04)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            return raw  # read_table says what is wrong with it
        head = [line for line in text[:10_000].splitlines()[:50] if line.strip()]
        if head and all("::" in line for line in head) and "\t" not in text[:10_000]:
            return text.replace("::", "\t").encode("utf-16")
        return raw
    head = [line for line in raw[:20_000].splitlines()[:50] if line.strip()]
    if head and all(b"::" in line for line in head) and b"\t" not in raw[:20_000]:
        return raw.replace(b"::", b"\t")
    return raw


MILLISECONDS = 1e11  # Unix seconds this large are past the year 5000: 13-digit times are milliseconds (Java, JavaScript exports)


def _compact_dates(cells: pd.Series) -> tuple[pd.Series, int, str] | None:
    """Every cell 8 digits that are a calendar date (``YYYYMMDD``) or 14 that are a date and time (``YYYYMMDDhhmmss``), years
    1900–2100: (the times, the digits, the layout); else None. Since 2026-12-05: 14 digits had been read as "13-digit Unix times
    read as milliseconds" (the year 2606) and 8 as seconds apart."""
    if not len(cells):
        return None
    for digits, fmt, what in ((8, "%Y%m%d", "YYYYMMDD"), (14, "%Y%m%d%H%M%S", "YYYYMMDDhhmmss")):
        if cells.str.fullmatch(rf"(?:19|20|21)\d{{{digits - 2}}}").all():
            when = pd.to_datetime(cells, format=fmt, errors="coerce")
            if when.notna().all() and when.dt.year.between(1900, 2100).all():
                return when, digits, what
    return None


def _decimal_commas(cells: pd.Series) -> bool:
    """Every cell a number written with a decimal comma ("1260759144,0", "2,5") — not thousands separators ("1,260,759")."""
    return bool(len(cells) and cells.str.fullmatch(r"-?\d+,\d+").all() and not cells.str.fullmatch(r"\d{1,3}(?:,\d{3})+").all())


def _numbers(col: pd.Series) -> pd.Series:
    """A headerless column's numbers, decimal commas read as points (a headerless `;` file's "1260759144,0" times had been read
    as ratings of 1.26e9 without a word; a review, 2026-12-07)."""
    cells = col.astype(str).str.strip()
    return pd.to_numeric(cells.str.replace(",", ".", regex=False) if _decimal_commas(cells) else col, errors="coerce")


_SCI = re.compile(r"^[+-]?\d(?:\.(\d*))?[eE]\+?(\d+)$")


def _rounded_times(cells: pd.Series, per_second: int, values: pd.Series, first_line: int) -> str | None:
    """A note when Unix times are written in scientific notation with fewer digits than the number has ("8.322288e+08", as
    a spreadsheet saves them): they were read rounded — to 100 s there — without a word, moving interactions in time and in
    the order the time weighting reads (a sweep, 2026-12-07). None otherwise."""
    parts = cells.str.extract(_SCI)
    sci = parts[1].notna()
    if not sci.any():
        return None
    exponent = pd.to_numeric(parts[1], errors="coerce").fillna(0)
    decimals = parts[0].fillna("").str.len()
    lossy = sci & (decimals < exponent)
    if not lossy.any():
        return None
    step = float(10.0 ** (exponent[lossy] - decimals[lossy]).max()) / per_second  # the coarsest rounding, in seconds
    shown = ", ".join(f"line {file_line(values, i, first_line == 2)}: {cells[i]!r}" for i in cells.index[lossy][:2])
    return (f"column timestamp: {int(lossy.sum()):,} time{'s are' if lossy.sum() > 1 else ' is'} written in scientific notation ({shown}"
            f"{' …' if lossy.sum() > 2 else ''}) — a spreadsheet rounded {'them' if lossy.sum() > 1 else 'it'} to the nearest "
            f"{_fmt_step(step)}, so interactions closer together than that may be read out of order or as at once; they are read as "
            "written — save the column as plain numbers or text (in a spreadsheet, format it as Number with no decimals or as Text) "
            "to keep the exact times")


def _fmt_step(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds >= 1 else f"{seconds:g} s"


def _times(values: pd.Series, subject: str, first_line: int, notes: list[str] | None = None) -> pd.Series:
    """Unix seconds from numbers (seconds, or milliseconds said in a note) or dates; one message naming the first lines that
    are neither. Dates like 01/04/2018 are read day- or month-first for the whole column (``parse_dates``)."""
    present = values.notna() & (values.astype(str).str.strip() != "")
    cells = values[present].astype(str).str.strip()
    if _decimal_commas(cells):
        # "1260759144,0": a decimal comma, as the file's ratings had it read — the times were refused (a sweep, 2026-12-07)
        if notes is not None:
            notes.append(f"column timestamp: decimal commas read as decimal points (e.g. {cells.iloc[0]!r})")
        values = values.where(~present, values.astype(str).str.strip().str.replace(",", ".", regex=False))
    compact = _compact_dates(values[present].astype(str).str.strip())
    if compact is not None:  # 20180401 / 20180401140509: dates written as numbers (they were seconds apart / "milliseconds")
        when, digits, what = compact
        if notes is not None:
            notes.append(f"column timestamp: {digits}-digit numbers read as dates written {what} (e.g. {values[present].iloc[0]!s})")
        secs = (when - pd.Timestamp(0)).dt.total_seconds()
        return secs.reindex(values.index).where(present).astype(float)
    num = pd.to_numeric(values.where(present), errors="coerce")
    if num[present].notna().all():
        known = num[present]
        ms = bool(len(known) and known.min() >= MILLISECONDS and known.max() < MILLISECONDS * 100)
        if notes is not None and (said := _rounded_times(values[present].astype(str).str.strip(), 1000 if ms else 1, values, first_line)):
            notes.append(said)
        if len(known) and known.max() >= MILLISECONDS:
            if ms:  # 12–13 digits; 14 are not milliseconds before 2286
                if notes is not None:
                    notes.append("column timestamp: 13-digit Unix times read as milliseconds")
                return (num / 1000.0).astype(float)
            raise DataProblem(f"column timestamp: values up to {known.max():.0f} are not Unix seconds (that is after the year 5000) and "
                              "not all milliseconds; give seconds, milliseconds or dates", subject)
        if len(known) and known.max() < UNIX_SECONDS and notes is not None:  # years or spreadsheet day numbers read as seconds, unsaid
            years = bool(((known % 1 == 0) & known.between(1900, 2100)).all())
            notes.append(f"column timestamp: numbers {known.min():g} … {known.max():g} read as seconds apart"
                         + (" — they look like years; " if years else " (as Unix times they would all fall in 1970–73); ")
                         + "if they are years, days or spreadsheet dates, give dates instead (only the time weighting — "
                           "interactions close together count more — reads them)")
        zero = present & (num == 0)
        if zero.any() and notes is not None and len(known) and known.max() >= UNIX_SECONDS:
            # 0 beside Unix times of later years is a placeholder for "no time" far more often than 1 January 1970: it had
            # been read as that instant without a word, the oldest interaction by decades (a sweep, 2026-12-07)
            notes.append(f"column timestamp: {int(zero.sum()):,} time{'s are' if zero.sum() != 1 else ' is'} 0 ("
                         + ", ".join(f"line {file_line(values, i, first_line == 2)}" for i in values.index[zero][:3]) + "), read as "
                         "1 January 1970 among times of later years — if 0 stands for a missing time, leave those cells empty")
        return num.astype(float)

    def lines(bad: pd.Series) -> str:
        return ", ".join(f"line {file_line(values, i, first_line == 2)}: {values[i]!r}" for i in values.index[bad][:3])

    text = present & num.isna()
    if num[present].notna().mean() > 0.5:  # mostly Unix times: the text cells are the problem, not every cell read as a date
        raise DataProblem(f"column timestamp: {int(text.sum()):,} value{'s are' if text.sum() != 1 else ' is'} not a Unix time, where the "
                          f"other {int(present.sum() - text.sum()):,} are ({lines(text)}); give every time the same way", subject)
    when, order = parse_dates(values.where(present, ""), utc=True)
    if order:
        raise DataProblem(f"column timestamp: {order}", subject)
    bad = present & when.isna()
    unix = bad & (num >= UNIX_SECONDS)  # "4" among dates is no Unix time (1973 onwards): that stays "neither"
    if unix.any() and unix.sum() == bad.sum():  # mostly dates with some Unix times: the reverse of the mix above, said as it is
        # (it had said "neither Unix seconds nor dates (line 2: '1260759144')" of Unix seconds; a sweep, 2026-12-07)
        raise DataProblem(f"column timestamp: {int(unix.sum()):,} value{'s are Unix times' if unix.sum() != 1 else ' is a Unix time'}, where "
                          f"the other {int(present.sum() - unix.sum()):,} are dates ({lines(unix)}); give every time the same way", subject)
    if bad.any():
        raise DataProblem(f"column timestamp: {int(bad.sum()):,} value{'s are' if bad.sum() != 1 else ' is'} neither Unix seconds nor dates ({lines(bad)})", subject)
    zoned = present & values.astype(str).str.strip().str.contains(r"(?:[+-]\d\d:?\d\d|Z|UTC|GMT)$", regex=True)
    if zoned.any() and not zoned[present].all() and notes is not None:  # read silently before (a sweep, 2026-12-06)
        ex = values[zoned].iloc[0]
        notes.append(f"column timestamp: {int(zoned.sum()):,} of {int(present.sum()):,} times carry a time-zone offset (e.g. {ex!s}) and the "
                     "others do not: those without one are read as UTC, so the two kinds may be hours apart in the order of a user's "
                     "interactions — write every time one way")
    early = present & (when.dt.year < 1900)  # "4/5" read as a date is 5 April of the year 1: no interaction time, and the
    if early.any():  # subtraction below had raised OutOfBoundsDatetime (a traceback on the page; a review, 2026-12-07)
        raise DataProblem(f"column timestamp: {int(early.sum()):,} value{'s read as dates before' if early.sum() != 1 else ' reads as a date before'} "
                          f"1900 ({lines(early)}) — if the column holds ratings (“4/5”), name it rating; times need a year", subject)
    secs = (when - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return secs.where(present).astype(float)


def _ratings_note(r: pd.Series) -> str:
    """What the ratings do: every rated row is an interaction (the model learns what people rate, not how much they like it);
    the ratings decide only which items the reasons call "liked". Negative ratings (thumbs down) are interactions too."""
    lo, hi = float(r.min()), float(r.max())
    cut = float(r[r >= lo + LIKED_SHARE * (hi - lo) - 1e-9].min())
    note = ("every rated row is read as an interaction, whatever its rating — the model learns which items people rate, not how "
            f"much they like them; the ratings only decide which items the reasons call “liked” ({cut:g} or more)")
    neg = int((r < 0).sum())
    if neg:
        note += (f"; the {neg:,} row{'s' if neg > 1 else ''} with a negative rating (e.g. {float(r[r < 0].iloc[0]):g}) count as "
                 "interactions too — remove the rows you do not want counted")
    return note


def _off_scale(rating: pd.Series, *, first_line: int, notes: list[str]) -> pd.Series:
    """Ratings far outside the scale the file uses, read as not given (the interaction stays), with a note naming them.

    The scale is the range of the values that at least 1 % of the rated rows hold (0.5–5 on MovieLens) — or, when those
    values hold fewer than half the rated rows (continuous ratings), the 1st to the 99th percentile; a value more than
    that range's width beyond either end (250 or 99 among 0.5–5 stars) is off it. One such value stretched the scale the
    "liked" threshold reads — the top 30 % of 0.5–250 is 175 and up, so no film was "liked" any more — without a word."""
    num = pd.to_numeric(rating, errors="coerce")
    known = num.dropna()
    share = known.value_counts(normalize=True)
    common = share[share >= 0.01].index
    if len(known) < 20:
        return rating
    if share[share >= 0.01].sum() >= 0.5:  # a scale of a few values (stars): the values most rows use
        if len(common) < 2:
            return rating
        lo, hi = float(min(common)), float(max(common))
        scale = f"the scale most rows use ({lo:g}–{hi:g}"
    else:
        # continuous ratings (weights, prices): few values repeat, so the "common" ones were a handful near the bottom —
        # ChickWeight's 39–157, and 23 real weights up to 373 were dropped while 157 of 578 rows lay above 157 (a sweep,
        # 2026-12-07). The range from the 1st to the 99th percentile is the scale instead.
        lo, hi = float(known.quantile(0.01)), float(known.quantile(0.99))
        if hi <= lo:
            return rating
        scale = f"the range 98 % of the ratings fall in ({lo:g}–{hi:g}, the 1st to the 99th percentile"
    # how far beyond the scale is off it: its width for a scale of a few values; ten widths for continuous ones, whose tail is
    # real (prices: a log-normal's 902.58 beyond 1.2–373 had been dropped; a review, 2026-12-07) — a typo stays far beyond
    reach = (hi - lo) * (1 if scale.startswith("the scale") else 10)
    off = num.notna() & ((num < lo - reach) | (num > hi + reach))
    if not off.any():
        return rating
    # both ends when both occur: three 1e9 lines had stood for five −5 ones too, never shown (a sweep, 2026-12-07)
    high, low = list(num.index[off & (num > hi)]), list(num.index[off & (num < lo)])
    shown = sorted(high[:2] + low[:1]) if high and low else (high or low)[:3]
    ex = ", ".join(f"line {file_line(rating, i, first_line == 2)}: {num[i]:g}" for i in shown)
    notes.append(f"{int(off.sum()):,} rating{'s' if off.sum() > 1 else ''} far outside {scale}; {ex}) "
                 "read as not given — the interactions stay; fix them in the file if they are real")
    return rating.where(~off, None)


# "4 stars", "3/5" and "4 out of 5" ("out of" had been refused as non-numeric while "4/5" was read; a sweep, 2026-12-07)
_RATING_WORDS = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:(?:stars?|sterne?|étoiles?|estrellas?|points?|pts?)\.?|(?:/|out\s+of|von|sur|de)\s*"
                           r"(\d+(?:[.,]\d+)?)(?:\s*(?:stars?|sterne?|étoiles?|estrellas?|points?|pts?)\.?)?)\s*$", re.IGNORECASE)


# Star glyphs ("★★★", "★★★☆☆", "⭐⭐⭐⭐") and thumbs ("thumbs up", "👍", "like"): a review export's ratings. They had been refused
# as "9,455 non-numeric values" with nothing to do about it (an analyst walkthrough, 2026-12-07).
_STARS = re.compile(r"^[★⭐☆✩](?:\s*[★⭐☆✩])*$")
_THUMBS = {**dict.fromkeys(("thumbs up", "thumb up", "thumbs-up", "thumbsup", "👍", "like", "liked", "up"), 1.0),
           **dict.fromkeys(("thumbs down", "thumb down", "thumbs-down", "thumbsdown", "👎", "dislike", "disliked", "down"), -1.0)}


def _ratings_in_symbols(col: pd.Series) -> tuple[pd.Series, str]:
    """Ratings written as star glyphs (the number of filled stars: "★★★☆☆" is 3) or as thumbs up / down (1 and −1, as a
    −1/0/1 file writes them), with a note, when every non-empty cell of the column is written one of those ways or as a plain
    number; else only the cells so written are read, and the refusal names the others."""
    text = col.astype(str).str.strip().str.replace(r"[\U0001F3FB-\U0001F3FF\ufe0f]", "", regex=True)  # 👍🏽 is 👍
    stars = text.str.match(_STARS)
    thumbs = text.str.lower().map(_THUMBS)
    if not (stars.any() or thumbs.notna().any()):
        return col, ""
    number = thumbs.where(~stars, text.str.count("[★⭐]").astype(float))
    out = col.astype(object).where(number.isna(), number.map(lambda v: f"{v:g}"))
    plain = (pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").notna() | text.eq("")
             | text.isin(INTERACTIONS_SCHEMA.na_values))
    if not (number.notna() | plain).all():
        return out, ""
    said = []
    if stars.any():
        empty = text[stars].str.contains("[☆✩]")
        said.append(f"{int(stars.sum()):,} rows of star glyphs (like {text[stars].iloc[0]!r}) read as the number of filled stars"
                    + (" (empty stars ☆ count 0)" if empty.any() else ""))
    if thumbs.notna().any():
        up, down = text[thumbs == 1.0], text[thumbs == -1.0]
        said.append(f"{int(thumbs.notna().sum()):,} rows of thumbs read as ratings: "
                    + ", ".join(f"{w.iloc[0]!r} = {v}" for w, v in ((up, "1"), (down, "−1")) if len(w)))
    return out, "; ".join(said)


def _ratings_in_words(col: pd.Series) -> tuple[pd.Series, str]:
    """Ratings written with their unit ("4 stars", "4,5 Sterne") or out of a maximum ("3/5"): the number, when every
    non-empty cell of the column is written one of those ways or as a plain number; else the column as it was."""
    text = col.astype(str).str.strip()
    m = text.str.extract(_RATING_WORDS)
    worded = m[0].notna()
    if not worded.any():
        return col, ""
    plain = (pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").notna() | text.eq("")
             | text.isin(INTERACTIONS_SCHEMA.na_values))  # "n/a" is a missing rating, said as such later, not a reason to read none
    if not (worded | plain).all():
        # One cell not written so ("great" among 18,480 "4 stars") had left the whole column as it was, and the refusal then
        # listed every readable "… stars" cell as non-numeric and never the one to fix (a sweep, 2026-12-07). The worded cells
        # are read, the others left as they are, so the refusal names those alone.
        return col.where(~worded, pd.to_numeric(m[0].str.replace(",", ".", regex=False), errors="coerce").map(lambda v: f"{v:g}")), ""
    number = pd.to_numeric(m[0].str.replace(",", ".", regex=False), errors="coerce")
    top = pd.to_numeric(m[1].str.replace(",", ".", regex=False), errors="coerce")
    tops = sorted(set(top.dropna()))
    out = col.where(~worded, number.map(lambda v: f"{v:g}"))
    example = text[worded].iloc[0]
    note = (f"ratings read from text like {example!r} (the number; "
            + (f"out of {', '.join(f'{t:g}' for t in tops)}" if tops else "its unit dropped") + f") in {int(worded.sum()):,} rows")
    if len(tops) > 1 and 0 not in tops:
        # "4/5" and "8/10" in one file had been read as 4 and 8 on one scale: every /5 rating fell below the "liked" threshold
        # (8 or more) and the reasons never named one (a sweep, 2026-12-05). Each is put on the largest scale.
        scaled = top.notna()
        out = out.where(~scaled, (number * tops[-1] / top).map(lambda v: f"{v:g}"))
        counts = ", ".join(f"{int((top == t).sum()):,} out of {t:g}" for t in tops)
        ex = next(f"{text[i]!r} read as {number[i] * tops[-1] / top[i]:g}" for i in top.index[scaled & (top != tops[-1])][:1])
        note += f"; written on {len(tops)} scales ({counts}), all put on one, out of {tops[-1]:g} ({ex})"
    return out, note


_DATE_NAMES = {"date", "day", "datum", "fecha", "jour"}


def _day_only(values: pd.Series) -> bool:
    """Dates without a time of day ("2018-04-01", "01.04.2018", 20180401) — not Unix times, not dates with times."""
    s = values.dropna().astype(str).str.strip()
    s = s[s != ""]
    if not len(s) or s.str.contains(":").any():
        return False
    return not pd.to_numeric(s, errors="coerce").notna().all() or bool(s.str.fullmatch(r"\d{8}").all())


def _date_and_time(df: pd.DataFrame, subject: str, notes: list[str]) -> pd.DataFrame:
    """A time-of-day column (``time`` = 14:05:09) joined with the file's date column into the time of each interaction, said
    in a note; refused when there is no date to join it to. Since 2026-12-05: before, ``user_id,item_id,rating,time,date``
    read ``time`` as full times, every one on the day of reading (20 years of ratings in one day), and ``date`` not at all."""
    ts = INTERACTIONS_SCHEMA.column("timestamp")
    names = {normalise_name(n) for n in (ts.name, *ts.aliases)} | _DATE_NAMES
    cands = [c for c in df.columns if normalise_name(c) in names]
    tod = [c for c in cands if times_of_day_only(df[c])]
    if not tod:
        return df
    used = next((c for c, t in match_columns(df, INTERACTIONS_SCHEMA)[0].items() if t == "timestamp"), None)
    dated = [c for c in cands if c not in tod and _day_only(df[c])]
    if used is not None and used not in tod and used not in dated:
        return df  # full dates and times (or Unix times) are there: a time of day beside them is not needed
    time = tod[0]
    if not dated:
        ex = next(v for v in df[time].astype(str).str.strip() if v)
        raise DataProblem(f"column {time} holds times of day only (e.g. {ex!r}) and there is no date column — times of day need "
                          "their dates: add a date column, give dates and times together, or leave the column out", subject)
    date = used if used in dated else dated[0]
    notes.append(f"columns {date} and {time} joined into the date and time of each interaction")
    return join_date_and_time(df, date, time, "timestamp")


def _numbers_rows(col: pd.Series) -> bool:
    """0, 1, 2, … (or 1, 2, 3, …) down every row of at least two: a row index, such as pandas' ``to_csv`` writes."""
    first = pd.to_numeric(col, errors="coerce")
    n = len(col)
    return bool(n >= 2 and first.notna().all() and int(first.iloc[0]) in (0, 1)
                and (first.to_numpy() == range(int(first.iloc[0]), int(first.iloc[0]) + n)).all())


def _id_or_name(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Of several columns that could each be the user (or item) column — ``user_id`` and ``user``, ``item_id`` and ``item``
    — the one with the most distinct values, the others left out of the table; ties keep the column the names pick (the
    schema's own name first). One note per choice, naming each column's distinct count.

    Since 2026-12-07: the schema's own name always won, so ``user_id,user,item_id,item,…`` with ``user`` a first name shared
    by several people and ``item`` a title read the names — 58 users merged into 12, with only a note that ``user_id`` was
    not used."""
    notes: list[str] = []
    mapping = match_columns(df, INTERACTIONS_SCHEMA)[0]
    drop: list = []
    for target in ("user", "item"):
        col = INTERACTIONS_SCHEMA.column(target)
        names = {normalise_name(n) for n in (col.name, *col.aliases)}
        cands = [c for c in df.columns if normalise_name(c) in names and mapping.get(c, target) == target]
        if len(cands) < 2:
            continue
        distinct = {c: int(df[c].astype(str).str.strip().replace("", None).dropna().nunique()) for c in cands}
        named = next((c for c, t in mapping.items() if t == target), cands[0])
        best = max(cands, key=lambda c: (distinct[c], c == named))  # ties: the column the names pick
        others = [c for c in cands if c != best]
        drop.extend(others)
        counts = ", ".join(f"{str(c)!r} {distinct[c]:,}" for c in cands)
        if distinct[best] > distinct[named]:
            why = (f"it tells the most {target}s apart; read by {str(named)!r}, {distinct[best]:,} {target}s would have been merged "
                   f"into {distinct[named]:,}")
        else:
            why = "its name" if normalise_name(best) == target else "the first in the file"
        notes.append(f"{', '.join(repr(str(c)) for c in cands)} could each be the {target} column (distinct values: {counts}): "
                     f"{str(best)!r} is used ({why}), {', '.join(repr(str(o)) for o in others)} not")
    if not drop:
        return df, notes
    out = df.drop(columns=drop)
    out.attrs = df.attrs
    return out, notes


def read_interactions(raw: bytes, filename: str, items: bytes | None = None, items_name: str | None = None) -> Interactions:
    """Validate a user's ratings / implicit-feedback file (delimiter and header detected)."""
    subject = f"“{filename}”"
    df, info = read_table(_colons_to_tabs(raw), max_bytes=INTERACTIONS_SCHEMA.max_bytes, encodings=ENCODINGS, subject=subject)
    named = header_row = info.header
    if named and (back := header_as_data(df, INTERACTIONS_SCHEMA)) is not None:  # "u0,i25,2020-06-14" is data, not names
        df, named, header_row = back, False, False
    notes: list[str] = []
    if not named and df.shape[1] >= 3:
        if _numbers_rows(df.iloc[:, 0]):
            # 0, 1, 2, … down every row is a row index (pandas' to_csv writes one unless index=False), never a user: a user has
            # at least 4 rows. Read as the user, it had made the users the items and the items the ratings.
            df = df.iloc[:, 1:].set_axis(range(df.shape[1] - 1), axis=1)
            notes.append("ignored the first column: it numbers the rows (a row index)")
    if not named and df.shape[1] == 3:
        third = _numbers(df.iloc[:, 2])
        if third.notna().all() and (third > UNIX_SECONDS).all():  # user, item, time: implicit feedback with times
            df, named = df.set_axis(["user", "item", "timestamp"], axis=1), True
        elif (third.isna().all() and not df.iloc[:, 2].astype(str).str.match(_RATING_WORDS).any()
              and (parse_dates(df.iloc[:, 2].head(200))[0].dt.year >= 1900).all()):  # "4/5" is a rating, not 5 April of the year 1
            # user, item, date ("2009-12-14"): read as ratings, every cell had been refused as "non-numeric" (a sweep, 2026-12-07)
            df, named = df.set_axis(["user", "item", "timestamp"], axis=1), True
            notes.append("no header: the third column holds dates, so it is read as the time of each interaction")
    if not named and df.shape[1] == 4:
        third, fourth = (_numbers(df.iloc[:, j]) for j in (2, 3))
        if third.notna().all() and (third > UNIX_SECONDS).all() and fourth.notna().all() and (fourth.abs() < UNIX_SECONDS).all():
            # user, item, time, rating: read in the MovieLens order (rating, then time) it had made the times the ratings
            df, named = df.set_axis(["user", "item", "timestamp", "rating"], axis=1), True
            notes.append("no header: the third column holds Unix times and the fourth the ratings, so they are read that way round")
    if named:  # user_id beside user (a first name): the one that tells more users (items) apart is read, and said
        df, chose = _id_or_name(df)
        notes.extend(chose)
    if named:  # "4 stars", "3/5": the number is the rating (any scale is read); they were refused as non-numeric, with no way out
        src = next((f for f, t in match_columns(df, INTERACTIONS_SCHEMA)[0].items() if t == "rating"), None)
        if src is not None:
            df = df.copy()
            for read in (_ratings_in_symbols, _ratings_in_words):
                df[src], said = read(df[src])
                if said:
                    notes.append(said)
    if named:
        df = _date_and_time(df, subject, notes)
    data = validate(df, INTERACTIONS_SCHEMA, header=named, subject=subject, header_row=header_row)
    if named:  # "score" and "rating": the one named rating is read, and the note says so (the first in the file had won)
        notes.extend(column_choices(df, INTERACTIONS_SCHEMA))
    unused = [str(c) for c in match_columns(df, INTERACTIONS_SCHEMA)[1] if named and not str(c).startswith("Unnamed:")]
    if named and items is None and unused:  # titles in the interactions file itself (an export with a title column)
        found = _titles_in_file(df, unused, notes)
        if found is not None:
            items, items_name, used = found
            unused = [c for c in unused if c not in used]
    if unused:  # a rating column named "note" or "Bewertung" had been dropped without a word: every row then counted as liked
        lost = [w for w, col in (("ratings", "rating"), ("times", "timestamp")) if col not in data]
        notes.append(f"not used: {', '.join(map(repr, unused[:6]))}{' …' if len(unused) > 6 else ''}"
                     + (f" — read without {' or '.join(lost)}"
                        + (" (every row counts as an interaction, whatever its rating)" if "ratings" in lost else "")
                        + f"; if one of them holds {' or '.join(lost)}, name it {' or '.join(c for w, c in (('ratings', 'rating'), ('times', 'timestamp')) if w in lost)}"
                        if lost else ""))
    names = {t: str(f) for f, t in match_columns(df, INTERACTIONS_SCHEMA)[0].items()} if named else {}
    rounded = [p for col in ("user", "item") if (p := rounded_ids(data[col], names.get(col, col), col, header_row))]
    if rounded:  # they had been refused as "rows repeat an earlier (user, item) pair", which blamed the file's rows
        raise DataProblem(rounded, subject)
    written = data[["user", "item"]].astype(str).apply(lambda c: c.str.strip())  # as the file writes them, for the repeats below
    for col in ("user", "item"):  # "7" and "007", "1029" and "1029.0": one user, one item (it had split them, NDCG 0.32 → 0.09)
        data[col], merged = merge_id_spellings(data[col], col)
        if merged:
            notes.append(merged)
    if "rating" in data and data["rating"].isna().any():  # blank ratings had trained as NaN weights without a word
        blank = data["rating"].isna()
        lines = ", ".join(str(file_line(df, i, header_row)) for i in blank[blank].index[:5]) + (" …" if blank.sum() > 5 else "")
        raise DataProblem(f"{int(blank.sum()):,} of {len(data):,} rows have no rating (line{'s' if blank.sum() > 1 else ''} {lines}) — fill "
                          "them in, delete those rows, or leave the rating column out to use every row as an interaction without a "
                          "rating", subject)
    if "rating" in data:
        data["rating"] = _off_scale(data["rating"], first_line=2 if header_row else 1, notes=notes)
    if "timestamp" in data:
        data["timestamp"] = _times(data["timestamp"], subject, first_line=2 if header_row else 1, notes=notes)
    problems = []
    dup = data.duplicated(["user", "item"], keep=False)
    if dup.any():
        problems.append(_repeats(data, dup, written, df, header_row))
    counts = data.groupby("user").size()
    enough = counts[counts >= MIN_USER_INTERACTIONS]
    if len(enough) == 0:
        problems.append(f"no user has the {MIN_USER_INTERACTIONS} interactions needed to split 75/25 into training and test")
    elif len(enough) < MIN_USERS:
        problems.append(f"only {len(enough)} user{' has' if len(enough) == 1 else 's have'} {MIN_USER_INTERACTIONS} or more interactions; "
                        f"at least {MIN_USERS} are needed "
                        "to train, tune and test a recommender")
    if data["item"].nunique() < 2:
        problems.append("it has fewer than 2 distinct items; there is nothing to recommend")
    if problems:
        raise DataProblem(problems, subject)
    few = len(counts) - len(enough)
    left_out = None
    if few:
        left_out = data.loc[~data["user"].isin(enough.index), ["user", "item"]].reset_index(drop=True)
        data = data[data["user"].isin(enough.index)]
        swapped = ""
        if few > 0.5 * len(counts):  # most "users" seen once or twice: the columns the other way round (a headerless file trained
            # on films as users, with nothing but this count to show for it)
            # "— 71% of them" had read as a share of the users left out; it is of every user in the file (a sweep, 2026-12-07)
            swapped = (f" — {fmt.rate(few / len(counts))} of the file's {len(counts):,} users: are the user and item columns the other way round? "
                       + ("Without a header the first column is read as the user; add a header line naming them (user,item,…)"
                          if not named else "check which column holds the users"))
        notes.append(f"{few:,} user{'s' if few > 1 else ''} with fewer than {MIN_USER_INTERACTIONS} interactions left out{swapped}")
    n_items = data["item"].nunique()
    most = data.groupby("user").size()
    most = most[most >= max(0.9 * n_items, 20)]  # a power user of a small subset can hold half (MovieLens, 15 users): not this
    if len(most):  # accepted without a word, such a user lifted NDCG: every list hits their held-out quarter of the catalogue
        top = most.sort_values(ascending=False)
        notes.append(f"{len(top):,} user{'s hold' if len(top) > 1 else ' holds'} 90 % of the items or more (e.g. {top.index[0]}: "
                     f"{int(top.iloc[0]):,} of {n_items:,}) — almost any list hits their held-out items, which flatters every "
                     "method's figures alike; leave them out if they are test or aggregate accounts")
    if "rating" in data and data["rating"].notna().any():  # a file of dislikes trained the same model, unsaid (since 2026-12-05)
        notes.append(_ratings_note(pd.to_numeric(data["rating"], errors="coerce").dropna()))
    meta = read_titles(items, items_name or "titles.csv") if items is not None else None
    if meta is not None:
        title_notes = list(meta.attrs.get("notes", ()))
        meta = meta.assign(item_id=_as_spelled(meta["item_id"], data["item"]))  # "000031" / "31.0" for the ratings' "31"
        known = set(meta.loc[meta["title"].notna(), "item_id"])
        items_all = data["item"].unique()
        missing = len(items_all) - len(set(items_all) & known)
        where = items_name or "the titles file"
        ids_found = len(set(items_all) & set(meta["item_id"]))
        if missing and missing > 0.9 * len(items_all) and ids_found > 0.9 * len(items_all):
            # the ids match but the titles are blank: it had said "is it the titles file of these ratings?" above two lists of
            # the same ids (a sweep, 2026-12-07)
            raise DataProblem(f"{where} names {ids_found:,} of the {len(items_all):,} items of the ratings file, but "
                              + (f"only {len(items_all) - missing:,} of them with a title" if len(items_all) > missing else "none of them with a title")
                              + " — its title column is empty; fill in the titles, or leave the titles file out", "the titles")
        if missing and missing > 0.9 * len(items_all):  # another file's ids: every title would be lost, or worse, misplaced
            raise DataProblem(f"only {len(items_all) - missing:,} of the {len(items_all):,} items of the ratings file have a title in {where} "
                              f"(its ids look like {', '.join(map(repr, meta['item_id'].head(3)))}; the ratings' like "
                              f"{', '.join(map(repr, items_all[:3]))}) — is it the titles file of these ratings, with the id first? "
                              "Give the matching one, or leave the titles out", "the titles")
        if missing:
            notes.append(f"{missing:,} item{'s have' if missing > 1 else ' has'} no title in {where}")  # "1 items have" (a walkthrough)
        notes.extend(f"{where}: {n}" for n in title_notes)
    note = f"; {'; '.join(notes)}" if notes else ""
    inter = encode(data, meta, f"your file “{filename}” ({len(data):,} interactions{note})")
    inter.read_info = info
    inter.notes = tuple(notes)
    inter.left_out = left_out
    return inter


def _titles_in_file(df: pd.DataFrame, unused: list[str], notes: list[str]) -> tuple[bytes, str, list[str]] | None:
    """``(a titles file made of the interactions file's own columns, its name in messages, the columns it uses)`` when the
    file has a title column (``title``, ``name`` …) beside its item column and no titles file is given, or None. Such an
    export (MovieLens as R writes it: ``movieId,title,year,genres,userId,rating,timestamp``) had its titles and genres "not
    used", so every page read "item 2245" and Cold start offered no genres (an analyst walkthrough, 2026-12-07). An item
    given two different titles is not guessed at: the columns stay unused, and a note says why."""
    item_col = next((f for f, t in match_columns(df, INTERACTIONS_SCHEMA)[0].items() if t == "item"), None)
    if item_col is None:
        return None
    sub = df[[item_col, *unused]].rename(columns={item_col: "item_id"})
    chosen = {t: f for f, t in match_columns(sub, TITLES_SCHEMA)[0].items() if f != "item_id"}
    if "title" not in chosen:
        return None
    cols = {"item_id": "item_id", **{t: f for t, f in chosen.items() if t in ("title", "genres", "year")}}
    table = sub[list(cols.values())].set_axis(list(cols), axis=1)
    text = table.assign(title=table["title"].astype(str).str.strip())
    two = text.groupby("item_id")["title"].nunique()
    if (two > 1).any():
        ex = two[two > 1].index[0]
        notes.append(f"its column {chosen['title']!r} gives {int((two > 1).sum()):,} items more than one title (e.g. item {ex}: "
                     + ", ".join(map(repr, text.loc[text['item_id'] == ex, 'title'].drop_duplicates().head(2)))
                     + ") — not read as titles; give the titles as a separate file")
        return None
    used = [chosen[t] for t in cols if t != "item_id"]
    what = ["titles", *(w for w, c in (("genres", "genres"), ("years", "year")) if c in cols)]
    notes.append(f"{', '.join(what[:-1]) + ' and ' + what[-1] if len(what) > 1 else what[0]} read from its "
                 f"column{'s' if len(used) > 1 else ''} {', '.join(map(repr, used))} (no titles file given)")
    buf = io.StringIO()
    table.drop_duplicates("item_id").to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8"), f"its column {chosen['title']!r}", used


def _repeats(data: pd.DataFrame, dup: pd.Series, written: pd.DataFrame, df: pd.DataFrame, header_row: bool) -> str:
    """The problem of rows that repeat a (user, item) pair: how many, distinct pairs as examples, and — when the repeats
    come from ids written two ways read as one ("ABC111" and "abc111", "8" and "008") — both spellings with their lines.
    Since 2026-12-07: the examples named one pair several times ("(2, abc111), (2, abc111)") under the merged spelling, so
    the file seemed to hold the same row twice."""
    again = int(data.duplicated(["user", "item"], keep="first").sum())  # it counted every row of a pair, the first too
    rows = data.loc[dup, ["user", "item"]].assign(w=(written.loc[dup, "user"] + "\x00" + written.loc[dup, "item"]))
    spellings = rows.groupby(["user", "item"], sort=False)["w"].nunique()
    two = spellings[spellings > 1]
    head = f"{again:,} row{'s repeat' if again != 1 else ' repeats'} an earlier (user, item) pair"
    plain = spellings.index[spellings <= 1][:3]
    text = head + ", e.g. " + ", ".join(f"({u}, {i})" for u, i in plain)
    if two.empty:
        return text + " — keep one row per pair"
    by_pair = rows.groupby(["user", "item"], sort=False)
    # repeats that come from the merge alone: all repeats less those written the same way too ((8, i) twice beside (008, i) is
    # one true repeat and one from the merge; a review, 2026-12-07)
    as_written = int(written.loc[dup].duplicated(["user", "item"], keep="first").sum())
    n_two = again - as_written
    ex = []
    for key in two.index[:2]:
        g = by_pair.get_group(key).drop_duplicates("w").head(2)
        ex.append(" and ".join(f"({written.at[i, 'user']}, {written.at[i, 'item']}) on line {file_line(df, i, header_row)}" for i in g.index))
    why = (f"because ids written two ways are read as one ({'; '.join(ex)}: upper/lower case, leading zeros or a trailing “.0”); "
           "keep one row per pair, or, if they are different users or items, make their ids differ by more than that")
    if n_two == again:
        return f"{head} only {why}"
    return f"{text}; {n_two:,} of them {why}"



def _as_spelled(ids: pd.Series, spelled: pd.Series) -> pd.Series:
    """Titles-file ids written another way than the ratings file writes them (``tables.id_key``: "000031" or "31.0" for
    "31") under the ratings' spelling; an id that matches as written, or matches no item or several, stays."""
    found = match_spellings(ids, pd.unique(spelled.astype(str)))
    return ids.astype(str).map(lambda t: found.get(t, t))


def read_titles(raw: bytes, filename: str) -> pd.DataFrame:
    """Item titles: u.item (flags → genres), movies.dat or a CSV; ``item_id, title, year, genres``."""
    subject = f"“{filename}”"
    df, info = read_table(_colons_to_tabs(raw), max_bytes=TITLES_SCHEMA.max_bytes, encodings=ENCODINGS, subject=subject)
    flags = df.iloc[:, -len(ML100K_GENRES):] if df.shape[1] >= 5 + len(ML100K_GENRES) else None
    if not info.header and flags is not None and flags.isin(["0", "1"]).all().all():
        out = pd.DataFrame({"item_id": df.iloc[:, 0], "title": df.iloc[:, 1]})
        on = flags.to_numpy() == "1"
        out["genres"] = ["|".join(g for g, f in zip(ML100K_GENRES, row) if f and g != "unknown") for row in on]
        out["year"] = pd.to_datetime(df.iloc[:, 2], errors="coerce", format="%d-%b-%Y").dt.year
        df, header = out, True
    else:
        header = info.header
        if not header and df.shape[1] > len(TITLES_SCHEMA.columns):
            # read by position, a u.item-like file with another number of genre flags had its release date read as the genres
            # of every film and its other columns dropped without a word (a sweep, 2026-12-04)
            like = (f" — its last {int(df.isin(['0', '1']).all().to_numpy()[::-1].cumprod().sum())} columns are 0/1 flags, as MovieLens "
                    f"u.item's {len(ML100K_GENRES)} genre flags are, but u.item has {5 + len(ML100K_GENRES)} columns"
                    if df.iloc[:, -1].isin(["0", "1"]).all() else "")
            raise DataProblem(f"it has no header and {df.shape[1]} columns, so which column is which cannot be told{like}; add a header "
                              "row naming item_id and title (optional: year, genres), or give MovieLens's u.item or movies.dat as "
                              "they are", subject)
    meta = validate(df, TITLES_SCHEMA, header=header, subject=subject)
    choices = column_choices(df, TITLES_SCHEMA) if header else []  # "id" and "item_id": item_id is the id (it took "id")
    meta["title"], year = _split_year(meta["title"])
    meta["year"] = meta["year"].fillna(year) if "year" in meta else year
    if "genres" not in meta:
        meta["genres"] = ""
    meta["genres"] = meta["genres"].fillna("").astype(str).replace({"(no genres listed)": ""})
    meta = meta[["item_id", "title", "year", "genres"]]
    meta.attrs["notes"] = choices
    return meta


_YEAR = re.compile(r"^(.*\S)\s*\((\d{4})\)\s*$")


def _split_year(titles: pd.Series) -> tuple[pd.Series, pd.Series]:
    """MovieLens titles end in "(1995)": the title without it (empty → missing), and the year."""
    text = titles.fillna("").astype(str)
    m = text.str.extract(_YEAR)
    title = m[0].fillna(text)
    return title.where(title != "", None), pd.to_numeric(m[1], errors="coerce").astype(float)


def read_user_ids(raw: bytes, filename: str) -> pd.Series:
    """The user ids of a batch file (one per row, header optional); ``.attrs["notes"]`` says how a headerless file of several
    columns was read. Such a file had been read from its first column without a word (a sweep, 2026-12-06): a row index
    ``0, 1, 2`` became the users (the real users 1 and 2 got lists in place of 42, 17 and 99), and ids written on one line,
    ``42;17;99``, became the single user 42."""
    subject = f"“{filename}”"
    df, info = read_table(raw, max_bytes=USERS_SCHEMA.max_bytes, encodings=ENCODINGS, subject=subject)
    notes: list[str] = []
    if not info.header and df.shape[1] > 1:
        if len(df) == 1:  # one line of ids
            row = df.iloc[0].astype(str).str.strip()
            row = row[(row != "") & (row.str.lower() != "nan")]
            df = pd.DataFrame({"column_1": row.to_numpy()})
            notes.append(f"the ids are written on one line: read as {len(df):,} user ids")
        else:
            if _numbers_rows(df.iloc[:, 0]):
                df = df.iloc[:, 1:]
                notes.append("ignored the first column: it numbers the rows (a row index)")
            if df.shape[1] > 1:
                ex = ", ".join(repr(str(v)) for v in df.iloc[:2, 0])
                notes.append(f"no header and {df.shape[1]} columns: the user ids are read from the first ({ex} …) and the others "
                             "left out — give the file a header naming user_id to read another column")
            df = df.iloc[:, :1]
    ids = validate(df, USERS_SCHEMA, header=info.header, subject=subject)["user_id"].astype(str)
    if rounded := rounded_ids(ids, "user_id", "user", info.header):
        raise DataProblem(rounded, subject)
    ids.attrs["notes"] = notes
    return ids
