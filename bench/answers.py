"""Answer quality: on the realtimeqa dev questions (all answerable), how often the answer contains a
gold answer string, how often the short answer contains one or lies within one, and how many are
wrongly withheld; on the seed questions, abstention precision and recall; on both, the share of cited
quotes and short answers that are exactly their article's text (must be 100%).
With --sweep it prints the same for a grid of the two abstention thresholds, for calibrating them.

Run by hand, from the repository root, against indexes of both sets (made if absent; see
bench/retrieval.py for the realtimeqa one):

    .venv/bin/python bench/answers.py --index-dir ../bench-data/rtqa-index --seed-index-dir ../bench-data/seed-index
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.ports import Store  # noqa: E402
from index.store.opening import open_store  # noqa: E402
from qa.embedding.embedder import embedder_for  # noqa: E402
from qa.query import Query, parse_moment  # noqa: E402
from qa.composition import assemble_service, open_service  # noqa: E402
from qa.service import QAService  # noqa: E402
from qa.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared" / "eval"


def main() -> None:
    args = _arguments()
    settings = Settings(index_dir=args.index_dir)
    embedder = embedder_for(settings)
    realtime = _store(args.index_dir, embedder, SHARED / "realtimeqa" / "corpus.jsonl")
    seeds = _store(args.seed_index_dir, embedder, REPO / "seeds")
    grid = [(p, a) for p in (0.25, 0.3, 0.35) for a in (0.3, 0.35, 0.4, 0.45)] if args.sweep else [
        (settings.min_passage_score, settings.min_answer_score)]
    print(_header())
    for passage_score, answer_score in grid:
        thresholds = {"min_passage_score": passage_score, "min_answer_score": answer_score}
        configured = settings.model_copy(update=thresholds)
        realtime_row = _realtime(assemble_service(realtime, embedder, configured),
                                 _questions(SHARED / "realtimeqa" / "questions-dev.jsonl"))
        seed_row = _seeds(assemble_service(seeds, embedder, configured), _questions(SHARED / "seeds" / "questions-dev.jsonl"))
        print(f"| {passage_score} | {answer_score} | {realtime_row} | {seed_row} |")


def _realtime(service: QAService, questions: list[dict]) -> str:
    answered = contains = short = shorts = quotes = verified = 0
    for item in questions:
        answer = service.ask(Query(item["question"], as_of=parse_moment(item["asked_on"], "asked_on", True)))
        gold = [a.lower() for a in item["answers"]]
        answered += answer.answerable
        contains += answer.answerable and any(a in answer.text.lower() for a in gold)
        if answer.short_answer is not None:
            text = answer.short_answer.text.lower()
            shorts += 1
            short += any(a in text or text in a for a in gold)
        quotes = quotes + len(answer.citations) + (answer.short_answer is not None)
        verified = verified + _verified(service, answer)
    n = len(questions)
    return f"{contains / n:.3f} | {short / n:.3f} ({shorts} given) | {answered / n:.3f} | {verified}/{quotes}"


def _seeds(service: QAService, questions: list[dict]) -> str:
    abstained = correct_abstentions = cited = quotes = verified = 0
    unanswerable = sum(item["expect"] is None for item in questions)
    for item in questions:
        answer = service.ask(Query(item["question"]))
        abstained += not answer.answerable
        correct_abstentions += not answer.answerable and item["expect"] is None
        cited += item["expect"] is not None and any(item["expect"] in c.quote for c in answer.citations)
        quotes = quotes + len(answer.citations) + (answer.short_answer is not None)
        verified = verified + _verified(service, answer)
    precision = correct_abstentions / abstained if abstained else 1.0
    recall = correct_abstentions / unanswerable if unanswerable else 1.0
    return f"{precision:.2f} | {recall:.2f} | {cited}/{len(questions) - unanswerable} | {verified}/{quotes}"


def _verified(service: QAService, answer) -> int:
    """Quotes, and the short answer counted as one more, that are exactly their article's text; a short
    answer must also lie inside a cited sentence."""
    quotes = sum(service.article(c.origin.article_id).text[c.start : c.end] == c.quote for c in answer.citations)
    short = answer.short_answer
    if short is None:
        return quotes
    inside = any(c.origin.article_id == short.origin.article_id and c.start <= short.start < short.end <= c.end
                 for c in answer.citations)
    return quotes + (inside and service.article(short.origin.article_id).text[short.start : short.end] == short.text)


def _header() -> str:
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return "\n".join([
        f"Commit `{commit}`, `python bench/answers.py`.",
        "",
        "| min passage score | min answer score | realtimeqa: answer contains a gold string "
        "| realtimeqa: short answer contains or is within a gold string | realtimeqa: answered "
        "| realtimeqa: quotes and short answers verified | seeds: abstention precision | seeds: abstention recall "
        "| seeds: expected sentence cited | seeds: quotes and short answers verified |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ])


def _store(index_dir: Path, embedder, corpus: Path) -> Store:
    """The index of `corpus`, brought up to date first (a no-op when it is)."""
    settings = Settings(index_dir=index_dir)
    service = open_service(settings, embedder)
    service.ingest_paths([corpus])
    service.close()
    return open_store(index_dir, model=embedder.name, dimension=embedder.dimension,
                      faiss_index=settings.faiss_index, create=False)


def _questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True, help="the realtimeqa index")
    parser.add_argument("--seed-index-dir", type=Path, required=True, help="an index of seeds/ (made if absent)")
    parser.add_argument("--sweep", action="store_true", help="measure a grid of abstention thresholds")
    return parser.parse_args()


if __name__ == "__main__":
    main()
