"""/api/openapi.json describes the whole JSON API — every route the app has under /api, and
nothing it does not have — as a valid OpenAPI 3.0 document; schemathesis then sends each public
read what the description allows and what breaks it, and nothing answers 5xx."""
from __future__ import annotations

import re

import pytest
import schemathesis
from openapi_spec_validator import validate

from tests.conftest import DATA_DIR, fuzz_operations, make_app


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    return make_app(DATA_DIR, tmp_path_factory.mktemp("openapi") / "instance")


def test_the_description_is_valid_and_names_every_api_route_and_no_other(api_app):
    answer = api_app.test_client().get("/api/openapi.json")
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == "*"
    document = answer.get_json()
    validate(document)
    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len("/api"):], method)
              for rule in api_app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - {"HEAD", "OPTIONS"}} - {("/openapi.json", "GET")}
    assert described == routes, f"undescribed: {routes - described}; described but absent: {described - routes}"
    shading = document["paths"]["/coverage"]["get"]["parameters"][0]
    assert shading["name"] == "metric" and "loan_amount_yuan" in shading["schema"]["enum"]
    needs_login = {path for path, item in document["paths"].items() for operation in item.values()
                   if operation.get("security")}
    assert {"/pipeline", "/proposals", "/branches/{branch_id}/activities"} <= needs_login


def test_the_public_reads_answer_whatever_schemathesis_sends_without_a_500(api_app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    public_reads = [op for op in operations if op.method.upper() == "GET" and not op.definition.raw.get("security")]
    assert len(public_reads) >= 15
    def check(case, response):
        assert response.status_code < 500, (case.path, case.path_parameters, case.query, response.text[:300])
        if response.status_code >= 400:
            assert response.json()["message"], "an error says what is wrong"
    fuzz_operations(public_reads, check, examples=5)


def test_what_needs_a_login_says_so_to_anyone_else(api_app):
    client = api_app.test_client()
    document = client.get("/api/openapi.json").get_json()
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation and operation.get("security") and "{" not in path:
            answer = client.get(f"/api{path}")
            assert answer.status_code == 401 and answer.get_json()["message"], path
