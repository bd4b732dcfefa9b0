"""The keys file (QA_KEYS_FILE): what it may hold, how every mistake is refused, and what its keys may do."""

import hashlib
import json
import logging
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from api.auth import KeyRing, Scope
from api.keys_file import InvalidKeysFile, key_entry, load_keys_file
from api.settings import ServerSettings
from qa.access import EVERYTHING, Access
from qa.cli import exits
from qa.cli import main as cli

CMS_KEY, WEB_KEY, PARTNER_KEY = "cms-key-0123", "web-key-4567", "partner-key-89ab"
ENTRIES = [
    {"name": "cms", "sha256": hashlib.sha256(CMS_KEY.encode()).hexdigest(), "scope": "write"},
    {"name": "web", "sha256": hashlib.sha256(WEB_KEY.encode()).hexdigest(), "rate_limit": "120/minute"},
    {"name": "partner", "sha256": hashlib.sha256(PARTNER_KEY.encode()).hexdigest(), "visibility": ["public"],
     "sources": ["wire", "daily"]},
]
CMS_SHA = ENTRIES[0]["sha256"]


def toml_of(entries: list[dict]) -> str:
    return "\n".join("[[keys]]\n" + "".join(f"{field} = {json.dumps(value)}\n" for field, value in entry.items())
                     for entry in entries)


def write(folder: Path, text: str, suffix: str = ".toml") -> Path:
    path = folder / f"keys{suffix}"
    path.write_text(text)
    return path


@pytest.mark.parametrize("suffix", [".toml", ".json", ".TOML"])
def test_toml_and_json_files_load(tmp_path: Path, suffix: str) -> None:
    text = json.dumps({"keys": ENTRIES}) if suffix == ".json" else toml_of(ENTRIES)
    keys = KeyRing([], [], load_keys_file(write(tmp_path, text, suffix)))
    cms, web, partner = (keys.grant_of(key) for key in (CMS_KEY, WEB_KEY, PARTNER_KEY))
    assert (cms.name, cms.scope, cms.access, cms.rate_limit) == ("cms", Scope.WRITE, EVERYTHING, None)
    assert (web.scope, web.access, str(web.rate_limit)) == (Scope.READ, EVERYTHING, "120/minute")
    assert partner.access == Access(visibilities=("public",), sources=("wire", "daily"))
    assert keys.grant_of(CMS_SHA) is None


def test_settings_keys_are_named_by_their_place_and_read_everything() -> None:
    keys = KeyRing([SecretStr("r1"), SecretStr("r2")], [SecretStr("w1")])
    assert [(g.name, g.scope, g.access, g.rate_limit) for g in keys.grants] == [
        ("read-key-1", Scope.READ, EVERYTHING, None), ("read-key-2", Scope.READ, EVERYTHING, None),
        ("write-key-1", Scope.WRITE, EVERYTHING, None)]


def entry(**fields) -> str:
    return toml_of([{"name": "cms", "sha256": CMS_SHA, **fields}])


def without(field: str) -> str:
    return toml_of([{k: v for k, v in ENTRIES[0].items() if k != field}])


