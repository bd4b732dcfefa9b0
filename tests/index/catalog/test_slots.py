"""Chunk id to catalog slot, kept in sorted arrays and a dict of recent additions."""

import numpy as np

from index.catalog import slots as slots_module
from index.catalog.slots import ChunkSlots


def test_ids_are_found_in_their_live_slot_whether_folded_or_recent(monkeypatch) -> None:
    monkeypatch.setattr(slots_module, "FOLD_AT", 3)
    alive = np.ones(10, dtype=bool)
    slots = ChunkSlots.of(np.array([50, 10, 30]), np.array([True, False, True]))
    for chunk_id, slot in ((70, 3), (20, 4), (90, 5), (60, 6)):  # the fourth folds the others in
        slots.add(chunk_id, slot)
    assert slots.find(np.array([50, 10, 30, 70, 20, 90, 60, 99]), alive).tolist() == [0, -1, 2, 3, 4, 5, 6, -1]
    alive[4] = False
    assert slots.get(20, alive) is None and slots.get(70, alive) == 3


def test_an_id_handed_out_again_is_found_in_the_slot_that_is_alive(monkeypatch) -> None:
    monkeypatch.setattr(slots_module, "FOLD_AT", 1)
    alive = np.ones(6, dtype=bool)
    slots = ChunkSlots()
    slots.add(7, 0)
    slots.add(8, 1)
    alive[0] = False  # chunk 7 deleted, then its id given to a new chunk
    slots.forget(7)
    slots.add(7, 2)
    slots.add(9, 3)  # folds: 7 is in slots 0 (dead) and 2
    assert slots.get(7, alive) == 2 and slots.get(8, alive) == 1
    assert slots.nbytes() == 4 * 12
