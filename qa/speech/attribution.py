"""Who is speaking in each sentence of an article, from the cues news writing uses for reported speech.

Cues, in the order they are tried: "according to X"; X with a speech verb ("X said", "X also
addressed", "X, in his call with Y, expressed"); X's speech noun ("X's remarks", "X's gratitude");
a closing quote followed by "said X". X may be a name, a title the article gives someone ("the
Israeli Prime Minister" after "Prime Minister Benjamin Netanyahu"), or a pronoun, which refers
back to the last speaker or person named. Everything is resolved to the fullest form of the name the
article uses, so "Netanyahu", "the Prime Minister" and "he" all become "Benjamin Netanyahu".
"""

import re
from dataclasses import dataclass

# Part of what an ingested article records: when the rules below or the sentence boundaries change,
# articles are redone.
SPEECH_VERSION = 3

from index.records import SpeechRecord
from qa.sentences import sentence_spans

NAME_WORD = r"[A-Z][a-zA-Z'’\-]+"
NAME = rf"{NAME_WORD}(?: (?:{NAME_WORD}|[A-Z]\.))*"
TITLES = (
    "Vice President|President|Prime Minister|Deputy Prime Minister|Foreign Minister|Defense Minister|"
    "Minister|Secretary of State|Secretary|Senate Majority Leader|Majority Leader|Minority Leader|Leader|"
    "House Speaker|Speaker|Senator|Sen\\.|Representative|Rep\\.|Governor|Gov\\.|Mayor|Chancellor|King|Queen|"
    "Prince|Princess|Pope|Chief Executive|CEO|Chairman|Chairwoman|Chair|Director|Spokesperson|Spokesman|"
    "Spokeswoman|Judge|Justice|General|Gen\\.|Commissioner|Ambassador|Attorney General|Coach|Dr\\."
)
# An official the article never names: "the mayor said", "the new police chief announced".
UNNAMED_TITLES = rf"{TITLES.lower()}|police chief|chief|official|spokesperson|minister"
UNNAMED_OFFICIAL = rf"[Tt]he (?:[a-z]+ )?(?:{UNNAMED_TITLES})"
SPEECH_VERBS = (
    "said|says|say|told|tells|stated|states|added|adds|expressed|expresses|emphasized|emphasised|emphasizes|"
    "warned|warns|addressed|addresses|highlighted|highlights|noted|notes|argued|argues|insisted|insists|urged|"
    "urges|announced|announces|called|calls|described|describes|claimed|claims|stressed|stresses|accused|"
    "praised|thanked|criticized|criticised|denied|denies|confirmed|confirms|vowed|vows|pledged|promised|"
    "explained|explains|declared|declares|acknowledged|suggested|suggests|asserted|wrote|writes|tweeted|posted|"
    "replied|responded|commented|conveyed|voiced|raised|reiterated|maintained|condemned|welcomed|cautioned|"
    "predicted|revealed|admitted|recalled|discussed|spoke|speaks|asked|questioned|marked|labelled|labeled"
)
SPEECH_NOUNS = (
    "statement|remarks|comments|words|message|speech|gratitude|thanks|discussion|concerns?|warning|call|"
    "response|reaction|announcement|position|view|stance|criticism|praise|appeal|address|testimony|letter|"
    "tweet|post|interview|claim|argument|dialogue|conversation"
)
# "They" is left out: it rarely refers back to one speaker.
PRONOUNS = {"he", "she"}
# Capitalised at the start of a sentence, but not names.
NOT_NAMES = {
    "it", "this", "that", "these", "those", "there", "here", "such", "its", "their", "his", "her", "our", "we",
    "you", "i", "a", "an", "the", "what", "which", "who", "when", "where", "why", "how", "some", "many", "most",
    "all", "both", "each", "every", "one", "another", "other", "while", "if", "as", "in", "on", "at", "for",
    "but", "and", "or", "so", "yet", "they", "officials", "experts", "critics", "analysts", "people",
}
INTRODUCTION = r"(?:(?:[A-Z][a-z]+ly|However|Furthermore|Moreover|Meanwhile|Still|Yet|Later|Then|Also|In \w+(?: \w+){0,3}|On \w+(?: \w+){0,2}),\s+)?"

