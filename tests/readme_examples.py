"""The README's copy-paste examples, for the tests that run them: a fenced block right after a line
`<!-- example: NAME -->`. Examples talk to `http://localhost:8000`; a test puts its own server there."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE_URL = "http://localhost:8000"
_EXAMPLE = re.compile(r"^<!-- example: ([\w-]+) -->\n```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_example(name: str, base_url: str | None = None) -> str:
    """The code of the README's example `name`, with `base_url` in place of the example's server."""
    found = {match[1]: match[3] for match in _EXAMPLE.finditer(README.read_text())}
    if name not in found:
        raise KeyError(f"README.md has no example named {name!r} (has {sorted(found)})")
    code = found[name]
    return code.replace(EXAMPLE_URL, base_url) if base_url else code
