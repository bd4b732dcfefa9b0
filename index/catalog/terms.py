"""What a word is, for the whole project, and words as BM25 counts them: lower-cased, accents
removed, Porter-stemmed ("elections" and "election" are one term), for the stored text and for
questions alike. The domain's words (qa.text.words) build on `words` here: the catalog analyses
article text at ingest, and the index never imports the domain."""

import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
import Stemmer

_COMBINING = re.compile(r"[\u0300-\u036f]")
# Accents are only looked for where there are any: most news text is plain ASCII.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

_stemmers = threading.local()
# Stems of words seen, shared by all threads (a dict is safe to share): news repeats its words, and a
# lookup costs a quarter of stemming. Emptied when full, so it cannot grow without bound.
_stems: dict[str, str] = {}
MAX_CACHED_STEMS = 1_000_000


def _stemmer() -> Stemmer.Stemmer:
    # A PyStemmer object is not safe to share between threads; one each is cheap.
    stemmer = getattr(_stemmers, "porter", None)
    if stemmer is None:
        stemmer = _stemmers.porter = Stemmer.Stemmer("porter", 0)
    return stemmer


def _stemmed(plain: list[str]) -> list[str]:
    stems = [_stems.get(word) for word in plain]
    missing = [word for word, stem in zip(plain, stems) if stem is None]
    if not missing:
        return stems
    if len(_stems) > MAX_CACHED_STEMS:
        _stems.clear()
    fresh = dict(zip(missing, _stemmer().stemWords(missing)))
    _stems.update(fresh)
    return [stem if stem is not None else fresh[word] for word, stem in zip(plain, stems)]


def words(text: str, *, split_at_underscores: bool = False, joined_by: str = "") -> list[str]:
    """The words of a text in order, repeats kept, as written: runs of word characters (Unicode
    letters, digits and "_"); anything else separates them. Each option serves one reader:

    - `split_at_underscores`: "_" separates words too, as in SQLite's unicode61 tokenizer, which BM25
      follows. The domain's words keep it inside a word ("covid_19"), as MinHash signatures, stored
      in the index, were first computed.
    - `joined_by`: marks that stay inside a word between its characters and around them, as names
      keep theirs ("O'Neill", "J.R.", "Jean-Pierre").
    """
    return _word_pattern(joined_by).findall(_underscores_split(text) if split_at_underscores else text)


def word_matches(text: str, *, split_at_underscores: bool = False, joined_by: str = "") -> Iterator[re.Match[str]]:
    """The words of `words`, each with its offsets in the text."""
    return _word_pattern(joined_by).finditer(_underscores_split(text) if split_at_underscores else text)


def fold(text: str) -> str:
    """Lower case without accents ("Pérez" -> "perez"); one character in, one character out,
    so positions in the folded text are positions in the original."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two ("İ"): fold one by one
        lowered = "".join(c.lower()[0] for c in text)
    return _NON_ASCII.sub(lambda match: _strip_accents(match.group()), lowered)


def terms(text: str) -> list[str]:
    """The stemmed words of a text, in order, repeats kept."""
    return [t for t in _stemmed(words(fold(text), split_at_underscores=True)) if t]


def searched_words(searched: Sequence[str]) -> list[str]:
    """A search's terms as BM25 counts words, each once; none when they hold no word (then nothing is
    searched by words, whichever catalog there is)."""
    return list(dict.fromkeys(terms(" ".join(searched))))


def terms_with_starts(text: str) -> tuple[list[str], np.ndarray]:
    """The stemmed words of a text and the character offset where each begins."""
    matches = list(word_matches(fold(text), split_at_underscores=True))
    stems = _stemmed([m.group() for m in matches])
    kept = [i for i, stem in enumerate(stems) if stem]
    return [stems[i] for i in kept], np.array([matches[i].start() for i in kept], dtype=np.int64)


@lru_cache(maxsize=4096)
def _strip_accents(character: str) -> str:
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", character))
    return stripped if len(stripped) == 1 else character


@lru_cache(maxsize=8)
def _word_pattern(joined_by: str) -> re.Pattern[str]:
    # The one pattern of a word: Python's word characters, and the marks a caller keeps inside words.
    return re.compile(rf"[\w{re.escape(joined_by)}]+")


def _underscores_split(text: str) -> str:
    # One character for one, so that offsets in the result are offsets in the text.
    return text.replace("_", " ")
