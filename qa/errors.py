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
        super().__init__(f"no article with id {article_id!r}", {"article_id": article_id})


class IndexNotFound(QAError):
    code = "index_not_found"
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
