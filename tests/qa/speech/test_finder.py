from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from index.records import ChunkFilter, SpeechRecord, Statement, StoredArticle
from index.speakers import speaker_key
from qa.errors import InvalidInput
from qa.settings import Settings
from qa.speech.finder import QuoteFinder, article_quotes, checked_request
from tests.fakes import FakeEmbedder

DAY = 86_400
MARCH_1 = 1_709_251_200  # 2024-03-01T00:00:00Z


@dataclass(frozen=True)
class Story:
    id: str
    text: str
    published_ts: int | None = None
    source: str | None = "wire"

    @property
    def published_at(self) -> str | None:
        return None if self.published_ts is None else f"2024-03-{1 + (self.published_ts - MARCH_1) // DAY:02d}"


class Archive:
    """What the store holds: articles and who speaks in which of their sentences."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.rows: list[Statement] = []
        self.asked: list[tuple[str, ChunkFilter]] = []

    def add(self, story: Story, *said: tuple[str, str | None], kind: str = "direct") -> None:
        self.texts[story.id] = story.text
        for sentence, speaker in said:
            start = story.text.index(sentence)
            speech = SpeechRecord(start, start + len(sentence), speaker, "said", kind=kind)
            self.rows.append(Statement(story.id, speech, f"Title of {story.id}", None, story.source,
                                       story.published_at, story.published_ts))

    def statements(self, key: str, chunk_filter: ChunkFilter, keep=None) -> list[Statement]:
        self.asked.append((key, chunk_filter))
        found = [s for s in self.rows if s.speech.speaker is not None and speaker_key(s.speech.speaker) == key
                 and (keep is None or keep(s.speech.speaker, s.speech.titles))]
        return sorted(found, key=lambda s: -(s.published_ts or 0))

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        return {i: self.texts[i] for i in article_ids if i in self.texts}

    def finder(self, embedder=None) -> QuoteFinder:
        return QuoteFinder(self.statements, self.article_texts, embedder or FakeEmbedder())


TOLL = Story("toll", "The mayor spoke on Monday. José Pérez said the bridge toll would rise to four dollars. "
                     "Pérez added that the ferry would run at night.", MARCH_1 + 4 * DAY)
PARKS = Story("parks", "José Pérez said the city parks would stay open late. Officials said nothing more.",
              MARCH_1 + 9 * DAY)
OLD = Story("old", "José Pérez said the bridge toll was fair.", MARCH_1)
UNDATED = Story("undated", "Pérez said the bridge toll paid for repairs.", None)


@pytest.fixture
def archive() -> Archive:
    archive = Archive()
    archive.add(TOLL, ("José Pérez said the bridge toll would rise to four dollars.", "José Pérez"),
                ("Pérez added that the ferry would run at night.", "José Pérez"))
    archive.add(PARKS, ("José Pérez said the city parks would stay open late.", "José Pérez"),
                ("Officials said nothing more.", None))
    archive.add(OLD, ("José Pérez said the bridge toll was fair.", "José Pérez"))
    archive.add(UNDATED, ("Pérez said the bridge toll paid for repairs.", "José Pérez"))
    return archive


def found(archive: Archive, speaker: str, topic: str | None = None, top_k: int = 10, sort: str = "relevance",
          embedder=None) -> list[tuple[str, str]]:
    quotes = archive.finder(embedder).find(speaker, topic, ChunkFilter(), top_k, sort)
    for quote in quotes:
        assert archive.texts[quote.origin.article_id][quote.start : quote.end] == quote.quote
    return [(q.origin.article_id, q.quote[:25]) for q in quotes]


@pytest.mark.parametrize("asked", ["Pérez", "José Pérez", "pérez", "PÉREZ", "Perez", "jose perez", "Pérez's"])
def test_the_speaker_is_found_by_surname_full_name_any_case_and_without_accents(archive: Archive, asked: str) -> None:
    assert len(found(archive, asked)) == 5
    assert archive.asked[-1][0] == "perez"


def test_someone_else_with_the_same_surname_is_not_them(archive: Archive) -> None:
    archive.add(Story("other", "Ana Pérez said the school would close.", MARCH_1 + 20 * DAY),
                ("Ana Pérez said the school would close.", "Ana Pérez"))
    assert [a for a, _ in found(archive, "José Pérez")] == ["parks", "toll", "toll", "old", "undated"]
    assert [a for a, _ in found(archive, "Ana Pérez")] == ["other"]


def test_without_a_topic_every_statement_comes_newest_first_then_in_text_order_undated_last(archive: Archive) -> None:
    quotes = archive.finder().find("Pérez", None, ChunkFilter(), 10, "relevance")
    assert [(q.origin.article_id, q.start) for q in quotes] == [
        ("parks", 0), ("toll", TOLL.text.index("José")), ("toll", TOLL.text.index("Pérez added")), ("old", 0),
        ("undated", 0)]
    assert all(q.score is None for q in quotes)
    assert quotes[0].origin.published_at == "2024-03-10" and quotes[0].origin.source == "wire"
    assert (quotes[0].speaker, quotes[0].kind) == ("José Pérez", "direct")


def test_a_topic_keeps_the_statements_naming_it_best_first(archive: Archive) -> None:
    quotes = archive.finder().find("Pérez", "the bridge toll", ChunkFilter(), 10, "relevance")
    assert {q.origin.article_id for q in quotes} == {"toll", "old", "undated"}
    assert "ferry" not in " ".join(q.quote for q in quotes) and "parks" not in " ".join(q.quote for q in quotes)
    scores = [q.score for q in quotes]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


class Meaning:
    """Sentences near in meaning without a word in common: each text's vector is given."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.array([self.vectors.get(t, [0.0, 0.0, 1.0]) for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_statement_close_to_the_topic_in_meaning_is_kept_after_those_naming_it(archive: Archive) -> None:
    embedder = Meaning({
        "crossing charges": [1.0, 0.0, 0.0],
        "Pérez added that the ferry would run at night.": [0.8, 0.6, 0.0],  # 0.8: near, names nothing
        "José Pérez said the city parks would stay open late.": [0.3, 0.95, 0.0],  # 0.3: too far
        "José Pérez said the bridge toll was fair.": [0.1, 0.0, 0.99],  # far, but names the topic
    })
    archive.add(Story("fees", "Pérez said crossing charges would go.", MARCH_1 + 2 * DAY),
                ("Pérez said crossing charges would go.", "José Pérez"))
    embedder.vectors["Pérez said crossing charges would go."] = [0.1, 0.0, 0.99]
    quotes = archive.finder(embedder).find("Pérez", "crossing charges", ChunkFilter(), 10, "relevance")
    assert [q.origin.article_id for q in quotes] == ["fees", "toll"]
    assert quotes[1].quote.startswith("Pérez added that the ferry") and quotes[1].score == pytest.approx(0.8, abs=1e-3)
    assert quotes[0].score < quotes[1].score, "naming the topic comes first whatever the score"


