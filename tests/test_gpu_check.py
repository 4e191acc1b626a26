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
