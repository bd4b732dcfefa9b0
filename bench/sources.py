"""Whether the sources listed with an answer show every article it cites: on the realtimeqa archive,
the 97 dev questions (each asked as of its day) and the 36 "what did X say" questions of
../shared/eval/speech, asked with the page's default of five passages. For each answered question it
counts the cited articles missing from the passages listed, as they were chosen before the answer
(one article at a time, best first) and as the answer now lists them (the cited articles first); and
how many entries the sources take, passages against articles.

Run by hand, from the repository root, against an index of the realtimeqa corpus (made if absent):

    .venv/bin/python bench/sources.py --index-dir ../bench-data/rtqa-index
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.composition import open_service  # noqa: E402
from qa.query import Query, parse_moment  # noqa: E402
from qa.retrieval.citing import holds  # noqa: E402
from qa.settings import Settings  # noqa: E402

from common import REPO, commit  # noqa: E402

SHARED = REPO.parent / "shared" / "eval"
TOP_K = 5


def measured(service, questions: list[Query]) -> dict:
    answered = missing_before = missing_after = unheld_before = unheld_after = 0
    passages = articles = 0
    examples = []
    for query in questions:
        retrieval = service.retrieve(query)
        answer = service.answer(retrieval)
        if not answer.citations:
            continue
        answered += 1
        before = retrieval.passages[: retrieval.top_k]
        cited = list(dict.fromkeys(c.origin.article_id for c in answer.citations))
        absent = [a for a in cited if a not in {p.origin.article_id for p in before}]
        missing_before += bool(absent)
        missing_after += any(a not in {p.origin.article_id for p in answer.passages} for a in cited)
        unheld_before += any(not any(holds(p, c) for p in before) for c in answer.citations)
        unheld_after += any(not any(holds(p, c) for p in answer.passages) for c in answer.citations)
        passages += len(answer.passages)
        articles += len({p.origin.article_id for p in answer.passages})
        if absent and len(examples) < 3:
            examples.append({"question": query.question, "cited_but_not_listed": absent})
    return {
        "questions": len(questions), "answered": answered,
        "answers citing an article the sources did not list (before)": missing_before,
        "answers citing an article the sources do not list (now)": missing_after,
        "answers with a quote no listed passage holds (before)": unheld_before,
        "answers with a quote no listed passage holds (now)": unheld_after,
        "source entries per answer: passages": round(passages / max(answered, 1), 2),
        "source entries per answer: articles": round(articles / max(answered, 1), 2),
        "examples": examples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="the realtimeqa index (made if absent)")
    args = parser.parse_args()
    service = open_service(Settings(index_dir=args.index_dir.resolve()))
    service.ingest_paths([SHARED / "realtimeqa" / "corpus.jsonl"])
    dev = [json.loads(line) for line in (SHARED / "realtimeqa" / "questions-dev.jsonl").read_text().splitlines()
           if line.strip()]
    speech = [json.loads(line) for line in (SHARED / "speech" / "questions-dev.jsonl").read_text().splitlines()
              if line.strip()]
    report = {
        "commit": commit(),
        "realtimeqa dev": measured(service, [Query(q["question"], TOP_K, as_of=parse_moment(q["asked_on"], "asked_on",
                                                                                               end_of_day=True))
                                             for q in dev]),
        "what did X say": measured(service, [Query(q["question"], TOP_K) for q in speech]),
    }
    service.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
