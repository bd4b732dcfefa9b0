"""The database's tables and the SQL pieces shared by its queries."""

import json
from functools import lru_cache
from collections.abc import Callable, Sequence

from index.catalog.catalog import CatalogArticle
from index.records import (
    ArticleRecord, ChunkFilter, ChunkView, EntityRecord, Newsroom, SaidBy, SpeechRecord, Statement,
)
from index.speakers import stored_key


# Who speaks in which sentence, extracted at ingest so that questions about what someone said cost
# nothing extra to answer; speaker_key (index.speakers) is what a speaker is looked up by.
def speech_table(name: str, dated: bool = True) -> str:
    """The speech table under `name`; the upgrade to format 7 builds it beside the old one, as format 7
    had it (not `dated`: without its article's date)."""
    date = ",\n    published_ts INTEGER" if dated else ""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    speaker TEXT,
    cue TEXT NOT NULL,
    titles TEXT NOT NULL,
    kind TEXT NOT NULL,
    speaker_key TEXT{date}
) STRICT"""


# A speaker's statements newest first, undated last: the index a prolific speaker's newest statements
# are read from without sorting all of them. `published_ts` is the article's, copied (format 10).
SPEECH_NEWEST_FIRST = "coalesce(published_ts, -4611686018427387904)"
SPEECH_BY_SPEAKER = (f"CREATE INDEX IF NOT EXISTS speech_by_speaker_newest ON speech(speaker_key, "
                     f"{SPEECH_NEWEST_FIRST} DESC, article_id, start_char)")
SPEECH_INDEXES = (
    "CREATE INDEX IF NOT EXISTS speech_by_article ON speech(article_id, start_char)",
    SPEECH_BY_SPEAKER,
)

# The named things of each article (people, bodies, places, dates, amounts), found at ingest so that an
# answer can prefer the sentences holding the kind of thing a question asks for (format 8).
ENTITIES_TABLE = """CREATE TABLE IF NOT EXISTS entities (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    label TEXT NOT NULL
) STRICT"""
ENTITIES_INDEX = "CREATE INDEX IF NOT EXISTS entities_by_article ON entities(article_id, start_char)"

# Each article's tags a row each, so that a filter on tags is an indexed lookup in both engines (format 9).
ARTICLE_TAGS = (
    """CREATE TABLE IF NOT EXISTS article_tags (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag TEXT NOT NULL
) STRICT""",
    "CREATE INDEX IF NOT EXISTS article_tags_by_tag ON article_tags(tag, article_id)",
    "CREATE INDEX IF NOT EXISTS article_tags_by_article ON article_tags(article_id)",
)

# The feeds and sitemaps followed, and what was last fetched from each of their URLs (format 9).
SOURCE_TABLES = (
    """CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    every_seconds INTEGER NOT NULL,
    visibility TEXT NOT NULL,
    added_at TEXT NOT NULL,
    next_due_ts INTEGER NOT NULL,
    last_run TEXT
) STRICT""",
    """CREATE TABLE IF NOT EXISTS fetched (
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    listed_at TEXT,
    article_id TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
) STRICT""",
)

# Newest published first, undated articles (index.records.UNDATED) last: the listing's sort key, which
# its query repeats word for word so that SQLite uses the index built on it.
NEWEST_FIRST_KEY = "coalesce(published_ts, -1 << 62)"

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
    stored_at TEXT NOT NULL,
    section TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    language TEXT,
    updated_at TEXT,
    updated_ts INTEGER,
    embargo_until TEXT,
    embargo_ts INTEGER,
    visibility TEXT NOT NULL DEFAULT 'public'
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
CREATE TABLE IF NOT EXISTS changes (
    generation INTEGER NOT NULL,
    chunk_id INTEGER NOT NULL,
    added INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS articles_by_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_by_published ON articles(published_ts);
CREATE INDEX IF NOT EXISTS articles_newest_first ON articles({newest_first} DESC, id);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id, seq);
CREATE INDEX IF NOT EXISTS chunks_by_embed_hash ON chunks(embed_hash);
CREATE INDEX IF NOT EXISTS story_bands_by_key ON story_bands(band_key);
CREATE INDEX IF NOT EXISTS story_bands_by_article ON story_bands(article_id);
CREATE INDEX IF NOT EXISTS changes_by_generation ON changes(generation);
""".replace("{newest_first}", NEWEST_FIRST_KEY) + ";\n".join(
    [speech_table("speech"), *SPEECH_INDEXES, ENTITIES_TABLE, ENTITIES_INDEX, *ARTICLE_TAGS, *SOURCE_TABLES]
)

