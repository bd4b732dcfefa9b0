import threading

from index.recent import OftenUsed, RecentlyUsed


def test_the_least_recently_used_go_first_once_over_the_budget() -> None:
    kept: RecentlyUsed[str, int] = RecentlyUsed(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # now the most recent
    kept.put("c", 3)
    assert kept.get("b") is None and kept.get("a") == 1 and kept.get("c") == 3
    assert len(kept) == 2 and kept.used == 2


def test_values_count_their_size_and_one_bigger_than_the_budget_is_not_kept() -> None:
    kept: RecentlyUsed[str, str] = RecentlyUsed(10, size=lambda key, value: len(key))
    kept.put("abcd", "1")
    kept.put("efgh", "2")
    kept.get("abcd")
    kept.put("ijkl", "3")
    kept.put("x" * 11, "4")
    assert kept.get("efgh") is None and kept.get("abcd") and kept.get("ijkl") and kept.get("x" * 11) is None
    assert kept.used == 8


def test_putting_a_key_again_replaces_its_value_and_its_size() -> None:
    kept: RecentlyUsed[str, list[int]] = RecentlyUsed(5, size=lambda key, value: len(value))
    kept.put("a", [1, 2, 3])
    kept.put("a", [1])
    assert kept.get("a") == [1] and kept.used == 1


def test_many_at_once_and_clear() -> None:
    kept: RecentlyUsed[str, int] = RecentlyUsed(3)
    kept.put_many({"a": 1, "b": 2, "c": 3, "d": 4})
    assert kept.get_many(["a", "b", "d", "z"]) == {"b": 2, "d": 4}
    kept.put("e", 5)  # "c" was used least lately: get_many refreshed "b" and "d"
    assert kept.get("c") is None and kept.get("b") == 2
    kept.clear()
    assert len(kept) == 0 and kept.used == 0 and kept.get("b") is None


def test_threads_sharing_it_keep_it_within_the_budget() -> None:
    kept: RecentlyUsed[int, int] = RecentlyUsed(50)

    def work(offset: int) -> None:
        for number in range(2_000):
            kept.put(offset + number % 200, number)
            kept.get(offset + (number * 7) % 200)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in (0, 100, 1_000, 5_000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kept) == kept.used == 50


def test_often_used_keeps_what_is_asked_most_and_admits_nothing_at_their_expense() -> None:
    kept: OftenUsed[str, int] = OftenUsed(2)
    for key, times in (("a", 3), ("b", 2), ("c", 1)):
        for _ in range(times):
            kept.get(key)
    kept.put("a", 1)
    kept.put("b", 2)
    kept.put("c", 3)  # asked less than either: not kept
    assert len(kept) == 2 and kept.get("c") is None
    for _ in range(3):
        kept.get("c")  # now asked 5 times, more than "b" (3 with this round's asks)
    kept.put("c", 3)
    assert kept.get("b") is None and kept.get("a") == 1 and kept.get("c") == 3 and kept.used == 2


def test_often_used_asked_in_turn_keeps_the_same_values_rather_than_each_pushing_out_the_next() -> None:
    kept: OftenUsed[str, int] = OftenUsed(3)
    found = 0
    for _ in range(5):
        for key in "abcdef":  # a cycle longer than the budget: the least recently used would keep none
            if kept.get(key) is None:
                kept.put(key, 1)
            else:
                found += 1
    assert found == 12 and len(kept) == 3  # the first three kept from the first round on, four times over


def test_often_used_counts_age_and_sizes_and_clear() -> None:
    kept: OftenUsed[str, str] = OftenUsed(4, size=lambda key, value: len(value))
    kept.AGE_EVERY = 4
    kept.get("old")
    kept.get("old")
    kept.put("old", "xxxx")
    kept.put("big", "xxxxx")  # larger than the budget
    assert kept.get("big") is None and kept.used == 4
    kept.get("new")
    kept.get("new")  # the fourth ask halves every count: "old" 2 -> 1; those asked once are forgotten
    kept.get("new")
    kept.get("new")  # "new" asked twice since: more than "old"
    kept.put("new", "yyyy")
    assert kept.get("old") is None and kept.get("new") == "yyyy"
    kept.clear()
    assert len(kept) == 0 and kept.used == 0
