"""What stands for an article's headline in search when it has no title: the words of its URL's
slug. Newsrooms write the slug as a short headline for search engines
('/2022/09/18/sport/wnba-final-las-vegas-aces/index.html'), and an article pushed without its title
otherwise loses to every titled copy of the same story, whose title matches the question's words."""

import re
from typing import Protocol
from urllib.parse import unquote, urlsplit

# Page names and extensions that say nothing of the story.
_PAGE_NAMES = {"index", "default", "amp", "story", "article", "news"}
_EXTENSION = re.compile(r"\.(s?html?|php|aspx?|jsp)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_+\s]+")
# Words, and numbers of up to four digits (a year, a count); longer runs of digits and words mixed
# with digits are ids.
_WORD = re.compile(r"^(?:[^\W\d_]+|\d{1,4})$")
MIN_WORDS = 2


class _Titled(Protocol):
    title: str | None
    url: str | None


class Headlined:
    """Mixed into every record with a title and a URL that search reads (an article as ingested, as the
    catalog holds it, a chunk with its article's fields), so that the embedded text, BM25's title and
    Milvus's text all take the headline from this one rule."""

    __slots__ = ()

    @property
    def headline(self: _Titled) -> str:
        """The title; without one, the slug's words ('wnba final las vegas aces'); else ''."""
        return self.title or (slug_words(self.url) if self.url else None) or ""


def slug_words(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    for segment in reversed([unquote(s) for s in parts.path.split("/") if s]):
        name = _EXTENSION.sub("", segment)
        if name.lower() in _PAGE_NAMES:
            continue
        words = [w for w in _SEPARATORS.split(name) if _WORD.match(w)]
        if len(words) >= MIN_WORDS:
            return " ".join(words)
    return None
