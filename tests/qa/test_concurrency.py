"""Questions answered while articles are rewritten see the old or the new article, never half of one."""

import threading

from qa.articles import Article
from qa.query import Query
from qa.service import QAService

OLD = "The harbour closed on Monday after the storm.\n\n" + "Boats stayed in port for the whole week. " * 20
NEW = "The harbour reopened on Friday once the storm passed.\n\n" + "Fishermen went back to sea at dawn. " * 25


def test_readers_see_whole_versions_while_a_writer_swaps_them(service: QAService) -> None:
    service.ingest_articles([Article("harbour", OLD)])
    stop = threading.Event()
    problems: list[str] = []

    def write() -> None:
        for round_ in range(30):
            service.ingest_articles([Article("harbour", NEW if round_ % 2 == 0 else OLD)])
        stop.set()

    def read() -> None:
        while not stop.is_set():
            try:
                answer = service.ask(Query("When did the harbour close or reopen after the storm?", top_k=10))
            except Exception as error:  # noqa: BLE001 - any failure is what this test looks for
                problems.append(repr(error))
                return
            for passage in answer.passages:
                if passage.text not in (OLD[passage.start : passage.end], NEW[passage.start : passage.end]):
                    problems.append(f"passage {passage.start}-{passage.end} is from neither version")
            for citation in answer.citations:
                if citation.quote not in (OLD[citation.start : citation.end], NEW[citation.start : citation.end]):
                    problems.append(f"citation {citation.start}-{citation.end} is from neither version")
            only_old = any(p.text == OLD[p.start : p.end] != NEW[p.start : p.end] for p in answer.passages)
            only_new = any(p.text == NEW[p.start : p.end] != OLD[p.start : p.end] for p in answer.passages)
            if only_old and only_new:
                problems.append("one answer mixed passages of both versions")

    readers = [threading.Thread(target=read) for _ in range(3)]
    writer = threading.Thread(target=write)
    for thread in [*readers, writer]:
        thread.start()
    for thread in [writer, *readers]:
        thread.join(timeout=60)
    assert problems == []
    assert service.stats().chunks == service.stats().vectors