_TITLED = re.compile(rf"\b(?:(?P<adjective>{NAME_WORD}|U\.S\.|UK|EU) )?(?P<title>{TITLES}) (?P<name>{NAME})")
_ACCORDING = re.compile(
    rf"\b(?:according to|as reported by|reported by) (?P<who>(?:the )?(?:{NAME_WORD} )?(?:{TITLES})|{UNNAMED_OFFICIAL}|(?:the )?{NAME})"
)
_SUBJECT_VERB = re.compile(
    rf"^{INTRODUCTION}(?P<who>(?:[Tt]he )?(?:{NAME_WORD} )?(?:{TITLES})|{UNNAMED_OFFICIAL}|{NAME}|He|She)"
    rf"(?:,[^,]{{1,80}},)?(?: (?:also|then|later|further|again|once again|has|have|had|had also|would|will))* "
    rf"(?P<cue>{SPEECH_VERBS})\b"
)
_POSSESSIVE = re.compile(rf"(?P<who>{NAME})['’]s (?:\w+ )?(?P<cue>{SPEECH_NOUNS})\b")
_QUOTE_THEN_NAME = re.compile(rf"[”\"'’],? (?P<cue>said|says|added|told) (?P<who>(?:the )?(?:{NAME_WORD} )?(?:{TITLES})|{NAME})")


def attributions(text: str) -> list[SpeechRecord]:
    """Who speaks in which sentence; `titles` are what the article calls each speaker."""
    people = _People(text)
    found: list[tuple[int, int, str, str]] = []
    last_person: str | None = None
    for span in sentence_spans(text):
        sentence = text[span.start : span.end]
        speaker, cue = _speaker_of(sentence, people, found[-1][2] if found else last_person)
        if speaker:
            found.append((span.start, span.end, speaker, cue))
        last_person = people.last_named_in(sentence) or last_person
    # Titles last: resolving "the Israeli Prime Minister" teaches the article's people that title.
    return [SpeechRecord(start, end, speaker, cue, people.titles_of(speaker)) for start, end, speaker, cue in found]


class _People:
    """The people an article names, and the titles it gives them."""

    def __init__(self, text: str) -> None:
        self._by_title: dict[str, str] = {}
        self._full_names: dict[str, str] = {}
        for match in _TITLED.finditer(text):
            name = match["name"]
            self._remember(name)
            title = match["title"].lower()
            self._by_title.setdefault(title, name)
            if match["adjective"]:
                self._by_title.setdefault(f"{match['adjective'].lower()} {title}", name)

    def titles_of(self, speaker: str) -> tuple[str, ...]:
        return tuple(sorted(t for t, name in self._by_title.items() if self._full(name) == speaker))

    def resolve(self, who: str, previous: str | None) -> str | None:
        phrase = re.sub(r"^the ", "", who.strip(), flags=re.IGNORECASE)
        lowered = phrase.lower()
        if lowered in PRONOUNS:
            return previous
        if lowered in self._by_title:
            return self._full(self._by_title[lowered])
        words = lowered.split()
        if len(words) > 1 and " ".join(words[1:]) in self._by_title:  # "the Israeli Prime Minister"
            name = self._by_title[" ".join(words[1:])]
            self._by_title.setdefault(lowered, name)
            return self._full(name)
        if re.fullmatch(UNNAMED_OFFICIAL, who.strip(), flags=re.IGNORECASE):
            return f"the {lowered}"  # nobody of that title is named: the title is all the article says
        if re.fullmatch(TITLES, phrase, flags=re.IGNORECASE) or not phrase[:1].isupper():
            return None
        if words[0].strip("’'") in NOT_NAMES:
            return None
        return self._full(phrase)

    def last_named_in(self, sentence: str) -> str | None:
        names = [m["name"] for m in _TITLED.finditer(sentence)]
        return self._full(names[-1]) if names else None

    def _remember(self, name: str) -> None:
        surname = name.split()[-1].lower()
        if len(name) > len(self._full_names.get(surname, "")):
            self._full_names[surname] = name

    def _full(self, name: str) -> str:
        return self._full_names.get(name.split()[-1].lower(), name)


def _speaker_of(sentence: str, people: _People, previous: str | None) -> tuple[str | None, str]:
    for pattern in (_ACCORDING, _SUBJECT_VERB, _POSSESSIVE, _QUOTE_THEN_NAME):
        match = pattern.search(sentence)
        if match:
            cue = match.groupdict().get("cue") or "according to"
            speaker = people.resolve(match["who"], previous)
            if speaker:
                return speaker, cue.lower()
    return None, ""
