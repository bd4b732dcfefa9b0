"""The spaCy pipeline that reads articles at ingest is an installed package named by a setting: a missing
one stops the start."""

import pytest

from qa.errors import SpeechPipelineMissing
from qa.composition import open_service
from qa.settings import Settings
from qa.speech.pipeline import SpeechReader
from qa.text.pipeline import DEFAULT_PIPELINE, load_pipeline
from tests.fakes import FakeEmbedder


def test_a_pipeline_that_is_not_installed_stops_the_start(tmp_path) -> None:
    settings = Settings(index_dir=tmp_path / "index", speech_pipeline="no_such_pipeline")
    with pytest.raises(SpeechPipelineMissing, match="'no_such_pipeline' is not installed"):
        open_service(settings, FakeEmbedder())


def test_the_packaged_pipeline_parses_with_only_what_attribution_reads() -> None:
    SpeechReader(DEFAULT_PIPELINE).check()
    assert load_pipeline(DEFAULT_PIPELINE).pipe_names == ["tok2vec", "tagger", "parser", "ner"]


def test_the_pipeline_loads_once_per_process() -> None:
    assert load_pipeline(DEFAULT_PIPELINE) is load_pipeline(DEFAULT_PIPELINE)
