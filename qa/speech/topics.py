"""Whether a sentence is about a topic: it names the topic's words, in any of their forms, or is close
to it in meaning."""

import re

from qa.models import Span
from qa.speech.names import names_speaker
from qa.text.sentences import adjacent_sentences
from qa.text.words import content_words, words

# A speaker's sentence this close in meaning to a topic is about it, even without naming it. On the
# seeds, Netanyahu's sentence on Russia's cooperation with Iran is 0.66 to "the alliance between
# Moscow and Tehran"; his sentences on other subjects stay below 0.40 to topics they do not name,
# such as "Syria", "Gaza" or that alliance.
TOPIC_CLOSENESS = 0.45
# A sentence that starts by pointing back to a person: it goes on about the one just named.
POINTS_BACK = re.compile(r"^\W*(?:he|she|they|his|her|their)\b", re.IGNORECASE)


def names_topic(sentence: str, topic: str, speaker: str) -> bool:
    """Whether the sentence names at least half the words of the topic other than the speaker's, a
    word's other forms included ("Iran" names "Iranian", "hostages" names "hostage")."""
    wanted = content_words(topic) - content_words(speaker)
    said = set(words(sentence))
    named = [w for w in wanted if any(same_word(w, s) for s in said)]
    return 2 * len(named) >= len(wanted)


def same_word(a: str, b: str) -> bool:
    """One word in two forms: one starts with the other less its last two letters, four letters at least."""
    if min(len(a), len(b)) < 4:
        return a == b
    return b.startswith(a[: max(4, len(a) - 2)]) or a.startswith(b[: max(4, len(b) - 2)])


def topic_lead(text: str, sentence: Span, topic: str, speaker: str | None) -> Span | None:
    """The sentence before a statement that points back to its speaker ("He emphasized that …"), when
    that sentence names both the speaker and the topic ("Netanyahu's discussion highlighted Israel's
    right to self-defense."): what the statement is about is said there."""
    if not POINTS_BACK.match(text[sentence.start : sentence.end]):
        return None
    before = adjacent_sentences(text, sentence)[0]
    if before is None:
        return None
    lead = text[before.start : before.end]
    return before if names_topic(lead, topic, speaker or "") and names_speaker(lead, speaker) else None
