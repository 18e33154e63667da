"""schemathesis against the desk's OpenAPI document: no generated request gets a 500."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.integration.reliability.table import record
from tests.unit.desk.helpers import Harness


def test_no_operation_answers_500(harness: Harness) -> None:
    app = harness.client.app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    story_id = harness.drafted()
    headers = harness.headers("admin")
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            nonlocal tried
            tried += 1
            if case.path_parameters and "story_id" in case.path_parameters and tried % 2:
                case.path_parameters["story_id"] = story_id  # reach the real story too
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} "
                    f"{response.text[:200]}"
                )

        check()
    print(f"schemathesis: {tried} requests over the API")
    assert tried > 50
    assert not failures, "\n".join(failures[:10])
    record("schemathesis over the OpenAPI document", tried=tried, outcome="no 500")
