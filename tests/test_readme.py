import re
from pathlib import Path

import pytest

from qa.cli.main import main
from qa.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(QA_[A-Z0-9_]+)` \| (`[^`]*`|\(none\)) \|", README.read_text(), flags=re.MULTILINE))
    expected = {f"QA_{name.upper()}" for name in Settings.model_fields}
    assert set(rows) == expected
    for name, field in Settings.model_fields.items():
        if field.default_factory is None:
            assert rows[f"QA_{name.upper()}"] == documented(field.default), name


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
