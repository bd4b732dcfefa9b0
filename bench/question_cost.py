"""What one question costs in CPU, in one process, and where: the model run by question length, whole
answers to the realtimeqa dev questions as of the day each was asked (quiz questions: most ask for a
name, date or amount) the first time and again, and to headlines of the corpus asked as questions,
the first time (nothing cached), again (every vector cached), and reworded (a question vector never
made, its sentences' vectors known).
With 8 clients on 2 cores, each waits for about 4 answers' CPU, so this bounds what the 8-client
rows of bench/query.py can reach for questions never asked.

Run by hand, from the repository root, on a quiet machine:

    .venv/bin/python bench/question_cost.py --index-dir ../bench-data/rtqa-100k
"""

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from common import REPO, commit

sys.path.insert(0, str(REPO))
from index.vectors.text_cache import TEXT_VECTORS_FILE  # noqa: E402
from qa.embedding.embedder import embedder_for  # noqa: E402
from qa.query import Query, parse_moment  # noqa: E402
from qa.composition import open_service  # noqa: E402
from qa.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "realtimeqa"


def main() -> None:
    args = _arguments()
    # Vectors kept by an earlier run would make first answers look cheap.
    for suffix in ("", "-wal", "-shm"):
        (args.index_dir / f"{TEXT_VECTORS_FILE}{suffix}").unlink(missing_ok=True)
    settings = Settings(index_dir=args.index_dir, embedding_backend=args.backend)
    service = open_service(settings, create=False)
    # As a serving process runs (api.app): one BLAS thread, which would otherwise spin on the other core.
    threadpool_limits(limits=1, user_api="blas")
    print(f"Commit `{commit()}`, `python bench/question_cost.py --backend {args.backend}`, CPU milliseconds.\n")
    print("| the model on one text of | median (ms) |\n| --- | --- |")
    for tokens, cost in _model_runs(embedder_for(settings)):
        print(f"| {tokens} word pieces | {cost:.2f} |")
    corpus = [json.loads(line) for line in (SHARED / "corpus.jsonl").read_text().splitlines()]
    titled = [a for a in corpus if a.get("title") and a.get("published_at")]
    random.Random(3).shuffle(titled)
    # Two sets of headlines: the rows of one set must not find what the rows of the other cached.
    sets = [[(a["title"], a["published_at"][:10]) for a in titled[start : start + args.questions]]
            for start in (0, args.questions)]

    def ask(question: str, day: str | None) -> float:
        started = time.process_time()
        as_of = parse_moment(day, "as_of", end_of_day=True) if day else None
        service.ask(Query(question, 5, as_of=as_of))
        return (time.process_time() - started) * 1000

    quiz = [json.loads(line) for line in (SHARED / "questions-dev.jsonl").read_text().splitlines() if line.strip()]
    rows = [(f"dev question as of the day asked, {when}", [ask(q["question"], q["asked_on"]) for q in quiz])
            for when in ("the first time", "again")]
    for day_given, asked in zip((True, False), sets):
        when = "as of its article's day" if day_given else "as of now"
        rows.append((f"headline {when}, the first time", [ask(q, d if day_given else None) for q, d in asked]))
        rows.append((f"headline {when}, again", [ask(q, d if day_given else None) for q, d in asked]))
        rows.append((f"headline {when}, reworded", [ask(f"What happened: {q}", d if day_given else None)
                                                   for q, d in asked]))
    print(f"\n| questions ({len(quiz)} dev, {args.questions} headlines a row) | median (ms) | mean (ms) | p90 (ms) |\n"
          "| --- | --- | --- | --- |")
    for name, costs in rows:
        ordered = sorted(costs)
        print(f"| {name} | {statistics.median(ordered):.1f} | {statistics.fmean(ordered):.1f} | "
              f"{ordered[int(0.9 * len(ordered))]:.1f} |")
    service.close()


def _model_runs(embedder) -> list[tuple[int, float]]:
    """CPU of one ONNX run by input length (the service embeds one text a run)."""
    session = getattr(embedder, "_session", None)
    if session is None:
        return []  # not an ONNX backend
    found = []
    for tokens in (8, 16, 32, 64, 128):
        ids = np.full((1, tokens), 2000, dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        costs = []
        for _ in range(60):
            started = time.process_time()
            session.run(None, feed)
            costs.append((time.process_time() - started) * 1000)
        found.append((tokens, statistics.median(costs[10:])))
    return found


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--questions", type=int, default=200)
    return parser.parse_args()


if __name__ == "__main__":
    main()
