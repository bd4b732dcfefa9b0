"""Questions answered while articles are rewritten see the old or the new article, never half of one."""

import threading
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from qa.articles import Article
from qa.models import Answer
from qa.query import Query
from qa.service import QAService
from tests.fakes import FakeEmbedder

OLD = "The harbour closed on Monday after the storm.\n\n" + "Boats stayed in port for the whole week. " * 20
NEW = "The harbour reopened on Friday once the storm passed.\n\n" + "Fishermen went back to sea at dawn. " * 25
QUESTION = Query("When did the harbour close or reopen after the storm?", top_k=10)
WRITES = 30
READERS = 3
# Generous: the whole test takes seconds; a thread still running after this is stuck.
TIMEOUT = 60


class WriteHeldOpen(FakeEmbedder):
    """The fake model, holding each write at its embedding (its write session is open by then) until a
    question has been asked and answered entirely within it: proof that reads overlap writes, without
    sleeping and hoping."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.writes_held = 0
        self.open_write = 0  # the number of the write held now; 0 when none is
        self.read_within = threading.Event()
        self.reading = threading.local()  # set in the readers' threads, whose questions are never held

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.armed and not getattr(self.reading, "active", False):
            self._hold()
        return super().embed(texts)

    def _hold(self) -> None:
        self.read_within.clear()
        self.writes_held += 1
        self.open_write = self.writes_held
        try:
            if not self.read_within.wait(timeout=TIMEOUT):
                raise TimeoutError(f"no question was answered while write {self.writes_held} was open")
        finally:
            self.open_write = 0

    def answered_within(self, write: int) -> None:
        """A question asked while `write` was held was answered, and `write` is held still."""
        if write and self.open_write == write:
            self.read_within.set()


def run_to_the_end(targets: Sequence[Callable[[], None]]) -> None:
    """Runs each target in a thread; every one must end in time, and none may raise."""
    errors: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - reported below, with the thread it stopped
            errors.append(error)

    threads = [threading.Thread(target=run, args=(target,), name=f"test-{i}") for i, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    still_running = [thread.name for thread in threads if thread.is_alive()]
    assert (still_running, errors) == ([], [])


@pytest.fixture
def embedder() -> WriteHeldOpen:
    return WriteHeldOpen()


def whole_version_problems(answer: Answer) -> list[str]:
    problems = []
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
    return problems


def test_readers_see_whole_versions_while_a_writer_swaps_them(service: QAService, embedder: WriteHeldOpen) -> None:
    service.ingest_articles([Article("harbour", OLD)])
    embedder.armed = True
    writing_done = threading.Event()
    problems: list[str] = []

    def write() -> None:
        try:
            for round_ in range(WRITES):
                service.ingest_articles([Article("harbour", NEW if round_ % 2 == 0 else OLD)])
        finally:
            writing_done.set()

    def read() -> None:
        embedder.reading.active = True
        while not writing_done.is_set():
            write_open = embedder.open_write
            answer = service.ask(QUESTION)
            problems.extend(whole_version_problems(answer))
            embedder.answered_within(write_open)

    run_to_the_end([write, *[read] * READERS])
    assert problems == []
    assert embedder.writes_held == WRITES, "every write was held open until a question was answered within it"
    assert service.stats().chunks == service.stats().vectors
