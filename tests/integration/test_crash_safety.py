"""Ingests killed with SIGKILL, again and again, into the same index: after each kill the index opens,
its manifest, vectors and rows agree, every article is whole (in its old or its new version) or
absent, and a last run completes the set exactly as an ingest that was never interrupted.
Runs alternate between two versions of the feed, so kills also land in updates of stored articles.

Kill points: chosen phases (mid-embedding, rows written but not committed, FAISS file half written,
FAISS file written but not in place, catalog file written but not in place, FAISS in place but not
the manifest) and random moments from outside. CI runs a
bounded number of kills; set CRASH_KILLS for a longer run. The kills made are written to
test-artifacts/crash-safety.txt.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.sql.sqlite import DATABASE_FILE
from index.files.manifest import read_manifest
from index.store.opening import open_store
from tests.contract.rows import vector_ids
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ARTICLES = 300
CHOSEN = ["embed:3", "embed:11", "commit:1", "commit:4", "commit:9", "faiss:1", "manifest:1", "embed:7",
          "commit:13", "faiss-half:1", "commit:2", "catalog:1", "manifest:1", "catalog:1"]
KILLS = int(os.environ.get("CRASH_KILLS", "24"))


def feed(path: Path, version: int) -> Path:
    words = "council budget river bridge election storm vaccine court strike harbour tariff school".split()
    rng = random.Random(version)
    with path.open("w") as out:
        for n in range(ARTICLES):
            sentences = [
                f"The {rng.choice(words)} report number {n} said {rng.choice(words)} costs rose by {rng.randint(1, 90)} percent."
                for _ in range(rng.randint(3, 25))
            ]
            out.write(json.dumps({"id": f"a{n:03}", "title": f"Story {n}", "text": " ".join(sentences)}) + "\n")
    return path


def run(index_dir: Path, source: Path, point: str, kill_after: float | None = None) -> subprocess.CompletedProcess:
    process = subprocess.Popen([sys.executable, "-m", "tests.crash_ingest", str(index_dir), str(source), point],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def contents(index_dir: Path) -> dict[str, tuple]:
    """Each article's text hash and chunks, read straight from the database."""
    conn = sqlite3.connect(index_dir / DATABASE_FILE)
    try:
        chunks: dict[str, list] = {}
        for article_id, start, end, key in conn.execute(
            "SELECT article_id, start_char, end_char, chunk_key FROM chunks ORDER BY article_id, seq"
        ):
            chunks.setdefault(article_id, []).append((start, end, key))
        return {article_id: (content_hash, tuple(chunks.get(article_id, ())))
                for article_id, content_hash in conn.execute("SELECT id, content_hash FROM articles")}
    finally:
        conn.close()


def check_consistent(index_dir: Path, *references: dict[str, tuple]) -> int:
    """Opens the index as a server would and checks it; returns the articles present."""
    store = open_store(index_dir, model=FakeEmbedder.name, dimension=FakeEmbedder.dimension,
                       faiss_index="Flat", create=False)
    conn = sqlite3.connect(index_dir / DATABASE_FILE)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        chunk_ids = {row[0] for row in conn.execute("SELECT id FROM chunks")}
        per_article = dict(conn.execute("SELECT article_id, count(*) FROM chunks GROUP BY article_id").fetchall())
        stats = store.stats()
        ids = set(vector_ids(store, FakeEmbedder.dimension))
        catalogued = store.chunk_counts(list(per_article))
    finally:
        conn.close()
        store.close()
    assert ids == chunk_ids and catalogued == per_article and stats.vectors == stats.chunks == len(chunk_ids)
    manifest = read_manifest(index_dir)
    assert manifest is not None and (manifest.articles, manifest.chunks, manifest.vectors) == (
        stats.articles, stats.chunks, stats.vectors)
    present = contents(index_dir)
    for article_id, stored in present.items():
        assert any(stored == r[article_id] for r in references), f"{article_id} is stored partly or differently"
    return len(present)


def test_no_kill_loses_or_breaks_anything(tmp_path: Path) -> None:
    sources = [feed(tmp_path / f"feed-{version}.jsonl", version) for version in (1, 2)]
    references = []
    for n, source in enumerate(sources):
        started = time.perf_counter()
        complete = run(tmp_path / f"reference-{n}", source, "none")
        duration = time.perf_counter() - started
        assert complete.returncode == 0, complete.stderr
        references.append(contents(tmp_path / f"reference-{n}"))
        assert len(references[-1]) == ARTICLES

    rng = random.Random(11)
    chosen = rng.sample(CHOSEN, len(CHOSEN))
    index_dir = tmp_path / "index"
    log = []
    target = kills = 0
    while kills < KILLS and len(log) < 3 * KILLS:
        # Chosen points and random moments, taken in turn.
        point = chosen.pop() if chosen and len(log) % 2 else f"after {rng.uniform(0.5, duration):.2f} s"
        if point.startswith("after"):
            result = run(index_dir, sources[target], "none", kill_after=float(point.split()[1]))
        else:
            result = run(index_dir, sources[target], point)
        phases = result.stdout.split()
        killed = result.returncode == -signal.SIGKILL
        kills += killed
        assert killed or result.returncode == 0, result.stderr
        last = next((p for p in reversed(phases) if p in {"embed", "commit", "faiss", "faiss-half", "catalog", "manifest"}),
                    "start-up")
        present = check_consistent(index_dir, *references) if (index_dir / DATABASE_FILE).exists() else 0
        log.append(f"{point:>16}: {'killed' if killed else 'finished'} in {last} of feed {target + 1}; "
                   f"{present} articles whole")
        if not killed:
            target = 1 - target  # this version is complete: the next runs update every article

    finished = run(index_dir, sources[target], "none")
    assert finished.returncode == 0, finished.stderr
    assert check_consistent(index_dir, references[target]) == ARTICLES
    assert contents(index_dir) == references[target]
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "crash-safety.txt").write_text("\n".join(log) + "\n")
    assert kills >= KILLS and not chosen
