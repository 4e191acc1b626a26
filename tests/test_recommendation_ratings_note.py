"""Recommendation own files: the notes say what ratings do — every rated row is an interaction; ratings only pick the
"liked" reasons; negative ratings count too (2026-12-05: a file of dislikes trained the same model without a word)."""

from __future__ import annotations

import pandas as pd

from usecases import recommendation as rec


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def _rows(scale) -> pd.DataFrame:
    rows = [(u, i, scale[(u * 7 + i) % len(scale)]) for u in range(12) for i in range(1, 8)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])


def test_the_notes_say_that_every_rated_row_is_an_interaction():
    stars = rec.read_data(_csv(_rows([1, 2, 3, 4, 5])), "stars.csv")
    said = [n for n in stars.notes if "every rated row is read as an interaction" in n]
    assert len(said) == 1 and "reasons call “liked” (4 or more)" in said[0] and "negative" not in said[0], stars.notes
    thumbs = rec.read_data(_csv(_rows([-1, 0, 1])), "thumbs.csv")
    said = [n for n in thumbs.notes if "every rated row is read as an interaction" in n]
    assert len(said) == 1 and "with a negative rating (e.g. -1) count as interactions too — remove the rows" in said[0], thumbs.notes
    implicit = rec.read_data(_csv(_rows([1])[["user_id", "item_id"]]), "clicks.csv")
    assert not any("every rated row" in n for n in implicit.notes)
