"""The delivery routes hold to the OpenAPI document, whatever schemathesis sends them."""

import schemathesis
from hypothesis import HealthCheck, given, settings

from helpers import ADMIN_TOKEN
from solicitations.bootstrap import Container
from solicitations.entrypoints.http.app import create_app

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_delivery_routes_answer_as_documented(container: Container) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container))
    operations = [
        result.ok() for result in schema.include(path_regex=r"^/(opt-out/|admin/v1/outbox)").get_all_operations()
    ]
    assert len(operations) == 4

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=ADMIN)

        answers_as_documented()
