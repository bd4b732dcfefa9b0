import errno
import json
import os
from pathlib import Path

import pytest

import qa.ingest.html
import qa.ingest.readers
from qa.ingest.readers import Read, Skipped, read_paths


def read_all(*paths: Path) -> tuple[list[Read], list[Skipped]]:
    items = list(read_paths(list(paths)))
    return [i for i in items if isinstance(i, Read)], [i for i in items if isinstance(i, Skipped)]


def test_text_file_keeps_its_bytes_and_takes_a_headline_as_title(tmp_path: Path) -> None:
    text = "Storm hits the coast\r\n\r\nWinds of 150 km/h were recorded.\r\n"
    (tmp_path / "storm.txt").write_bytes(text.encode())
    (read,), _ = read_all(tmp_path / "storm.txt")
    assert (read.article.id, read.article.title, read.article.text) == ("storm", "Storm hits the coast", text)


def test_a_first_line_that_is_a_paragraph_is_not_a_title(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The minister spoke on Monday. She said more.\nSecond paragraph.\n")
    (read,), _ = read_all(tmp_path / "a.txt")
    assert read.article.title is None


def test_byte_order_mark_is_not_part_of_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfHello world.")
    (read,), _ = read_all(tmp_path / "a.txt")
    assert read.article.text == "Hello world."


def test_sidecar_metadata_applies_and_is_not_read_as_an_article(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some story text.")
    (tmp_path / "a.meta.json").write_text(json.dumps({"title": "Real title", "source": "Wire", "id": "wire-1"}))
    reads, skipped = read_all(tmp_path)
    assert skipped == []
    assert [(r.article.id, r.article.title, r.article.source) for r in reads] == [("wire-1", "Real title", "Wire")]


def test_sidecar_with_unknown_fields_skips_the_article(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some story text.")
    (tmp_path / "a.meta.json").write_text(json.dumps({"tittle": "typo"}))
    reads, (skipped,) = read_all(tmp_path / "a.txt")
    assert reads == [] and "sidecar a.meta.json must be an object with only the fields" in skipped.reason


def test_markdown_title_is_its_first_heading(tmp_path: Path) -> None:
    (tmp_path / "m.md").write_text("# Budget passes\n\nThe senate voted 51 to 49.\n")
    (read,), _ = read_all(tmp_path / "m.md")
    assert read.article.title == "Budget passes"
    assert read.article.text.startswith("# Budget passes")


def test_html_main_text_is_extracted_without_scripts_or_menus(tmp_path: Path) -> None:
    html = """<html><head><title>Vote | Site</title>
    <meta property="og:title" content="Senate passes the budget">
    <meta property="article:published_time" content="2024-03-01T10:00:00Z"></head>
    <body><nav>Home | World | Sport</nav><article><h1>Senate passes the budget</h1>
    <p>The senate voted 51 to 49 on Tuesday to pass the budget after a long night of debate in the chamber.</p>
    <p>The bill now goes to the president, who is expected to sign it later this week, aides said.</p>
    <script>alert("x")</script></article><footer>Copyright 2024</footer></body></html>"""
    (tmp_path / "vote.html").write_text(html)
    (read,), _ = read_all(tmp_path / "vote.html")
    article = read.article
    assert article.title == "Senate passes the budget"
    assert article.published_at == "2024-03-01"
    assert "voted 51 to 49" in article.text and "alert" not in article.text and "Home | World" not in article.text


def test_html_without_main_text_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.htm").write_text("<html><body></body></html>")
    reads, (skipped,) = read_all(tmp_path / "empty.htm")
    assert reads == [] and skipped.reason == "no main text found in the HTML"


def test_json_object_and_list(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps({"text": "Solo story."}))
    (tmp_path / "many.json").write_text(json.dumps([{"id": "x", "text": "First."}, {"text": "Second."}, {"title": "no text"}]))
    reads, skipped = read_all(tmp_path)
    assert sorted(r.article.id for r in reads) == ["many-2", "one", "x"]
    assert [(s.origin, s.reason) for s in skipped] == [(f"{tmp_path / 'many.json'}[3]", "text is missing (give `text` or `body`)")]


def test_jsonl_reports_bad_lines_with_their_number_and_keeps_the_rest(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "text": "Fine."}), "", "{not json", json.dumps({"id": "b", "text": ""}),
             json.dumps({"id": "c", "text": "Also fine.", "published_at": "2022-13-45"}), json.dumps({"id": "d", "body": "Ok."})]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reads, skipped = read_all(path)
    assert [r.article.id for r in reads] == ["a", "d"]
    assert [s.origin for s in skipped] == [f"{path}:3", f"{path}:4", f"{path}:5"]
    assert skipped[0].reason.startswith("invalid JSON at line 1 column 2")
    assert skipped[1].reason == "text is empty"
    assert "published_at must be an ISO 8601 or RFC 822 date" in skipped[2].reason


def test_jsonl_line_that_is_not_utf8_is_skipped_alone(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'{"id": "a", "text": "caf\xe9"}\n' + json.dumps({"id": "b", "text": "ok"}).encode() + b"\n")
    reads, (skipped,) = read_all(path)
    assert [r.article.id for r in reads] == ["b"]
    assert (skipped.origin, skipped.reason) == (f"{path}:1", "not UTF-8 text (invalid byte at offset 24)")


def test_bad_files_are_reported_with_their_path(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "broken.json").write_text("[{")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "good.txt").write_text("A real story.")
    reads, skipped = read_all(tmp_path, tmp_path / "missing.txt")
    assert [r.article.id for r in reads] == ["good"]
    reasons = {Path(s.origin).name: s.reason for s in skipped}
    assert reasons == {
        "broken.json": "invalid JSON at line 1 column 3: Expecting property name enclosed in double quotes",
        "deep.json": "JSON is nested too deeply",
        "empty.txt": "text is empty",
        "latin1.txt": "not UTF-8 text (invalid byte at offset 3)",
        "photo.jpg": "unsupported file type '.jpg'; supported: .htm, .html, .json, .jsonl, .markdown, .md, .txt",
        "missing.txt": "no such file or folder",
    }


