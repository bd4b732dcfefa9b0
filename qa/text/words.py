"""Words as the domain reads them: lower-cased, in order, with the one list of stopwords.

What a word is (a run of letters, digits and "_") is defined once, in the index's analyzer
(index.catalog.terms.words), which BM25 applies at ingest; everything here builds on it. The domain's
words keep accents and "_" ("pérez", "covid_19"), where BM25's terms fold and split them: questions'
words are passed to every lexical backend as they are, and MinHash signatures, stored in the index,
were computed from them.

STOPWORDS is the domain's one list. Speech attribution also reads the parser's (spaCy's) list of
common English words, for another purpose: telling a capitalised sentence opener from a name.
"""

from index.catalog.terms import words as split_words

# Question words and glue carry no topic; dropping them keeps BM25 on names, numbers and rare words,
# and topic and support checks on the words that say what a sentence is about.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves also said says say tell
told according recently recent latest week weeks month year today yesterday new news did does which one ones
""".split())
# Marks a name keeps inside its words: "O'Neill", "Jean-Pierre", "J.R.".
NAME_MARKS = "'’.-"


def words(text: str) -> list[str]:
    """The lower-cased words of a text, in order, repeats kept."""
    return split_words(text.lower())


def is_content_word(word: str, min_length: int = 2) -> bool:
    """Whether a lower-cased word says what a text is about: not a stopword, and not too short to."""
    return word not in STOPWORDS and len(word) >= min_length


def content_words(text: str, min_length: int = 2) -> set[str]:
    """The distinct words of a text that say what it is about (`is_content_word`)."""
    return {word for word in words(text) if is_content_word(word, min_length)}


def words_of_name(text: str) -> list[str]:
    """The words of a name as written, with the marks names keep inside them (NAME_MARKS)."""
    return split_words(text, joined_by=NAME_MARKS)
