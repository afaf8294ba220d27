"""Schemathesis over the whole API, in process (the Django WSGI app), as a resident and as staff.

Every operation of `/api/openapi.json` gets generated requests, valid and invalid
(schemathesis' positive and negative modes), with a bounded, derandomised number of examples so
CI is stable. Each response must not be a server error and must match the schema documented
for its status code (so every error body the API returns is documented and true). The
resident's bearer token goes to resident endpoints, the staff token to `/api/staff/`.

`MADOGUCHI_FUZZ_REPORT=path` writes the count of requests per operation and status code.
"""

import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from madoguchi.api import api
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount

pytestmark = pytest.mark.django_db

EXAMPLES = 15
OUTCOMES: Counter = Counter()


@pytest.fixture
def tokens(city, staff):
    account = ResidentAccount.objects.create(municipality=city, email="fuzz@example.jp")
    return {"resident": issue_api_token(city, account=account),
            "staff": issue_api_token(city, staff_user=staff["kankyo-both"])}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the WSGI app directly, whose end-of-request signal would close the
    test's database connection (on PostgreSQL, inside the test's transaction); Django's test
    client unhooks the same handler around each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def fuzz_report():
    """The run's figures (docs/reliability.md quotes them)."""
    yield
    path = os.environ.get("MADOGUCHI_FUZZ_REPORT")
    if path:
        by_operation: dict = {}
        for (operation, status), count in sorted(OUTCOMES.items()):
            by_operation.setdefault(operation, {})[str(status)] = count
        by_status = Counter()
        for (_, status), count in OUTCOMES.items():
            by_status[str(status)] += count
        with open(path, "w") as out:
            json.dump({"requests": sum(OUTCOMES.values()), "by_status": dict(sorted(by_status.items())),
                       "by_operation": by_operation}, out, ensure_ascii=False, indent=1)


def _document() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/"), default=str))


# Built from the API object, not fetched: fetching needs the database, which tests reach only
# inside a test. The first test proves it is the document the API serves.
schema = schemathesis.openapi.from_dict(_document())
schema.app = get_wsgi_application()


def test_the_fuzzed_document_is_the_served_one(client, city):
    served = client.get("/api/openapi.json").json()
    assert served == _document()
    headers = {p["name"] for op in served["paths"].values() for o in op.values()
               for p in o.get("parameters", []) if p["in"] == "header"}
    assert headers == {"Idempotency-Key", "X-Status-Token"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_has_no_server_errors_and_keeps_its_schema(case, tokens):
    who = "staff" if case.operation.path.startswith("/api/staff/") else "resident"
    response = case.call(headers={"Authorization": f"Bearer {tokens[who]}"})
    OUTCOMES[(case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                             status_code_conformance])
