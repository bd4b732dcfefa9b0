"""Which catalog slot holds each chunk id. A dict of a million ints costs about 100 bytes an entry;
most ids are kept instead as two sorted arrays (12 bytes an entry), and only those added since the
arrays were last made in a dict, folded in once they are a twentieth of the rest.

An id may sit in more than one slot (the database may hand out a deleted chunk's id again): the
live slot is the one that holds it, which is why every lookup takes the catalog's `alive` mask."""

import numpy as np

# The dict of recent ids is folded into the arrays past this many, or a twentieth of the arrays.
FOLD_AT = 10_000


class ChunkSlots:
    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)  # sorted
        self._slots = np.zeros(0, dtype=np.int32)  # the slot of each of _ids
        self._recent: dict[int, int] = {}

    @classmethod
    def of(cls, chunk_ids: np.ndarray, live: np.ndarray) -> "ChunkSlots":
        """The slots of the live chunks among `chunk_ids`, which are in slot order."""
        slots = cls()
        held = np.flatnonzero(live[: len(chunk_ids)])
        slots._set(chunk_ids[held], held)
        return slots

    def add(self, chunk_id: int, slot: int) -> None:
        self._recent[chunk_id] = slot
        if len(self._recent) > max(FOLD_AT, len(self._ids) // 20):
            self._fold()

    def find(self, chunk_ids: np.ndarray, alive: np.ndarray) -> np.ndarray:
        """The live slot of each id, -1 where none holds it."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        found = np.full(len(chunk_ids), -1, dtype=np.int64)
        if len(self._ids):
            left = np.searchsorted(self._ids, chunk_ids, side="left")
            right = np.searchsorted(self._ids, chunk_ids, side="right")
            one = np.flatnonzero(right - left == 1)
            held = self._slots[left[one]]
            found[one] = np.where(alive[held], held, -1)
            for n in np.flatnonzero(right - left > 1).tolist():
                # Most ids have one slot; an id handed out again has its dead slots beside the live one.
                live = [s for s in self._slots[left[n] : right[n]].tolist() if alive[s]]
                found[n] = live[-1] if live else -1
        recent = self._recent
        if recent:
            for n, chunk_id in enumerate(chunk_ids.tolist()):
                slot = recent.get(chunk_id)
                if slot is not None and alive[slot]:
                    found[n] = slot
        return found

    def get(self, chunk_id: int, alive: np.ndarray) -> int | None:
        slot = int(self.find(np.array([chunk_id]), alive)[0])
        return None if slot < 0 else slot

    def forget(self, chunk_id: int) -> None:
        """Once its slot is dead: the recent dict need not keep it (the arrays skip dead slots anyway)."""
        self._recent.pop(chunk_id, None)

    def nbytes(self) -> int:
        return self._ids.nbytes + self._slots.nbytes

    def _fold(self) -> None:
        ids = np.fromiter(self._recent.keys(), dtype=np.int64, count=len(self._recent))
        slots = np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent))
        self._set(np.concatenate([self._ids, ids]), np.concatenate([self._slots, slots]))
        self._recent = {}

    def _set(self, ids: np.ndarray, slots: np.ndarray) -> None:
        # Equal ids in slot order, so the latest slot of an id comes last.
        order = np.lexsort((slots, ids))
        self._ids = ids[order].astype(np.int64)
        self._slots = slots[order].astype(np.int32)
