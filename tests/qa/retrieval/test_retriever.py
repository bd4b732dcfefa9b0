"""Hybrid retrieval through the service: BM25 and dense fused, recency, one passage per story, reranking."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from qa.articles import Article
from qa.models import Citation, Source
from qa.query import Filters, Query
from qa.composition import open_service
from qa.service import QAService
from qa.settings import Settings
from tests.fakes import FakeEmbedder

NOW = datetime(2024, 6, 30, tzinfo=timezone.utc)
STORY = ("The city council approved the Riverside bridge repair on Tuesday after a long debate. "
         "Work on the bridge will start in August and last two years, the mayor said.")


def make(settings: Settings, embedder: FakeEmbedder, reranker=None, **overrides) -> QAService:
    configured = settings.model_copy(update=overrides)
    return open_service(configured, embedder, reranker=reranker, clock=lambda: NOW)


@pytest.fixture
def articles() -> list[Article]:
    return [
        Article("wire", STORY, title="Bridge repair approved", source="wire", published_at="2024-06-25"),
        Article("reprint", "From our partners: " + STORY, title="Council backs bridge repair", source="paper",
                published_at="2024-06-25"),
        Article("old", "The council approved a bridge repair plan years ago, but the work never began.",
                title="Old plans", source="archive", published_at="2020-01-10"),
        Article("zk-41", "Protein ZK-41 was named by researchers in the lab study.", source="science",
                published_at="2024-06-01"),
    ]


def ids(passages) -> list[str]:
    return [p.origin.article_id for p in passages]


def test_reprints_collapse_into_one_passage_listing_the_other_outlet(settings, embedder, articles) -> None:
    service = make(settings, embedder)
    service.ingest_articles(articles)
    passages = service.search(Query("When will work on the Riverside bridge start?", top_k=5))
    story = [p for p in passages if p.origin.article_id in {"wire", "reprint"}]
    assert len(story) == 1 and [s.article_id for s in story[0].also_reported_by] in (["reprint"], ["wire"])
    assert service.article("reprint").cluster_id == service.article("wire").cluster_id


def test_without_collapse_every_outlet_is_listed(settings, embedder, articles) -> None:
    service = make(settings, embedder, collapse_duplicates=False)
    service.ingest_articles(articles)
    passages = service.search(Query("When will work on the Riverside bridge start?", top_k=5))
    assert {"wire", "reprint"} <= set(ids(passages)) and all(not p.also_reported_by for p in passages)


def test_bm25_alone_finds_only_passages_with_the_words(settings, embedder, articles) -> None:
    service = make(settings, embedder, retriever="bm25")
    service.ingest_articles(articles)
    passages = service.search(Query("Which protein did researchers name ZK-41?", top_k=5))
    assert ids(passages)[0] == "zk-41"
    assert all(0 <= p.score <= 1 for p in passages), "passages keep their cosine to the question"


def test_filters_apply_to_bm25_too(settings, embedder, articles) -> None:
    service = make(settings, embedder, retriever="bm25")
    service.ingest_articles(articles)
    query = Query("bridge repair council", top_k=5, filters=Filters(sources=("archive",)))
    assert ids(service.search(query)) == ["old"]


def test_recent_questions_prefer_fresh_articles(settings, embedder, articles) -> None:
    service = make(settings, embedder, collapse_duplicates=True)
    service.ingest_articles(articles)
    recent = service.search(Query("What did the council recently approve for the bridge repair?", top_k=3))
    assert ids(recent)[0] in {"wire", "reprint"}
    then = service.search(Query("What did the council recently approve for the bridge repair?", top_k=3,
                                as_of=datetime(2020, 2, 1, tzinfo=timezone.utc)))
    assert ids(then) == ["old"], "articles published after as_of are left out"


def test_a_reranker_reorders_the_fused_candidates(settings, embedder, articles) -> None:
    class PrefersScience:
        def scores(self, question: str, passages: Sequence[str]) -> list[float]:
            return [1.0 if "ZK-41" in p else 0.0 for p in passages]

    service = make(settings, embedder, reranker=PrefersScience())
    service.ingest_articles(articles)
    assert ids(service.search(Query("bridge repair council approved", top_k=3)))[0] == "zk-41"


def test_updating_an_article_updates_what_bm25_finds(settings, embedder, articles) -> None:
    service = make(settings, embedder, retriever="bm25")
    service.ingest_articles(articles)
    service.ingest_articles([Article("zk-41", "The study was withdrawn.", source="science")])
    assert "zk-41" not in ids(service.search(Query("protein ZK-41 named researchers", top_k=5)))
    service.delete("old")
    assert "old" not in ids(service.search(Query("bridge repair plan years ago", top_k=5)))


@pytest.mark.parametrize("retriever", ["bm25", "dense"])
def test_an_untitled_article_is_found_by_its_url_slug_words(settings, embedder, retriever) -> None:
    untitled = Article("untitled", "The mayor said it would happen next spring.", source="cnn.com",
                       url="https://www.cnn.com/2024/06/25/us/harbor-tunnel-closure/index.html")
    other = Article("other", "The mayor said it would happen next spring, too.", title="Park opening", source="paper")
    service = make(settings, embedder, retriever=retriever)
    service.ingest_articles([untitled, other])
    passages = service.search(Query("When will the harbor tunnel closure take effect?", top_k=2))
    assert ids(passages)[0] == "untitled"
    assert service.article("untitled").title is None  # the slug stands in for search, never as its title


LONG_STORY = " ".join(f"Sentence {n} of the harbour report says the tide rose {n} centimetres." for n in range(1, 30))


def test_passages_are_their_chunk_widened_by_whole_sentences(settings, embedder) -> None:
    service = make(settings, embedder, passage_chars=300)
    service.ingest_articles([Article("harbour", LONG_STORY, title="Harbour report")])
    passages = service.search(Query("How far did the tide rise in sentence 15?", top_k=3))
    assert passages
    for passage in passages:
        assert LONG_STORY[passage.start : passage.end] == passage.text and len(passage.text) <= 300
        assert passage.start <= passage.matched.start < passage.matched.end <= passage.end
        assert (passage.matched.end - passage.matched.start) < len(passage.text)
        assert passage.text.startswith("Sentence ") and passage.text.endswith("centimetres.")


def test_passages_can_be_listed_as_their_chunks_alone(settings, embedder) -> None:
    service = make(settings, embedder, passage_chars=0)
    service.ingest_articles([Article("harbour", LONG_STORY, title="Harbour report")])
    for passage in service.search(Query("How far did the tide rise in sentence 15?", top_k=3)):
        assert passage.match is None and passage.matched.start == passage.start and len(passage.text) < 300


def test_passages_of_one_article_do_not_repeat_each_others_text(settings, embedder) -> None:
    service = make(settings, embedder, passage_chars=1000, max_passages_per_article=3)
    service.ingest_articles([Article("harbour", LONG_STORY, title="Harbour report")])
    passages = sorted(service.search(Query("How far did the tide rise in sentence 15?", top_k=3)), key=lambda p: p.start)
    assert len(passages) == 3
    for before, after in zip(passages, passages[1:]):
        # Chunks overlap by a few words; the sentences added around them never do.
        assert after.start >= min(before.end, before.matched.end)
        assert before.end <= max(after.start, after.matched.start)


def quoting(service: QAService, article_id: str, sentence: int = 0) -> Citation:
    """A citation of the article's sentence, as the answer would make it."""
    article = service.article(article_id)
    start = 0 if sentence == 0 else article.text.index(". ") + 2
    end = article.text.index(".", start) + 1
    return Citation(Source(article_id, article.title, article.url, article.source, article.published_at),
                    start, end, article.text[start:end])


