"""schemathesis against the published OpenAPI spec of the running server: whatever
it sends to any operation, with a valid token, the server never answers with a 5xx."""

from __future__ import annotations

import schemathesis
from conftest import HeronServer, write_config
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES_PER_OPERATION = 30


def test_no_server_errors_on_any_operation(tmp_path):
    home = tmp_path / "heron"
    write_config(home, webpush=True, max_auth_failures=100_000)
    server = HeronServer(home).start()
    try:
        token = server.pair()
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 10
        auth = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def no_5xx(case) -> None:
                response = case.call(base_url=server.url, headers=auth)
                case.validate_response(response, checks=[not_a_server_error])

            no_5xx()
    finally:
        server.stop()
