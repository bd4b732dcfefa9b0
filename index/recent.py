"""The most recently used values by key, within a budget: what the question path keeps of the work
it did lately (filters' masks, terms' scores, sentence splits, vectors), since questions cluster on
the stories of the day. Safe to share between threads."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(key: object, value: object) -> int:
    return 1


class RecentlyUsed(Generic[K, V]):
    """Values by key, the least recently used dropped first once their sizes add up to more than
    `budget`. A value is one unit by default; `size` may count what it holds instead (characters,
    pairs). A value bigger than the whole budget is not kept: it would push out everything else."""

    def __init__(self, budget: int, size: Callable[[K, V], int] = _one) -> None:
        self._budget = budget
        self._size = size
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        """The sizes of the values kept, added up."""
        return self._used

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def get_many(self, keys: list[K]) -> dict[K, V]:
        """Those of `keys` kept, in one go."""
        with self._lock:
            found = {}
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key][0]
            return found

    def put(self, key: K, value: V) -> None:
        self.put_many({key: value})

    def put_many(self, values: Mapping[K, V]) -> None:
        sized = [(key, value, self._size(key, value)) for key, value in values.items()]
        with self._lock:
            for key, value, size in sized:
                if size > self._budget:
                    continue
                old = self._items.pop(key, None)
                self._used += size - (old[1] if old is not None else 0)
                self._items[key] = (value, size)
            while self._used > self._budget:
                _, (_, size) = self._items.popitem(last=False)
                self._used -= size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._used = 0

    def __len__(self) -> int:
        return len(self._items)


class OftenUsed(Generic[K, V]):
    """Values by key within a budget, kept by how often their key is asked (`get`) rather than how
    lately: a value is kept only by pushing out values whose keys were asked fewer times than its own.
    For work whose keys recur unevenly, as a question's words do, and whose values are large: in the
    dev questions asked in turn, the commonest words stay kept where the least recently used would
    drop each word before it recurs (frequency-based admission, as in TinyLFU). Counts are halved
    every AGE_EVERY asks, so that what was asked long ago gives way. A key is put once: its value is
    not replaced while kept (the values are worked out from the same state, and the cache is made
    anew when that changes). Safe to share between threads."""

    AGE_EVERY = 10_000

    def __init__(self, budget: int, size: Callable[[K, V], int] = _one) -> None:
        self._budget = budget
        self._size = size
        self._items: dict[K, tuple[V, int]] = {}
        self._asked: dict[K, int] = {}
        self._asks = 0
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    def get(self, key: K) -> V | None:
        with self._lock:
            self._asked[key] = self._asked.get(key, 0) + 1
            self._asks += 1
            if self._asks >= self.AGE_EVERY:
                self._age()
            found = self._items.get(key)
            return None if found is None else found[0]

    def put(self, key: K, value: V) -> None:
        size = self._size(key, value)
        with self._lock:
            if size > self._budget or key in self._items:
                return
            victims = self._pushed_out_for(size, self._asked.get(key, 0))
            if victims is None:
                return
            for kept in victims:
                self._used -= self._items.pop(kept)[1]
            self._items[key] = (value, size)
            self._used += size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._asked.clear()
            self._asks = 0
            self._used = 0

    def __len__(self) -> int:
        return len(self._items)

    def _pushed_out_for(self, size: int, asked: int) -> list[K] | None:
        """The values to drop to make room for `size`, the least asked first (none when there is room
        already); None when that would drop one asked as often as `asked` or more."""
        victims, room = [], self._budget - self._used
        if room >= size:
            return victims
        for kept in sorted(self._items, key=lambda k: self._asked.get(k, 0)):
            if self._asked.get(kept, 0) >= asked:
                return None
            victims.append(kept)
            room += self._items[kept][1]
            if room >= size:
                return victims
        return None  # not reached: a value larger than the whole budget is never put

    def _age(self) -> None:
        self._asks = 0
        self._asked = {key: count // 2 for key, count in self._asked.items() if count > 1}
