"""BM25 in memory over documents of two fields, a text and a title (a chunk and its article's title;
an article and its title), scored as SQLite's FTS5 scores a row of two columns.

Documents live in numbered slots that are never reused; a removed document's slot is marked dead
and skipped. For each term, the documents holding it in either field with its count in each: one
merged run ("base") plus the runs added since, which `compact` folds into the base. Every statistic
BM25 needs (documents, their mean length, how many hold a term) is taken over live documents only,
at query time, so removing or replacing documents gives exactly the scores a fresh index would.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.recent import OftenUsed

# The usual BM25 constants (Robertson; Lucene and SQLite FTS5 use the same).
K1 = 1.2
B = 0.75

_Run = tuple[np.ndarray, np.ndarray, np.ndarray]  # slots, counts in the text, counts in the title
# A count in the text is kept in 16 bits by default (a word more than 65,535 times in one document counts
# 65,535 times); a chunk's, of some 160 words, fits 8 bits. A title's always does.
COUNT = np.uint16
TITLE_COUNT = np.uint8
# Base runs keep each slot as its gap from the slot before it in the term's run, in 16 bits; a wider
# gap is kept whole beside them. With 8-bit counts, 4 bytes a pair rather than 8.
GAP = np.uint16
# Terms' scores are kept for the terms searched most often, up to this many (document, score) pairs
# per set of documents, 8 bytes each (24 MB): the words of news questions recur. The words of a
# hundred questions over 100k chunks come to about 2 million pairs, over a million chunks 34 million.
KEPT_TERM_PAIRS = 3_000_000
# ... and only for words held by at least this many documents: a rarer word's scores take a few tens
# of microseconds to work out, and kept they would crowd the reckoning of what to keep.
MIN_KEPT_PAIRS = 10_000


class Postings:
    def __init__(self, count=COUNT) -> None:
        self.vocabulary: dict[str, int] = {}
        self._count = np.dtype(count)
        self._base = Packed.of(np.zeros(1, dtype=np.int64), *_empty_run(self._count))
        self._recent: dict[int, list[_Run]] = {}
        self._recent_pairs = 0
        self.lengths = np.zeros(0, dtype=np.float32)  # words in both fields
        self.alive = np.zeros(0, dtype=bool)
        self._live = 0
        self._dead_pairs = 0  # removed documents whose pairs are still in the runs (until compacted)

    @property
    def live(self) -> int:
        return self._live

    def add(self, documents: Sequence[tuple[int, Sequence[str], Sequence[str]]]) -> None:
        """Adds documents, each (slot, its text's terms, its title's terms); a slot must be new."""
        if not documents:
            return
        self._grow(max(slot for slot, _, _ in documents) + 1)
        term_ids, slots, text_counts, title_counts = [], [], [], []
        for slot, text, title in documents:
            in_text, in_title = self._term_ids(text), self._term_ids(title)
            ids, where = np.unique(np.concatenate([in_text, in_title]), return_inverse=True)
            term_ids.append(ids)
            slots.append(np.full(len(ids), slot, dtype=np.int32))
            text_counts.append(_counts(np.bincount(where[: len(in_text)], minlength=len(ids)), self._count))
            title_counts.append(_counts(np.bincount(where[len(in_text) :], minlength=len(ids)), TITLE_COUNT))
            self.lengths[slot] = len(text) + len(title)
            self.alive[slot] = True
            self._live += 1
        self._append_runs(np.concatenate(term_ids), (np.concatenate(slots), np.concatenate(text_counts),
                                                     np.concatenate(title_counts)))

    def remove(self, slots: Iterable[int]) -> None:
        for slot in slots:
            if slot < len(self.alive) and self.alive[slot]:
                self.alive[slot] = False
                self._live -= 1
                self._dead_pairs += 1

    def pairs(self, word: str) -> _Run:
        """(slots, counts in the text, counts in the title) of the live documents holding the word."""
        term = self.vocabulary.get(word)
        if term is None:
            return _empty_run(self._count)
        run = self._run_of(term)
        if not self._dead_pairs:
            return run
        keep = self.alive[run[0]]
        return run[0][keep], run[1][keep], run[2][keep]

    def compact(self) -> None:
        """Folds the runs added since the last compaction into the base, leaving out dead slots."""
        if not self._recent and not self._dead_pairs:
            return
        terms = [np.repeat(np.arange(len(self._base.starts) - 1, dtype=np.int64), np.diff(self._base.starts))]
        runs = [self._base.unpacked()]
        for term, added in self._recent.items():
            for run in added:
                terms.append(np.full(len(run[0]), term, dtype=np.int64))
                runs.append(run)
        self._set_base(np.concatenate(terms), tuple(np.concatenate([r[i] for r in runs]) for i in range(3)))

    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to restore this index, compacted, as arrays."""
        self.compact()
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {"vocabulary": np.array(["\x00".join(words)]), **self._base.state(), "lengths": self.lengths,
                "alive": self.alive}

    @classmethod
    def restore(cls, state: dict[str, np.ndarray]) -> "Postings":
        postings = cls(state["text_counts"].dtype)
        joined = str(state["vocabulary"][0])
        words = joined.split("\x00") if joined else []
        postings.vocabulary = {word: i for i, word in enumerate(words)}
        postings._base = Packed.restore(state)
        postings.lengths = state["lengths"].astype(np.float32)
        postings.alive = state["alive"].astype(bool)
        postings._live = int(postings.alive.sum())
        if len(postings._base.starts) != len(words) + 1 or len(postings.lengths) != len(postings.alive):
            raise ValueError("the saved postings do not fit together")
        return postings

    def nbytes(self) -> int:
        """The arrays' bytes (the vocabulary's Python objects aside)."""
        recent = sum(column.nbytes for runs in self._recent.values() for run in runs for column in run)
        return self._base.nbytes() + recent + self.lengths.nbytes + self.alive.nbytes

    def _term_ids(self, words: Sequence[str]) -> np.ndarray:
        vocabulary = self.vocabulary
        ids = [vocabulary.get(word, -1) for word in words]
        if -1 in ids:  # new words: numbered in order of first appearance
            for i, word in enumerate(words):
                if ids[i] == -1:
                    ids[i] = vocabulary.setdefault(word, len(vocabulary))
        return np.array(ids, dtype=np.int64)

    def _append_runs(self, terms: np.ndarray, run: _Run) -> None:
        if not len(terms):
            return
        order = np.argsort(terms, kind="stable")
        terms = terms[order]
        run = tuple(column[order] for column in run)
        bounds = np.flatnonzero(np.diff(terms)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(terms)]])
        for start, end in zip(starts.tolist(), ends.tolist()):
            self._recent.setdefault(int(terms[start]), []).append(tuple(column[start:end] for column in run))
        self._recent_pairs += len(terms)
        # Many small runs make every query slower: fold them in once they are a fair share of the base.
        if self._recent_pairs > max(200_000, len(self._base.gaps) // 4):
            self.compact()

    def _run_of(self, term: int) -> _Run:
        base = self._base.run(term)
        added = self._recent.get(term)
        if not added:
            return base
        return tuple(np.concatenate([base[i], *(run[i] for run in added)]) for i in range(3))

    def _set_base(self, terms: np.ndarray, run: _Run) -> None:
        keep = self.alive[run[0]] if len(run[0]) else np.zeros(0, dtype=bool)
        terms, slots = terms[keep], run[0][keep]
        order = np.lexsort((slots, terms))  # by term, each term's slots ascending
        per_term = np.bincount(terms, minlength=len(self.vocabulary))
        starts = np.concatenate([[0], np.cumsum(per_term)]).astype(np.int64)
        self._base = Packed.of(starts, slots[order], _counts(run[1][keep][order], self._count),
                               _counts(run[2][keep][order], TITLE_COUNT))
        self._recent = {}
        self._recent_pairs = 0
        self._dead_pairs = 0

    def _grow(self, size: int) -> None:
        if size <= len(self.alive):
            return
        capacity = max(size, 2 * len(self.alive), 1024)
        self.lengths = np.concatenate([self.lengths, np.zeros(capacity - len(self.lengths), dtype=np.float32)])
        self.alive = np.concatenate([self.alive, np.zeros(capacity - len(self.alive), dtype=bool)])


@dataclass(frozen=True)
class Documents:
    """The documents scored, worked out once per change rather than per query: whether each is live,
    their count, each one's part of BM25's denominator, K1 * (1 - B + B * length / mean length), and
    the scores of the terms searched lately."""

    alive: np.ndarray
    count: int
    saturation: np.ndarray
    term_scores: OftenUsed[tuple, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=lambda: OftenUsed(KEPT_TERM_PAIRS, size=_pairs), compare=False)

    @classmethod
    def of(cls, postings: Postings, slots: int) -> "Documents":
        alive, lengths = postings.alive[:slots], postings.lengths[:slots]
        count = int(alive.sum())
        average = max(float(lengths[alive].sum()) / count, 1.0) if count else 1.0
        return cls(alive, count, (K1 * (1.0 - B + B * lengths / average)).astype(np.float32))


def bm25(words: Sequence[str], postings: Postings, documents: Documents, title_weight: float) -> np.ndarray:
    """BM25 of every document slot for any of the words, as SQLite's FTS5 scores a row of two
    columns: a term's count in a document is its count in the text plus `title_weight` times its
    count in the title, the document's length is both fields' words, and a term's rarity is over the
    documents holding it in either. Dead slots score 0."""
    scored = [_term_scores(word, postings, documents, title_weight) for word in dict.fromkeys(words)]
    scored = [pair for pair in scored if len(pair[0])]
    summed = np.zeros(len(documents.alive), dtype=np.float32)
    if not scored:
        return summed
    # A document's terms summed in the order of the words. `add.at` adds float32 to float32 in place
    # (40% less time than bincount's sum in float64 and its conversion back; the dev questions' 200
    # best chunks are the same).
    for slots, scores in scored:
        np.add.at(summed, slots, scores)
    return summed


def _term_scores(word: str, postings: Postings, documents: Documents, title_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """(slots, BM25 of the word in each) for the live documents holding it."""
    key = (word, title_weight)
    found = documents.term_scores.get(key)
    if found is not None:
        return found
    slots, in_text, in_title = postings.pairs(word)
    # FTS5's idf, kept just above zero for words in half the documents or more.
    idf = max(1e-6, math.log((documents.count - len(slots) + 0.5) / (len(slots) + 0.5)))
    # c * tf / (tf + saturation), worked out in place: a common word's run is a million pairs long.
    if title_weight == 1.0:
        tf = np.add(in_text, in_title, dtype=np.float32)
    else:
        tf = in_text.astype(np.float32) + np.float32(title_weight) * in_title
    denominator = np.take(documents.saturation, slots)
    denominator += tf
    tf *= np.float32(idf * (K1 + 1.0))
    scored = slots, np.divide(tf, denominator, out=tf)
    if len(slots) >= MIN_KEPT_PAIRS:
        documents.term_scores.put(key, scored)
    return scored


@dataclass(frozen=True)
class Packed:
    """Pairs grouped by term, term t's at [starts[t], starts[t + 1]), each term's slots ascending and
    kept as the gap from the one before (the first, from 0) in 16 bits; a gap too wide for them is 0
    there and kept whole in `wide`, at the positions `wide_at`."""

    starts: np.ndarray
    gaps: np.ndarray
    wide_at: np.ndarray
    wide: np.ndarray
    text: np.ndarray
    title: np.ndarray

    @classmethod
    def of(cls, starts: np.ndarray, slots: np.ndarray, text: np.ndarray, title: np.ndarray) -> "Packed":
        slots = slots.astype(np.int64)
        before = np.concatenate([[0], slots[:-1]]) if len(slots) else slots
        firsts = starts[:-1][np.diff(starts) > 0]
        before[firsts] = 0
        gaps = slots - before
        wide_at = np.flatnonzero(gaps > np.iinfo(GAP).max)
        wide = gaps[wide_at]
        gaps[wide_at] = 0
        return cls(starts.astype(np.int64), gaps.astype(GAP), wide_at.astype(np.int64), wide.astype(np.int64),
                   text, title)

    @classmethod
    def restore(cls, state: dict[str, np.ndarray]) -> "Packed":
        packed = cls(state["starts"].astype(np.int64), state["gaps"].astype(GAP), state["wide_at"].astype(np.int64),
                     state["wide"].astype(np.int64), state["text_counts"], state["title_counts"].astype(TITLE_COUNT))
        fits = len(packed.gaps) == len(packed.text) == len(packed.title) == packed.starts[-1]
        if not fits or len(packed.wide_at) != len(packed.wide) or packed.gaps[packed.wide_at].any():
            raise ValueError("the saved postings do not fit together")
        return packed

    def run(self, term: int) -> _Run:
        if term + 1 >= len(self.starts):
            return _empty_run(self.text.dtype)
        start, end = int(self.starts[term]), int(self.starts[term + 1])
        slots = np.cumsum(self.gaps[start:end], dtype=np.int32)
        first, last = np.searchsorted(self.wide_at, [start, end])
        if last > first:  # each wide gap moves every slot after it
            wide = np.zeros(end - start, dtype=np.int32)
            wide[self.wide_at[first:last] - start] = self.wide[first:last]
            slots += np.cumsum(wide, dtype=np.int32)
        return slots, self.text[start:end], self.title[start:end]

    def unpacked(self) -> _Run:
        """Every pair's slot, text count and title count, in order."""
        gaps = self.gaps.astype(np.int64)
        gaps[self.wide_at] = self.wide
        running = np.cumsum(gaps)
        lengths = np.diff(self.starts)
        before = np.concatenate([[0], running])[self.starts[:-1]]  # the running sum before each term
        return (running - np.repeat(before, lengths)).astype(np.int32), self.text, self.title

    def state(self) -> dict[str, np.ndarray]:
        return {"starts": self.starts, "gaps": self.gaps, "wide_at": self.wide_at, "wide": self.wide,
                "text_counts": self.text, "title_counts": self.title}

    def nbytes(self) -> int:
        return sum(array.nbytes for array in self.state().values())


def _empty_run(count=COUNT) -> _Run:
    return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=count), np.zeros(0, dtype=TITLE_COUNT)


def _counts(values: np.ndarray, dtype) -> np.ndarray:
    return np.minimum(values, np.iinfo(dtype).max).astype(dtype)


def _pairs(key: tuple, scored: tuple[np.ndarray, np.ndarray]) -> int:
    return len(scored[0])
