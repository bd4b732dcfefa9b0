"""The load board shared by `qa serve`'s processes, and the connection a busy process closes."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.balance import BOARD_FILE, IMBALANCE, SLOTS, LoadBoard, create_board


@pytest.fixture
def board_file(tmp_path: Path) -> Path:
    path = tmp_path / "load-board"
    create_board(path)
    return path


def test_each_process_takes_its_own_slot(board_file: Path) -> None:
    one, two = LoadBoard(board_file), LoadBoard(board_file)
    one.change(+IMBALANCE)
    assert one.overloaded() and not two.overloaded()
    two.change(+1)
    assert not one.overloaded()


def test_a_process_alone_is_never_overloaded(board_file: Path) -> None:
    alone = LoadBoard(board_file)
    alone.change(+10)
    assert not alone.overloaded()


def test_a_closed_slot_no_longer_counts_and_can_be_taken_again(board_file: Path) -> None:
    busy, gone = LoadBoard(board_file), LoadBoard(board_file)
    busy.change(+IMBALANCE)
    gone.close()
    gone.change(+1)  # a request finishing after the close changes nothing
    assert not busy.overloaded()
    LoadBoard(board_file)  # the freed slot is taken by a new process, idle
    assert busy.overloaded()


def test_a_full_board_is_a_clear_error(board_file: Path) -> None:
    boards = [LoadBoard(board_file) for _ in range(SLOTS)]
    with pytest.raises(RuntimeError, match=f"more than {SLOTS} serving processes"):
        LoadBoard(board_file)
    assert len(boards) == SLOTS


def test_an_overloaded_process_closes_the_connection_after_answering(
    board_file: Path, monkeypatch: pytest.MonkeyPatch, make_client: Callable[..., TestClient]
) -> None:
    monkeypatch.setenv(BOARD_FILE, str(board_file))
    client = make_client()
    assert "close" not in client.get("/healthz").headers.get("connection", "")
    idle_other = LoadBoard(board_file)
    idle_other.change(-IMBALANCE)  # the other process looks as idle as this one is busy
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["connection"] == "close"
