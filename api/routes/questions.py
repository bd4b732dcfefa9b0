"""Questions: ask (JSON or a stream of events) and search."""

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query as QueryParam
from fastapi.responses import StreamingResponse

from api.dependencies import API_PREFIX, AccessDep, ServiceDep, answering, known_parameters
from api.errors import ErrorResponse
from api.parameters import FILTER_PARAMETERS, FilterDep, question_query
from api.schemas import SOME_TEXT, AnswerOut, AskIn, SearchOut
from qa.access import Access
from qa.errors import QAError
from qa.json_shapes import answer_json, passage_json
from qa.query import Query
from qa.retrieval.retriever import Retrieval
from qa.service import QAService

ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 403, 413, 415, 422, 429, 503)}
STREAM_EXAMPLE = (
    'event: passages\ndata: {"passages": [...]}\n\n'
    'event: answer\ndata: {"rewritten_question": null, "answerable": true, "reason": null, "answer": "...", '
    '"short_answer": null, "generated": false, "dates": null}\n\n'
    'event: citations\ndata: {"citations": [...]}\n\n'
    'event: done\ndata: {"elapsed_ms": 42}\n\n'
)

SEARCH_PARAMETERS = ("q", "top_k", *FILTER_PARAMETERS)

router = APIRouter(prefix=API_PREFIX, tags=["questions"])
log = logging.getLogger(__name__)


@router.post("/ask", response_model=AnswerOut, responses=ERRORS, summary="Answer a question with cited sentences")
async def ask(body: AskIn, service: ServiceDep, access: AccessDep) -> dict:
    return answer_json(await answering(service, service.ask, query_from(body, access)))


@router.post(
    "/ask/stream",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {"example": STREAM_EXAMPLE}},
                               "description": "Server-Sent Events: passages, answer, citations, then done. When "
                                              "the answer lists other passages (the articles it cites first; "
                                              "for `outside_date_range`, the nearest ones without the dates "
                                              "asked), a second passages event replaces the first before the "
                                              "answer."}},
    response_class=StreamingResponse,
    summary="Answer a question as Server-Sent Events",
)
async def ask_stream(body: AskIn, service: ServiceDep, access: AccessDep) -> StreamingResponse:
    # Retrieval runs before the stream starts, so a bad question is a plain JSON error.
    started = time.perf_counter()
    retrieval = await answering(service, service.retrieve, query_from(body, access))
    return StreamingResponse(
        _events(service, retrieval, started), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/search", response_model=SearchOut, responses=ERRORS, summary="Find passages, without an answer")
async def search(
    service: ServiceDep,
    access: AccessDep,
    _: Annotated[None, known_parameters(*SEARCH_PARAMETERS)],
    limits: FilterDep,
    q: Annotated[str, QueryParam(description="The question or keywords.", json_schema_extra={"pattern": SOME_TEXT})],
    top_k: Annotated[int | None, QueryParam(ge=1, description="Passages to return.")] = None,
) -> dict:
    passages = await answering(service, service.search, Query(q, top_k, limits.filters, limits.as_of, access))
    return {"query": q, "passages": [passage_json(p) for p in passages]}


def query_from(body: AskIn, access: Access) -> Query:
    return question_query(body.question, access, body.top_k, body.filters, body.as_of, body.history or ())


async def _events(service: QAService, retrieval: Retrieval, started: float) -> AsyncIterator[str]:
    listed = retrieval.passages[: retrieval.top_k]
    yield _event("passages", {"passages": [passage_json(p) for p in listed]})
    try:
        answered = await answering(service, service.answer, retrieval)
        answer = answer_json(answered)
    except QAError as error:
        # The status line is already sent: the failure travels as an event in the one error shape.
        yield _event("error", {"error": {"code": error.code, "message": error.message}})
        return
    except Exception:
        # The question rides on the record, not in its message: the log keeps it only with QA_LOG_QUESTIONS.
        log.exception("answering a question failed after its passages were sent",
                      extra={"question": retrieval.question})
        yield _event("error", {"error": {"code": "internal_error", "message": "the answer could not be composed"}})
        return
    if answered.passages != listed:
        yield _event("passages", {"passages": answer["passages"]})
    answer_fields = ("rewritten_question", "answerable", "reason", "answer", "short_answer", "generated", "dates")
    yield _event("answer", {k: answer[k] for k in answer_fields})
    yield _event("citations", {"citations": answer["citations"]})
    yield _event("done", {"elapsed_ms": round((time.perf_counter() - started) * 1000)})


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
