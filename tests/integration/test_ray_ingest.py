"""`qa ingest --ray local`: the seeds embedded on a local Ray cluster give the index a local ingest gives."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main as cli
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


def chunks(index_dir: Path) -> list[tuple]:
    conn = sqlite3.connect(index_dir / "metadata.sqlite")
    try:
        return conn.execute("SELECT article_id, start_char, end_char, chunk_key, vector FROM chunks ORDER BY id").fetchall()
    finally:
        conn.close()


def test_ray_ingest_matches_a_local_one(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    import ray

    try:
        assert cli.main(["ingest", "-q", "--ray", "local", "--index-dir", str(tmp_path / "ray"), str(SEEDS)]) == 0
    finally:
        ray.shutdown()
    assert cli.main(["ingest", "-q", "--index-dir", str(tmp_path / "local"), str(SEEDS)]) == 0
    on_ray, local = chunks(tmp_path / "ray"), chunks(tmp_path / "local")
    assert [row[:4] for row in on_ray] == [row[:4] for row in local] and len(local) > 3
    for a, b in zip(on_ray, local):
        assert float(np.frombuffer(a[4], "<f4") @ np.frombuffer(b[4], "<f4")) > 0.9999
