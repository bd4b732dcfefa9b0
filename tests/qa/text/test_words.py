from qa.text.words import STOPWORDS, content_words, is_content_word, words, words_of_name

SENTENCE = "Pérez told the covid_19 panel O'Neill-Smith paid $5,000 in 2023, and Pérez said so."


def test_words_are_lower_cased_in_order_with_repeats_accents_and_underscores() -> None:
    assert words(SENTENCE) == [
        "pérez", "told", "the", "covid_19", "panel", "o", "neill", "smith", "paid", "5", "000", "in", "2023", "and",
        "pérez", "said", "so",
    ]


def test_content_words_leave_out_stopwords_and_words_too_short() -> None:
    assert content_words(SENTENCE) == {"pérez", "covid_19", "panel", "neill", "smith", "paid", "000", "2023"}
    assert content_words(SENTENCE, min_length=5) == {"pérez", "covid_19", "panel", "neill", "smith"}


def test_question_words_and_news_glue_are_stopwords() -> None:
    assert {"what", "did", "say", "said", "according", "recently", "new"} <= STOPWORDS
    assert not is_content_word("which") and not is_content_word("x") and is_content_word("iran")


def test_names_keep_their_apostrophes_periods_and_hyphens() -> None:
    assert words_of_name("J.R. O'Neill-Smith’s aide, Jean-Pierre") == [
        "J.R.", "O'Neill-Smith’s", "aide", "Jean-Pierre"]
