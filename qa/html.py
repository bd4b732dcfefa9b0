"""Main text and metadata of a news web page, by trafilatura (boilerplate, menus and scripts dropped)."""

from typing import Any

from qa.errors import InvalidInput

# Only dates the page states in its metadata: none guessed from the text.
DATE_FROM_METADATA_ONLY = {"extensive_search": False, "original_date": True}


def extract_html(html: str) -> dict[str, Any]:
    """The JSON article fields found in the page; `text` is the extracted main text."""
    import trafilatura  # heavy import, needed only for HTML

    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params=DATE_FROM_METADATA_ONLY,
    )
    text = getattr(document, "text", None)
    if not text or not text.strip():
        raise InvalidInput("no main text found in the HTML")
    return {
        "text": text,
        "title": document.title,
        "url": document.url,
        "source": document.sitename or document.hostname,
        "authors": [a.strip() for a in (document.author or "").split(";") if a.strip()],
        "published_at": document.date,
    }
