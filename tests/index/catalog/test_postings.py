import math

import numpy as np
import pytest

from index.catalog import postings as postings_module
from index.catalog.postings import B, K1, Documents, Postings, bm25

TEXTS = {
    0: "the mayor said the budget is balanced".split(),
    1: "the budget vote was delayed".split(),
    2: "storm hits the coast".split(),
    3: "mayor mayor mayor".split(),
    4: "a long report on roads rail ports and the budget of every county".split(),
}
TITLES = {0: "mayor wins budget vote".split(), 1: [], 2: "storm coast report".split(), 3: [], 4: ["report"]}


def brute_force(slots: list[int], words: list[str], title_weight: float) -> dict[int, float]:
    """BM25 as SQLite's FTS5 computes it over rows of two columns, written out plainly."""
    lengths = {s: len(TEXTS[s]) + len(TITLES[s]) for s in slots}
    average = sum(lengths.values()) / len(slots)
    scores = dict.fromkeys(slots, 0.0)
    for word in dict.fromkeys(words):
        holding = [s for s in slots if word in TEXTS[s] or word in TITLES[s]]
        if not holding:
            continue
        idf = max(1e-6, math.log((len(slots) - len(holding) + 0.5) / (len(holding) + 0.5)))
        for s in holding:
            tf = TEXTS[s].count(word) + title_weight * TITLES[s].count(word)
            scores[s] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[s] / average))
    return scores


def postings_of(slots: list[int]) -> Postings:
    postings = Postings()
    postings.add([(s, TEXTS[s], TITLES[s]) for s in slots])
    return postings


def assert_scores(postings: Postings, live: list[int], words: list[str], title_weight: float = 1.0) -> None:
    got = bm25(words, postings, Documents.of(postings, 5), title_weight)
    expected = np.zeros(5)
    for slot, score in brute_force(live, words, title_weight).items():
        expected[slot] = score
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("title_weight", [0.0, 1.0, 2.5])
def test_scores_are_fts5_bm25_over_text_and_weighted_title(title_weight: float) -> None:
    assert_scores(postings_of(list(TEXTS)), list(TEXTS), ["mayor", "budget", "coast", "report"], title_weight)


def test_removed_documents_score_nothing_and_leave_the_statistics() -> None:
    postings = postings_of(list(TEXTS))
    postings.remove([0])
    assert_scores(postings, [1, 2, 3, 4], ["mayor", "budget", "the", "storm"])


@pytest.mark.parametrize("compact", [False, True])
def test_documents_added_later_score_as_in_a_fresh_index(compact: bool) -> None:
    postings = postings_of([0, 1])
    postings.remove([1])
    postings.add([(s, TEXTS[s], TITLES[s]) for s in (2, 3, 4)])
    if compact:
        postings.compact()
    assert_scores(postings, [0, 2, 3, 4], ["mayor", "storm", "budget", "report"])


def test_a_restored_index_scores_alike() -> None:
    postings = postings_of(list(TEXTS))
    postings.remove([2])
    restored = Postings.restore(postings.state())
    np.testing.assert_array_equal(bm25(["mayor", "coast"], restored, Documents.of(restored, 5), 1.0),
                                  bm25(["mayor", "coast"], postings, Documents.of(postings, 5), 1.0))
    restored.add([(5, ["coast", "mayor"], [])])
    assert bm25(["coast"], restored, Documents.of(restored, 6), 1.0)[5] > 0


def test_unknown_words_and_an_empty_index_score_zero() -> None:
    empty = Postings()
    assert not bm25(["anything"], empty, Documents.of(empty, 0), 1.0).any()
    postings = Postings()
    postings.add([(0, [], []), (1, ["word"], [])])
    assert not bm25(["other"], postings, Documents.of(postings, 2), 1.0).any()


def test_terms_scored_again_score_alike_for_each_title_weight() -> None:
    postings = postings_of(list(TEXTS))
    documents = Documents.of(postings, 5)
    first = bm25(["mayor", "budget"], postings, documents, 1.0)
    np.testing.assert_array_equal(bm25(["budget", "mayor", "budget"], postings, documents, 1.0), first)
    assert_scores(postings, list(TEXTS), ["mayor", "budget"], title_weight=2.5)


def test_the_terms_kept_scored_stay_within_their_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings_module, "KEPT_TERM_PAIRS", 3)  # "budget" is in 3 documents, "the" in 4
    monkeypatch.setattr(postings_module, "MIN_KEPT_PAIRS", 2)  # "mayor" is in 2
    postings = postings_of(list(TEXTS))
    documents = Documents.of(postings, 5)
    expected = bm25(["the", "budget", "mayor"], postings, Documents.of(postings, 5), 1.0)
    for _ in range(2):
        np.testing.assert_array_equal(bm25(["the", "budget", "mayor"], postings, documents, 1.0), expected)
        assert 0 < documents.term_scores.used <= 3


def test_only_the_scores_of_words_held_by_enough_documents_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings_module, "MIN_KEPT_PAIRS", 3)
    postings = postings_of(list(TEXTS))
    documents = Documents.of(postings, 5)
    bm25(["mayor", "budget"], postings, documents, 1.0)
    assert len(documents.term_scores) == 1 and documents.term_scores.used == 3  # "budget"; "mayor" is in 2


def test_postings_whose_wide_gaps_are_not_left_out_of_the_short_ones_are_refused() -> None:
    postings = Postings(np.uint8)
    postings.add([(0, ["harbour"], []), (70_000, ["harbour"], [])])
    state = postings.state()
    state["gaps"] = state["gaps"].copy()
    state["gaps"][state["wide_at"]] = 1
    with pytest.raises(ValueError, match="do not fit together"):
        Postings.restore(state)


def test_slots_far_apart_are_kept_exactly_when_packed() -> None:
    postings = Postings(np.uint8)
    far = [0, 3, 70_000, 70_001, 300_000]
    postings.add([(slot, ["harbour"], ["storm"] if slot == 300_000 else []) for slot in far])
    postings.add([(400_000, ["storm", "storm"], [])])  # a term whose first slot is far from 0
    postings.compact()
    assert postings.pairs("harbour")[0].tolist() == far
    assert postings.pairs("storm")[0].tolist() == [300_000, 400_000]
    assert postings.pairs("storm")[1].tolist() == [0, 2] and postings.pairs("storm")[2].tolist() == [1, 0]
    restored = Postings.restore(postings.state())
    assert restored.pairs("harbour")[0].tolist() == far and restored.pairs("storm")[0].tolist() == [300_000, 400_000]
    # 7 pairs of a 2-byte gap and two 1-byte counts; the 4 gaps too wide for 16 bits kept whole, with
    # their places; where each of the 2 terms starts.
    assert postings.nbytes() == 7 * 4 + 4 * 16 + 3 * 8 + postings.lengths.nbytes + postings.alive.nbytes


def test_a_chunk_s_counts_take_8_bits_and_an_article_s_16() -> None:
    chunk, article = Postings(np.uint8), Postings()
    for postings in (chunk, article):
        postings.add([(0, ["budget"] * 300, ["budget"])])
    assert chunk.pairs("budget")[1].tolist() == [255] and article.pairs("budget")[1].tolist() == [300]
    chunk.compact()
    assert chunk.pairs("budget")[1].dtype == np.uint8
    assert Postings.restore(chunk.state()).pairs("budget")[1].tolist() == [255]
