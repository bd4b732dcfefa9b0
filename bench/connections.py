"""Kept-alive connections over `qa serve`'s processes: 8 clients, each on one kept-alive connection,
asking the dev questions, against fresh servers started alternately with and without
QA_BALANCE_CONNECTIONS. How the 8 connections first split over the processes is chance, so one
server says little: the table has a row per server and the medians.

Run by hand, from the repository root, on the index bench/query.py made:

    .venv/bin/python bench/connections.py --index-dir ../bench-data/rtqa-100k --rounds 4
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from pathlib import Path

from common import Server, commit
from query import SHARED, load, warm_every_process


def main() -> None:
    args = _arguments()
    questions = [json.loads(line) for line in (SHARED / "questions-dev.jsonl").read_text().splitlines()]
    rows = []
    for round_ in range(1, args.rounds + 1):
        for balance in ("false", "true"):
            env = {**os.environ, "QA_INDEX_DIR": str(args.index_dir), "QA_EMBEDDING_BACKEND": args.backend,
                   "QA_BALANCE_CONNECTIONS": balance}
            with Server(env) as (base, startup):
                time.sleep(startup)  # the other processes load meanwhile
                asyncio.run(warm_every_process(base, questions))  # so no row measures first answers
                rows.append((balance, round_, *asyncio.run(load(base, questions, 8, args.requests))))
    print(_table(rows, args))


def _table(rows: list[tuple], args: argparse.Namespace) -> str:
    lines = [
        f"Commit `{commit()}`, {platform.machine()} ({os.cpu_count()} cores), `python bench/connections.py "
        f"--rounds {args.rounds}`: 8 kept-alive clients, {args.requests} requests a server.",
        "",
        "| QA_BALANCE_CONNECTIONS | server | p50 (ms) | p95 (ms) | p99 (ms) | requests / s | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {b} | {r} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {rate:.1f} | {errors} |"
              for b, r, p50, p95, p99, rate, errors in rows]
    for balance in ("false", "true"):
        mine = [row for row in rows if row[0] == balance]
        medians = [statistics.median(row[i] for row in mine) for i in range(2, 6)]
        lines.append(f"| {balance} | median | {medians[0]:.0f} | {medians[1]:.0f} | {medians[2]:.0f} | "
                     f"{medians[3]:.1f} | {sum(row[6] for row in mine)} |")
    return "\n".join(lines)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="an index bench/query.py made")
    parser.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--rounds", type=int, default=4, help="servers with each setting")
    parser.add_argument("--requests", type=int, default=1500, help="requests measured per server")
    return parser.parse_args()


if __name__ == "__main__":
    main()
