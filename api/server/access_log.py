"""uvicorn's logging, with query strings left out of the access log: a client may put an API key or a
reader's question there, and neither belongs in a log file."""

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

REDACTED = "[query left out]"


class LeaveOutQueryStrings(logging.Filter):
    """uvicorn's access records carry (client, method, path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            path = args[2].partition("?")[0]
            record.args = (args[0], args[1], f"{path}?{REDACTED}", *args[3:])
        return True


def logging_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"leave_out_query_strings": {"()": f"{__name__}.{LeaveOutQueryStrings.__name__}"}}
    config["handlers"]["access"]["filters"] = ["leave_out_query_strings"]
    return config
