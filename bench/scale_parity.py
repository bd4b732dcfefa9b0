"""Retrieval on the scale-out engines against the embedded mode, on the same corpus: the realtimeqa
index made by bench/retrieval.py is copied, vectors and all, into PostgreSQL and Milvus (servers
started here on loopback, as the tests start them), and the dev questions are run on both.

Run by hand, from the repository root:

    .venv/bin/python bench/scale_parity.py --index-dir ../bench-data/rtqa-index --milvus server
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.records import ArticleRecord, ChunkRecord, SpeechRecord, StoryRecord  # noqa: E402
from index.ports import Store  # noqa: E402
from index.store.opening import MilvusAddress, open_store  # noqa: E402
from qa.embedding.embedder import embedder_for  # noqa: E402
from qa.evaluation import evaluate, load_questions, service_retrieve  # noqa: E402
from qa.composition import assemble_service  # noqa: E402
from qa.settings import Settings  # noqa: E402
from tests.servers import milvus, postgres  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "realtimeqa"
BATCH = 64


def main() -> None:
    args = _arguments()
    settings = Settings(index_dir=args.index_dir)
    embedder = embedder_for(settings)
    questions = load_questions(SHARED / "questions-dev.jsonl")
    local = open_store(args.index_dir, model=embedder.name, dimension=embedder.dimension,
                       faiss_index=settings.faiss_index, create=False)
    rows = [("embedded: SQLite + FAISS", evaluate(service_retrieve(assemble_service(local, embedder, settings)), questions))]
    with postgres() as database_url, _milvus(args.milvus) as milvus_uri:
        shared = open_store(Path(tempfile.mkdtemp()), model=embedder.name, dimension=embedder.dimension, create=True,
                            database_url=database_url,
                            milvus=MilvusAddress(milvus_uri, "parity", index_type=args.index_type))
        started = time.perf_counter()
        copied = _copy(args.index_dir, shared)
        print(f"copied {copied} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        # Milvus Lite 3 has full-text search; the 2.3 server does not (index.vectors.milvus).
        lexical = "Milvus BM25" if args.milvus == "lite" else "the catalog's BM25"
        name = f"shared: PostgreSQL + Milvus {args.milvus} ({args.index_type}, lexical by {lexical})"
        rows.append((name, evaluate(service_retrieve(assemble_service(shared, embedder, settings)), questions)))
        shared.close()
    print(_table(rows, args))


def _milvus(kind: str):
    if kind == "server":
        return milvus()
    folder = Path(tempfile.mkdtemp())

    class Lite:
        def __enter__(self) -> str:
            return str(folder / "milvus.db")

        def __exit__(self, *exc) -> None:
            subprocess.run(["rm", "-rf", str(folder)])

    return Lite()


def _copy(index_dir: Path, shared: Store) -> int:
    """Every article with its chunks, vectors, story and speakers, as stored in the embedded index."""
    conn = sqlite3.connect(index_dir / "metadata.sqlite")
    articles = conn.execute(
        "SELECT id, text, title, url, source, authors, published_at, published_ts, content_hash, cluster_id, "
        "fingerprint FROM articles ORDER BY rowid"
    ).fetchall()
    with shared.writing():
        for start in range(0, len(articles), BATCH):
            shared.put([_records(conn, row) for row in articles[start : start + BATCH]])
    conn.close()
    return len(articles)


def _records(conn: sqlite3.Connection, row: tuple) -> tuple[ArticleRecord, list[ChunkRecord]]:
    article_id, text, title, url, source, authors, published_at, published_ts, content_hash, cluster, fingerprint = row
    bands = tuple(r[0] for r in conn.execute("SELECT band_key FROM story_bands WHERE article_id = ?", (article_id,)))
    speech = tuple(SpeechRecord(s, e, who, cue, tuple(json.loads(titles))) for s, e, who, cue, titles in conn.execute(
        "SELECT start_char, end_char, speaker, cue, titles FROM speech WHERE article_id = ?", (article_id,)))
    story = StoryRecord(cluster, fingerprint, bands) if fingerprint is not None else None
    record = ArticleRecord(article_id, text, title, url, source, tuple(json.loads(authors)), published_at,
                           published_ts, content_hash, story, speech)
    chunks = [ChunkRecord(s, e, key, h, np.frombuffer(v, dtype="<f4")) for s, e, key, h, v in conn.execute(
        "SELECT start_char, end_char, chunk_key, embed_hash, vector FROM chunks WHERE article_id = ? ORDER BY seq",
        (article_id,))]
    return record, chunks


def _table(rows: list, args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"Commit `{commit}`, {os.cpu_count()} cores, `python bench/scale_parity.py --milvus {args.milvus} "
        f"--index-type {args.index_type}`, realtimeqa dev questions.",
        "",
        "| mode | hits@1 | hits@5 | hits@10 | mrr@10 | answer@5 | latency p50 / p95 (ms) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r.hits_at_1:.3f} | {r.hits_at_5:.3f} | {r.hits_at_10:.3f} | {r.mrr_at_10:.3f} | "
                     f"{r.answer_at_5:.3f} | {r.latency_median_ms:.0f} / {r.latency_p95_ms:.0f} |")
    return "\n".join(lines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="the embedded realtimeqa index")
    parser.add_argument("--milvus", choices=["server", "lite"], default="server")
    parser.add_argument("--index-type", default="FLAT", choices=["FLAT", "HNSW"])
    return parser.parse_args()


if __name__ == "__main__":
    main()
