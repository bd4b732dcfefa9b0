import json
import os
import threading
from pathlib import Path

import pytest

from qa.articles import Article
from qa.ingest.readers import Skipped
from qa.models import Passage
from qa.query import Query
from qa.composition import assemble_service, open_service
from qa.service import QAService
from qa.settings import Settings
from tests.fakes import FailingStore, FakeEmbedder

STORY = (
    "Heavy rain flooded the river valley on Monday. Rescue teams moved families to higher ground.\n\n"
    "The mayor said the dam held, but warned that more rain was expected overnight.\n\n"
    "Schools in the valley will stay closed until Thursday, officials said."
)


def write_articles(folder: Path, *articles: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feed.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in articles))
    return path


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Passages as their chunks alone, as many of an article as it has: a search lists every chunk stored.
    return settings.model_copy(update={"passage_chars": 0, "max_passages_per_article": 100})


def stored_chunks(service: QAService) -> list[Passage]:
    """Every chunk stored, in text order of each article (with this module's settings)."""
    chunks = service.search(Query("every chunk", top_k=100))
    assert len(chunks) == service.stats().chunks, "the search lists every chunk"
    return sorted(chunks, key=lambda chunk: (chunk.origin.article_id, chunk.start))


def open_files_in(folder: Path) -> int:
    """How many files in `folder` this process holds open: a database connection holds its own."""
    targets = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            targets.append(Path(os.readlink(fd)))
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
    return sum(folder in target.parents for target in targets)


def test_ingest_adds_articles_with_exact_chunk_offsets(service: QAService, tmp_path: Path) -> None:
    path = write_articles(tmp_path, {"id": "flood", "text": STORY}, {"id": "other", "text": "Markets rose on Friday."})
    report = service.ingest_paths([path])
    assert (report.added, report.updated, report.unchanged, report.skipped) == (["flood", "other"], [], [], [])
    chunks = stored_chunks(service)
    assert len(chunks) > 2 and service.stats().vectors == len(chunks)
    for chunk in chunks:
        text = service.article(chunk.origin.article_id).text
        assert chunk.text and chunk.text == text[chunk.start : chunk.end] == chunk.text.strip()


def test_reingesting_the_same_content_is_a_no_op(service: QAService, embedder: FakeEmbedder, tmp_path: Path) -> None:
    path = write_articles(tmp_path, {"id": "flood", "text": STORY})
    service.ingest_paths([path])
    before = (service.stats(), stored_chunks(service), embedder.texts_embedded)
    report = service.ingest_paths([path])
    assert (report.added, report.updated, report.unchanged) == ([], [], ["flood"])
    assert (service.stats(), stored_chunks(service), embedder.texts_embedded) == before


