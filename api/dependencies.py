"""What routes receive from the app: the one service the lifespan built, and what the caller may read."""

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from qa.access import EVERYTHING, Access
from qa.errors import CodedError, InvalidInput
from qa.service import QAService


API_PREFIX = "/v1"
T = TypeVar("T")


class NotReady(CodedError):
    code = "not_ready"


def current_service(app: FastAPI) -> QAService | None:
    """The service while the app is running; None before the lifespan built it or after it closed it."""
    return getattr(app.state, "service", None)


async def get_service(request: Request) -> QAService:
    service = current_service(request.app)
    if service is None:
        raise NotReady("the service is starting or stopping; retry shortly")
    return service


ServiceDep = Annotated[QAService, Depends(get_service)]


async def caller_access(request: Request) -> Access:
    """What the caller's API key may read, as the request guard (api.guards) found it; everything
    when the API is open, or on a path the guard does not check."""
    return getattr(request.state, "access", EVERYTHING)


AccessDep = Annotated[Access, Depends(caller_access)]


def known_parameters(*names: str):
    """A dependency refusing query parameters a route does not take, so a typo is not silently ignored."""

    async def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(names))
        if unknown:
            raise InvalidInput(f"unknown query parameter {', '.join(map(repr, unknown))}; this route takes "
                               f"{', '.join(names)}")

    return Depends(check)


async def answering(service: QAService, call: Callable[..., T], *args) -> T:
    """Runs a question's work on the event loop's own thread. A process answers one question at a
    time whatever it does (Python runs one thread at a time), and handing each to a worker thread
    cost a third more CPU per question under load, as the threads took turns. Work that waits on
    other machines (a model writing answers, a database or vector server) goes to a worker thread,
    so the loop serves other requests meanwhile."""
    if service.waits_on_network:
        return await run_in_threadpool(call, *args)
    return call(*args)
