"""Every route is accounted for: who may use it, and CSRF on every state-changing one.

A new route fails this file until it is added to ROUTES with its access rule.
"""

import pytest

from tests import factories

PUBLIC, LOGGED_IN, COORDINATOR = "public", "logged in", "coordinator"
# Public, but opened only by a secret link from an e-mail (the token is the credential).
SECRET_LINK = "secret link"
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
    ("/<lang:lang_code>/signatories", "GET"): PUBLIC,
    ("/<lang:lang_code>/sign", "GET"): PUBLIC,
    ("/<lang:lang_code>/sign", "POST"): PUBLIC,
    ("/<lang:lang_code>/sign/sent", "GET"): PUBLIC,
    ("/<lang:lang_code>/sign/resend", "POST"): PUBLIC,
    ("/<lang:lang_code>/confirm/<token>", "GET"): SECRET_LINK,
    ("/<lang:lang_code>/confirm/<token>", "POST"): SECRET_LINK,
    ("/<lang:lang_code>/signature/<token>", "GET"): SECRET_LINK,
    ("/<lang:lang_code>/signature/<token>/data.json", "GET"): SECRET_LINK,
    ("/<lang:lang_code>/signature/<token>/withdraw", "POST"): SECRET_LINK,
    ("/<lang:lang_code>/signature/withdrawn", "GET"): PUBLIC,
    ("/<lang:lang_code>/coordinate/review", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/signatures/<int:signature_id>/verify", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/signatures/<int:signature_id>/reject", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/signatures/<int:signature_id>/clear-flag", "POST"):
        COORDINATOR,
    ("/<lang:lang_code>/coordinate/manifesto", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/manifesto", "POST"): COORDINATOR,
}


def url(rule: str) -> str:
    return (rule.replace("<lang:lang_code>", "en").replace("<int:signature_id>", "1")
            .replace("<token>", "not-a-token"))


def app_routes(app):
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_an_access_rule(app):
    assert app_routes(app) == set(ROUTES)


def test_logged_in_routes_send_anonymous_visitors_to_login(client):
    for (rule, method), access in ROUTES.items():
        if access in (LOGGED_IN, COORDINATOR):
            response = client.open(url(rule), method=method)
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
    response = client.post(url(route), data={})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_coordinator_routes_refuse_other_accounts(client):
    from manifesto.models import Role

    ambassador = factories.user(role=Role.AMBASSADOR)
    with client.session_transaction() as session:
        session["_user_id"] = str(ambassador.id)
        session["_fresh"] = True
    for (rule, method), access in ROUTES.items():
        if access == COORDINATOR:
            assert client.open(url(rule), method=method).status_code == 403, rule


def test_secret_link_routes_give_a_friendly_page_for_a_wrong_token(client):
    factories.manifesto()
    for (rule, method), access in ROUTES.items():
        if access == SECRET_LINK and method == "GET":
            response = client.get(url(rule))
            assert response.status_code == 404, rule
            assert response.headers["Cache-Control"] == "no-store", rule
            assert response.headers["Referrer-Policy"] == "no-referrer", rule
