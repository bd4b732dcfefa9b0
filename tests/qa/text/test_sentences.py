import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.models import Span
from qa.text.sentences import sentence_spans, sentence_window


def sentences(text: str, within: Span | None = None) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text, within)]


def test_abbreviations_and_quotes_do_not_split_sentences() -> None:
    text = 'Mr. Smith flew to the U.S. on Monday. He said, "I am here." Dr. Jones met him at 5 p.m. on Jan. 5.'
    assert sentences(text) == [
        "Mr. Smith flew to the U.S. on Monday.",
        'He said, "I am here."',
        "Dr. Jones met him at 5 p.m. on Jan. 5.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. First item is here. 2. Second item is here.", ["1. First item is here.", "2. Second item is here."]),
        ("Steps: 1. Call Mr. Lee. 2. Fly to the U.S. on Monday. 3) Wait.",
         ["Steps:", "1. Call Mr. Lee.", "2. Fly to the U.S. on Monday.", "3) Wait."]),
        ("i. Roman items stay whole. ii. So does the next one.",
         ["i. Roman items stay whole.", "ii. So does the next one."]),
        ("He was born in 1990. 2. A stray number still starts its sentence.",
         ["He was born in 1990.", "2. A stray number still starts its sentence."]),
        ('1. "Go now," she said. 2. He went.', ['1. "Go now," she said.', "2. He went."]),
    ],
)
def test_an_item_number_stays_with_its_item(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_numbers_that_are_not_a_list_do_not_join_sentences() -> None:
    text = "He scored 2. Then 3. He ranked No. 1 in the U.S. last year."
    assert sentences(text) == ["He scored 2.", "Then 3.", "He ranked No. 1 in the U.S. last year."]


def test_quotes_with_abbreviations_inside_stay_whole() -> None:
    text = '“Mr. Smith went to Washington, D.C. on Friday,” she said. “The U.S. is ready.” He left.'
    assert sentences(text) == [
        "“Mr. Smith went to Washington, D.C. on Friday,” she said.", "“The U.S. is ready.”", "He left.",
    ]


def test_every_line_ends_a_sentence() -> None:
    text = "Key areas included:\n- The Syrian Conflict: unrest.\n- Iran’s Influence: threats\nThe Conclusion\nIt ended."
    assert sentences(text) == [
        "Key areas included:",
        "- The Syrian Conflict: unrest.",
        "- Iran’s Influence: threats",
        "The Conclusion",
        "It ended.",
    ]


def test_offsets_are_exact_with_unicode_and_spaces() -> None:
    text = "  Café 😀 opened.   Prices rose 5.5% in Q3!  \r\n\r\n  «Bien», dit-il.  "
    spans = sentence_spans(text)
    assert [text[s.start : s.end] for s in spans] == ["Café 😀 opened.", "Prices rose 5.5% in Q3!", "«Bien», dit-il."]


def test_only_sentences_overlapping_the_window_are_returned_whole() -> None:
    text = "First sentence here. Second sentence here. Third sentence here.\nFourth line here."
    window = Span(text.index("cond"), text.index("Third") + 3)
    assert sentences(text, window) == ["Second sentence here.", "Third sentence here."]


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert sentences("") == [] and sentences(" \n\n \t") == []


def test_non_ascii_spaces_before_a_period_do_not_crash_the_splitter() -> None:
    text = "The council adopted Plan B\u00a0. The vote was 7\u202fto 2. «Oui», dit-il."
    assert sentences(text) == ["The council adopted Plan B\u00a0.", "The vote was 7\u202fto 2.", "«Oui», dit-il."]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_text_splits_into_exact_ordered_sentences(text: str) -> None:
    _check_exact_and_ordered(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["1.", "2.", "3)", "ii.", "Mr.", "U.S.", "No.", "Go", "home", '"', ".", " ", "\n"]),
                max_size=40))
def test_lists_and_abbreviations_split_into_exact_ordered_sentences(tokens: list[str]) -> None:
    _check_exact_and_ordered(" ".join(tokens))


def _check_exact_and_ordered(text: str) -> None:
    spans = sentence_spans(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == text[span.start : span.end].strip()
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def window(text: str, core: str, max_chars: int) -> str:
    start = text.index(core)
    span = sentence_window(text, Span(start, start + len(core)), max_chars)
    return text[span.start : span.end]


def test_a_window_grows_by_whole_sentences_after_then_before_within_its_size() -> None:
    text = "One two. Three four five. Six seven. Eight nine ten. Eleven."
    assert window(text, "Six s", 30) == "Six seven. Eight nine ten."
    assert window(text, "Six s", 45) == "Three four five. Six seven. Eight nine ten."
    assert window(text, "Six s", 1000) == text


def test_a_window_keeps_growing_on_the_side_that_still_fits() -> None:
    text = "A very long first sentence that will not fit at all. Short one. Core here. Two. Three."
    assert window(text, "Core here.", 35) == "Short one. Core here. Two. Three."


def test_a_core_longer_than_the_window_is_only_snapped_to_its_sentences() -> None:
    text = "Before it. The core sentence is long. After it."
    assert window(text, "core sentence", 5) == "The core sentence is long."


def test_a_window_crosses_lines_and_stops_at_its_room() -> None:
    text = "Headline here\n\nFirst one. Core sentence.\nNext line.\n\nLast para."
    assert window(text, "Core", 1000) == text
    core = text.index("Core")
    room = Span(text.index("First"), text.index("Last") - 1)
    span = sentence_window(text, Span(core, core + 4), 1000, room)
    assert text[span.start : span.end] == "First one. Core sentence.\nNext line."


def test_an_initial_followed_by_a_comma_ends_no_sentence() -> None:
    text = "Committee Chairwoman Rep. Carolyn Maloney, D-N.Y., announced a subpoena. Snyder declined."
    assert [text[s.start : s.end] for s in sentence_spans(text)] == [
        "Committee Chairwoman Rep. Carolyn Maloney, D-N.Y., announced a subpoena.", "Snyder declined.",
    ]
