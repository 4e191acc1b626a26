"""Pretrained causal language models already on this machine, through ``transformers`` — never downloaded.

Searched: folders listed in ``UCLAB_HF_DIRS`` (``os.pathsep``-separated; each may be a model folder or
hold model folders), ``models/textgen/hf/`` in the repository, and the local Hugging Face cache
(``HF_HOME`` / ``~/.cache/huggingface/hub``). A folder qualifies when its ``config.json`` names a
``…ForCausalLM`` architecture. Loading sets ``local_files_only=True`` (and ``HF_HUB_OFFLINE=1``), so a
missing file is an error, not a download; safetensors weights are preferred and a pickled
``pytorch_model.bin`` is refused.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from usecases.core.store import REPO_ROOT
from usecases.core.tables import DataProblem, json_loads, json_problem

from .generate import Sampling, Step, stream_logits

ENV_VAR = "UCLAB_HF_DIRS"


@dataclass(frozen=True)
class LocalModel:
    name: str
    path: str
    architecture: str


def _candidates() -> list[Path]:
    roots = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    roots.append(REPO_ROOT / "models" / "textgen" / "hf")
    hub = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")) / "hub"
    out = []
    for r in roots:
        if (r / "config.json").exists():
            out.append(r)
        elif r.is_dir():
            out += [p for p in sorted(r.iterdir()) if (p / "config.json").exists()]
    if hub.is_dir():
        for repo in sorted(hub.glob("models--*")):
            snaps = sorted((repo / "snapshots").glob("*"), key=lambda p: p.stat().st_mtime, reverse=True)
            out += [s for s in snaps[:1] if (s / "config.json").exists()]
    return out


def _in_cache(p: Path) -> bool:
    return p.parent.name == "snapshots"


def scan() -> tuple[list[LocalModel], list[tuple[str, str]]]:
    """The usable local models, and ``(folder, why not)`` for each folder with a config.json that is not offered — a malformed
    config.json or one naming no causal language model had been skipped without a word, so a folder put there by hand
    simply did not appear."""
    found, skipped = [], []
    for p in _candidates():
        if _in_cache(p) and not _causal_or_broken(p):
            continue  # the Hugging Face cache holds encoders and other models a person did not put there for this page
        try:
            cfg = json_loads((p / "config.json").read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            skipped.append((str(p), "its config.json is not UTF-8 text"))
            continue
        except ValueError as exc:
            skipped.append((str(p), f"its config.json is not valid JSON ({json_problem(exc)})"))
            continue
        except OSError as exc:
            skipped.append((str(p), f"its config.json cannot be read ({exc.strerror})"))
            continue
        archs = cfg.get("architectures") if isinstance(cfg, dict) else None
        archs = [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
        arch = next((a for a in archs if a.endswith("ForCausalLM") or a.endswith("LMHeadModel")), None)
        if arch:
            name = p.parent.parent.name.replace("models--", "").replace("--", "/") if _in_cache(p) else p.name
            found.append(LocalModel(name=name, path=str(p), architecture=arch))
        elif archs:
            skipped.append((str(p), f"its config.json names {', '.join(archs)}, not a causal language model (…ForCausalLM), "
                                    "so it cannot continue a text"))
        else:
            skipped.append((str(p), "its config.json names no architecture (an \"architectures\" list such as "
                                    "[\"GPT2LMHeadModel\"])"))
    return found, skipped


def _causal_or_broken(p: Path) -> bool:
    try:
        archs = json_loads((p / "config.json").read_text(encoding="utf-8")).get("architectures")
    except (OSError, ValueError, AttributeError):
        return True
    return not isinstance(archs, list) or any(isinstance(a, str) and a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs)


def discover() -> list[LocalModel]:
    return scan()[0]


HOW_TO_ADD = (
    "No pretrained model was found on this machine. To add one, put a Hugging Face causal language model folder "
    "(config.json, tokenizer files and model.safetensors) under models/textgen/hf/<name>/, or point UCLAB_HF_DIRS at it, "
    "or download it once elsewhere with `huggingface-cli download <model> --local-dir <folder>` and copy the folder here. "
    "Small ones that run on a CPU: distilgpt2, gpt2, HuggingFaceTB/SmolLM2-135M-Instruct."
)


class LoadedHF:
    """A local transformers model and tokenizer, with a lock: generation mutates no shared state,
    but one CPU-bound generation at a time keeps latency predictable for everyone."""

    def __init__(self, path: str, device: torch.device):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        p = Path(path)
        if not (p / "config.json").exists():
            raise DataProblem(f"{path} has no config.json", "this model folder")
        if not list(p.glob("*.safetensors")):
            if list(p.glob("*.bin")):
                raise DataProblem(f"{path} holds only pickled weights (pytorch_model.bin), which are never loaded; convert them to safetensors", "this model folder")
            raise DataProblem(f"{path} has no model.safetensors weights", "this model folder")
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, use_safetensors=True).to(device).eval()
        except Exception as exc:  # transformers and safetensors raise many types for a broken folder
            raise DataProblem(f"{path} is not a loadable causal language model ({str(exc).splitlines()[0][:200]})", "this model folder") from None
        try:  # a folder without tokenizer files loads an empty tokenizer, and generating raised "cannot reshape tensor of 0 elements"
            tokens = len(self.tokenizer("Hello world").input_ids)
        except Exception:  # noqa: BLE001 — the same: no usable tokenizer
            tokens = 0
        if not tokens:
            raise DataProblem(f"{path} has no usable tokenizer: it turns text into no tokens; copy the model's tokenizer files "
                              "(tokenizer.json, or vocab.json and merges.txt, with tokenizer_config.json) beside its config.json",
                              "this model folder")
        self.device = device
        self.lock = threading.Lock()
        self.n_params = sum(p.numel() for p in self.model.parameters())
        # How many tokens the model reads, prompt and continuation together (GPT-2's n_positions, most others'
        # max_position_embeddings); None when the config does not say. A longer input had raised "IndexError: index out of
        # range in self" out of the position embedding (found 2026-12-06).
        cfg = self.model.config
        n = getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", None)
        self.positions = int(n) if isinstance(n, int) and n > 1 else None

    def _room(self, max_new_tokens: int) -> int | None:
        """How many prompt tokens fit beside ``max_new_tokens`` new ones, or None (no limit known)."""
        if self.positions is None:
            return None
        if max_new_tokens >= self.positions:
            raise DataProblem(f"this model reads {self.positions:,} tokens at most, prompt and continuation together: ask for at most "
                              f"{self.positions - 1:,} new tokens (asked for {max_new_tokens:,})", "these decoding settings")
        return self.positions - max_new_tokens

    def prompt_note(self, prompt: str, max_new_tokens: int = 0) -> str:
        """One sentence when ``prompt`` and ``max_new_tokens`` new tokens do not fit the model's positions (the prompt is then
        continued from its last tokens that fit, as the shipped GPT continues from its last 256), else ""."""
        room = self._room(max_new_tokens)
        ids = self.tokenizer(prompt).input_ids
        if room is None or len(ids) <= room:
            return ""
        try:  # a fast tokenizer knows where each token starts in the prompt
            chars = len(prompt) - self.tokenizer(prompt, return_offsets_mapping=True)["offset_mapping"][-room][0]
        except (NotImplementedError, KeyError, TypeError, IndexError, ValueError):
            chars = len(self.tokenizer.decode(ids[-room:], skip_special_tokens=True))
        return (f"the prompt is {len(ids):,} tokens and this model reads {self.positions:,} at most, prompt and continuation together: "
                f"with up to {max_new_tokens:,} new tokens it continues from the prompt's last {room:,} tokens, about {chars:,} "
                "characters — the start of it does not shape the continuation")

    def stream(self, prompt: str, s: Sampling) -> Iterator[Step]:
        if not prompt:
            raise DataProblem("it is empty; type a few words to continue", "the prompt")
        s.check()
        ids = self.tokenizer(prompt, return_tensors="pt").input_ids.to(self.device)
        room = self._room(s.max_new_tokens)
        if room is not None and ids.shape[1] > room:  # the last tokens that fit: prompt_note says so
            ids = ids[:, -room:]
        state = {"past": None, "ids": ids}

        def next_logits(last: int | None) -> torch.Tensor:
            inp = state["ids"] if last is None else torch.tensor([[last]], device=self.device)
            with torch.inference_mode():
                out = self.model(input_ids=inp, past_key_values=state["past"], use_cache=True)
            state["past"] = out.past_key_values
            return out.logits[0, -1]

        # Decode incrementally so multi-byte tokens render correctly.
        generated: list[int] = []
        emitted = {"text": ""}

        def decode_one(tok: int) -> str:
            generated.append(tok)
            full = self.tokenizer.decode(generated, skip_special_tokens=True)
            piece = full[len(emitted["text"]):]
            emitted["text"] = full
            return piece

        with self.lock:
            yield from stream_logits(next_logits, decode_one, s, eos=self.tokenizer.eos_token_id)
