"""The seed articles with the real model on the shipped backend: the dev questions find their
sentence, citations are exact."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.articles import Article
from qa.models import Abstention
from qa.query import Query
from qa.retrieval.citing import holds
from qa.composition import open_service
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEEDS, SHARED

pytestmark = pytest.mark.integration

QUESTIONS = SHARED / "eval" / "seeds" / "questions-dev.jsonl"
ANSWERED = ("Why did Netanyahu thank Putin?", "Who did Netanyahu thank for the release of Israeli citizens?",
            "What did Netanyahu say about Iran?")


def dev_questions(answerable_only: bool = False) -> list:
    """The dev questions as test cases, or one skipped case when ../shared is not beside the checkout."""
    if not QUESTIONS.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{QUESTIONS} is absent"))]
    cases = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return [case for case in cases if case["expect"] or not answerable_only]


@pytest.fixture(scope="module")
def seeded(shipped_embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QAService]:
    settings = Settings(index_dir=tmp_path_factory.mktemp("seed-index"))
    service = open_service(settings, shipped_embedder)
    report = service.ingest_paths([SEEDS])
    assert len(report.added) == 2 and report.skipped == []
    yield service
    service.close()


@pytest.mark.parametrize("case", dev_questions(answerable_only=True), ids=lambda q: q and q["question"])
def test_expected_sentence_is_in_the_top_three_passages(seeded: QAService, case: dict) -> None:
    passages = seeded.search(Query(case["question"], top_k=3))
    assert any(case["expect"] in p.text for p in passages), [p.text[:80] for p in passages]


@pytest.mark.parametrize("case", dev_questions(), ids=lambda q: q and q["question"])
def test_the_answer_cites_the_expected_sentence_or_abstains(seeded: QAService, case: dict) -> None:
    answer = seeded.ask(Query(case["question"]))
    if case["expect"] is None:
        assert not answer.answerable and answer.abstention, answer.text
        assert answer.passages, "the nearest passages are still listed"
    else:
        assert answer.answerable and any(case["expect"] in c.quote for c in answer.citations), answer.text


@pytest.mark.parametrize("case", dev_questions(), ids=lambda q: q and q["question"])
def test_every_citation_and_passage_is_exact(seeded: QAService, case: dict) -> None:
    answer = seeded.ask(Query(case["question"]))
    for citation in answer.citations:
        assert seeded.article(citation.origin.article_id).text[citation.start : citation.end] == citation.quote
    for passage in answer.passages:
        assert seeded.article(passage.origin.article_id).text[passage.start : passage.end] == passage.text


@pytest.mark.parametrize("top_k", [1, 5])
@pytest.mark.parametrize("question", ANSWERED)
def test_every_cited_article_is_listed_first_with_its_quotes(seeded: QAService, question: str, top_k: int) -> None:
    answer = seeded.ask(Query(question, top_k=top_k))
    assert answer.citations, "each of these questions is answered"
    cited = list(dict.fromkeys(c.origin.article_id for c in answer.citations))
    assert list(dict.fromkeys(p.origin.article_id for p in answer.passages))[: len(cited)] == cited
    assert all(any(holds(p, c) for p in answer.passages) for c in answer.citations)
    assert len(answer.passages) >= top_k


def test_the_seeds_are_answered_on_the_backend_the_service_ships_with(shipped_embedder) -> None:
    shipped = Settings.model_fields["embedding_backend"].default
    assert shipped_embedder.backend == shipped, f"{shipped} could not be loaded here; see the log for why"


def test_seed_metadata_is_the_honest_title_only(seeded: QAService) -> None:
    article = seeded.article("002_b0a686f71e466dcc")
    assert article.title == "Netanyahu’s Firm Stance in Diplomatic Dialogue with Putin"
    assert (article.url, article.published_at, article.source) == (None, None, None)
    assert article.text == (SEEDS / "002_b0a686f71e466dcc.txt").read_text(encoding="utf-8")


IRAN_SENTENCE = "Russia’s cooperation with Iran, marking it as a potentially hazardous alliance"


@pytest.mark.parametrize("question", [
    "What has Netanyahu said about Iran?",
    "How did Netanyahu describe Russia’s cooperation with Iran?",
    "According to Netanyahu, what is dangerous about Russia’s cooperation with Iran?",
    "What did the Israeli Prime Minister tell Putin about Iran?",
])
def test_other_ways_of_asking_what_netanyahu_said_about_iran(seeded: QAService, question: str) -> None:
    answer = seeded.ask(Query(question))
    assert answer.answerable and any(IRAN_SENTENCE in c.quote for c in answer.citations), answer.text


def test_netanyahu_on_a_subject_he_does_not_speak_of_is_an_honest_no(seeded: QAService) -> None:
    answer = seeded.ask(Query("What did Netanyahu say about Syria?"))
    assert answer.abstention is Abstention.LOW_CONFIDENCE and answer.citations == () and answer.passages


def test_unrelated_articles_do_not_push_the_answer_out_of_reach(shipped_embedder, tmp_path: Path) -> None:
    service = open_service(Settings(index_dir=tmp_path / "index"), shipped_embedder)
    service.ingest_paths([SEEDS])
    service.ingest_articles([Article(f"brief-{n}", text) for n, text in enumerate([
        "Rain is expected over the coast on Tuesday.", "The museum reopens its east wing in June.",
        "Local bakers won a regional prize for rye bread.", "The ferry timetable changes next month.",
    ])])
    answer = service.ask(Query("Why did Netanyahu thank Putin?"))
    assert any("release of Israeli citizens with dual Russian citizenship" in c.quote for c in answer.citations)
    service.close()
