"""A chat request read as the service reads a question: the last user message is the question, the
user messages before it the conversation's earlier questions."""

from dataclasses import dataclass

from api.chat.errors import InvalidChatRequest, UnknownModel
from api.chat.schemas import MODEL_ID, ChatCompletionIn, ChatMessageIn
from qa.service import MAX_HISTORY

SHOWN_CHARS = 40  # of a part's type, which may be any text a client sent


@dataclass(frozen=True)
class Conversation:
    question: str
    # Oldest first, as qa.query.Query takes them.
    earlier_questions: tuple[str, ...]


def check_honourable(request: ChatCompletionIn) -> None:
    """Refuses what the service cannot do; every other OpenAI parameter is taken and has no effect."""
    if request.model != MODEL_ID:
        raise UnknownModel(request.model)
    if request.n is not None and request.n > 1:
        raise InvalidChatRequest(f"n must be 1: the service writes one reply to a question, got {request.n}",
                                 {"param": "n"})


def conversation_of(request: ChatCompletionIn) -> Conversation:
    asked = [(n, message) for n, message in enumerate(request.messages) if message.role == "user"]
    if not asked:
        raise InvalidChatRequest("the messages hold no user message, so there is no question to answer",
                                 {"param": "messages"})
    index, last = asked[-1]
    # Assistant replies and system prompts are left out: the service answers from its articles alone.
    earlier = [text for text in (_text(m) for _, m in asked[:-1]) if text.strip()]
    # A long chat keeps going: its latest questions are what a follow-up refers to.
    return Conversation(_question(index, last), tuple(earlier[-MAX_HISTORY:]))


def _question(index: int, message: ChatMessageIn) -> str:
    if isinstance(message.content, list):
        unread = sorted({part.type[:SHOWN_CHARS] for part in message.content if part.type != "text"})
        if unread:
            raise InvalidChatRequest(
                f"messages[{index}] holds parts of type {', '.join(map(repr, unread))}; the service reads only text",
                {"param": f"messages[{index}].content"},
            )
    return _text(message)


def _text(message: ChatMessageIn) -> str:
    if isinstance(message.content, list):
        return "\n".join(part.text or "" for part in message.content if part.type == "text")
    return message.content or ""


def prompt_text(request: ChatCompletionIn) -> str:
    """Everything the messages say, which a model would have read: what `usage` counts as the prompt."""
    return "\n".join(_text(message) for message in request.messages)