def test_folders_are_read_recursively_in_name_order_skipping_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("Two.")
    (tmp_path / "a.txt").write_text("One.")
    (tmp_path / ".hidden.txt").write_text("Hidden.")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("Hidden too.")
    reads, skipped = read_all(tmp_path)
    assert [r.article.id for r in reads] == ["a", "2"] and skipped == []


def test_an_excluded_folder_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "manifest.json").write_text("{}")
    (tmp_path / "a.txt").write_text("One.")
    items = list(read_paths([tmp_path], exclude=tmp_path / "index"))
    assert [i.article.id for i in items] == ["a"]


def test_inputs_that_once_crashed_the_reader_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "surrogate.json").write_text('{"text": "x", "title": "\\ud800"}')
    (tmp_path / "bigint.json").write_text('{"text": "x", "id": ' + "1" * 5000 + "}")
    (tmp_path / "ancient.json").write_text('{"text": "x", "published_at": "0001-01-01T00:00:00+01:00"}')
    (tmp_path / "list-of-numbers.json").write_text("[1, 2]")
    (tmp_path / "text-object.json").write_text('{"text": {"a": 1}}')
    (tmp_path / "null.json").write_text("null")
    (tmp_path / "list.meta.json").write_text("[]")
    (tmp_path / "list.txt").write_text("Text with a sidecar that is a list.")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / bytes.fromhex("636166e92e747874").decode("utf-8", "surrogateescape")).write_text("Named in Latin-1.")
    reads, skipped = read_all(tmp_path)
    assert reads == []
    reasons = {Path(s.origin).name.split("[")[0]: s.reason for s in skipped}
    assert reasons["surrogate.json"] == "title is not valid Unicode at character 0"
    assert reasons["bigint.json"].startswith("invalid JSON: ")
    assert reasons["ancient.json"].startswith("published_at must be an ISO 8601 or RFC 822 date")
    assert reasons["list-of-numbers.json"] == "an article must be a JSON object, got int"
    assert reasons["text-object.json"] == "text must be a string, got dict"
    assert reasons["null.json"] == "an article must be a JSON object, got NoneType"
    assert reasons["list.txt"].startswith("sidecar list.meta.json must be an object")
    assert reasons["pipe.txt"] == "not a regular file"
    assert "is not valid Unicode" in next(r for n, r in reasons.items() if n.startswith("caf"))


def test_a_sidecar_named_directly_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "a.meta.json").write_text('{"title": "t"}')
    reads, (skipped,) = read_all(tmp_path / "a.meta.json")
    assert reads == [] and "holds the metadata of the article file beside it" in skipped.reason


def test_linked_folders_are_followed_once_even_in_a_loop(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text("Story A.")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "loop").symlink_to(tmp_path)
    reads, skipped = read_all(tmp_path)
    assert [r.article.id for r in reads] == ["a"] and skipped == []


