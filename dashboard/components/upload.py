"""The one upload component every page uses.

It states the expected columns, offers an example file, reads the upload in memory (never to
disk), detects delimiter/encoding/decimal comma, validates types and ranges through the schema,
and reports every problem in one message.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from usecases.core.tables import DEFAULT_MAX_BYTES, DataProblem, ReadInfo, Schema, read_table, to_safe_csv, validate


_MARKUP = str.maketrans({"[": "(", "]": ")", "<": "(", ">": ")", "*": "-", "$": "-", "`": "'", "\\": "-", "/": "-", "~": "-",
                         "|": "-", ":": "-", "\n": " ", "\r": " ", "\t": " "})


def safe_name(name: str) -> str:
    """An uploaded file's name as the page may write it: Markdown's active characters replaced, so a name is shown as
    written, never as a link, a formula, bold or coloured text. A name such as ``x [lnk](http://example.invalid/a) **st**
    $x^2$ :red[R].txt`` had put live links in four places of the text page (a sweep, 2026-12-07); the name travels into
    captions, labels, model cards and reports, so it is made harmless once, where the upload arrives."""
    return (name or "").translate(_MARKUP).strip() or "upload"


def named(up):
    """``up`` (one uploaded file, a list of them, or None) with :func:`safe_name` names."""
    for f in (up if isinstance(up, list) else [up] if up is not None else []):
        f.name = safe_name(f.name)
    return up


def upload_table(
    schema: Schema | None,
    *,
    key: str,
    label: str,
    example: pd.DataFrame | None = None,
    example_name: str = "example.csv",
    parse: Callable[[bytes, str], object] | None = None,
    help: str | None = None,
    types: tuple[str, ...] = ("csv", "txt", "tsv"),
) -> tuple[object, ReadInfo | None, str] | None:
    """Upload + validate. Returns ``(data, info, filename)`` or ``None`` (nothing uploaded or refused).

    ``parse`` replaces the default ``read_table`` + ``validate`` when a domain needs more (e.g. a file
    that can take one of two layouts); it must raise :class:`DataProblem` for bad input.
    """
    max_bytes = schema.max_bytes if schema is not None else DEFAULT_MAX_BYTES
    if schema is not None:
        with st.expander(f"Expected columns for the {schema.title}", expanded=False):
            st.dataframe(schema.describe(), hide_index=True, width="stretch")
            st.caption(
                f"Comma, semicolon, tab or pipe separated; a header row; UTF-8 text"
                f"{', Latin-1' if len(schema.encodings) > 1 else ''} or UTF-16 with its byte-order mark (Excel's “Unicode text”); "
                f"at most {max_bytes // (1024 * 1024)} MB. "
                "The file is read in memory only and never stored."
            )
            if example is not None:
                st.download_button(
                    "Download an example file", to_safe_csv(example), file_name=example_name, mime="text/csv",
                    key=f"{key}-example", icon=":material/download:",
                )
    up = named(st.file_uploader(label, type=list(types), key=key, help=help, max_upload_size=max(1, max_bytes // (1024 * 1024))))
    if up is None:
        return None
    raw = up.getvalue()
    try:
        if parse is not None:
            data = parse(raw, up.name)
            info = getattr(data, "read_info", None)
        elif schema is None:
            raise ValueError("upload_table needs a schema or a parse function")
        else:
            df, info = read_table(raw, max_bytes=schema.max_bytes, encodings=schema.encodings, subject=f"“{up.name}”")
            data = validate(df, schema, header=info.header, subject=f"“{up.name}”")
    except DataProblem as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    if info is not None:
        st.caption(f"Read “{up.name}”: {info.describe()}")
    return data, info, up.name