def test_sort_by_date_puts_the_newest_first_and_the_undated_last(archive: Archive) -> None:
    assert found(archive, "Pérez", "bridge toll", sort="date") == [
        ("toll", "José Pérez said the bridg"), ("old", "José Pérez said the bridg"), ("undated", "Pérez said the bridge tol")]


def test_top_k_limits_the_quotes(archive: Archive) -> None:
    assert len(found(archive, "Pérez", top_k=2)) == 2
    assert found(archive, "Pérez", "bridge toll", top_k=1, sort="date") == [("toll", "José Pérez said the bridg")]


def test_a_sentence_reprinted_word_for_word_is_listed_once_from_its_first_report(archive: Archive) -> None:
    reprint = Story("reprint", "WIRE —  José  Pérez said the BRIDGE toll was fair.\n", MARCH_1 + 30 * DAY, "daily")
    archive.add(reprint, ("José  Pérez said the BRIDGE toll was fair.", "José Pérez"))
    quotes = found(archive, "Pérez", "bridge toll", sort="date")
    assert [a for a, _ in quotes] == ["toll", "old", "undated"], "the reprint is left out, the first report kept"


def test_statements_whose_article_changed_or_went_are_left_out(archive: Archive) -> None:
    archive.texts["toll"] = "A shorter correction."  # replaced since the statements were read
    del archive.texts["old"]
    archive.texts["parks"] = " " + PARKS.text  # shifted by one: the offsets fall off the sentence
    assert found(archive, "Pérez") == [("undated", "Pérez said the bridge tol")]


