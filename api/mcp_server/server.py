"""The MCP server: the news tools over stdio (`qa mcp`, one local user reading everything) and over
streamable HTTP at /mcp of the API app, where each call reads as the calling API key may."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from api.auth import Unauthorized
from api.dependencies import NotReady, current_service
from api.errors import error_response
from api.mcp_server.calls import Caller, CallerOf
from api.mcp_server.tools import NewsTools
from api.settings import ServerSettings
from qa.access import EVERYTHING, Access
from qa.service import QAService

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Answers questions from a newsroom's articles with the sentences that answer them, each cited to the exact "
    "characters of its article (text[start:end] == quote). Use `ask` for an answer with citations, `search` for "
    "passages only, `quotes` for what a person said, and `get_article` to read a cited article whole. Quote the "
    "citations as given; when `answerable` is false, the articles hold no answer."
)


def mcp_server(caller_of: CallerOf) -> MCPServer:
    # WARNING, as `qa` logs: the SDK sets up logging (to stderr) at this level when nothing has yet.
    server = MCPServer("news-qa", instructions=INSTRUCTIONS, log_level="WARNING")
    NewsTools(caller_of).add_to(server)
    return server


def serve_stdio(service: QAService) -> None:
    """Serves the tools on stdin and stdout until the client closes them; the SDK points the process's
    stdout at stderr meanwhile, so nothing but the protocol reaches the client."""
    server = mcp_server(lambda ctx: Caller(service, EVERYTHING))
    anyio.run(server.run_stdio_async)


class McpEndpoint:
    """The ASGI app at /mcp of the API app: the SDK's streamable HTTP transport, whose session manager
    runs inside the app's lifespan (`running`), a new one each time, since a manager runs only once."""

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._server = mcp_server(_http_caller)
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # Stateless, with JSON responses: `qa serve` answers from several processes on one socket, and a
        # session kept in one process's memory is unknown to the process the client's next request lands
        # on. No tool needs a session: none streams, none asks the client anything back.
        self._server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
            max_request_body_size=self._settings.max_body_bytes,
            # On loopback (an open server), the SDK refuses other Host and Origin headers: a web page
            # cannot reach it through DNS rebinding. Elsewhere, the API keys guard it.
            host=self._settings.listen_host,
        )
        manager = self._server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._manager is None:
            response = error_response(503, "not_ready", "the service is starting or stopping; retry shortly")
            await response(scope, receive, send)
            return
        await self._manager.handle_request(scope, receive, send)


def _http_caller(ctx: Context) -> Caller:
    """The service of the app the call came to, and what the calling key may read, as the request guard
    (api.guards) left it in the request's state; as api.dependencies finds them for a route."""
    request = ctx.request_context.request
    service = current_service(request.app) if request is not None else None
    if service is None:
        raise NotReady("the service is starting or stopping; retry shortly")
    access = getattr(request.state, "access", None)
    if not isinstance(access, Access):
        # Only the guard puts it there: a call that did not pass the guard reads nothing, not everything.
        raise Unauthorized("this call was not checked for an API key")
    return Caller(service, access)
