"""The OpenAPI document describes the whole API, and every answer is what it describes."""

from __future__ import annotations

import re

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from config import LANGUAGES
from manifesto.web.api.openapi import document
from tests.support.api import (
    campaign,
    check_against_openapi,
    response_schema,
    validator,
)

# One request at least for every documented path; the test below keeps the two lists equal.
ANSWERS = [
    "/api/v1/counts",
    "/api/v1/counts.csv",
    "/api/v1/history",
    "/api/v1/history?kind=mayor&country=it&from=2026-03-02&to=2026-12-31",
    "/api/v1/history.csv?kind=organisation",
    "/api/v1/signatories",
    "/api/v1/signatories?per_page=2&page=2",
    "/api/v1/signatories?kind=mayor&theme=housing&language=it&q=bolo",
    "/api/v1/signatories.csv?country=FR",
    "/api/v1/targets",
    "/api/v1/targets.csv",
    "/api/v1/ambassadors",
    "/api/v1/ambassadors.csv",
    "/api/v1/openapi.json",
]


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_the_served_document_is_the_one_in_the_package(app, doc):
    assert doc == document(tuple(app.config["LANGUAGES"]), app.config["SITE_URL"])
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "http://localhost/api/v1"}]  # SITE_URL in testing


def test_every_api_rule_is_documented_and_every_documented_path_exists(app, doc):
    """A new endpoint without its description fails here (and a described one that is gone)."""
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert rules == {"/api/v1" + path for path in doc["paths"]}


def test_the_api_is_read_only(app, doc):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    assert all(set(item) == {"get"} for item in doc["paths"].values())


def test_every_documented_path_is_exercised_by_the_schema_test(doc):
    assert {url.split("?")[0].removeprefix("/api/v1") for url in ANSWERS} == set(doc["paths"])


@pytest.mark.parametrize("url", ANSWERS)
def test_each_answer_matches_its_documented_schema(app, client, doc, url):
    campaign()
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    check_against_openapi(doc, response)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_is_well_formed(doc):
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    for ref in _refs(doc):
        assert ref.startswith("#/components/"), ref
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, f"{ref} does not resolve"
            node = node[part]
    operations = [item["get"] for item in doc["paths"].values()]
    ids = [operation["operationId"] for operation in operations]
    assert len(ids) == len(set(ids))
    for path, item in doc["paths"].items():
        operation = item["get"]
        assert "200" in operation["responses"] and "500" in operation["responses"], path
        if operation["parameters"]:
            assert "400" in operation["responses"], path
        media = "text/csv" if path.endswith(".csv") else "application/json"
        assert media in operation["responses"]["200"]["content"], path


def test_the_parameters_the_document_offers_are_the_ones_the_api_reads(client, doc):
    """Each documented parameter, given a wrong value, is refused by name: so it is read."""
    wrong = {"kind": "robot", "country": "Narnia", "from": "2026-13-01", "to": "yesterday",
             "language": "xx", "theme": "cooking", "q": "x" * 101, "page": "0",
             "per_page": "1000"}
    for path, item in doc["paths"].items():
        for ref in item["get"]["parameters"]:
            name = doc["components"]["parameters"][ref["$ref"].rsplit("/", 1)[1]]["name"]
            response = client.get(f"/api/v1{path}?{name}={wrong[name]}")
            assert response.status_code == 400, (path, name)
            assert response.get_json()["error"]["parameter"] == name


def test_the_schemas_refuse_a_field_they_do_not_describe(doc):
    """What makes the schema tests able to catch a leak: no extra field passes."""
    schema = {"$ref": "urn:manifesto:api:v1#/components/schemas/Signatory"}
    item = {"kind": "organisation", "name": "X", "organisation_type": None, "city": "Y",
            "country": "FR", "language": "fr", "themes": [], "listed_on": "2026-04-01"}
    validator(doc, schema).validate(item)
    with pytest.raises(jsonschema.ValidationError):
        validator(doc, schema).validate({**item, "contact_email": "someone@example.org"})
    with pytest.raises(jsonschema.ValidationError):
        validator(doc, schema).validate({**item, "listed_on": "2026-13-01"})


def test_every_language_has_a_title_in_the_target_schema(doc):
    titles = doc["components"]["schemas"]["Target"]["properties"]["titles"]
    assert titles["required"] == list(LANGUAGES)


def test_error_answers_have_the_documented_shape(client, doc):
    response = client.get("/api/v1/signatories?page=0")
    schema = response_schema(doc, "/signatories", 400, "application/json")
    validator(doc, schema).validate(response.get_json())
    assert re.fullmatch(r"[a-z_]+", response.get_json()["error"]["code"])
