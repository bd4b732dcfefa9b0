"""Server-Sent Events of `ask_stream`, read a line at a time: passages, answer, citations, then done."""

import json
from dataclasses import dataclass, field
from typing import Any

from news_qa_client.errors import INVALID_RESPONSE, NewsQAError


@dataclass(frozen=True)
class StreamEvent:
    """`event` is passages, answer, citations or done; `data` its JSON object (see the API's docs)."""

    event: str
    data: dict[str, Any]


@dataclass
class EventReader:
    """Collects an event's lines until the blank line that ends it. An `error` event (the answer failed
    after its passages were sent) is raised, in the error shape of every other failure."""

    event: str = "message"
    data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> StreamEvent | None:
        if line:
            self._add(line)
            return None
        if not self.data:
            return None
        event = StreamEvent(self.event, self._json("\n".join(self.data)))
        self.event, self.data = "message", []
        if event.event == "error":
            error = event.data.get("error", {})
            raise NewsQAError(None, error.get("code", "error"), error.get("message", "the answer failed"),
                              error.get("details"))
        return event

    def _add(self, line: str) -> None:
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        # Other fields (id, retry) and comments (":...") mean nothing to this API.

    def _json(self, text: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise NewsQAError(None, INVALID_RESPONSE, f"event {self.event!r} carries no JSON: {error}") from None
        if not isinstance(data, dict):
            raise NewsQAError(None, INVALID_RESPONSE, f"event {self.event!r} carries no JSON object")
        return data
