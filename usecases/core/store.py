"""The model store: ``models/<key>/model.safetensors`` + ``card.json``, written atomically.

* Weights are safetensors only — tensors, never pickles — so loading a file cannot run code.
* ``card.json`` says what a person needs to trust the weights (data, split, config, metrics of
  the model and its baselines, device, library versions) and holds the sha256 of the weights file.
* A save writes to temporary files, fsyncs, then renames over the old files; the version it
  replaces is kept in ``previous/`` so :meth:`ModelStore.rollback` can restore it.
* A load re-hashes the bytes it parses, so a truncated, flipped or swapped file is caught, and
  :func:`load_state` checks every tensor name and shape against the module before loading.
* ``UCLAB_MODEL_DIR`` moves the store (e.g. to a read-only volume in a deployment).
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from .tables import json_loads, json_problem

ENV_VAR = "UCLAB_MODEL_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = "model.safetensors"
ARTEFACTS = "evaluation.safetensors"  # precomputed evaluation arrays (test scores, curves), hashed in the card
CARD = "card.json"
PREVIOUS = "previous"
REQUIRED_CARD_KEYS = ("usecase", "version", "format_version", "created_at", "sha256", "metrics")
CARD_TYPES = {"usecase": (str,), "version": (int,), "format_version": (int,), "created_at": (str,), "sha256": (str,), "metrics": (dict,),
              "weights_bytes": (int,), "baselines": (dict,), "data": (dict,)}


def safe_model_name(name: str) -> str:
    """A model's folder name under ``<use case>/custom/``, the one rule for the command line's ``--model-name`` and the pages'
    names: letters, digits, ``_ . -``, at most 60 characters ("" when nothing is left). The text page had no cap, so a name of
    61 characters saved there could not be named with ``--model``, and one of 300 failed as "store not writable" (a review,
    2026-12-07)."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:60].strip("-.")


class ModelUnusable(RuntimeError):
    """A stored model cannot be used. ``str()`` is the one message shown to people."""

    def __init__(self, usecase: str, reason: str):
        self.usecase = usecase
        self.reason = reason
        name, custom, model = usecase.partition("/custom/")
        how = (f"train it again on its file with `python -m usecases train {name} --data FILE --model-name {model}` (on the page: "
               "the use case's own-data tab)" if custom else  # `make train` retrains the shipped model, not this one (a sweep, 2026-12-06)
               "retrain with `make train` or the Retrain button")
        super().__init__(f"{usecase} model is unusable: {reason}; {how}")


def file_not_kept(card: dict, what: str, how: str) -> str:
    """Why a model trained on a user's file cannot be evaluated without it: ``what`` was not kept; ``how`` to go on. When its
    card says it kept its test scores (``evaluation.safetensors``, read by ``evaluate`` instead of the file), those are what
    is missing or damaged — the user's file had been blamed alone (a sweep, 2026-12-06)."""
    lost = f"its stored test scores ({ARTEFACTS}) are missing or damaged, and " if isinstance(card.get("artefacts"), dict) else ""
    return f"{lost}this model was trained on {what}, which the app does not keep; {how}"


class ModelMissing(ModelUnusable):
    """No model has been trained yet (not an error state, but nothing to load either). ``elsewhere``: the use cases that
    have a model of that name — asked of the wrong one, "fraud/custom/tg-base is not trained yet" said nothing of it."""

    def __init__(self, usecase: str, elsewhere: tuple[str, ...] = ()):
        self.usecase = usecase
        self.reason = "not trained yet"
        name, custom, model = usecase.partition("/custom/")
        how = (f"train it on your file with `python -m usecases train {name} --data FILE --model-name {model}`" if custom else
               "train it with `make train` or the Retrain button")  # a named model of one's own is not what `make train` makes
        if elsewhere:
            how = f"{model!r} is a {' and a '.join(elsewhere)} model — score it with that use case, or {how}"
        RuntimeError.__init__(self, f"{usecase} model is not trained yet; {how}")


