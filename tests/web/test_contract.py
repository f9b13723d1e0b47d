"""The OpenAPI contract, tested by schemathesis: property-based requests generated from the
document `ratecard serve` publishes (valid and invalid bodies, parameters and headers), sent to the
app in-process. For every one: no server error, and the status code, content type, headers and
body are those the document declares. The schemas are the pydantic models' own, so this checks
that the models, the handlers and the document agree.

Bounded: CONTRACT_EXAMPLES generated cases per operation (default 100) on top of schemathesis's
coverage cases (boundary values of every field): about 5,000 requests, one to two and a half
minutes on two busy cores. The closing line prints the count and the answers by status.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi", reason="the serve extras are not installed: pip install -e '.[test]'")
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed: pip install -e '.[test]'")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,  # noqa: E402
                                 response_schema_conformance, status_code_conformance)

from ratecard import default_catalog  # noqa: E402
from ratecard.web.app import create_app  # noqa: E402

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "100"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]

# schemathesis's in-process client addresses the app as "testserver": the only name it answers to here
_app = create_app(default_catalog(), allowed_hosts=["testserver"])
SENT: dict[int, int] = {}


async def _counted(scope, receive, send):  # type: ignore[no-untyped-def]
    # counts the requests schemathesis sends, and their answers by status, for the closing line
    async def send_counted(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            SENT[message["status"]] = SENT.get(message["status"], 0) + 1
        await send(message)

    await _app(scope, receive, send_counted)


schema = schemathesis.openapi.from_asgi("/openapi.json", _counted)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_keeps_the_published_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(f"\nschemathesis sent {sum(SENT.values())} requests; answers by status: {dict(sorted(SENT.items()))}")
