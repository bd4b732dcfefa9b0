"""Who is speaking in each sentence of an article, read from spaCy's dependency parse.

A sentence reports speech when a communication verb ("said", "told", "warned", "wrote", …) outside
its quotation marks has a subject, or when it says "according to X". The subject is resolved to the
fullest name the article gives (`people.People`): a surname, an acronym, a title or a pronoun. A
subject that names nobody ("officials said", "a spokesperson told") is an unnamed source: recorded
with no speaker, never given a nearby name. Sentences inside a quotation that runs over several
sentences or paragraphs, and a quotation standing alone right after an attributed one, belong to
that quotation's speaker.

Only sentences holding a communication word are parsed: most of an article is narration, and
parsing is most of the cost.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.records import SpeechRecord
from qa.text.sentences import sentence_spans
from qa.speech.cues import CUE_WORDS, ORGANISATION_NOUNS, PERSON_PRONOUNS, RELAY_VERBS, SOURCE_NOUNS, THING_PRONOUNS
from qa.speech.parse import (
    ORGANISATION_LABELS, PERSON_LABELS, QUOTE_MARKS, cues, depth, is_definite, is_pronoun, name_of, quoted_tokens,
    verb_of,
)
from qa.speech.people import People
from qa.speech.quotes import QuotedSentence, quoted_sentences

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Token

# Part of what an ingested article records: when these rules change, articles are redone.
SPEECH_VERSION = 9

# A quotation of this many characters or more is cut to a word before parsing (see _short_quotations).
LONG_QUOTATION = re.compile(r"([“\"])([^“”\"]{40,}?)([,.?!]?)([”\"])")
# What a name is written with: a "name" holding markup or symbols is the parser misreading the text.
NAME_CHARACTERS = re.compile(r"[^\W_](?:[\w .'’&-]*\w)?\.?")
# How far back a pronoun looks for whom it stands for.
PRONOUN_REACH = 3


@dataclass(frozen=True)
class _Said:
    """One sentence's speaker as read from its own words: a name (a person's or an organisation's),
    or None for an unnamed source."""

    speaker: str | None
    cue: str
    person: bool = False


def attributions(text: str, nlp: "Language") -> list[SpeechRecord]:
    """Every sentence of `text` that reports someone's speech, in text order."""
    return _Article(text, nlp).attributions()


