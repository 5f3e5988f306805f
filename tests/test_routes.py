"""Every route is accounted for: who may use it, and CSRF on every state-changing one.

A new route fails this file until it is added to ROUTES with its access rule.
"""

import pytest

from tests import factories

PUBLIC, LOGGED_IN = "public", "logged in"
ROUTES = {
    ("/", "GET"): PUBLIC,
    ("/healthz", "GET"): PUBLIC,
    ("/static/<path:filename>", "GET"): PUBLIC,
    ("/<lang:lang_code>/", "GET"): PUBLIC,
    ("/<lang:lang_code>/manifesto", "GET"): PUBLIC,
    ("/<lang:lang_code>/manifesto/v<int:number>", "GET"): PUBLIC,
    ("/<lang:lang_code>/about", "GET"): PUBLIC,
    ("/<lang:lang_code>/privacy", "GET"): PUBLIC,
    ("/<lang:lang_code>/accessibility", "GET"): PUBLIC,
    ("/<lang:lang_code>/login", "GET"): PUBLIC,
    ("/<lang:lang_code>/login", "POST"): PUBLIC,
    ("/<lang:lang_code>/logout", "POST"): LOGGED_IN,
}


def app_routes(app):
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_an_access_rule(app):
    assert app_routes(app) == set(ROUTES)


def test_logged_in_routes_send_anonymous_visitors_to_login(client):
    for (rule, method), access in ROUTES.items():
        if access == LOGGED_IN:
            url = rule.replace("<lang:lang_code>", "en")
            response = client.open(url, method=method)
            assert response.status_code == 302, rule
            assert response.headers["Location"].startswith("/en/login"), rule


@pytest.mark.parametrize("route", [rule for (rule, method) in ROUTES if method == "POST"])
def test_every_state_changing_route_needs_a_csrf_token(make_app, route):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    user = factories.user()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    response = client.post(route.replace("<lang:lang_code>", "en"), data={})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
