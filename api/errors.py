"""One error shape for every failure: {"error": {"code", "message", "details"?}}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from qa.errors import CodedError

# The HTTP status of every error code a client can be sent, the domain's and this edge's own; a
# code missing here would be a 500 (a test checks that every domain code is listed).
STATUS_BY_CODE = {
    # the domain's (qa.errors and the errors built on them)
    "error": 500,
    "invalid_input": 422,
    "invalid_article": 422,
    "too_large": 413,
    "article_not_found": 404,
    "not_permitted": 403,
    "source_not_found": 404,
    "version_conflict": 409,
    "index_not_found": 503,
    "storage_unavailable": 503,
    "index_incompatible": 409,
    "index_busy": 409,
    "model_unavailable": 503,
    "backup_failed": 500,
    "speech_pipeline_missing": 503,
    # the HTTP edge's own (api.auth, api.dependencies, api.chat.errors)
    "unauthorized": 401,
    "forbidden": 403,
    "not_ready": 503,
    "model_not_found": 404,
    "invalid_chat_request": 400,
}
# The other way, for what the framework refuses with a bare status (an unknown path, a wrong method).
CODES_BY_STATUS = {
    400: "invalid_json",  # the only 400s: a body that cannot be read as JSON
    401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request",
    429: "too_many_requests", 503: "unavailable",
}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"code": "invalid_input", "message": "question is empty"}]
    })

    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={
        "examples": [{"error": {"code": "article_not_found", "message": "no article with id 'x'",
                                "details": {"article_id": "x"}}}]
    })

    error: ErrorDetail


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def coded_error_response(error: CodedError, headers: dict[str, str] | None = None) -> JSONResponse:
    status = STATUS_BY_CODE.get(error.code, 500)
    return error_response(status, error.code, error.message, error.details or None, headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CodedError, _coded_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _coded_error(request: Request, error: CodedError) -> JSONResponse:
    return coded_error_response(error)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [
        # The offending input is left out: it may be large, and it is the client's own data.
        {"location": [str(part) for part in e.get("loc", ())], "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    if any(p["type"] == "json_invalid" for p in problems):
        return error_response(400, "invalid_json", "the request body is not valid JSON", {"errors": problems})
    return error_response(422, "invalid_request", "the request does not match the API's schema", {"errors": problems})


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    code = CODES_BY_STATUS.get(error.status_code, "error")
    if error.status_code == 400:
        message = _unreadable_body(error.__cause__)
    else:
        message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
    return error_response(error.status_code, code, message, headers=getattr(error, "headers", None))


def _unreadable_body(cause: BaseException | None) -> str:
    """FastAPI answers 400 for any body its JSON parser gives up on; the cause says why."""
    if isinstance(cause, UnicodeDecodeError):
        return "the request body is not valid UTF-8"
    if isinstance(cause, RecursionError):
        return "the request body is nested too deeply to be read as JSON"
    return "the request body is not valid JSON"


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette re-raises the error after this response is sent, so the server logs its traceback.
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
