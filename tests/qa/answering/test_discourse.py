"""The sentence that completes the best one: after a lead-in, after the question restated, the same
speaker going on; the one before a sentence that leans on it."""

from index.records import SpeechRecord
from qa.answering.discourse import next_sentence, previous_sentence
from qa.models import Span


def span_of(text: str, sentence: str) -> Span:
    start = text.index(sentence)
    return Span(start, start + len(sentence))


def test_a_lead_in_hands_over_to_the_next_sentence() -> None:
    text = "The plan has three parts, the mayor said:\nDredging comes first. Work starts in spring."
    assert next_sentence(text, span_of(text, "The plan has three parts, the mayor said:"), [], None) == \
        span_of(text, "Dredging comes first.")


def test_the_same_speaker_going_on_completes_the_quote() -> None:
    text = "Smith warned that the dam was weak. He said the town must leave. The rain stopped."
    first, second = span_of(text, "Smith warned that the dam was weak."), span_of(text, "He said the town must leave.")
    speech = [SpeechRecord(first.start, first.end, "Ann Smith", "warned"),
              SpeechRecord(second.start, second.end, "Ann Smith", "said")]
    assert next_sentence(text, first, speech, None) == second
    other = [speech[0], SpeechRecord(second.start, second.end, "Bo Jones", "said")]
    assert next_sentence(text, first, other, None) is None


def test_a_sentence_restating_a_question_of_fact_leaves_the_answer_to_the_next() -> None:
    text = "A few major reforms were left out of the deal. Also absent is a ban on assault weapons."
    first = span_of(text, "A few major reforms were left out of the deal.")
    question = "A few major reforms were left out of the proposed deal. Which measure did lawmakers leave out?"
    assert next_sentence(text, first, [], question) == span_of(text, "Also absent is a ban on assault weapons.")
    assert next_sentence(text, first, [], None) is None


def test_a_sentence_pointing_back_to_a_thing_leans_on_the_one_before() -> None:
    text = "The yuan fell to a record low. On Thursday, it again slumped to 7.19 per dollar."
    assert previous_sentence(text, span_of(text, "On Thursday, it again slumped to 7.19 per dollar.")) == \
        span_of(text, "The yuan fell to a record low.")
    text = "The lunch was sold. This year the bidder paid $19 million."
    assert previous_sentence(text, span_of(text, "This year the bidder paid $19 million.")) is None
