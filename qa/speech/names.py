"""Whether a name asked about is a speaker the articles name: by surname or full name, in any case,
with or without accents or a possessive ("Blinken's remarks")."""

from functools import lru_cache

from qa.speech.people import fold
from qa.text.words import words_of_name

# Words that go with a name in a question but are not part of it.
COURTESY = {"the", "mr", "ms", "mrs", "dr", "sen", "rep", "gov"}


def same_person(asked: str, speaker: str | None, titles: tuple[str, ...] = ()) -> bool:
    """Whether the question's speaker ("Netanyahu", "the Israeli prime minister") is this speaker."""
    if not speaker:
        return False  # an unnamed source is nobody a question can name
    asked_words = name_words(asked) - COURTESY
    if not asked_words:
        return False
    return asked_words <= name_words(speaker) or any(asked_words == name_words(title) - COURTESY for title in titles)


# Names folded lately: a prolific speaker's thousands of statements name them in a few ways.
KEPT_NAMES = 10_000


def folded_words(text: str) -> frozenset[str]:
    return frozenset(word for word in map(fold, words_of_name(text)) if word)


# Names only: sentences, each folded once, would push them out.
name_words = lru_cache(maxsize=KEPT_NAMES)(folded_words)


def names_speaker(sentence: str, speaker: str | None) -> bool:
    """Whether the sentence names the speaker, by any word of their name ("Netanyahu’s discussion …")."""
    if not speaker:
        return False
    said = folded_words(sentence)  # folded: "Netanyahu’s" is "netanyahus"
    return any(word == name or word == name + "s" for name in name_words(speaker) - COURTESY for word in said)
