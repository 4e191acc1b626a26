"""Quality figures a reader can check by eye, measured on held-out prompts.

* **Words in vocabulary** — share of the words (runs of letters, lower-cased) of sampled text that occur
  in the training text. Garbled output ("funtcion", "retrns") shows up here first.
* **distinct-2** — distinct word bigrams ÷ all word bigrams over the samples (Li et al. 2016, *A
  Diversity-Promoting Objective Function for Neural Conversation Models*, NAACL): low values mean the
  model repeats itself.
* **Longest repeated n-gram** — in one greedy (temperature 0) continuation of 300 tokens, the longest
  token sequence that occurs twice: greedy decoding of small models falls into loops.
* **Usable draft** — a sample whose words are ≥ 97 % in vocabulary and that repeats no 8-token sequence;
  the share of usable drafts is what the business case multiplies editor time by.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from usecases.core.tables import DataProblem

from .generate import Sampling, complete

# A word is a run of letters of any script; a character of a script written without spaces (Chinese, Japanese) is a word of
# its own. Until 2026-12-07 a word was a run of ASCII letters: "café" counted as "caf", and a model of a Chinese corpus whose
# samples were Latin gibberish read "Real words 100 %" while its Chinese drafts, with no "word" at all, could never be usable
# (a sweep). The Python-docs figures did not move: its samples hold next to no letters beyond ASCII.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{_UNSPACED}]|[^\W\d_{_UNSPACED}]+")
MIN_IN_VOCAB = 0.97
MAX_REPEAT = 8  # a draft that repeats an 8-token sequence is not usable


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def vocabulary(text: str) -> set[str]:
    return set(words(text))


def in_vocab_share(text: str, vocab: set[str]) -> float | None:
    ws = words(text)
    return sum(w in vocab for w in ws) / len(ws) if ws else None


def distinct_n(texts: list[str], n: int = 2) -> float | None:
    grams, total = set(), 0
    for t in texts:
        ws = words(t)
        g = [tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)]
        grams.update(g)
        total += len(g)
    return len(grams) / total if total else None


def longest_repeat(ids: list[int]) -> int:
    """Length of the longest contiguous sequence that occurs at least twice in ``ids`` (overlaps allowed)."""
    lo, hi = 0, len(ids) - 1
    while lo < hi:  # binary search: if an n-gram repeats, every shorter one does too
        mid = (lo + hi + 1) // 2
        seen, found = set(), False
        for i in range(len(ids) - mid + 1):
            g = tuple(ids[i : i + mid])
            if g in seen:
                found = True
                break
            seen.add(g)
        lo, hi = (mid, hi) if found else (lo, mid - 1)
    return lo


def failures(text: str, ids: list[int], vocab: set[str]) -> tuple[str, ...]:
    """Why a draft is not usable: ``"words"`` (under 97 % of its words in the training vocabulary, or no words at all)
    and/or ``"repeat"`` (it repeats an 8-token sequence); ``()`` for a usable draft."""
    share = in_vocab_share(text, vocab)
    return tuple(r for r, bad in (("words", share is None or share < MIN_IN_VOCAB), ("repeat", longest_repeat(ids) >= MAX_REPEAT)) if bad)


def usable(text: str, ids: list[int], vocab: set[str]) -> bool:
    return not failures(text, ids, vocab)


# ---- measured on a trained model ------------------------------------------------------------------

SAMPLE_SETTINGS = Sampling(max_new_tokens=120, temperature=0.8, top_k=40, top_p=0.95, seed=0)
DRAFT_SETTINGS = Sampling(max_new_tokens=100, temperature=0.8, top_k=None, top_p=None, seed=0)
README_PROMPTS = ("The with statement is used to", "Return a new array of given shape", "This function computes the",
                  "Parameters\n----------\nx : array_like\n", "If the file does not exist,")


def measure(trained, corpus, *, ng_beaten: bool, n_prompts: int) -> dict:
    """The card's ``quality`` section: words in vocabulary and distinct-2 at temperature 0.8, the longest
    repeat in 300-token greedy runs, the share of usable drafts, and five unedited samples — all from
    prompts out of the validation text."""
    vocab = vocabulary(corpus.train)
    prompts = list(corpus.prompts[:n_prompts]) or prompts_from(corpus.val, n_prompts)
    texts, shares, verdicts = [], [], []
    for i, p in enumerate(prompts):
        steps = list(trained.stream(p, dataclasses.replace(DRAFT_SETTINGS, seed=i)))
        text = "".join(s.text for s in steps)
        texts.append(text)
        sh = in_vocab_share(text, vocab)
        if sh is not None:
            shares.append(sh)
        verdicts.append(failures(text, [s.token for s in steps if s.token >= 0], vocab))
    n_usable = sum(not v for v in verdicts)
    greedy = []
    for p in prompts[:5]:
        steps = list(trained.stream(p, Sampling(max_new_tokens=300, temperature=0.0, top_k=None, top_p=None)))
        greedy.append(longest_repeat([s.token for s in steps if s.token >= 0]))
    samples = []
    # the fixed prompts are the documentation corpus's (the README shows them); a user's corpus is sampled from its own
    # held-out prompts — a Polish corpus's model had been shown continuing "Parameters\n----------\nx : array_like"
    for p in (README_PROMPTS if corpus.prompts else prompts[:5]):
        try:
            text, _ = complete(trained.stream(p, SAMPLE_SETTINGS))
        except DataProblem:  # a character model may not know a character of the prompt
            continue
        samples.append({"prompt": p, "completion": text})
    all_words = [w for t in texts for w in words(t)]
    return {
        "prompts": prompts, "samples": len(prompts),
        "in_vocab_share": sum(w in vocab for w in all_words) / len(all_words) if all_words else 0.0,
        "in_vocab_share_min": min(shares) if shares else None,
        "distinct_2": distinct_n(texts, 2),
        "greedy_longest_repeat": greedy, "greedy_longest_repeat_max": max(greedy) if greedy else None,
        "usable_share": n_usable / len(prompts) if prompts else 0.0,
        "usable_by_prompt": [not v for v in verdicts],  # in prompt order: the share of any first n prompts can be read back
        "unusable_because": {r: sum(r in v for v in verdicts) for r in ("words", "repeat")},
        "usable_rule": USABLE_RULE,
        "beats_ngram": bool(ng_beaten),
        "sampling": "temperature 0.8, no top-k/top-p, 100 new tokens, seed = prompt index",
        "readme_samples": samples,
        "readme_settings": dataclasses.asdict(SAMPLE_SETTINGS),
    }


USABLE_RULE = (f"a 100-token sample at temperature 0.8 with ≥ {MIN_IN_VOCAB:.0%} of its words in the training vocabulary "
               f"and no repeated {MAX_REPEAT}-token sequence")


def prompts_from(text: str, n: int) -> list[str]:
    """Prompts for a user's corpus: the first five words of lines of the validation text that start a sentence — in a
    script written without spaces (Chinese, Japanese; no capitals either), the first 12 characters of lines of 24 or more,
    where it had found none and measured every draft from one prompt."""
    out = []
    lines = text.splitlines()[1:]  # the validation text may start mid-line
    for line in lines:
        # Indented or marked-up lines count by their words: in pydoc's "     |  Return a new …", a docstring's indentation or a
        # "> " quote no line starts with a capital, so every draft was measured from one prompt, the held-out text's first 40
        # characters ("s/3.11.7/lib/python3.11/fractions.py") — "Usable drafts 0 %" of one draft (a walkthrough, 2026-12-07).
        body = line.lstrip(" \t|>*#-•")
        ws = body.split()
        if len(ws) >= 8 and body[:1].isupper():
            out.append(" ".join(ws[:5]))
        elif re.match(f"[{_UNSPACED}]", body[:1]) and len(body.strip()) >= 24:
            out.append(body.strip()[:12])
        if len(out) == n:
            break
    first = next((line.strip() for line in lines if line.strip()), "")  # a whole line's start, not the middle of one
    return out or [first[:40] or text[:40]]


# ---- what the page and the business case read ------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    prompt: str
    completion: str


@dataclass(frozen=True)
class Quality:
    """The card's quality figures, typed: what the page shows and what the value's quality gate reads."""

    prompts: int  # held-out prompts the drafts were sampled from
    usable_share: float  # share of those drafts that pass :func:`usable`
    in_vocab_share: float | None
    distinct_2: float | None
    longest_loop: int | None  # longest repeated token sequence in 300-token greedy runs
    usable_rule: str
    samples: tuple[Sample, ...] = ()  # five unedited samples from fixed prompts
    sample_settings: str = ""
    unusable_because: dict | None = None  # {"words": n, "repeat": n}: drafts failing each part of the rule (a draft can fail both)

    def usable_interval(self, level: float = 0.95) -> tuple[float, float] | None:
        """Wilson interval of the usable share over the prompts (``scipy.stats.binomtest``); None without prompts. With 20
        prompts it is wide — 13 of 20 (65 %) spans 43–82 % — so the page shows it beside the share."""
        if self.prompts <= 0:
            return None
        from scipy.stats import binomtest

        ci = binomtest(round(self.usable_share * self.prompts), self.prompts).proportion_ci(confidence_level=level, method="wilson")
        return float(ci.low), float(ci.high)

    def usable_counts(self) -> str:
        """"13 of 20 held-out prompts; 95 % interval 43–82 %" — the share's evidence, in words."""
        ci = self.usable_interval()
        n = f"{round(self.usable_share * self.prompts)} of {self.prompts} held-out prompts"
        return n + (f"; 95 % interval {ci[0] * 100:.0f}–{ci[1] * 100:.0f} %" if ci else "")

    def failure_counts(self) -> str:
        """"of the 108 unusable drafts, 73 have under 97% of their words in the training vocabulary and 68 repeat a
        sequence of 8 tokens" ("" when not recorded; a draft can fail both)."""
        b = self.unusable_because
        bad = self.prompts - round(self.usable_share * self.prompts)
        if not b or bad <= 0:
            return ""
        return (f"of the {bad} unusable drafts, {b.get('words', 0)} have under {MIN_IN_VOCAB:.0%} of their words in the training "
                f"vocabulary and {b.get('repeat', 0)} repeat a sequence of {MAX_REPEAT} tokens")

    @classmethod
    def from_card(cls, card: dict) -> "Quality | None":
        q = card.get("quality") or {}
        if "usable_share" not in q:
            return None
        s = q.get("readme_settings") or {}
        settings = (f"temperature {s.get('temperature')}, top-k {s.get('top_k')}, top-p {s.get('top_p')}, seed {s.get('seed')}" if s else "")
        return cls(prompts=int(q.get("samples", 0)), usable_share=float(q["usable_share"]), in_vocab_share=q.get("in_vocab_share"),
                   distinct_2=q.get("distinct_2"), longest_loop=q.get("greedy_longest_repeat_max"), usable_rule=q.get("usable_rule", USABLE_RULE),
                   samples=tuple(Sample(x["prompt"], x["completion"]) for x in q.get("readme_samples", [])), sample_settings=settings,
                   unusable_because=q.get("unusable_because"))
