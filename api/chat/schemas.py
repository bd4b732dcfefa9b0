"""Request and response bodies of the OpenAI-compatible routes: OpenAI's chat completions shapes, plus the
service's own options in and the verified citations out."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from api.schemas import CITATION_EXAMPLE, QUOTE, CitationOut, FiltersIn, IsoMoment

MODEL_ID = "news-qa"
# When the model was first served, as OpenAI's model list dates each model (2026-12-04).
MODEL_CREATED = 1796342400
QUESTION = "Why did Netanyahu thank Putin?"
CONTENT_EXAMPLE = (f"{QUOTE} [1]\n\nSources:\n[1] \"{QUOTE}\" — {CITATION_EXAMPLE['title']}, news.example, "
                   "2023-12-10, https://news.example/netanyahu-putin")


def _openai(*examples: object) -> ConfigDict:
    # OpenAI's clients send parameters this service has no use for (temperature, tools, seed, …) and
    # add new ones over time: ignoring what is not listed keeps every such client working.
    return ConfigDict(extra="ignore", json_schema_extra={"examples": list(examples)})


class ContentPartIn(BaseModel):
    model_config = _openai({"type": "text", "text": QUESTION})

    type: str = Field(description="Only `text` parts are read.")
    text: str | None = None


class ChatMessageIn(BaseModel):
    model_config = _openai({"role": "user", "content": QUESTION})

    role: Literal["system", "developer", "user", "assistant", "tool", "function"] = Field(
        description="The last `user` message is the question, the earlier ones its conversation's earlier "
        "questions; the other roles are accepted and not read."
    )
    content: str | list[ContentPartIn] | None = Field(
        None, description="A string, or a list of parts whose `text` parts are joined."
    )
    name: str | None = None


class StreamOptionsIn(BaseModel):
    model_config = _openai({"include_usage": True})

    include_usage: bool | None = Field(None, description="Whether a last chunk before `[DONE]` carries `usage`.")


class ChatCompletionIn(BaseModel):
    model_config = _openai(
        {"model": MODEL_ID, "messages": [{"role": "user", "content": QUESTION}]},
        {"model": MODEL_ID, "stream": True, "top_k": 3, "filters": {"source": "news.example"}, "messages": [
            {"role": "user", "content": "What did Netanyahu say about Hamas?"},
            {"role": "assistant", "content": "…"},
            {"role": "user", "content": "And about Putin?"}]},
    )

    model: str = Field(description=f"The one model, `{MODEL_ID}`.", json_schema_extra={"enum": [MODEL_ID]})
    messages: list[ChatMessageIn] = Field(description="The conversation, oldest first; it needs a user message.")
    stream: bool | None = Field(None, description="Send the reply as `chat.completion.chunk` Server-Sent Events.")
    stream_options: StreamOptionsIn | None = None
    n: int | None = Field(None, ge=1, description="Replies to write; the service writes one, so only 1.")
    # Accepted as OpenAI's clients send them, and not used: the reply is the cited sentences, whatever these say.
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None
    # The service's own options, as /v1/ask takes them (an OpenAI client sends them in its `extra_body`).
    top_k: Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="Passages to search (default and maximum are settings)."
    )
    filters: FiltersIn | None = Field(None, description="Which articles may answer, as in `/v1/ask`.")
    as_of: IsoMoment | None = Field(
        None, description="ISO date or datetime the question is asked about; later articles are left out."
    )


class AssistantMessageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "assistant", "content": CONTENT_EXAMPLE}]})

    role: Literal["assistant"]
    content: str = Field(description="The answer with an [n] marker after each cited sentence, then a "
                         "`Sources:` list, one line per citation; or why the articles do not answer.")


class ChoiceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"index": 0, "message": {"role": "assistant", "content": CONTENT_EXAMPLE}, "finish_reason": "stop",
         "logprobs": None}]})

    index: int
    message: AssistantMessageOut
    finish_reason: Literal["stop"]
    logprobs: None = None


class UsageOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"prompt_tokens": 8, "completion_tokens": 120, "total_tokens": 128}]})

    prompt_tokens: int = Field(description="Estimated: about four characters a token.")
    completion_tokens: int
    total_tokens: int


class ChatCompletionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "chatcmpl-3f2a9c01d4e5b6a7c8d9e0f1", "object": "chat.completion", "created": MODEL_CREATED,
        "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": CONTENT_EXAMPLE},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 120, "total_tokens": 128},
        "citations": [CITATION_EXAMPLE], "rewritten_question": None, "answerable": True, "reason": None,
    }]})

    id: str
    object: Literal["chat.completion"]
    created: int = Field(description="Unix seconds.")
    model: str
    choices: list[ChoiceOut]
    usage: UsageOut
    # The service's own fields, which OpenAI's clients keep readable (`completion.citations` in Python).
    citations: list[CitationOut] = Field(description="The cited sentences, numbered from 1 as the [n] markers "
                                         "number them; each `quote` is its article's text[start:end].")
    rewritten_question: str | None = Field(description="The standalone question answered, when the last "
                                           "question was a follow-up of the earlier ones; null otherwise.")
    answerable: bool
    reason: Literal["no_relevant_passages", "low_confidence", "outside_date_range"] | None = Field(
        description="Why the articles do not answer, when they do not."
    )


class ModelOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_ID}]})

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"object": "list", "data": [
        {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_ID}]}]})

    object: Literal["list"]
    data: list[ModelOut]


def chunk_example() -> list[dict[str, Any]]:
    """The chunks of a short streamed reply, for the OpenAPI document."""
    envelope = {"id": "chatcmpl-3f2a9c01d4e5b6a7c8d9e0f1", "object": "chat.completion.chunk",
                "created": MODEL_CREATED, "model": MODEL_ID}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    return [chunk({"role": "assistant", "content": ""}), chunk({"content": f"{QUOTE} [1]"}),
            chunk({"content": "\n\nSources:\n"}),
            {**chunk({}, "stop"), "citations": [CITATION_EXAMPLE], "rewritten_question": None,
             "answerable": True, "reason": None}]