# The newsroom's fields of an article (index.records.Newsroom), in its order; `tags` as a JSON list.
NEWSROOM_COLUMNS = ("section", "tags", "language", "updated_at", "updated_ts", "embargo_until", "embargo_ts",
                    "visibility")
ARTICLE_COLUMNS = (
    "id, text, title, url, source, authors, published_at, published_ts, content_hash, cluster_id, "
    f"ingested_at, stored_at, {', '.join(NEWSROOM_COLUMNS)}"
)
# What the in-memory catalog reads of chunks and articles (see catalog_articles).
CATALOG_CHUNK_COLUMNS = "id, article_id, start_char, end_char"
CATALOG_ARTICLE_COLUMNS = f"id, title, url, text, source, published_ts, cluster_id, {', '.join(NEWSROOM_COLUMNS)}"
# A chunk as ranking needs it (index.records.ChunkRef).
CHUNK_REF_COLUMNS = "c.id, c.article_id, a.published_ts, a.cluster_id"
# A chunk as search results show it, then its text (CHUNK_TEXT, cut in SQL, where both engines count
# characters from 1 as Python counts code points from 0) or its article's (see chunk_views).
CHUNK_VIEW_COLUMNS = (
    "c.id, c.chunk_key, c.article_id, c.start_char, c.end_char, "
    "a.title, a.url, a.source, a.published_at, a.published_ts, a.cluster_id, "
    + ", ".join(f"a.{column}" for column in NEWSROOM_COLUMNS)
)
CHUNK_TEXT = "substr(a.text, c.start_char + 1, c.end_char - c.start_char)"
CHUNK_COUNT = "(SELECT count(*) FROM chunks c WHERE c.article_id = articles.id)"


def newsroom(values: Sequence) -> Newsroom:
    """The newsroom's fields from values of NEWSROOM_COLUMNS."""
    section, tags, language, updated_at, updated_ts, embargo_until, embargo_ts, visibility = values
    return Newsroom(section, tuple(json.loads(tags)), language, updated_at, updated_ts, embargo_until, embargo_ts,
                    visibility)


def newsroom_values(fields: Newsroom) -> tuple:
    """Values of NEWSROOM_COLUMNS for the newsroom's fields."""
    return (fields.section, json.dumps(list(fields.tags), ensure_ascii=False), fields.language, fields.updated_at,
            fields.updated_ts, fields.embargo_until, fields.embargo_ts, fields.visibility)


def catalog_articles(spans: Sequence[tuple], fields: Sequence[tuple]) -> list[CatalogArticle]:
    """Catalog entries from rows of CATALOG_CHUNK_COLUMNS and of CATALOG_ARTICLE_COLUMNS, chunks in text order."""
    chunks: dict[str, list[tuple[int, int, int]]] = {}
    for chunk_id, article_id, start, end in spans:
        chunks.setdefault(article_id, []).append((chunk_id, start, end))
    return [
        CatalogArticle(article_id, title, url, text, source, published_ts, cluster_id,
                       tuple(sorted(chunks[article_id], key=lambda chunk: chunk[1])), newsroom=newsroom(rest))
        for article_id, title, url, text, source, published_ts, cluster_id, *rest in fields if article_id in chunks
    ]


