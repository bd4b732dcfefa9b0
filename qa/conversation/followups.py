"""A follow-up question ("And what did he say about Iran?") made into the standalone question the
earlier ones imply ("What did Netanyahu say about Iran?"): by the parse of the questions, or by a
language model when one is configured, falling back to the parse when it fails."""

import functools
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from qa.answering.generation import ChatModel, GenerationFailed
from qa.conversation.references import Context, remembered, standalone

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Parsed questions kept: the latest turns of the conversations going on.
PARSES_KEPT = 1024
# A model's rewriting longer than this many times the follow-up and its history is not a rewriting.
MAX_REWRITE_GROWTH = 2
INSTRUCTIONS = (
    "You rewrite the last question of a conversation about news so that it can be understood alone: "
    "replace pronouns and fill in the person, organisation or topic it leaves out, taken from the earlier "
    "questions. Change nothing else, and answer nothing. If it already stands alone, repeat it unchanged. "
    "Reply with the rewritten question only, on one line."
)

log = logging.getLogger(__name__)


class QuestionRewriter(Protocol):
    def standalone(self, question: str, history: Sequence[str]) -> str:
        """`question` as a question that stands alone, given the earlier questions (oldest first);
        the question itself when it already does."""
        ...


class AsAsked:
    """Keeps every question as it was asked."""

    def standalone(self, question: str, history: Sequence[str]) -> str:
        return question


class ParsedFollowUps:
    """Fills a follow-up from the people, organisations and topics of the questions before it, each
    of them made standalone in turn, so a chain of follow-ups keeps its thread."""

    def __init__(self, pipeline: Callable[[], "Language"]) -> None:
        self._pipeline = pipeline
        # A conversation sends its earlier questions again with every turn: each is parsed once.
        self._parsed = functools.lru_cache(maxsize=PARSES_KEPT)(self._parse)

    def standalone(self, question: str, history: Sequence[str]) -> str:
        if not history:
            return question
        context = Context()
        for earlier in history:
            context = remembered(context, self._parsed(standalone(self._parsed(earlier), context)))
        return standalone(self._parsed(question), context)

    def _parse(self, text: str) -> "Doc":
        return self._pipeline()(text)


class ModelFollowUps:
    """Asks the configured chat model to rewrite; keeps to the parse when the model fails or replies
    with something that is not a question's rewriting."""

    def __init__(self, model: ChatModel, fallback: QuestionRewriter) -> None:
        self._model = model
        self._fallback = fallback

    def standalone(self, question: str, history: Sequence[str]) -> str:
        try:
            reply = self._model.complete(_messages(question, history))
        except GenerationFailed as error:
            log.warning("the model could not rewrite a follow-up, reading it by its parse: %s", error)
            return self._fallback.standalone(question, history)
        rewritten = reply.strip().strip('"').strip()
        longest = MAX_REWRITE_GROWTH * (len(question) + sum(len(h) for h in history))
        if not rewritten or "\n" in rewritten or len(rewritten) > longest:
            log.warning("the model's rewriting of a follow-up was not one question; reading it by its parse")
            return self._fallback.standalone(question, history)
        return rewritten


def _messages(question: str, history: Sequence[str]) -> list[dict[str, str]]:
    earlier = "\n".join(f"- {h}" for h in history)
    return [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": f"Earlier questions:\n{earlier}\n\nLast question: {question}"},
    ]
