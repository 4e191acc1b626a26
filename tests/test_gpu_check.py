"""benchmarks/gpu_check.py is run on a lent GPU machine with little time to spare, so it must work the
first time: here it runs on the CPU, where every use case must train, be measured and report its
parameters on the device, with no error recorded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_end_to_end_on_the_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--device", "cpu", "--out", str(out)],
                       capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    import usecases

    assert set(res["checks"]) == set(usecases.NAMES)
    for name, c in res["checks"].items():
        assert not [k for k in c if k.startswith("error")], (name, c)
        assert c["trained_on"] == "cpu" and c["params_on_cpu"] is True, (name, c)
    assert len(res["throughput"]) == len(usecases.NAMES) + 1  # textgen: with and without the KV cache
    assert all(v > 0 for v in res["throughput"].values())


def test_gpu_text_carries_the_corpus_and_its_models_intact(tmp_path, monkeypatch):
    """benchmarks/gpu_text.py: the corpus exported here is the same corpus on the GPU machine (its text, split,
    evaluation slice, prompts and metadata — so the card's fingerprint is this machine's), and a model directory
    larger than one returned file comes back whole from its parts."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import gpu_text
    from usecases.textgen import stackdocs
    from usecases.textgen.corpus import Corpus

    c = Corpus(text="trainval", source="a source", train="train", val="val", meta={"fingerprint": "f" * 16, "versions": {"python": "3"}},
               eval_text="va", prompts=("p1", "p2"))
    monkeypatch.setattr(stackdocs, "stack_corpus", lambda: c)
    info = gpu_text.export_corpus(tmp_path / "c.json.gz")
    back = gpu_text.import_corpus(tmp_path / "c.json.gz")
    assert info["fingerprint"] == back.fingerprint == "f" * 16
    assert (back.text, back.train, back.val, back.eval_text, back.prompts, back.meta, back.source) == \
        (c.text, c.train, c.val, c.eval_text, c.prompts, c.meta, c.source)

    src = tmp_path / "model"
    src.mkdir()
    blob = bytes(range(256)) * 1000
    (src / "model.safetensors").write_bytes(blob)
    monkeypatch.setattr(gpu_text, "PART_BYTES", 100_000)
    out = tmp_path / "out"
    out.mkdir()
    names = gpu_text.pack(src, out, "larger")
    assert len(names) >= 3 and all((out / n).stat().st_size <= 100_000 for n in names)
    joined = tmp_path / "joined.tar"
    joined.write_bytes(b"".join((out / n).read_bytes() for n in names))
    import tarfile

    with tarfile.open(joined) as t:
        assert t.extractfile("larger/model.safetensors").read() == blob
