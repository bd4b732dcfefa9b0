"""What routes receive from the app: the one service the lifespan built."""

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from qa.errors import InvalidInput, QAError
from qa.service import QAService


API_PREFIX = "/v1"


class NotReady(QAError):
    code = "not_ready"
    status = 503


def current_service(app: FastAPI) -> QAService | None:
    """The service while the app is running; None before the lifespan built it or after it closed it."""
    return getattr(app.state, "service", None)


def get_service(request: Request) -> QAService:
    service = current_service(request.app)
    if service is None:
        raise NotReady("the service is starting or stopping; retry shortly")
    return service


ServiceDep = Annotated[QAService, Depends(get_service)]


def known_parameters(*names: str):
    """A dependency refusing query parameters a route does not take, so a typo is not silently ignored."""

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(names))
        if unknown:
            raise InvalidInput(f"unknown query parameter {', '.join(map(repr, unknown))}; this route takes "
                               f"{', '.join(names)}")

    return Depends(check)
