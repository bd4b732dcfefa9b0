"""schemathesis against the app's own OpenAPI schema: generated requests never get a 5xx, every
response has a documented status and matches its documented schema.

The schema states every rule JSON Schema can express (patterns, formats, the configured maxima), but
not those that tie fields together or need the server's state (published_after <= published_before,
a cursor this server issued), so the check that every schema-valid request is accepted is left out.
"""

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.openapi import from_asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES_PER_OPERATION = 40


def test_generated_requests_conform_to_the_schema(loaded: TestClient) -> None:
    schema = from_asgi("/openapi.json", loaded.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def conforms(case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        conforms()
