"""Every answer under /api/ — success, refusal, unknown path, crash, database away — is open to
any origin, says how long it may be cached, and is JSON (or the CSV asked for)."""

from __future__ import annotations

import pytest

from manifesto.web.api import data
from tests.support.api import (
    campaign,
    check_against_openapi,
    response_schema,
    validator,
)

CACHE = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def assert_cors(response):
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert_cors(response)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "<html" not in body.lower()
    return error


def test_every_endpoint_is_public_cacheable_and_cors_open(app, client, doc):
    campaign()
    for path in doc["paths"]:
        response = client.get("/api/v1" + path)
        assert response.status_code == 200, path
        assert response.get_data(), path
        assert response.headers["Cache-Control"] == CACHE, path
        assert_cors(response)
        if path.endswith(".csv"):
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8", path
            assert response.headers["Content-Disposition"].startswith("attachment; filename="), path
        else:
            assert response.headers["Content-Type"] == "application/json; charset=utf-8", path


def test_a_preflight_is_answered_with_no_content(client, doc):
    for path in doc["paths"]:
        response = client.options("/api/v1" + path, headers={
            "Origin": "https://data.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Content-Type"})
        assert response.status_code == 204, path
        assert response.get_data() == b""
        assert response.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS"
        assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
        assert_cors(response)


def test_a_bad_parameter_is_a_json_400_naming_it(client, doc):
    response = client.get("/api/v1/history?country=Narnia")
    error = assert_json_error(response, 400, "invalid_parameter")
    assert error["parameter"] == "country"
    check_against_openapi(doc, response)


def test_an_unknown_path_is_a_json_404_not_the_html_page(client, doc):
    for path in ("/api/v1/nothing-here", "/api/v1/counts/", "/api/v1/", "/api/v2/counts"):
        response = client.get(path)
        assert_json_error(response, 404, "not_found")
        schema = {"$ref": "urn:manifesto:api:v1#/components/responses/NotFound/content/"
                          "application~1json/schema"}
        validator(doc, schema).validate(response.get_json())


def test_writing_is_refused_as_json(client):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.open("/api/v1/signatories", method=method, data={"x": "1"})
        assert_json_error(response, 405, "method_not_allowed")
        assert "POST" not in response.headers["Allow"]


def test_a_crash_is_a_json_500_without_a_trace(make_app, monkeypatch, doc):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def explode(*args, **kwargs):
        raise RuntimeError("secret detail: postgresql://app:hunter2@db/manifesto")

    monkeypatch.setattr(data, "counts_summary", explode)
    monkeypatch.setattr(data, "signatories_batches", explode)
    for path in ("/api/v1/counts", "/api/v1/counts.csv", "/api/v1/signatories.csv"):
        response = app.test_client().get(path)
        assert_json_error(response, 500, "internal_error")
        assert "hunter2" not in response.get_data(as_text=True)
        schema = response_schema(doc, path.removeprefix("/api/v1"), 500, "application/json")
        validator(doc, schema).validate(response.get_json())


def test_without_the_database_it_is_a_json_503_to_retry(make_app, tmp_path):
    app = make_app(tables=False,
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    response = app.test_client().get("/api/v1/counts")
    assert_json_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "30"


def test_an_unchanged_answer_is_a_304(client):
    first = client.get("/api/v1/counts")
    again = client.get("/api/v1/counts", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == CACHE
    assert_cors(again)


def test_html_pages_keep_their_own_headers(client):
    """The API's headers stay on the API."""
    response = client.get("/en/about")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")


def test_a_logged_in_browser_gets_no_cookie_from_the_api(client, auth):
    """A permanent session is refreshed on every response; a cached public API answer must not
    carry a coordinator's session cookie to the next visitor, nor vary by cookie."""
    auth.login_as()
    with client.session_transaction() as session:
        session.permanent = True
    page = client.get("/en/account")
    assert page.status_code == 200 and "Set-Cookie" in page.headers  # the HTML refreshes it
    for path in ("/api/v1/counts", "/api/v1/signatories.csv", "/api/v1/nothing",
                 "/api/v1/history?kind=robot"):
        response = client.get(path)
        response.get_data()
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path
    assert client.get("/en/account").status_code == 200  # still logged in
