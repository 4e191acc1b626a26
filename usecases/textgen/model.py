"""The model file (GPT weights plus its tokenizer in one safetensors file) and the trained model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from usecases.core import spec

from .generate import Sampling, stream_gpt
from .gpt import GPT, GPTConfig
from .tokenizer import BPETokenizer, CharTokenizer


class TextModel(nn.Module):
    """The GPT plus its tokenizer (code points, or the BPE JSON as bytes), so one safetensors file is the model."""

    def __init__(self, cfg: GPTConfig, tokenizer: str = "characters", tokenizer_bytes: int = 0):
        super().__init__()
        self.gpt = GPT(cfg)
        self.tokenizer_kind = tokenizer
        if tokenizer == "characters":
            self.register_buffer("codepoints", torch.zeros(cfg.vocab_size, dtype=torch.int64))
        else:
            self.register_buffer("tokenizer_json", torch.zeros(tokenizer_bytes, dtype=torch.uint8))

    @classmethod
    def from_card(cls, card: dict) -> "TextModel":
        """An empty model of the shape a card describes (the store then loads the weights into it)."""
        tk = card.get("tokenizer", {})
        kind = "characters" if tk.get("kind", "characters") == "characters" else "bpe"
        return cls(GPTConfig(**card["model"]["config"]), kind, int(tk.get("json_bytes", 0)))

    def set_tokenizer(self, tok) -> None:
        if isinstance(tok, CharTokenizer):
            self.codepoints.copy_(tok.to_tensor())
        else:
            self.tokenizer_json = tok.to_tensor()

    def make_tokenizer(self):
        if self.tokenizer_kind == "characters":
            return CharTokenizer.from_tensor(self.codepoints)
        return BPETokenizer.from_tensor(self.tokenizer_json)

    def store_tensors(self, fp16: bool = True) -> dict[str, torch.Tensor]:
        sd = self.state_dict()
        sd.pop("gpt.head.weight")  # tied to gpt.tok.weight; safetensors stores each tensor once
        return {k: (v.half() if fp16 and v.is_floating_point() else v) for k, v in sd.items()}


def _tail_chars(tokenizer, prompt: str, block: int) -> int:
    """How many characters the last ``block`` tokens of ``prompt`` decode to."""
    return len(tokenizer.decode(tokenizer.encode(prompt)[-block:]))


@dataclass
class Trained(spec.Trained):
    """A GPT with its card and, when it was scored at training time, the per-token scores of the
    held-out text (``artefacts``: ``scored_ids``, ``model_nats``, ``ngram_nats``), from which
    :func:`usecases.textgen.evaluate` rebuilds the evaluation without the corpus."""

    model: TextModel
    card: dict
    artefacts: dict[str, np.ndarray] | None = None
    tokenizer: CharTokenizer | BPETokenizer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.tokenizer = self.model.make_tokenizer()  # built once here, so reading a model never mutates it later

    def prompt_tokens(self, prompt: str) -> int:
        return len(self.tokenizer.encode(prompt))

    def prompt_note(self, prompt: str, max_new_tokens: int = 0) -> str:
        """One sentence when ``prompt`` is longer than the model's context, which reads only its last ``block_size`` tokens
        (a pasted page had been cut to its last ~860 characters without a word), else "". ``max_new_tokens`` does not
        matter here: the window slides as it writes (a local pretrained model's note depends on it)."""
        n, block = self.prompt_tokens(prompt), self.model.gpt.cfg.block_size
        if n <= block:
            return ""
        return (f"the prompt is {n:,} tokens and the model reads {block:,} at most (its context): it continues from the prompt's last "
                f"{block:,} tokens, about {_tail_chars(self.tokenizer, prompt, block):,} characters — the start of it does not shape "
                "the continuation")

    def stream(self, prompt: str, sampling: Sampling, use_cache: bool = True):
        tok = self.tokenizer
        return stream_gpt(self.model.gpt, tok.encode, tok.stream_decoder(), prompt, sampling, use_cache=use_cache)
