"""The README's examples of the client and the retrievers, run against a real server."""

import pytest

from news_qa_client import NewsQA
from tests.readme_examples import readme_example

QUESTION = "Why did Netanyahu thank Putin?"


def run(name: str, base_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    code = readme_example(name, base_url)
    assert "localhost:8000" not in code
    exec(compile(code, f"README.md ({name})", "exec"), {"__name__": "__main__"})
    return capsys.readouterr().out


def test_the_python_client_example(archive: str, reader: NewsQA, capsys: pytest.CaptureFixture[str]) -> None:
    answer = reader.ask(QUESTION)

    printed = run("python-client", archive, capsys).splitlines()

    assert answer.answerable and printed[0] == answer.answer
    assert printed[1:-1] == [f"- {c.article_id} [{c.start}:{c.end}]: {c.quote}" for c in answer.citations]
    assert printed[-1] == "404 article_not_found"


def test_the_langchain_example(archive: str, reader: NewsQA, capsys: pytest.CaptureFixture[str]) -> None:
    passages = reader.search(QUESTION, top_k=3).passages

    printed = run("langchain-retriever", archive, capsys)

    for p in passages:
        assert f"{p.title} ({p.article_id} [{p.start}:{p.end}], score {p.score:.2f})\n" in printed
        assert f"[{p.article_id} {p.start}:{p.end}] {p.text}" in printed


def test_the_llama_index_example(archive: str, reader: NewsQA, capsys: pytest.CaptureFixture[str]) -> None:
    citations = reader.ask(QUESTION).citations

    printed = run("llama-index-retriever", archive, capsys)

    assert citations and printed.splitlines() == [f"{c.article_id} [{c.start}:{c.end}] {c.quote}" for c in citations]
