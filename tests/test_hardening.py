"""Bad input at the edges: forged or replayed links, cookies signed with another secret,
oversized and malformed requests, and the SQLite backup command."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface

from manifesto.extensions import db
from manifesto.models import Role, Signature
from tests.support import factories
from tests.support.database import ON_POSTGRES
from tests.support.signing import ORGANISATION, link, outbox, sign


@pytest.fixture
def site(app):
    factories.manifesto()
    return app


@pytest.fixture
def client(site):
    return site.test_client()


def signature_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Signature))


def test_an_oversized_body_is_refused_with_a_clear_page_and_nothing_stored(make_app):
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024, MAX_FORM_MEMORY_SIZE=64 * 1024)
    factories.manifesto()
    client = app.test_client()
    response = client.post("/fr/sign", data={**ORGANISATION, "mandate": "x" * 100_000})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Trop de données" in page or "413" in page
    assert "Traceback" not in page
    assert signature_count() == 0
    api = client.post("/api/v1/counts", data="x" * 100_000)
    assert api.status_code in (405, 413) and api.is_json


def test_forged_and_replayed_links_give_a_4xx_and_change_nothing(client):
    assert sign(client, **ORGANISATION).status_code == 303
    confirm = link(outbox()[0], "confirm")
    forged = confirm[:-4] + "AAAA"
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    manage = client.post(confirm).headers["Location"]
    replay = client.post(confirm)  # the same link again: already used
    assert replay.status_code == 200 and "Traceback" not in replay.get_data(as_text=True)
    assert client.get(manage[:-3] + "xyz").status_code == 404
    assert client.post(manage[:-3] + "xyz/withdraw", data={"understood": "y"}).status_code == 404
    assert client.get("/en/account/set-password/" + "A" * 43).status_code == 404
    db.session.expire_all()
    assert signature_count() == 1
    assert db.session.scalar(sa.select(Signature.status)).value == "confirmed"


def test_a_session_cookie_signed_with_another_secret_is_ignored(site):
    coordinator = factories.user(role=Role.COORDINATOR)
    other = site.test_client()
    interface = SecureCookieSessionInterface()
    site_with_other_key = type("A", (), {"secret_key": "another-secret", "config": site.config})
    serializer = interface.get_signing_serializer(site_with_other_key)
    forged = serializer.dumps({"_user_id": coordinator.get_id(), "_fresh": True})
    other.set_cookie(site.config["SESSION_COOKIE_NAME"], forged)
    response = other.get("/en/coordinate/dashboard")
    assert response.status_code == 302 and "/en/login" in response.headers["Location"]
    garbage = site.test_client()
    garbage.set_cookie(site.config["SESSION_COOKIE_NAME"], "not.a.cookie\x7f")
    assert garbage.get("/en/").status_code == 200


@pytest.mark.parametrize("path", [
    "/en/signatories?q=%ff%fe",
    "/en/signatories?page=%00",
    "/en/%ff",
    "/en/sign?kind=%C0%AF",
    "/api/v1/signatories?country=%ff&page=-1",
])
def test_malformed_urls_get_a_4xx_or_a_page_never_a_500(client, path):
    response = client.get(path)
    assert response.status_code < 500
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_malformed_form_body_is_refused_and_stores_nothing(client):
    for body, content_type in [
        (b"kind=organisation&%ff%fe=%ff", "application/x-www-form-urlencoded"),
        (b"--x\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\norg", "multipart/form-data; boundary=x"),
        (b"\x00\x01\x02", "application/x-www-form-urlencoded"),
    ]:
        response = client.post("/en/sign", data=body, content_type=content_type)
        assert response.status_code < 500, body  # the form again, with its errors, or a 400
        assert "Traceback" not in response.get_data(as_text=True)
    assert signature_count() == 0


@pytest.mark.skipif(ON_POSTGRES, reason="the backup command copies SQLite databases")
def test_backup_writes_a_consistent_copy_and_refuses_to_overwrite(client, runner, tmp_path):
    sign(client, **ORGANISATION)
    target = tmp_path / "copy.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "1 signatures, integrity check ok" in result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM signature").fetchone() == (1,)
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1 and "--force" in again.output
    assert runner.invoke(args=["backup", str(target), "--force"]).exit_code == 0
    missing = runner.invoke(args=["backup", str(tmp_path / "no" / "such.sqlite3")])
    assert missing.exit_code == 1 and "does not exist" in missing.output


@pytest.mark.skipif(not ON_POSTGRES, reason="on PostgreSQL the command points to pg_dump")
def test_backup_on_postgresql_explains_pg_dump(runner, app, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 1 and "pg_dump" in result.output
    assert "password" not in result.output.lower() or "***" in result.output
