"""Schemathesis: requests generated from the OpenAPI schema against the running server.

No answer may be a 5xx, and every answer must match the schema (status, content type, body).
Bounded: a few examples per operation (about a minute in all).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.app import Settings

ADMIN = "schema-admin"
# what the issue asks: no 5xx, and answers as documented. (`positive_data_acceptance` is left
# out on purpose: a schema-valid order can still be refused by the venue, e.g. off tick.)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance]


@pytest.fixture(scope="module")
def live(make_server, tmp_path_factory):
    """With a journal: the history's read model answers too."""
    journal = str(tmp_path_factory.mktemp("schema") / "journal.db")
    with make_server(Settings(admin_key=ADMIN, cycle_seconds=0, rate=0, journal=journal)) as s:
        yield s


@pytest.fixture(scope="module")
def user_key(live):
    import httpx

    r = httpx.post(live.url + "/v1/admin/accounts", json={}, headers={"X-API-Key": ADMIN})
    return r.json()["api_key"]


def operations(url: str):
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    for result in schema.get_all_operations():
        yield result.ok()


def call(headers):
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)
    return check


def test_no_server_error_and_answers_match_the_schema(live, user_key):
    """Each operation in turn (the schemathesis pytest plugin is driven by hand here)."""
    tested = []
    for op in operations(live.url):
        headers = {"X-API-Key": ADMIN if op.path.startswith("/v1/admin") else user_key}
        check = given(case=op.as_strategy())(settings(
            max_examples=40, suppress_health_check=list(HealthCheck))(call(headers)))
        check()
        tested.append(f"{op.method.upper()} {op.path}")
    assert "POST /v1/orders" in tested and len(tested) >= 20
