"""One error shape for every failure: {"error": {"code", "message", "details"?}}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from qa.errors import QAError

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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _domain_error(request: Request, error: QAError) -> JSONResponse:
    return error_response(error.status, error.code, error.message, error.details or None)


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
