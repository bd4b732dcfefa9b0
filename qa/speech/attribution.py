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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.records import SpeechRecord
from qa.models import Span
from qa.sentences import sentence_spans
from qa.speech.cues import (
    CUE_WORDS, DOCUMENT_NOUNS, INVERTING, ORGANISATION_NOUNS, PERSON_PRONOUNS, RELAY_VERBS, SOURCE_NOUNS,
    SPEECH_VERBS, SPEECH_WITH_CLAUSE, THING_PRONOUNS, VERB_OF,
)
from qa.speech.people import TITLE_WORDS, People
from qa.speech.quotes import QuotedSentence, quoted_sentences

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Span as SpacySpan, Token

# Part of what an ingested article records: when these rules change, articles are redone.
SPEECH_VERSION = 8

# Small words inside a name, between its capitalised words.
NAME_PARTICLES = {"von", "van", "der", "den", "de", "da", "di", "du", "del", "la", "le", "al", "bin", "dos", "ter"}
# Common nouns for a body that speaks, whose name may stand in front of them.
BODY_NOUNS = {
    "house", "company", "firm", "group", "agency", "office", "department", "ministry", "council", "committee",
    "union", "association", "bureau", "network", "team", "campaign", "administration", "government", "service",
    "institute", "website", "site", "newspaper", "broadcaster", "outlet", "channel", "spokesperson", "spokesman",
    "spokeswoman", "official", "officials", "lawmakers", "police",
}
# A quotation of this many characters or more is cut to a word before parsing (see _short_quotations).
LONG_QUOTATION = re.compile(r"([“\"])([^“”\"]{40,}?)([,.?!]?)([”\"])")
# A clause after a verb of speech is what was said.
CLAUSES = {"ccomp", "parataxis"}
PERSON_LABELS = {"PERSON"}
ORGANISATION_LABELS = {"ORG", "GPE"}
# Parts of a subject that belong to its name ("Transport commissioner Maria Alvarez", "John Kirby, a
# spokesperson", "Lelands auction house").
NAME_PARTS = {"compound", "flat", "appos", "nmod"}
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
        for cue, subject in _cues(doc, _quoted_tokens(doc)):
            self.cued.add(index)
            said = self._resolve(index, subject, cue)
            if said is not None:
                found.append((cue, said))
        if not found:
            return None
        # The main clause's cue first; a relaying agency's last.
        found.sort(key=lambda pair: (_verb(pair[0]) in RELAY_VERBS, _depth(pair[0])))
        return found[0][1]

    def _resolve(self, index: int, subject: "Token", cue: "Token") -> _Said | None:
        """Who the subject is: a name, an unnamed source (speaker None), or None when it cannot be told."""
        cue_name = "according to" if cue.lower_ == "according" else _verb(cue)
        lowered = subject.lower_
        if lowered in PERSON_PRONOUNS or lowered in THING_PRONOUNS:
            return self._antecedent(index, person=lowered in PERSON_PRONOUNS, cue=cue_name)
        if _pronoun(subject):
            return None  # "they", "we", "I", "you": too loose to name anyone
        named = _name(subject, self.people)
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
        if lowered in ORGANISATION_NOUNS and _definite(subject):
            # "the company said": the organisation the article is about, the one it names most.
            organisation = self.people.most_mentioned_organisation(self.text, self.sentences[index].span.start)
            if organisation is not None:
                return _Said(organisation, cue_name)
        if lowered in SOURCE_NOUNS and _definite(subject):
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
                named = _name(subjects[0], self.people)
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


def _cues(doc, inside: set[int]) -> Iterable[tuple["Token", "Token"]]:
    """(cue, subject) pairs: communication verbs with their subject, and "according to X"."""
    has_quote = bool(inside) or any(t.text in QUOTE_MARKS for t in doc)
    for token in doc:
        if token.i in inside:
            continue
        if token.lower_ == "according":
            target = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "to"), None)
            objects = [c for c in target.children if c.dep_ == "pobj"] if target is not None else []
            if objects:
                yield token, objects[0]
        elif _verbal(token) and _reports_speech(token, has_quote):
            subject = _subject(token)
            if subject is not None and subject.i not in inside:
                yield token, subject


