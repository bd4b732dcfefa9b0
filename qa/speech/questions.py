"""Questions about what someone said: "What did X say about Y?", "What was X's reaction to Y?",
"According to X, why …?", read into the speaker asked about and the topic."""

import re
from dataclasses import dataclass

from qa.speech.people import TITLE_WORDS, TITLES
from qa.text.sentences import question_sentences

# An official the article never names: "the mayor said", "the new police chief announced".
UNNAMED_TITLES = rf"{TITLES.lower()}|police chief|chief|official|spokesperson|minister"
# Capitalised at the start of a sentence, but not names.
NOT_NAMES = {
    "it", "this", "that", "these", "those", "there", "here", "such", "its", "their", "his", "her", "our", "we",
    "you", "i", "a", "an", "the", "what", "which", "who", "when", "where", "why", "how", "some", "many", "most",
    "all", "both", "each", "every", "one", "another", "other", "while", "if", "as", "in", "on", "at", "for",
    "but", "and", "or", "so", "yet", "they", "officials", "experts", "critics", "analysts", "people",
}


PRONOUNS = {"he", "she", "they"}
NAME_RUN = re.compile(r"\b[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){1,3}")


@dataclass(frozen=True)
class AskedSpeech:
    """A question about what `speaker` said, about `topic` when it names one. `sourced`: a question
    of fact given with a source that is a document or data rather than a speaker ("…, according to
    Google ratings?", "according to the CDC's figures"), which no article may quote as a speaker."""

    speaker: str
    topic: str | None
    sourced: bool = False


ASKED_VERBS = (
    "say|said|think|thought|write|wrote|written|claim|claimed|state|stated|announce|announced|warn|warned|"
    "reveal|revealed|argue|argued|mention|mentioned|feel|felt|suggest|suggested|insist|insisted|promise|promised"
)
# Whom X told ("tell reporters", "say to Putin") is not what X spoke about.
LISTENER = r"(?:(?:say|said|write|wrote|written) to|tell|told|tells) (?!about\b)[^?]+?"
# "about Y", or the occasion: "when conceding defeat", "after the vote".
TOPIC = r"(?: (?:about|on|regarding|of|concerning|over|when|while|after|before|during) (?P<topic>.+?))?"
_ASKED = [
    # "What did X say about Y?", "What has X said on Y?", "What did X tell reporters about Y?"
    re.compile(
        rf"^(?:what|how) (?:did|does|do|has|have|had|would|will) (?P<who>.+?) (?:{LISTENER}|tell|told|{ASKED_VERBS})"
        rf"{TOPIC}\W*$",
        re.IGNORECASE,
    ),
    # "How did X describe Y?": the verb's object is the topic.
    re.compile(
        r"^how (?:did|does|do|has|have|had|would) (?P<who>.+?) (?:describe|described|characteri[sz]ed?|portray|value|valued|"
        r"rate|rated|judge|judged|"
        r"portrayed|view|viewed|see|seen|assess|assessed|explain|explained|justify|justified) (?P<topic>.+?)\W*$",
        re.IGNORECASE,
    ),
    # "What was X's reaction to Y?", "What were X's comments on Y?"
    re.compile(
        r"^what (?:is|was|were|are|has been|have been) (?P<who>.+?)['’]s? (?:reaction|response|position|view|stance|"
        r"comment|message|opinion|take|statement|remark|warning|thought|word|assessment|answer)s?"
        r"(?: (?:to|on|about|regarding|of|over) (?P<topic>.+?))?\W*$",
        re.IGNORECASE,
    ),
    re.compile(r"^how (?:did|does|has|have) (?P<who>.+?) (?:react|reacted|respond|responded)(?: to (?P<topic>.+?))?\W*$",
               re.IGNORECASE),
]
# "According to X, why …?" and "Why …, according to X?": the rest of the question is the topic.
_ACCORDING_ASKED = [
    re.compile(r"^according to (?P<who>[^,?]+?),\s*(?P<topic>.+?)\W*$", re.IGNORECASE),
    re.compile(r"^(?P<topic>.+?),? according to (?P<who>[^,?]+?)\W*$", re.IGNORECASE),
]


def asked_speech(question: str) -> AskedSpeech | None:
    """The speaker and topic of a question like "What did X say about Y?", if it is one. A question
    given with its background ("President Joe Biden made a declaration this week. What did he say?")
    asks its last sentence, whose pronoun stands for the last person the background names."""
    sentences = question_sentences(question)
    found = _asked(sentences[-1]) if sentences else None
    if found is None or len(sentences) == 1 or found.speaker.lower() not in PRONOUNS:
        return found
    named = _last_person(" ".join(sentences[:-1]))
    return None if named is None else AskedSpeech(named, found.topic, found.sourced)


def _last_person(text: str) -> str | None:
    """The last name of two to four capitalised words in `text`, less the titles before it."""
    names = NAME_RUN.findall(text)
    for name in reversed(names):
        kept = [w for w in name.split() if w.lower().strip(".") not in TITLE_WORDS]
        if kept:
            return " ".join(kept)
    return None


def _asked(text: str) -> AskedSpeech | None:
    for pattern in _ACCORDING_ASKED:
        match = pattern.match(text)
        # "According to reports, …" asks no one: only a name or a title is a speaker here.
        if match and _could_be_speaker(match["who"]) and _names_or_titles(match["who"]):
            who = match["who"].strip()
            return AskedSpeech(who, match["topic"].strip(), sourced=_is_document(who))
    for pattern in _ASKED:
        match = pattern.match(text)
        if match and _could_be_speaker(match["who"]):
            topic = (match["topic"] or "").strip() or None
            return AskedSpeech(match["who"].strip(), topic)
    return None


def _could_be_speaker(who: str) -> bool:
    words = who.strip().split()
    if not words or words[0].lower() in NOT_NAMES - {"the"} or len(words) > 6:
        return False
    # "the mayor", "the Kremlin" speak; "the report" and "the data" are what the question is about.
    return words[0].lower() != "the" or _names_or_titles(who)


def _names_or_titles(who: str) -> bool:
    phrase = re.sub(r"^the ", "", who.strip(), flags=re.IGNORECASE)
    return phrase[:1].isupper() or re.search(rf"\b(?:{UNNAMED_TITLES})\b", phrase.lower()) is not None


def _is_document(source: str) -> bool:
    """"Google ratings", "the CDC's figures": a source ending in a common noun that is no title."""
    last = source.split()[-1]
    return last.islower() and re.fullmatch(rf"(?:{UNNAMED_TITLES})s?", last, re.IGNORECASE) is None
