"""What the chat door refuses that the rest of the API has no word for; statuses are in api.errors."""

from api.chat.schemas import MODEL_ID
from qa.errors import CodedError

SHOWN_CHARS = 200


class UnknownModel(CodedError):
    code = "model_not_found"

    def __init__(self, model: str) -> None:
        # Any text a client sent: echo a bounded part of it.
        shown = model if len(model) <= SHOWN_CHARS else model[:SHOWN_CHARS] + "…"
        shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"no model {shown!r}: this service is the one model {MODEL_ID!r} (GET /v1/models)",
                         {"model": shown})


class InvalidChatRequest(CodedError):
    """A well-formed chat request the service cannot honour (no question in it, several replies asked)."""

    code = "invalid_chat_request"
