"""Articles read from files and folders; every file that cannot be read becomes a reason, not a crash.

Formats: .txt, .md, .html/.htm (main text extracted), .json (an article or a list of them) and
.jsonl (one article a line). A text, Markdown or HTML file may have a sidecar `NAME.meta.json` with
the article's metadata (id, title, url, source, authors, published_at).

Limits: a file (or one line of a JSONL file, which may itself be of any size) of at most MAX_FILE_BYTES,
an HTML page of at most qa.ingest.html.MAX_HTML_BYTES, and an article text of at most `max_article_chars`.
"""

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from qa.articles import METADATA_FIELDS, Article, InvalidArticle, article_from_mapping
from qa.errors import InvalidInput
from qa.ingest.html import extract_html

SIDECAR_SUFFIX = ".meta.json"
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED = sorted(TEXT_SUFFIXES | JSON_SUFFIXES)
# Read whole into memory, so bounded; a JSONL file is read a line at a time, and each line is bounded.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_HEADLINE_CHARS = 200


@dataclass(frozen=True)
class Read:
    article: Article
    origin: str


@dataclass(frozen=True)
class Skipped:
    origin: str
    reason: str


def read_paths(
    paths: Sequence[Path], exclude: Path | None = None, max_article_chars: int | None = None
) -> Iterator[Read | Skipped]:
    """Articles from files and folders (recursively, in name order), and what was skipped with why.

    `exclude` is a folder never read from, such as the index directory itself; an article text longer
    than `max_article_chars` is skipped (None: no limit).
    """
    excluded = exclude.resolve() if exclude else None
    for path in paths:
        try:
            is_folder, exists = path.is_dir(), path.exists()
        except OSError as error:  # e.g. inside a folder that may not be searched
            yield Skipped(str(path), _reason(error))
            continue
        if is_folder:
            for found in _files_under(path, excluded):
                if isinstance(found, Skipped):
                    yield found
                else:
                    yield from read_file(found, max_article_chars)
        elif exists:
            yield from read_file(path, max_article_chars)
        else:
            yield Skipped(str(path), "no such file or folder")


def count_inputs(paths: Sequence[Path], exclude: Path | None = None) -> int:
    """How many articles and skips `read_paths` will give, counted ahead for a progress bar: a JSON Lines
    file counts its lines that are not blank, a JSON file the articles of its list, any other file one.
    Nothing is decoded but the JSON files, which are parsed again when read."""
    excluded = exclude.resolve() if exclude else None
    total = 0
    for path in paths:
        try:
            found = _files_under(path, excluded) if path.is_dir() else iter([path])
            total += sum(1 if isinstance(item, Skipped) else _inputs_in(item) for item in found)
        except OSError:
            total += 1
    return total


def _inputs_in(path: Path) -> int:
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            with path.open("rb") as file:
                return max(1, sum(1 for raw in _lines(file) if raw.strip()))
        sidecar = path.name.lower().endswith(SIDECAR_SUFFIX)
        if suffix == ".json" and not sidecar and path.stat().st_size <= MAX_FILE_BYTES:
            data = _parse_json(_decode(path.read_bytes()))
            return max(1, len(data)) if isinstance(data, list) else 1
    except (OSError, InvalidInput):
        pass
    return 1


def read_file(path: Path, max_article_chars: int | None = None) -> Iterator[Read | Skipped]:
    try:
        yield from _read_by_type(path, max_article_chars)
    except (InvalidInput, OSError) as error:
        yield Skipped(str(path), _reason(error))


def _read_by_type(path: Path, max_chars: int | None) -> Iterator[Read | Skipped]:
    suffix = path.suffix.lower()
    if not path.is_file():
        # FIFOs, sockets and devices could block or never end.
        yield Skipped(str(path), "not a regular file")
    elif path.name.lower().endswith(SIDECAR_SUFFIX):
        yield Skipped(str(path), f"a {SIDECAR_SUFFIX} file holds the metadata of the article file beside it")
    elif suffix not in TEXT_SUFFIXES | JSON_SUFFIXES:
        yield Skipped(str(path), f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    elif suffix == ".jsonl":
        yield from _read_jsonl(path, max_chars)
    else:
        yield from _read_whole_file(path, suffix, max_chars)


def _files_under(folder: Path, exclude: Path | None) -> Iterator[Path | Skipped]:
    """Files below `folder`, following linked folders but visiting each real folder once; a folder that
    cannot be listed comes as a Skipped, in its place in the name order."""
    unlisted: list[OSError] = []
    visited = {folder.resolve()}
    for root, dirs, files in os.walk(folder, followlinks=True, onerror=unlisted.append):
        yield from _unlisted_folders(unlisted)
        kept = []
        for name in sorted(dirs):
            real = (Path(root) / name).resolve()
            if not name.startswith(".") and real != exclude and real not in visited:
                visited.add(real)
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if not name.startswith(".") and not name.lower().endswith(SIDECAR_SUFFIX):
                yield Path(root) / name
    yield from _unlisted_folders(unlisted)


def _unlisted_folders(errors: list[OSError]) -> Iterator[Skipped]:
    """The folders os.walk could not list (it reports them to `onerror` and goes on without them)."""
    while errors:
        error = errors.pop(0)
        yield Skipped(str(error.filename), f"cannot read the folder: {error.strerror or error}")


def _read_whole_file(path: Path, suffix: str, max_chars: int | None) -> Iterator[Read | Skipped]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"file is larger than {_megabytes(MAX_FILE_BYTES)}")
    text = _decode(path.read_bytes())
    if suffix == ".json":
        yield from _articles_from_json(path, text, max_chars)
        return
    fields = _text_article_fields(text, suffix)
    fields.update(_sidecar(path))
    yield Read(article_from_mapping(fields, path.stem, max_chars), str(path))


