import json
import os
from pathlib import Path

from qa.readers import Read, Skipped, read_paths


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
    assert "published_at must be an ISO date" in skipped[2].reason


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
    assert reasons["ancient.json"].startswith("published_at must be an ISO date")
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
