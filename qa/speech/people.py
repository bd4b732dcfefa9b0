"""The people and organisations one article names, so that a surname ("Fauci"), an acronym ("NHTSA"),
a title ("the Israeli prime minister") or a pronoun resolves to the fullest name the article gives."""

import re
import unicodedata

# Words that go before a name without being part of it ("President Joe Biden", "Sen. Jackson").
TITLE_WORDS = {
    "president", "vice", "prime", "minister", "deputy", "foreign", "defense", "defence", "secretary", "state",
    "senate", "house", "majority", "minority", "leader", "speaker", "senator", "sen", "representative", "rep",
    "governor", "gov", "mayor", "chancellor", "king", "queen", "prince", "princess", "pope", "chief", "executive",
    "ceo", "chairman", "chairwoman", "chair", "director", "spokesperson", "spokesman", "spokeswoman", "judge",
    "justice", "general", "gen", "commissioner", "ambassador", "attorney", "coach", "dr", "mr", "mrs", "ms",
    "professor", "prof", "sir", "dame", "lord", "lady", "rev", "father", "sister", "officer", "sheriff", "lt",
    "col", "capt", "sgt", "adm", "the", "former", "acting", "interim", "u.s.", "us", "uk", "eu",
}
# Titles that end a phrase but are never a surname ("the Met Office's CEO"); "Judge", "King" or
# "General" may be one ("Aaron Judge").
NEVER_SURNAMES = {
    "ceo", "president", "minister", "secretary", "director", "spokesperson", "spokesman", "spokeswoman",
    "chairman", "chairwoman", "chair", "commissioner", "governor", "mayor", "senator", "chancellor", "ambassador",
    "officer", "leader", "speaker", "executive", "chief", "representative", "sheriff",
}
TITLES = (
    "Vice President|President|Prime Minister|Deputy Prime Minister|Foreign Minister|Defense Minister|"
    "Minister|Secretary of State|Secretary|Senate Majority Leader|Majority Leader|Minority Leader|Leader|"
    "House Speaker|Speaker|Senator|Sen\\.|Representative|Rep\\.|Governor|Gov\\.|Mayor|Chancellor|King|Queen|"
    "Prince|Princess|Pope|Chief Executive|CEO|Chairman|Chairwoman|Chair|Director|Spokesperson|Spokesman|"
    "Spokeswoman|Judge|Justice|General|Gen\\.|Commissioner|Ambassador|Attorney General|Coach|Dr\\.|Professor"
)
NAME_WORD = r"[A-Z][\w'’\-]+"
NAME = rf"{NAME_WORD}(?: (?:{NAME_WORD}|[A-Z]\.))*"
_TITLED = re.compile(rf"\b(?:(?P<adjective>{NAME_WORD}|U\.S\.|UK|EU) )?(?P<title>{TITLES}) (?P<name>{NAME})")
# Two to four capitalised words: a full name the article may give outside the sentences it parses.
_NAME_PART = r"(?:[A-Z]\.(?:[A-Z]\.)*|[A-Z][\w'’\-]+)"
_FULL_NAME = re.compile(rf"\b{_NAME_PART}(?: (?:{_NAME_PART}|de|van|von|der|da|bin|al)){{1,3}}\b")
# Small words an organisation's name keeps but its acronym skips ("Centers for Disease Control").
ACRONYM_SKIPS = {"of", "for", "and", "the", "on", "in", "at", "&"}


