"""Optional reranking of the fused candidates by a cross-encoder the user provides as a local folder."""

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from qa.errors import ModelUnavailable


class Reranker(Protocol):
    def scores(self, question: str, passages: Sequence[str]) -> list[float]:
        """Higher is more relevant; one score per passage."""
        ...


class CrossEncoderReranker:
    def __init__(self, model) -> None:
        self._model = model

    def scores(self, question: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        return [float(s) for s in self._model.predict([(question, p) for p in passages], show_progress_bar=False)]


def load_reranker(folder: str) -> CrossEncoderReranker:
    path = Path(folder).expanduser()
    if not (path / "config.json").is_file():
        raise ModelUnavailable(f"reranker {folder!r} is not a local cross-encoder folder (no config.json there)")
    from sentence_transformers import CrossEncoder  # heavy: imported only when a reranker is configured

    try:
        return CrossEncoderReranker(CrossEncoder(str(path), device="cpu", local_files_only=True))
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"could not load the reranker from {path}: {error}") from None
