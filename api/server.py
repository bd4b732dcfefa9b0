"""Runs the API with uvicorn, for `qa serve`."""

import logging

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

LOOPBACK = {"127.0.0.1", "::1", "localhost"}

log = logging.getLogger(__name__)


def run(settings: Settings, service: QAService) -> None:
    import uvicorn

    host = settings.listen_host
    if not settings.keys_configured and host not in LOOPBACK:
        log.warning("listening on %s without API keys: anyone who can reach it can read and change the index", host)
    uvicorn.run(create_app(settings, service), host=host, port=settings.port, log_level="info",
                timeout_graceful_shutdown=10)
