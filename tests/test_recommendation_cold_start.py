"""Cold start: "your genres" is said only of a film that carries one of the picked genres (2026-12-05)."""

from __future__ import annotations

import numpy as np

from usecases import recommendation as rec
from usecases.core.store import ModelStore
from usecases.recommendation import serving


def test_your_genres_only_for_films_in_them(monkeypatch):
    trained = rec.load(ModelStore())
    pop = trained.model.popularity.numpy()
    liked = [int(i) for i in np.argsort(-pop)[:3]]
    # no liked film is a reason (as for a film far from the picks): the label is the genres' — and only where true
    monkeypatch.setattr(serving, "_reasons", lambda trained, ctx, history, items, **kw: ["" for i in items if i >= 0])
    out = serving.fold_in(trained, liked, ["Film-Noir"], 10)
    has = out["genres"].fillna("").str.split("|").map(lambda g: "Film-Noir" in g)
    assert has.any() and (~has).any()  # both kinds on the list
    assert (out.loc[has, "because you liked"] == "your genres").all()
    assert (out.loc[~has, "because you liked"] == "watched with your genres' popular films").all(), out
    assert (serving.fold_in(trained, liked, None, 10)["because you liked"] == "").all()
