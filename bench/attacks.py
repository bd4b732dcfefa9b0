"""The attacks on the HTTP edge from the attack run (docs/reliability.md), against `qa serve` on
loopback, each while a keyed client goes on searching: how the attackers are answered, and how long
the keyed searches take meanwhile against before.

Run by hand, from the repository root:

    .venv/bin/python bench/attacks.py --index-dir ../bench-data/seed-index
"""

import argparse
import os
import socket
import statistics
import threading
import time
from pathlib import Path

import httpx

from common import REPO, Server, commit, percentiles

KEY = "bench-write-key"
MiB = 1024 * 1024


def main() -> None:
    args = _arguments()
    env = {**os.environ, "QA_INDEX_DIR": str(args.index_dir), "QA_WRITE_KEYS": KEY, "QA_WORKERS": "1",
           "QA_REQUEST_READ_TIMEOUT_SECONDS": str(args.read_timeout)}
    with Server(env, checkout=args.serve_from) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        address = (host, int(port))
        print(f"Commit `{commit()}` serving commit `{commit(args.serve_from)}`, `python bench/attacks.py`, one server "
              f"process, read timeout {args.read_timeout:g} s.\n")
        print("| keyed `/v1/search` while | p50 (ms) | p99 (ms) | max (ms) | errors | the attackers got |")
        print("| --- | --- | --- | --- | --- | --- |")
        print(_row("nothing else happens", *_searching(base, lambda stop: "")))
        print(_row("2 clients send 120 MiB Authorization headers, again and again",
                   *_searching(base, lambda stop: _huge_headers(address, stop, clients=2))))
        print(_row(f"300 clients announce 100,000-byte bodies and send a byte a second ({args.drip_seconds} s)",
                   *_searching(base, lambda stop: _slow_bodies(address, stop, clients=300), seconds=args.drip_seconds)))
        print(_row("50 clients send half their headers and wait",
                   *_searching(base, lambda stop: _half_headers(address, stop, clients=50), seconds=args.drip_seconds)))


def _searching(base: str, attack, seconds: float = 20.0) -> tuple[list[float], int, str]:
    """Keyed searches, one at a time, for `seconds` while `attack` runs; the attack's outcome."""
    stop = threading.Event()
    outcome: list[str] = []
    attacker = threading.Thread(target=lambda: outcome.append(attack(stop)))
    attacker.start()
    latencies, errors = [], 0
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        ended = time.monotonic() + seconds
        while time.monotonic() < ended:
            started = time.perf_counter()
            try:
                found = client.get("/v1/search", params={"q": "What did Netanyahu say about Iran?"})
                errors += found.status_code != 200
            except httpx.TransportError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    stop.set()
    attacker.join()
    return latencies, errors, outcome[0] if outcome else "(no outcome)"


def _row(name: str, latencies: list[float], errors: int, outcome: str) -> str:
    p50, _, p99 = percentiles(latencies)
    return f"| {name} | {p50:.1f} | {p99:.1f} | {max(latencies):.1f} | {errors} | {outcome} |"


def _huge_headers(address: tuple[str, int], stop: threading.Event, clients: int) -> str:
    statuses: list[str] = []
    sent: list[int] = []

    def one() -> None:
        while not stop.is_set():
            total = 0
            with socket.create_connection(address, timeout=30) as sock:
                try:
                    sock.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
                    for _ in range(120):
                        sock.sendall(b"A" * MiB)
                        total += MiB
                    sock.sendall(b"\r\n\r\n")
                except OSError:
                    pass
                sock.settimeout(30)
                statuses.append(_answer(sock))
            sent.append(total)

    _together([threading.Thread(target=one) for _ in range(clients)])
    return (f"{len(statuses)} attempts: {_counts(statuses)}; the server stopped reading after "
            f"{statistics.median(sent) / MiB:.1f} MiB at the median (what the kernels buffer)")


def _slow_bodies(address: tuple[str, int], stop: threading.Event, clients: int) -> str:
    socks = []
    for _ in range(clients):
        sock = socket.create_connection(address, timeout=60)
        sock.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + KEY.encode() + b"\r\nContent-Length: 100000\r\n\r\n")
        socks.append(sock)
    open_ones = list(socks)
    while not stop.is_set() and open_ones:
        for sock in list(open_ones):
            try:
                sock.sendall(b" ")
            except OSError:
                open_ones.remove(sock)
        stop.wait(1.0)
    stop.wait()
    return _counts(_statuses(socks))


def _half_headers(address: tuple[str, int], stop: threading.Event, clients: int) -> str:
    socks = []
    for _ in range(clients):
        sock = socket.create_connection(address, timeout=60)
        sock.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\n")
        socks.append(sock)
    stop.wait()
    return _counts(_statuses(socks))


def _statuses(socks: list[socket.socket], wait: float = 2.0) -> list[str]:
    """For each connection, the status line the server answered before closing, how it closed, or
    that it is still open: what the server sent within `wait` seconds from now."""
    time.sleep(wait)
    return [_status(sock) for sock in socks]


def _status(sock: socket.socket) -> str:
    sock.setblocking(False)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
        closed = "closed"
    except BlockingIOError:
        closed = "still open"
    except ConnectionResetError:
        closed = "reset"
    finally:
        sock.close()
    return received.split(b"\r\n", 1)[0].decode() or closed


def _answer(sock: socket.socket) -> str:
    """The status line of what the server answers before closing, or how it closed."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        return received.split(b"\r\n", 1)[0].decode() or "reset"
    except TimeoutError:
        return received.split(b"\r\n", 1)[0].decode() or "no answer within 30 s"
    return received.split(b"\r\n", 1)[0].decode() or "closed"


def _counts(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(s)} × {s}" for s in sorted(set(statuses)))


def _together(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--read-timeout", type=float, default=30.0, help="QA_REQUEST_READ_TIMEOUT_SECONDS")
    parser.add_argument("--drip-seconds", type=int, default=40, help="how long the slow clients are measured")
    parser.add_argument("--serve-from", type=Path, default=REPO,
                        help="a working tree of another commit (git worktree add) whose code serves, to compare")
    return parser.parse_args()


if __name__ == "__main__":
    main()
