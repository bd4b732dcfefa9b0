"""One error type for everything that goes wrong, whether the service said so or the client found out.

`code` is the service's own (`article_not_found`, `invalid_input`, `unauthorized`, ...) when it answered
with its error shape `{"error": {"code", "message", "details"?}}`, else one of the client's:

- `connection_error`: the service could not be reached, or the connection broke off (no `status`);
- `timeout`: no answer within the client's timeout (no `status`);
- `invalid_request`: the arguments do not make a request the API's schema allows (no `status`: the
  request was never sent; `details["errors"]` lists the problems as the service lists its own);
- `invalid_response`: an answer in none of the service's shapes, such as a proxy's error page.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pydantic import ValidationError

from news_qa_client.models import ErrorResponse

CONNECTION_ERROR = "connection_error"
TIMEOUT = "timeout"
INVALID_REQUEST = "invalid_request"
INVALID_RESPONSE = "invalid_response"


class NewsQAError(Exception):
    def __init__(self, status: int | None, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}" if self.status else f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"NewsQAError(status={self.status!r}, code={self.code!r}, message={self.message!r})"


def error_from_response(status: int, body: bytes) -> NewsQAError:
    try:
        error = ErrorResponse.model_validate_json(body).error
    except ValidationError:
        excerpt = body[:200].decode("utf-8", errors="replace")
        return NewsQAError(status, INVALID_RESPONSE, f"HTTP {status} without the service's error shape: {excerpt!r}")
    return NewsQAError(status, error.code, error.message, error.details)


def invalid_request(error: ValidationError) -> NewsQAError:
    problems = [
        {"location": [str(part) for part in e["loc"]], "message": e["msg"], "type": e["type"]} for e in error.errors()
    ]
    return NewsQAError(None, INVALID_REQUEST, f"the arguments do not match the API's schema: {problems[0]['message']} "
                       f"at {'.'.join(problems[0]['location']) or 'the top'}", {"errors": problems})


@contextmanager
def transport_errors(url: str) -> Iterator[None]:
    """httpx's failures to reach the service, as NewsQAError."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise NewsQAError(None, TIMEOUT, f"no answer from {url} in time ({type(error).__name__})") from error
    except httpx.TransportError as error:
        raise NewsQAError(None, CONNECTION_ERROR, f"cannot reach {url}: {error or type(error).__name__}") from error
