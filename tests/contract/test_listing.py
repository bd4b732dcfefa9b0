"""Articles listed newest first, in pages, on every backend."""

import pytest

from index.errors import InvalidCursor


def test_articles_are_listed_newest_first_undated_last_in_pages(dated) -> None:
    first = dated.list_articles(limit=3, cursor=None)
    assert [a.id for a in first.articles] == ["new", "other", "old"] and first.total == 4
    assert [a.chunks for a in first.articles] == [2, 1, 2]
    rest = dated.list_articles(limit=3, cursor=first.next_cursor)
    assert [a.id for a in rest.articles] == ["undated"] and rest.next_cursor is None


@pytest.mark.parametrize("cursor", ["nonsense", "W10=", "WzEsIDJd", "\u00e9"])
def test_a_cursor_that_was_not_issued_is_refused(dated, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        dated.list_articles(limit=3, cursor=cursor)
