"""Soak: `qa serve` under mixed load for a fixed time, loopback only; stops by itself.

Clients ask questions (70%), search (20%) and push articles (10%: updates of stored articles and
copies under a bounded set of new ids, so the index stops growing) as fast as the server answers. Reports the rate, latencies per kind, every status seen, server errors in the
log, and the memory (RSS) of the server and its worker processes after warm-up and at the end. Passes when there is no 5xx, no
error in the log and RSS grows less than 10% after warm-up.

Run by hand, from the repository root:

    .venv/bin/python bench/soak.py --minutes 10 --clients 8
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from common import PYTHON, REPO, Server, commit, memory_mb, percentiles

SHARED = REPO.parent / "shared" / "eval" / "realtimeqa"
ASK, SEARCH, PUSH = "ask", "search", "push"
NEW_IDS = 40


def main() -> None:
    args = _arguments()
    questions = [json.loads(line)["question"] for line in (SHARED / "questions-dev.jsonl").read_text().splitlines()]
    corpus = [json.loads(line) for line in (SHARED / "corpus.jsonl").read_text().splitlines()][: args.articles]
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        env = {**os.environ, "QA_INDEX_DIR": str(work / "index"), "QA_EMBEDDING_BACKEND": args.backend}
        feed = work / "feed.jsonl"
        feed.write_text("".join(json.dumps(a) + "\n" for a in corpus))
        subprocess.run([PYTHON, "-m", "qa", "ingest", "-q", str(feed)], env=env, cwd=REPO, check=True)
        server = Server(env, log=work / "server.log")
        with server as (base, _):
            result = asyncio.run(_soak(base, server.process.pid, questions, corpus, args))
        log = (work / "server.log").read_text(errors="replace")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    problems = [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]
    print(_report(result, problems, args))


async def _soak(base: str, pid: int, questions: list[str], corpus: list[dict], args: argparse.Namespace) -> dict:
    latencies: dict[str, list[float]] = {ASK: [], SEARCH: [], PUSH: []}
    statuses: Counter = Counter()
    rss: list[tuple[float, int]] = []
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    rng = random.Random(1)

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while time.perf_counter() < deadline:
                kind = rng.choices([ASK, SEARCH, PUSH], weights=[7, 2, 1])[0]
                begun = time.perf_counter()
                try:
                    response = await _request(http, kind, rng, questions, corpus)
                    statuses[(kind, response.status_code)] += 1
                except httpx.HTTPError as error:
                    statuses[(kind, type(error).__name__)] += 1
                    continue
                latencies[kind].append((time.perf_counter() - begun) * 1000)

    async def sample_memory() -> None:
        while time.perf_counter() < deadline:
            rss.append((time.perf_counter() - started, round(memory_mb(pid))))
            await asyncio.sleep(5)

    await asyncio.gather(sample_memory(), *(client() for _ in range(args.clients)))
    return {"latencies": latencies, "statuses": statuses, "rss": rss, "seconds": time.perf_counter() - started}


async def _request(http: httpx.AsyncClient, kind: str, rng: random.Random, questions: list[str],
                   corpus: list[dict]) -> httpx.Response:
    question = rng.choice(questions)
    if kind == ASK:
        return await http.post("/v1/ask", json={"question": question})
    if kind == SEARCH:
        return await http.get("/v1/search", params={"q": question, "top_k": 10})
    article = dict(rng.choice(corpus))
    if rng.random() < 0.5:
        # Another outlet's copy, under one of a few new ids: the index stops growing within the
        # warm-up, so memory that still grows after it is a leak, not data.
        article["id"] = f"soak-{rng.randrange(NEW_IDS)}"
    article["text"] += f"\n\nUpdated {rng.randrange(10**6)}."
    return await http.post("/v1/articles", json=article)


def _report(result: dict, problems: list[str], args: argparse.Namespace) -> str:
    statuses: Counter = result["statuses"]
    total = sum(statuses.values())
    server_errors = sum(n for (_, status), n in statuses.items() if not isinstance(status, int) or status >= 500)
    warm = [mb for t, mb in result["rss"] if t >= args.warm_up * 60] or [0]
    growth = (warm[-1] - warm[0]) / max(1, warm[0])
    lines = [
        f"Commit `{commit()}`, {os.cpu_count()} cores, `python bench/soak.py --minutes {args.minutes} --clients "
        f"{args.clients} --backend {args.backend} --warm-up {args.warm_up}`, {args.articles} articles to start with.",
        "",
        f"{total} requests in {result['seconds']:.0f} s ({total / result['seconds']:.1f} / s); statuses: "
        + ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(statuses.items(), key=str)) + ".",
        "",
        "| kind | requests | p50 (ms) | p95 (ms) | p99 (ms) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, values in result["latencies"].items():
        if values:
            p50, p95, p99 = percentiles(values)
            lines.append(f"| {kind} | {len(values)} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
    verdict = "pass" if server_errors == 0 and not problems and growth < 0.10 else "FAIL"
    lines += [
        "",
        f"Server RSS (all its processes) after {args.warm_up} min warm-up {warm[0]} MB, at the end {warm[-1]} MB "
        f"({growth:+.1%}); 5xx or transport errors: {server_errors}; errors in the server log: {len(problems)}. "
        f"Verdict: {verdict}.",
        *problems[:10],
    ]
    return "\n".join(lines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warm-up", type=float, default=1, help="minutes before the RSS baseline is taken")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--articles", type=int, default=300, help="realtimeqa articles ingested before the soak")
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    return parser.parse_args()


if __name__ == "__main__":
    main()
