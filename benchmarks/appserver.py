"""Start the app on a free port for browser tests and the concurrency benchmark, and stop it again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIDS: dict[str, int] = {}  # base URL → server process id (for the server's own CPU counters)
LOGS: dict[str, Path] = {}  # base URL → the server's log (stdout and stderr)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(copy_models: bool = True, timeout: float = 120.0, env_extra: dict[str, str] | None = None):
    """Yield the base URL of a running app. The model store is a temporary copy, so a retrain in a
    test never touches the shipped checkpoints."""
    port = free_port()
    env = dict(os.environ, **(env_extra or {}))
    tmp = tempfile.mkdtemp(prefix="uclab-")
    if copy_models:
        shutil.copytree(ROOT / "models", Path(tmp) / "models", ignore=shutil.ignore_patterns("previous"))
        env["UCLAB_MODEL_DIR"] = str(Path(tmp) / "models")
    log = open(Path(tmp) / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks._serve", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port),
                             "--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read().strip() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
            if proc.poll() is not None:
                raise RuntimeError(f"app server exited: {(Path(tmp) / 'server.log').read_text()[-2000:]}")
        else:
            raise RuntimeError("app server did not become healthy in time")
        PIDS[url], LOGS[url] = proc.pid, Path(tmp) / "server.log"
        yield url
    finally:
        PIDS.pop(url, None)
        LOGS.pop(url, None)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def server_stacks(url: str, wait: float = 2.0) -> str:
    """Every thread's Python stack in the server at ``url`` now (SIGUSR1, see ``benchmarks._serve``), read back from
    its log; "" when the server is gone or wrote nothing."""
    pid, log = PIDS.get(url), LOGS.get(url)
    if pid is None or log is None:
        return ""
    before = log.stat().st_size if log.exists() else 0
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError:
        return ""
    time.sleep(wait)
    with open(log, "rb") as fh:
        fh.seek(before)
        return fh.read().decode("utf-8", "replace")


def peak_memory_mb(pid: int) -> float | None:
    """The process's peak resident memory so far in MiB (Linux /proc VmHWM); None where it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
