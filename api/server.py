"""Runs the API with uvicorn, for `qa serve`: in this process, or in several (one per core by default),
each with its own copy of the model and the index, kept in step through the index's change log, and
sharing a load board that keeps kept-alive connections spread over them (api.balance)."""

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from api.balance import BOARD_FILE, create_board
from api.metrics import MULTIPROCESS_FOLDER
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.service import QAService

LOOPBACK = {"127.0.0.1", "::1", "localhost"}

log = logging.getLogger(__name__)


def run(settings: Settings, service: "QAService") -> None:
    """Serves with the service given, in this process."""
    import uvicorn

    from api.app import create_app  # here, not at the top: with several processes, only the workers build the app

    uvicorn.run(create_app(settings, service), host=_host(settings), port=settings.port, log_level="info",
                timeout_graceful_shutdown=10)


def run_workers(settings: Settings, workers: int) -> None:
    """Serves from `workers` processes sharing the port; each builds its service at start-up."""
    import uvicorn

    host = _host(settings)
    # The workers read their settings from the environment: what the command line set goes there too.
    os.environ.update({"QA_INDEX_DIR": str(settings.index_dir), "QA_HOST": host, "QA_PORT": str(settings.port)})
    counts = tempfile.mkdtemp(prefix="news-qa-metrics-")
    os.environ[MULTIPROCESS_FOLDER] = counts
    if settings.balance_connections:
        # Not a .db file: the metrics collector reads those of the folder.
        board = Path(counts) / "load-board"
        create_board(board)
        os.environ[BOARD_FILE] = str(board)
    try:
        uvicorn.run("api.app:create_app", factory=True, workers=workers, host=host, port=settings.port,
                    log_level="info", timeout_graceful_shutdown=10)
    finally:
        del os.environ[MULTIPROCESS_FOLDER]
        os.environ.pop(BOARD_FILE, None)
        shutil.rmtree(counts, ignore_errors=True)


def _host(settings: Settings) -> str:
    host = settings.listen_host
    if not settings.keys_configured and host not in LOOPBACK:
        log.warning("listening on %s without API keys: anyone who can reach it can read and change the index", host)
    return host
