import threading

from index.recent import RecentlyUsed


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
