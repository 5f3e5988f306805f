"""Every route is accounted for: who may use it, and CSRF on every state-changing one.

A new route fails this file until it is added to ROUTES with its access rule.
"""

import re

import pytest

from manifesto.web.response_cache import freshness
from tests.support import factories
from tests.support.auth import AuthActions

PUBLIC, LOGGED_IN, COORDINATOR, AMBASSADOR = "public", "logged in", "coordinator", "ambassador"
# Public, but opened only by a secret link from an e-mail (the token is the credential).
SECRET_LINK = "secret link"
ROUTES = {
    ("/", "GET"): PUBLIC,
    ("/healthz", "GET"): PUBLIC,
    **{(f"/api/v1/{name}", "GET"): PUBLIC
       for name in ("counts", "counts.csv", "history", "history.csv", "signatories",
                    "signatories.csv", "targets", "targets.csv", "ambassadors",
                    "ambassadors.csv", "openapi.json")},
    ("/static/<path:filename>", "GET"): PUBLIC,
    ("/<lang:lang_code>/", "GET"): PUBLIC,
    ("/<lang:lang_code>/manifesto", "GET"): PUBLIC,
    ("/<lang:lang_code>/manifesto/v<int:number>", "GET"): PUBLIC,
    ("/<lang:lang_code>/about", "GET"): PUBLIC,
    ("/<lang:lang_code>/privacy", "GET"): PUBLIC,
    ("/<lang:lang_code>/accessibility", "GET"): PUBLIC,
    ("/<lang:lang_code>/ambassadors", "GET"): PUBLIC,
    ("/<lang:lang_code>/best-practices", "GET"): PUBLIC,
    ("/<lang:lang_code>/targets", "GET"): PUBLIC,
    ("/<lang:lang_code>/badge.svg", "GET"): PUBLIC,
    ("/<lang:lang_code>/targets/<int:target_id>/badge.svg", "GET"): PUBLIC,
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
    ("/<lang:lang_code>/signature/lost", "GET"): PUBLIC,
    ("/<lang:lang_code>/signature/lost", "POST"): PUBLIC,
    ("/<lang:lang_code>/signature/lost/sent", "GET"): PUBLIC,
    ("/<lang:lang_code>/coordinate/review", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/dashboard", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/exports/signatories.csv", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/exports/activities.csv", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/audit", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/privacy", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/privacy/notice/<lang>", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/privacy/notice/<lang>", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/privacy/subject", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/privacy/subject/export", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/privacy/subject/erase", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/signatures/<int:signature_id>/verify", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/signatures/<int:signature_id>/reject", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/signatures/<int:signature_id>/clear-flag", "POST"):
        COORDINATOR,
    ("/<lang:lang_code>/coordinate/manifesto", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/manifesto", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/cities", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/cities", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/cities/<int:city_id>", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/cities/<int:city_id>/move", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/cities/<int:city_id>/targets", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/cities/<int:city_id>/targets/<int:target_id>/delete",
     "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/practices", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets/<int:target_id>/edit", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets/<int:target_id>/edit", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets/<int:target_id>/publish", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets/<int:target_id>/unpublish", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/targets/<int:target_id>/delete", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/practices/<int:practice_id>/publish", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/practices/<int:practice_id>/unpublish", "POST"):
        COORDINATOR,
    ("/<lang:lang_code>/account", "GET"): LOGGED_IN,
    ("/<lang:lang_code>/account/language", "POST"): LOGGED_IN,
    ("/<lang:lang_code>/account/password", "POST"): LOGGED_IN,
    ("/<lang:lang_code>/account/reset", "GET"): PUBLIC,
    ("/<lang:lang_code>/account/reset", "POST"): PUBLIC,
    ("/<lang:lang_code>/account/reset/sent", "GET"): PUBLIC,
    ("/<lang:lang_code>/account/set-password/<token>", "GET"): SECRET_LINK,
    ("/<lang:lang_code>/account/set-password/<token>", "POST"): SECRET_LINK,
    ("/<lang:lang_code>/coordinate/users", "GET"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/users", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/users/<int:user_id>/resend-invitation", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/users/<int:user_id>/deactivate", "POST"): COORDINATOR,
    ("/<lang:lang_code>/coordinate/users/<int:user_id>/reactivate", "POST"): COORDINATOR,
    ("/<lang:lang_code>/ambassador/", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities.csv", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/new", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/new", "POST"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/<int:activity_id>/edit", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/<int:activity_id>/edit", "POST"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/<int:activity_id>/delete", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/<int:activity_id>/delete", "POST"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/import", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/activities/import", "POST"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/practices", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/practices", "POST"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/practices/<int:practice_id>/edit", "GET"): AMBASSADOR,
    ("/<lang:lang_code>/ambassador/practices/<int:practice_id>/edit", "POST"): AMBASSADOR,
}


def url(rule: str, ids: dict[str, int] | None = None) -> str:
    path = (rule.replace("<lang:lang_code>", "en").replace("<token>", "not-a-token")
            .replace("<path:filename>", "css/main.css").replace("v<int:number>", "v1")
            .replace("<lang>", "fr"))
    for name, value in (ids or {}).items():
        path = path.replace(f"<int:{name}>", str(value))
    return re.sub(r"<int:\w+>", "1", path)


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
    AuthActions(client).login_as()
    response = client.post(url(route), data={})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_coordinator_routes_refuse_other_accounts(client, auth):
    from manifesto.models import Role

    auth.login_as(Role.AMBASSADOR)
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


# --- every route with every role -------------------------------------------------------------


def _world():
    """Two ambassador cities with an account, an activity, a practice and a target each; a
    coordinator; a signature. Returns the users and the ids city A's objects have."""
    from datetime import date

    from manifesto.extensions import db
    from manifesto.models import (
        BestPractice,
        OutreachActivity,
        PipelineStage,
        Role,
        Target,
        TargetMetric,
        TargetScope,
    )

    factories.manifesto()
    objects = {}
    for name in ("a", "b"):
        city = factories.ambassador_city(name=f"City {name.upper()}",
                                         stage=PipelineStage.AMBASSADOR)
        activity = OutreachActivity(ambassador_city_id=city.id, date=date(2026, 10, 1),
                                    type="event", title="Event", language="en",
                                    referral_code=f"act-{name}")
        practice = BestPractice(ambassador_city_id=city.id, title="Practice", summary="S",
                                theme="mobility", language="en")
        target = Target(metric=TargetMetric.ACTIVITIES, scope=TargetScope.AMBASSADOR_CITY,
                        scope_ambassador_city_id=city.id, value=10,
                        start_date=date(2026, 1, 1), deadline=date(2026, 12, 31))
        db.session.add_all([activity, practice, target])
        db.session.commit()
        objects[name] = {
            "city_id": city.id,
            "activity_id": activity.id,
            "practice_id": practice.id,
            "target_id": target.id,
            "user": factories.user(role=Role.AMBASSADOR, ambassador_city=city),
        }
    coordinator = factories.user(role=Role.COORDINATOR)
    signature = factories.signature()
    ids = {k: v for k, v in objects["a"].items() if k != "user"}
    ids.update(signature_id=signature.id, user_id=objects["a"]["user"].id)
    users = {"anonymous": None, "ambassador of city B": objects["b"]["user"],
             "ambassador of city A": objects["a"]["user"], "coordinator": coordinator}
    return users, ids


# Ambassador routes that name one of the city's own objects: another city's ambassador gets 404.
OWN_OBJECT = ("<int:activity_id>", "<int:practice_id>")


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_route_by_role(make_app, route):
    """Each role gets what the route's rule allows, and nothing private leaks to others."""
    rule, method = route
    access = ROUTES[route]
    app = make_app()
    users, ids = _world()
    path = url(rule, ids)
    for role, user in users.items():  # the coordinator goes last: their POSTs change data
        client = app.test_client()
        if user is not None:
            AuthActions(client).login_as(user)
        response = client.open(path, method=method)
        status = response.status_code
        response.close()
        where = f"{role}: {method} {path} -> {status}"
        assert status < 500, where
        # Nothing private may be kept by a shared cache (a proxy, the app's own); a page shown
        # to a signed-in person (their name, a form token) is for their browser only. The
        # badge and the API answer everyone alike, and say so.
        cache_control = response.headers.get("Cache-Control", "")
        if access != PUBLIC:
            assert freshness(cache_control) is None, where
        if user is not None and status == 200 and response.mimetype == "text/html":
            assert "private" in cache_control or "no-store" in cache_control, where
        if access == PUBLIC:
            assert status not in (401, 403), where
        elif access == SECRET_LINK:
            assert status in (404, 400), where
        elif user is None:
            assert status == 302, where
        elif access == LOGGED_IN:
            assert status not in (401, 403), where
        elif access == COORDINATOR:
            assert (status == 403) == (role != "coordinator"), where
        elif access == AMBASSADOR:
            if role == "coordinator":
                assert status == 403, where
            elif role == "ambassador of city B" and any(k in rule for k in OWN_OBJECT):
                assert status == 404, where
            else:
                assert status not in (401, 403, 404), where
