"""The service's settings: one class, read from `QA_*` environment variables, passed down explicitly."""

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def default_index_dir() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "news-qa" / "index"


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
    chunk_tokens: int = Field(
        default=160, ge=16, le=510, description="Largest chunk, in the model's word pieces."
    )
    chunk_overlap_tokens: int = Field(
        default=32, ge=0, description="Word pieces shared by consecutive chunks of an article."
    )
    embed_title: bool = Field(
        default=True, description="Put the article title in front of each chunk when embedding it."
    )
    embed_batch_size: int = Field(default=32, ge=1, le=1024, description="Texts per embedding batch.")
    ingest_batch_articles: int = Field(
        default=64, ge=1, le=10_000, description="Articles written per database transaction at ingest."
    )
    faiss_index: str = Field(
        default="Flat",
        description="FAISS index factory string under the id map, e.g. Flat (exact) or HNSW32.",
    )
    top_k: int = Field(default=5, ge=1, le=100, description="Passages returned when a query does not say.")
    max_top_k: int = Field(default=100, ge=1, le=1000, description="Largest top_k a query may ask for.")
    max_question_chars: int = Field(default=2000, ge=10, description="Longest question accepted.")
    min_passage_score: float = Field(
        default=0.30,
        ge=-1.0,
        le=1.0,
        description="Cosine below which the best passage is not relevant enough to answer from.",
    )
    answer_max_sentences: int = Field(
        default=2, ge=1, le=5, description="Most sentences quoted in an extractive answer."
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
        return self