class People:
    """What an article calls each person and organisation; built once per article."""

    def __init__(self, text: str, common_words: frozenset[str] | set[str] = frozenset()) -> None:
        self._common_words = common_words
        self._by_surname: dict[str, str] = {}
        self._organisations: list[str] = []
        self._by_title: dict[str, str] = {}
        for match in _FULL_NAME.finditer(text):
            # "Should Youmans", "But Biden": a sentence's first word is capitalised, not a name.
            if match.group().split()[0].lower() not in common_words:
                self._remember_person(_without_titles(match.group()))
        for match in _TITLED.finditer(text):
            name = _without_titles(match["name"])
            title = match["title"].lower().rstrip(".")
            self._by_title.setdefault(title, name)
            if match["adjective"]:
                self._by_title.setdefault(f"{match['adjective'].lower()} {title}", name)

    def learn(self, name: str, label: str) -> None:
        """A name the parser recognised as a person (PERSON) or an organisation (ORG)."""
        cleaned = _without_titles(name)
        if label == "PERSON":
            self._remember_person(cleaned)
        elif cleaned and cleaned not in self._organisations:
            self._organisations.append(cleaned)

    def full(self, name: str) -> str:
        """The fullest form the article gives of this name."""
        cleaned = _without_titles(name)
        if not cleaned:
            return name
        if _is_acronym(cleaned):
            expanded = next((o for o in self._organisations if _initials(o).startswith(cleaned.upper())), None)
            if expanded:
                return expanded
        words = cleaned.split()
        known = self._by_surname.get(fold(words[-1]))
        if known and len(known.split()) > len(words) and _agrees(words, known.split()):
            return known
        return cleaned

    def most_mentioned_organisation(self, text: str, before: int) -> str | None:
        """The organisation named most often before this point of the text (its acronym included)."""
        counts = {o: text.count(o, 0, before) + text.count(_initials(o), 0, before) * (len(_initials(o)) > 1)
                  for o in self._organisations if not _is_acronym(o)}
        best = max(counts.items(), key=lambda item: item[1], default=(None, 0))
        return best[0] if best[1] else None

    def is_person(self, name: str) -> bool:
        """Whether the article gives this name as a person's full name."""
        words = name.split()
        return len(words) > 1 and self._by_surname.get(fold(words[-1])) == name

    def titled(self, phrase: str) -> str | None:
        """The person the article gave this title ("the Israeli prime minister"), if it gave it to one."""
        lowered = re.sub(r"^the ", "", phrase.strip().lower())
        name = self._by_title.get(lowered)
        words = lowered.split()
        if name is None and len(words) > 1:
            name = self._by_title.get(" ".join(words[1:]))
            if name is not None:
                self._by_title[lowered] = name
        return self.full(name) if name else None

    def titles_of(self, speaker: str) -> tuple[str, ...]:
        return tuple(sorted(t for t, name in self._by_title.items() if self.full(name) == speaker))

    def _remember_person(self, name: str) -> None:
        words = name.split()
        if len(words) < 2 or len(words) > 5 or words[-1].lower().rstrip(".") in NEVER_SURNAMES:
            return
        key = fold(words[-1])
        if len(name) > len(self._by_surname.get(key, "")):
            self._by_surname[key] = name


def fold(word: str) -> str:
    """A word without accents, case or a possessive: how names are compared."""
    stripped = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"['’]s$", "", stripped).strip(".,'’")


def _without_titles(name: str) -> str:
    # A name is a key, not a quotation: one apostrophe for all ("Portugal’s" and "Portugal's").
    words = re.sub(r"['’]s?$", "", name.strip().replace("’", "'")).split()
    # "NFL Commissioner Roger Goodell": what comes before the last title is the title's own.
    titles = [i for i, w in enumerate(words[:-1]) if w.lower().rstrip(".") in TITLE_WORDS]
    return " ".join(words[titles[-1] + 1 :] if titles else words)


def _agrees(short: list[str], full: list[str]) -> bool:
    """"Anthony Fauci" and "Fauci" are the same person; "Joe Biden" and "Hunter Biden" are not."""
    return {fold(w) for w in short} <= {fold(w) for w in full}


def _is_acronym(name: str) -> bool:
    letters = name.replace(".", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def _initials(name: str) -> str:
    return "".join(w[0].upper() for w in name.split() if w.lower() not in ACRONYM_SKIPS and w[:1].isalpha())
