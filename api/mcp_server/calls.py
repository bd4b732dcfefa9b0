"""One tool call: who calls (the service and what they may read), the work done as the HTTP routes do it,
and its result as the SDK carries it: structured content plus the same JSON as text, or a tool error
in the API's one error shape, `{"error": {"code", "message", "details"?}}`."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent

from api.dependencies import answering
from qa.access import Access
from qa.errors import CodedError
from qa.service import QAService

Shape = dict[str, Any]
Work = Callable[[QAService, Access], Shape]


@dataclass(frozen=True)
class Caller:
    service: QAService
    access: Access


# Finds the caller of a tool call from its context; raises a CodedError when there is none to serve.
CallerOf = Callable[[Context], Caller]


async def call(ctx: Context, caller_of: CallerOf, work: Work) -> CallToolResult:
    try:
        caller = caller_of(ctx)
        # Where the HTTP routes answer: on the event loop, or a worker thread when the work waits on
        # other machines (api.dependencies.answering says why).
        shape = await answering(caller.service, work, caller.service, caller.access)
    except CodedError as error:
        return refused(error)
    return CallToolResult(content=[_json_text(shape)], structured_content=shape)


def refused(error: CodedError) -> CallToolResult:
    """A tool error an assistant can read and a program can branch on: the code and message of the
    domain's error, as the HTTP API sends them. No structured content: it would have to match the
    tool's output schema, which describes a success."""
    body: Shape = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    return CallToolResult(content=[_json_text({"error": body})], is_error=True)


def _json_text(shape: Shape) -> TextContent:
    return TextContent(type="text", text=json.dumps(shape, ensure_ascii=False))
