"""Every reader on hostile files: random bytes, random JSON, deep nesting, huge lines, invalid UTF-8,
zero-width and right-to-left text, 50 MB bodies. Each file is an article or a skip with a reason, never an
exception."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.articles import check_storable
from qa.ingest.readers import Read, Skipped, read_file, read_paths
from qa.service import QAService

SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl"]
FIFTY_MB = 50 * 1024 * 1024
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
article_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values, "text": json_values | st.text(min_size=1), "body": json_values, "title": json_values,
        "url": json_values, "source": json_values, "authors": json_values,
        "published_at": json_values | st.dates().map(str) | st.datetimes().map(lambda d: d.isoformat()),
    },
)


def read(tmp_path: Path, name: str, data: bytes) -> list[Read | Skipped]:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        results = list(read_file(path))
    finally:
        path.unlink()
    for result in results:
        assert isinstance(result, (Read, Skipped))
        if isinstance(result, Read):
            for name in ("id", "text", "title", "url", "source"):
                if getattr(result.article, name) is not None:
                    check_storable(name, getattr(result.article, name))
            assert result.article.text.strip()
        else:
            assert result.reason
    return results


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    read(tmp_path, f"random{suffix}", data)


@FUZZ
@given(value=json_values | article_like | st.lists(article_like, max_size=3), suffix=st.sampled_from([".json", ".jsonl"]))
def test_random_json_shapes(tmp_path: Path, value, suffix: str) -> None:
    read(tmp_path, f"random{suffix}", json.dumps(value).encode())


@FUZZ
@given(text=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300), suffix=st.sampled_from(SUFFIXES))
def test_any_unicode_text(tmp_path: Path, text: str, suffix: str) -> None:
    data = json.dumps({"text": text}) if suffix.startswith(".json") else text
    read(tmp_path, f"any{suffix}", data.encode("utf-8", "surrogatepass"))


def test_deep_nesting_is_a_clear_skip(tmp_path: Path) -> None:
    for suffix in (".json", ".jsonl"):
        for data in ("[" * 200_000, '{"text": ' * 100_000, "[" * 100_000 + "]" * 100_000):
            (result,) = read(tmp_path, f"deep{suffix}", data.encode())
            assert isinstance(result, Skipped) and ("nested too deeply" in result.reason or "invalid JSON" in result.reason)


def test_huge_lines_invalid_utf8_zero_width_and_right_to_left(tmp_path: Path) -> None:
    huge = "x" * 5_000_000
    (result,) = read(tmp_path, "huge.txt", huge.encode())
    assert isinstance(result, Read) and result.article.text == huge
    (result,) = read(tmp_path, "huge.jsonl", json.dumps({"text": huge}).encode())
    assert isinstance(result, Read) and result.article.text == huge
    (result,) = read(tmp_path, "latin1.txt", "Café au lait".encode("latin-1"))
    assert isinstance(result, Skipped) and result.reason.startswith("not UTF-8 text")
    marked = "Bidi \u202eevil\u202c text\u200b with zero\u200dwidth and عربي and עברית.\u2066x\u2069"
    (result,) = read(tmp_path, "marks.txt", marked.encode())
    assert isinstance(result, Read) and result.article.text == marked


def test_pathological_html_ends_with_an_article_or_a_reason(tmp_path: Path) -> None:
    text = "Main text of the page, long enough to be taken as the article body by the extractor. " * 5
    for html in ("<html><body>" + "<div>" * 20_000 + text + "</div>" * 20_000 + "</body></html>",
                 "<p>" * 20_000, "<html><body><p>" + text + "\x00\ufeff</p><script>" + "x" * 100_000):
        read(tmp_path, "page.html", html.encode())


SENTENCE = b"The council met again on Monday to debate the harbour budget. "
FIFTY_MB_OF_WORDS = SENTENCE * (FIFTY_MB // len(SENTENCE))


def fifty_mb_article_files(folder: Path) -> None:
    """One article of 50 MB in each format."""
    folder.mkdir()
    words = FIFTY_MB_OF_WORDS
    (folder / "big.txt").write_bytes(words)
    (folder / "big.json").write_bytes(b'{"id": "big-json", "text": "' + words + b'"}')
    (folder / "big.jsonl").write_bytes(b'{"id": "big-jsonl", "text": "' + words + b'"}\n{"id": "after", "text": "Next line."}\n')
    paragraph = b"<p>" + SENTENCE + b"</p>\n"
    (folder / "big.html").write_bytes(b"<html><body><article>" + paragraph * (FIFTY_MB // len(paragraph)) + b"</article></body></html>")


def test_50_mb_articles_are_skipped_with_the_limit_they_exceed_and_the_batch_goes_on(tmp_path: Path, service: QAService) -> None:
    fifty_mb_article_files(tmp_path / "in")
    (tmp_path / "in" / "small.txt").write_text("The harbour budget passed.")
    report = service.ingest_paths([tmp_path / "in"])
    assert sorted(report.added) == ["after", "small"]
    reasons = {Path(s.origin).name: s.reason for s in report.skipped}
    too_long = f"text is {len(FIFTY_MB_OF_WORDS):,} characters, more than the limit of 1,000,000 (QA_MAX_ARTICLE_CHARS)"
    assert reasons == {
        "big.html": "the HTML is 52.4 MB; the HTML extractor takes pages of at most 10 MB",
        "big.json": too_long, "big.jsonl:1": too_long, "big.txt": too_long,
    }


def test_50_mb_files_of_many_articles_are_read_whole(tmp_path: Path) -> None:
    article = {"text": SENTENCE.decode() * 100}
    count = FIFTY_MB // len(json.dumps(article))
    line = json.dumps(article).encode()
    (tmp_path / "many.jsonl").write_bytes(b"\n".join([line] * count))
    (tmp_path / "many.json").write_bytes(b"[" + b",".join([line] * count) + b"]")
    assert (tmp_path / "many.jsonl").stat().st_size >= FIFTY_MB - len(line)
    items = list(read_paths([tmp_path], max_article_chars=1_000_000))
    assert all(isinstance(i, Read) for i in items) and len(items) == 2 * count
    assert items[0].article.id == "many-1" and items[-1].article.id == f"many-{count}"
