"""The client is a package of its own: it imports none of the service's, and depends on httpx and pydantic."""

import ast
import tomllib
from pathlib import Path

import news_qa_client

CLIENT = Path(__file__).resolve().parents[2] / "client"
SERVICE_PACKAGES = {"qa", "index", "api", "tests"}


def imported_packages(source: Path) -> set[str]:
    tree = ast.parse(source.read_text())
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and
              not node.level]
    return {name.split(".")[0] for name in names}


def test_the_client_imports_nothing_of_the_service() -> None:
    sources = sorted((CLIENT / "src" / "news_qa_client").glob("*.py"))

    assert len(sources) > 5
    for source in sources:
        assert not imported_packages(source) & SERVICE_PACKAGES, source.name


def test_its_dependencies_are_httpx_and_pydantic_in_ranges() -> None:
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]

    assert project["name"] == "news-qa-client" and project["version"] == news_qa_client.__version__
    assert project["dependencies"] == ["httpx>=0.27,<1", "pydantic>=2.7,<3"]
    assert project["optional-dependencies"] == {"langchain": ["langchain-core>=1.0,<2"],
                                                "llama-index": ["llama-index-core>=0.14,<0.15"]}