def test_the_filter_reaches_the_store_with_the_speakers_key(archive: Archive) -> None:
    limits = ChunkFilter(sources=("wire",), not_after=MARCH_1)
    archive.finder().find("José Pérez", None, limits, 5, "date")
    assert archive.asked == [("perez", limits)]


def test_a_speaker_with_no_word_finds_nothing(archive: Archive) -> None:
    assert found(archive, "?!") == [] and archive.asked == []


def test_an_articles_quotes_are_every_speech_row_in_text_order() -> None:
    article = StoredArticle(
        id="parks", text=PARKS.text, title="Parks", url=None, source="wire", authors=(), published_at="2024-03-10",
        published_ts=MARCH_1 + 9 * DAY, content_hash="h", cluster_id=None, ingested_at="", stored_at="", chunks=1,
    )
    unnamed = SpeechRecord(PARKS.text.index("Officials"), len(PARKS.text), None, "said", kind="indirect")
    named = SpeechRecord(0, PARKS.text.index(" Officials"), "José Pérez", "said", kind="direct")
    gone = SpeechRecord(len(PARKS.text) - 5, len(PARKS.text) + 10, "José Pérez", "said")  # past the end
    quotes = article_quotes(article, [unnamed, gone, named])
    assert [(q.start, q.speaker, q.kind, q.score) for q in quotes] == [
        (0, "José Pérez", "direct", None), (unnamed.start, None, "indirect", None)]
    assert all(PARKS.text[q.start : q.end] == q.quote for q in quotes)
    assert quotes[0].origin.title == "Parks" and quotes[0].origin.published_at == "2024-03-10"


@pytest.mark.parametrize(
    ("speaker", "topic", "top_k", "sort", "message"),
    [
        ("  ", None, None, "date", "speaker is empty, got '  '"),
        ("x" * 201, None, None, "date", "speaker must be at most 200 characters, got 201"),
        ("Pérez\x00", None, None, "date", "speaker contains NUL characters"),
        ("Pérez", "t" * 2001, None, "date", "topic must be at most 2000 characters, got 2001"),
        ("Pérez", None, 0, "date", "top_k must be between 1 and 100, got 0"),
        ("Pérez", None, 101, "date", "top_k must be between 1 and 100, got 101"),
        ("Pérez", None, None, "newest", "sort must be one of relevance, date, got 'newest'"),
    ],
)
def test_bad_requests_are_refused_with_the_bad_value(speaker, topic, top_k, sort, message) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_request(speaker, topic, top_k, sort, Settings())
    assert refused.value.message == message


def test_a_request_is_stripped_and_takes_the_default_top_k() -> None:
    assert checked_request(" Pérez ", "  ", None, "date", Settings(top_k=7)) == ("Pérez", None, 7)
    assert checked_request("Pérez", " toll ", 3, "relevance", Settings()) == ("Pérez", "toll", 3)


def test_a_prolific_speaker_costs_a_bounded_number_of_embeddings(monkeypatch) -> None:
    monkeypatch.setattr("qa.speech.finder.MAX_UNNAMING_EMBEDDED", 5)
    archive = Archive()
    for n in range(30):
        story = Story(f"day-{n}", f"José Pérez said the weather on day {n} was mild.", MARCH_1 + n * DAY)
        archive.add(story, (story.text, "José Pérez"))
    archive.add(TOLL, ("José Pérez said the bridge toll would rise to four dollars.", "José Pérez"))
    embedder = FakeEmbedder()
    assert found(archive, "Pérez", "the bridge toll", embedder=embedder)[0] == ("toll", "José Pérez said the bridg")
    assert embedder.texts_embedded == 1 + 5 + 1, "the one naming the toll, the five newest others, the topic"
