"""API keys from a file (QA_KEYS_FILE), each with its own name, scope, view of the articles and rate
limit. TOML or JSON, by the file's suffix (.toml or .json):

    [[keys]]
    name = "cms"                          # required, unique; shown in logs and errors, never the key
    sha256 = "9f86d08…"                   # required: hex sha256 of the key (keys are stored hashed only)
    scope = "write"                       # "read" (default) or "write"
    visibility = ["public", "internal"]   # optional: only articles of these visibilities; absent: all
    sources = ["news.example"]            # optional: only articles of these sources; absent: all
    rate_limit = "120/minute"             # optional: N/second, N/minute or N/hour; absent: none

In JSON: {"keys": [{"name": "cms", "sha256": "9f86d08…", ...}]}. `key_entry` makes a new key and
its entry. Any mistake refuses the whole file, naming the file, the entry and what is wrong; the
message never repeats what could be a key pasted in the wrong place (a sha256 value, an entry that
is not a table), since it would end up in a log.
"""

import json
import secrets
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.auth import Grant, HashedKey, Scope, digest_of
from api.rate_limit import RateLimit
from qa.access import Access
from qa.articles import VISIBILITY
from qa.errors import CodedError

FIELDS = ("name", "sha256", "scope", "visibility", "sources", "rate_limit")
SCOPES = {"read": Scope.READ, "write": Scope.WRITE}
HEX_DIGITS = set("0123456789abcdefABCDEF")
SHA256_HEX_CHARS = 64


class InvalidKeysFile(CodedError):
    code = "invalid_keys_file"


def load_keys_file(path: Path, beside: Sequence[HashedKey] = ()) -> list[HashedKey]:
    """The file's keys; raises InvalidKeysFile at the first mistake. A key also among `beside` (the
    keys of the other settings) is a mistake too: it would have two grants."""
    entries = _entries(path, _parsed(path))
    keys = [_key(path, position, entry) for position, entry in enumerate(entries, 1)]
    _refuse_repeats(path, keys, beside)
    return keys


def key_entry(name: str, scope: str = "read", visibility: Sequence[str] | None = None,
              sources: Sequence[str] | None = None, rate_limit: str | None = None) -> tuple[str, str]:
    """A new random key and its [[keys]] entry in TOML, to add to the keys file; raises ValueError
    for what the file would refuse."""
    key = secrets.token_urlsafe(32)
    entry: dict[str, Any] = {"name": name, "sha256": digest_of(key).hex(), "scope": scope}
    optional = {"visibility": visibility, "sources": sources, "rate_limit": rate_limit}
    # A lone string stays one, for the check to refuse rather than split into letters.
    entry |= {field: value if isinstance(value, str) else list(value)
              for field, value in optional.items() if value is not None}
    _checked_key(entry)
    # A JSON string or list of printable strings is a TOML one too (unescaped: TOML has no surrogate pairs).
    lines = [f"{field} = {json.dumps(value, ensure_ascii=False)}" for field, value in entry.items()]
    return key, "\n".join(["[[keys]]", *lines]) + "\n"