class _Article:
    """One article read for speech: its sentences, the quotations over them, its people."""

    def __init__(self, text: str, nlp: "Language") -> None:
        self.text = text
        self.nlp = nlp
        self.sentences = quoted_sentences(text, sentence_spans(text))
        # The parser's common English words tell a capitalised sentence opener ("However Biden") from a
        # name. The domain's STOPWORDS (qa.text.words) are a topic's glue, "new" and "week" among them:
        # with them, about half of 500 realtimeqa articles tried resolve their surnames otherwise.
        self.people = People(text, nlp.Defaults.stop_words)
        wanted = [i for i, s in enumerate(self.sentences) if CUE_WORDS.search(text, s.span.start, s.span.end)]
        self.docs = dict(zip(wanted, nlp.pipe(_short_quotations(self._sentence_text(i)) for i in wanted)))
        for doc in self.docs.values():
            for entity in doc.ents:
                self.people.learn(entity.text, entity.label_)
        self.own: list[_Said | None] = []
        self.cued: set[int] = set()  # sentences with a cue of speech outside their quotations

    def attributions(self) -> list[SpeechRecord]:
        for index in range(len(self.sentences)):
            doc = self.docs.get(index)
            self.own.append(self._speaker(index, doc) if doc is not None else None)
        speakers = _through_quotations(self.sentences, self.own, [i in self.cued for i in range(len(self.sentences))])
        return [
            SpeechRecord(s.span.start, s.span.end, said.speaker, said.cue,
                         self.people.titles_of(said.speaker) if said.speaker else (), _kind(s, self.own[i], self.text))
            for i, (s, said) in enumerate(zip(self.sentences, speakers)) if said is not None
        ]

    def _sentence_text(self, index: int) -> str:
        span = self.sentences[index].span
        return self.text[span.start : span.end]

    def _speaker(self, index: int, doc) -> _Said | None:
        """The speaker this sentence names for itself, from its best cue outside quotation marks."""
        found = []
        for cue, subject in cues(doc, quoted_tokens(doc)):
            self.cued.add(index)
            said = self._resolve(index, subject, cue)
            if said is not None:
                found.append((cue, said))
        if not found:
            return None
        # The main clause's cue first; a relaying agency's last.
        found.sort(key=lambda pair: (verb_of(pair[0]) in RELAY_VERBS, depth(pair[0])))
        return found[0][1]

    def _resolve(self, index: int, subject: "Token", cue: "Token") -> _Said | None:
        """Who the subject is: a name, an unnamed source (speaker None), or None when it cannot be told."""
        cue_name = "according to" if cue.lower_ == "according" else verb_of(cue)
        lowered = subject.lower_
        if lowered in PERSON_PRONOUNS or lowered in THING_PRONOUNS:
            return self._antecedent(index, person=lowered in PERSON_PRONOUNS, cue=cue_name)
        if is_pronoun(subject):
            return None  # "they", "we", "I", "you": too loose to name anyone
        named = name_of(subject, self.people)
        if named and NAME_CHARACTERS.fullmatch(named[0]):
            name, label = named
            full = self.people.full(name)
            # A person's, when the parser says so or when it is a surname the article gives in full
            # ("Vergeer" for Esther Vergeer, whatever the parser made of it): "he said" may refer back to it.
            surname = len(name.split()) == 1 and full != name and self.people.is_person(full)
            return _Said(full, cue_name, label in PERSON_LABELS or surname or (label == "" and self.people.is_person(full)))
        phrase = " ".join(t.text for t in subject.subtree if t.dep_ not in ("relcl", "prep", "acl") and t.i <= subject.i)
        titled = self.people.titled(phrase)
        if titled:
            return _Said(titled, cue_name, True)
        if lowered in ORGANISATION_NOUNS and is_definite(subject):
            # "the company said": the organisation the article is about, the one it names most.
            organisation = self.people.most_mentioned_organisation(self.text, self.sentences[index].span.start)
            if organisation is not None:
                return _Said(organisation, cue_name)
        if lowered in SOURCE_NOUNS and is_definite(subject):
            said = self._antecedent(index, person=False, cue=cue_name)
            if said is not None:
                return said
        return _Said(None, cue_name)

    def _antecedent(self, index: int, person: bool, cue: str) -> _Said | None:
        """Whom a pronoun ("he", "it") stands for: the last speaker of its kind in the sentences just
        before, else the one named as the subject there."""
        for back in range(index - 1, max(-1, index - 1 - PRONOUN_REACH), -1):
            said = self.own[back]
            if said is not None and said.speaker and said.person == person:
                return _Said(said.speaker, cue, person)
            doc = self._doc(back)
            subjects = [t for t in doc if t.dep_ == "nsubj" and t.ent_type_ in (PERSON_LABELS if person else ORGANISATION_LABELS)]
            if subjects:
                named = name_of(subjects[0], self.people)
                if named:
                    return _Said(self.people.full(named[0]), cue, person)
        earlier = (said for said in reversed(self.own[:index]) if said is not None and said.speaker and said.person == person)
        last = next(earlier, None)
        return _Said(last.speaker, cue, person) if last else None

    def _doc(self, index: int):
        if index not in self.docs:
            self.docs[index] = self.nlp(_short_quotations(self._sentence_text(index)))
        return self.docs[index]


def _short_quotations(sentence: str) -> str:
    """The sentence with each long quotation cut to a word: what is quoted is not parsed for its
    speaker, and the parse of who says it is as good (a quarter of the words parsed, saved)."""
    return LONG_QUOTATION.sub(r"\1Yes\3\4", sentence)


def _through_quotations(sentences: list[QuotedSentence], own: list[_Said | None], cued: list[bool]) -> list[_Said | None]:
    """Each sentence's speaker, its own or that of the quotation it belongs to."""
    speakers = list(own)
    start = 0
    while start < len(sentences):
        end = start
        while end + 1 < len(sentences) and sentences[end + 1].continues:
            end += 1
        run = range(start, end + 1)
        # A quotation over several sentences: whoever one of its sentences names says all of them;
        # a quotation naming no one, right after an attributed one, goes on in the same voice.
        named = next((own[i] for i in run if own[i] is not None), None)
        if named is None and start > 0 and _quotes_alone(sentences, run) and sentences[start - 1].has_quote:
            named = speakers[start - 1]
        for i in run:
            if speakers[i] is None:
                speakers[i] = named
        start = end + 1
    # Words quoted in the sentence right after someone's quoted words are theirs too ("… wrote Luce.
    # The GOP is more “strongly motivated by what it hates”."), unless it has a speech cue of its own,
    # which may name someone else.
    for i in range(1, len(sentences)):
        if speakers[i] is None and not cued[i] and sentences[i].quoted and speakers[i - 1] and sentences[i - 1].has_quote:
            speakers[i] = speakers[i - 1]
    return speakers


def _quotes_alone(sentences: list[QuotedSentence], run: range) -> bool:
    """Whether these sentences are all quotation, with no words of the reporter's around it."""
    return sum(sentences[i].quoted for i in run) >= 0.8 * sum(sentences[i].length for i in run)


def _kind(sentence: QuotedSentence, own: _Said | None, text: str) -> str:
    if own is None or sentence.continues:
        return "direct"  # a sentence of someone's quotation
    share = sentence.share_quoted
    if share == 0:
        return "indirect"
    # A quotation followed by who said it ("“…,” said X, the …") is direct however long the attribution.
    return "direct" if share >= 0.6 or text[sentence.span.start] in QUOTE_MARKS else "mixed"
