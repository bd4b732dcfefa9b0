import re

from hypothesis import given
from hypothesis import strategies as st

from index.catalog.terms import terms, terms_with_starts, word_matches, words

TEXT = "Pérez told İstanbul’s covid_19 panel: O'Neill paid $5,000 in 2023 elections."
# Characters that tokenizers disagree on: "_", apostrophes, hyphens, accents, a capital that lower-cases
# to two characters, combining marks, digits of other scripts, other scripts.
TRICKY = st.text(alphabet=st.sampled_from(list("aZ9 _.,'’-$İÉéß\u0307\u0301²٣Жσ中\n")), max_size=40)


def test_a_word_is_a_run_of_letters_digits_and_underscores_as_written() -> None:
    assert words("O'Neill’s covid_19 Pérez, 2023") == ["O", "Neill", "s", "covid_19", "Pérez", "2023"]


def test_underscores_may_split_words_and_marks_may_join_them() -> None:
    assert words("covid_19 O'Neill", split_at_underscores=True) == ["covid", "19", "O", "Neill"]
    assert words("J.R. O'Neill-Smith", joined_by="'.-") == ["J.R.", "O'Neill-Smith"]


@given(TRICKY)
def test_split_at_underscores_are_letters_and_digits_as_in_sqlite_unicode61(text: str) -> None:
    assert words(text, split_at_underscores=True) == re.findall(r"[^\W_]+", text)


@given(TRICKY)
def test_word_matches_give_each_word_where_the_text_has_it(text: str) -> None:
    matches = list(word_matches(text, split_at_underscores=True))
    assert [text[m.start() : m.end()] for m in matches] == words(text, split_at_underscores=True)


def test_terms_are_folded_stemmed_and_split_at_underscores() -> None:
    # A lone "s" stems to nothing and is left out.
    expected = ["perez", "told", "istanbul", "covid", "19", "panel", "o", "neill", "paid", "5", "000", "in",
                "2023", "elect"]
    assert terms(TEXT) == expected
    found, starts = terms_with_starts(TEXT)
    assert found == expected
    assert [TEXT[s : s + 5] for s in starts[:4]] == ["Pérez", "told ", "İstan", "covid"]
