"""The names and numbers of a sentence that may answer a question: of the kind it asks for
(qa.answering.answer_types), not named by the question itself, and near its words in the sentence.
Nearness is the oldest signal of extractive question answering: the answer stands beside the words
the question and the sentence share ("Barry Bonds holds the … record of 73 home runs")."""

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.catalog.terms import terms, terms_with_starts
from index.records import EntityRecord
from qa.answering.answer_types import AMOUNT, MONEY, PERCENT, AnswerType
from qa.models import Span
from qa.text.words import content_words, words

# A name right beside a word of the question is nearest (1); this many words farther, half as near.
HALF_NEAR_WORDS = 4
# Numbers written as words, which make an amount an amount ("two million", not "millions").
NUMBER_WORDS = frozenset("""
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion
trillion dozen half quarter
""".split())
COUNTED = MONEY | AMOUNT | PERCENT
# "(CNN)", "London CNN —", "ARLINGTON, Texas (AP) —": the outlet's credit before the story starts.
CREDIT_AFTER = re.compile(r"\s*(?:\)|—|–|--)")


@dataclass(frozen=True)
class TypedSpan:
    """Characters `start`..`end` of an article, a name or number of kind `label`; `nearness` from 0
    (no word of the question in its sentence) to 1 (right beside one)."""

    start: int
    end: int
    label: str
    nearness: float


@dataclass(frozen=True)
class AskedWords:
    """What of the question a sentence is compared with: its words as written (a name the question
    gives is no answer) and its content words' stems (which the answer stands near)."""

    written: frozenset[str]
    stems: frozenset[str]

    @classmethod
    def of(cls, question: str) -> "AskedWords":
        return cls(frozenset(words(question)), frozenset(terms(" ".join(content_words(question)))))


def typed_spans(
    text: str, sentence: Span, entities: Sequence[EntityRecord], kind: AnswerType, asked: AskedWords,
    outlet: str | None = None,
) -> list[TypedSpan]:
    """The sentence's spans of the kind asked for, nearest the question's words first; the outlet
    that published the article (`outlet`, its site) is not an answer about its own story. `entities`
    are in text order (as stored)."""
    inside = [
        e for e in _within(entities, sentence)
        if e.label in kind.labels and _may_answer(text, sentence, e, asked, outlet)
    ]
    if not inside:
        return []  # most sentences: no words need stemming
    stems, starts = terms_with_starts(text[sentence.start : sentence.end])
    shared = [i for i, stem in enumerate(stems) if stem in asked.stems]
    found = []
    for entity in inside:
        first, last = (int(i) for i in starts.searchsorted([entity.start - sentence.start, entity.end - sentence.start]))
        outside = [i for i in shared if not first <= i < last]
        distance = min((first - i if i < first else i - last + 1 for i in outside), default=None)
        nearness = 0.0 if distance is None else 1.0 / (1.0 + (distance - 1) / HALF_NEAR_WORDS)
        found.append(TypedSpan(entity.start, entity.end, entity.label, nearness))
    return sorted(found, key=lambda s: -s.nearness)


def _within(entities: Sequence[EntityRecord], sentence: Span) -> Sequence[EntityRecord]:
    """The entities lying inside the sentence, found by bisection in the sorted list."""
    first = bisect.bisect_left(entities, sentence.start, key=lambda e: e.start)
    last = bisect.bisect_left(entities, sentence.end, key=lambda e: e.start)
    return [e for e in entities[first:last] if e.end <= sentence.end]


def _may_answer(text: str, sentence: Span, entity: EntityRecord, asked: AskedWords, outlet: str | None) -> bool:
    name = text[entity.start : entity.end]
    if set(words(name)) <= asked.written or _credit(text, sentence, entity) or _is_outlet(name, outlet):
        return False
    return entity.label not in COUNTED or _counts(name)  # "millions", "a little more than": no number to give


def _counts(name: str) -> bool:
    return any(c.isdigit() for c in name) or any(w in NUMBER_WORDS for w in words(name))


def _credit(text: str, sentence: Span, entity: EntityRecord) -> bool:
    """Whether the entity is the outlet credited at the start of a story ("(CNN)", "London CNN —")."""
    return entity.start - sentence.start <= 30 and CREDIT_AFTER.match(text, entity.end) is not None


def _is_outlet(name: str, outlet: str | None) -> bool:
    """Whether a name is the outlet's ("USA TODAY Sports" of usatoday.com, "CNN" of cnn.com)."""
    if not outlet:
        return False
    site = "".join(words(outlet.lower().removeprefix("www.").split(".")[0]))
    letters = "".join(words(name.lower().removeprefix("the ")))
    return len(site) >= 2 and len(letters) >= 2 and (letters.startswith(site) or site.startswith(letters))