def deny_listing(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Makes listing `folder` fail as a folder without read permission does: chmod cannot deny root."""
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_folder_that_cannot_be_listed_is_reported_in_its_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(f"Story {name}.")
    deny_listing(monkeypatch, tmp_path / "b")
    items = list(read_paths([tmp_path]))
    assert [(type(i).__name__, i.origin) for i in items] == [
        ("Read", str(tmp_path / "a" / "a.txt")), ("Skipped", str(tmp_path / "b")), ("Read", str(tmp_path / "c" / "c.txt")),
    ]
    assert items[1].reason == "cannot read the folder: Permission denied"


def test_a_folder_given_by_name_that_cannot_be_listed_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deny_listing(monkeypatch, tmp_path)
    assert read_all(tmp_path) == ([], [Skipped(str(tmp_path), "cannot read the folder: Permission denied")])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its permissions; the test above covers it")
def test_a_folder_without_read_permission_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text("Unreachable.")
    locked.chmod(0)
    try:
        reads, skipped = read_all(tmp_path)
    finally:
        locked.chmod(0o755)
    assert reads == [] and [(s.origin, s.reason) for s in skipped] == [(str(locked), "cannot read the folder: Permission denied")]


def test_a_path_that_cannot_even_be_looked_at_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(path: Path) -> bool:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(Path, "is_dir", denied)
    monkeypatch.setattr(Path, "is_file", denied)
    assert read_all(tmp_path / "x.txt") == ([], [Skipped(str(tmp_path / "x.txt"), "cannot read: Permission denied")])
    assert list(qa.ingest.readers.read_file(tmp_path / "y.txt")) == [Skipped(str(tmp_path / "y.txt"), "cannot read: Permission denied")]


def test_files_without_any_article_are_reported(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_text("\n  \n\t\n")
    (tmp_path / "list.json").write_text(" [ ] ")
    reads, skipped = read_all(tmp_path)
    assert reads == []
    assert {Path(s.origin).name: s.reason for s in skipped} == {
        "blank.jsonl": "no articles in the file: it is empty or holds only blank lines",
        "empty.jsonl": "no articles in the file: it is empty or holds only blank lines",
        "list.json": "no articles in the file: the list is empty",
    }


def test_a_jsonl_file_of_bad_lines_only_reports_the_lines(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text("{\n\n[]\n")
    reads, skipped = read_all(tmp_path / "bad.jsonl")
    assert reads == [] and [s.origin for s in skipped] == [f"{tmp_path / 'bad.jsonl'}:1", f"{tmp_path / 'bad.jsonl'}:3"]


def test_a_jsonl_line_over_the_limit_is_skipped_and_the_next_lines_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 1024 * 1024
    monkeypatch.setattr(qa.ingest.readers, "MAX_FILE_BYTES", limit)
    long_line = json.dumps({"id": "long", "text": "x" * (limit + limit // 2)})
    one_byte_over = json.dumps({"id": "edge", "text": "y" * (limit - 26)})  # limit bytes, then its newline
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join([json.dumps({"id": "a", "text": "Fine."}), long_line, json.dumps({"id": "b", "text": "Ok."}),
                               one_byte_over, json.dumps({"id": "c", "text": "Next."}), long_line]))
    reads, skipped = read_all(path)
    assert len(one_byte_over) == limit
    assert [r.article.id for r in reads] == ["a", "b", "c"]
    assert [(s.origin, s.reason) for s in skipped] == [
        (f"{path}:{number}", "line is larger than 1 MB") for number in (2, 4, 6)
    ]


def test_a_file_over_the_limit_is_skipped_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.ingest.readers, "MAX_FILE_BYTES", 3 * 1024 * 1024)
    (tmp_path / "big.txt").write_bytes(b"x" * (3 * 1024 * 1024 + 1))
    assert read_all(tmp_path / "big.txt") == ([], [Skipped(str(tmp_path / "big.txt"), "file is larger than 3 MB")])


def test_an_article_text_over_the_limit_is_skipped_wherever_it_comes_from(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("x" * 21)
    (tmp_path / "short.txt").write_text("x" * 20)
    (tmp_path / "list.json").write_text(json.dumps([{"text": "y" * 21}, {"text": "ok"}]))
    (tmp_path / "feed.jsonl").write_text(json.dumps({"body": "z" * 30}) + "\n")
    items = list(read_paths([tmp_path], max_article_chars=20))
    assert [i.article.id for i in items if isinstance(i, Read)] == ["list-2", "short"]
    assert {s.origin: s.reason for s in items if isinstance(s, Skipped)} == {
        f"{tmp_path / 'feed.jsonl'}:1": "text is 30 characters, more than the limit of 20 (QA_MAX_ARTICLE_CHARS)",
        f"{tmp_path / 'list.json'}[1]": "text is 21 characters, more than the limit of 20 (QA_MAX_ARTICLE_CHARS)",
        str(tmp_path / "long.txt"): "text is 21 characters, more than the limit of 20 (QA_MAX_ARTICLE_CHARS)",
    }


def test_an_html_page_over_the_extractor_limit_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa.ingest.html, "MAX_HTML_BYTES", 2_000_000)
    page = "<html><body><article>" + "<p>The senate voted on the budget.</p>" * 60_000 + "</article></body></html>"
    (tmp_path / "big.html").write_text(page)
    reads, (skipped,) = read_all(tmp_path / "big.html")
    assert reads == [] and skipped.reason == "the HTML is 2.3 MB; the HTML extractor takes pages of at most 2 MB"
