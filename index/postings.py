"""BM25 in memory: an inverted index over one field (a chunk's text, an article's title...), and the
scoring of documents made of several fields.

Documents live in numbered slots that are never reused; a removed document's slot is marked dead
and skipped. For each term, the (slot, count) pairs of the documents holding it: one merged run
("base") plus the runs added since, which `compact` folds into the base. Every statistic BM25 needs
(documents, their mean length, how many hold a term) is taken over live documents only, at query
time, so removing or replacing documents gives exactly the scores a fresh index would.
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# The usual BM25 constants (Robertson; Lucene and SQLite FTS5 use the same).
K1 = 1.2
B = 0.75


class Postings:
    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self._base_starts = np.zeros(1, dtype=np.int64)  # term t's pairs are base[starts[t]:starts[t + 1]]
        self._base_slots = np.zeros(0, dtype=np.int32)
        self._base_counts = np.zeros(0, dtype=np.float32)
        self._recent: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._recent_pairs = 0
        self.lengths = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self._live = 0

    @property
    def slots(self) -> int:
        return len(self.alive)

    @property
    def live(self) -> int:
        return self._live

    @property
    def pairs(self) -> int:
        return len(self._base_slots) + self._recent_pairs

    def add(self, documents: Sequence[tuple[int, Sequence[str]]]) -> None:
        """Adds documents, each (slot, its terms in order); a slot must be new."""
        if not documents:
            return
        self._grow(max(slot for slot, _ in documents) + 1)
        term_ids, slots, counts = [], [], []
        for slot, words in documents:
            ids, per_term = np.unique(self._term_ids(words), return_counts=True)
            term_ids.append(ids)
            slots.append(np.full(len(ids), slot, dtype=np.int32))
            counts.append(per_term.astype(np.float32))
            self.lengths[slot] = len(words)
            self.alive[slot] = True
            self._live += 1
        self._append_runs(np.concatenate(term_ids), np.concatenate(slots), np.concatenate(counts))

    def remove(self, slots: Iterable[int]) -> None:
        for slot in slots:
            if slot < len(self.alive) and self.alive[slot]:
                self.alive[slot] = False
                self._live -= 1

    def pairs(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """(slots, counts) of the live documents holding the word."""
        term = self.vocabulary.get(word)
        if term is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        slots, counts = self._pairs_of(term)
        keep = self.alive[slots]
        return slots[keep], counts[keep]

    def compact(self) -> None:
        """Folds the runs added since the last compaction into the base, leaving out dead slots."""
        if not self._recent and bool(self.alive[self._base_slots].all()):
            return
        terms = [np.repeat(np.arange(len(self._base_starts) - 1, dtype=np.int64), np.diff(self._base_starts))]
        slots, counts = [self._base_slots], [self._base_counts]
        for term, runs in self._recent.items():
            for run_slots, run_counts in runs:
                terms.append(np.full(len(run_slots), term, dtype=np.int64))
                slots.append(run_slots)
                counts.append(run_counts)
        self._set_base(np.concatenate(terms), np.concatenate(slots), np.concatenate(counts))

    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to restore this index, compacted, as arrays."""
        self.compact()
        words = np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__), dtype=object)
        return {
            "vocabulary": np.array(["\x00".join(words)]), "starts": self._base_starts, "slots": self._base_slots,
            "counts": self._base_counts, "lengths": self.lengths, "alive": self.alive,
        }

    @classmethod
    def restore(cls, state: dict[str, np.ndarray]) -> "Postings":
        postings = cls()
        joined = str(state["vocabulary"][0])
        words = joined.split("\x00") if joined else []
        postings.vocabulary = {word: i for i, word in enumerate(words)}
        postings._base_starts = state["starts"].astype(np.int64)
        postings._base_slots = state["slots"].astype(np.int32)
        postings._base_counts = state["counts"].astype(np.float32)
        postings.lengths = state["lengths"].astype(np.float32)
        postings.alive = state["alive"].astype(bool)
        postings._live = int(postings.alive.sum())
        if len(postings._base_starts) != len(words) + 1 or len(postings.lengths) != len(postings.alive):
            raise ValueError("the saved postings do not fit together")
        return postings

    def _term_ids(self, words: Sequence[str]) -> np.ndarray:
        vocabulary = self.vocabulary
        ids = [vocabulary.get(word, -1) for word in words]
        if -1 in ids:  # new words: numbered in order of first appearance
            for i, word in enumerate(words):
                if ids[i] == -1:
                    ids[i] = vocabulary.setdefault(word, len(vocabulary))
        return np.array(ids, dtype=np.int64)

    def _append_runs(self, terms: np.ndarray, slots: np.ndarray, counts: np.ndarray) -> None:
        if not len(terms):
            return
        order = np.argsort(terms, kind="stable")
        terms, slots, counts = terms[order], slots[order], counts[order]
        bounds = np.flatnonzero(np.diff(terms)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(terms)]])
        for start, end in zip(starts.tolist(), ends.tolist()):
            self._recent.setdefault(int(terms[start]), []).append((slots[start:end], counts[start:end]))
        self._recent_pairs += len(terms)
        # Many small runs make every query slower: fold them in once they are a fair share of the base.
        if self._recent_pairs > max(200_000, len(self._base_slots) // 4):
            self.compact()

    def _pairs_of(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        base = (slice(self._base_starts[term], self._base_starts[term + 1])
                if term + 1 < len(self._base_starts) else slice(0, 0))
        runs = self._recent.get(term)
        if not runs:
            return self._base_slots[base], self._base_counts[base]
        return (np.concatenate([self._base_slots[base], *(r[0] for r in runs)]),
                np.concatenate([self._base_counts[base], *(r[1] for r in runs)]))

    def _set_base(self, terms: np.ndarray, slots: np.ndarray, counts: np.ndarray) -> None:
        keep = self.alive[slots] if len(slots) else np.zeros(0, dtype=bool)
        terms, slots, counts = terms[keep], slots[keep], counts[keep]
        order = np.argsort(terms, kind="stable")
        per_term = np.bincount(terms, minlength=len(self.vocabulary))
        self._base_starts = np.concatenate([[0], np.cumsum(per_term)]).astype(np.int64)
        self._base_slots = slots[order].astype(np.int32)
        self._base_counts = counts[order].astype(np.float32)
        self._recent = {}
        self._recent_pairs = 0

    def _grow(self, size: int) -> None:
        if size <= len(self.alive):
            return
        capacity = max(size, 2 * len(self.alive), 1024)
        self.lengths = np.concatenate([self.lengths, np.zeros(capacity - len(self.lengths), dtype=np.float32)])
        self.alive = np.concatenate([self.alive, np.zeros(capacity - len(self.alive), dtype=bool)])


@dataclass(frozen=True)
class Field:
    """A field of the documents scored: its postings, its weight, and, when its slots are not the
    documents' (an article's title, for its chunks), how its pairs spread onto document slots."""

    postings: Postings
    weight: float = 1.0
    spread: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None


@dataclass(frozen=True)
class Documents:
    """The documents scored: each slot's length (all its fields' words), whether it is live, and
    their count and mean length, worked out once per change rather than per query."""

    lengths: np.ndarray
    alive: np.ndarray
    count: int
    average_length: float

    @classmethod
    def of(cls, lengths: np.ndarray, alive: np.ndarray) -> "Documents":
        count = int(alive.sum())
        return cls(lengths, alive, count, max(float(lengths[alive].sum()) / count, 1.0) if count else 1.0)


def bm25(words: Sequence[str], fields: Sequence[Field], documents: Documents) -> np.ndarray:
    """BM25 of every document slot for any of the words, as SQLite's FTS5 scores a row of several
    columns: a term's count in a document is the weighted sum of its counts in each field, the
    document's length is all its fields' words, and a term's rarity is over the documents holding it
    in any field. Dead slots score 0."""
    alive, lengths = documents.alive, documents.lengths
    scores = np.zeros(len(alive), dtype=np.float32)
    if not documents.count:
        return scores
    average = documents.average_length
    counts = np.zeros(len(alive), dtype=np.float32)
    first = np.zeros(len(alive), dtype=np.int64)
    for word in dict.fromkeys(words):
        touched = []
        for field in fields:
            slots, found = field.postings.pairs(word)
            if field.spread is not None:
                slots, found = field.spread(slots, found)
            inside = slots < len(alive)
            slots = slots[inside]
            counts[slots] += np.float32(field.weight) * found[inside]  # a field holds a slot once
            touched.append(slots)
        every = np.concatenate(touched) if len(touched) > 1 else touched[0]
        # Each slot once, without sorting: the slots whose first mention is at their own position.
        order = np.arange(len(every))
        first[every[::-1]] = order[::-1]
        holding = every[first[every] == order]
        holding = holding[alive[holding]]
        if len(holding):
            idf = max(1e-6, math.log((documents.count - len(holding) + 0.5) / (len(holding) + 0.5)))
            tf = counts[holding]
            scores[holding] += np.float32(idf) * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * lengths[holding] / average))
        counts[every] = 0.0
    return scores
