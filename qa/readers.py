"""Articles read from files and folders; every file that cannot be read becomes a reason, not a crash.

Formats: .txt, .md, .html/.htm (main text extracted), .json (an article or a list of them) and
.jsonl (one article a line). A text, Markdown or HTML file may have a sidecar `NAME.meta.json` with
the article's metadata (id, title, url, source, authors, published_at).
"""

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.articles import METADATA_FIELDS, Article, InvalidArticle, article_from_mapping
from qa.errors import InvalidInput
from qa.html import extract_html

SIDECAR_SUFFIX = ".meta.json"
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED = sorted(TEXT_SUFFIXES | JSON_SUFFIXES)
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


def read_paths(paths: Sequence[Path], exclude: Path | None = None) -> Iterator[Read | Skipped]:
    """Articles from files and folders (recursively, in name order), and what was skipped with why.

    `exclude` is a folder never read from, such as the index directory itself.
    """
    for path in paths:
        if path.is_dir():
            for file in _files_under(path, exclude.resolve() if exclude else None):
                yield from read_file(file)
        elif path.exists():
            yield from read_file(path)
        else:
            yield Skipped(str(path), "no such file or folder")


def read_file(path: Path) -> Iterator[Read | Skipped]:
    suffix = path.suffix.lower()
    if not path.is_file():
        # FIFOs, sockets and devices could block or never end.
        yield Skipped(str(path), "not a regular file")
    elif path.name.lower().endswith(SIDECAR_SUFFIX):
        yield Skipped(str(path), f"a {SIDECAR_SUFFIX} file holds the metadata of the article file beside it")
    elif suffix not in TEXT_SUFFIXES | JSON_SUFFIXES:
        yield Skipped(str(path), f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}")
    elif suffix == ".jsonl":
        yield from _read_jsonl(path)
    else:
        try:
            yield from _read_whole_file(path, suffix)
        except (InvalidInput, OSError) as error:
            yield Skipped(str(path), _reason(error))


def _files_under(folder: Path, exclude: Path | None) -> Iterator[Path]:
    """Files below `folder`, following linked folders but visiting each real folder once."""
    visited = {folder.resolve()}
    for root, dirs, files in os.walk(folder, followlinks=True):
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


def _read_whole_file(path: Path, suffix: str) -> Iterator[Read | Skipped]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    text = _decode(path.read_bytes())
    if suffix == ".json":
        yield from _articles_from_json(path, text)
        return
    fields = _text_article_fields(text, suffix)
    fields.update(_sidecar(path))
    yield Read(article_from_mapping(fields, default_id=path.stem), str(path))


def _text_article_fields(text: str, suffix: str) -> dict[str, Any]:
    if suffix in {".html", ".htm"}:
        return extract_html(text)
    title = _markdown_title(text) if suffix in {".md", ".markdown"} else _headline(text)
    return {"text": text, "title": title}


def _articles_from_json(path: Path, text: str) -> Iterator[Read | Skipped]:
    data = _parse_json(text)
    if isinstance(data, list):
        for number, item in enumerate(data, start=1):
            yield _article_or_skip(item, f"{path.stem}-{number}", f"{path}[{number}]")
    else:
        yield _article_or_skip(data, path.stem, str(path))


def _read_jsonl(path: Path) -> Iterator[Read | Skipped]:
    try:
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                origin = f"{path}:{number}"
                try:
                    line = _decode(raw)
                    if line.strip():
                        yield _article_or_skip(_parse_json(line), f"{path.stem}-{number}", origin)
                except InvalidInput as error:
                    yield Skipped(origin, error.message)
    except OSError as error:
        yield Skipped(str(path), _reason(error))


def _article_or_skip(obj: Any, default_id: str, origin: str) -> Read | Skipped:
    try:
        return Read(article_from_mapping(obj, default_id), origin)
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


def _reason(error: InvalidInput | OSError) -> str:
    if isinstance(error, InvalidInput):
        return error.message
    return f"cannot read: {error.strerror or error}"
