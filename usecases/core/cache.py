"""On-disk cache for generated data (never for user uploads), keyed by the generator's parameters.

Location: ``UCLAB_CACHE_DIR`` or ``<repo>/.cache``. Files are Parquet (no pickles); a write goes to
a temporary file and is renamed, so a crash never leaves a half-written entry. A cache that cannot
be written (read-only deployment) is skipped silently: the data is then regenerated each time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

ENV_VAR = "UCLAB_CACHE_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    return Path(os.environ.get(ENV_VAR) or REPO_ROOT / ".cache")


def key_of(namespace: str, params: dict, version: int) -> str:
    blob = json.dumps({"ns": namespace, "v": version, **params}, sort_keys=True, default=str).encode()
    return f"{namespace}-{hashlib.sha256(blob).hexdigest()[:16]}"


def cached_frame(namespace: str, params: dict, build: Callable[[], pd.DataFrame], *, version: int = 1) -> pd.DataFrame:
    """Return the cached frame for ``params`` or build, store and return it."""
    path = cache_dir() / f"{key_of(namespace, params, version)}.parquet"
    if path.exists():
        try:
            return pd.read_parquet(path)
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            path.unlink(missing_ok=True)
    df = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass
    return df
