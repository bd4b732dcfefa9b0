"""Main text and metadata of a news web page, by trafilatura (boilerplate, menus and scripts dropped)."""

from typing import Any

from qa.errors import InvalidInput

# Only dates the page states in its metadata: none guessed from the text.
DATE_FROM_METADATA_ONLY = {"extensive_search": False, "original_date": True}

# Larger pages are refused before extraction, for two reasons. The HTML parser (libxml2) silently drops
# any run of text over 10 MB, so the page would lose its text without a word. And extraction time grows
# faster than the page: on a 2-core build machine a page of paragraphs took 1 s at 1 MB, 17 s at 4 MB and
# over a minute at 10 MB. News pages weigh a few hundred kilobytes to a few megabytes.
MAX_HTML_BYTES = 10_000_000


def extract_html(html: str) -> dict[str, Any]:
    """The JSON article fields found in the page; `text` is the extracted main text."""
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise InvalidInput(
            f"the HTML is {size / 1e6:.1f} MB; the HTML extractor takes pages of at most {MAX_HTML_BYTES / 1e6:.0f} MB"
        )
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
