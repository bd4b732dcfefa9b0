"""OpenAI's envelopes around a reply: one `chat.completion` object, or the `chat.completion.chunk`s of a
stream; each carries the answer's citations as the service's own fields beside OpenAI's."""

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.chat.replies import reply_pieces
from api.chat.schemas import MODEL_ID
from qa.json_shapes import answer_json
from qa.models import Answer

ANSWERED_FIELDS = ("citations", "rewritten_question", "answerable", "reason")
# OpenAI's rule of thumb for English; the service runs no model whose tokens the reply is counted in.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Envelope:
    """What every object of one reply shares."""

    id: str
    created: int
    model: str = MODEL_ID


def new_envelope(clock: Callable[[], float] = time.time) -> Envelope:
    return Envelope(f"chatcmpl-{uuid.uuid4().hex[:24]}", int(clock()))


def completion(envelope: Envelope, answer: Answer, prompt_tokens: int) -> dict[str, Any]:
    content = "".join(reply_pieces(answer))
    return {
        **_head(envelope, "chat.completion"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop",
                     "logprobs": None}],
        "usage": _usage(prompt_tokens, content),
        **answered_fields(answer),
    }


def first_chunk(envelope: Envelope, with_usage: bool) -> dict[str, Any]:
    return _chunk(envelope, {"role": "assistant", "content": ""}, with_usage)


def answer_chunks(envelope: Envelope, answer: Answer, prompt_tokens: int, with_usage: bool) -> list[dict[str, Any]]:
    """The reply's pieces as content deltas, then the last chunk with the citations; and, when asked for,
    the usage in a chunk of its own, as OpenAI sends it."""
    pieces = reply_pieces(answer)
    chunks = [_chunk(envelope, {"content": piece}, with_usage) for piece in pieces]
    chunks.append({**_chunk(envelope, {}, with_usage, finish_reason="stop"), **answered_fields(answer)})
    if with_usage:
        chunks.append({**_head(envelope, "chat.completion.chunk"), "choices": [],
                       "usage": _usage(prompt_tokens, "".join(pieces))})
    return chunks


def answered_fields(answer: Answer) -> dict[str, Any]:
    shaped = answer_json(answer)
    return {name: shaped[name] for name in ANSWERED_FIELDS}


def estimated_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _head(envelope: Envelope, kind: str) -> dict[str, Any]:
    return {"id": envelope.id, "object": kind, "created": envelope.created, "model": envelope.model}


def _chunk(envelope: Envelope, delta: dict[str, str], with_usage: bool,
           finish_reason: str | None = None) -> dict[str, Any]:
    chunk = {**_head(envelope, "chat.completion.chunk"),
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}
    return {**chunk, "usage": None} if with_usage else chunk


def _usage(prompt_tokens: int, content: str) -> dict[str, int]:
    completion_tokens = estimated_tokens(content)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}
