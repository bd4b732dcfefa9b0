"""The database's tables and the SQL pieces shared by its queries."""

from collections.abc import Sequence

from index.catalog import CatalogArticle
from index.records import ChunkView

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
# What the in-memory catalog reads of chunks and articles (see catalog_articles).
CATALOG_CHUNK_COLUMNS = "id, article_id, start_char, end_char"
CATALOG_ARTICLE_COLUMNS = "id, title, url, text, source, published_ts, cluster_id"
# A chunk as search results show it; its text is cut from the article's in Python (see chunk_views).
CHUNK_VIEW_COLUMNS = (
    "c.id, c.chunk_key, c.article_id, c.start_char, c.end_char, "
    "a.title, a.url, a.source, a.published_at, a.published_ts, a.cluster_id"
)
CHUNK_COUNT = "(SELECT count(*) FROM chunks c WHERE c.article_id = articles.id)"
# Newest published first; undated articles last. Used by the listing and its cursor.
NEWEST_FIRST_KEY = "coalesce(published_ts, -1 << 62)"


def catalog_articles(spans: Sequence[tuple], fields: Sequence[tuple]) -> list[CatalogArticle]:
    """Catalog entries from rows of CATALOG_CHUNK_COLUMNS and of CATALOG_ARTICLE_COLUMNS, chunks in text order."""
    chunks: dict[str, list[tuple[int, int, int]]] = {}
    for chunk_id, article_id, start, end in spans:
        chunks.setdefault(article_id, []).append((chunk_id, start, end))
    return [
        CatalogArticle(article_id, title, url, text, source, published_ts, cluster_id,
                       tuple(sorted(chunks[article_id], key=lambda chunk: chunk[1])))
        for article_id, title, url, text, source, published_ts, cluster_id in fields if article_id in chunks
    ]


def chunk_views(rows: Sequence[tuple], texts: dict[str, str], order: Sequence[int]) -> list[ChunkView]:
    """Views from rows of CHUNK_VIEW_COLUMNS and their articles' texts, in the order of the ids given:
    the text is article.text[start:end], sliced in Python (which counts code points, as offsets do)."""
    by_id = {}
    for chunk_id, key, article_id, start, end, *fields in rows:
        if article_id in texts:
            by_id[chunk_id] = ChunkView(chunk_id, key, article_id, start, end, texts[article_id][start:end], *fields)
    return [by_id[i] for i in order if i in by_id]
