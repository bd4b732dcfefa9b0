"""Start and memory: `qa serve` on an index (the seeds by default) until `/readyz` answers, then the
seed questions asked; per run, the seconds to ready and the peak RSS of all the server's processes.

Run by hand, from the repository root, on a quiet machine:

    .venv/bin/python bench/startup.py --index-dir ../bench-data/seed-index --runs 3
"""

import argparse
import json
import os
import platform
from pathlib import Path

import httpx

from common import REPO, Server, commit, memory_mb

QUESTIONS = REPO.parent / "shared" / "eval" / "seeds" / "questions-dev.jsonl"
SEEDS = REPO.parent / "shared" / "seeds"


def main() -> None:
    args = _arguments()
    env = {**os.environ, "QA_INDEX_DIR": str(args.index_dir), "QA_EMBEDDING_BACKEND": args.backend}
    if not (args.index_dir / "manifest.json").exists():
        raise SystemExit(f"no index at {args.index_dir}: make one first, e.g. QA_INDEX_DIR={args.index_dir} "
                         f"python -m qa ingest {SEEDS}")
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    rows = []
    for run in range(1, args.runs + 1):
        server = Server(env, checkout=args.serve_from)
        with server as (base, ready):
            for question in questions:
                httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=60).raise_for_status()
            rows.append((run, ready, memory_mb(server.process.pid, "VmHWM")))
    served = "" if args.serve_from.resolve() == REPO else f" serving commit `{commit(args.serve_from)}`"
    print(f"Commit `{commit()}`{served}, {platform.machine()} ({os.cpu_count()} cores), `python bench/startup.py --backend "
          f"{args.backend}`: {len(questions)} questions a run.\n")
    print("| run | ready after (s) | peak RSS, all processes (MB) |\n| --- | --- | --- |")
    for run, ready, peak in rows:
        print(f"| {run} | {ready:.1f} | {peak:.0f} |")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve-from", type=Path, default=REPO, help="a working tree of another commit whose code serves")
    return parser.parse_args()


if __name__ == "__main__":
    main()
