import math

import numpy as np
import pytest

from index.postings import B, K1, Documents, Field, Postings, bm25

DOCS = {
    0: "the mayor said the budget is balanced".split(),
    1: "the budget vote was delayed".split(),
    2: "storm hits the coast".split(),
    3: "mayor mayor mayor".split(),
    4: "a long report on roads rail ports and the budget of every county".split(),
}


def brute_force(docs: dict[int, list[str]], words: list[str], titles: dict[int, list[str]] | None = None,
                title_weight: float = 1.0) -> dict[int, float]:
    """BM25 as SQLite's FTS5 computes it, written out plainly."""
    titles = titles or {slot: [] for slot in docs}
    lengths = {slot: len(docs[slot]) + len(titles[slot]) for slot in docs}
    average = sum(lengths.values()) / len(docs)
    scores = dict.fromkeys(docs, 0.0)
    for word in dict.fromkeys(words):
        holding = [slot for slot in docs if word in docs[slot] or word in titles[slot]]
        if not holding:
            continue
        idf = max(1e-6, math.log((len(docs) - len(holding) + 0.5) / (len(holding) + 0.5)))
        for slot in holding:
            tf = docs[slot].count(word) + title_weight * titles[slot].count(word)
            scores[slot] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[slot] / average))
    return scores


def scores(postings: Postings, words: list[str]) -> np.ndarray:
    return bm25(words, [Field(postings)], Documents.of(postings.lengths, postings.alive))


def assert_scores(postings: Postings, docs: dict[int, list[str]], words: list[str]) -> None:
    got = scores(postings, words)
    expected = np.zeros(len(got))
    for slot, score in brute_force(docs, words).items():
        expected[slot] = score
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_scores_are_bm25_over_the_live_documents() -> None:
    postings = Postings()
    postings.add(list(DOCS.items()))
    assert_scores(postings, DOCS, ["mayor", "budget", "coast"])


def test_removed_documents_score_nothing_and_leave_the_statistics() -> None:
    postings = Postings()
    postings.add(list(DOCS.items()))
    postings.remove([0])
    remaining = {slot: words for slot, words in DOCS.items() if slot != 0}
    assert_scores(postings, remaining, ["mayor", "budget", "the", "storm"])


@pytest.mark.parametrize("compact", [False, True])
def test_documents_added_later_score_as_in_a_fresh_index(compact: bool) -> None:
    postings = Postings()
    postings.add([(0, DOCS[0]), (1, DOCS[1])])
    postings.remove([1])
    postings.add([(2, DOCS[2]), (3, DOCS[3]), (4, DOCS[4])])
    if compact:
        postings.compact()
    fresh = {slot: DOCS[slot] for slot in (0, 2, 3, 4)}
    assert_scores(postings, fresh, ["mayor", "storm", "budget"])


def test_a_restored_index_scores_alike() -> None:
    postings = Postings()
    postings.add(list(DOCS.items()))
    postings.remove([2])
    restored = Postings.restore(postings.state())
    np.testing.assert_array_equal(scores(restored, ["mayor", "coast"]), scores(postings, ["mayor", "coast"]))
    restored.add([(5, ["coast", "mayor"])])
    assert scores(restored, ["coast"])[5] > 0


def test_unknown_words_and_an_empty_index_score_zero() -> None:
    assert not scores(Postings(), ["anything"]).any()
    postings = Postings()
    postings.add([(0, []), (1, ["word"])])
    assert not scores(postings, ["other"]).any()


def test_a_weighted_field_spread_onto_documents_counts_as_fts5_counts_a_second_column() -> None:
    # Documents 0-1 belong to story 0 and 2-4 to story 1; each story has a title.
    story_titles = {0: "mayor wins budget vote".split(), 1: "storm coast report".split()}
    story_of = np.array([0, 0, 1, 1, 1])
    body = Postings()
    body.add([(slot, DOCS[slot]) for slot in range(5)])
    titles = Postings()
    titles.add(list(story_titles.items()))

    def onto_documents(story_slots: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        documents = [np.flatnonzero(story_of == s) for s in story_slots]
        return (np.concatenate(documents) if documents else np.zeros(0, dtype=np.int64),
                np.repeat(counts, [len(d) for d in documents]))

    lengths = body.lengths[:5] + titles.lengths[story_of]
    words = ["mayor", "budget", "storm", "report"]
    got = bm25(words, [Field(body), Field(titles, 2.0, onto_documents)], Documents.of(lengths, body.alive[:5]))
    expected = brute_force({s: DOCS[s] for s in range(5)}, words,
                           {s: story_titles[int(story_of[s])] for s in range(5)}, title_weight=2.0)
    np.testing.assert_allclose(got, [expected[s] for s in range(5)], rtol=1e-5)
