import math

import numpy as np
import pytest

from index.postings import B, K1, Postings

DOCS = {
    0: "the mayor said the budget is balanced".split(),
    1: "the budget vote was delayed".split(),
    2: "storm hits the coast".split(),
    3: "mayor mayor mayor".split(),
}


def brute_force(docs: dict[int, list[str]], word: str) -> dict[int, float]:
    average = sum(len(d) for d in docs.values()) / len(docs)
    holding = [slot for slot, words in docs.items() if word in words]
    idf = math.log(1 + (len(docs) - len(holding) + 0.5) / (len(holding) + 0.5))
    scores = {}
    for slot in holding:
        tf = docs[slot].count(word)
        scores[slot] = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(docs[slot]) / average))
    return scores


def assert_scores(postings: Postings, docs: dict[int, list[str]], words: list[str]) -> None:
    got = postings.scores(words)
    expected = np.zeros(len(got))
    for word in words:
        for slot, score in brute_force(docs, word).items():
            expected[slot] += score
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_scores_are_bm25_over_the_live_documents() -> None:
    postings = Postings()
    postings.add(list(DOCS.items()))
    assert_scores(postings, DOCS, ["mayor", "budget"])


def test_removed_documents_score_nothing_and_leave_the_statistics() -> None:
    postings = Postings()
    postings.add(list(DOCS.items()))
    postings.remove([0])
    remaining = {slot: words for slot, words in DOCS.items() if slot != 0}
    assert_scores(postings, remaining, ["mayor", "budget", "the"])


@pytest.mark.parametrize("compact", [False, True])
def test_documents_added_later_score_as_in_a_fresh_index(compact: bool) -> None:
    postings = Postings()
    postings.add([(0, DOCS[0]), (1, DOCS[1])])
    postings.remove([1])
    postings.add([(2, DOCS[2]), (3, DOCS[3])])
    if compact:
        postings.compact()
    fresh = {slot: DOCS[slot] for slot in (0, 2, 3)}
    assert_scores(postings, fresh, ["mayor", "storm", "budget"])


def test_a_restored_index_scores_alike() -> None:
    postings = Postings()
    postings.add(list(DOCS.items()))
    postings.remove([2])
    restored = Postings.restore(postings.state())
    np.testing.assert_array_equal(restored.scores(["mayor", "coast"]), postings.scores(["mayor", "coast"]))
    restored.add([(4, ["coast", "mayor"])])
    assert restored.scores(["coast"])[4] > 0


def test_unknown_words_and_an_empty_index_score_zero() -> None:
    assert not Postings().scores(["anything"]).any()
    postings = Postings()
    postings.add([(0, []), (1, ["word"])])
    assert not postings.scores(["other"]).any()
