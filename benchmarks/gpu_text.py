"""Train text models on a GPU on the documentation of *this* machine's installed stack (the corpus the shipped
text model is trained and scored on), carried to the GPU machine as a file.

Here, where the installed stack defines the corpus:

    python -m benchmarks.gpu_text --export-corpus .gpu/corpus.json.gz

On the GPU machine (its own Python stack differs, so the corpus travels instead of being rebuilt there):

    python benchmarks/gpu_text.py --corpus .gpu/corpus.json.gz --out OUT_DIR [--only serving] [--loop-seconds 120]

The tokenizer and the n-gram baseline are prepared once; then each candidate is fitted on the same tokens,
seeded afresh (``training.with_config``), with its iteration count set from a speed probe so its learning-rate
schedule ends inside ``--loop-seconds`` (capped at the candidate's own count). Each finished model is saved
through the model store and packed as ``OUT_DIR/<name>.tar`` (split into ``.partN`` files of 15 MiB when larger),
and ``OUT_DIR/gpu_text.json`` gets a summary line per candidate as soon as it is done.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usecases.textgen.config import Config, _probe  # noqa: E402
from usecases.textgen.corpus import Corpus  # noqa: E402
from usecases.textgen.gpt import GPTConfig  # noqa: E402

PART_BYTES = 15 * 1024 * 1024


def candidates() -> dict[str, Config]:
    """``serving``: ``Config.gpu()``, the shipped model's size (4 × 256, 256-token context, 4,096 BPE tokens, 4.3 M
    parameters, served on the dashboard's CPU at the CPU model's speed) with the GPU spent on tokens: batches of
    64 × 256 instead of 8 × 256 and 8,000 iterations (≈ 131 M tokens) instead of 800. ``larger``: nanoGPT's
    shakespeare-char size (6 × 384, context 256, batch 64, dropout 0.1; ≈ 12 M parameters here), the size the issue
    names for a GPU. ``xl``: 8 × 512 (≈ 27 M parameters here) with dropout 0.2, the next step of size on the same
    ~7.6 M-token corpus (more epochs than tokens per parameter, hence the dropout)."""
    serving = Config.gpu()
    larger = dataclasses.replace(serving, model=GPTConfig(block_size=256, n_layer=6, n_head=6, n_embd=384, dropout=0.1), lr=1e-3, min_lr=1e-4)
    xl = dataclasses.replace(serving, model=GPTConfig(block_size=256, n_layer=8, n_head=8, n_embd=512, dropout=0.2), lr=6e-4, min_lr=6e-5)
    return {"serving": serving, "larger": larger, "xl": xl}


def export_corpus(path: Path) -> dict:
    from usecases.textgen.stackdocs import stack_corpus

    c = stack_corpus()
    body = {"source": c.source, "train": c.train, "val": c.val, "meta": c.meta, "eval_text": c.eval_text, "prompts": list(c.prompts),
            "choice_text": c.choice_text}
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(body, f)
    return {"path": str(path), "bytes": path.stat().st_size, "fingerprint": c.fingerprint, "train_bytes": len(c.train.encode())}


def import_corpus(path: Path) -> Corpus:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        b = json.load(f)
    return Corpus(text=b["train"] + b["val"], source=b["source"], train=b["train"], val=b["val"], meta=b["meta"], eval_text=b["eval_text"],
                  prompts=tuple(b["prompts"]), choice_text=b.get("choice_text"))


def pack(src: Path, out: Path, name: str) -> list[str]:
    """``src`` as ``out/name.tar``, split into 15 MiB parts when larger (the device returns files up to 16 MiB)."""
    tar = out / f"{name}.tar"
    with tarfile.open(tar, "w") as t:
        t.add(src, arcname=name)
    if tar.stat().st_size <= PART_BYTES:
        return [tar.name]
    data, names = tar.read_bytes(), []
    tar.unlink()
    for i in range(0, len(data), PART_BYTES):
        p = out / f"{name}.tar.part{i // PART_BYTES}"
        p.write_bytes(data[i : i + PART_BYTES])
        names.append(p.name)
    return names


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--export-corpus")
    ap.add_argument("--corpus")
    ap.add_argument("--out")
    ap.add_argument("--only", default="serving,larger")
    ap.add_argument("--pack", default=None, help="candidates whose model files come back (default: all; the device returns at most 64 MiB)")
    ap.add_argument("--loop-seconds", type=float, default=120.0, help="training-loop time per candidate the schedule is fitted to")
    ap.add_argument("--iters", type=int, default=None, help="cap every candidate's iterations (a smoke test)")
    ap.add_argument("--device", default=None)
    ap.add_argument("--seed", type=int, default=None, help="another seed than the config's (the spread between runs)")
    a = ap.parse_args()
    if a.export_corpus:
        print(json.dumps(export_corpus(Path(a.export_corpus))))
        return 0

    import torch

    from usecases.core.device import device_info, select_device
    from usecases.core.store import ModelStore
    from usecases.textgen import serving
    from usecases.textgen.training import fit, prepare, with_config

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "gpu_text.json"
    summary: dict = {}

    def write(key: str, value) -> None:
        summary[key] = value
        summary_path.write_text(json.dumps(summary, indent=2, default=float))
        print(json.dumps({key: value}, default=float), flush=True)

    dev = select_device(a.device)
    write("device", device_info(dev).as_dict())
    t = time.perf_counter()
    corpus = import_corpus(Path(a.corpus))
    cands = {k: (v if a.seed is None else dataclasses.replace(v, seed=a.seed)) for k, v in candidates().items() if k in a.only.split(",")}
    first = dataclasses.replace(next(iter(cands.values())), device=str(dev))
    prep = prepare(first, corpus, device=dev)
    write("prepared", {"seconds": round(time.perf_counter() - t, 1), "train_tokens": int(len(prep.train_np)), "ngram_bpb": prep.ng_bpb,
                       "ngram": prep.ng_info, "fingerprint": corpus.fingerprint})
    for name, cfg in cands.items():
        try:
            cfg = dataclasses.replace(cfg, device=str(dev))
            p = with_config(prep, cfg)
            sec = _probe(p.config.model, cfg.batch_size, p.train_ids, dev, iters=10)
            iters = min(cfg.max_iters, max(100, int(a.loop_seconds / sec) // 100 * 100))
            if a.iters:
                iters = min(iters, a.iters)
            run_cfg = dataclasses.replace(p.config, max_iters=iters, warmup_iters=min(cfg.warmup_iters, iters // 10),
                                          budget_seconds=max(30.0, 1.5 * a.loop_seconds))
            p = dataclasses.replace(with_config(prep, run_cfg), sizing={"rule": "fixed by the config; iterations set by a speed probe on this GPU",
                                                                         "seconds_per_iter": round(sec, 5), "loop_seconds": a.loop_seconds})
            t1 = time.perf_counter()
            trained = fit(p, progress=None)
            card = trained.card
            store = ModelStore(Path(tempfile.mkdtemp(prefix=f"uclab-{name}-")))
            serving.save(trained, store)
            files = pack(store.dir("textgen"), out, name) if a.pack is None or name in a.pack.split(",") else []
            q = card["quality"]
            write(name, {"iterations": card["model"]["iterations"], "stopped": card["model"]["stopped"], "parameters": card["model"]["parameters"],
                         "seconds_per_iter": round(sec, 5), "training_seconds": card["training_seconds"], "fit_seconds": round(time.perf_counter() - t1, 1),
                         "val_bpb": card["metrics"]["val_bpb"], "baselines": card["baselines"], "vs_ngram": card["metrics"].get("vs_ngram"),
                         "passed_ngram_after_seconds": card["passed_ngram_after_seconds"], "usable_share": q.get("usable_share"),
                         "samples": q.get("samples"), "unusable_because": q.get("unusable_because"),
                         "in_vocab_share": q.get("in_vocab_share"), "greedy_longest_repeat_max": q.get("greedy_longest_repeat_max"),
                         "curve": [(r.get("iter"), r.get("val_bpb")) for r in card["history"] if r.get("val_bpb") is not None], "files": files})
        except Exception as exc:  # one candidate failing must not lose the other's figures
            write(name, {"error": f"{type(exc).__name__}: {exc}"})
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
