"""Whether a sentence is about a topic: it names the topic's words, in any of their forms, or is close
to it in meaning."""

import functools
import re
from collections import Counter

from qa.lexical import STOPWORDS

# A speaker's sentence this close in meaning to a topic is about it, even without naming it. On the
# seeds, Netanyahu's sentence on Russia's cooperation with Iran is 0.66 to "the alliance between
# Moscow and Tehran"; his sentences on other subjects stay below 0.40 to topics they do not name,
# such as "Syria", "Gaza" or that alliance.
TOPIC_CLOSENESS = 0.45


def names_topic(sentence: str, topic: str, speaker: str, context: str = "") -> bool:
    """Whether the sentence names the topic: at least half of the topic's words other than the
    speaker's, a word's other forms included ("Iran" names "Iranian", "hostages" names "hostage").
    With the article around the sentence as `context`, a word counts less the more often the article
    uses it: a word it repeats throughout is what the whole article is about ("swine flu"), and the
    one it rarely uses is what the question asks ("the swine flu vaccine")."""
    wanted = content_words(topic) - content_words(speaker)
    if not wanted:
        return True
    said = set(re.findall(r"\w+", sentence.lower()))
    weights = _weights(frozenset(wanted), context)
    named = sum(weights[w] for w in wanted if any(same_word(w, s) for s in said))
    return 2 * named >= sum(weights.values())


@functools.lru_cache(maxsize=256)
def _weights(wanted: frozenset[str], context: str) -> dict[str, float]:
    if not context:
        return dict.fromkeys(wanted, 1.0)
    counts = Counter(re.findall(r"\w+", context.lower()))
    return {w: 1.0 / (1 + sum(n for word, n in counts.items() if same_word(w, word))) for w in wanted}


def same_word(a: str, b: str) -> bool:
    """One word in two forms: one starts with the other less its last two letters, four letters at least."""
    if min(len(a), len(b)) < 4:
        return a == b
    return b.startswith(a[: max(4, len(a) - 2)]) or a.startswith(b[: max(4, len(b) - 2)])


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS and len(w) > 1}
