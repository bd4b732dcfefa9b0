"""Who said what, as every backend stores it: speech rows with their kind and speaker key, read back by
article and by speaker within a filter; and the story bands reprints are found by."""

from dataclasses import replace

import pytest

from index.records import ArticleRecord, ChunkFilter, SpeechRecord, Statement, StoryRecord
from tests.contract.rows import article, chunks, put, seconds

BLINKEN = ("Secretary of State",)


def said(start: int, speaker: str | None, kind: str = "indirect") -> SpeechRecord:
    return SpeechRecord(start, start + 5, speaker, "said", BLINKEN if speaker else (), kind)


def quoting(record: ArticleRecord, *speech: SpeechRecord) -> tuple[ArticleRecord, list]:
    return replace(record, speech=speech), chunks(record.id, 1)


@pytest.fixture
def quoted(store):
    put(
        store,
        quoting(article("old", source="wire", published="2022-01-01"), said(0, "Blinken", "direct"), said(6, None)),
        quoting(article("new", source="wire", published="2022-06-01"), said(6, "Antony Blinken"),
                said(0, "Blinken", "mixed")),
        quoting(article("other", source="blog", published="2022-03-01"), said(0, "Pérez"), said(11, "Blinken’s")),
        quoting(article("undated"), said(0, "Mr. Blinken")),
    )
    return store


def found(store, chunk_filter: ChunkFilter = ChunkFilter(), key: str = "blinken", limit: int = 5000) -> list:
    return [(s.article_id, s.speech.start) for s in store.statements(key, chunk_filter, limit)]


def test_kinds_and_unnamed_speakers_read_back_as_written(quoted) -> None:
    assert quoted.speech(["old", "missing"]) == {
        "old": [SpeechRecord(0, 5, "Blinken", "said", BLINKEN, "direct"), SpeechRecord(6, 11, None, "said", (), "indirect")],
        "missing": [],
    }


def test_statements_come_newest_first_undated_last_then_by_article_and_place(quoted) -> None:
    assert found(quoted) == [("new", 0), ("new", 6), ("other", 11), ("old", 0), ("undated", 0)]
    assert found(quoted, limit=2) == [("new", 0), ("new", 6)]
    assert found(quoted, key="perez") == [("other", 0)]


def test_a_statement_carries_its_article_fields(quoted) -> None:
    assert quoted.statements("blinken", ChunkFilter(article_ids=("other",))) == [Statement(
        "other", SpeechRecord(11, 16, "Blinken’s", "said", BLINKEN), "Title other", None, "blog", "2022-03-01",
        seconds("2022-03-01"), "gamma",
    )]


def test_a_statement_carries_its_sentence_cut_by_characters_not_bytes(store) -> None:
    text = "Él dijo: “Über alles.” José Pérez said the toll would rise."
    start = text.index("José")
    put(store, quoting(replace(article("accents"), text=text), SpeechRecord(start, len(text), "José Pérez", "said")))
    [statement] = store.statements("perez", ChunkFilter())
    assert statement.quote == text[start:] == "José Pérez said the toll would rise."


def test_only_the_statements_kept_are_returned(quoted) -> None:
    kept = quoted.statements("blinken", ChunkFilter(), keep=lambda named, titles: named in ("Blinken", "Mr. Blinken"))
    assert [(s.article_id, s.speech.start) for s in kept] == [("new", 0), ("old", 0), ("undated", 0)]
    assert all(s.quote is not None for s in kept)


def test_what_to_keep_is_asked_once_for_each_speaker_and_titles(quoted) -> None:
    asked = []
    kept = quoted.statements("blinken", ChunkFilter(), keep=lambda named, titles: asked.append(named) or True)
    assert len(kept) == 5
    assert sorted(asked) == ["Antony Blinken", "Blinken", "Blinken’s", "Mr. Blinken"]


@pytest.mark.parametrize(
    ("chunk_filter", "expected"),
    [
        (ChunkFilter(sources=("wire",)), [("new", 0), ("new", 6), ("old", 0)]),
        (ChunkFilter(article_ids=("other", "undated")), [("other", 11), ("undated", 0)]),
        (ChunkFilter(published_from=seconds("2022-02-01")), [("new", 0), ("new", 6), ("other", 11)]),
        (ChunkFilter(published_to=seconds("2022-03-01")), [("other", 11), ("old", 0)]),
        (ChunkFilter(not_after=seconds("2022-04-01")), [("other", 11), ("old", 0), ("undated", 0)]),
        (ChunkFilter(sources=("wire",), published_to=seconds("2022-02-01")), [("old", 0)]),
        (ChunkFilter(sources=("nobody",)), []),
    ],
)
def test_statements_keep_to_the_filter(quoted, chunk_filter: ChunkFilter, expected: list) -> None:
    assert found(quoted, chunk_filter) == expected


def test_nobody_is_found_by_an_empty_key_and_the_limit_must_be_positive(quoted) -> None:
    assert found(quoted, key="") == []
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        quoted.statements("blinken", ChunkFilter(), limit=0)


def test_a_replaced_article_has_only_its_new_rows_and_a_deleted_one_none(quoted) -> None:
    put(quoted, quoting(article("new", source="wire", published="2022-06-01", version="2"), said(3, "Pérez", "direct")))
    assert found(quoted, key="perez") == [("new", 3), ("other", 0)]
    assert ("new", 0) not in found(quoted)
    with quoted.writing():
        quoted.delete("old")
    assert found(quoted) == [("other", 11), ("undated", 0)]
    assert quoted.speech(["old"]) == {"old": []}


def told(record: ArticleRecord, cluster_id: str, fingerprint: bytes, band_keys: tuple[int, ...]) -> tuple:
    return replace(record, story=StoryRecord(cluster_id, fingerprint, band_keys)), chunks(record.id, 1)


def test_reprints_are_found_by_the_bands_they_share(store) -> None:
    put(store, told(article("a"), "story-1", b"\x01\x02", (11, 12)), told(article("b"), "story-1", b"\x03", (12, 13)),
        told(article("c"), "story-2", b"\x04", (14,)), (article("d"), chunks("d", 1)))
    found_ = sorted((c.article_id, c.cluster_id, c.fingerprint) for c in store.story_candidates([12, 99]))
    assert found_ == [("a", "story-1", b"\x01\x02"), ("b", "story-1", b"\x03")]
    put(store, told(article("b", version="2"), "story-2", b"\x05", (14,)))
    assert [c.article_id for c in store.story_candidates([12])] == ["a"]
    with store.writing():
        store.delete("a")
    assert store.story_candidates([11, 12]) == []
