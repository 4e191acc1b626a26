"""The trained recommender, its data context, the model store and ``evaluate``.

A :class:`Trained` holds the model and its card; a model trained in this process also holds its data
and the precomputed top-k lists. What a loaded model needs again (the default MovieLens data and its
split) is rebuilt by :func:`context` and kept in a small module-level cache keyed by the card — never
written into the object, so ``evaluate`` and the page never mutate a shared model.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from usecases.core import protocol, spec
from usecases.core.store import ModelStore, load_module
from usecases.core.tables import DataProblem

from . import SPEC
from .data import Context, Interactions, movielens, rebuild_split
from .evaluation import RecEvaluation, external, held_out
from .model import ItemAutoencoder
from .peers import top_k


@dataclass
class Trained(spec.Trained):
    model: ItemAutoencoder
    card: dict
    data: Interactions | None = None  # the training file, when trained in this process
    artefacts: dict[str, np.ndarray] | None = None  # precomputed top-k lists of the model and its peers


_CONTEXTS: OrderedDict = OrderedDict()
_LOCK = threading.Lock()
_MAX_CONTEXTS = 6


def context(trained: Trained) -> Context:
    """The model's training data and recorded split (rebuilt for a loaded model on the default data)."""
    d = trained.card.get("data", {})
    record = d.get("split_record")
    if not record:
        raise DataProblem("its card records no split; retrain it", "this model")
    key = (d.get("fingerprint"), record.get("fold_sha"))
    given = trained.data
    with _LOCK:  # a file passed with the model must be its training file, even when that file's context is cached
        if key in _CONTEXTS and (given is None or given.fingerprint == d.get("fingerprint")):
            _CONTEXTS.move_to_end(key)
            ctx = _CONTEXTS[key]
            # the same interactions may come with another titles file (or none): the file given is what names the items
            return ctx if given is None or ctx.data is given else dataclasses.replace(ctx, data=given)
    data = given
    if data is None:
        if not d.get("default"):
            raise DataProblem("this model was trained on your own file, which is not kept with it; pass that file again "
                              "(`score recommendation USERS --model NAME --data FILE`, `evaluate --data FILE`)", "this model")
        data = movielens()
    split = rebuild_split(data, record, trained.card.get("training", {}).get("max_users"))
    if split is None:
        if d.get("default") and given is not None:
            raise DataProblem("the file given is not the data it was trained on (the default MovieLens ratings); score it without a "
                              "file, or train a model on yours", "this model")
        raise DataProblem("the default data no longer matches the model's recorded fingerprint; retrain the model" if d.get("default") else
                          _not_its_file(d, record, data), "this model")
    ctx = Context.build(data, split)
    with _LOCK:
        _CONTEXTS[key] = ctx
        while len(_CONTEXTS) > _MAX_CONTEXTS:
            _CONTEXTS.popitem(last=False)
    return ctx


def _not_its_file(d: dict, record: dict, data: Interactions) -> str:
    """Why a file given as a model's training file is not it. The same interactions sorted again (in a spreadsheet, by user or
    date) had read "its rows differ", which sent the user looking for a file they had: the held-out rows are recorded by their
    place in the file, so the order matters, and that is what to say."""
    if d.get("rows_fingerprint") and d["rows_fingerprint"] == protocol.rows_fingerprint(data.frame):
        return ("the file given holds the same interactions as the one it was trained on, in another order (sorted again?): the "
                "held-out interactions are recorded by their place in the file, so pass it in the order it was trained on — or train "
                "a model on this one")
    n, rows = len(data.frame), record.get("rows")
    size = f": it reads as {n:,} interactions, that file as {int(rows):,}" if rows and int(rows) != n else " (its rows differ)"
    return f"the file given is not the one it was trained on{size}; pass that file"


def evaluate(trained: Trained, data: Interactions | None = None) -> RecEvaluation:
    """Model vs its tuned peers on held-out interactions; never retrains the model, never mutates ``trained``.

    ``data=None`` or the file the model was trained on: the recorded per-user split, held-out part only.
    Another file: an external test (see ``evaluation.py``).
    """
    if data is None:
        return held_out(trained, context(trained))
    record = trained.card.get("data", {}).get("split_record")
    split = rebuild_split(data, record, trained.card.get("training", {}).get("max_users")) if record else None
    if split is not None:
        return held_out(trained, Context.build(data, split))
    try:
        train_ctx = context(trained)
    except DataProblem:
        raise DataProblem("it is not the file this model was trained on, and an external test needs the model's training file "
                          "to fit the peers on; train a model on this file instead", data.subject) from None
    return external(trained, train_ctx, data)


# ---- store -------------------------------------------------------------------------------------

def save(trained: Trained, store: ModelStore, key: str | None = None) -> dict:
    """Weights + card, and the precomputed top-k lists as the store's evaluation artefacts."""
    art = {k: torch.as_tensor(v) for k, v in (trained.artefacts or {}).items()}
    card = store.save(key or SPEC.name, trained.model.state_dict(), trained.card, format_version=SPEC.format_version, artefacts=art or None)
    trained.card = card  # the saved card (version, sha256) describes this object from now on
    return card


def load(store: ModelStore, key: str | None = None) -> Trained:
    key = key or SPEC.name
    model, card = load_module(store, key, format_version=SPEC.format_version,
                              build=lambda c: ItemAutoencoder(int(c["model"]["n_items"]), int(c["model"]["catalog_items"])))
    art = store.load_artefacts(key, card)
    return Trained(model=model, card=card, artefacts={k: v.numpy() for k, v in art.items()} if art else None)


def throughput(trained: Trained) -> spec.Throughput:
    """Users served per second (top-10 for a batch of 512 synthetic histories of 50 catalogue items), after a warm-up."""
    rng = np.random.default_rng(0)
    cat = trained.model.catalog.cpu().numpy()
    n = 512
    x = torch.zeros(n, trained.model.n_items)
    for i in range(n):
        x[i, rng.choice(cat, size=min(50, len(cat)), replace=False)] = 1.0
    x = x.to(trained.model.B.device)  # on the model's device (a GPU when it was moved there)
    with torch.no_grad():
        top_k(trained.model(x[:32]).cpu().numpy(), None, 10)
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            top_k(trained.model(x).cpu().numpy(), None, 10)
            best = min(best, time.perf_counter() - t)
    return spec.Throughput(per_second=n / best, unit="users (top-10)", device=str(trained.model.B.device.type))
