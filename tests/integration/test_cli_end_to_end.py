"""The README's main job in a fresh process: ingest the seeds, ask, re-ingest as a no-op."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


def run_qa(*args: str, index_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir)}
    return subprocess.run([sys.executable, "-m", "qa", *args], env=env, capture_output=True, text=True, timeout=300)


def test_ingest_ask_and_reingest_from_the_command_line(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first = run_qa("ingest", str(SEEDS), index_dir=index_dir)
    assert first.returncode == 0, first.stderr
    assert "2 added, 0 updated, 0 unchanged, 0 skipped" in first.stdout

    asked = run_qa("ask", "Why did Netanyahu thank Putin?", "--json", index_dir=index_dir)
    assert asked.returncode == 0, asked.stderr
    result = json.loads(asked.stdout)
    assert result["answerable"] and result["citations"]
    for citation in result["citations"]:
        text = (SEEDS / f"{citation['article_id']}.txt").read_text(encoding="utf-8")
        assert text[citation["start"] : citation["end"]] == citation["quote"]

    again = run_qa("ingest", str(SEEDS), index_dir=index_dir)
    assert again.returncode == 0 and "0 added, 0 updated, 2 unchanged" in again.stdout
    assert json.loads((index_dir / "manifest.json").read_text())["generation"] == 1
