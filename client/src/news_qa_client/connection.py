"""Where the service is and how to present oneself to it; the same for the sync and async clients."""

from dataclasses import dataclass, field

import httpx

from news_qa_client._version import __version__

DEFAULT_BASE_URL = "http://localhost:8000"
DEFAULT_TIMEOUT = 30.0
Timeout = float | httpx.Timeout | None


@dataclass(frozen=True)
class Connection:
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    # None: the default for a client this package makes, or the timeout of an httpx client passed in.
    timeout: Timeout = None

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"news-qa-client/{__version__}"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

