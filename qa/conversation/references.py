"""What a follow-up question leans on, read from spaCy's parse of the questions before it: the person
asked about, the organisation or other non-person that speaks or acts, and the topic. A follow-up's
pronouns are filled from them ("And what did he say about Iran?"), and a fragment ("And Putin?",
"What about Iran?", "And in Ohio?") takes the place of its counterpart in the question before.

The pipeline runs without its lemmatizer and attribute ruler (qa.text.pipeline), so the rules read the
tagger's fine tags (PRP, NNP, VBD…), the dependency labels and the entities. The small English model
often takes a surname for an organisation or a place ("Fauci", "Burger"): a proper name as the subject
of a question is taken for a person unless the recognizer calls it a country, a group or a place."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

PERSON_PRONOUNS = {"he", "she", "him", "her", "his", "hers", "himself", "herself"}
GROUP_PRONOUNS = {"they", "them", "their", "theirs", "themselves"}
THING_PRONOUNS = {"it", "its", "itself"}
POSSESSIVE = {"his", "her", "hers", "their", "theirs", "its"}
# Words a follow-up opens with that tie it to what came before and add nothing to the question.
OPENERS = {"and", "but", "so", "also", "then", "ok", "okay", "well", "now"}
# "What did X say about Y", "X's view on Y": the preposition that introduces what a question is about.
TOPIC_PREPOSITIONS = {"about", "on", "regarding", "concerning", "over"}
# Entities that are never one person, whatever the tagger says.
NOT_A_PERSON = {"NORP", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART", "LANGUAGE", "DATE", "TIME",
                "MONEY", "QUANTITY", "PERCENT", "CARDINAL", "ORDINAL"}
# A verb of its own makes a question, not a fragment: "And what did he say?" against "And in Ohio?".
FINITE_VERBS = {"VBD", "VBZ", "VBP", "MD"}
# Verbs of speaking: "it" as their subject is whoever spoke (the ministry said), not the topic.
SPEECH_VERBS = {"say", "said", "says", "tell", "told", "announce", "announced", "claim", "claimed", "warn", "warned",
                "deny", "denied", "report", "reported", "respond", "responded", "comment", "commented", "mention",
                "mentioned", "add", "added", "state", "stated"}
# "Is it raining in Kyiv?": an "it" that stands for nothing.
IMPERSONAL_VERBS = {"rain", "raining", "rained", "snow", "snowing", "snowed", "seem", "seems", "seemed"}


@dataclass(frozen=True)
class Context:
    """What the earlier questions were about, the latest mention of each kind winning."""

    person: str | None = None
    actor: str | None = None  # a speaker or doer that is not a person: a ministry, a party, a country
    topic: str | None = None
    topic_plural: bool = False
    question: "Doc | None" = None  # the latest earlier question, resolved, for a fragment to complete

    @property
    def empty(self) -> bool:
        return self.question is None


def remembered(context: Context, question: "Doc") -> Context:
    """The context after `question` (already standalone) was asked: whom it asks about first (its
    subject), else the first person it names."""
    subject = _subject(question)
    person = actor = None
    if subject is not None and _is_person(subject):
        person = _subtree(subject).text
    elif subject is not None:
        actor = _subtree(subject).text
    person = person or next((e.text for e in question.ents if e.label_ == "PERSON"), None)
    topic = _topic(question)
    return Context(
        person=person or context.person,
        actor=actor or context.actor,
        topic=_noun_phrase(topic).text if topic is not None else context.topic,
        topic_plural=topic.tag_ in ("NNS", "NNPS") if topic is not None else context.topic_plural,
        question=question,
    )


def standalone(question: "Doc", context: Context) -> str:
    """The question with what it leaves to the context filled in; its own text when it leaves nothing."""
    if context.empty:
        return question.text
    tokens = _without_openers(question)
    fragment = _fragment(question, tokens)
    if fragment is not None:
        completed = _completed_fragment(fragment, context)
        if completed is not None:
            return completed
    if not any(_referent(t, question, context) for t in tokens):
        return question.text
    return _capitalised("".join(_with_referent(t, question, context) for t in tokens).strip())


def _without_openers(question: "Doc") -> list["Token"]:
    tokens = list(question)
    while len(tokens) > 1 and (tokens[0].lower_ in OPENERS or tokens[0].is_punct):
        tokens = tokens[1:]
    return tokens


def _fragment(question: "Doc", tokens: list["Token"]) -> "Span | None":
    """What a fragment that leans on the question before adds: "Iran" of "What about Iran?", "Putin" of
    "And Putin?", "in Ohio" of "And in Ohio?". Words typed alone ("storm harbour") are a search of
    their own, and a question with a verb of its own ("And what did he say?") is no fragment."""
    words = list(tokens)
    while words and words[-1].is_punct:
        words = words[:-1]
    asks_about = len(words) >= 2 and words[0].tag_ in ("WP", "WRB") and words[1].lower_ in ("about", "of")
    if asks_about:
        words = words[2:]
    else:
        opened = len(tokens) < len(question)
        if not (opened or words and words[0].tag_ == "IN") or any(t.tag_ in FINITE_VERBS for t in words):
            return None
        if words and words[0].lower_ in TOPIC_PREPOSITIONS:
            words = words[1:]
    if not words or all(t.tag_ in ("PRP", "PRP$") for t in words):
        return None  # "What about him?": left to the pronouns' referents
    return question[words[0].i : words[-1].i + 1]


def _completed_fragment(fragment: "Span", context: Context) -> str | None:
    """"And Putin?" after "What did Netanyahu say about Hamas?" asks what Putin said about Hamas;
    "What about Iran?" what Netanyahu said about Iran; "And in Ohio?" after "Who won in Georgia?"
    who won in Ohio."""
    earlier = context.question
    if fragment[0].tag_ == "IN" and fragment[0].lower_ not in TOPIC_PREPOSITIONS:
        same = next((t for t in earlier if t.tag_ == "IN" and t.lower_ == fragment[0].lower_), None)
        if same is not None:
            return _replaced(earlier, _subtree(same), fragment.text)
        return _appended(earlier, fragment.text)
    subject = _subject(earlier)
    about = _topic_span(earlier)
    if subject is not None and _is_person(subject) and _names_a_person(fragment):
        return _replaced(earlier, _subtree(subject), fragment.text)
    if about is not None:
        return _replaced(earlier, about, fragment.text)
    if subject is not None:
        return _replaced(earlier, _subtree(subject), fragment.text)
    return None


def _with_referent(token: "Token", question: "Doc", context: Context) -> str:
    referent = _referent(token, question, context)
    if referent is None:
        return token.text_with_ws
    if token.lower_ in POSSESSIVE and token.tag_ == "PRP$" or token.lower_ in ("hers", "theirs"):
        referent = f"{referent}'" if referent.endswith("s") else f"{referent}'s"
    return referent + token.whitespace_


def _referent(token: "Token", question: "Doc", context: Context) -> str | None:
    """Who or what a pronoun stands for, when the question does not name it itself."""
    word = token.lower_
    if token.tag_ not in ("PRP", "PRP$") or token.dep_ == "expl":
        return None
    if word in PERSON_PRONOUNS and not _names_a_person_before(token, question):
        return context.person
    if word in GROUP_PRONOUNS and not _names_a_group(question):
        if context.actor:
            return context.actor
        return context.topic if context.topic_plural else context.person
    if word in THING_PRONOUNS and token.head.lower_ not in IMPERSONAL_VERBS:
        speaks = token.dep_ == "nsubj" and token.head.lower_ in SPEECH_VERBS
        return (context.actor or context.topic) if speaks else (context.topic or context.actor)
    return None


def _subject(question: "Doc") -> "Token | None":
    """The subject of the question's main verb, when it is a name or noun rather than a wh-word or pronoun."""
    for token in question:
        if token.dep_ in ("nsubj", "nsubjpass") and token.tag_ not in ("WP", "WDT", "PRP", "EX"):
            return token
    return None


