"""Reading spaCy's parse of one sentence for reported speech: the cues (a verb of communication
outside quotation marks, "according to"), their subjects, and the names those subjects give.

Parts of speech are read from the tagger's Penn Treebank tags: the attribute ruler that maps them to
coarse ones costs a sixth of the parsing time, and is left out of the pipeline.
"""

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from qa.speech.cues import DOCUMENT_NOUNS, INVERTING, SPEECH_VERBS, SPEECH_WITH_CLAUSE, VERB_OF
from qa.speech.people import TITLE_WORDS, People

if TYPE_CHECKING:
    from spacy.tokens import Token

# Small words inside a name, between its capitalised words.
NAME_PARTICLES = {"von", "van", "der", "den", "de", "da", "di", "du", "del", "la", "le", "al", "bin", "dos", "ter"}
# Common nouns for a body that speaks, whose name may stand in front of them.
BODY_NOUNS = {
    "house", "company", "firm", "group", "agency", "office", "department", "ministry", "council", "committee",
    "union", "association", "bureau", "network", "team", "campaign", "administration", "government", "service",
    "institute", "website", "site", "newspaper", "broadcaster", "outlet", "channel", "spokesperson", "spokesman",
    "spokeswoman", "official", "officials", "lawmakers", "police",
}
# A clause after a verb of speech is what was said.
CLAUSES = {"ccomp", "parataxis"}
PERSON_LABELS = {"PERSON"}
ORGANISATION_LABELS = {"ORG", "GPE"}
# Parts of a subject that belong to its name ("Transport commissioner Maria Alvarez", "John Kirby, a
# spokesperson", "Lelands auction house").
NAME_PARTS = {"compound", "flat", "appos", "nmod"}
QUOTE_MARKS = ("“", "”", '"', "«", "»")


def cues(doc, inside: set[int]) -> Iterable[tuple["Token", "Token"]]:
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


def verb_of(token: "Token") -> str:
    return VERB_OF.get(token.lower_, "")


def _reports_speech(verb: "Token", has_quote: bool) -> bool:
    lemma = verb_of(verb)
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
    after = [c for c in verb.children if c.i > verb.i and c.dep_ in ("dobj", "attr", "npadvmod") and is_proper(c)]
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
    if verb_of(verb) not in INVERTING or verb.i == 0 or doc[verb.i - 1].text not in (",", "”", '"'):
        return None
    if verb.i + 1 >= len(doc):
        return None
    after = doc[verb.i + 1]
    if after.lower_ == "the" and verb.i + 2 < len(doc):
        after = doc[verb.i + 2]
    if not is_proper(after):
        return None
    head = after
    while head.dep_ in ("compound", "flat") and head.head.i > head.i:
        head = head.head
    return head if head.head.i == verb.i else None


def name_of(subject: "Token", people: People) -> tuple[str, str] | None:
    """The name the subject gives, with its entity label ("" when the parser saw none): the subject
    itself, or a name beside it ("John Kirby, a spokesperson", "others, such as Gary Cushing")."""
    # A title alone is a name when the article names someone so ("Judge" for Aaron Judge).
    if is_proper(subject) and (subject.lower_.rstrip(".") not in TITLE_WORDS or people.is_person(people.full(subject.text))):
        return _proper_name(subject), subject.ent_type_
    # "according to estimates from the CDC": the source of the figures.
    if subject.tag_ in ("NN", "NNS") and subject.lower_ in DOCUMENT_NOUNS:
        for prep in (c for c in subject.children if c.dep_ == "prep" and c.lower_ in ("from", "by", "of")):
            for source in (c for c in prep.children if c.dep_ == "pobj" and is_proper(c)):
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
            if is_proper(token) and token.ent_type_ in labels and token.lower_.rstrip(".") not in TITLE_WORDS:
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
    if token.lower_ in NAME_PARTICLES and token.i > 0 and (is_proper(token.doc[token.i - 1]) or token.doc[token.i - 1].lower_ in NAME_PARTICLES):
        return True  # "Ursula von der Leyen"
    if bounded and token.ent_type_ != head.ent_type_:
        return False  # the parser's entity ends there: "Should Youmans" is not a name
    return is_proper(token) and token.lower_.rstrip(".") not in TITLE_WORDS
def is_proper(token: "Token") -> bool:
    return token.tag_ in ("NNP", "NNPS")


def _verbal(token: "Token") -> bool:
    return token.tag_.startswith("VB")


def is_pronoun(token: "Token") -> bool:
    return token.tag_ in ("PRP", "PRP$", "WP", "EX")


def is_definite(token: "Token") -> bool:
    return any(c.dep_ == "det" and c.lower_ in ("the", "this") for c in token.children)


def depth(token: "Token") -> int:
    depth = 0
    while token.head.i != token.i:
        token, depth = token.head, depth + 1
    return depth


def quoted_tokens(doc) -> set[int]:
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
