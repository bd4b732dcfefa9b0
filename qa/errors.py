"""Domain errors. Each carries a stable code and the HTTP status the API edge maps it to."""

from typing import Any


class QAError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(QAError):
    code = "invalid_input"
    status = 422


class TooLarge(QAError):
    code = "too_large"
    status = 413


class ArticleNotFound(QAError):
    code = "article_not_found"
    status = 404

    def __init__(self, article_id: str) -> None:
        # An id that was never stored may be anything a client sent: echo a bounded part of it.
        shown = article_id if len(article_id) <= 200 else article_id[:200] + "…"
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"no article with id {shown!r}", {"article_id": shown})


class IndexNotFound(QAError):
    code = "index_not_found"
    status = 503


class StorageUnavailable(QAError):
    code = "storage_unavailable"
    status = 503


class IndexIncompatible(QAError):
    code = "index_incompatible"
    status = 409


class IndexBusy(QAError):
    code = "index_busy"
    status = 409


class ModelUnavailable(QAError):
    code = "model_unavailable"
    status = 503


class BackupFailed(QAError):
    code = "backup_failed"


class SpeechPipelineMissing(QAError):
    """The spaCy pipeline that attributes speech is not installed: a start-up error, like a missing model."""

    code = "speech_pipeline_missing"
    status = 503
