"""Top-N for many users on Ray (``score recommendation USERS.csv|all -o OUTPUT --engine ray``).

The work that grows is scoring: one product of each user's history with the item-item matrix, then a
top-N over the catalogue. The model's item matrix, the users' training histories (sparse) and the
item titles are put in the object store **once** (``ray.put``); each scoring actor reads them once
(zero-copy for the NumPy arrays on the same node) and then only user codes travel per batch. The
list of user ids is small and is read and checked on the driver with the local path's own rules
(``serving.resolve_users``: duplicates scored once; an unknown id gets the most popular items, said in one note and in
the ``basis`` column), so each user's rows equal the local ``score_file``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd


class RecScorer:
    """Ray Data callable class: the model and histories come from the object store once per actor."""

    def __init__(self, shared: list, threads: int = 1, n: int = 10) -> None:
        import ray
        import scipy.sparse as sp
        import torch

        from .model import ItemAutoencoder

        torch.set_num_threads(max(1, threads))
        s = ray.get(shared[0])
        self.model = ItemAutoencoder(int(s["n_items"]), int(s["catalog_items"]))
        self.model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in s["state"].items()})
        self.model.eval()
        if torch.cuda.is_available():
            self.model.to("cuda")
        self.seen = sp.csr_matrix((s["seen_data"], s["seen_indices"], s["seen_indptr"]), shape=s["seen_shape"])
        self.have = sp.csr_matrix((s["have_data"], s["have_indices"], s["have_indptr"]), shape=s["seen_shape"])  # never listed
        self.user_ids, self.item_ids, self.titles, self.n = s["user_ids"], s["item_ids"], s["titles"], n
        self.n_known = int(s["n_known"])
        self.left_out = np.asarray(s["left_out"], dtype=bool)

    def __call__(self, batch: dict) -> pd.DataFrame:
        from .model import popular_fallback
        from .model import scores as model_scores
        from .peers import top_k
        from .serving import batch_basis, batch_scores

        codes = np.asarray(batch["code"], dtype=np.int64)
        rows = self.seen[codes]
        raw, none = popular_fallback(model_scores(self.model, rows), self.model.popularity.cpu().numpy())
        items, scores = top_k(raw, self.have[codes], self.n)
        ok = items.ravel() >= 0  # fewer than n candidates: top_k pads with -1 (as the local serving.score drops)
        k = items.shape[1]
        out = pd.DataFrame({
            "user_id": np.repeat(self.user_ids[codes], k), "rank": np.tile(np.arange(1, k + 1), len(codes)),
            "item_id": self.item_ids[np.maximum(items.ravel(), 0)], "title": self.titles[np.maximum(items.ravel(), 0)],
            "score": batch_scores(scores, none), "basis": np.repeat(batch_basis(codes, none, self.n_known, self.left_out), k),
        })
        return out[ok].reset_index(drop=True)


def user_codes(ctx, input_path: str) -> tuple[np.ndarray, list[str], list[str]]:
    """``serving.resolve_users`` for a file of ids (``all``: every user the model knows): each distinct id once, in file
    order; an unknown id gets a code past the known users and, like a new visitor, the most popular items."""
    from usecases.core.tables import DataProblem

    from .files import read_user_ids
    from .serving import resolve_users

    if input_path == "all":
        return np.arange(ctx.data.n_users, dtype=np.int64), [], []
    p = Path(input_path)
    try:
        ids = read_user_ids(p.read_bytes(), p.name)
        codes, new_ids, notes = resolve_users(ctx, ids)
        return codes, new_ids, [*ids.attrs.get("notes", []), *notes]
    except DataProblem as exc:
        raise DataProblem(exc.problems, f"“{p.name}”") from None


def written_ids(ctx, input_path: str) -> dict[str, str]:
    """``serving.as_written`` for a file of ids: the model's id → the file's spelling, so both paths name users alike."""
    from .files import read_user_ids
    from .serving import as_written

    if input_path == "all":
        return {}
    p = Path(input_path)
    return as_written(ctx, list(read_user_ids(p.read_bytes(), p.name)))


def shared_state(trained, ctx, new_ids: list[str], written: dict[str, str] | None = None) -> dict:
    """What every scoring actor reads once: the model's state, the histories (plus one per id the model was not trained on,
    coded past the known users as ``serving.resolve_users`` codes them: empty for an unknown id, a left-out user's few
    items otherwise), ids and titles."""
    from .serving import known_items, left_out_flags, unsampled, with_new_visitors

    extra = unsampled(ctx)
    seen, user_ids = with_new_visitors(ctx, new_ids, extra)
    seen = seen.tocsr()
    have = known_items(ctx, new_ids, extra)
    meta = ctx.data.items
    return {
        "state": {k: v.detach().cpu().numpy() for k, v in trained.model.state_dict().items()}, "n_items": trained.model.n_items,
        "catalog_items": int(trained.card["model"]["catalog_items"]), "n_known": ctx.data.n_users,
        "seen_data": seen.data, "seen_indices": seen.indices, "seen_indptr": seen.indptr, "seen_shape": seen.shape,
        "have_data": have.data, "have_indices": have.indices, "have_indptr": have.indptr,
        "user_ids": np.array([(written or {}).get(str(u), u) for u in user_ids], dtype=object) if written else user_ids,
        "left_out": left_out_flags(ctx, new_ids),
        "item_ids": meta["item_id"].to_numpy(), "titles": meta["title"].to_numpy(),
    }


def score(engine, input_path: str, output: str, *, store, key: str = "recommendation", n: int = 10, batch_users: int = 256,
          data=None) -> int:
    """Top-``n`` lists for the ids in ``input_path`` (or ``all``), written as partitioned output. ``data``: the interactions a
    model trained on a user's own file was trained on (``--data``; the model does not keep them), as the local path takes it."""
    from usecases.core import engine as eng

    from .trained import context, load

    trained = load(store, key=key)
    if data is not None:
        trained = dataclasses.replace(trained, data=data)
    ctx = context(trained)
    codes, new_ids, notes = user_codes(ctx, input_path)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    ray = eng.init(engine)
    shared = ray.put(shared_state(trained, ctx, new_ids, written_ids(ctx, input_path)))
    gpus = engine.gpus_per_worker if eng.cluster_gpus() > 0 else 0
    workers = engine.workers or max(1, min(eng.cluster_cpus(), 4))
    ds = ray.data.from_numpy(codes).rename_columns({"data": "code"})
    scored = eng.actor_pool(ds, RecScorer, workers=workers, gpus=gpus, batch_size=batch_users, batch_format="numpy",
                            fn_constructor_kwargs={"shared": [shared], "threads": 1, "n": n})
    try:
        return eng.write(scored, output)
    except ray.exceptions.RayTaskError as exc:
        eng.reraise_cause(exc)
