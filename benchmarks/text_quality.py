"""Re-measure the quality section of a stored text model on more held-out prompts, and optionally amend its card.

    python -m benchmarks.text_quality                 # the shipped model, 200 prompts: print only
    python -m benchmarks.text_quality --write         # … and replace the card's quality section (weights untouched)
    python -m benchmarks.text_quality --prompts 100 --store DIR --key textgen

The drafts are sampled exactly as in training (``quality.measure``: temperature 0.8, 100 new tokens, seed = prompt
index) from the first ``--prompts`` fixed prompts of the validation modules, so the first 20 are the 20 an earlier card
was measured on, and their share is printed beside the new one. Only a model trained on this machine's stack
documentation can be re-measured (its corpus is rebuilt from the installed packages; ``stackdocs.corpus_for`` refuses
otherwise). ``--write`` goes through ``ModelStore.amend_card``: the weights are hash-checked first, and the card records
when, from which code revision and why its quality section changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usecases.core.store import REPO_ROOT, ModelStore  # noqa: E402
from usecases.core.tables import DataProblem  # noqa: E402
from usecases.textgen import quality, stackdocs  # noqa: E402
from usecases.textgen.config import STANDARD_QUALITY_PROMPTS  # noqa: E402
from usecases.textgen.serving import load  # noqa: E402


def remeasure(store: ModelStore, key: str = "textgen", n_prompts: int = STANDARD_QUALITY_PROMPTS) -> tuple[dict, dict, float]:
    """``(new quality section, old quality section, seconds)`` for the stored model ``key``."""
    trained = load(store, key)
    corpus = stackdocs.corpus_for(trained.card)
    if len(corpus.prompts) < n_prompts:
        raise DataProblem(f"the validation modules give {len(corpus.prompts)} prompts, fewer than the {n_prompts} asked for", "--prompts")
    old = trained.card.get("quality") or {}
    t0 = time.perf_counter()
    q = quality.measure(trained, dataclasses.replace(corpus, prompts=corpus.prompts[:n_prompts]), ng_beaten=bool(old.get("beats_ngram")),
                        n_prompts=n_prompts)
    return q, old, time.perf_counter() - t0


def summary(q: dict, old: dict) -> list[str]:
    """Lines a person reads: the new share with its interval, the first-n share against the old card, and why drafts failed."""
    n, flags = q["samples"], q["usable_by_prompt"]
    qq = quality.Quality(prompts=n, usable_share=q["usable_share"], in_vocab_share=q["in_vocab_share"], distinct_2=q["distinct_2"],
                         longest_loop=q["greedy_longest_repeat_max"], usable_rule=q["usable_rule"], unusable_because=q["unusable_because"])
    lines = [f"usable drafts {q['usable_share']:.1%} ({qq.usable_counts()}); {qq.failure_counts()}",
             f"words in vocabulary {q['in_vocab_share']:.1%} (worst draft {q['in_vocab_share_min']:.0%}); distinct-2 {q['distinct_2']:.3f}; "
             f"longest greedy repeat {q['greedy_longest_repeat_max']}"]
    m = int(old.get("samples") or 0)
    if 0 < m <= n and "usable_share" in old:
        first = sum(flags[:m])
        lines.append(f"the card's earlier {m} prompts: {first} of {m} usable now, {round(old['usable_share'] * m)} of {m} on the card "
                     f"({'the same' if first == round(old['usable_share'] * m) else 'different: sampling differs on this device'})")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=REPO_ROOT / "models")
    ap.add_argument("--key", default="textgen")
    ap.add_argument("--prompts", type=int, default=STANDARD_QUALITY_PROMPTS)
    ap.add_argument("--write", action="store_true", help="replace the card's quality section (the weights are not touched)")
    args = ap.parse_args(argv)
    store = ModelStore(args.store)
    try:
        q, old, secs = remeasure(store, args.key, args.prompts)
    except DataProblem as exc:
        print(f"text_quality: {exc}", file=sys.stderr)
        return 2
    print(f"{args.key}: {q['samples']} prompts in {secs:.0f} s")
    for line in summary(q, old):
        print("  " + line)
    if args.write:
        card = store.amend_card(args.key, {"quality": q, "training": {**store.read_card(args.key).get("training", {}), "quality_prompts": q["samples"]}},
                                f"quality re-measured on {q['samples']} held-out prompts (was {old.get('samples', '?')}) with "
                                "benchmarks/text_quality.py; the weights are unchanged")
        print(f"  card amended ({len(card['amendments'])} amendment(s) recorded)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
