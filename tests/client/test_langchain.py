"""The LangChain retriever inside a real chain, with a fake chat model in place of a real one."""

import asyncio
import importlib
import sys
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from pydantic import ValidationError

from news_qa_client import AsyncNewsQA, NewsQA
from news_qa_client.langchain import NewsQARetriever

PROMPT = ChatPromptTemplate.from_template("Answer from these passages only:\n{context}\n\nQuestion: {question}")
SOURCE_KEYS = {"article_id", "start", "end", "title", "source", "published_at", "url", "score"}


class PromptRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], **kwargs: Any) -> None:
        self.prompts += [message.content for batch in messages for message in batch]


def format_docs(documents: list[Document]) -> str:
    return "\n\n".join(f"[{d.metadata['article_id']} {d.metadata['start']}:{d.metadata['end']}] {d.page_content}"
                       for d in documents)


def test_the_retriever_feeds_a_chain_the_passages_found(reader: NewsQA) -> None:
    retriever = NewsQARetriever(client=reader, top_k=2, filters={"source": "daily"})
    llm = FakeListChatModel(responses=["The storm flooded the town."])
    recorder = PromptRecorder()
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | PROMPT | llm | StrOutputParser()

    reply = chain.invoke("What did the storm flood?", config={"callbacks": [recorder]})

    passage = reader.search("What did the storm flood?", top_k=2, source="daily").passages[0]
    assert reply == "The storm flooded the town."
    assert f"[storm {passage.start}:{passage.end}] {passage.text}" in recorder.prompts[0]
    assert "Question: What did the storm flood?" in recorder.prompts[0]


def test_passages_carry_where_they_stand_in_their_article(reader: NewsQA) -> None:
    documents = NewsQARetriever(client=reader).invoke("storm harbour boats")

    assert documents and all(set(d.metadata) == SOURCE_KEYS | {"chunk_id"} for d in documents)
    for document in documents:
        text = reader.get_article(document.metadata["article_id"]).text
        assert text[document.metadata["start"]:document.metadata["end"]] == document.page_content
        assert document.id == document.metadata["chunk_id"]


def test_in_ask_mode_the_documents_are_the_cited_sentences(reader: NewsQA) -> None:
    documents = NewsQARetriever(client=reader, mode="ask").invoke("Why did Netanyahu thank Putin?")
    answer = reader.ask("Why did Netanyahu thank Putin?")

    assert [d.page_content for d in documents] == [c.quote for c in answer.citations]
    assert all(set(d.metadata) == SOURCE_KEYS | {"speaker"} for d in documents)
    assert all(isinstance(d.metadata["score"], float) for d in documents)
    text = reader.get_article("netanyahu-putin").text
    assert all(text[d.metadata["start"]:d.metadata["end"]] == d.page_content for d in documents)


def test_async_retrieval_uses_the_async_client(archive: str, reader: NewsQA) -> None:
    async def retrieve() -> tuple[list[Document], list[Document]]:
        async with AsyncNewsQA(archive) as client:
            given = await NewsQARetriever(client=reader, async_client=client, top_k=1).ainvoke("storm")
        # Without one, a short-lived async client goes to the same service.
        made = await NewsQARetriever(client=reader, top_k=1).ainvoke("storm")
        return given, made

    given, made = asyncio.run(retrieve())

    assert given == made == NewsQARetriever(client=reader, top_k=1).invoke("storm")


def test_a_bad_top_k_is_refused_on_construction(reader: NewsQA) -> None:
    with pytest.raises(ValidationError, match="top_k"):
        NewsQARetriever(client=reader, top_k=0)


def test_without_langchain_the_import_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_core.callbacks", None)
    monkeypatch.delitem(sys.modules, "news_qa_client.langchain")

    with pytest.raises(ImportError, match=r"news-qa-client\[langchain\]"):
        importlib.import_module("news_qa_client.langchain")
