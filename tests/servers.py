"""Real servers for the scale-out tests, started on loopback in a temporary folder and stopped after:
PostgreSQL (the Debian server binaries) and Milvus standalone (`milvus-server` from the milvus wheel)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    return next((d for d in PG_BIN_DIRS if (d / "initdb").exists()), None)


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server; yields its URL. Runs as the `postgres` user when we are root,
    since the server refuses to run as root."""
    binaries = postgres_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="qa-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)
    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def milvus() -> Iterator[str]:
    """A throwaway Milvus standalone server (2.3, no BM25); yields its URI."""
    beside_python = Path(sys.executable).parent / "milvus-server"
    server = str(beside_python) if beside_python.exists() else shutil.which("milvus-server")
    if server is None:
        raise FileNotFoundError("milvus-server is not installed (pip install milvus==2.3.5)")
    with _milvus_process("qa-milvus-", lambda folder, port: [server, "--data", str(folder), "--proxy-port", str(port)],
                         "milvus-server") as uri:
        yield uri


@contextmanager
def milvus_lite() -> Iterator[str]:
    """A throwaway Milvus Lite server (3.x: pure Python, with BM25) in a process of its own, so that
    several processes share it as they share a Milvus server; yields its URI."""
    with _milvus_process("qa-milvus-lite-", lambda folder, port: [
            sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(folder / "data"),
            "--host", "127.0.0.1", "--port", str(port)], "milvus-lite") as uri:
        yield uri


@contextmanager
def _milvus_process(prefix: str, command, name: str) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    process = subprocess.Popen(command(folder, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                from pymilvus import MilvusClient

                MilvusClient(uri=f"http://127.0.0.1:{port}", timeout=5).close()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(1)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Milvus standalone runs Milvus, etcd and MinIO as children: stop the whole group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        subprocess.run(["pkill", "-9", "-f", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
