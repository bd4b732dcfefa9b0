"""The HTTP server's settings: the service's own, and what only `qa serve` and the API read (the
address, API keys, CORS, request limits, worker processes), from the same `QA_*` variables."""

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from api.auth import settings_keys
from api.keys_file import InvalidKeysFile, load_keys_file
from qa.settings import Settings


class ServerSettings(Settings):
    host: str | None = Field(
        default=None,
        description="Address `qa serve` listens on; default 127.0.0.1, or 0.0.0.0 when API keys are set.",
    )
    port: int = Field(default=8000, ge=1, le=65535, description="Port `qa serve` listens on.")
    read_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Comma-separated API keys that may read (ask, search, list)."
    )
    write_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Comma-separated API keys that may read and write (add, delete)."
    )
    # After the other keys, so that its check sees them (a key in both places is refused).
    keys_file: Path | None = Field(
        default=None,
        description="A TOML (.toml) or JSON (.json) file of API keys, used besides QA_READ_KEYS and QA_WRITE_KEYS: "
                    "[[keys]] entries, each with a unique name, the key's sha256 in hex, scope \"read\" (default) or "
                    "\"write\", and optionally visibility and sources (lists: only articles of these) and rate_limit "
                    "(N/second, N/minute or N/hour). Format in api/keys_file.py.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS; none by default (CORS off)."
    )
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest HTTP request body accepted, in bytes."
    )
    # Large enough for any browser's cookies and headers (a few KB), small enough that reading them costs nothing.
    max_header_bytes: int = Field(
        default=32 * 1024, ge=1024, le=1024 * 1024,
        description="Largest request headers accepted, in bytes; larger ones get 431 before anything else is done.",
    )
    request_read_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600,
        description="Seconds a client has to send a whole request, headers and body; a slower one gets 408.",
    )
    workers: int = Field(
        default=0, ge=0, le=64,
        description="Processes `qa serve` runs, each with the model and the index in memory; 0: one per CPU core.",
    )
    balance_connections: bool = Field(
        default=True,
        description="With several `qa serve` processes, one serving two or more clients more than the least busy other "
                    "closes a connection after answering, so kept-alive clients spread over the processes.",
    )
    sync_in_background: bool = Field(
        default=False,
        description="Sync the sources followed (/v1/sources, `qa sync`) as they come due, in the background of "
        "`qa serve`; with several processes or replicas on one archive, one at a time does it.",
    )
    max_concurrent_requests: int = Field(
        default=64, ge=1, description="Requests handled at once by /v1; more are refused with 429."
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="How `qa serve` writes its log: `json`, one object a line (time, level, logger, message, and for "
                    "requests request_id, method, route, status, duration_ms), or `text`, uvicorn's lines.",
    )
    log_questions: bool = Field(
        default=False,
        description="Put a reader's question in the log records about it (a failed answer); off, none is logged.",
    )

    @field_validator("read_keys", "write_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.split(",") if part.strip()]
        # Set to nothing but commas or spaces, a keys setting would leave the API open while looking set.
        if not parts and info.field_name.endswith("_keys"):
            raise ValueError("holds no key: give comma-separated keys, or leave the setting unset for an open API")
        return parts

    @field_validator("keys_file")
    @classmethod
    def _valid_keys_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        # Read here so that a mistake in it stops `qa serve` at once, as any bad setting does.
        if path is not None:
            others = settings_keys(info.data.get("read_keys", []), info.data.get("write_keys", []))
            try:
                load_keys_file(path, beside=others)
            except InvalidKeysFile as error:
                raise ValueError(error.message) from None
        return path

    @property
    def serve_workers(self) -> int:
        return self.workers or max(1, len(os.sched_getaffinity(0)))

    @property
    def keys_configured(self) -> bool:
        return bool(self.read_keys or self.write_keys or self.keys_file)

    @property
    def listen_host(self) -> str:
        # Without keys the API is open, so by default only this machine may reach it.
        return self.host or ("0.0.0.0" if self.keys_configured else "127.0.0.1")