def test_changed_content_replaces_chunks_and_reuses_unchanged_vectors(
    service: QAService, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    service.ingest_paths([write_articles(tmp_path / "v1", {"id": "flood", "text": STORY})])
    embedded_before = embedder.texts_embedded
    changed = STORY.replace("Thursday", "Friday")
    report = service.ingest_paths([write_articles(tmp_path / "v2", {"id": "flood", "text": changed})])
    assert report.updated == ["flood"] and report.chunks_reused > 0
    assert embedder.texts_embedded - embedded_before == report.chunks_embedded < len(stored_chunks(service))
    assert service.article("flood").text == changed
    chunks = stored_chunks(service)
    assert service.stats().chunks == service.stats().vectors == len(chunks)
    assert all(chunk.text == changed[chunk.start : chunk.end] for chunk in chunks)
    assert "Friday" in service.search(Query("schools closed until Friday", top_k=1))[0].text


def test_metadata_change_is_an_update(service: QAService) -> None:
    service.ingest_articles([Article("a", "Some text here.")])
    report = service.ingest_articles([Article("a", "Some text here.", title="Now with a title")])
    assert report.updated == ["a"] and service.article("a").title == "Now with a title"


def test_bad_inputs_are_skipped_and_the_rest_is_ingested(service: QAService, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(STORY)
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00")
    report = service.ingest_paths([tmp_path, tmp_path / "nope.md"])
    assert report.added == ["good"]
    assert [Path(s.origin).name for s in report.skipped] == ["bad.txt", "nope.md"]


def test_a_repeated_id_in_one_run_is_skipped_not_silently_overwritten(service: QAService, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "story.txt").write_text("First version of the story.")
    (tmp_path / "b" / "story.txt").write_text("Second file with the same name.")
    report = service.ingest_paths([tmp_path])
    assert report.added == ["story"]
    assert report.skipped == [Skipped(str(tmp_path / "b" / "story.txt"),
                                      f"duplicate id 'story', already read from {tmp_path / 'a' / 'story.txt'}")]
    assert service.article("story").text == "First version of the story."


def test_large_ingest_is_written_in_batches(settings: Settings, embedder: FakeEmbedder) -> None:
    service = open_service(settings.model_copy(update={"ingest_batch_articles": 3}), embedder)
    report = service.ingest_articles(Article(f"a{i}", f"Story number {i} about topic {i}.") for i in range(10))
    assert len(report.added) == 10 and service.stats().generation == 4


def test_title_is_embedded_with_each_chunk(service: QAService) -> None:
    service.ingest_articles([Article("a", "The vote was close.", title="Senate budget")])
    assert service.search(Query("senate budget", top_k=1))[0].score > 0.5


def test_without_a_title_the_url_slug_words_are_embedded(service: QAService) -> None:
    service.ingest_articles([Article("a", "The vote was close.", url="https://example.com/2024/senate-budget")])
    assert service.search(Query("senate budget", top_k=1))[0].score > 0.5


def test_new_chunk_settings_rechunk_articles_on_the_next_ingest(settings: Settings, embedder: FakeEmbedder) -> None:
    first = open_service(settings, embedder)
    first.ingest_articles([Article("flood", STORY)])
    chunks_before = first.stats().chunks
    first.close()
    wider = open_service(settings.model_copy(update={"chunk_tokens": 200, "chunk_overlap_tokens": 0}), embedder)
    report = wider.ingest_articles([Article("flood", STORY)])
    assert report.updated == ["flood"] and wider.stats().chunks < chunks_before


def test_an_error_while_writing_stops_the_reading_thread_too(service: QAService, embedder: FakeEmbedder,
                                                            settings: Settings) -> None:
    failing = assemble_service(FailingStore(service.store, OSError("disk full"), "put"), embedder, settings)
    articles = (Article(f"a{i}", f"Story {i} text.") for i in range(500))
    with pytest.raises(OSError, match="disk full"):
        failing.ingest_articles(articles)
    assert not any(t.name == "ingest-reader" for t in threading.enumerate())


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts the open files listed in /proc (Linux)")
def test_ingests_do_not_pile_up_database_connections(service: QAService, settings: Settings) -> None:
    # Each ingest reads in a thread of its own: a connection that thread left open would keep files open.
    held = []
    for i in range(5):
        service.ingest_articles([Article(f"a{i}", f"Story {i} text.")])
        held.append(open_files_in(settings.index_dir))
    assert held == [held[0]] * 5


def test_reingesting_the_same_content_parses_nothing(service: QAService, tmp_path: Path, monkeypatch) -> None:
    path = write_articles(tmp_path, {"id": "flood", "text": STORY})
    service.ingest_paths([path])
    parsed: list[str] = []
    monkeypatch.setattr("qa.speech.pipeline.attributions", lambda text, nlp: parsed.append(text) or [])
    service.ingest_paths([path])
    assert parsed == []
    write_articles(tmp_path, {"id": "flood", "text": STORY + " More rain fell."})
    service.ingest_paths([path])
    assert len(parsed) == 1, "a changed article is parsed again"


def test_a_text_read_again_under_another_id_is_parsed_once(service: QAService, tmp_path: Path, monkeypatch) -> None:
    parsed: list[str] = []
    monkeypatch.setattr("qa.speech.pipeline.attributions", lambda text, nlp: parsed.append(text) or [])
    # A wire story two outlets publish word for word, and another story.
    path = write_articles(tmp_path, {"id": "wire", "text": STORY}, {"id": "outlet", "text": STORY},
                          {"id": "other", "text": STORY + " More rain fell."})
    report = service.ingest_paths([path])
    assert sorted(report.added) == ["other", "outlet", "wire"] and len(parsed) == 2
