"""Every absolute URL comes from SITE_URL, never from the request (issue 17, point 1).

A forged ``Host`` (or ``X-Forwarded-Host``, ``Forwarded: host=``) once put an attacker's
address into an e-mailed password-reset link. These tests hold the rule in-process; the same
attacks through gunicorn are in tests/server/test_hosts.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import ConfigError, ProductionConfig, parse_site_url
from manifesto.extensions import db
from manifesto.models import OutboxMessage, Role
from tests.support import factories

ROOT = Path(__file__).resolve().parents[2]
SITE = "https://manifesto.example.org"


def test_production_refuses_to_start_without_site_url(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.delenv("SITE_URL", raising=False)
    with pytest.raises(ConfigError, match="SITE_URL is not set") as excinfo:
        ProductionConfig(tmp_path)
    assert "\n" not in str(excinfo.value)


def test_production_trusts_only_the_site_host_and_the_named_extras(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("SITE_URL", "HTTPS://Manifesto.Example.org:8443/")
    monkeypatch.setenv("TRUSTED_HOSTS", "www.manifesto.example.org, ")
    config = ProductionConfig(tmp_path)
    assert config.SITE_URL == "https://manifesto.example.org:8443"
    assert config.TRUSTED_HOSTS == ["manifesto.example.org", "www.manifesto.example.org"]
    assert config.PREFERRED_URL_SCHEME == "https"
    assert config.PROXY_FIX_FORWARDED_HOST is False


@pytest.mark.parametrize("value", [
    "manifesto.example.org",  # no scheme
    "ftp://manifesto.example.org",
    "https://",
    "https://manifesto.example.org/campaign",  # a path: links would lose it
    "https://manifesto.example.org?x=1",
    "https://user@manifesto.example.org",
    "https://manifesto.example.org:99999",
    "https://manifesto.example.org:port",
])
def test_a_site_url_that_is_not_scheme_host_port_is_refused_in_one_line(value):
    with pytest.raises(ConfigError, match="SITE_URL must be") as excinfo:
        parse_site_url(value)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize("host", [
    "evil.example", "manifesto.example.org.evil.example", "evil.example:80", "localhost@evil",
])
def test_a_request_for_another_host_is_refused(make_app, host):
    app = make_app(SITE_URL=SITE)
    response = app.test_client().get("/en/", headers={"Host": host})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)


def test_the_site_host_and_its_named_extras_are_served(make_app):
    app = make_app(SITE_URL=SITE, EXTRA_TRUSTED_HOSTS=("www.manifesto.example.org",))
    client = app.test_client()
    assert client.get("/en/", headers={"Host": "manifesto.example.org"}).status_code == 200
    assert client.get("/en/", headers={"Host": "www.manifesto.example.org"}).status_code == 200


def _reset_link(app, **request_headers) -> str:
    factories.user(role=Role.COORDINATOR, email="coordinator@example.org")
    response = app.test_client().post(
        "/en/account/reset", data={"email": "coordinator@example.org"}, **request_headers)
    assert response.status_code == 303
    [mail] = db.session.scalars(sa.select(OutboxMessage).filter_by(kind="reset")).all()
    return re.search(r"https?://\S+", mail.body_text).group(0)


@pytest.mark.parametrize("headers", [
    {},
    {"X-Forwarded-Host": "evil.example"},
    {"Forwarded": "host=evil.example;proto=http", "X-Forwarded-Proto": "http"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
     "X-Forwarded-For": "203.0.113.9"},
])
def test_a_reset_link_is_on_site_url_whatever_the_headers_say(make_app, headers):
    app = make_app(SITE_URL=SITE, PROXY_FIX_HOPS=1)
    link = _reset_link(app, base_url="https://manifesto.example.org", headers=headers)
    assert link.startswith(f"{SITE}/en/account/set-password/")


def test_a_forwarded_host_is_trusted_only_when_a_setting_says_so_and_only_a_trusted_one(make_app):
    app = make_app(SITE_URL=SITE, PROXY_FIX_HOPS=1, PROXY_FIX_FORWARDED_HOST=True)
    client = app.test_client()
    response = client.get("/en/", base_url=SITE, headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 400
    # Even a trusted forwarded host changes no link: they come from SITE_URL.
    link = _reset_link(app, base_url=SITE, headers={"X-Forwarded-Host": "manifesto.example.org"})
    assert link.startswith(f"{SITE}/en/")


def test_hreflang_alternates_come_from_site_url_and_keep_the_query(make_app):
    app = make_app(SITE_URL=SITE)
    page = app.test_client().get("/fr/signatories?country=PT", base_url=SITE).get_data(as_text=True)
    alternates = re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)"', page)
    assert len(alternates) == len(app.config["LANGUAGES"]) + 1  # and x-default
    for lang, href in alternates:
        assert href.startswith(SITE + "/"), href
    assert ("de", f"{SITE}/de/signatories?country=PT") in alternates


def test_the_openapi_servers_and_the_api_next_link_are_on_site_url(make_app):
    app = make_app(SITE_URL=SITE)
    for _ in range(3):
        factories.signature()
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json", base_url=SITE).get_json()
    assert doc["servers"] == [{"url": f"{SITE}/api/v1"}]
    page = client.get("/api/v1/signatories?per_page=1&theme=energy&kind=organisation",
                      base_url=SITE).get_json()
    if page.get("next"):
        assert page["next"].startswith(f"{SITE}/api/v1/signatories?page=2&per_page=1")


@pytest.mark.parametrize("query", [
    "_external=1", "_method=POST", "endpoint=x", "_anchor=x", "_scheme=javascript",
    "lang_code=xx", "values=1", "query=1",
])
@pytest.mark.parametrize("path", [
    "/en/", "/en/signatories", "/en/sign", "/en/targets", "/en/manifesto", "/en/login",
    "/en/no-such-page", "/api/v1/signatories",
])
def test_no_query_string_reaches_a_url_builder_as_keywords(client, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code in (200, 400, 404), (path, query, response.status_code)


def test_no_absolute_url_is_built_from_the_request():
    """The code itself: only manifesto/core/urls.py builds absolute URLs; nothing reads the host."""
    offenders = []
    pattern = re.compile(r"_external\s*=|request\.(host|host_url|url_root|base_url|url)\b")
    for path in (ROOT / "manifesto").rglob("*.py"):
        if path == ROOT / "manifesto" / "core" / "urls.py":
            continue  # the one place that builds them, from SITE_URL
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in (ROOT / "templates").rglob("*.*"):
        if "_external" in path.read_text() or "request.host" in path.read_text():
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