def chunk_views(rows: Sequence[tuple], order: Sequence[int], whole: bool = False) -> list[ChunkView]:
    """Views from rows of CHUNK_VIEW_COLUMNS followed by the chunk's text or, `whole`, its article's
    (from which the chunk's is cut in Python), in the order of the ids given."""
    by_id = {}
    width = len(NEWSROOM_COLUMNS)
    for chunk_id, key, article_id, start, end, *fields, text in rows:
        by_id[chunk_id] = ChunkView(chunk_id, key, article_id, start, end, text[start:end] if whole else text,
                                    *fields[:-width], newsroom=newsroom(fields[-width:]))
    return [by_id[i] for i in order if i in by_id]


# A speech record as both engines read it (see speech_record); a row as they write it (see speech_rows).
SPEECH_COLUMNS = "start_char, end_char, speaker, cue, titles, kind"
SPEECH_ROW = f"article_id, {SPEECH_COLUMNS}, speaker_key, published_ts"
# The speech row alone: the articles are joined only for the filter. A prolific speaker's thousands
# of rows come from far fewer articles, each read once with its sentences' text (cut from the article
# in SQL, a walk through the text's pages for each row) and what a citation needs, in the same
# snapshot (see statements).
STATEMENT_COLUMNS = "s.article_id, s.start_char, s.end_char, s.speaker, s.cue, s.titles, s.kind"
STATEMENT_ARTICLE_COLUMNS = "id, text, title, url, source, published_at, published_ts"
# Newest published first, undated last: the order of the index speech_by_speaker_newest.
STATEMENT_NEWEST_FIRST = SPEECH_NEWEST_FIRST.replace("published_ts", "s.published_ts")
STATEMENT_ORDER = f"{STATEMENT_NEWEST_FIRST} DESC, s.article_id, s.start_char"


# The statement writing one row of speech_rows.
SPEECH_INSERT = f"INSERT INTO speech({SPEECH_ROW}) VALUES ({', '.join('?' * len(SPEECH_ROW.split(',')))})"


def speech_rows(article: ArticleRecord) -> list[tuple]:
    """The article's speech as rows of SPEECH_ROW."""
    return [
        (article.id, s.start, s.end, s.speaker, s.cue, json.dumps(list(s.titles)), s.kind, stored_key(s.speaker),
         article.published_ts)
        for s in article.speech
    ]


def speech_record(start: int, end: int, speaker: str | None, cue: str, titles: str, kind: str) -> SpeechRecord:
    return SpeechRecord(start, end, speaker, cue, _titles(titles), kind)


@lru_cache(maxsize=10_000)
def _titles(stored: str) -> tuple[str, ...]:
    """A speaker's titles as stored (JSON); a prolific speaker's thousands of rows repeat a few."""
    return tuple(json.loads(stored))


def speech_by_article(rows: Sequence[tuple], article_ids: Sequence[str]) -> dict[str, list[SpeechRecord]]:
    """Rows of article_id and SPEECH_COLUMNS, ordered by start, as each article's speech."""
    found: dict[str, list[SpeechRecord]] = {article_id: [] for article_id in article_ids}
    for article_id, *fields in rows:
        found[article_id].append(speech_record(*fields))
    return found


OneOf = Callable[[str, Sequence[str]], tuple[str, object]]


