"""Which file column is read as which schema column: a column named as the schema names it beats an alias, wherever it
stands, and a note names the one used when several could be it (2026-12-05)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from usecases import recommendation as rec
from usecases.core.tables import Column, DataProblem, Schema, column_choices, match_columns


def _csv(df: pd.DataFrame, **kw) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, **kw)
    return buf.getvalue().encode()


def _ratings() -> pd.DataFrame:
    rows = [(u, i, (u * 7 + i) % 5 + 1, 964982703 + 86400 * (u * 13 + i)) for u in range(12) for i in range(1, 8)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def test_an_exact_name_beats_an_earlier_alias():
    schema = Schema(title="t", columns=(Column("item_id", "str", aliases=("id", "item")), Column("title", "str")))
    df = pd.DataFrame(columns=["id", "item_id", "title"])
    assert match_columns(df, schema) == ({"item_id": "item_id", "title": "title"}, ["id"])
    assert column_choices(df, schema) == ["'item_id', 'id' could each be the item_id column: 'item_id' is used (its name), 'id' not"]
    # among aliases alone, the first in the file is used, and said
    alone = pd.DataFrame(columns=["item", "id", "title"])
    assert match_columns(alone, schema)[0] == {"item": "item_id", "title": "title"}
    assert "'item' is used (the first in the file)" in column_choices(alone, schema)[0]
    assert column_choices(pd.DataFrame(columns=["item_id", "title"]), schema) == []


def test_titles_with_a_row_number_id_go_on_their_own_items():
    df = _ratings()
    titles = pd.DataFrame({"item_id": range(1, 8), "title": [f"Film {i}" for i in range(1, 8)]})
    numbered = titles.reset_index().rename(columns={"index": "id"})  # id = 0…6, item_id = 1…7: "id" had been read as the item
    got = rec.read_data(_csv(df), "r.csv", items=_csv(numbered), items_name="titles.csv")
    meta = got.items.set_index("item_id")
    assert meta.loc["3", "title"] == "Film 3" and meta.loc["7", "title"] == "Film 7"
    assert any("'item_id' is used (its name), 'id' not" in n for n in got.notes), got.notes


def test_rating_and_timestamp_by_name_over_score_and_date():
    df = _ratings()
    ref = rec.read_data(_csv(df), "ref.csv")
    scored = df.assign(score=99.0)[["user_id", "item_id", "score", "rating", "timestamp"]]
    got = rec.read_data(_csv(scored), "scored.csv")
    assert got.frame.rating.equals(ref.frame.rating)
    assert any("'rating' is used (its name), 'score' not" in n for n in got.notes), got.notes
    dated = df.assign(date=pd.to_datetime(df.timestamp, unit="s").dt.strftime("%Y-%m-%d"))[["user_id", "item_id", "rating", "date", "timestamp"]]
    got = rec.read_data(_csv(dated), "dated.csv")
    assert got.frame.timestamp.equals(ref.frame.timestamp)  # the full times, not the day-only dates
    assert any("'timestamp' is used (its name), 'date' not" in n for n in got.notes), got.notes


def test_a_time_of_day_is_joined_with_its_date_or_refused():
    df = _ratings()
    ref = rec.read_data(_csv(df), "ref.csv")
    when = pd.to_datetime(df.timestamp, unit="s")
    split = df.drop(columns="timestamp").assign(time=when.dt.strftime("%H:%M:%S"), date=when.dt.strftime("%Y-%m-%d"))
    got = rec.read_data(_csv(split), "split.csv")  # user_id,item_id,rating,time,date: "time" had been read as today's times
    assert got.frame.timestamp.equals(ref.frame.timestamp)
    assert any("columns date and time joined into the date and time of each interaction" in n for n in got.notes), got.notes
    got = rec.read_data(_csv(split[["user_id", "item_id", "rating", "date", "time"]]), "split2.csv")
    assert got.frame.timestamp.equals(ref.frame.timestamp)
    with pytest.raises(DataProblem, match=r"column time holds times of day only \(e.g. '\d\d:\d\d:\d\d'\) .* times of day need their dates"):
        rec.read_data(_csv(split.drop(columns="date")), "times.csv")
    # full times beside a time of day: the full times are read
    both = df.assign(time=when.dt.strftime("%H:%M"))
    assert rec.read_data(_csv(both), "both.csv").frame.timestamp.equals(ref.frame.timestamp)
