"""Words as BM25 counts them: lower-cased, accents removed, Porter-stemmed ("elections" and
"election" are one term), for the stored text and for questions alike."""

import re
import threading
import unicodedata
from functools import lru_cache

import numpy as np
import Stemmer

# Letters and digits; "_" and punctuation separate words, as in SQLite's unicode61 tokenizer.
_WORD = re.compile(r"[^\W_]+")
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


def _stemmed(words: list[str]) -> list[str]:
    stems = [_stems.get(word) for word in words]
    missing = [word for word, stem in zip(words, stems) if stem is None]
    if not missing:
        return stems
    if len(_stems) > MAX_CACHED_STEMS:
        _stems.clear()
    fresh = dict(zip(missing, _stemmer().stemWords(missing)))
    _stems.update(fresh)
    return [stem if stem is not None else fresh[word] for word, stem in zip(words, stems)]


def fold(text: str) -> str:
    """Lower case without accents ("Pérez" -> "perez"); one character in, one character out,
    so positions in the folded text are positions in the original."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two ("İ"): fold one by one
        lowered = "".join(c.lower()[0] for c in text)
    return _NON_ASCII.sub(lambda match: _strip_accents(match.group()), lowered)


def terms(text: str) -> list[str]:
    """The stemmed words of a text, in order, repeats kept."""
    return [t for t in _stemmed(_WORD.findall(fold(text))) if t]


def terms_with_starts(text: str) -> tuple[list[str], np.ndarray]:
    """The stemmed words of a text and the character offset where each begins."""
    matches = list(_WORD.finditer(fold(text)))
    stems = _stemmed([m.group() for m in matches])
    kept = [i for i, stem in enumerate(stems) if stem]
    return [stems[i] for i in kept], np.array([matches[i].start() for i in kept], dtype=np.int64)


@lru_cache(maxsize=4096)
def _strip_accents(character: str) -> str:
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", character))
    return stripped if len(stripped) == 1 else character