def test_an_article_cited_but_not_listed_is_read_from_the_store_and_listed_first(settings, embedder, articles) -> None:
    service = make(settings, embedder)
    service.ingest_articles(articles)
    retrieval = service.retrieve(Query("When will work on the Riverside bridge start?", top_k=2))
    assert "zk-41" not in ids(retrieval.passages[:2])
    cited = quoting(service, "zk-41")
    # Nothing the search found holds the quote (a statement found by its speaker): its chunk is read.
    passages = service._retriever.cited_first(replace(retrieval, best=()), [cited])
    assert ids(passages) == ["zk-41", ids(retrieval.passages)[0]]
    assert passages[0].start <= cited.start and cited.end <= passages[0].end and passages[0].chunk_id
    assert service._retriever.cited_first(replace(retrieval, best=()), [cited, cited])[:1] == passages[:1]
    assert ids(service._retriever.cited_first(replace(retrieval, top_k=1, best=()), [cited])) == ["zk-41"]


def test_a_cited_article_read_anew_brings_its_other_reports(settings, embedder, articles) -> None:
    service = make(settings, embedder)
    service.ingest_articles(articles)
    retrieval = service.retrieve(Query("When will work on the Riverside bridge start?", top_k=2))
    [(leader, reprints)] = retrieval.reprints.items()
    passages = service._retriever.cited_first(replace(retrieval, passages=()), [quoting(service, leader, 1)])
    assert ids(passages) == [leader]
    assert [s.article_id for s in passages[0].also_reported_by] == [r.article_id for r in reprints]


def test_a_quote_beside_a_listed_passage_is_held_whole_and_no_text_is_shown_twice(settings, embedder) -> None:
    service = make(settings, embedder, passage_chars=1000, max_passages_per_article=3)
    service.ingest_articles([Article("harbour", LONG_STORY, title="Harbour report")])
    retrieval = service.retrieve(Query("How far did the tide rise in sentence 15?", top_k=1))
    [shown] = retrieval.passages[:1]
    text = service.article("harbour").text
    for start in (shown.end + 1, shown.end - 20, 0, len(text) - 40):  # after it, across its end, far off
        sentence_start = text.rfind(". ", 0, start) + 2 if start else 0
        end = text.index(".", max(start, sentence_start)) + 1
        cited = Citation(Source("harbour", "Harbour report", None, None, None), sentence_start, end,
                         text[sentence_start:end])
        for best in ((), retrieval.best):  # the chunk read from the store, or found by the search
            passages = sorted(service._retriever.cited_first(replace(retrieval, best=best), [cited]),
                              key=lambda p: p.start)
            assert any(p.start <= cited.start and cited.end <= p.end for p in passages)
            assert all(text[p.start : p.end] == p.text for p in passages)
            assert all(before.end <= after.start for before, after in zip(passages, passages[1:]))