MISTAKES = [
    # (what is wrong, the file's text, what the message says)
    ("bad TOML", "[[keys]\nname = 'cms'", ["not valid TOML", "line 1"]),
    ("no keys", "", ["holds no keys"]),
    ("a field beside keys", 'key = "x"\n' + entry(), ["unknown field 'key'"]),
    ("an unknown field", entry(scopes="write"), ["entry 1 ('cms')", "unknown field 'scopes'", "rate_limit"]),
    ("no name", without("name"), ["entry 1:", "name is required"]),
    ("an empty name", toml_of([{**ENTRIES[0], "name": " "}]), ["entry 1:", "name must be a non-empty string"]),
    ("no sha256", without("sha256"), ["entry 1 ('cms')", "sha256 is required"]),
    ("a short sha256", toml_of([{"name": "cms", "sha256": "abc123"}]), ["entry 1 ('cms')", "64 hex", "it has 6"]),
    ("a key for its sha256", toml_of([{"name": "cms", "sha256": CMS_KEY}]), ["entry 1 ('cms')", "not hex digits"]),
    ("a repeated name", toml_of([ENTRIES[0], {**ENTRIES[1], "name": "cms"}]),
     ["entry 2 ('cms')", "the name is taken by entry 1"]),
    ("a repeated key", toml_of([ENTRIES[0], {**ENTRIES[1], "sha256": CMS_SHA.upper()}]),
     ["entry 2 ('web')", "the same key (sha256) as entry 1 ('cms')"]),
    ("an empty visibility", entry(visibility=[]), ["entry 1 ('cms')", "visibility is an empty list"]),
    ("empty sources", entry(sources=[]), ["entry 1 ('cms')", "sources is an empty list"]),
    ("a visibility that is no list", entry(visibility="public"), ["visibility must be a list", "'public'"]),
    ("a bad scope", entry(scope="admin"), ["entry 1 ('cms')", 'scope must be "read" or "write"', "'admin'"]),
    ("a scope that is no string", entry(scope=["write"]), ["entry 1 ('cms')", "scope must be", "['write']"]),
    ("a bad rate limit", entry(rate_limit="120/day"), ["entry 1 ('cms')", "second, minute or hour", "'day'"]),
    ("an unreadable rate limit", entry(rate_limit="fast"), ["entry 1 ('cms')", "N/minute", "'fast'"]),
    ("a rate limit of zero", entry(rate_limit="0/minute"), ["entry 1 ('cms')", "1 to", "not 0"]),
]


@pytest.mark.parametrize(("text", "said"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_every_mistake_names_the_file_the_entry_and_the_value(tmp_path: Path, text: str, said: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidKeysFile) as refused:
        load_keys_file(path)
    message = refused.value.message
    assert message.startswith(f"{path}: ") and all(part in message for part in said), message
    assert CMS_KEY not in message and CMS_SHA not in message.lower()


@pytest.mark.parametrize(("name", "text", "said"), [
    ("keys.json", '{"keys": [', "not valid JSON"),
    ("keys.json", '{"keys": {"name": "cms"}}', "`keys` must be a list"),
    ("keys.json", f'{{"keys": ["{CMS_KEY}"]}}', "entry 1: an entry is a table of fields, not a str"),
    ("keys.yaml", "keys: []", "TOML (.toml) or JSON (.json), told by its suffix, not '.yaml'"),
    ("keys", "", "this name has no suffix"),
    ("missing.toml", None, "cannot read the keys file: No such file"),
])
def test_files_that_cannot_be_read_as_keys_are_refused(tmp_path: Path, name: str, text: str | None, said: str) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(InvalidKeysFile) as refused:
        load_keys_file(path)
    assert refused.value.message.startswith(f"{path}: ") and said in refused.value.message
    assert CMS_KEY not in refused.value.message


def test_a_bad_keys_file_is_a_bad_setting(tmp_path: Path) -> None:
    path = write(tmp_path, entry(scope="admin"))
    with pytest.raises(ValidationError) as refused:
        ServerSettings(keys_file=path)
    assert refused.value.errors()[0]["loc"] == ("keys_file",) and "'admin'" in str(refused.value)


def test_a_key_both_in_the_file_and_in_a_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="the same key .* as read-key-1 of QA_READ_KEYS"):
        ServerSettings(read_keys=[SecretStr(CMS_KEY)], keys_file=write(tmp_path, entry()))


def test_qa_serve_stops_at_a_bad_keys_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, toml_of([ENTRIES[0], {**ENTRIES[1], "name": "cms"}]))
    monkeypatch.setenv("QA_KEYS_FILE", str(path))
    assert cli.main(["serve", "--index-dir", str(tmp_path / "index")]) == exits.EXIT_USAGE
    error = capsys.readouterr().err
    assert error.startswith(f"qa: invalid settings: QA_KEYS_FILE: {path}: entry 2 ('cms'): the name is taken")
    assert not (tmp_path / "index").exists()


