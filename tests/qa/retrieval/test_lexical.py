from qa.retrieval.lexical import query_terms
from qa.retrieval.recency import asks_about_recent, freshness


def test_query_terms_keep_names_and_numbers_and_drop_question_words() -> None:
    assert query_terms("What did Netanyahu say about Iran in 2023, and why did Netanyahu say it?") == [
        "netanyahu", "iran", "2023"]


def test_query_terms_keep_a_single_digit_and_words_as_written() -> None:
    assert query_terms("Did Apollo 8 or covid_19 reach Pérez in 2023?") == [
        "apollo", "8", "covid_19", "reach", "pérez", "2023"]


def test_recent_questions_are_recognised() -> None:
    assert asks_about_recent("Which show was recently renewed?")
    assert asks_about_recent("Who won the election this week?")
    assert not asks_about_recent("Why did Netanyahu thank Putin?")


def test_freshness_halves_every_half_life_and_ignores_undated() -> None:
    day = 86_400
    assert freshness(10 * day, 10 * day, 7) == 1.0
    assert freshness(3 * day, 10 * day, 7) == 0.5
    assert freshness(None, 10 * day, 7) == 0.0


def test_news_style_time_words_count_as_recent() -> None:
    assert asks_about_recent("What NFL star announced his retirement on Tuesday?")
    assert asks_about_recent("Which continent will soon require a common charger?")
    assert not asks_about_recent("Where in the US is it illegal to pump your own gas?")
