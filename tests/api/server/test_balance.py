"""The load board shared by `qa serve`'s processes, and the connection a busy process closes."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.server.balance import (
    ACTIVE_MS, BOARD_FILE, IMBALANCE, SLOTS, ActiveClients, LoadBoard, create_board, monotonic_ms,
)


@pytest.fixture
def board_file(tmp_path: Path) -> Path:
    path = tmp_path / "load-board"
    create_board(path)
    return path


def test_each_process_takes_its_own_slot(board_file: Path) -> None:
    one, two = LoadBoard(board_file), LoadBoard(board_file)
    two.post(1)
    assert not one.overloaded(IMBALANCE) and one.overloaded(1 + IMBALANCE)
    assert two.overloaded(IMBALANCE)  # one has posted no client


def test_a_process_alone_is_never_overloaded(board_file: Path) -> None:
    assert not LoadBoard(board_file).overloaded(10)


def test_a_process_with_no_request_lately_serves_no_client(board_file: Path) -> None:
    now = [0]
    busy, quiet = LoadBoard(board_file, clock=lambda: now[0]), LoadBoard(board_file)
    quiet.post(5)
    now[0] = monotonic_ms()
    assert not busy.overloaded(5)
    now[0] = monotonic_ms() + ACTIVE_MS + 1
    assert busy.overloaded(IMBALANCE)


def test_a_closed_slot_no_longer_counts_and_can_be_taken_again(board_file: Path) -> None:
    busy, gone = LoadBoard(board_file), LoadBoard(board_file)
    gone.post(5)
    gone.close()
    gone.post(1)  # a request finishing after the close changes nothing
    assert not busy.overloaded(10)
    LoadBoard(board_file)  # the freed slot is taken by a new process, idle
    assert busy.overloaded(IMBALANCE)


def test_a_full_board_is_a_clear_error(board_file: Path) -> None:
    boards = [LoadBoard(board_file) for _ in range(SLOTS)]
    with pytest.raises(RuntimeError, match=f"more than {SLOTS} serving processes"):
        LoadBoard(board_file)
    assert len(boards) == SLOTS


def test_clients_are_the_connections_heard_from_lately() -> None:
    now = [0]
    clients = ActiveClients(clock=lambda: now[0])
    clients.saw(("127.0.0.1", 5001))
    clients.saw(("127.0.0.1", 5002))
    clients.saw(("127.0.0.1", 5001))
    assert len(clients) == 2
    now[0] = ACTIVE_MS + 1
    clients.saw(("127.0.0.1", 5003))
    assert len(clients) == 1
    clients.forget(("127.0.0.1", 5003))
    assert len(clients) == 0


def test_a_process_serving_too_many_clients_closes_the_connection_after_answering(
    board_file: Path, monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., TestClient]
) -> None:
    monkeypatch.setenv(BOARD_FILE, str(board_file))
    other = LoadBoard(board_file)
    other.post(1)
    first = make_client()
    assert "close" not in first.get("/healthz").headers.get("connection", "")
    second = TestClient(first.app, client=("10.0.0.2", 40000))  # another connection to this process
    response = second.get("/healthz")
    assert response.status_code == 200 and "close" not in response.headers.get("connection", "")
    other.post(0)  # this process serves two clients, the other none
    response = second.get("/healthz")
    assert response.status_code == 200 and response.headers["connection"] == "close"
    assert "close" not in first.get("/healthz").headers.get("connection", ""), "the closed one no longer counts"
