"""The names and numbers of a sentence that may answer: of the kind asked, new to the question, nearest
its words first; never the outlet's own credit, never an amount without a number."""

from index.records import EntityRecord
from qa.answering.answer_types import answer_type
from qa.answering.typed_spans import AskedWords, typed_spans
from qa.models import Span


def spans(
    text: str, entities: list[tuple[str, str]], question: str, outlet: str | None = None
) -> list[tuple[str, float]]:
    records = [EntityRecord(text.index(name), text.index(name) + len(name), label) for name, label in entities]
    found = typed_spans(text, Span(0, len(text)), records, answer_type(question), AskedWords.of(question), outlet)
    return [(text[s.start : s.end], round(s.nearness, 2)) for s in found]


def test_the_name_beside_the_question_s_words_comes_first() -> None:
    text = "Gerrit Cole pitched well, and Barry Bonds holds the single-season record of 73 home runs."
    found = spans(text, [("Gerrit Cole", "PERSON"), ("Barry Bonds", "PERSON")], "Who holds the single-season record?")
    assert found[0] == ("Barry Bonds", 1.0) and found[1][0] == "Gerrit Cole" and found[1][1] < 1.0


def test_a_name_the_question_gives_is_not_an_answer() -> None:
    text = "Netflix said Squid Game returns."
    assert spans(text, [("Netflix", "ORG")], "Which company did Netflix buy?") == []


def test_the_outlet_credited_at_the_start_is_not_an_answer() -> None:
    text = "(CNN) The company Acme Corp. recalled its toasters."
    found = spans(text, [("CNN", "ORG"), ("Acme Corp.", "ORG")], "Which company recalled toasters?", "cnn.com")
    assert [name for name, _ in found] == ["Acme Corp."]
    text = "USA TODAY Sports picks the Colorado Avalanche to win."
    found = spans(text, [("USA TODAY Sports", "ORG"), ("the Colorado Avalanche", "ORG")], "Which team will win?",
                  "usatoday.com")
    assert [name for name, _ in found] == ["the Colorado Avalanche"]


def test_an_amount_needs_a_number() -> None:
    text = "Millions of swings were recalled; the recall affects 2 million swings."
    found = spans(text, [("Millions", "CARDINAL"), ("2 million", "CARDINAL")], "How many swings were recalled?")
    assert [name for name, _ in found] == ["2 million"]


def test_a_sentence_without_the_question_s_words_has_names_of_no_nearness() -> None:
    assert spans("Paris is lovely.", [("Paris", "GPE")], "Which city hosts the games?") == [("Paris", 0.0)]
