"""Recommendation own files: times written as numbers that are dates, YYYYMMDD and YYYYMMDDhhmmss (2026-12-05)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from usecases import recommendation as rec
from usecases.core.tables import DataProblem


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def _ratings() -> pd.DataFrame:
    rows = [(u, i, (u * 7 + i) % 5 + 1, 964982703 + 86400 * (u * 13 + i) + 3600 * (i % 5)) for u in range(12) for i in range(1, 8)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def test_compact_dates_are_read_as_dates_and_said():
    df = _ratings()
    ref = rec.read_data(_csv(df), "ref.csv")
    when = pd.to_datetime(df.timestamp, unit="s")
    got = rec.read_data(_csv(df.assign(timestamp=when.dt.strftime("%Y%m%d%H%M%S").astype("int64"))), "c14.csv")
    assert got.frame.timestamp.equals(ref.frame.timestamp)
    assert any("14-digit numbers read as dates written YYYYMMDDhhmmss" in n for n in got.notes), got.notes
    assert not any("milliseconds" in n for n in got.notes)
    got = rec.read_data(_csv(df.assign(timestamp=when.dt.strftime("%Y%m%d").astype("int64"))), "c8.csv")
    days = pd.to_datetime(when.dt.strftime("%Y-%m-%d"))
    assert got.frame.timestamp.equals(rec.read_data(_csv(df.assign(timestamp=days.dt.strftime("%Y-%m-%d"))), "d.csv").frame.timestamp)
    assert any("8-digit numbers read as dates written YYYYMMDD" in n for n in got.notes), got.notes
    assert not any("seconds apart" in n for n in got.notes)
    # 13 digits are still milliseconds; 14 digits that are no date are refused, not read as milliseconds
    ms = rec.read_data(_csv(df.assign(timestamp=df.timestamp * 1000)), "ms.csv")
    assert ms.frame.timestamp.equals(ref.frame.timestamp) and any("13-digit Unix times read as milliseconds" in n for n in ms.notes)
    with pytest.raises(DataProblem, match="not Unix seconds"):
        rec.read_data(_csv(df.assign(timestamp=df.timestamp * 100000)), "x.csv")


def test_times_with_and_without_a_zone_offset_are_named():
    """A timestamp column mixing "+05:00" with times that carry none was read without a word (those without one as UTC, so
    the two kinds may be hours apart in a user's order); a note now says so. One way throughout says nothing."""
    import numpy as np
    import pandas as pd

    from usecases.recommendation.files import read_interactions

    rng = np.random.default_rng(0)
    t = list(pd.date_range("2024-01-01", periods=400, freq="37min").strftime("%Y-%m-%d %H:%M:%S"))
    users, items = [f"u{u}" for u in rng.integers(0, 30, 400)], [f"i{i}" for i in rng.integers(0, 80, 400)]
    for times, said in ((t, False), ([x + "+05:00" for x in t], False), ([x + ("+05:00" if i % 2 else "") for i, x in enumerate(t)], True)):
        df = pd.DataFrame({"user": users, "item": items, "timestamp": times}).drop_duplicates(["user", "item"])
        notes = read_interactions(df.to_csv(index=False).encode(), "r.csv").notes
        hit = [n for n in notes if "times carry a time-zone offset" in n]
        assert bool(hit) == said, notes
        if said:
            assert hit[0].startswith(f"column timestamp: {int(df['timestamp'].str.endswith('+05:00').sum()):,} of {len(df):,} times carry")


def test_unix_times_with_a_decimal_comma_are_read_as_the_ratings_are():
    """A `;` export with "2,5" ratings and "1260759144,0" times read the ratings and refused the times (a sweep, 2026-12-07)."""
    df = _ratings()
    ref = rec.read_data(_csv(df), "ref.csv")
    text = df.assign(rating=df.rating.map(lambda r: f"{r / 2:.1f}".replace(".", ",")), timestamp=df.timestamp.map(lambda t: f"{t},0"))
    got = rec.read_data(text.to_csv(index=False, sep=";").encode(), "comma.csv")
    assert got.frame.timestamp.equals(ref.frame.timestamp)
    assert any(n.startswith("column timestamp: decimal commas read as decimal points (e.g. '") for n in got.notes), got.notes
    # the same without a header: the third column is the times, not ratings of 9.6e8 (a review, 2026-12-07)
    bare = text[["user_id", "item_id", "timestamp"]].to_csv(index=False, header=False, sep=";").encode()
    headerless = rec.read_data(bare, "bare.csv")
    assert headerless.frame.timestamp.equals(ref.frame.timestamp) and headerless.frame["rating"].isna().all()
    # thousands separators are not decimal commas (read as 965.072703 they would be a quiet wrong answer): still refused
    with pytest.raises(DataProblem, match="neither Unix seconds nor dates"):
        rec.read_data(_csv(df.assign(timestamp=df.timestamp.map(lambda t: f"{t:,}"))), "th.csv")