def _verb(token: "Token") -> str:
    return VERB_OF.get(token.lower_, "")


def _reports_speech(verb: "Token", has_quote: bool) -> bool:
    lemma = _verb(verb)
    if any(c.dep_ == "neg" for c in verb.children):
        return False  # "has not said"
    if lemma in SPEECH_VERBS:
        return True
    if lemma == "call" and any(c.dep_ == "prep" and c.lower_ in ("on", "for") for c in verb.children):
        return True  # "called on Congress to …", "called for a ceasefire"
    return lemma in SPEECH_WITH_CLAUSE and (has_quote or any(c.dep_ in CLAUSES for c in verb.children))


def _subject(verb: "Token") -> "Token | None":
    inverted = _inverted_subject(verb)
    if inverted is not None:
        return inverted
    subjects = [c for c in verb.children if c.dep_ == "nsubj"]
    if subjects:
        # A dateline or a lead-in ("DETROIT -- The agency said", "Key quote: …, Zandi told") is a
        # subject too, to the parser: the one nearest the verb speaks.
        child = min(subjects, key=lambda c: abs(verb.i - c.i))
        # "X, who said …": the relative pronoun stands for the noun the clause hangs on.
        if child.lower_ in ("who", "that", "which") and verb.dep_ == "relcl":
            return verb.head
        return child
    # "…,” wrote Luce.": the parser may take an inverted subject for the object.
    after = [c for c in verb.children if c.i > verb.i and c.dep_ in ("dobj", "attr", "npadvmod") and _proper(c)]
    if after and after[0].i >= len(verb.doc) - 3:
        return after[0]
    if verb.dep_ == "conj" and _verbal(verb.head):
        return _subject(verb.head)  # "X said … and added …"
    if verb.dep_ == "advcl" and verb.tag_ == "VBG" and _verbal(verb.head):
        return _subject(verb.head)  # "X unveiled its plan, urging …", "X declined, indicating that …"
    return None


def _inverted_subject(verb: "Token") -> "Token | None":
    """"…, said The Guardian", "…”, wrote Shane Goldmacher in the NYT": after a comma or a closing
    quotation mark, the name right after the verb speaks, whatever the parser made the subject."""
    doc = verb.doc
    if _verb(verb) not in INVERTING or verb.i == 0 or doc[verb.i - 1].text not in (",", "”", '"'):
        return None
    if verb.i + 1 >= len(doc):
        return None
    after = doc[verb.i + 1]
    if after.lower_ == "the" and verb.i + 2 < len(doc):
        after = doc[verb.i + 2]
    if not _proper(after):
        return None
    head = after
    while head.dep_ in ("compound", "flat") and head.head.i > head.i:
        head = head.head
    return head if head.head.i == verb.i else None


