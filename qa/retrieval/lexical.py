"""The words of a question that BM25 should look for."""

import re

MAX_TERMS = 32
# Question words and glue carry no topic; dropping them keeps BM25 on names, numbers and rare words.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves also said says say tell
told according recently recent latest week weeks month year today yesterday new news did does which one ones
""".split())


def query_terms(question: str) -> list[str]:
    """Distinct lower-cased words of the question in order, without stopwords; numbers are kept."""
    terms: list[str] = []
    for word in re.findall(r"\w+", question.lower()):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()) and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]