def _parsed(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        found = f"not {suffix!r}" if suffix else "and this name has no suffix"
        raise InvalidKeysFile(f"{path}: a keys file is TOML (.toml) or JSON (.json), told by its suffix, {found}")
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InvalidKeysFile(f"{path}: cannot read the keys file: {error.strerror or error}") from None
    try:
        return tomllib.loads(content.decode("utf-8")) if suffix == ".toml" else json.loads(content)
    except UnicodeDecodeError as error:
        raise InvalidKeysFile(f"{path}: not UTF-8 (at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidKeysFile(f"{path}: not valid TOML: {error}") from None
    except json.JSONDecodeError as error:
        raise InvalidKeysFile(f"{path}: not valid JSON: {error}") from None


def _entries(path: Path, parsed: Any) -> list[Any]:
    if not isinstance(parsed, dict):
        raise InvalidKeysFile(f'{path}: a keys file holds {{"keys": [...]}}, not a {type(parsed).__name__}')
    unknown = sorted(set(parsed) - {"keys"})
    if unknown:
        raise InvalidKeysFile(f"{path}: unknown field {unknown[0]!r}; a keys file holds only `keys`, a list of entries")
    entries = parsed.get("keys", [])
    if not isinstance(entries, list):
        raise InvalidKeysFile(f"{path}: `keys` must be a list of entries ([[keys]] tables), not a "
                              f"{type(entries).__name__}")
    # An empty keys file would leave the API open while looking configured.
    if not entries:
        raise InvalidKeysFile(f"{path}: holds no keys; add [[keys]] entries, or leave QA_KEYS_FILE unset")
    return entries


def _key(path: Path, position: int, entry: Any) -> HashedKey:
    if not isinstance(entry, dict):
        raise InvalidKeysFile(f"{path}: entry {position}: an entry is a table of fields, not a {type(entry).__name__}")
    name = entry.get("name")
    where = f"{path}: entry {position}" + (f" ({name!r})" if isinstance(name, str) and name.strip() else "")
    try:
        return _checked_key(entry)
    except ValueError as problem:
        raise InvalidKeysFile(f"{where}: {problem}") from None


def _checked_key(entry: dict[str, Any]) -> HashedKey:
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    name = _name(entry)
    digest = _digest(entry)
    scope = entry.get("scope", "read")
    if not isinstance(scope, str) or scope not in SCOPES:
        raise ValueError(f'scope must be "read" or "write", not {scope!r}')
    access = Access(_names(entry, "visibility"), _names(entry, "sources"))
    rate_limit = entry.get("rate_limit")
    if rate_limit is not None and not isinstance(rate_limit, str):
        raise ValueError(f'rate_limit must be a string such as "120/minute", not {rate_limit!r}')
    limit = None if rate_limit is None else RateLimit.parse(rate_limit)
    return HashedKey(digest, Grant(name, SCOPES[scope], access, limit))


def _name(entry: dict[str, Any]) -> str:
    value = entry.get("name")
    if value is None:
        raise ValueError("name is required")
    # Names are written into logs and messages: nothing that could forge or hide a line there.
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValueError(f"name must be a non-empty string of printable characters, not {value!r}")
    return value


def _digest(entry: dict[str, Any]) -> bytes:
    value = entry.get("sha256")
    if value is None:
        raise ValueError("sha256 is required: the hex sha256 of the key, not the key itself")
    # The value itself is never shown: it may be a key pasted here by mistake.
    if not isinstance(value, str):
        raise ValueError(f"sha256 must be a string of {SHA256_HEX_CHARS} hex characters, not a {type(value).__name__}")
    if not set(value) <= HEX_DIGITS:
        raise ValueError(f"sha256 must be {SHA256_HEX_CHARS} hex characters, the sha256 of the key (not the key "
                         f"itself); it has characters that are not hex digits")
    if len(value) != SHA256_HEX_CHARS:
        raise ValueError(f"sha256 must be {SHA256_HEX_CHARS} hex characters, the sha256 of the key; "
                         f"it has {len(value)}")
    return bytes.fromhex(value)


def _names(entry: dict[str, Any], field: str) -> tuple[str, ...] | None:
    """A list of visibilities or sources; None when absent (all of them)."""
    values = entry.get(field)
    if values is None:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() and v.isprintable() for v in values):
        raise ValueError(f"{field} must be a list of non-empty strings, not {values!r}")
    if not values:
        raise ValueError(f"{field} is an empty list, which would allow nothing; leave it out to allow all")
    if field == "visibility":  # stored lower-case with every article (qa.articles): named alike here
        values = [v.strip().lower() for v in values]
        wrong = next((v for v in values if not VISIBILITY.fullmatch(v)), None)
        if wrong is not None:
            raise ValueError(f"visibility holds {wrong!r}, not a word such as public or internal")
    return tuple(dict.fromkeys(values))


def _refuse_repeats(path: Path, keys: list[HashedKey], beside: Sequence[HashedKey]) -> None:
    named: dict[str, int] = {}
    hashed = {key.digest: f"{key.grant.name} of QA_{key.grant.scope.name}_KEYS" for key in beside}
    for position, key in enumerate(keys, 1):
        name = key.grant.name
        if name in named:
            raise InvalidKeysFile(f"{path}: entry {position} ({name!r}): the name is taken by entry {named[name]}; "
                                  f"names must be unique")
        if key.digest in hashed:
            raise InvalidKeysFile(f"{path}: entry {position} ({name!r}): the same key (sha256) as "
                                  f"{hashed[key.digest]}; give each key one entry")
        named[name] = position
        hashed[key.digest] = f"entry {position} ({name!r})"
