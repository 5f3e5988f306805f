"""/healthz and the friendly 503 page when the database is away."""

from flask_babel import force_locale, gettext


def test_healthz_is_ok_with_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def unreachable(make_app, tmp_path):
    return make_app(tables=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")


def test_healthz_is_503_without_the_database(make_app, tmp_path):
    response = unreachable(make_app, tmp_path).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_pages_are_a_friendly_localized_503_without_the_database(make_app, tmp_path):
    app = unreachable(make_app, tmp_path)
    response = app.test_client().get("/pt/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    with app.test_request_context(), force_locale("pt"):
        assert gettext("The service is briefly unavailable") in html
    assert "OperationalError" not in html and "Traceback" not in html


def test_unprefixed_page_without_the_database_falls_back_to_the_browser_language(make_app, tmp_path):
    app = unreachable(make_app, tmp_path)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:x"  # a logged-in user whose record cannot be read
    response = client.get("/xx/", headers={"Accept-Language": "it"})
    assert response.status_code in (404, 503)
    assert '<html lang="it"' in response.get_data(as_text=True)
