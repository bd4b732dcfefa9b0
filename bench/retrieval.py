"""Retrieval quality on the realtimeqa dev questions: this service's retrievers, with and without the
recency prior and the story collapse, against a plain LangChain FAISS store with the same model.

Run by hand, from the repository root (the first run embeds the whole corpus twice, for this
service and for the baseline: about an hour and a half on 2 cores; later runs reuse both):

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python bench/retrieval.py --index-dir ../bench-data/rtqa-index --baseline-dir ../bench-data/rtqa-langchain

It prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.ports import Store  # noqa: E402
from index.store.opening import open_store  # noqa: E402
from qa.embedding.embedder import embedder_for, resolve_model  # noqa: E402
from qa.evaluation import EvalReport, Hit, evaluate, load_questions, service_retrieve  # noqa: E402
from qa.composition import assemble_service  # noqa: E402
from qa.service import QAService  # noqa: E402
from qa.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared" / "eval" / "realtimeqa"
CONFIGS = [
    ("dense", {"retriever": "dense", "recency_weight": 0.0, "collapse_duplicates": False}),
    ("bm25", {"retriever": "bm25", "recency_weight": 0.0, "collapse_duplicates": False}),
    ("hybrid", {"retriever": "hybrid", "recency_weight": 0.0, "collapse_duplicates": False}),
    ("hybrid + recency prior", {"retriever": "hybrid", "collapse_duplicates": False}),
    ("hybrid + story collapse", {"retriever": "hybrid", "recency_weight": 0.0}),
    ("hybrid + recency + collapse (default)", {}),
    ("default, passages as their chunks alone", {"passage_chars": 0}),
]


def main() -> None:
    args = _arguments()
    questions = load_questions(args.questions)
    settings = Settings(index_dir=args.index_dir)
    embedder = embedder_for(settings)
    _ingest(settings, embedder, args.corpus)
    store = open_store(settings.index_dir, model=embedder.name, dimension=embedder.dimension,
                       faiss_index=settings.faiss_index, create=False)
    rows = []
    for name, overrides in CONFIGS:
        service = assemble_service(store, embedder, settings.model_copy(update=overrides))
        rows.append((name, evaluate(service_retrieve(service), questions)))
        print(f"measured {name}", file=sys.stderr)
    # Before the issue-19 change, articles were ranked on their two best passages whatever their length.
    length_blind = assemble_service(_LengthBlind(store), embedder, settings)
    rows.append(("default, articles ranked as if none were held in one chunk", evaluate(service_retrieve(length_blind), questions)))
    articles = _article_texts(args.corpus)
    default = assemble_service(store, embedder, settings)
    rows.append(("ceiling: default, each passage as its whole article", evaluate(_whole_articles(default, articles), questions)))
    if not args.skip_baseline:
        rows.append(("LangChain FAISS, 1000/200 characters", _baseline(args, questions)))
    print(_table(rows, args))
    print()
    print(_answerable(questions, articles))


class _LengthBlind:
    """The store, except that it tells no article's number of chunks to the ranking."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def chunk_counts(self, article_ids) -> dict[str, int]:
        return {}

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def _ingest(settings: Settings, embedder, corpus: Path) -> None:
    from qa.composition import open_service

    service = open_service(settings, embedder)
    started = time.perf_counter()
    report = service.ingest_paths([corpus])
    service.close()
    print(f"ingest: {len(report.added)} added, {len(report.unchanged)} unchanged, "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)


def _article_texts(corpus: Path) -> dict[str, str]:
    articles = (json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip())
    return {a["id"]: a["text"] for a in articles}


def _whole_articles(service: QAService, articles: dict[str, str]):
    """The default ranking with each passage replaced by its whole article: the most answer@5 any
    choice of passages within these articles could reach."""
    retrieve = service_retrieve(service)
    return lambda item, k: [Hit(hit.article_id, articles[hit.article_id]) for hit in retrieve(item, k)]


def _answerable(questions, articles: dict[str, str]) -> str:
    """How many questions any passage could answer at all: answer@k looks for an answer string, which
    the articles that answer a question do not always contain in those words."""
    texts = {article_id: text.lower() for article_id, text in articles.items()}

    def found(item, ids) -> bool:
        return any(answer.lower() in texts[i] for i in ids for answer in item.answers)

    in_gold = sum(found(q, q.gold_article_ids & texts.keys()) for q in questions)
    anywhere = sum(found(q, texts) for q in questions)
    return (f"An answer string appears in a gold article for {in_gold} of {len(questions)} questions "
            f"({in_gold / len(questions):.3f}), in any article of the corpus for {anywhere} "
            f"({anywhere / len(questions):.3f}).")


def _baseline(args: argparse.Namespace, questions) -> EvalReport:
    """What a user would otherwise pick: LangChain's usual splitter and a FAISS vector store."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    model_path, _ = resolve_model(Settings().model)
    embeddings = HuggingFaceEmbeddings(model_name=str(model_path), model_kwargs={"device": "cpu"},
                                       encode_kwargs={"normalize_embeddings": True})
    if (args.baseline_dir / "index.faiss").exists():
        store = FAISS.load_local(str(args.baseline_dir), embeddings, allow_dangerous_deserialization=True)
    else:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        articles = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines()]
        documents = splitter.split_documents(
            [Document(page_content=a["text"], metadata={"id": a["id"]}) for a in articles]
        )
        started = time.perf_counter()
        store = FAISS.from_documents(documents, embeddings)
        print(f"baseline ingest: {len(documents)} chunks, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        store.save_local(str(args.baseline_dir))

    def retrieve(item, k):
        return [Hit(d.metadata["id"], d.page_content) for d in store.similarity_search(item.question, k=k)]

    return evaluate(retrieve, questions)


def _table(rows: list[tuple[str, EvalReport]], args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    lines = [
        f"Commit `{commit}`, {platform.machine()} {platform.processor() or ''} ({_cores()} cores), "
        f"`python bench/retrieval.py` on {args.questions.name} ({len(load_questions(args.questions))} questions).",
        "",
        "| retriever | hits@1 | hits@5 | hits@10 | mrr@10 | answer@5 | passage chars | latency p50 / p95 (ms) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r.hits_at_1:.3f} | {r.hits_at_5:.3f} | {r.hits_at_10:.3f} | {r.mrr_at_10:.3f} | "
                     f"{r.answer_at_5:.3f} | {r.passage_chars:.0f} | {r.latency_median_ms:.0f} / {r.latency_p95_ms:.0f} |")
    return "\n".join(lines)


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus.jsonl")
    parser.add_argument("--questions", type=Path, default=SHARED / "questions-dev.jsonl")
    parser.add_argument("--index-dir", type=Path, required=True, help="this service's index (made if absent)")
    parser.add_argument("--baseline-dir", type=Path, default=REPO.parent / "bench-data" / "rtqa-langchain")
    parser.add_argument("--skip-baseline", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    main()