class StoreReadOnly(OSError):
    """The store directory cannot be written (e.g. a read-only deployment volume)."""


@dataclass
class StoreStatus:
    """What the sidebar and the home page need to know about one stored model."""

    key: str
    state: str  # "ready" | "missing" | "unusable"
    message: str = ""
    card: dict = field(default_factory=dict)

    @property
    def version(self) -> int | None:
        return self.card.get("version")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_revision() -> str | None:
    """The git commit of this checkout (``+dirty`` when modified), or ``None`` outside git."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "usecases"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def library_versions() -> dict[str, str]:
    import numpy
    import safetensors
    import sklearn

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "safetensors": safetensors.__version__,
    }


def parameter_count(tensors: dict[str, torch.Tensor], prefix: str = "") -> int:
    return int(sum(t.numel() for k, t in tensors.items() if k.startswith(prefix) and t.is_floating_point()))


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        _fsync_write(tmp_path, data)
        os.chmod(tmp_path, 0o644)  # mkstemp creates 0600; checkpoints are meant to be read by the app's user
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


class ModelStore:
    """Reads and writes checkpoints under one root directory (default: ``<repo>/models``)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root or os.environ.get(ENV_VAR) or REPO_ROOT / "models")
        self._lock = threading.Lock()

    def dir(self, key: str) -> Path:
        if not key or ".." in Path(key).parts or Path(key).is_absolute():
            raise ValueError(f"invalid model key {key!r}")
        return self.root / key

    def exists(self, key: str) -> bool:
        d = self.dir(key)
        return (d / WEIGHTS).exists() or (d / CARD).exists()

    def writable(self) -> bool:
        probe = self.root
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        return os.access(probe, os.W_OK)

    # ---- writing -------------------------------------------------------------------------
    def save(self, key: str, tensors: dict[str, torch.Tensor], card: dict[str, Any], *, format_version: int,
             artefacts: dict[str, torch.Tensor] | None = None) -> dict:
        """Write ``tensors`` (and optional precomputed evaluation ``artefacts``) and a completed ``card``
        atomically; return the card as written. The card holds the sha256 of both files."""
        d = self.dir(key)
        tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
        blob = st_save(tensors, metadata={"usecase": key, "format_version": str(format_version)})
        art_blob = None
        if artefacts:
            art_blob = st_save({k: torch.as_tensor(v).detach().to("cpu").contiguous() for k, v in artefacts.items()},
                               metadata={"usecase": key, "kind": "evaluation"})
        with self._lock:
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreReadOnly(f"model store {self.root} is not writable ({exc.strerror})") from exc
            if not os.access(d, os.W_OK):
                raise StoreReadOnly(f"model store {self.root} is not writable")
            old = self._read_card_quiet(d)
            full = {
                "usecase": key,
                "version": int(old.get("version", 0)) + 1 if old else 1,
                "format_version": format_version,
                "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "code_revision": code_revision(),
                **card,
                "parameter_count": card.get("parameter_count", parameter_count(tensors)),
                "libraries": library_versions(),
                "weights_file": WEIGHTS,
                "weights_bytes": len(blob),
                "sha256": _sha256(blob),
            }
            full.pop("artefacts", None)
            if art_blob is not None:
                full["artefacts"] = {"file": ARTEFACTS, "bytes": len(art_blob), "sha256": _sha256(art_blob)}
            text = json.dumps(full, indent=2, sort_keys=False, default=_json_default) + "\n"
            # Keep the version being replaced, then swap in the new one file by file (each rename
            # is atomic; a reader that races between the two sees a hash mismatch and retries).
            if (d / WEIGHTS).exists() and (d / CARD).exists():
                prev = d / PREVIOUS
                prev.mkdir(exist_ok=True)
                _atomic_write(prev / WEIGHTS, (d / WEIGHTS).read_bytes())
                if (d / ARTEFACTS).exists():
                    _atomic_write(prev / ARTEFACTS, (d / ARTEFACTS).read_bytes())
                else:
                    (prev / ARTEFACTS).unlink(missing_ok=True)
                _atomic_write(prev / CARD, (d / CARD).read_bytes())
            if art_blob is not None:
                _atomic_write(d / ARTEFACTS, art_blob)
            else:
                (d / ARTEFACTS).unlink(missing_ok=True)
            _atomic_write(d / WEIGHTS, blob)
            _atomic_write(d / CARD, text.encode())
        return full

    PROTECTED = frozenset({"usecase", "version", "format_version", "created_at", "code_revision", "sha256", "weights_file",
                           "weights_bytes", "artefacts", "parameter_count", "libraries", "amendments"})

    def amend_card(self, key: str, changes: dict[str, Any], note: str) -> dict:
        """Replace top-level sections of ``key``'s card (e.g. ``quality`` re-measured on more prompts) without touching
        its weights: the weights are verified against the card first, the fields that identify them cannot change, and
        the card records the amendment (when, from which code, which sections, why). Written atomically; returns the card."""
        bad = sorted(set(changes) & self.PROTECTED)
        if bad:
            raise ValueError(f"{', '.join(bad)} identify the stored weights and cannot be amended; retrain instead")
        if not note.strip():
            raise ValueError("say why the card is amended")
        d = self.dir(key)
        with self._lock:
            card = self.read_card(key)
            blob = (d / WEIGHTS).read_bytes() if (d / WEIGHTS).exists() else b""
            if _sha256(blob) != card["sha256"]:
                raise ModelUnusable(key, f"{WEIGHTS} does not match the sha256 in {CARD}; not amending its card")
            if not os.access(d, os.W_OK):
                raise StoreReadOnly(f"model store {self.root} is not writable")
            card = {**card, **changes}
            card["amendments"] = [*card.get("amendments", []), {
                "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "code_revision": code_revision(),
                "sections": sorted(changes), "note": note.strip()}]
            _atomic_write(d / CARD, (json.dumps(card, indent=2, sort_keys=False, default=_json_default) + "\n").encode())
        return card

    def rollback(self, key: str) -> dict:
        """Restore the previous version (the current one becomes the new ``previous``)."""
        d = self.dir(key)
        prev = d / PREVIOUS
        if not (prev / WEIGHTS).exists() or not (prev / CARD).exists():
            raise ModelUnusable(key, "no previous version to roll back to")
        with self._lock:
            cur_w, cur_c = (d / WEIGHTS).read_bytes(), (d / CARD).read_bytes()
            prev_w, prev_c = (prev / WEIGHTS).read_bytes(), (prev / CARD).read_bytes()
            cur_a = (d / ARTEFACTS).read_bytes() if (d / ARTEFACTS).exists() else None
            prev_a = (prev / ARTEFACTS).read_bytes() if (prev / ARTEFACTS).exists() else None
            for folder, art in ((d, prev_a), (prev, cur_a)):
                if art is None:
                    (folder / ARTEFACTS).unlink(missing_ok=True)
                else:
                    _atomic_write(folder / ARTEFACTS, art)
            _atomic_write(d / WEIGHTS, prev_w)
            _atomic_write(d / CARD, prev_c)
            _atomic_write(prev / WEIGHTS, cur_w)
            _atomic_write(prev / CARD, cur_c)
        return json_loads(prev_c)

    def delete(self, key: str) -> None:
        shutil.rmtree(self.dir(key), ignore_errors=True)

    # ---- reading -------------------------------------------------------------------------
    @staticmethod
    def _read_card_quiet(d: Path) -> dict:
        try:
            return json_loads((d / CARD).read_text())
        except (OSError, ValueError):
            return {}

    def read_card(self, key: str) -> dict:
        """The card of ``key``; raises :class:`ModelMissing`/:class:`ModelUnusable` with a reason."""
        d = self.dir(key)
        card_path = d / CARD
        if not card_path.exists():
            if (d / WEIGHTS).exists():
                raise ModelUnusable(key, f"{CARD} is missing next to {WEIGHTS}")
            name, custom, model = key.partition("/custom/")
            others = tuple(sorted(p.parents[2].name for p in self.root.glob(f"*/custom/{glob.escape(model)}/{CARD}")
                                  if p.parents[2].name != name)) if custom and model else ()
            raise ModelMissing(key, others)
        try:
            card = json_loads(card_path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ModelUnusable(key, f"{CARD} is not UTF-8 text") from None
        except ValueError as exc:
            raise ModelUnusable(key, f"{CARD} is not valid JSON ({json_problem(exc)})") from None
        except OSError as exc:
            raise ModelUnusable(key, f"{CARD} cannot be read ({exc.strerror})") from None
        if not isinstance(card, dict):
            raise ModelUnusable(key, f"{CARD} does not hold a JSON object")
        missing = [k for k in REQUIRED_CARD_KEYS if k not in card]
        if missing:
            raise ModelUnusable(key, f"{CARD} lacks {', '.join(missing)}")
        wrong = [f"{k} is {type(card[k]).__name__}, not {' or '.join(t.__name__ for t in types)}"
                 for k, types in CARD_TYPES.items() if k in card and (not isinstance(card[k], types) or isinstance(card[k], bool))]
        if wrong:
            raise ModelUnusable(key, f"{CARD} has fields of the wrong type ({'; '.join(wrong)})")
        theirs, ours = card["usecase"].partition("/custom/")[0], key.partition("/custom/")[0]
        if theirs != ours:  # a folder copied from another use case: "ready" in `list`, then "does not describe the model ('config')"
            model = key.partition("/custom/")[2] or ours
            raise ModelUnusable(key, f"{CARD} says this is a {theirs} model, not a {ours} one — move its folder to "
                                     f"models/{theirs}/custom/{model} and use it as a {theirs} model")
        return card

    def load(self, key: str, *, format_version: int, _retry: bool = True) -> tuple[dict[str, torch.Tensor], dict]:
        """Read, verify and parse ``key``: returns ``(tensors, card)`` or raises ModelUnusable."""
        d = self.dir(key)
        card = self.read_card(key)
        if card.get("format_version") != format_version:
            raise ModelUnusable(
                key,
                f"it was saved in format {card.get('format_version')}, this code reads format {format_version}",
            )
        w = d / WEIGHTS
        if not w.exists():
            raise ModelUnusable(key, f"{WEIGHTS} is missing")
        try:
            blob = w.read_bytes()
        except OSError as exc:
            raise ModelUnusable(key, f"{WEIGHTS} cannot be read ({exc.strerror})") from None
        if _sha256(blob) != card["sha256"]:
            if _retry:  # a save may have renamed the weights but not yet the card
                import time

                time.sleep(0.2)
                return self.load(key, format_version=format_version, _retry=False)
            size_note = ""
            if card.get("weights_bytes") and len(blob) != card["weights_bytes"]:
                size_note = f", {len(blob)} bytes instead of {card['weights_bytes']} (truncated?)"
            raise ModelUnusable(key, f"{WEIGHTS} does not match the sha256 in {CARD}{size_note}")
        try:
            tensors = st_load(blob)
        except Exception as exc:  # safetensors raises its own error type for any malformed header
            raise ModelUnusable(key, f"{WEIGHTS} is not a valid safetensors file ({exc})") from None
        return tensors, card

    def status(self, key: str, *, format_version: int | None = None) -> StoreStatus:
        """Cheap check for the sidebar: reads the card only (the hash is checked on load). With ``format_version`` (the
        reading code's), a card saved in another format is "unusable" here already, as ``load`` would find it."""
        try:
            card = self.read_card(key)
        except ModelMissing as exc:
            return StoreStatus(key, "missing", str(exc))
        except ModelUnusable as exc:
            return StoreStatus(key, "unusable", str(exc))
        if format_version is not None and card["format_version"] != format_version:
            # `list` and the sidebar had said "ready" for a card of format 99; evaluate and score then refused it
            return StoreStatus(key, "unusable", str(ModelUnusable(key, f"it was saved in format {card['format_version']}, "
                                                                       f"this code reads format {format_version}")), card)
        w = self.dir(key) / WEIGHTS
        if not w.exists():
            return StoreStatus(key, "unusable", str(ModelUnusable(key, f"{WEIGHTS} is missing")), card)
        size, expected = w.stat().st_size, card.get("weights_bytes")
        if expected is not None and size != expected:  # cheap; the hash itself is checked on load
            return StoreStatus(key, "unusable", str(ModelUnusable(key, f"{WEIGHTS} is {size:,} bytes, the card says {expected:,} (truncated?)")), card)
        return StoreStatus(key, "ready", "size verified (the hash is checked on load)" if expected is not None else "not verified", card)

    def load_artefacts(self, key: str, card: dict) -> dict[str, torch.Tensor] | None:
        """The precomputed evaluation arrays saved with ``card`` (hash-checked), or ``None`` when the card
        has none or the file does not match it (then the caller recomputes)."""
        meta = card.get("artefacts")
        if not isinstance(meta, dict):
            return None
        try:
            blob = (self.dir(key) / ARTEFACTS).read_bytes()
        except OSError:
            return None
        if _sha256(blob) != meta.get("sha256"):
            return None
        try:
            return st_load(blob)
        except Exception:
            return None

    def keys(self, prefix: str = "") -> list[str]:
        """Every stored key under ``prefix`` (e.g. the named text models ``textgen/…``)."""
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        out = []
        for card in sorted(base.rglob(CARD)):
            rel = card.parent.relative_to(self.root)
            if PREVIOUS not in rel.parts:
                out.append(rel.as_posix())
        return out


def load_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor], usecase: str) -> None:
    """Load ``tensors`` into ``module`` after checking every name and shape; else ModelUnusable."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [
        f"{k} {tuple(tensors[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in tensors and tuple(tensors[k].shape) != tuple(v.shape)
    ]
    problems = []
    if missing:
        problems.append("missing tensors " + ", ".join(missing[:4]) + ("…" if len(missing) > 4 else ""))
    if unexpected:
        problems.append("unexpected tensors " + ", ".join(unexpected[:4]) + ("…" if len(unexpected) > 4 else ""))
    if wrong:
        problems.append("wrong shapes " + "; ".join(wrong[:3]) + ("…" if len(wrong) > 3 else ""))
    if problems:
        raise ModelUnusable(usecase, "weights do not fit the model (" + "; ".join(problems) + ")")
    module.load_state_dict(tensors, strict=True)


def load_module(store: "ModelStore", key: str, *, format_version: int, build: Callable[[dict], torch.nn.Module],
                tensors_hook: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]] | None = None) -> tuple[torch.nn.Module, dict]:
    """Load ``key`` into the module that ``build(card)`` makes from its card: ``(module in eval mode, card)``.

    A card that does not describe a buildable model, or weights that do not fit it, raise
    :class:`ModelUnusable`; ``tensors_hook`` may adjust the stored tensors first (e.g. re-add tied ones).
    """
    tensors, card = store.load(key, format_version=format_version)
    try:
        module = build(card)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelUnusable(key, f"{CARD} does not describe the model ({exc})") from None
    if tensors_hook is not None:
        tensors = tensors_hook(tensors)
    load_state(module, tensors, key)
    module.eval()
    return module, card


def _json_default(obj):
    import numpy as np

    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (Path, _dt.date)):
        return str(obj)
    raise TypeError(f"cannot put {type(obj).__name__} in a model card")
