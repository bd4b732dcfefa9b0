import sqlite3
from pathlib import Path

import pytest

from qa.articles import Article
from qa.errors import ArticleNotFound, IndexIncompatible, IndexNotFound, InvalidInput, StorageUnavailable
from qa.models import Abstention
from qa.query import Query
from qa.composition import assemble_service, open_service
from qa.service import QAService
from qa.settings import Settings
from tests.fakes import FailingStore, FakeEmbedder

ARTICLES = [
    Article("budget", "The senate passed the budget on Tuesday by 51 votes to 49.\n\n"
            "The president is expected to sign the budget bill this week.", title="Budget vote"),
    Article("storm", "A storm flooded the coastal town overnight.\n\nFishermen kept their boats in the harbour.",
            title="Coastal storm", source="Wire", published_at="2024-03-01"),
]


@pytest.fixture
def loaded(service: QAService) -> QAService:
    service.ingest_articles(ARTICLES)
    return service


def test_answer_quotes_sentences_verbatim_with_exact_citations(loaded: QAService) -> None:
    answer = loaded.ask(Query("How many votes did the senate budget pass by?"))
    assert answer.answerable and answer.abstention is None
    assert "51 votes to 49" in answer.text
    assert answer.text == " ".join(c.quote for c in answer.citations)
    for citation in answer.citations:
        assert loaded.article(citation.origin.article_id).text[citation.start : citation.end] == citation.quote
    assert answer.citations[0].origin.title == "Budget vote"


def test_the_answer_does_not_depend_on_how_many_passages_are_listed(loaded: QAService) -> None:
    question = "When will the president sign the budget bill?"
    one, five = loaded.ask(Query(question, top_k=1)), loaded.ask(Query(question, top_k=5))
    assert len(one.passages) == 1 and one.citations == five.citations


def test_passages_carry_their_source_and_exact_text(loaded: QAService) -> None:
    passages = loaded.search(Query("storm flooded the coastal town", top_k=2))
    assert passages[0].origin.article_id == "storm"
    assert passages[0].origin.source == "Wire" and passages[0].origin.published_at == "2024-03-01"
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for p in passages:
        assert loaded.article(p.origin.article_id).text[p.start : p.end] == p.text


def test_no_relevant_passage_means_no_answer_but_nearest_passages(loaded: QAService) -> None:
    answer = loaded.ask(Query("quantum chromodynamics lattice gluon"))
    assert not answer.answerable and answer.abstention is Abstention.NO_RELEVANT_PASSAGES
    assert answer.text is None and answer.citations == ()
    assert answer.passages, "the nearest passages are still returned"


def test_empty_index_answers_nothing(service: QAService) -> None:
    answer = service.ask(Query("Anything?"))
    assert not answer.answerable and answer.passages == ()


