"""The LlamaIndex retriever inside a query engine, with the mock model (which answers with its prompt)."""

import asyncio
import importlib
import sys

import pytest
from llama_index.core import PromptHelper, get_response_synthesizer
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore

from news_qa_client import AsyncNewsQA, NewsQA
from news_qa_client.llama_index import NewsQARetriever

SOURCE_KEYS = {"article_id", "start", "end", "title", "source", "published_at", "url", "score"}


def words(text: str) -> list[str]:
    """A tokenizer for the prompt helper, so that LlamaIndex loads no tiktoken encoding."""
    return text.split()


def test_a_query_engine_answers_from_the_passages_found(reader: NewsQA) -> None:
    llm = MockLLM()
    synthesizer = get_response_synthesizer(llm=llm, prompt_helper=PromptHelper(tokenizer=words))
    engine = RetrieverQueryEngine.from_args(NewsQARetriever(reader, top_k=2), llm=llm,
                                            response_synthesizer=synthesizer)

    response = engine.query("What did the storm flood?")

    storm = next(n for n in response.source_nodes if n.node.metadata["article_id"] == "storm")
    text = reader.get_article("storm").text
    assert storm.node.get_content() in str(response)  # the mock model answers with the prompt it was given
    assert set(storm.node.metadata) == SOURCE_KEYS | {"chunk_id"}
    assert text[storm.node.start_char_idx:storm.node.end_char_idx] == storm.node.get_content()
    assert storm.score == storm.node.metadata["score"] > 0


def test_in_ask_mode_the_nodes_are_the_cited_sentences(reader: NewsQA) -> None:
    found = NewsQARetriever(reader, mode="ask").retrieve("Why did Netanyahu thank Putin?")
    answer = reader.ask("Why did Netanyahu thank Putin?")

    assert [n.node.get_content() for n in found] == [c.quote for c in answer.citations]
    assert [(n.node.start_char_idx, n.node.end_char_idx) for n in found] == [(c.start, c.end) for c in answer.citations]
    assert all(set(n.node.metadata) == SOURCE_KEYS | {"speaker"} for n in found)


def test_async_retrieval_matches(archive: str, reader: NewsQA) -> None:
    async def retrieve() -> tuple[list[NodeWithScore], list[NodeWithScore]]:
        async with AsyncNewsQA(archive) as client:
            given = await NewsQARetriever(reader, async_client=client, filters={"source": "wire"}).aretrieve("budget")
        made = await NewsQARetriever(reader, filters={"source": "wire"}).aretrieve("budget")
        return given, made

    given, made = asyncio.run(retrieve())

    expected = NewsQARetriever(reader, filters={"source": "wire"}).retrieve("budget")
    assert [n.node.node_id for n in given] == [n.node.node_id for n in made] == [n.node.node_id for n in expected]
    assert {n.node.metadata["source"] for n in given} == {"wire"}


def test_bad_settings_are_refused_on_construction(reader: NewsQA) -> None:
    with pytest.raises(ValueError, match="top_k must be greater than 0, got 0"):
        NewsQARetriever(reader, top_k=0)
    with pytest.raises(ValueError, match="mode must be"):
        NewsQARetriever(reader, mode="answer")  # type: ignore[arg-type]


def test_without_llama_index_the_import_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.core.callbacks", None)
    monkeypatch.delitem(sys.modules, "news_qa_client.llama_index")

    with pytest.raises(ImportError, match=r"news-qa-client\[llama-index\]"):
        importlib.import_module("news_qa_client.llama_index")
