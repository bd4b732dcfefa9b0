"""An optional written answer from an OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama,
hosted APIs), grounded in numbered evidence sentences, with every [n] marker checked against the
sentence it cites: a sentence whose markers do not hold up is dropped, and if nothing holds up the
extractive answer stands."""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from qa.models import Citation
from qa.text.sentences import sentence_spans
from qa.text.words import content_words

MARKER = re.compile(r"\s*\[(\d{1,2})\]")
NOT_IN_SOURCES = "NOT IN THE SOURCES"
# A written sentence is supported when this share of its content words appear in the sentences it cites.
SUPPORT = 0.6
# Content words of three letters or more count towards that share.
SUPPORT_MIN_WORD_LENGTH = 3
INSTRUCTIONS = (
    "You answer questions about news articles using only the numbered sentences given. Write one to three "
    "short sentences. After each sentence put the numbers of the sentences it relies on in brackets, like [2] "
    f"or [1][3]. Do not add facts that are not in them. If they do not answer the question, reply exactly: "
    f"{NOT_IN_SOURCES}"
)

log = logging.getLogger(__name__)


class ChatModel(Protocol):
    def complete(self, messages: list[dict[str, str]]) -> str:
        """The model's reply; raises GenerationFailed when there is none."""
        ...


class GenerationFailed(Exception):
    pass


@dataclass(frozen=True)
class WrittenAnswer:
    """Text whose [n] markers number `citations` from 1, each one checked to support its sentence."""

    text: str
    citations: tuple[Citation, ...]


class AnswerWriter:
    def __init__(self, model: ChatModel) -> None:
        self._model = model

    def write(self, question: str, evidence: Sequence[Citation]) -> WrittenAnswer | None:
        """A written answer citing the evidence, or None when the model fails, declines or is unsupported."""
        if not evidence:
            return None
        try:
            reply = self._model.complete(_messages(question, evidence))
        except GenerationFailed as error:
            log.warning("the answer model failed, keeping the extractive answer: %s", error)
            return None
        if NOT_IN_SOURCES in reply.upper():
            return None
        return _verified(reply, evidence)


def _messages(question: str, evidence: Sequence[Citation]) -> list[dict[str, str]]:
    numbered = "\n".join(f"[{n}] {c.quote}" for n, c in enumerate(evidence, start=1))
    return [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": f"Sentences:\n{numbered}\n\nQuestion: {question}"},
    ]


def _verified(reply: str, evidence: Sequence[Citation]) -> WrittenAnswer | None:
    kept_sentences: list[str] = []
    used: list[int] = []
    for span in sentence_spans(reply):
        sentence = reply[span.start : span.end]
        cited = [int(n) for n in MARKER.findall(sentence) if 1 <= int(n) <= len(evidence)]
        claim = MARKER.sub("", sentence).strip()
        supporting = [n for n in dict.fromkeys(cited) if _supports(evidence[n - 1].quote, claim)]
        if not claim or not supporting:
            continue  # unsupported or uncited: left out
        for n in supporting:
            if n not in used:
                used.append(n)
        markers = "".join(f"[{used.index(n) + 1}]" for n in supporting)
        kept_sentences.append(f"{claim} {markers}")
    if not kept_sentences:
        return None
    return WrittenAnswer(" ".join(kept_sentences), tuple(evidence[n - 1] for n in used))


def _supports(source: str, claim: str) -> bool:
    words = content_words(claim, SUPPORT_MIN_WORD_LENGTH)
    return bool(words) and len(words & content_words(source, SUPPORT_MIN_WORD_LENGTH)) / len(words) >= SUPPORT
