"""One HTTP GET and its answer, below the Fetcher's policy: the body read only for a success and bounded in
size as it streams, and every way the exchange can go wrong told as a Failure that says whether asking again
may help. Redirects, retries, pacing and robots.txt are the Fetcher's, built on this."""

import time
from dataclasses import dataclass

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}


class Failure(Exception):
    """Why one step failed; `Fetcher.fetch` names the URL asked for and raises it as a FetchFailed."""

    def __init__(self, reason: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class Response:
    url: httpx.URL
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes


def get(client: httpx.Client, url: httpx.URL, headers: dict[str, str], *, limit: int, truncate: bool,
        timeout_seconds: float, response_seconds: float | None = None) -> Response:
    """GETs `url` once, as it is (a redirect is answered, not followed). `timeout_seconds` is the client's,
    named in the reason when it runs out; the whole answer must have come within `response_seconds`."""
    started = time.monotonic()
    try:
        with client.stream("GET", url, headers=headers) as response:
            # Only a success's body is wanted; an error's is left unread, however large.
            ok = 200 <= response.status_code < 300
            deadline = None if response_seconds is None else started + response_seconds
            body = read_body(response, limit, truncate, deadline) if ok else b""
            return Response(response.url, response.status_code, response.reason_phrase, response.headers, body)
    except httpx.TimeoutException as error:
        raise Failure(f"timed out after {timeout_seconds:g} s", retryable=True) from error
    except httpx.ConnectError as error:
        refused = "refused" in str(error).lower()
        raise Failure("connection refused" if refused else f"could not connect ({error})",
                      retryable=True) from error
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as error:
        raise Failure(f"the connection broke ({error})", retryable=True) from error
    except httpx.DecodingError as error:
        raise Failure(f"the body's Content-Encoding could not be decoded ({error})") from error
    except httpx.HTTPError as error:
        raise Failure(f"{type(error).__name__}: {error}") from error


def read_body(response: httpx.Response, limit: int, truncate: bool, deadline: float | None = None) -> bytes:
    """The decoded body, refused (or for robots.txt cut) past `limit` bytes. Counted as it streams and after
    decompression, so neither a missing Content-Length nor a gzip bomb gets by; refused too when it is
    still arriving at `deadline` (a time.monotonic moment)."""
    if not truncate and _declared_length(response) > limit:
        raise Failure(f"larger than {limit:,} bytes")
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        if deadline is not None and time.monotonic() > deadline:
            raise Failure("the answer was still arriving when its time ran out", retryable=True)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if not truncate:
                raise Failure(f"larger than {limit:,} bytes")
            break
    return b"".join(chunks)[:limit]


def _declared_length(response: httpx.Response) -> int:
    # A Content-Length counts the encoded bytes: only without an encoding is it the body's size.
    if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
        return 0
    declared = response.headers.get("content-length", "").strip()
    return int(declared) if declared.isdigit() else 0


def status_reason(response: Response) -> str:
    return f"HTTP {response.status} {response.reason or httpx.codes.get_reason_phrase(response.status)}".strip()
