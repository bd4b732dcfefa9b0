"""Where a question's work runs: on the event loop's thread, unless it waits on other machines."""

import threading

import anyio

from api.dependencies import answering
from qa.composition import assemble_service
from qa.service import QAService
from qa.settings import Settings
from tests.fakes import FakeEmbedder


class Asker:
    def __init__(self, waits_on_network: bool) -> None:
        self.waits_on_network = waits_on_network

    def thread_of(self, label: str) -> tuple[str, int]:
        return label, threading.get_ident()


def run_on_a_loop(asker: Asker) -> tuple[int, tuple[str, int]]:
    async def main() -> tuple[int, tuple[str, int]]:
        return threading.get_ident(), await answering(asker, asker.thread_of, "question")

    return anyio.run(main)


def test_local_work_runs_on_the_loops_own_thread() -> None:
    loop_thread, (label, worker_thread) = run_on_a_loop(Asker(waits_on_network=False))
    assert label == "question" and worker_thread == loop_thread


def test_work_that_waits_on_the_network_runs_in_a_worker_thread() -> None:
    loop_thread, (label, worker_thread) = run_on_a_loop(Asker(waits_on_network=True))
    assert label == "question" and worker_thread != loop_thread


def test_a_service_waits_on_the_network_only_with_a_writer_or_remote_storage(service: QAService, settings: Settings,
                                                                            embedder: FakeEmbedder) -> None:
    assert not service.waits_on_network
    remote = settings.model_copy(update={"database_url": "postgresql://db.example/news"})
    assert assemble_service(service.store, embedder, remote).waits_on_network
    assert assemble_service(service.store, embedder, settings, writer=object()).waits_on_network
