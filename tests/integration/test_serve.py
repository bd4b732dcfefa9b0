"""`qa serve` as a real process on a free loopback port: add an article, ask, delete, stop."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.integration


def wait_until_ready(base: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"qa serve exited early: {process.stdout.read()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("qa serve did not become ready")


def test_serve_ingest_ask_delete_stop(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index")}
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        article = {"id": "budget-1", "title": "Budget vote", "published_at": "2024-03-01",
                   "text": "The senate passed the budget on Tuesday by 51 votes to 49. The president will sign it."}
        added = httpx.post(f"{base}/v1/articles", json=article, timeout=60).json()
        assert [(r["id"], r["status"]) for r in added["results"]] == [("budget-1", "added")]

        answer = httpx.post(f"{base}/v1/ask", json={"question": "By how many votes did the budget pass?"}, timeout=60).json()
        assert answer["answerable"] and "51 votes to 49" in answer["answer"]
        citation = answer["citations"][0]
        assert article["text"][citation["start"] : citation["end"]] == citation["quote"]

        # A key put in the query string by mistake, and a reader's question, stay out of the access log.
        found = httpx.get(f"{base}/v1/search", params={"q": "senate budget vote", "api_key": "key-in-the-query"}, timeout=60)
        assert found.status_code == 422  # a parameter search does not take

        assert httpx.delete(f"{base}/v1/articles/budget-1", timeout=60).json()["status"] == "deleted"
        gone = httpx.post(f"{base}/v1/ask", json={"question": "By how many votes did the budget pass?"}, timeout=60).json()
        assert gone["answerable"] is False and gone["passages"] == []
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "no API keys configured: the API is open" in output
    assert f"Uvicorn running on http://127.0.0.1:{port}" in output
    # The log is JSON lines (QA_LOG_FORMAT), one access record a request, naming its route, not its path.
    assert '"method": "GET", "route": "/v1/search", "status": 422' in output
    assert "key-in-the-query" not in output and "senate" not in output


def test_two_replicas_share_postgresql_and_milvus(tmp_path: Path, postgres_url: str, milvus_server: str) -> None:
    """Two `qa serve` processes on different ports: a push to one is answered by the other, a delete on
    one is gone from both."""
    replicas = []
    for name in ("one", "two"):
        port = free_port()
        env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / name), "QA_DATABASE_URL": postgres_url,
               "QA_MILVUS_URI": milvus_server, "QA_MILVUS_COLLECTION": f"c_{Path(postgres_url).name}"}
        process = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        replicas.append((f"http://127.0.0.1:{port}", process))
    (one, _), (two, _) = replicas
    try:
        for base, process in replicas:
            wait_until_ready(base, process)
        article = {"id": "toll", "title": "Bridge toll", "text": "The mayor announced a bridge toll of four dollars."}
        assert httpx.post(f"{one}/v1/articles", json=article, timeout=60).json()["results"][0]["status"] == "added"
        answer = httpx.post(f"{two}/v1/ask", json={"question": "How much is the bridge toll?"}, timeout=60).json()
        assert answer["answerable"] and "four dollars" in answer["answer"]
        assert httpx.delete(f"{two}/v1/articles/toll", timeout=60).json()["status"] == "deleted"
        for base in (one, two):
            gone = httpx.get(f"{base}/v1/search", params={"q": "bridge toll"}, timeout=60).json()
            assert gone["passages"] == []
    finally:
        for _, process in replicas:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
