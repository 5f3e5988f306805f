"""A public answer (``Cache-Control: public``, for shared caches) never sets a cookie, whoever
asks: a logged-in person's session cookie on a badge or an API answer would be handed by a
cache to the next visitor. Checked over the whole route table, anonymous and logged in."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from manifesto.models import Role
from tests.support import factories
from tests.support.api import campaign
from tests.support.auth import AuthActions

PASSWORD = factories.PASSWORD


@pytest.fixture
def site(make_app):
    app = make_app(RESPONSE_CACHE_SECONDS=5)  # public pages are marked so, as in production
    factories.manifesto()
    world = campaign()
    return app, world


def urls(app, world) -> list[str]:
    values = {
        "lang_code": "en", "lang": "fr", "number": 1, "token": "x" * 43,
        "target_id": world.targets["ghent"].id, "city_id": world.cities["ghent"].id,
        "practice_id": 1, "activity_id": 1, "filename": "favicon.svg",
    }
    found = []
    for rule in app.url_map.iter_rules():
        assert isinstance(rule, Rule)
        if "GET" not in rule.methods:
            continue
        found.append(rule.build({name: values[name] for name in rule.arguments})[1])
    return found


def visitors(app, world):
    yield "anonymous", app.test_client()
    for role, city in ((Role.COORDINATOR, None), (Role.AMBASSADOR, world.cities["ghent"])):
        user = factories.user(role=role, ambassador_city=city)
        client = app.test_client()
        response = AuthActions(client).login(user, PASSWORD)
        assert response.status_code == 302
        yield role.value, client


def test_no_public_answer_sets_a_cookie(site):
    app, world = site
    paths = urls(app, world)
    assert len(paths) > 50
    public = {}
    for who, client in visitors(app, world):
        for path in paths:
            response = client.get(path)
            response.get_data()  # a streamed download is read to its end and closed
            response.close()
            if response.cache_control.public:
                public.setdefault(who, []).append(path)
                assert "Set-Cookie" not in response.headers, (who, path)
    # The check meant something: the badges and the API are public for everyone, and the
    # pages every anonymous visitor gets alike are public for them.
    for who in ("anonymous", "coordinator", "ambassador"):
        assert {"/en/badge.svg", f"/en/targets/{world.targets['ghent'].id}/badge.svg",
                "/api/v1/counts", "/api/v1/targets.csv"} <= set(public[who]), who
    assert {"/en/", "/en/targets", "/en/signatories"} <= set(public["anonymous"])


def test_a_logged_in_badge_leaves_the_session_as_it_was(site):
    """The badge neither renews the session nor ends it: the next private page still works."""
    app, world = site
    user = factories.user(role=Role.COORDINATOR)
    client = app.test_client()
    AuthActions(client).login(user, PASSWORD)
    badge = client.get("/en/badge.svg")
    assert badge.status_code == 200 and "Set-Cookie" not in badge.headers
    assert badge.headers["Cache-Control"].startswith("public")
    assert client.get("/en/account").status_code == 200
    # A private page does renew it (the session ends after SESSION_IDLE_MINUTES idle).
    assert "Set-Cookie" in client.get("/en/account").headers
