"""Errors with a stable code and a message. The domain's subclass QAError; each edge maps codes to
what its clients see, in one table each: HTTP statuses in api.errors, exit statuses in qa.cli.exits."""

from typing import Any


class CodedError(Exception):
    """An error a client is told of: `code` is stable, `message` says what went wrong. The domain's
    errors and each edge's own (a missing API key, a port in use) share this shape."""

    code = "error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class QAError(CodedError):
    """An error of the domain: raised by QAService and below, whichever edge called it."""


class InvalidInput(QAError):
    code = "invalid_input"


class TooLarge(QAError):
    code = "too_large"


class ArticleNotFound(QAError):
    code = "article_not_found"

    def __init__(self, article_id: str) -> None:
        # An id that was never stored may be anything a client sent: echo a bounded part of it.
        shown = article_id if len(article_id) <= 200 else article_id[:200] + "…"
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"no article with id {shown!r}", {"article_id": shown})


class VersionConflict(QAError):
    """A write conditioned on the stored version (If-Match, or an `updated_at` older than the stored one)
    that does not hold: the stored version stands."""

    code = "version_conflict"


class NotPermitted(QAError):
    """The caller's access (an API key limited to some visibilities or sources) does not reach this."""

    code = "not_permitted"


class IndexNotFound(QAError):
    code = "index_not_found"


class StorageUnavailable(QAError):
    code = "storage_unavailable"


class IndexIncompatible(QAError):
    code = "index_incompatible"


class IndexBusy(QAError):
    code = "index_busy"


class ModelUnavailable(QAError):
    code = "model_unavailable"


class BackupFailed(QAError):
    code = "backup_failed"


class SpeechPipelineMissing(QAError):
    """The spaCy pipeline that attributes speech is not installed: a start-up error, like a missing model."""

    code = "speech_pipeline_missing"
