"""The database's tables and the SQL pieces shared by its queries."""

from index.records import ChunkFilter

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT,
    url TEXT,
    source TEXT,
    authors TEXT NOT NULL,
    published_at TEXT,
    published_ts INTEGER,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    cluster_id TEXT,
    fingerprint BLOB,
    ingested_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
-- AUTOINCREMENT: a deleted chunk's id is never reused, so a stale FAISS id can never
-- point at another chunk's row.
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    chunk_key TEXT NOT NULL,
    embed_hash TEXT NOT NULL,
    vector BLOB NOT NULL
) STRICT;
-- Band keys of each article's MinHash fingerprint: articles sharing one may tell the same story.
CREATE TABLE IF NOT EXISTS story_bands (
    band_key INTEGER NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE
) STRICT;
-- BM25 over every chunk (rowid = chunk id), updated in the same transactions as the chunks.
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2');
-- BM25 over whole articles, reading their text from the articles table (rowid = the article's rowid).
CREATE VIRTUAL TABLE IF NOT EXISTS article_terms USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
-- Who speaks in which sentence, extracted at ingest so that questions about what someone said cost
-- nothing extra to answer.
CREATE TABLE IF NOT EXISTS speech (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    cue TEXT NOT NULL,
    titles TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS changes (
    generation INTEGER NOT NULL,
    chunk_id INTEGER NOT NULL,
    added INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS articles_by_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published_ts);
CREATE INDEX IF NOT EXISTS articles_newest_first ON articles(coalesce(published_ts, -1 << 62) DESC, id);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id, seq);
CREATE INDEX IF NOT EXISTS chunks_by_embed_hash ON chunks(embed_hash);
CREATE INDEX IF NOT EXISTS story_bands_by_key ON story_bands(band_key);
CREATE INDEX IF NOT EXISTS story_bands_by_article ON story_bands(article_id);
CREATE INDEX IF NOT EXISTS speech_by_article ON speech(article_id, start_char);
CREATE INDEX IF NOT EXISTS changes_by_generation ON changes(generation)
"""

MAX_SQL_VARIABLES = 900
ARTICLE_COLUMNS = (
    "id, text, title, url, source, authors, published_at, published_ts, content_hash, cluster_id, "
    "ingested_at, updated_at"
)
# FTS5's bm25() with weights for the title and text columns; lower is better.
BM25_RANK = "bm25(chunk_terms, ?, 1.0)"
ARTICLE_BM25_RANK = "bm25(article_terms, ?, 1.0)"
CHUNK_COUNT = "(SELECT count(*) FROM chunks c WHERE c.article_id = articles.id)"
# Newest published first; undated articles last. Used by the listing and its cursor.
NEWEST_FIRST_KEY = "coalesce(published_ts, -1 << 62)"


def filter_clauses(chunk_filter: ChunkFilter) -> tuple[list[str], list]:
    """SQL conditions on the articles table for a filter, with their parameters."""
    clauses, params = [], []
    for column, values in (("source", chunk_filter.sources), ("id", chunk_filter.article_ids)):
        if values:
            clauses.append(f"articles.{column} IN ({', '.join('?' * len(values))})")
            params += values
    for condition, bound in (
        ("articles.published_ts >= ?", chunk_filter.published_from),
        ("articles.published_ts <= ?", chunk_filter.published_to),
        ("(articles.published_ts IS NULL OR articles.published_ts <= ?)", chunk_filter.not_after),
    ):
        if bound is not None:
            clauses.append(condition)
            params.append(bound)
    return clauses, params
