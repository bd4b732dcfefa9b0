"""When the best sentence does not stand alone, the one after it completes the answer: a lead-in that
announces what follows ("Key areas included:", "He said the following."), a speaker's sentence
followed by more of the same speaker's words ("Netanyahu's discussion highlighted Israel's right to
self-defense." then "He emphasized that any nation … would respond"), or a sentence that only says
again what the question says, leaving the answer to the next. A sentence that starts with "it" or
"this" leans on the one before it, which says what it is.
"""

import re

from index.records import SpeechRecord
from qa.models import Span
from qa.speech.topics import POINTS_BACK
from qa.text.sentences import adjacent_sentences
from qa.text.words import content_words

# "…:", "… the following.", "… as follows", "… —": the sentence hands over to the next.
ANNOUNCES = re.compile(r"(?::|\bthe following\W*|\bas follows\W*|\s[—–-])\s*$", re.IGNORECASE)
# "It slumped again on Thursday.", "This is the first time …": the thing is named the sentence before.
# "This" and "these" stand alone only before a verb: "this year" names its own time.
POINTS_BACK_TO_A_THING = re.compile(
    r"^\W*(?:(?:on|by|in|at) \w+, )?(?:it|they|(?:this|that|these|those) (?:is|was|are|were|has|had|have|will|would|"
    r"could|can|may|might|means|meant))\b",
    re.IGNORECASE,
)
# A sentence whose content words are nearly all the question's says the question again.
RESTATES = 0.8


def next_sentence(text: str, sentence: Span, speech: list[SpeechRecord], question: str | None) -> Span | None:
    """The sentence right after `sentence` when it completes it, else None. `question` is the question of
    fact asked, if any: a speaker's statement that repeats the question's words is their answer."""
    after = adjacent_sentences(text, sentence)[1]
    if after is None:
        return None
    quote = text[sentence.start : sentence.end]
    if ANNOUNCES.search(quote) or (question is not None and _restates(quote, question)):
        return after
    speaker = _speaker(speech, sentence)
    if speaker is not None and _speaker(speech, after) == speaker and POINTS_BACK.match(text[after.start : after.end]):
        return after
    return None


def _restates(sentence: str, question: str) -> bool:
    said, asked = content_words(sentence), content_words(question)
    return bool(said) and len(said & asked) / len(said) >= RESTATES


def _speaker(speech: list[SpeechRecord], sentence: Span) -> str | None:
    return next((s.speaker for s in speech if s.start == sentence.start and s.end == sentence.end), None)


def previous_sentence(text: str, sentence: Span) -> Span | None:
    """The sentence right before `sentence` when `sentence` leans on it for what it speaks of."""
    if not POINTS_BACK_TO_A_THING.match(text[sentence.start : sentence.end]):
        return None
    return adjacent_sentences(text, sentence)[0]
