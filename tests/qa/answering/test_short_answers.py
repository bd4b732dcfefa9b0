"""Answers that hold the answer, through the service with the fake model and the real spaCy pipeline:
the sentence with the kind of name or number asked for, a short answer inside a cited sentence at
the article's own offsets, the sentence that completes a quote, and the period asked about."""

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from qa.articles import Article
from qa.composition import open_service
from qa.query import Query
from qa.service import QAService
from qa.settings import Settings
from tests.fakes import FakeEmbedder

LUNCH = Article("lunch", (
    "The annual charity auction of a lunch with Warren Buffett began in 2000 on eBay.\n\n"
    "Over the years the auction of the lunch has raised money for the Glide Foundation in San Francisco.\n\n"
    "This year the winning bidder paid $19 million for the lunch, a record for the auction.\n\n"
    "Buffett has said the lunch will be the last of its kind."
), title="A record lunch with Buffett", published_at="2022-06-18")
EMMYS = Article("emmys", (
    "The shows on Tuesday earned several nominations in the major categories of the 2022 Emmy Awards.\n\n"
    "“Succession” received the most nominations of any show, with 25 in all.\n\n"
    "The ceremony will be held in September."
), title="Emmy nominations", published_at="2022-07-12")
THIS_WEEK = Article("covid-2022", (
    "First lady Jill Biden tested positive for Covid-19 on Tuesday while on vacation in South Carolina, "
    "the White House said.\n\n"
    "She has mild symptoms."
), title="First lady tests positive", published_at="2022-08-16")
IN_2020 = Article("covid-2020", (
    "President Donald Trump tested positive for Covid-19, he said in a tweet in October 2020.\n\n"
    "The news shook the campaign."
), title="Trump tests positive", published_at="2020-10-02")
NETANYAHU = Article("netanyahu", (
    "Prime Minister Benjamin Netanyahu spoke with Russian President Vladimir Putin on Sunday.\n\n"
    "Furthermore, Netanyahu’s discussion highlighted Israel’s right to self-defense, a principle at the heart "
    "of the Jewish state. He emphasized that any nation subjected to a terrorist attack like Israel would "
    "respond with equal determination and strength.\n\n"
    "The call lasted an hour."
), title="Netanyahu and Putin", published_at="2023-12-10")
PLAN = Article("plan", (
    "The council met on Monday about the harbour.\n\n"
    "The council's plan for the harbour has three parts, the mayor said:\n\n"
    "Dredging the channel comes first, then new piers, and a fish market last.\n\n"
    "Work starts in spring."
), title="Harbour plan", published_at="2024-02-01")
THRESHOLDS = {"min_passage_score": 0.1, "min_answer_score": 0.1}


@pytest.fixture
def service(settings: Settings, embedder: FakeEmbedder) -> QAService:
    service = open_service(settings.model_copy(update=THRESHOLDS), embedder)
    service.ingest_articles([LUNCH, EMMYS, THIS_WEEK, IN_2020, NETANYAHU, PLAN])
    yield service
    service.close()


def quotes(answer) -> list[str]:
    return [c.quote for c in answer.citations]


def test_how_much_is_answered_by_the_sentence_with_the_amount_and_its_short_answer(service: QAService) -> None:
    answer = service.ask(Query("How much did the winning bidder pay for the lunch with Warren Buffett?"))
    assert quotes(answer)[0] == "This year the winning bidder paid $19 million for the lunch, a record for the auction."
    short = answer.short_answer
    assert short is not None and "19 million" in short.text
    assert service.article("lunch").text[short.start : short.end] == short.text
    cited = answer.citations[0]
    assert cited.origin.article_id == short.origin.article_id and cited.start <= short.start < short.end <= cited.end


def test_which_show_is_answered_by_the_sentence_naming_it(service: QAService) -> None:
    answer = service.ask(Query("Which show received the most nominations for the 2022 Emmy Awards?"))
    assert "“Succession” received the most nominations" in quotes(answer)[0]
    assert answer.short_answer is not None and answer.short_answer.text == "Succession"


def test_a_question_of_this_week_prefers_the_sentence_of_that_week(service: QAService) -> None:
    asked_on = datetime(2022, 8, 18, tzinfo=timezone.utc)
    question = "Which high-ranking US official tested positive for Covid-19 this week?"
    answer = service.ask(Query(question, as_of=asked_on))
    assert quotes(answer)[0].startswith("First lady Jill Biden tested positive")
    assert answer.short_answer is not None and answer.short_answer.text == "Jill Biden"


def test_a_statement_that_points_back_comes_with_the_sentence_naming_its_topic(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Israel's right to self-defense?"))
    assert quotes(answer)[:2] == [
        "Furthermore, Netanyahu’s discussion highlighted Israel’s right to self-defense, a principle at the heart "
        "of the Jewish state.",
        "He emphasized that any nation subjected to a terrorist attack like Israel would respond with equal "
        "determination and strength.",
    ]
    assert [c.speaker for c in answer.citations[:2]] == [None, "Benjamin Netanyahu"]
    assert answer.short_answer is None


def test_a_lead_in_is_quoted_with_the_sentence_it_announces(service: QAService) -> None:
    answer = service.ask(Query("What is the council's plan for the harbour?"))
    assert quotes(answer)[:2] == [
        "The council's plan for the harbour has three parts, the mayor said:",
        "Dredging the channel comes first, then new piers, and a fish market last.",
    ]


def test_a_question_asking_for_no_name_or_number_has_no_short_answer(service: QAService) -> None:
    answer = service.ask(Query("Why did the auction of the lunch raise money?"))
    assert answer.answerable and answer.short_answer is None


def test_a_short_answer_whose_article_changed_is_dropped_with_its_citation(settings: Settings,
                                                                           embedder: FakeEmbedder) -> None:
    service = open_service(settings.model_copy(update=THRESHOLDS), embedder)
    service.ingest_articles([LUNCH])
    retrieval = service.retrieve(Query("How much did the winning bidder pay for the lunch with Warren Buffett?"))
    service.ingest_articles([replace(LUNCH, text=LUNCH.text.replace("$19 million", "$19.1 million"))])
    answer = service.answer(retrieval)
    assert answer.short_answer is None or service.article("lunch").text[
        answer.short_answer.start : answer.short_answer.end] == answer.short_answer.text
    service.close()
