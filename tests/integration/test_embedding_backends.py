"""The ONNX backends: exported once from the packaged model into the cache, close to torch's vectors."""

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.embedding.embedder import load_embedder
from qa.settings import PACKAGED_MODEL
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration

TEXTS = [
    "The senate passed the budget by 51 votes to 49 on Tuesday.",
    "Netanyahu’s gratitude towards Putin for the release of Israeli citizens was clear.",
    "A storm flooded the coastal town overnight, and fishermen kept their boats in the harbour.",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.mark.parametrize(("backend", "closeness"), [("onnx", 0.999), ("onnx-int8", 0.98)])
def test_onnx_backends_give_nearly_the_same_vectors(real_embedder, cache_dir: Path, backend: str,
                                                    closeness: float) -> None:
    embedder = load_embedder(PACKAGED_MODEL, 32, backend, cache_dir)
    assert embedder.backend == backend
    vectors = embedder.embed(TEXTS)
    reference = real_embedder.embed(TEXTS)
    assert vectors.shape == reference.shape and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(np.min(np.sum(vectors * reference, axis=1))) >= closeness
    assert embedder.name == real_embedder.name and embedder.count_tokens(TEXTS[0]) == real_embedder.count_tokens(TEXTS[0])


def test_the_export_is_made_once_and_reused(cache_dir: Path) -> None:
    load_embedder(PACKAGED_MODEL, 32, "onnx-int8", cache_dir)
    folder = next(p for p in cache_dir.iterdir() if not p.name.startswith("."))
    stamp = (folder / "onnx" / "model_qint8.onnx").stat().st_mtime_ns
    load_embedder(PACKAGED_MODEL, 32, "onnx-int8", cache_dir)
    assert (folder / "onnx" / "model_qint8.onnx").stat().st_mtime_ns == stamp
    assert [p.name for p in cache_dir.iterdir() if p.name.startswith(".")] == [], "no export left half-made"


def test_a_backend_that_cannot_be_made_falls_back_to_torch(cache_dir: Path, monkeypatch, caplog) -> None:
    def unavailable(*args, **kwargs):
        raise ImportError("onnxruntime is not installed")

    monkeypatch.setattr("qa.embedding.embedder.onnx_model_folder", unavailable)
    embedder = load_embedder(PACKAGED_MODEL, 32, "onnx-int8", cache_dir)
    assert embedder.backend == "torch" and embedder.embed(TEXTS[:1]).shape == (1, 384)
    assert "the onnx-int8 embedding backend is not available (onnxruntime is not installed); using torch" in caplog.text


def test_the_direct_onnx_embedder_gives_sentence_transformers_vectors(cache_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from qa.embedding.embedder import SentenceTransformerEmbedder
    from qa.embedding.model_cache import ONNX_FILE

    direct = load_embedder(PACKAGED_MODEL, 2, "onnx", cache_dir)
    folder = next(p for p in cache_dir.iterdir() if not p.name.startswith("."))
    onnx_in_sentence_transformers = SentenceTransformer(
        str(folder), backend="onnx", device="cpu", local_files_only=True, model_kwargs={"file_name": ONNX_FILE})
    reference = SentenceTransformerEmbedder(onnx_in_sentence_transformers, PACKAGED_MODEL, 2, "onnx")
    long_text = " ".join(TEXTS * 20)  # beyond the window: both truncate it alike
    texts = [*TEXTS, long_text, "Short."]
    np.testing.assert_allclose(direct.embed(texts), reference.embed(texts), atol=1e-5)
    assert (direct.max_tokens, direct.dimension) == (reference.max_tokens, reference.dimension)
    assert direct.count_tokens(long_text) == reference.count_tokens(long_text) > direct.max_tokens


def test_the_onnx_backend_loads_without_torch(cache_dir: Path) -> None:
    load_embedder(PACKAGED_MODEL, 8, "onnx-int8", cache_dir)  # the export, which does need torch, made first
    script = (
        "import sys; from pathlib import Path; from qa.embedding.embedder import load_embedder; "
        f"e = load_embedder({PACKAGED_MODEL!r}, 8, 'onnx-int8', Path({str(cache_dir)!r})); "
        "e.embed(['a test']); print(e.backend, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["onnx-int8", "False", "False"]


def test_word_by_word_counting_gives_the_tokenizers_count(cache_dir: Path) -> None:
    from tokenizers import Tokenizer

    embedder = load_embedder(PACKAGED_MODEL, 8, "onnx-int8", cache_dir)
    folder = next(p for p in cache_dir.iterdir() if not p.name.startswith("."))
    whole = Tokenizer.from_file(str(folder / "tokenizer.json"))
    whole.no_truncation()
    whole.no_padding()
    text = (SEEDS / "002_b0a686f71e466dcc.txt").read_text(encoding="utf-8") + \
        " Pérez’s “quoted” naïve café, U.S.-led 5.9-magnitude 東京 e-mail\u200bzero\u00a0width\ttab\r\n"
    rng = random.Random(7)
    pieces = [text[a : a + rng.randrange(1, 600)] for a in (rng.randrange(len(text)) for _ in range(300))]
    for piece in [*pieces, text, "", "   "]:
        assert embedder.count_tokens(piece) == len(whole.encode(piece, add_special_tokens=False).ids), piece[:80]


def test_a_passage_vector_does_not_depend_on_its_neighbours(cache_dir: Path) -> None:
    from qa.settings import Settings

    batch = Settings(embedding_backend="onnx-int8").effective_embed_batch_size
    embedder = load_embedder(PACKAGED_MODEL, batch, "onnx-int8", cache_dir)
    alone = embedder.embed([TEXTS[1]])[0]
    among_others = embedder.embed([TEXTS[0], TEXTS[1] * 3, TEXTS[1], TEXTS[2]])[2]
    np.testing.assert_array_equal(alone, among_others)
