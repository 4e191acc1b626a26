"""A small GPT (decoder-only transformer), after the shape of Karpathy's nanoGPT ``model.py``.

One config dataclass, four small modules, a KV cache for generation. Two switches exist only so the
benchmark can measure a same-size *reference* the way a textbook implementation runs:
``use_sdpa=False`` computes attention with an explicit mask and softmax instead of
``scaled_dot_product_attention`` (fused kernels on GPU, a memory-efficient path on CPU), and
generation without the cache re-runs the whole context for every new token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 128
    block_size: int = 128  # longest context the model attends to
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 192
    dropout: float = 0.0
    use_sdpa: bool = True


# A KV cache is one (key, value) pair per layer, each of shape (batch, heads, time, head_dim).
KVCache = list[tuple[torch.Tensor, torch.Tensor]]


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.n_head, self.dropout, self.use_sdpa = cfg.n_head, cfg.dropout, cfg.use_sdpa
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if past is not None:  # new queries attend to all cached keys plus their own
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        S = k.shape[2]  # total keys: cached + new
        drop = self.dropout if self.training else 0.0
        if self.use_sdpa:
            if past is None:  # training and prefill: plain causal attention
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
            elif T == 1:  # one new token sees every cached key
                y = F.scaled_dot_product_attention(q, k, v)
            else:  # T new tokens after S − T cached ones: query i may see keys ≤ S − T + i
                mask = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=S - T)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
            mask = torch.ones(T, S, dtype=torch.bool, device=x.device).tril(diagonal=S - T)
            att = att.masked_fill(~mask, float("-inf"))
            att = F.dropout(F.softmax(att, dim=-1), self.dropout, self.training)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y)), present


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1, self.attn = nn.LayerNorm(cfg.n_embd), CausalSelfAttention(cfg)
        self.ln2, self.mlp = nn.LayerNorm(cfg.n_embd), MLP(cfg)

    def forward(self, x, past=None):
        a, present = self.attn(self.ln1(x), past)
        x = x + a
        return x + self.mlp(self.ln2(x)), present


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.pos = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.head.weight = self.tok.weight  # weight tying (Press & Wolf 2017): fewer parameters, better small models
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2 scaled init of residual projections
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, cache: KVCache | None = None):
        """Logits (B, T, vocab); the loss when ``targets`` are given; and the updated KV cache."""
        B, T = idx.shape
        start = cache[0][0].shape[2] if cache else 0
        if start + T > self.cfg.block_size:
            raise ValueError(f"context of {start + T} tokens exceeds the block size {self.cfg.block_size}")
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.drop(self.tok(idx) + self.pos(pos))
        new_cache: KVCache = []
        for i, block in enumerate(self.blocks):
            x, present = block(x, cache[i] if cache else None)
            new_cache.append(present)
        logits = self.head(self.ln_f(x))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss, new_cache


class Decoder:
    """Fast single-sequence generation with a preallocated KV cache.

    ``prefill(ids)`` runs a context through the model once and stores every layer's keys and values;
    ``step(token)`` then costs one position: the new token's key and value are written in place (one
    copy per layer, no re-allocation per token) and its query attends to all stored ones. The step
    calls the functional ops directly on the model's own weights — the same arithmetic as
    ``GPT.forward`` (a test checks the logits agree) without the per-module call overhead, which
    dominates the cost of one position in a small model.
    """

    def __init__(self, model: GPT):
        if model.training:
            raise ValueError("put the model in eval mode before generating")
        cfg = model.cfg
        w = model.tok.weight
        self.model, self.block, self.C, self.H = model, cfg.block_size, cfg.n_embd, cfg.n_head
        self.hd = cfg.n_embd // cfg.n_head
        # keys and values of layer i: kv[i, 0] and kv[i, 1], each (1, heads, block, head_dim)
        self.kv = torch.zeros((cfg.n_layer, 2, 1, cfg.n_head, cfg.block_size, self.hd), device=w.device, dtype=w.dtype)
        self.length = 0
        ln = lambda m: (m.weight, m.bias, m.eps)  # noqa: E731
        self.layers = [
            (ln(b.ln1), b.attn.qkv.weight, b.attn.qkv.bias, b.attn.proj.weight, b.attn.proj.bias,
             ln(b.ln2), b.mlp.fc.weight, b.mlp.fc.bias, b.mlp.proj.weight, b.mlp.proj.bias)
            for b in model.blocks
        ]
        self.tok, self.pos, self.ln_f, self.head = w, model.pos.weight, ln(model.ln_f), model.head.weight

    @property
    def full(self) -> bool:
        return self.length >= self.block

    def prefill(self, ids: list[int]) -> torch.Tensor:
        """Start from ``ids`` (at most a block); returns the logits of the next token."""
        if not 1 <= len(ids) <= self.block:
            raise ValueError(f"prefill needs 1 to {self.block} tokens, got {len(ids)}")
        logits, _, cache = self.model(torch.tensor([ids], device=self.kv.device))
        n = len(ids)
        for i, (k, v) in enumerate(cache):
            self.kv[i, 0, :, :, :n] = k
            self.kv[i, 1, :, :, :n] = v
        self.length = n
        return logits[0, -1]

    def step(self, token: int) -> torch.Tensor:
        """Append one token; returns the logits of the next one."""
        pos = self.length
        if pos >= self.block:
            raise ValueError(f"the cache is full ({self.block} positions); prefill a shorter context")
        C, H, hd, end = self.C, self.H, self.hd, pos + 1
        x = (self.tok[token] + self.pos[pos]).view(1, C)
        for i, ((w1, b1, e1), wqkv, bqkv, wo, bo, (w2, b2, e2), wfc, bfc, wp, bp) in enumerate(self.layers):
            qkv = F.linear(F.layer_norm(x, (C,), w1, b1, e1), wqkv, bqkv).view(3, 1, H, 1, hd)
            kv = self.kv[i]
            kv[:, :, :, pos] = qkv[1:, :, :, 0]
            y = F.scaled_dot_product_attention(qkv[0], kv[0, :, :, :end], kv[1, :, :, :end])  # (1, heads, 1, head_dim)
            x = x + F.linear(y.view(1, C), wo, bo)
            x = x + F.linear(F.gelu(F.linear(F.layer_norm(x, (C,), w2, b2, e2), wfc, bfc)), wp, bp)
        self.length = end
        return F.linear(F.layer_norm(x, (C,), *self.ln_f), self.head)[0]
