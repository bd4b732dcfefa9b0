"""What an index directory must agree with before it is used: its format, model and manifest."""

from pathlib import Path

from index.ports import Database
from index.errors import IncompatibleStore
from index.files.manifest import FORMAT_VERSION, read_manifest
from index.sql.schema import (
    ARTICLE_TAGS, ENTITIES_INDEX, ENTITIES_TABLE, SOURCE_TABLES, SPEECH_BY_SPEAKER, speech_table,
)

# Statements that bring an index of an older format to the next one, in place; one after another they
# bring it to this one. PostgreSQL's schema follows its own migrations (index.sql.postgres), which also
# record the format they reach, so only SQLite runs these.
UPGRADES = {
    # Format 5 kept BM25 in SQLite's full-text tables; it is in the catalog now, built on opening.
    "5": ["DROP TABLE IF EXISTS chunk_terms", "DROP TABLE IF EXISTS article_terms"],
    # Format 7 allows unnamed speakers and adds each row's kind and speaker key. SQLite cannot loosen
    # a NOT NULL in place, so the table is built anew. The rows kept count as indirect speech (the
    # default kind) until their articles are ingested again, and are keyed by the SQL function
    # speaker_key, which index.sql.sqlite gives every connection.
    "6": [
        speech_table("speech_v7", dated=False),
        "INSERT INTO speech_v7(article_id, start_char, end_char, speaker, cue, titles, kind, speaker_key) "
        "SELECT article_id, start_char, end_char, speaker, cue, titles, 'indirect', speaker_key(speaker) FROM speech",
        "DROP TABLE speech",
        "ALTER TABLE speech_v7 RENAME TO speech",
        "CREATE INDEX IF NOT EXISTS speech_by_article ON speech(article_id, start_char)",
        "CREATE INDEX IF NOT EXISTS speech_by_speaker ON speech(speaker_key)",
    ],
    # Format 8 adds each article's entities; the articles kept have none until they are ingested again
    # (their recipe has changed, so ingesting the same files again redoes them, reusing their vectors).
    "7": [ENTITIES_TABLE, ENTITIES_INDEX],
    # Format 9 adds the newsroom's fields (section, tags, language, its own updated_at, embargo, visibility)
    # and the sources followed; the time the service stored an article's version, `updated_at` until now,
    # becomes `stored_at`.
    "8": [
        "ALTER TABLE articles RENAME COLUMN updated_at TO stored_at",
        "ALTER TABLE articles ADD COLUMN section TEXT",
        "ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE articles ADD COLUMN language TEXT",
        "ALTER TABLE articles ADD COLUMN updated_at TEXT",
        "ALTER TABLE articles ADD COLUMN updated_ts INTEGER",
        "ALTER TABLE articles ADD COLUMN embargo_until TEXT",
        "ALTER TABLE articles ADD COLUMN embargo_ts INTEGER",
        "ALTER TABLE articles ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'",
        *ARTICLE_TAGS,
        *SOURCE_TABLES,
    ],
    # Format 10 copies each article's date into its speech rows, so that a speaker's statements are
    # read newest first from an index rather than all sorted.
    "9": [
        "ALTER TABLE speech ADD COLUMN published_ts INTEGER",
        "UPDATE speech SET published_ts = (SELECT a.published_ts FROM articles a WHERE a.id = speech.article_id)",
        "DROP INDEX IF EXISTS speech_by_speaker",
        SPEECH_BY_SPEAKER,
    ],
}


def check_or_initialize(database: Database, directory: Path, model: str, dimension: int) -> None:
    meta = database.meta()
    if not meta:
        database.initialize({"model": model, "dimension": str(dimension), "format_version": str(FORMAT_VERSION)})
        # Another process may have initialized it first, for another model: read back what holds.
        meta = database.meta()
    while meta.get("format_version") in UPGRADES:
        version = meta["format_version"]
        database.upgrade(version, UPGRADES[version], str(int(version) + 1))
        meta = database.meta()
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise IncompatibleStore(
            f"the index at {directory} has format version {meta.get('format_version')}; this version reads "
            f"{FORMAT_VERSION}: ingest the articles again into a new index directory"
        )
    _check_model(directory, meta["model"], int(meta["dimension"]), model, dimension)
    manifest = read_manifest(directory)
    if manifest is not None:
        _check_model(directory, manifest.model, manifest.dimension, model, dimension)


def _check_model(directory: Path, stored_model: str, stored_dimension: int, model: str, dimension: int) -> None:
    if (stored_model, stored_dimension) != (model, dimension):
        raise IncompatibleStore(
            f"the index at {directory} was built with model {stored_model!r} ({stored_dimension} dimensions), "
            f"but the configured model is {model!r} ({dimension} dimensions); use that model, or another "
            f"index directory for this one"
        )
