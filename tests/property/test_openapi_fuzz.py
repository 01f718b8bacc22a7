"""Schemathesis over the served OpenAPI document, against a real server on 127.0.0.1 started by the
test: positive and negative (wrong types, missing members, unknown members) data for every
operation, checking that nothing answers 5xx and that every answer fits the document (status codes,
content types, headers, response schemas), and that negative data is rejected. Offline: the schema
comes from the server itself. Bounded: a few examples per operation and no shrinking."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.system.server import HOST, XSRF, Server, server_factory

pytestmark = pytest.mark.system
MAX_EXAMPLES = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("fuzz")
    with server_factory(root) as factory:
        # Throttling off: the fuzzer sends wrong credentials over and over and expects 401/403 each
        # time, where a locked address rightly answers 429 (the security tests cover throttling).
        yield factory(root / "data", extra=("--throttle-failures", "0", "--throttle-address-failures", "0"))


@pytest.fixture(scope="module")
def api(server: Server) -> schemathesis.BaseSchema:
    basic = base64.b64encode(f"administrator:{server.password}".encode()).decode()
    config = SchemathesisConfig.from_dict({
        "headers": {"Authorization": f"Basic {basic}", **XSRF},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
        # Fuzzing only (positive and negative data): the exhaustive "coverage" phase alone takes minutes.
        "phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}},
    })
    schema = schemathesis.openapi.from_url(server.admin_url + "/openapi.json", config=config)
    schema.config.update(base_url=f"http://{HOST}:{server.admin_port}")  # the document's paths are absolute
    return schema


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                     phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_errors_and_every_answer_fits_the_document(case: schemathesis.Case) -> None:
    # Every check but one: "schema-valid data must be accepted" cannot hold for an admin API whose
    # rules reach past one body (a reference to a manager that does not exist, a plugin field rule,
    # a duplicate id): such bodies fit the document and are rightly refused with 422.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
