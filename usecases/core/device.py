"""Device handling in one place: which accelerator to use, how to train on it, and how to say so.

Selection order is CUDA → MPS → CPU. ``UCLAB_DEVICE`` (or the CLI's ``--device``) overrides it with
``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``. Training uses bf16 autocast on CUDA (fp32 master
weights) and plain fp32 elsewhere; data loaders pin memory on CUDA only.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import re
from dataclasses import dataclass

import numpy as np
import torch

ENV_VAR = "UCLAB_DEVICE"
_CHOICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(ValueError):
    """The requested device does not exist on this machine."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def select_device(preference: str | None = None) -> torch.device:
    """Return the device to run on.

    ``preference`` wins over the ``UCLAB_DEVICE`` environment variable, which wins over automatic
    selection. Asking for an accelerator that is absent raises :class:`DeviceError` with a reason,
    rather than silently falling back, so a benchmark never reports CPU figures as GPU ones.
    """
    choice = (preference or os.environ.get(ENV_VAR) or "auto").strip().lower()
    kind = choice.split(":", 1)[0]
    if kind not in _CHOICES:
        raise DeviceError(f"unknown device {choice!r}; use one of auto, cpu, cuda, cuda:N, mps")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {choice!r} requested but CUDA is not available on this machine")
        dev = torch.device(choice)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(f"device {choice!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
        return dev
    if kind == "mps":
        if not _mps_available():
            raise DeviceError("device 'mps' requested but Apple MPS is not available on this machine")
        return torch.device("mps")
    return torch.device("cpu")


@dataclass(frozen=True)
class DeviceInfo:
    type: str
    name: str
    torch_version: str

    def label(self) -> str:
        return f"{self.name} · torch {self.torch_version}"

    def as_dict(self) -> dict:
        return {"type": self.type, "name": self.name, "torch": self.torch_version}


def device_info(device: torch.device | None = None) -> DeviceInfo:
    """Human-readable description of ``device`` (default: the selected one)."""
    device = device or select_device()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        name = f"Apple MPS ({platform.machine()})"
    else:
        # Threads and cores both: the server keeps torch to half the cores, and "1 thread" beside a note about "2 CPU
        # cores" read as a contradiction.
        n, cores = torch.get_num_threads(), os.cpu_count() or 1
        name = f"CPU ({platform.machine() or 'unknown'}, {n} torch thread{'' if n == 1 else 's'} on {cores} core{'' if cores == 1 else 's'})"
    return DeviceInfo(type=device.type, name=name, torch_version=torch.__version__)


def card_device_name(name: str) -> str:
    """A card's device name for a sentence: cards written before the wording above say "CPU (x86_64, 1 threads)"."""
    return re.sub(r"\b1 (torch )?threads\b", lambda m: f"1 {m.group(1) or ''}thread", str(name))


def autocast(device: torch.device):
    """Mixed precision context for forward passes: bf16 on CUDA, nothing (fp32) elsewhere."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def loader_kwargs(device: torch.device) -> dict:
    """Keyword arguments for ``torch.utils.data.DataLoader`` suited to ``device``."""
    return {"pin_memory": device.type == "cuda"}


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move a CPU tensor to ``device``; pinned + non-blocking on CUDA."""
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def seed_everything(seed: int) -> torch.Generator:
    """Fix every random source used in training and return a seeded CPU generator."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def make_loader(tensors: tuple[torch.Tensor, ...], batch_size: int, *, shuffle: bool, generator: torch.Generator | None, device: torch.device):
    """A DataLoader over in-memory tensors that fetches whole batches by index (no per-row Python
    calls) and pins memory on CUDA so host→device copies overlap with compute."""
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

    ds = TensorDataset(*tensors)
    base = RandomSampler(ds, generator=generator) if shuffle else SequentialSampler(ds)
    sampler = BatchSampler(base, batch_size=batch_size, drop_last=False)
    return DataLoader(ds, sampler=sampler, batch_size=None, collate_fn=lambda idx_batch: idx_batch, **loader_kwargs(device))


THREADS_VAR = "UCLAB_TORCH_THREADS"


def server_threads(environ=None, cores: int | None = None) -> tuple[int, str | None]:
    """CPU threads torch may use inside the web server, and a warning if ``UCLAB_TORCH_THREADS`` was unusable.

    Default: half the cores (at least 1). The server shares its cores with the page's own work, other sessions and,
    on a demo machine, the browser; torch's OpenMP threads then wait on a preempted sibling at every step. Measured on
    2 cores with one busy: a 263-row triage file trained in 148 s on 2 threads and 46 s on 1 (44 s on 2 when idle).
    """
    env = os.environ if environ is None else environ
    default = max(1, (cores or os.cpu_count() or 1) // 2)
    raw = env.get(THREADS_VAR, "").strip()
    if not raw:
        return default, None
    try:
        n = int(raw)
        if n < 1:
            raise ValueError
    except ValueError:
        return default, f"{THREADS_VAR}={raw!r} is not a whole number of threads ≥ 1; using {default}"
    return n, None


_SERVER_THREADS_SET = False


def limit_threads_for_server() -> str | None:
    """Apply :func:`server_threads` once per process (the app calls it on every run); returns its warning, if any."""
    global _SERVER_THREADS_SET
    n, warning = server_threads()
    if not _SERVER_THREADS_SET:
        torch.set_num_threads(n)
        _SERVER_THREADS_SET = True
    return warning