def _name(subject: "Token", people: People) -> tuple[str, str] | None:
    """The name the subject gives, with its entity label ("" when the parser saw none): the subject
    itself, or a name beside it ("John Kirby, a spokesperson", "others, such as Gary Cushing")."""
    # A title alone is a name when the article names someone so ("Judge" for Aaron Judge).
    if _proper(subject) and (subject.lower_.rstrip(".") not in TITLE_WORDS or people.is_person(people.full(subject.text))):
        return _proper_name(subject), subject.ent_type_
    # "according to estimates from the CDC": the source of the figures.
    if subject.tag_ in ("NN", "NNS") and subject.lower_ in DOCUMENT_NOUNS:
        for prep in (c for c in subject.children if c.dep_ == "prep" and c.lower_ in ("from", "by", "of")):
            for source in (c for c in prep.children if c.dep_ == "pobj" and _proper(c)):
                return _proper_name(source), source.ent_type_
    # A name in front of a common noun speaks only for a body ("Lelands auction house"), not for a
    # thing ("Facebook posts").
    parts = NAME_PARTS if subject.lower_ in BODY_NOUNS else NAME_PARTS - {"compound"}
    candidates = [c for c in subject.children if c.dep_ in parts]
    # "Dollar Tree CEO and president Michael Witynski": the name is in the coordinated titles.
    for conj in (c for c in subject.children if c.dep_ == "conj"):
        candidates += [conj, *(c for c in conj.children if c.dep_ in NAME_PARTS)]
    for prep in (c for c in subject.children if c.dep_ == "prep" and c.lower_ == "as"):
        candidates += [c for c in prep.children if c.dep_ == "pobj"]
    for labels in (PERSON_LABELS, ORGANISATION_LABELS, {""}):
        for token in candidates:
            if _proper(token) and token.ent_type_ in labels and token.lower_.rstrip(".") not in TITLE_WORDS:
                if token.ent_type_ == "GPE" and token.dep_ == "compound":
                    return f"{_proper_name(token)} {subject.text}", "ORG"  # "the U.S. government"
                return _proper_name(token), token.ent_type_
    return None


def _proper_name(head: "Token") -> str:
    """The proper noun `head` with the name words just before it, not the titles ("Dollar Tree CEO
    and president Michael Witynski" -> "Michael Witynski")."""
    doc = head.doc
    entity = next((e for e in doc.ents if e.start <= head.i < e.end), None)
    if entity is not None and entity.label_ in ORGANISATION_LABELS and len(entity) > 1:
        # "the Centers for Disease Control and Prevention": an organisation's name runs past its head.
        return re.sub(r"^the ", "", entity.text, flags=re.IGNORECASE)
    # Where the parser's entity is the head word alone, it is no guide to where the name starts.
    bounded = entity is not None and len(entity) > 1
    start = head.i
    while start > 0 and _name_word(doc[start - 1], head, bounded) and doc[start - 1].head.i in range(start, head.i + 1):
        start -= 1
    return doc[start : head.i + 1].text


def _name_word(token: "Token", head: "Token", bounded: bool) -> bool:
    if token.text in ("-", "‐") and not token.whitespace_:
        return True  # "Hannah-Beth"
    if token.lower_ in NAME_PARTICLES and token.i > 0 and (_proper(token.doc[token.i - 1]) or token.doc[token.i - 1].lower_ in NAME_PARTICLES):
        return True  # "Ursula von der Leyen"
    if bounded and token.ent_type_ != head.ent_type_:
        return False  # the parser's entity ends there: "Should Youmans" is not a name
    return _proper(token) and token.lower_.rstrip(".") not in TITLE_WORDS
# Parts of speech read from the tagger's Penn Treebank tags: the attribute ruler that maps them to
# coarse ones costs a sixth of the parsing time, and is left out.
def _proper(token: "Token") -> bool:
    return token.tag_ in ("NNP", "NNPS")


def _verbal(token: "Token") -> bool:
    return token.tag_.startswith("VB")


def _pronoun(token: "Token") -> bool:
    return token.tag_ in ("PRP", "PRP$", "WP", "EX")


def _definite(token: "Token") -> bool:
    return any(c.dep_ == "det" and c.lower_ in ("the", "this") for c in token.children)


def _depth(token: "Token") -> int:
    depth = 0
    while token.head.i != token.i:
        token, depth = token.head, depth + 1
    return depth


QUOTE_MARKS = ("“", "”", '"', "«", "»")


def _quoted_tokens(doc) -> set[int]:
    """Tokens between quotation marks within the sentence: a verb quoted is not the reporter's cue."""
    inside, open_ = set(), False
    for token in doc:
        if token.text in QUOTE_MARKS:
            if token.text == "“" or token.text == "«" or (token.text == '"' and not open_):
                open_ = True
            else:
                open_ = False
            continue
        if open_:
            inside.add(token.i)
    return inside


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