@pytest.mark.parametrize(
    ("question", "top_k", "message"),
    [
        ("", None, "question is empty"),
        ("  \n\t ", None, "question is empty"),
        ("x" * 2001, None, "at most 2000 characters, got 2001"),
        ("fine", 0, "top_k must be between 1 and 100, got 0"),
        ("fine", 101, "top_k must be between 1 and 100, got 101"),
    ],
)
def test_bad_questions_are_refused(loaded: QAService, question: str, top_k: int | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        loaded.ask(Query(question, top_k))


def test_delete_removes_the_article_everywhere(loaded: QAService) -> None:
    loaded.delete("storm")
    with pytest.raises(ArticleNotFound):
        loaded.article("storm")
    assert all(p.origin.article_id != "storm" for p in loaded.search(Query("storm flooded harbour", top_k=10)))
    stats = loaded.stats()
    assert (stats.articles, stats.chunks) == (1, stats.vectors)


def test_deleting_an_unknown_article_says_so(loaded: QAService) -> None:
    with pytest.raises(ArticleNotFound, match="no article with id 'nope'"):
        loaded.delete("nope")


def test_asking_without_an_index_is_a_clear_error(settings: Settings, embedder: FakeEmbedder) -> None:
    with pytest.raises(IndexNotFound, match="add articles first with `qa ingest PATH`"):
        open_service(settings, embedder, create=False)


def test_opening_an_index_with_another_model_is_a_clear_error(loaded: QAService, settings: Settings) -> None:
    loaded.close()

    class OtherModel(FakeEmbedder):
        name = "other/model"

    with pytest.raises(IndexIncompatible, match="built with model 'fake/bag-of-words'"):
        open_service(settings, OtherModel())


def test_index_survives_a_restart(loaded: QAService, settings: Settings, embedder: FakeEmbedder) -> None:
    loaded.close()
    reopened = open_service(settings, embedder, create=False)
    assert reopened.search(Query("senate budget", top_k=1))[0].origin.article_id == "budget"
    assert Path(settings.index_dir, "manifest.json").exists()


def test_text_that_cannot_be_stored_is_refused_or_not_found(loaded: QAService) -> None:
    with pytest.raises(InvalidInput, match="question is not valid Unicode"):
        loaded.ask(Query("what \udcff happened"))
    with pytest.raises(ArticleNotFound):
        loaded.delete("bad \udcff id")
    with pytest.raises(ArticleNotFound):
        loaded.article("bad \udcff id")


def test_an_article_deleted_while_answering_is_left_out_not_an_error(loaded: QAService) -> None:
    retrieval = loaded.retrieve(Query("storm flooded the coastal town"))
    loaded.delete("storm")
    answer = loaded.answer(retrieval)
    assert all(c.origin.article_id != "storm" for c in answer.citations)


def test_an_article_changed_while_answering_gives_no_stale_citation(loaded: QAService) -> None:
    retrieval = loaded.retrieve(Query("storm flooded the coastal town"))
    loaded.ingest_articles([Article("storm", "Completely new text about the storm and the town.")])
    answer = loaded.answer(retrieval)
    for citation in answer.citations:
        assert loaded.article(citation.origin.article_id).text[citation.start : citation.end] == citation.quote


@pytest.mark.parametrize("text", [
    "word" * 100_000,  # one 400,000-character "word" with no space to split at
    "Bidi \u202eevil\u202c text\u200b with zero\u200dwidth joiners. " * 50 + "عربي و עברית in one line. " * 50,
    "Line.\n" * 20_000,
    "\u0301\u0301\u0301 combining marks first, then emoji 👩‍👩‍👧‍👦 families. " * 200,
])
def test_hostile_text_is_stored_and_cited_exactly(service: QAService, text: str) -> None:
    service.ingest_articles([Article("hostile", text, title="Hostile")])
    answer = service.ask(Query("What does the text say about families, joiners or words?", top_k=3))
    for passage in answer.passages:
        assert text[passage.start : passage.end] == passage.text
    for citation in answer.citations:
        assert text[citation.start : citation.end] == citation.quote


@pytest.mark.parametrize("failure", [sqlite3.OperationalError("database or disk is full"),
                                     sqlite3.DatabaseError("database disk image is malformed")])
def test_storage_failing_mid_run_is_a_clear_error(loaded: QAService, embedder: FakeEmbedder, settings: Settings,
                                                  failure: Exception) -> None:
    failing = assemble_service(FailingStore(loaded.store, failure, "search", "article"), embedder, settings)
    for call in (lambda: failing.ask(Query("budget")), lambda: failing.search(Query("budget")),
                 lambda: failing.article("a")):
        with pytest.raises(StorageUnavailable, match=f"the index storage failed: {failure}"):
            call()


def test_a_question_is_measured_as_sent(loaded: QAService, settings: Settings) -> None:
    padded = " " + "a" * settings.max_question_chars
    with pytest.raises(InvalidInput, match="question must be at most"):
        loaded.ask(Query(padded))