def _text_article_fields(text: str, suffix: str) -> dict[str, Any]:
    if suffix in {".html", ".htm"}:
        return extract_html(text)
    title = _markdown_title(text) if suffix in {".md", ".markdown"} else _headline(text)
    return {"text": text, "title": title}


def _articles_from_json(path: Path, text: str, max_chars: int | None) -> Iterator[Read | Skipped]:
    data = _parse_json(text)
    if not isinstance(data, list):
        yield _article_or_skip(data, path.stem, str(path), max_chars)
    elif not data:
        raise InvalidInput("no articles in the file: the list is empty")
    else:
        for number, item in enumerate(data, start=1):
            yield _article_or_skip(item, f"{path.stem}-{number}", f"{path}[{number}]", max_chars)


def _read_jsonl(path: Path, max_chars: int | None) -> Iterator[Read | Skipped]:
    empty = True
    with path.open("rb") as file:
        for number, raw in enumerate(_lines(file), start=1):
            item = _jsonl_item(raw, f"{path.stem}-{number}", f"{path}:{number}", max_chars)
            if item is not None:
                empty = False
                yield item
    if empty:
        yield Skipped(str(path), "no articles in the file: it is empty or holds only blank lines")


def _lines(file: BinaryIO) -> Iterator[bytes]:
    """The lines of a file, each cut after MAX_FILE_BYTES + 1 bytes: the rest of a longer line is skipped a
    megabyte at a time, so one endless line cannot fill the memory."""
    while raw := file.readline(MAX_FILE_BYTES + 1):
        if len(raw) > MAX_FILE_BYTES and not raw.endswith(b"\n"):
            while (rest := file.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                pass
        yield raw


def _jsonl_item(raw: bytes, default_id: str, origin: str, max_chars: int | None) -> Read | Skipped | None:
    """The article of one JSONL line, or why it has none; None for a blank line."""
    if len(raw) > MAX_FILE_BYTES:
        return Skipped(origin, f"line is larger than {_megabytes(MAX_FILE_BYTES)}")
    try:
        line = _decode(raw)
        return _article_or_skip(_parse_json(line), default_id, origin, max_chars) if line.strip() else None
    except InvalidInput as error:
        return Skipped(origin, error.message)


def _article_or_skip(obj: Any, default_id: str, origin: str, max_chars: int | None) -> Read | Skipped:
    try:
        return Read(article_from_mapping(obj, default_id, max_chars), origin)
    except InvalidArticle as error:
        return Skipped(origin, error.message)


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = _parse_json(_decode(sidecar.read_bytes()))
    except InvalidInput as error:
        raise InvalidInput(f"sidecar {sidecar.name}: {error.message}") from None
    if not isinstance(data, dict) or set(data) - set(METADATA_FIELDS):
        raise InvalidInput(
            f"sidecar {sidecar.name} must be an object with only the fields {', '.join(METADATA_FIELDS)}"
        )
    return data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"not UTF-8 text (invalid byte at offset {error.start})") from None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    except ValueError as error:  # e.g. an integer too long to convert
        raise InvalidInput(f"invalid JSON: {error}") from None
    except RecursionError:
        raise InvalidInput("JSON is nested too deeply") from None


def _headline(text: str) -> str | None:
    """The first line of a plain-text article when it reads as a headline, not as a paragraph."""
    first, _, rest = text.lstrip().partition("\n")
    first = first.strip()
    looks_like_headline = len(first) <= MAX_HEADLINE_CHARS and not first.endswith((".", ",", ";", ":"))
    return first if first and rest.strip() and looks_like_headline else None


def _markdown_title(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip().rstrip("#").strip() or None
    return None


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


def _reason(error: InvalidInput | OSError) -> str:
    if isinstance(error, InvalidInput):
        return error.message
    return f"cannot read: {error.strerror or error}"