def _topic_preposition(question: "Doc") -> "Token | None":
    """"about" in "What did X say about Y?": a topic preposition hanging on a verb."""
    return next((t for t in question if t.lower_ in TOPIC_PREPOSITIONS and t.head.tag_.startswith("VB")), None)


def _topic(question: "Doc") -> "Token | None":
    """The noun a question is about: the object of "about"/"on"…, else the verb's object."""
    preposition = _topic_preposition(question)
    if preposition is not None:
        return next((t for t in preposition.children if t.dep_ == "pobj" and t.tag_ not in ("WP", "PRP")), None)
    return next((t for t in question if t.dep_ == "dobj" and t.tag_.startswith("NN")), None)


def _topic_span(question: "Doc") -> "Span | None":
    """All a question asks about, for a fragment to take its place: what follows "about" to the end
    ("the U.S. response to swine flu and COVID-19"), else the verb's object with its own words."""
    preposition = _topic_preposition(question)
    if preposition is not None:
        end = len(question)
        while end > preposition.i + 1 and question[end - 1].is_punct:
            end -= 1
        return question[preposition.i + 1 : end] if end > preposition.i + 1 else None
    topic = _topic(question)
    return None if topic is None else _subtree(topic)


def _is_person(token: "Token") -> bool:
    """A subject that is a person: one the recognizer knows as a person, or a proper name it does not
    call a place, a group or a thing."""
    if token.ent_type_ == "PERSON":
        return True
    return _is_name(token) and token.ent_type_ not in NOT_A_PERSON and not _is_institution(token)


