"""Speech attribution at ingest with the configured spaCy pipeline (qa.text.pipeline)."""

from typing import TYPE_CHECKING

from index.records import SpeechRecord
from qa.speech.attribution import attributions
from qa.text.pipeline import check_installed, load_pipeline

if TYPE_CHECKING:
    from spacy.language import Language


class SpeechReader:
    """Attributes an article's sentences with the named pipeline, loaded at the first article: a
    process that only answers questions never loads it."""

    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline
        self._nlp: "Language | None" = None

    def check(self) -> None:
        """Raises SpeechPipelineMissing now, at start, if the pipeline is not installed."""
        check_installed(self.pipeline)

    def __call__(self, text: str) -> list[SpeechRecord]:
        if self._nlp is None:
            self._nlp = load_pipeline(self.pipeline)
        return attributions(text, self._nlp)
