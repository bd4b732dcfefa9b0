"""A shared-mode replica's memory at two archive sizes: the realtimeqa index copied, vectors and all,
into PostgreSQL and a Milvus server (started here on loopback, as the tests start them), once and
then as many times again as `--copies` says (under new ids); at each size a fresh `qa serve` replica
(empty index folder) starts on the shared archive and answers the dev questions, and its memory is
read from /proc: after start, and its peak after the questions. What grows with the archive is what
each replica holds of it.

`--milvus server` is the Milvus 2.3.5 standalone server (no full-text search: each replica keeps a
catalog); `--milvus lite` is Milvus Lite 3 in a process of its own (full-text search: replicas keep
nothing, index.catalog.engines). Milvus Lite is pure Python, slow to fill and to search: take a
part of the index (`--articles`) and of the questions (`--questions`).

Run by hand, from the repository root, on a quiet machine:

    .venv/bin/python bench/replica_memory.py --index-dir ../bench-data/rtqa-index --copies 4
    .venv/bin/python bench/replica_memory.py --index-dir ../bench-data/rtqa-index --milvus lite \
        --articles 2000 --copies 4 --questions 20
"""

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from common import REPO, Server, commit, memory_mb
from query import load
from scale_parity import BATCH, _records

sys.path.insert(0, str(REPO))
from index.store.opening import MilvusAddress, open_store  # noqa: E402
from tests.servers import milvus, milvus_lite, postgres  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "realtimeqa"
COLLECTION = "replicas"


def main() -> None:
    args = _arguments()
    questions = [json.loads(line) for line in (SHARED / "questions-dev.jsonl").read_text().splitlines()]
    questions = questions[: args.questions]
    rows = []
    # The engine, and what its processes' command lines hold (its folder's prefix: tests/servers.py).
    engine, marker = (milvus, "qa-milvus-") if args.milvus == "server" else (milvus_lite, "qa-milvus-lite-")
    with postgres() as database_url, engine() as milvus_uri:
        env = {**os.environ, "QA_DATABASE_URL": database_url, "QA_MILVUS_URI": milvus_uri,
               "QA_MILVUS_COLLECTION": COLLECTION, "QA_EMBEDDING_BACKEND": args.backend}
        copied = 0
        for copies in (1, args.copies):
            started = time.perf_counter()
            chunks = _copy(args.index_dir, database_url, milvus_uri, range(copied, copies), args.articles)
            copied = copies
            print(f"{chunks} chunks after {time.perf_counter() - started:.0f} s of copying", file=sys.stderr)
            rows.append((chunks, *_replica(env, questions), *_engines(database_url, marker)))
    print(_table(rows, args))


def _engines(database_url: str, marker: str) -> tuple[float, float]:
    """(PostgreSQL's database size, the RSS of the Milvus server's processes, whose command lines hold
    `marker`), in MB."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
    rss = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                rss += _own_rss(cmdline.parent)
        except OSError:
            continue
    return size, rss


def _own_rss(proc: Path) -> float:
    status = (proc / "status").read_text()
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0) / 1024


def _copy(index_dir: Path, database_url: str, milvus_uri: str, copies: range, articles: int | None) -> int:
    """Adds these copies of the embedded index to the shared archive; returns its chunks."""
    with tempfile.TemporaryDirectory(prefix="copier-") as folder:
        shared = open_store(Path(folder), model="sentence-transformers/all-MiniLM-L6-v2", dimension=384,
                            create=True, database_url=database_url, milvus=MilvusAddress(milvus_uri, COLLECTION))
        try:
            return _copy_into(shared, index_dir, copies, articles)
        finally:
            shared.close()


def _copy_into(shared, index_dir: Path, copies: range, articles: int | None) -> int:
    conn = sqlite3.connect(index_dir / "metadata.sqlite")
    rows = conn.execute(
        "SELECT id, text, title, url, source, authors, published_at, published_ts, content_hash, cluster_id, "
        "fingerprint FROM articles ORDER BY rowid"
    ).fetchall()[:articles]
    with shared.writing():
        for copy in copies:
            for start in range(0, len(rows), BATCH):
                shared.put([_renamed(_records(conn, row), copy) for row in rows[start : start + BATCH]])
    conn.close()
    return shared.stats().chunks


def _renamed(item, copy: int):
    """Copy 0 as it is; any other under new article ids and chunk keys (the same text and vectors)."""
    article, chunks = item
    if not copy:
        return item
    return (replace(article, id=f"{article.id}-copy{copy}"),
            [replace(chunk, key=f"{chunk.key}-copy{copy}") for chunk in chunks])


def _replica(env: dict[str, str], questions: list[dict]) -> tuple[float, float, float, float]:
    """(start-up s, RSS after start MB, peak RSS after the questions MB, p50 ms of /v1/ask, 1 client)."""
    with tempfile.TemporaryDirectory(prefix="replica-") as folder:
        return _measured(Server({**env, "QA_INDEX_DIR": folder}), questions)


def _measured(server: Server, questions: list[dict]) -> tuple[float, float, float, float]:
    with server as (base, startup):
        time.sleep(startup)  # the other worker process too
        after_start = memory_mb(server.process.pid)
        p50, _, _, _, errors = asyncio.run(load(base, questions, 1, len(questions), warm=False))
        if errors:
            raise SystemExit(f"{errors} questions failed")
        peak = memory_mb(server.process.pid, "VmHWM")
    return startup, after_start, peak, p50


def _table(rows: list, args: argparse.Namespace) -> str:
    lines = [
        f"Commit `{commit()}`, {os.cpu_count()} cores, `python bench/replica_memory.py --milvus {args.milvus} "
        f"--copies {args.copies}` (articles: {args.articles or 'all'}, questions: {args.questions or 'all'}): "
        "one `qa serve` replica (both worker processes) on PostgreSQL 15 + "
        f"{'a Milvus 2.3.5 server' if args.milvus == 'server' else 'Milvus Lite 3.2.2 in its own process'}.",
        "",
        "| chunks in the archive | start-up (s) | RSS after start (MB) | peak RSS after the dev questions (MB) "
        "| /v1/ask p50, 1 client, first time (ms) | PostgreSQL database (MB) | Milvus server RSS (MB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for chunks, startup, after_start, peak, p50, database, engine in rows:
        lines.append(f"| {chunks:,} | {startup:.1f} | {after_start:,.0f} | {peak:,.0f} | {p50:.0f} | {database:,.0f} "
                     f"| {engine:,.0f} |")
    return "\n".join(lines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="the embedded realtimeqa index to copy")
    parser.add_argument("--copies", type=int, default=4, help="copies of the index at the second size")
    parser.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--milvus", default="server", choices=["server", "lite"],
                        help="Milvus 2.3.5 standalone (no full-text search) or Milvus Lite 3 (full-text search)")
    parser.add_argument("--articles", type=int, help="copy only the index's first articles")
    parser.add_argument("--questions", type=int, help="ask only the first dev questions")
    return parser.parse_args()


if __name__ == "__main__":
    main()
