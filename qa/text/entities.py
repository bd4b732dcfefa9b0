"""The named things of an article, found once at ingest with spaCy's entity recognizer: people,
bodies, places, dates, amounts. Answers prefer the sentences holding the kind of thing a question asks
for (qa.answering.answer_types), without parsing anything when the question comes.

News style puts the titles of works in quotation marks ("“Squid Game” is coming back"), which the
small recognizer mostly misses: a short quotation of capitalised words that it left unlabelled is
taken for a title (WORK_OF_ART).

Only the recognizer runs (and the shared token vectors if it listens to them): the tagger and the
parser, which speech attribution needs for a few sentences, would triple the cost over every line.
"""

import re
from typing import TYPE_CHECKING

from index.records import EntityRecord
from qa.text.pipeline import load_pipeline

if TYPE_CHECKING:
    from spacy.language import Language

# Part of what an ingested article records: when the recognition changes, articles are redone.
ENTITIES_VERSION = 1
# The recognizer reads a line at a time (a paragraph, in news text); longer lines are cut at a space.
LONGEST_LINE = 5_000
BATCH_LINES = 64
# A quoted title: one to six words, each capitalised or a short joining word ("of", "the", "and").
JOINING = ("of", "the", "and", "a", "an", "in", "on", "for", "to", "with")
TITLE_WORD = r"[A-Z0-9][\w'’:&.!-]*"
QUOTED_TITLE = re.compile(rf"[“\"]({TITLE_WORD}(?: (?:{TITLE_WORD}|{'|'.join(JOINING)})){{0,5}})[,.!?]?[”\"]")


class EntityReader:
    """Finds the entities of an article's text with the named pipeline, loaded at the first article."""

    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline

    def __call__(self, text: str) -> list[EntityRecord]:
        nlp = load_pipeline(self.pipeline)
        lines = list(_lines(text))
        docs = nlp.pipe((text[start:end] for start, end in lines), batch_size=BATCH_LINES, disable=_not_needed(nlp))
        found = [
            EntityRecord(start + entity.start_char, start + entity.end_char, entity.label_)
            for (start, _), doc in zip(lines, docs) for entity in doc.ents
        ]
        return sorted(found + _quoted_titles(text, found), key=lambda e: (e.start, e.end))


def _not_needed(nlp: "Language") -> list[str]:
    """Every component but the recognizer and what it listens to."""
    needed = {"ner"}
    for name, component in nlp.pipeline:
        if "ner" in getattr(component, "listening_components", ()):
            needed.add(name)
    return [name for name in nlp.pipe_names if name not in needed]


def _lines(text: str):
    """(start, end) of each non-blank line, cut at a space when longer than LONGEST_LINE."""
    position = 0
    for line in text.split("\n"):
        start, end = position, position + len(line)
        position = end + 1
        while start < end:
            stop = end if end - start <= LONGEST_LINE else _cut(text, start)
            if text[start:stop].strip():
                yield start, stop
            start = stop


def _quoted_titles(text: str, found: list[EntityRecord]) -> list[EntityRecord]:
    """Quoted titles the recognizer left unlabelled, as WORK_OF_ART. A single word with punctuation
    inside the quotation marks ("“Absolutely,” he said") is a reply, not a title."""
    titles = []
    for match in QUOTED_TITLE.finditer(text):
        start, end = match.span(1)
        title_words = text[start:end].split()
        if title_words[-1] in JOINING or (len(title_words) == 1 and match.end(1) + 1 < match.end()):
            continue
        if not any(e.start < end and start < e.end for e in found):
            titles.append(EntityRecord(start, end, "WORK_OF_ART"))
    return titles


def _cut(text: str, start: int) -> int:
    """Where a line too long to read at once is cut: after its last space within LONGEST_LINE."""
    return text.rfind(" ", start, start + LONGEST_LINE) + 1 or start + LONGEST_LINE
