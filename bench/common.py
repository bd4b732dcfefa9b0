"""What the benchmark scripts share: a `qa serve` process on a free loopback port, percentiles, the commit."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


class Server:
    """`qa serve` with the given environment, ready when entered; its log goes to `log` if given."""

    def __init__(self, env: dict[str, str], log: Path | None = None) -> None:
        self._env = env
        self._log = log

    def __enter__(self) -> tuple[str, float]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        started = time.perf_counter()
        output = self._log.open("w") if self._log else subprocess.DEVNULL
        self.process = subprocess.Popen([PYTHON, "-m", "qa", "serve", "--port", str(port)], env=self._env,
                                        cwd=REPO, stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"qa serve ended with code {self.process.returncode}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    return base, time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return pick(0.5), pick(0.95), pick(0.99)


def commit() -> str:
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (a server's worker processes)."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found += process_tree(int(stat.parent.name))
    return found


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process tree's memory from /proc: VmRSS now, or VmHWM, the peak; processes gone are skipped."""
    total = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{field}:")), 0)
    return total / 1024
