"""Measures retrieval on questions with known answers: hits@k, MRR@10 and answer@5 at the article
level (a passage counts for its own article), with query latency."""

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import InvalidInput
from qa.query import Query, parse_moment
from qa.service import QAService

DEPTH = 10


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    answers: tuple[str, ...]
    gold_article_ids: frozenset[str]
    asked_on: str | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved passage as the measures see it: the article it counts for, and its text."""

    article_id: str
    text: str


Retrieve = Callable[[EvalQuestion, int], Sequence[Hit]]


@dataclass(frozen=True)
class EvalReport:
    n: int
    hits_at_1: float
    hits_at_5: float
    hits_at_10: float
    mrr_at_10: float
    answer_at_5: float
    latency_median_ms: float
    latency_p95_ms: float
    passage_chars: float  # mean length of the top five passages: answer@5 grows with it

    def as_dict(self) -> dict[str, float]:
        return {
            "n": self.n, "hits@1": self.hits_at_1, "hits@5": self.hits_at_5, "hits@10": self.hits_at_10,
            "mrr@10": self.mrr_at_10, "answer@5": self.answer_at_5,
            "latency_median_ms": self.latency_median_ms, "latency_p95_ms": self.latency_p95_ms,
            "passage_chars": self.passage_chars,
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    """JSONL with `question`, and `answers` (or `expect`), `gold_article_ids` and `asked_on` where known."""
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read {path}: {error}") from None
    for number, line in enumerate(lines, start=1):
        if line.strip():
            questions.append(_question(line, f"{path}:{number}"))
    if not questions:
        raise InvalidInput(f"{path} holds no questions")
    return questions


def service_retrieve(service: QAService) -> Retrieve:
    """Retrieval by this service, asking each question as of the day it was asked."""

    def retrieve(item: EvalQuestion, k: int) -> list[Hit]:
        as_of = parse_moment(item.asked_on, "asked_on", end_of_day=True) if item.asked_on else None
        return [Hit(p.origin.article_id, p.text) for p in service.search(Query(item.question, k, as_of=as_of))]

    return retrieve


def evaluate(retrieve: Retrieve, questions: Sequence[EvalQuestion], top_k: int = DEPTH) -> EvalReport:
    ranks, answered, latencies, lengths = [], [], [], []
    for item in questions:
        started = time.perf_counter()
        hits = retrieve(item, max(top_k, DEPTH))
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(_first_gold_rank(hits, item.gold_article_ids))
        answered.append(_answer_found(hits[:5], item.answers))
        lengths.extend(len(hit.text) for hit in hits[:5])
    return EvalReport(
        n=len(questions),
        hits_at_1=_share(r is not None and r <= 1 for r in ranks),
        hits_at_5=_share(r is not None and r <= 5 for r in ranks),
        hits_at_10=_share(r is not None and r <= 10 for r in ranks),
        mrr_at_10=round(statistics.fmean(1 / r if r is not None and r <= 10 else 0.0 for r in ranks), 4),
        answer_at_5=_share(answered),
        latency_median_ms=round(statistics.median(latencies), 1),
        latency_p95_ms=round(sorted(latencies)[max(0, round(0.95 * len(latencies)) - 1)], 1),
        passage_chars=round(statistics.fmean(lengths), 1) if lengths else 0.0,
    )


def _question(line: str, origin: str) -> EvalQuestion:
    try:
        obj = json.loads(line)
        answers = obj.get("answers") or ([obj["expect"]] if obj.get("expect") else [])
        return EvalQuestion(
            question=obj["question"], answers=tuple(answers),
            gold_article_ids=frozenset(obj.get("gold_article_ids") or ()), asked_on=obj.get("asked_on"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InvalidInput(f"{origin}: not a question object ({error})") from None


def _first_gold_rank(hits: Sequence[Hit], gold: frozenset[str]) -> int | None:
    return next((rank for rank, hit in enumerate(hits, start=1) if hit.article_id in gold), None)


def _answer_found(hits: Sequence[Hit], answers: Sequence[str]) -> bool:
    texts = [hit.text.lower() for hit in hits]
    return any(answer.lower() in text for answer in answers for text in texts)


def _share(flags) -> float:
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else 0.0
