"""The sign form carries the privacy notice it showed, as it carries the Manifesto's version: a
notice published while someone fills the form in is not the one they accepted."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import ConsentRecord
from manifesto.personal_data import privacy
from manifesto.signatures.abuse import _serializer
from tests.support import factories
from tests.support.signing import ORGANISATION, form_fields, signatures


@pytest.fixture
def client(app):
    factories.manifesto()
    return app.test_client()


def publish_notice(language: str = "en") -> int:
    number = privacy.publish_notice(language, f"## Notice\n\nVersion {time.time()}.",
                                    factories.user())
    db.session.commit()
    return number


def filled_in(page: str, **fields) -> dict:
    data = {**form_fields(page), **ORGANISATION, **fields}
    data["started"] = _serializer().dumps(int(time.time()) - 60)
    return data


def recorded() -> tuple[str, list[int]]:
    """The notice version on the signature and on its consent record(s)."""
    db.session.expire_all()
    [signature] = signatures()
    consents = db.session.scalars(sa.select(ConsentRecord.notice_version).where(
        ConsentRecord.signature_id == signature.id)).all()
    return signature.privacy_notice_version, consents


def test_the_form_shows_and_carries_the_notice_in_force(client):
    page = client.get("/en/sign").get_data(as_text=True)
    assert form_fields(page)["privacy_notice_version"] == "1"
    assert 'href="/en/privacy?version=1"' in page
    publish_notice()
    page = client.get("/en/sign").get_data(as_text=True)
    assert form_fields(page)["privacy_notice_version"] == "2"
    assert 'href="/en/privacy?version=2"' in page
    # Another language's notice has its own versions.
    assert form_fields(client.get("/fr/sign").get_data(as_text=True))[
        "privacy_notice_version"] == "1"


def test_a_notice_published_between_the_form_and_the_post_is_not_recorded_as_accepted(client):
    shown = client.get("/en/sign").get_data(as_text=True)
    assert publish_notice() == 2
    assert client.post("/en/sign", data=filled_in(shown)).status_code == 303
    assert recorded() == ("1", [1])


@pytest.mark.parametrize("value", [None, "", "abc", "0", "-1", "3", "99999999999999999999",
                                   "1.5", "1e3"])
def test_a_missing_or_unknown_notice_version_is_taken_as_the_one_in_force(client, value):
    """A form that does not say (a page from before the form said it), or says a version that
    does not exist: the signature is taken in, against the notice in force."""
    shown = client.get("/en/sign").get_data(as_text=True)
    publish_notice()
    data = filled_in(shown)
    if value is None:
        del data["privacy_notice_version"]
    else:
        data["privacy_notice_version"] = value
    assert client.post("/en/sign", data=data).status_code == 303
    assert recorded() == ("2", [2])


def test_a_form_sent_back_with_a_mistake_keeps_the_notice_it_showed(client):
    shown = client.get("/en/sign").get_data(as_text=True)
    publish_notice()
    again = client.post("/en/sign", data=filled_in(shown, contact_email="not an address"))
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert form_fields(page)["privacy_notice_version"] == "1"
    assert 'href="/en/privacy?version=1"' in page
    assert client.post("/en/sign", data=filled_in(page)).status_code == 303
    assert recorded() == ("1", [1])
