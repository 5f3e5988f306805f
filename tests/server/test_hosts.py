"""Through gunicorn: no header a client sends can change an address the app writes
(issue 17, point 1). The server runs as production, with SITE_URL set to its own address."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import OutboxMessage

COORDINATOR = "coordinator@manifesto.example"


def reset_links(server) -> list[str]:
    with server.app.app_context():
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body_text).filter_by(kind="reset").order_by(OutboxMessage.id)
        ).all()
    return [re.search(r"https?://\S+", body).group(0) for body in bodies if body]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example"])
def test_a_forged_host_is_refused_with_a_page_and_nothing_is_sent(server, http, host):
    before = len(reset_links(server))
    page = http.get("/en/account/reset", headers={"Host": host})
    assert page.status_code == 400
    assert "evil" not in page.text and "<html" in page.text
    posted = http.post("/en/account/reset", data={"email": COORDINATOR},
                       headers={"Host": host})
    assert posted.status_code == 400
    assert len(reset_links(server)) == before


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-Host": "evil.example"},
    {"Forwarded": "host=evil.example;proto=https"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "443",
     "X-Forwarded-Prefix": "/evil", "X-Original-Host": "evil.example"},
])
def test_forwarded_host_headers_change_no_link(server, http, headers):
    before = len(reset_links(server))
    form = http.get("/en/account/reset", headers=headers)
    assert form.status_code == 200
    assert "evil" not in form.text  # hreflang alternates included
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)
    response = http.post("/en/account/reset", headers=headers,
                         data={"csrf_token": token, "email": COORDINATOR})
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/account/reset/sent"
    links = reset_links(server)
    assert len(links) == before + 1
    assert links[-1].startswith(f"{server.url}/en/account/set-password/")


def test_public_answers_carry_site_url_only(server, http):
    headers = {"X-Forwarded-Host": "evil.example"}
    home = http.get("/fr/", headers=headers).text
    alternates = re.findall(r'hreflang="[\w-]+" href="([^"]+)"', home)
    assert len(alternates) == 8 and all(a.startswith(f"{server.url}/") for a in alternates)
    doc = http.get("/api/v1/openapi.json", headers=headers).json()
    assert doc["servers"] == [{"url": f"{server.url}/api/v1"}]
    page = http.get("/api/v1/signatories?per_page=1", headers=headers).json()
    assert page["next"].startswith(f"{server.url}/api/v1/signatories?")


def test_query_arguments_named_like_url_builder_keywords_are_not_a_500(http):
    for query in ("_external=1", "_method=POST", "endpoint=x", "_anchor=x", "_scheme=x"):
        for path in ("/en/", "/en/signatories", "/fr/targets", "/en/sign"):
            response = http.get(f"{path}?{query}")
            assert response.status_code == 200, (path, query, response.status_code)
