"""OpenAI's chat completions API, so that chat front ends and libraries use the service as the model `news-qa`."""

import json
import logging
from collections.abc import AsyncIterator
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.chat.completions import (Envelope, answer_chunks, completion, estimated_tokens, first_chunk,
                                  new_envelope)
from api.chat.conversation import check_honourable, conversation_of, prompt_text
from api.chat.schemas import (MODEL_CREATED, MODEL_ID, ChatCompletionIn, ChatCompletionOut, ModelListOut,
                              chunk_example)
from api.dependencies import API_PREFIX, AccessDep, ServiceDep, answering
from api.errors import ErrorResponse
from api.parameters import question_query
from qa.access import Access
from qa.errors import QAError
from qa.query import Query
from qa.retrieval.retriever import Retrieval
from qa.service import QAService

ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 413, 415, 422, 429, 503)}
STREAM_EXAMPLE = "".join(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n" for chunk in chunk_example()) + (
    "data: [DONE]\n\n")
REPLY = {"content": {"text/event-stream": {"example": STREAM_EXAMPLE}},
         "description": "A `chat.completion` object; with `stream: true`, Server-Sent Events: `chat.completion.chunk`s "
                        "(the first with the role, then the content, the last with `finish_reason` and the "
                        "citations), then `[DONE]`. A failure after the first chunk is a `data:` line in the one "
                        "error shape."}

router = APIRouter(prefix=API_PREFIX, tags=["chat"])
log = logging.getLogger(__name__)


@router.get("/models", response_model=ModelListOut, responses={s: {"model": ErrorResponse} for s in (401, 429)},
            summary="The models, as OpenAI lists them: the one model, news-qa")
async def list_models() -> dict:
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": MODEL_CREATED,
                                        "owned_by": MODEL_ID}]}


@router.post("/chat/completions", response_model=ChatCompletionOut, responses={**ERRORS, 200: REPLY},
             summary="Answer the last question of a chat, as OpenAI's chat completions API")
async def chat_completions(body: ChatCompletionIn, service: ServiceDep, access: AccessDep) -> dict | StreamingResponse:
    check_honourable(body)
    query = _query(body, access)
    envelope, prompt_tokens = new_envelope(), estimated_tokens(prompt_text(body))
    if not body.stream:
        return completion(envelope, await answering(service, service.ask, query), prompt_tokens)
    # Retrieval runs before the stream starts, so a bad question is a plain JSON error.
    retrieval = await answering(service, service.retrieve, query)
    with_usage = bool(body.stream_options and body.stream_options.include_usage)
    return StreamingResponse(
        _chunks(service, retrieval, envelope, prompt_tokens, with_usage), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _query(body: ChatCompletionIn, access: Access) -> Query:
    conversation = conversation_of(body)
    return question_query(conversation.question, access, body.top_k, body.filters, body.as_of,
                          conversation.earlier_questions)


async def _chunks(service: QAService, retrieval: Retrieval, envelope: Envelope, prompt_tokens: int,
                  with_usage: bool) -> AsyncIterator[str]:
    yield _data(first_chunk(envelope, with_usage))
    try:
        answer = await answering(service, service.answer, retrieval)
    except QAError as error:
        # The status line is already sent: the failure travels as data in the one error shape, which
        # OpenAI's clients raise as an error.
        yield _data({"error": {"code": error.code, "message": error.message}})
        return
    except Exception:
        # The question rides on the record, out of its message, as api.routes.questions logs it.
        log.exception("answering a chat's question failed after its first chunk was sent",
                      extra={"question": retrieval.question})
        yield _data({"error": {"code": "internal_error", "message": "the answer could not be composed"}})
        return
    for chunk in answer_chunks(envelope, answer, prompt_tokens, with_usage):
        yield _data(chunk)
    yield "data: [DONE]\n\n"


def _data(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
