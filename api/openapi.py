"""The OpenAPI document, with the limits this deployment's settings impose written into it."""

from typing import Any

from fastapi import FastAPI

from api.settings import ServerSettings


def document_limits(app: FastAPI, settings: ServerSettings) -> None:
    """Replaces `app.openapi` so the schema states the configured maxima, not just the types."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _limit(schema, settings)
            if settings.keys_configured:
                _require_keys(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def _limit(schema: dict[str, Any], settings: ServerSettings) -> None:
    ask = schema["components"]["schemas"]["AskIn"]["properties"]
    ask["question"]["maxLength"] = settings.max_question_chars
    _branch(ask["top_k"], "integer")["maximum"] = settings.max_top_k
    for path in ("/v1/search", "/v1/quotes"):
        for parameter in schema["paths"][path]["get"]["parameters"]:
            if parameter["name"] == "q":
                _branch(parameter["schema"], "string")["maxLength"] = settings.max_question_chars
            if parameter["name"] == "top_k":
                _branch(parameter["schema"], "integer")["maximum"] = settings.max_top_k
    body = schema["paths"]["/v1/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    for branch in body["anyOf"]:
        if branch.get("type") == "array":
            branch["maxItems"] = settings.max_articles_per_request


def _branch(property_schema: dict[str, Any], kind: str) -> dict[str, Any]:
    """The schema's branch of this type: an optional parameter is `anyOf` it and null."""
    return next(b for b in property_schema.get("anyOf", [property_schema]) if b.get("type") == kind)


def _require_keys(schema: dict[str, Any]) -> None:
    schema["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API key as a bearer token."},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for path, operations in schema["paths"].items():
        if path.startswith("/v1") or path == "/metrics":
            for operation in operations.values():
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
