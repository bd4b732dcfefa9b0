"""Runs the API with uvicorn, for `qa serve`: in this process, or in several (one per core by default),
each with its own copy of the model and the index, kept in step through the index's change log, and
sharing a load board that keeps kept-alive connections spread over them (api.server.balance).

The listening socket is bound here, before anything else starts, so that a port in use is one clear
error rather than uvicorn's exit after the model has loaded."""

import errno
import logging
import logging.config
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.server.logs import logging_config
from api.server.balance import BOARD_FILE, create_board
from api.server.protocol import LimitedConfig
from api.metrics import MULTIPROCESS_FOLDER
from api.settings import ServerSettings
from qa.errors import CodedError

if TYPE_CHECKING:
    from qa.service import QAService

LOOPBACK = {"127.0.0.1", "::1", "localhost"}

log = logging.getLogger(__name__)


class CannotListen(CodedError):
    """`qa serve` cannot take its address; said before anything else starts, never over HTTP."""

    code = "cannot_listen"


def listen(settings: ServerSettings) -> socket.socket:
    """The socket `qa serve` will accept connections on; raises CannotListen with what to do."""
    host = settings.listen_host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, settings.port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(f"port {settings.port} on {host} is already in use; choose another with --port or "
                               f"QA_PORT") from None
        raise CannotListen(f"cannot listen on {host} port {settings.port}: {error.strerror or error}; choose "
                           f"another address with --host or QA_HOST, or another port with --port or QA_PORT") from None
    # The worker processes accept on this same socket.
    sock.set_inheritable(True)
    # `qa serve` logs in its configured format from here on, not only once uvicorn configures its logging.
    logging.config.dictConfig(logging_config(settings.log_format, settings.log_questions))
    if not settings.keys_configured and host not in LOOPBACK:
        log.warning("listening on %s without API keys: anyone who can reach it can read and change the index", host)
    return sock


def uvicorn_config(settings: ServerSettings, app: Any, **options: Any) -> LimitedConfig:
    return LimitedConfig(
        app, max_header_bytes=settings.max_header_bytes, read_timeout=settings.request_read_timeout_seconds,
        host=settings.listen_host, port=settings.port, timeout_graceful_shutdown=10,
        log_config=logging_config(settings.log_format, settings.log_questions),
        **{"log_level": "info", **options},
    )


def run(settings: ServerSettings, service: "QAService", sock: socket.socket) -> None:
    """Serves with the service given, in this process."""
    import uvicorn

    from api.app import create_app  # here, not at the top: with several processes, only the workers build the app

    config = uvicorn_config(settings, create_app(settings, service))
    _announce(config)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(settings: ServerSettings, workers: int, sock: socket.socket) -> None:
    """Serves from `workers` processes sharing the socket; each builds its service at start-up."""
    from uvicorn.supervisors import Multiprocess

    host = settings.listen_host
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
        config = uvicorn_config(settings, "api.app:create_app", factory=True, workers=workers)
        _announce(config)
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        del os.environ[MULTIPROCESS_FOLDER]
        os.environ.pop(BOARD_FILE, None)
        shutil.rmtree(counts, ignore_errors=True)


def _announce(config: LimitedConfig) -> None:
    # What uvicorn says when it binds the socket itself (and its log configuration is set by now).
    address = f"[{config.host}]" if ":" in config.host else config.host
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://%s:%d (Press CTRL+C to quit)", address,
                                            config.port)
