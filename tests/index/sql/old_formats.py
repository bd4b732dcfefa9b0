"""Index databases as older formats left them, made from a current one, for the tests of the upgrades."""

# Format 9 kept no date in the speech rows, and found a speaker's by their key alone.
SPEECH_OF_FORMAT_9 = """
DROP INDEX speech_by_speaker_newest;
ALTER TABLE speech DROP COLUMN published_ts;
CREATE INDEX speech_by_speaker ON speech(speaker_key);
"""

# Format 8 had none of the newsroom's fields nor sources, and called the time a version was stored `updated_at`.
ARTICLES_OF_FORMAT_8 = SPEECH_OF_FORMAT_9 + """
DROP TABLE article_tags;
DROP TABLE fetched;
DROP TABLE sources;
ALTER TABLE articles DROP COLUMN updated_at;
""" + "".join(f"ALTER TABLE articles DROP COLUMN {column};\n" for column in (
    "section", "tags", "language", "updated_ts", "embargo_until", "embargo_ts", "visibility")) + """
ALTER TABLE articles RENAME COLUMN stored_at TO updated_at;
"""
