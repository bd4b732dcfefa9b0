import re
from pathlib import Path

import pytest

from api.settings import ServerSettings
from qa.cli.main import main
from qa.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
SERVER_TABLE = "The HTTP server's own settings"
SETTING_ROW = re.compile(r"^\| `(QA_[A-Z0-9_]+)` \| (`[^`]*`|\(none\)) \|", flags=re.MULTILINE)


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(SETTING_ROW.findall(README.read_text()))
    expected = {f"QA_{name.upper()}" for name in ServerSettings.model_fields}
    assert set(rows) == expected
    for name, field in ServerSettings.model_fields.items():
        if field.default_factory is None:
            assert rows[f"QA_{name.upper()}"] == documented(field.default), name


def test_the_servers_own_settings_have_their_own_table() -> None:
    server_table = README.read_text().split(SERVER_TABLE, 1)[1].split("\n\n#", 1)[0]
    server_only = set(ServerSettings.model_fields) - set(Settings.model_fields)
    assert {name for name, _ in SETTING_ROW.findall(server_table)} == {f"QA_{n.upper()}" for n in server_only}


def documented(default: object) -> str:
    if default is None:
        return "(none)"
    return f"`{str(default).lower() if isinstance(default, bool) else default}`"


def test_readme_has_exactly_the_two_setup_commands() -> None:
    block = README.read_text().split("## Set up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]


def test_every_command_is_in_the_command_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    # `qa --help` lists each command indented under COMMAND, with its help line.
    commands = re.findall(r"^    ([a-z]+) ", capsys.readouterr().out, flags=re.MULTILINE)
    documented = set(re.findall(r"^\| `qa ([a-z]+)", README.read_text(), flags=re.MULTILINE))
    assert len(commands) > 5 and documented == set(commands)
