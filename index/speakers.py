"""The key a speaker is looked up by, so that "Antony Blinken", "Blinken's" and "BLINKEN" meet."""

import re
import unicodedata

# A possessive ending ("Blinken's", "Blinken’s"), with any punctuation after it ("Blinken's,").
_POSSESSIVE = re.compile(r"['’]s\W*$")
# Generational suffixes follow the surname people are asked about by ("David Pike Sr." is "Pike").
SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


def speaker_key(name: str) -> str:
    """The last word of the name, accents folded, casefolded, a possessive dropped and punctuation
    stripped: "Pérez" -> "perez", "J.R. Ford" -> "ford". Empty when the name has no word."""
    for token in reversed(_fold(name).split()):
        word = "".join(c for c in _POSSESSIVE.sub("", token) if c.isalnum())
        if word and word not in SUFFIXES:
            return word
    return ""


def stored_key(speaker: str | None) -> str | None:
    """The key a speech row is stored under: None for an unnamed source, or a name with no word, so
    that no lookup ever finds it."""
    return (speaker_key(speaker) or None) if speaker is not None else None


def _fold(name: str) -> str:
    # NFKD splits "é" into "e" and a combining accent, which is then dropped.
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