def _is_institution(token: "Token") -> bool:
    """"the White House", "the Kremlin": an organisation named with its article, not a person."""
    return token.ent_type_ == "ORG" and any(child.dep_ == "det" for child in token.children)


def _is_name(token: "Token") -> bool:
    """A proper noun; or, in a question typed in lower case ("what did netanyahu say"), a noun with no
    determiner as the subject, which the tagger takes for a common noun."""
    if token.tag_ == "NNP":
        return True
    lower_case = not any(t.is_upper or t.is_title for t in token.doc[1:])
    return lower_case and token.tag_ == "NN" and not any(c.dep_ in ("det", "poss") for c in token.children)


def _names_a_person(fragment: "Span") -> bool:
    """"Putin", "Jay Powell", "Blackwell-Thompson": a proper name that the recognizer takes for a person
    or does not know; not a country, a group or an organisation ("Iran", "Hamas")."""
    words = [t for t in fragment if not t.is_punct]
    return bool(words) and all(t.tag_ in ("NNP", "NNPS") and t.ent_type_ in ("", "PERSON") for t in words)


def _names_a_person_before(pronoun: "Token", question: "Doc") -> bool:
    """"What did Biden say about his plan?": "his" is Biden. A pronoun looks back, not forward: in
    "Did he thank Putin?", "he" is not Putin."""
    subject = _subject(question)
    named_subject = subject is not None and subject.i < pronoun.i and _is_person(subject)
    return named_subject or any(e.label_ == "PERSON" and e.end <= pronoun.i for e in question.ents)


def _names_a_group(question: "Doc") -> bool:
    subject = _subject(question)
    return subject is not None and not _is_person(subject)


def _noun_phrase(token: "Token") -> "Span":
    """The token with its determiners, compounds and modifiers, without a relative clause or a
    following prepositional phrase ("the election in Georgia" stays "the election")."""
    doc = token.doc
    left = min([token.i, *(t.i for t in token.lefts for t in t.subtree)])
    right = token.i
    for child in token.rights:
        if child.dep_ in ("compound", "flat", "appos") or child.tag_ == "POS":
            right = max(right, max(t.i for t in child.subtree))
    # An entity is taken whole ("the White House").
    if token.ent_iob_ != "O":
        entity = next(e for e in doc.ents if e.start <= token.i < e.end)
        left, right = min(left, entity.start), max(right, entity.end - 1)
    return doc[left : right + 1]


def _subtree(token: "Token") -> "Span":
    return token.doc[token.left_edge.i : token.right_edge.i + 1]


def _replaced(question: "Doc", span: "Span", text: str) -> str:
    before = question[: span.start].text_with_ws if span.start else ""
    after = question[span.end :].text_with_ws if span.end < len(question) else ""
    joined = before + text + (span[-1].whitespace_ if after else "") + after
    return _capitalised(joined.strip())


def _appended(question: "Doc", text: str) -> str:
    body = question.text.rstrip()
    mark = ""
    if body.endswith("?"):
        body, mark = body[:-1].rstrip(), "?"
    return _capitalised(f"{body} {text}{mark}")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
