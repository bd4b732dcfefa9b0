"""BM25 over one field (a chunk's text, an article's title...), in memory.

Documents live in numbered slots that are never reused; a removed document's slot is marked dead
and skipped. For each term, the (slot, count) pairs of the documents holding it: one merged run
("base") plus the runs added since, which `compact` folds into the base. Every statistic BM25 needs
(documents, their mean length, how many hold a term) is taken over live documents only, at query
time, so removing or replacing documents gives exactly the scores a fresh index would.
"""

import math
from collections.abc import Iterable, Sequence

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
        self._live_length = 0.0
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
            self._live_length += len(words)
            self._live += 1
        self._append_runs(np.concatenate(term_ids), np.concatenate(slots), np.concatenate(counts))

    def remove(self, slots: Iterable[int]) -> None:
        for slot in slots:
            if slot < len(self.alive) and self.alive[slot]:
                self.alive[slot] = False
                self._live_length -= float(self.lengths[slot])
                self._live -= 1

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """BM25 of every slot for any of the words (dead slots score 0)."""
        out = np.zeros(self.slots, dtype=np.float32)
        if not self._live:
            return out
        average = max(self._live_length / self._live, 1.0)
        for word in dict.fromkeys(words):
            term = self.vocabulary.get(word)
            if term is None:
                continue
            slots, counts = self._pairs_of(term)
            keep = self.alive[slots]
            slots, counts = slots[keep], counts[keep]
            if not len(slots):
                continue
            # Lucene's idf, which stays positive for terms in most documents.
            idf = math.log(1.0 + (self._live - len(slots) + 0.5) / (len(slots) + 0.5))
            norm = counts + K1 * (1.0 - B + B * self.lengths[slots] / average)
            out[slots] += np.float32(idf) * counts * (K1 + 1.0) / norm
        return out

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
        postings._live_length = float(postings.lengths[postings.alive].sum())
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
