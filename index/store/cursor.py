"""Opaque listing cursors: the sort key and id of the last article a page returned."""

import base64
import binascii
import json

from index.errors import InvalidCursor
from index.records import ArticlePage, ChunkFilter

MIN_KEY, MAX_KEY = -(2**63), 2**63 - 1


def encode_cursor(sort_key: int, article_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort_key, article_id]).encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        sort_key, article_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if type(sort_key) is int and MIN_KEY <= sort_key <= MAX_KEY and isinstance(article_id, str):
            article_id.encode("utf-8")  # a cursor this index issued holds a storable id
            return sort_key, article_id
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        pass
    raise InvalidCursor(f"cursor {cursor[:80]!r} is not one this listing returned")


def article_page(database, limit: int, cursor: str | None, chunk_filter: ChunkFilter) -> ArticlePage:
    """The articles the filter lets through newest first, from one snapshot of the database, `limit` of
    them after the cursor."""
    with database.snapshot():
        rows = database.newest_articles(limit + 1, decode_cursor(cursor) if cursor else None, chunk_filter)
        total = database.count_articles(chunk_filter)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1][0], rows[-1][1].id) if more else None
    return ArticlePage([article for _, article in rows], total, next_cursor)
