"""What the benchmark scripts share: a `qa serve` process on a free loopback port, a light HTTP
client, percentiles, the commit."""

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


class Server:
    """`qa serve` with the given environment, ready when entered; its log goes to `log` if given.
    `checkout` is the working tree whose code serves: this one, or another commit's to compare."""

    def __init__(self, env: dict[str, str], log: Path | None = None, checkout: Path = REPO) -> None:
        self._env = env
        self._log = log
        self._checkout = checkout

    def __enter__(self) -> tuple[str, float]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        started = time.perf_counter()
        output = self._log.open("w") if self._log else subprocess.DEVNULL
        self.process = subprocess.Popen([PYTHON, "-m", "qa", "serve", "--port", str(port)], env=self._env,
                                        cwd=self._checkout, stdout=output, stderr=subprocess.STDOUT)
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


class LightClient:
    """HTTP/1.1 on one kept-alive connection, reopened when the server closes it; or, with
    `keep_alive=False`, a new connection per request. The benchmark's clients share the server's
    two cores, so they should take as little CPU as a client on another machine would: httpx took
    about 2.5 ms of CPU per request, this takes about a tenth of that. Enough HTTP for this API:
    responses with a Content-Length."""

    def __init__(self, base: str, keep_alive: bool = True) -> None:
        host, port = base.removeprefix("http://").split(":")
        self._address = (host, int(port))
        self._host = f"{host}:{port}".encode()
        self._keep_alive = keep_alive
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def __aenter__(self) -> "LightClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self._close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return await self._request(b"POST", path, body)

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self._request(b"GET", path, None)

    async def _request(self, method: bytes, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(*self._address)
        reader, writer = self._streams
        head = [method + b" " + path.encode() + b" HTTP/1.1", b"Host: " + self._host]
        if body is not None:
            head += [b"Content-Type: application/json", b"Content-Length: " + str(len(body)).encode()]
        if not self._keep_alive:
            head.append(b"Connection: close")
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + (body or b""))
        status = int((await reader.readline()).split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" not in headers:
            raise RuntimeError("LightClient reads only responses with a Content-Length")
        content = await reader.readexactly(int(headers[b"content-length"]))
        if not self._keep_alive or headers.get(b"connection") == b"close":
            await self._close()
        return status, content

    async def _close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return pick(0.5), pick(0.95), pick(0.99)


def commit(checkout: Path = REPO) -> str:
    return subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
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
