"""Embedding speed alone, per backend and batch size: passages per CPU-second and per second on
realtimeqa passages (700 characters, about 140 word pieces, sorted by length as ingest sorts them).

Run by hand, from the repository root, on a quiet machine:

    .venv/bin/python bench/embedding.py --backends torch onnx onnx-int8 --batch-sizes 8 16 32
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import commit  # noqa: E402
from qa.embedding.embedder import load_embedder  # noqa: E402
from qa.settings import Settings  # noqa: E402

CORPUS = REPO.parent / "shared" / "eval" / "realtimeqa" / "corpus.jsonl"


def main() -> None:
    args = _arguments()
    articles = [json.loads(line) for line in CORPUS.read_text().splitlines()[:200]]
    texts = [a["text"][i : i + 700] for a in articles for i in range(0, len(a["text"]), 700)][: args.passages]
    settings = Settings()
    lines = [
        f"Commit `{commit()}`, {os.cpu_count()} cores, `python bench/embedding.py`: {len(texts)} passages.",
        "",
        "| backend | batch | word pieces / passage | passages / CPU-s | passages / s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for backend in args.backends:
        for batch in args.batch_sizes:
            embedder = load_embedder(settings.model, batch, backend, settings.model_cache_dir)
            lines.append(_row(backend, batch, embedder, texts))
            if backend != "torch" and args.sentence_transformers:
                lines.append(_row(f"{backend} through sentence-transformers", batch, _through_st(backend, batch), texts))
    print("\n".join(lines))


def _row(name: str, batch: int, embedder, texts: list[str]) -> str:
    pieces = sum(embedder.count_tokens(t) for t in texts) / len(texts)
    embedder.embed(texts[:32])
    cpu, wall = time.process_time(), time.perf_counter()
    embedder.embed(sorted(texts, key=len))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return f"| {name} | {batch} | {pieces:.0f} | {len(texts) / cpu:.1f} | {len(texts) / wall:.1f} |"


def _through_st(backend: str, batch: int):
    """The same ONNX file run by sentence-transformers' ONNX backend (with ONNX Runtime's threads), as
    the service ran it before it ran ONNX Runtime directly."""
    from qa.embedding.embedder import SentenceTransformerEmbedder, _sentence_transformers_onnx, resolve_model
    from qa.embedding.model_cache import onnx_model_folder

    settings = Settings()
    path, name = resolve_model(settings.model)
    folder, file_name = onnx_model_folder(path, name, settings.model_cache_dir, quantized=backend == "onnx-int8")
    return SentenceTransformerEmbedder(_sentence_transformers_onnx(folder, file_name), name, batch, backend)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["torch", "onnx-int8"], choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[8, 32])
    parser.add_argument("--passages", type=int, default=768)
    parser.add_argument("--sentence-transformers", action="store_true",
                        help="also run each ONNX backend through sentence-transformers, for comparison")
    return parser.parse_args()


if __name__ == "__main__":
    main()