def test_a_keys_file_alone_configures_keys(tmp_path: Path) -> None:
    settings = ServerSettings(keys_file=write(tmp_path, toml_of(ENTRIES)))
    assert settings.keys_configured and settings.listen_host == "0.0.0.0"


def test_a_made_entry_loads_and_its_key_opens_it(tmp_path: Path) -> None:
    key, text = key_entry("newsroom ☂ 🙂", "write", visibility=["public", "internal"], sources=["wire"],
                          rate_limit="10/second")
    assert key not in text and tomllib.loads(text)["keys"][0]["name"] == "newsroom ☂ 🙂"
    grant = KeyRing([], [], load_keys_file(write(tmp_path, toml_of(ENTRIES) + "\n" + text))).grant_of(key)
    assert (grant.name, grant.scope, str(grant.rate_limit)) == ("newsroom ☂ 🙂", Scope.WRITE, "10/second")
    assert grant.access == Access(("public", "internal"), ("wire",))
    assert key_entry("reader")[1].count("\n") == 4  # [[keys]], name, sha256, scope


@pytest.mark.parametrize(("fields", "said"), [
    ({"scope": "admin"}, "scope"), ({"sources": []}, "empty list"), ({"visibility": "public"}, "must be a list"),
    ({"rate_limit": "many"}, "N/minute"),
])
def test_an_entry_the_file_would_refuse_is_not_made(fields: dict, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        key_entry("cms", **fields)


def test_a_name_that_could_forge_a_log_line_is_refused() -> None:
    with pytest.raises(ValueError, match="printable"):
        key_entry("two\nlines")


@pytest.fixture
def from_file(make_client, tmp_path: Path) -> TestClient:
    return make_client(keys_file=write(tmp_path, toml_of(ENTRIES)))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_read_key_from_the_file_reads_and_cannot_write(from_file: TestClient) -> None:
    assert from_file.post("/v1/articles", json={"id": "a", "text": "The budget passed."},
                          headers=bearer(CMS_KEY)).status_code == 200
    for key in (WEB_KEY, PARTNER_KEY):
        assert from_file.get("/v1/search", params={"q": "budget"}, headers={"X-API-Key": key}).status_code == 200
        refused = from_file.post("/v1/articles", json={"id": "b", "text": "New."}, headers=bearer(key))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert from_file.delete("/v1/articles/a", headers=bearer(key)).status_code == 403
    assert from_file.get("/v1/search", params={"q": "budget"}, headers=bearer(CMS_SHA)).status_code == 401


def test_sources_are_written_with_write_scope(from_file: TestClient) -> None:
    refused = from_file.post("/v1/sources", json={"url": "https://news.example/feed"}, headers=bearer(WEB_KEY))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_neither_keys_nor_digests_are_logged(make_client, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(read_keys=[SecretStr("settings-read-key")], keys_file=write(tmp_path, toml_of(ENTRIES)))
    for key in (CMS_KEY, WEB_KEY, PARTNER_KEY, "wrong-key-789"):
        client.get("/v1/search", params={"q": "budget"}, headers=bearer(key))
    assert ("API keys configured: 4 (3 read, 1 write); 1 limited to some visibilities or sources, 1 rate-limited"
            in caplog.text)
    secrets = [CMS_KEY, WEB_KEY, PARTNER_KEY, "wrong-key-789", "settings-read-key"]
    assert not [s for s in secrets + [e["sha256"] for e in ENTRIES] if s in caplog.text]


def test_visibilities_are_named_as_articles_store_them(tmp_path: Path) -> None:
    partner = {**ENTRIES[-1], "visibility": [" Public", "INTERNAL"]}
    keys = KeyRing([], [], load_keys_file(write(tmp_path, toml_of([*ENTRIES[:-1], partner]))))
    assert keys.grant_of(PARTNER_KEY).access.visibilities == ("public", "internal")
    with pytest.raises(InvalidKeysFile, match="'top secret', not a word"):
        load_keys_file(write(tmp_path, toml_of([*ENTRIES[:-1], {**partner, "visibility": ["Top Secret"]}])))
