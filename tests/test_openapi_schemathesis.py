"""schemathesis against the live server: every operation the OpenAPI document lists, a bounded number of examples each.

Checks: no 5xx, status codes and bodies conform to the document, content types as documented.
Generic on purpose: it covers whatever endpoints the document lists as others add them.
CAREBOX_SCHEMATHESIS_EXAMPLES raises the examples per operation for a deeper local run.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from tests.webhook_helpers import push_messages

EXAMPLES = int(os.environ.get("CAREBOX_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.config(CAREBOX_WEBHOOK_ALLOW_PRIVATE=False)  # generated webhook URLs must not point inside
def test_every_operation_survives_generated_requests(app, db, client, live_server, make_user, make_token, custom_account):
    seed_token = make_token(make_user("agent"))
    push_messages(client, seed_token, custom_account, 3)  # a few conversations, contacts, messages to find
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    failures, passed, operations = {}, set(), 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # A fresh admin per operation: a generated request may revoke its own token or demote its user.
        headers = {"Authorization": f"Bearer {make_token(make_user('admin'), scopes=('read', 'write', 'admin'))}"}

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS, timeout=10)

        try:
            exercise()
            passed.add(operation.label)
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, report them together
            failures[operation.label] = str(exc)[:1500]
    assert operations >= 20
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
    assert len(passed) == operations
