"""What a filter reads of every article the catalog holds, as arrays by article slot: its published
date, its outlet, the newsroom's section, language, visibility, tags, update time and embargo. A filter
is then a few array operations, never a database query."""

from collections.abc import Sequence

import numpy as np

from index.records import UNDATED, ChunkFilter, Newsroom

# What catalog files saved before index.records.UNDATED held for an undated article.
OLD_NO_DATE = np.iinfo(np.int64).min
# Fields kept as a code of the values seen (-1: none), so a filter compares small integers.
CODED = ("source", "section", "language", "visibility")
DATED = ("published", "updated", "embargo")  # UNDATED: none


class ArticleColumns:
    def __init__(self) -> None:
        self._coded = {name: Column(np.int32) for name in CODED}
        self._codes: dict[str, dict[str, int]] = {name: {} for name in CODED}
        self._dated = {name: Column(np.int64) for name in DATED}
        # An article's tags as (tag code, article slot) pairs.
        self._tag_of = Column(np.int32)
        self._tagged = Column(np.int32)
        self._tags: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._dated["published"])

    @property
    def published(self) -> np.ndarray:
        return self._dated["published"].values

    @property
    def embargo(self) -> np.ndarray:
        return self._dated["embargo"].values

    def append(self, source: str | None, published_ts: int | None, newsroom: Newsroom) -> None:
        """The next article slot's fields."""
        slot = len(self)
        values = {"source": source, "section": newsroom.section, "language": newsroom.language,
                  "visibility": newsroom.visibility}
        for name, value in values.items():
            codes = self._codes[name]
            self._coded[name].append(-1 if value is None else codes.setdefault(value, len(codes)))
        for name, moment in (("published", published_ts), ("updated", newsroom.updated_ts),
                             ("embargo", newsroom.embargo_ts)):
            self._dated[name].append(UNDATED if moment is None else moment)
        for tag in newsroom.tags:
            self._tag_of.append(self._tags.setdefault(tag, len(self._tags)))
            self._tagged.append(slot)

    def allowed(self, chunk_filter: ChunkFilter, articles: np.ndarray) -> np.ndarray:
        """`articles` (a mask over the article slots) narrowed to what the filter lets through, but for
        its article ids, which the catalog knows the slots of."""
        f = chunk_filter
        asked = [("source", f.sources), ("section", f.sections), ("language", f.languages),
                 ("visibility", f.visibilities)]
        readable = [("source", f.readable_sources), ("visibility", f.readable_visibilities)]
        # An empty list asked for is no filter; an empty list readable is nothing.
        for name, values in [*((n, v) for n, v in asked if v), *((n, v) for n, v in readable if v is not None)]:
            articles &= np.isin(self._coded[name].values, self._codes_of(name, values))
        if f.tags:
            wanted = np.isin(self._tag_of.values, [self._tags[t] for t in f.tags if t in self._tags])
            tagged = np.zeros(len(articles), dtype=bool)
            tagged[self._tagged.values[wanted]] = True
            articles &= tagged
        published, updated = self.published, self._dated["updated"].values
        # An undated article fails a lower or an upper bound, and passes not_after (it may be of any day).
        for moment, dates, lower in ((f.published_from, published, True), (f.published_to, published, False),
                                     (f.updated_from, updated, True), (f.updated_to, updated, False)):
            if moment is not None:
                articles &= (dates >= moment) if lower else (dates <= moment) & (dates != UNDATED)
        if f.not_after is not None:
            articles &= published <= f.not_after
        if f.released_by is not None:
            articles &= self.embargo <= f.released_by
        return articles

    def _codes_of(self, name: str, values: Sequence[str]) -> list[int]:
        codes = self._codes[name]
        return [codes[v] for v in values if v in codes]

    def state(self) -> dict[str, np.ndarray]:
        state = {name: column.values for name, column in {**self._coded, **self._dated}.items()}
        state.update({"tag_of": self._tag_of.values, "tagged": self._tagged.values})
        for name, codes in {**self._codes, "tag": self._tags}.items():
            state[f"{name}_values"] = np.array(["\x00".join(sorted(codes, key=codes.__getitem__))])
        return state

    @classmethod
    def restore(cls, state: dict[str, np.ndarray]) -> "ArticleColumns":
        columns = cls()
        for name, column in {**columns._coded, **columns._dated}.items():
            values = state[name]
            column.extend(np.where(values == OLD_NO_DATE, UNDATED, values) if name in DATED else values)
        columns._tag_of.extend(state["tag_of"])
        columns._tagged.extend(state["tagged"])
        for name in CODED:
            columns._codes[name] = {s: i for i, s in enumerate(split(state[f"{name}_values"]))}
        columns._tags = {s: i for i, s in enumerate(split(state["tag_values"]))}
        if len({len(column) for column in (*columns._coded.values(), *columns._dated.values())}) != 1:
            raise ValueError("the saved article columns do not fit together")
        return columns


def split(joined: np.ndarray) -> list[str]:
    text = str(joined[0])
    return text.split("\x00") if text else []


class Column:
    """A growable numpy array: appends in amortized constant time."""

    def __init__(self, dtype) -> None:
        self._data = np.zeros(1024, dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]

    def append(self, value) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.zeros(len(self._data), dtype=self._data.dtype)])
        self._data[self._size] = value
        self._size += 1

    def extend(self, values: np.ndarray) -> None:
        needed = self._size + len(values)
        if needed > len(self._data):
            self._data = np.concatenate([self._data[: self._size], values, np.zeros(needed, dtype=self._data.dtype)])
        else:
            self._data[self._size : needed] = values
        self._size = needed
