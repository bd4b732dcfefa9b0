"""The named things of each article, as every backend stores them: read back by article in text order,
replaced with the article and gone with it."""

from dataclasses import replace

from index.records import EntityRecord
from tests.contract.rows import article, chunks, put

PEOPLE = (EntityRecord(6, 11, "PERSON"), EntityRecord(0, 5, "GPE"))


def test_entities_read_back_by_article_in_text_order(store) -> None:
    put(store, (replace(article("a"), entities=PEOPLE), chunks("a", 1)), (article("b"), chunks("b", 1)))
    assert store.entities(["a", "b", "missing"]) == {
        "a": [EntityRecord(0, 5, "GPE"), EntityRecord(6, 11, "PERSON")], "b": [], "missing": [],
    }


def test_a_replaced_article_keeps_only_its_new_entities(store) -> None:
    put(store, (replace(article("a"), entities=PEOPLE), chunks("a", 1)))
    put(store, (replace(article("a", version="2"), entities=(EntityRecord(12, 17, "DATE"),)), chunks("a", 1, seed=1)))
    assert store.entities(["a"]) == {"a": [EntityRecord(12, 17, "DATE")]}


def test_a_deleted_article_takes_its_entities_along(store) -> None:
    put(store, (replace(article("a"), entities=PEOPLE), chunks("a", 1)))
    with store.writing():
        store.delete("a")
    assert store.entities(["a"]) == {"a": []}


def test_entities_of_some_kinds_only(store) -> None:
    put(store, (replace(article("a"), entities=PEOPLE), chunks("a", 1)), (article("b"), chunks("b", 1)))
    assert store.entities(["a", "b"], ["PERSON", "DATE"]) == {"a": [EntityRecord(6, 11, "PERSON")], "b": []}
