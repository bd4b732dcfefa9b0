"""The logging of `qa serve` (uvicorn applies `logging_config` in every process): JSON lines by default,
or uvicorn's text lines. API keys are never logged; a reader's question only with QA_LOG_QUESTIONS;
query strings (where a client may put either) never.

JSON: one object a line, `time` (UTC), `level`, `logger`, `message`, the request's `request_id` on
every record made while handling one, an access record per request from api.request_log (`method`,
`route`, `status`, `duration_ms`), a traceback as `exception`. uvicorn's own access log is off then:
ours knows the route's template, the request id and how long the app took, and two records a request
would only double the volume.

Text: the lines `qa serve` has always written, uvicorn's access log included (its query strings left
out); api.request_log's access records are then silent, for the same one record a request."""

import copy
import json
import logging
from datetime import datetime, timezone
from typing import Any, Literal

from uvicorn.config import LOGGING_CONFIG

LogFormat = Literal["json", "text"]

REDACTED = "[query left out]"
# Records' own fields a JSON line carries besides the message; other `extra` fields are left out, so that
# nothing reaches the log because some library attached it to a record.
FIELDS = ("request_id", "method", "route", "status", "duration_ms", "question")
# The application's loggers log at INFO (start-up, access policy, access records); libraries at WARNING.
APP_LOGGERS = ("qa", "index", "api")


class LeaveOutQueryStrings(logging.Filter):
    """uvicorn's access records carry (client, method, path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            path = args[2].partition("?")[0]
            record.args = (args[0], args[1], f"{path}?{REDACTED}", *args[3:])
        return True


class LeaveOutQuestions(logging.Filter):
    """A record may carry the question it is about as `question` (never in its message); it is kept
    only when the settings allow questions in the log."""

    def __init__(self, allowed: bool = False) -> None:
        super().__init__()
        self._allowed = allowed

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._allowed:
            record.__dict__.pop("question", None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc(record.created), "level": record.levelname, "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((name, record.__dict__[name]) for name in FIELDS if record.__dict__.get(name) is not None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines, so a traceback stays on its one line.
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The message, and the question it is about when one was kept."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        question = record.__dict__.get("question")
        return text if question is None else f"{text} (question: {question!r})"


def logging_config(log_format: LogFormat = "json", log_questions: bool = False) -> dict[str, Any]:
    """For `logging.config.dictConfig`, as uvicorn's `log_config`."""
    if log_format not in ("json", "text"):
        raise ValueError(f"log_format must be json or text, got {log_format!r}")
    config = _json_config() if log_format == "json" else _text_config()
    config["filters"] = {
        "leave_out_query_strings": {"()": f"{__name__}.{LeaveOutQueryStrings.__name__}"},
        "leave_out_questions": {"()": f"{__name__}.{LeaveOutQuestions.__name__}", "allowed": log_questions},
        "request_id": {"()": "api.request_ids.RequestIdFilter"},
    }
    for name in APP_LOGGERS:
        config["loggers"].setdefault(name, {"level": "INFO"})
    return config


def _json_config() -> dict[str, Any]:
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr",
               "filters": ["request_id", "leave_out_questions"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.{JsonFormatter.__name__}"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            # An empty handler list tells uvicorn not to make access records at all.
            "uvicorn.access": {"handlers": [], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def _text_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["filters"] = ["leave_out_query_strings"]
    # The application's records as the `qa` command writes them (qa.cli.main).
    config["formatters"]["app"] = {"()": f"{__name__}.{TextFormatter.__name__}", "fmt": "qa: %(message)s"}
    config["handlers"]["app"] = {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stderr",
                                 "filters": ["leave_out_questions"]}
    config["root"] = {"handlers": ["app"], "level": "WARNING"}
    config["loggers"]["api.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    return config


def _utc(created: float) -> str:
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
