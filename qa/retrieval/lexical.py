"""The words of a question that BM25 should look for."""

from qa.text.words import is_content_word, words

MAX_TERMS = 32


def query_terms(question: str) -> list[str]:
    """Distinct lower-cased words of the question in order, without stopwords; numbers are kept,
    a single digit too."""
    return [word for word in dict.fromkeys(words(question)) if is_content_word(word) or word.isdigit()][:MAX_TERMS]
