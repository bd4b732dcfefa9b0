"""Entities found at ingest with the packaged spaCy pipeline: offsets into the article, line by line,
and quoted titles the recognizer leaves unlabelled."""

import pytest

from qa.text.entities import EntityReader
from qa.text.pipeline import DEFAULT_PIPELINE


@pytest.fixture(scope="module")
def read() -> EntityReader:
    return EntityReader(DEFAULT_PIPELINE)


def test_every_entity_is_the_article_s_text_at_its_offsets(read: EntityReader) -> None:
    text = ("LONDON —  Prime Minister Boris Johnson resigned on Thursday.\n\n"
            "He had led Britain since 2019, paying £3 million.")
    found = read(text)
    assert {(text[e.start : e.end], e.label) for e in found} >= {("Boris Johnson", "PERSON"), ("Thursday", "DATE")}
    assert all(0 <= e.start < e.end <= len(text) for e in found)
    assert [e.start for e in found] == sorted(e.start for e in found)


def test_a_quoted_title_is_a_work_of_art(read: EntityReader) -> None:
    text = "“Squid Game” is officially coming back, and fans said “Absolutely,” when asked."
    titles = [text[e.start : e.end] for e in read(text) if e.label == "WORK_OF_ART"]
    assert titles == ["Squid Game"]


def test_a_line_longer_than_the_recognizer_reads_is_cut_at_a_space(read: EntityReader) -> None:
    text = ("Filler words go on and on here. " * 300) + "Angela Merkel spoke in Berlin."
    found = read(text)
    assert ("Angela Merkel", "PERSON") in {(text[e.start : e.end], e.label) for e in found}
