"""The client follows the API: client/openapi.json is the app's document, models.py is what the generator
makes of it, and every operation and query parameter has its method and keyword in both clients."""

import importlib.util
import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from news_qa_client import ArticleFilters, AsyncNewsQA, NewsQA
from news_qa_client.filters import QUERY_NAME
from news_qa_client.models import FiltersIn

GENERATE = Path(__file__).resolve().parents[2] / "client" / "generate.py"
REGENERATE = "run python client/generate.py"
OPERATIONS = [
    "ask", "ask_stream", "search", "quotes", "article_quotes", "add_articles", "list_articles", "delete_articles",
    "get_article", "put_article", "delete_article", "list_sources", "add_source", "get_source", "remove_source",
    "sync_source", "healthz", "readyz",
]
# Query parameters the document lists but the route refuses (api.routes.articles leaves `as_of` out of
# the parameters it knows), so the client does not offer them.
REFUSED = {"search": set(), "quotes": set(), "list_articles": {"as_of"}, "delete_articles": {"as_of"}}


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("client_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def document(generate: ModuleType) -> dict[str, Any]:
    return json.loads(generate.DOCUMENT.read_text())


def test_the_committed_document_is_the_apps(generate: ModuleType, document: dict[str, Any]) -> None:
    current = generate.current_document()
    if generate.document_text(current) != generate.DOCUMENT.read_text():
        pytest.fail(f"client/openapi.json is not the app's OpenAPI document ({_changes(document, current)}): "
                    f"{REGENERATE}", pytrace=False)


def test_the_models_are_generated_from_the_document(generate: ModuleType, document: dict[str, Any]) -> None:
    try:
        import datamodel_code_generator
    except ImportError:
        pytest.fail("datamodel-code-generator is not installed; install it (client/README.md), then "
                    f"{REGENERATE}", pytrace=False)
    if generate.models_source(document) != generate.MODELS.read_text():
        pytest.fail(f"client/src/news_qa_client/models.py is not what datamodel-code-generator "
                    f"{datamodel_code_generator.get_version()} makes of client/openapi.json: {REGENERATE}",
                    pytrace=False)


def test_every_operation_is_a_method_of_both_clients(document: dict[str, Any]) -> None:
    documented = {operation["operationId"] for path in document["paths"].values() for operation in path.values()}

    assert set(OPERATIONS) <= documented
    for name in OPERATIONS:
        sync, coroutine = getattr(NewsQA, name), getattr(AsyncNewsQA, name)
        assert list(inspect.signature(sync).parameters) == list(inspect.signature(coroutine).parameters), name


@pytest.mark.parametrize("operation", sorted(REFUSED))
def test_every_query_parameter_is_a_keyword(document: dict[str, Any], operation: str) -> None:
    parameters = next(op["parameters"] for path in document["paths"].values() for op in path.values()
                      if op["operationId"] == operation)
    signature = inspect.signature(getattr(NewsQA, operation)).parameters
    keywords = {name for name, p in signature.items() if p.kind is not p.VAR_KEYWORD} - {"self"}

    assert {p["name"] for p in parameters if p["in"] == "query"} - REFUSED[operation] == \
        keywords | set(ArticleFilters.__annotations__)


def test_the_filters_of_a_question_have_query_parameters() -> None:
    assert {QUERY_NAME.get(name, name) for name in FiltersIn.model_fields} == set(ArticleFilters.__annotations__)


def _changes(committed: dict[str, Any], current: dict[str, Any]) -> str:
    """Which paths and schemas differ, so the failure says what changed."""
    changed = []
    for part, old, new in [("path", committed.get("paths", {}), current.get("paths", {})),
                           ("schema", committed.get("components", {}).get("schemas", {}),
                            current.get("components", {}).get("schemas", {}))]:
        changed += [f"{part} {name} {'added' if name not in old else 'removed' if name not in new else 'changed'}"
                    for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
    return ", ".join(changed) or "formatting"