def article_conditions(chunk_filter: ChunkFilter, one_of: OneOf, alias: str = "a") -> tuple[list[str], list]:
    """SQL conditions on the articles table (as `alias`) and their parameters, for the articles the
    filter lets through, with the same meaning as the catalog's filter (index.catalog.catalog).
    `one_of(column, values)` is the engine's test of membership in a list, with its one parameter."""
    conditions, params = [], []
    asked = [("source", chunk_filter.sources), ("id", chunk_filter.article_ids), ("section", chunk_filter.sections),
             ("language", chunk_filter.languages), ("visibility", chunk_filter.visibilities)]
    readable = [("source", chunk_filter.readable_sources), ("visibility", chunk_filter.readable_visibilities)]
    # An empty list asked for is no filter; an empty list readable is nothing.
    for column, values in [*((c, v) for c, v in asked if v), *((c, v) for c, v in readable if v is not None)]:
        condition, param = one_of(f"{alias}.{column}", values)
        conditions.append(condition)
        params.append(param)
    if chunk_filter.tags:
        condition, param = one_of("t.tag", chunk_filter.tags)
        conditions.append(f"{alias}.id IN (SELECT t.article_id FROM article_tags t WHERE {condition})")
        params.append(param)
    # A NULL date fails a comparison: undated articles fail the bounds, and pass not_after explicitly.
    for bound, condition in ((chunk_filter.published_from, "{a}.published_ts >= ?"),
                             (chunk_filter.published_to, "{a}.published_ts <= ?"),
                             (chunk_filter.not_after, "({a}.published_ts IS NULL OR {a}.published_ts <= ?)"),
                             (chunk_filter.updated_from, "{a}.updated_ts >= ?"),
                             (chunk_filter.updated_to, "{a}.updated_ts <= ?"),
                             (chunk_filter.released_by, "({a}.embargo_ts IS NULL OR {a}.embargo_ts <= ?)")):
        if bound is not None:
            conditions.append(condition.format(a=alias))
            params.append(bound)
    return conditions, params


def statements_query(speaker_key: str, chunk_filter: ChunkFilter, limit: int, one_of: OneOf) -> tuple[str, list]:
    """SQL and parameters for the speech rows under `speaker_key` of articles the filter lets through."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    conditions, params = article_conditions(chunk_filter, one_of)
    # `as_of` again on the speech rows' copy of the date, as the index holds it, so that rows after it
    # are skipped in the index. An undated row passes it either way, and so does a row written without
    # its copy (by a replica of format 9 during an upgrade): such a row only sorts as undated.
    if chunk_filter.not_after is not None:
        conditions.append(f"{STATEMENT_NEWEST_FIRST} <= ?")
        params.append(chunk_filter.not_after)
    query = (f"SELECT {STATEMENT_COLUMNS} FROM speech s JOIN articles a ON a.id = s.article_id "
             f"WHERE {' AND '.join(['s.speaker_key = ?', *conditions])} ORDER BY {STATEMENT_ORDER} LIMIT ?")
    return query, [speaker_key, *params, limit]


def speech_rows_kept(rows: Sequence[tuple], keep: SaidBy | None) -> list[tuple]:
    """(article id, speech record) for the rows of STATEMENT_COLUMNS whose speaker and titles `keep`
    accepts (all without one), asked once for each pair of them."""
    records = [(row[0], speech_record(*row[1:])) for row in rows]
    if keep is None:
        return records
    judged: dict[tuple, bool] = {}
    kept = []
    for article_id, record in records:
        said_by = (record.speaker, record.titles)
        accepted = judged.get(said_by)
        if accepted is None:
            accepted = judged[said_by] = keep(*said_by)
        if accepted:
            kept.append((article_id, record))
    return kept


def statements(rows: Sequence[tuple], articles: Sequence[tuple]) -> list[Statement]:
    """Statements from (article id, record) of speech_rows_kept and their articles' rows of
    STATEMENT_ARTICLE_COLUMNS, each with its sentence cut from its article's text; the rows of an
    article no longer stored are left out."""
    by_id = {row[0]: row for row in articles}
    found = []
    for article_id, record in rows:
        article = by_id.get(article_id)
        if article is not None:
            found.append(Statement(article_id, record, *article[2:], article[1][record.start : record.end]))
    return found


ENTITY_INSERT = "INSERT INTO entities(article_id, start_char, end_char, label) VALUES (?, ?, ?, ?)"


def entity_rows(article: ArticleRecord) -> list[tuple]:
    return [(article.id, e.start, e.end, e.label) for e in article.entities]


def entities_by_article(rows: Sequence[tuple], article_ids: Sequence[str]) -> dict[str, list[EntityRecord]]:
    """Rows of (article_id, start_char, end_char, label), ordered by start, as each article's entities."""
    found: dict[str, list[EntityRecord]] = {article_id: [] for article_id in article_ids}
    for article_id, start, end, label in rows:
        found[article_id].append(EntityRecord(start, end, label))
    return found
