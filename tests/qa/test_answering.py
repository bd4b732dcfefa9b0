"""Answer composition through the service with the fake model: who said what, lists, reprints,
abstention with its reason, and citations checked before they leave."""

from datetime import datetime, timezone

import pytest

from qa.articles import Article
from qa.models import Abstention
from qa.query import Filters, Query
from qa.service import QAService, open_service
from qa.settings import Settings
from tests.fakes import FakeEmbedder

CALL = Article("call", (
    "Israeli Prime Minister Benjamin Netanyahu spoke with Russian President Vladimir Putin on Sunday.\n\n"
    "Putin said that Iran wanted peace and trade with Israel and the region.\n\n"
    "The Israeli Prime Minister warned that Iran and its drones were a danger to Israel and the region.\n\n"
    "Topics of the call about Iran and Gaza included:\n"
    "- Drone deliveries from Iran to Russia.\n"
    "- Hostages held in Gaza.\n"
    "- Humanitarian aid for Gaza."
), title="Netanyahu and Putin talk", published_at="2024-03-01")


@pytest.fixture
def service(settings: Settings, embedder: FakeEmbedder) -> QAService:
    service = open_service(settings.model_copy(update={"min_passage_score": 0.1, "min_answer_score": 0.1}), embedder)
    service.ingest_articles([CALL])
    return service


def quotes(answer) -> list[str]:
    return [c.quote for c in answer.citations]


def test_what_someone_said_cites_that_speaker_not_others(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Iran?"))
    assert quotes(answer)[0].startswith("The Israeli Prime Minister warned that Iran")
    assert all("Putin said" not in q for q in quotes(answer))


def test_a_speaker_the_articles_do_not_quote_gets_an_honest_no(service: QAService) -> None:
    answer = service.ask(Query("What did Macron say about Iran?"))
    assert not answer.answerable and answer.abstention is Abstention.LOW_CONFIDENCE and answer.passages


def test_a_lead_in_answers_with_its_list(service: QAService) -> None:
    answer = service.ask(Query("What topics of the call about Iran and Gaza were included?"))
    assert quotes(answer) == ["- Drone deliveries from Iran to Russia.", "- Hostages held in Gaza.",
                              "- Humanitarian aid for Gaza."]


def test_a_reprint_does_not_repeat_the_same_sentence(service: QAService) -> None:
    service.ingest_articles([Article("reprint", "From the wire: " + CALL.text, published_at="2024-03-01")])
    answer = service.ask(Query("What did Putin say Iran wanted?"))
    assert len({" ".join(q.split()) for q in quotes(answer)}) == len(quotes(answer))


def test_every_quote_is_its_article_text(service: QAService) -> None:
    for question in ("What did Netanyahu say about Iran?", "Which topics were included?", "What did Putin say?"):
        for citation in service.ask(Query(question)).citations:
            assert service.article(citation.origin.article_id).text[citation.start : citation.end] == citation.quote


def test_a_citation_that_no_longer_matches_its_article_is_dropped_and_reported(service: QAService) -> None:
    dropped = []
    service.on_dropped_citation(dropped.append)
    retrieval = service.retrieve(Query("What did Putin say about Iran?"))
    composed = service._composer.compose(retrieval)
    service.ingest_articles([Article("call", CALL.text.replace("Putin said", "Putin claimed"))])
    answer = service._verified(composed)
    assert dropped and all("Putin said" not in q for q in quotes(answer))


def test_no_answer_inside_the_dates_asked_says_so(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Iran?", filters=Filters(
        published_before=datetime(2023, 1, 1, tzinfo=timezone.utc))))
    assert answer.abstention is Abstention.OUTSIDE_DATE_RANGE and answer.citations == ()
