"""The kind of name or number a question asks for, read from its question word and category noun."""

import pytest

from qa.answering.answer_types import (
    AMOUNT, DATE, MONEY, PERCENT, PERSON, PLACE, WHO, WORK, answer_type, asking_sentence,
)


@pytest.mark.parametrize(("question", "labels", "noun"), [
    ("Who became the new prime minister of the United Kingdom this week?", WHO, None),
    ("When are loan payments set to restart?", DATE, None),
    ("Where did the massive data leak occur?", PLACE, None),
    ("How much was Instagram fined this week?", MONEY | AMOUNT | PERCENT, None),
    ("How many hot dogs did he eat?", AMOUNT, "dogs"),
    ("How many months was her detention extended?", DATE | AMOUNT, "month"),
    ("How many minutes did the violence play out?", DATE | AMOUNT, "minute"),
    ("What percentage of US adults disapprove?", PERCENT, "percentage"),
    ("Which country was shaken by an earthquake?", PLACE, "country"),
    ("In which city did the attack occur?", PLACE, "city"),
    ("Which two countries are forging closer ties?", PLACE, "country"),
    ("Which wildly popular show was green lit for a new season?", WORK, "show"),
    ("Which head of state announced his resignation?", PERSON, "head"),
    ("Which company's stock became cheaper?", frozenset({"ORG"}), "company"),
    ("What was the record high price for a gallon of gas?", MONEY | AMOUNT, "price"),
])
def test_a_question_word_and_its_noun_give_the_kinds_that_answer(question, labels, noun) -> None:
    found = answer_type(question)
    assert found is not None and found.labels == labels and found.noun == noun


@pytest.mark.parametrize("question", [
    "Why were some SUVs recalled this week?",
    "What did Netanyahu say about Iran?",
    "Which measure did lawmakers leave out?",
    "The IRS announced it will do what this week?",
])
def test_a_question_asking_for_no_name_or_number_has_no_type(question) -> None:
    assert answer_type(question) is None


def test_a_relative_who_is_not_the_question_word() -> None:
    found = answer_type("A drone strike killed a terrorist, who was associated with which group?")
    assert found is not None and found.noun == "group"


def test_the_last_sentence_that_asks_decides_and_is_the_asking_sentence() -> None:
    question = "Aaron Judge hit his 62nd home run this week. Who holds the record with 73 home runs?"
    assert answer_type(question).labels == WHO
    assert asking_sentence(question) == "Who holds the record with 73 home runs?"
    assert asking_sentence("Who holds the record?") is None
