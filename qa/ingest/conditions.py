"""What a write must satisfy before anything is stored: a batch of valid articles with distinct ids, a
CMS's condition on the stored version, and a caller's view (an API key limited to some visibilities or
sources reads, and so writes, only within it)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from index.records import StoredArticle
from qa.access import Access
from qa.articles import Article, InvalidArticle, article_from_mapping
from qa.errors import NotPermitted, TooLarge, VersionConflict
from qa.text.isodates import first_instant, parse_date


def checked_batch(objects: Sequence[Mapping[str, Any]], max_articles: int, max_chars: int | None) -> list[Article]:
    """All or nothing: every object a valid article with its own id, or InvalidArticle listing each problem."""
    if len(objects) > max_articles:
        raise TooLarge(f"at most {max_articles} articles per request, got {len(objects)}")
    articles, problems, first_index = [], [], {}
    for index, obj in enumerate(objects):
        try:
            article = article_from_mapping(obj, default_id=None, max_article_chars=max_chars)
        except InvalidArticle as error:
            problems.append({"index": index, "message": error.message})
            continue
        if article.id in first_index:
            problems.append({"index": index,
                             "message": f"duplicate id {article.id!r}, first at index {first_index[article.id]}"})
            continue
        first_index[article.id] = index
        articles.append(article)
    if problems:
        raise InvalidArticle(f"{len(problems)} of {len(objects)} articles are invalid; none was stored",
                             {"errors": problems})
    return articles


def readable(article: StoredArticle | None, access: Access, now: datetime) -> bool:
    """Whether the caller may read this stored article now (None: there is none, which anyone may write)."""
    if article is None:
        return True
    embargo = article.newsroom.embargo_ts
    released = access.sees_embargoed or embargo is None or embargo <= now.timestamp()
    return released and access.allows(article.newsroom.visibility, article.source)


def check_writable(articles: Sequence[Article], access: Access, stored: Callable[[str], StoredArticle | None],
                   now: datetime) -> None:
    """Raises NotPermitted unless the caller may read every one of these articles and what each replaces."""
    if not access.limited:
        return
    writer = replace(access, sees_embargoed=True)
    refused = [a.id for a in articles if not access.allows(a.visibility, a.source)
               or not readable(stored(a.id), writer, now)]
    if refused:
        raise NotPermitted(f"this API key may not write {', '.join(map(repr, refused[:10]))}: it is limited to "
                           f"{_view_text(access)}", {"article_ids": refused[:100]})


def check_precondition(article: Article, stored: StoredArticle | None, if_match: Sequence[str] | None) -> None:
    """Raises VersionConflict, naming the stored version, unless the write may replace what is stored."""
    if if_match is not None and (stored is None or ("*" not in if_match and stored.content_hash not in if_match)):
        wanted = ", ".join(if_match) or "none"
        message = (f"article {article.id!r} is not stored" if stored is None
                   else f"article {article.id!r} is at version {stored.content_hash}, not {wanted}")
        raise VersionConflict(message, _stored_version(stored))
    # Compared as the instants sent, not the seconds filters use: CMSs stamp edits to the millisecond.
    stored_at, new_at = (stored.newsroom.updated_at if stored else None), article.updated_at
    if stored_at is not None and new_at is not None and _instant(new_at) < _instant(stored_at):
        raise VersionConflict(
            f"article {article.id!r} was updated at {stored_at}, later than this version's updated_at {new_at}: "
            "the newer one stands", _stored_version(stored),
        )


def _instant(moment: str) -> datetime:
    return first_instant(parse_date(moment))


def _stored_version(stored: StoredArticle | None) -> dict[str, Any]:
    if stored is None:
        return {"stored_version": None}
    return {"stored_version": stored.content_hash, "stored_updated_at": stored.newsroom.updated_at}


def _view_text(access: Access) -> str:
    parts = []
    if access.visibilities is not None:
        parts.append(f"visibility {', '.join(access.visibilities) or 'none'}")
    if access.sources is not None:
        parts.append(f"sources {', '.join(access.sources) or 'none'}")
    return " and ".join(parts)
