"""Index databases as older formats left them, made from a current one, for the tests of the upgrades."""

# Format 8 had none of the newsroom's fields nor sources, and called the time a version was stored `updated_at`.
ARTICLES_OF_FORMAT_8 = """
DROP TABLE article_tags;
DROP TABLE fetched;
DROP TABLE sources;
ALTER TABLE articles DROP COLUMN updated_at;
""" + "".join(f"ALTER TABLE articles DROP COLUMN {column};\n" for column in (
    "section", "tags", "language", "updated_ts", "embargo_until", "embargo_ts", "visibility")) + """
ALTER TABLE articles RENAME COLUMN stored_at TO updated_at;
"""
