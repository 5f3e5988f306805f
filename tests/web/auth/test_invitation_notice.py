"""An invitation's first password is where the person agrees to the privacy notice: the form
carries the notice version it showed, as the sign form does, so a notice published while the
page is open is not the one recorded as accepted."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from manifesto.access import accounts
from manifesto.extensions import db
from manifesto.models import ConsentRecord, UserTokenPurpose
from manifesto.personal_data import privacy
from tests.support import factories

PASSWORD = "blue-Harbour-Lantern-7"
HIDDEN = re.compile(r'name="privacy_notice_version"[^>]*value="(\d+)"')


@pytest.fixture
def link(app):
    user = factories.user(email="ana@porto.example", name="Ana Ferreira")
    user.password_hash = None  # invited, no password yet
    raw = accounts.issue_token(user, UserTokenPurpose.INVITE)
    db.session.commit()
    return f"/en/account/set-password/{raw}", user


def publish_notice() -> int:
    number = privacy.publish_notice("en", f"## Notice\n\nVersion {time.time()}.", factories.user())
    db.session.commit()
    return number


def accepted(user) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ConsentRecord.notice_version)
                                   .where(ConsentRecord.user_id == user.id)))


def post(client, path, page: str | None, **extra):
    data = {"password": PASSWORD, "confirm": PASSWORD, "consent_privacy": "y", **extra}
    if page is not None:
        data["privacy_notice_version"] = HIDDEN.search(page).group(1)
    return client.post(path, data=data)


def test_the_page_links_to_and_carries_the_notice_in_force(client, link):
    path, _user = link
    page = client.get(path).get_data(as_text=True)
    assert HIDDEN.search(page).group(1) == "1"
    assert 'href="/en/privacy?version=1"' in page
    publish_notice()
    page = client.get(path).get_data(as_text=True)
    assert HIDDEN.search(page).group(1) == "2"
    assert 'href="/en/privacy?version=2"' in page


def test_a_notice_published_while_the_page_is_open_is_not_recorded_as_accepted(client, link):
    path, user = link
    shown = client.get(path).get_data(as_text=True)
    assert publish_notice() == 2
    assert post(client, path, shown).status_code == 303
    assert accepted(user) == [1]


def test_a_page_that_does_not_say_is_taken_to_have_shown_the_notice_in_force(client, link):
    path, user = link
    client.get(path)
    publish_notice()
    assert post(client, path, None).status_code == 303
    assert accepted(user) == [2]


def test_a_mistake_sends_the_page_back_with_the_notice_it_showed(client, link):
    path, user = link
    shown = client.get(path).get_data(as_text=True)
    publish_notice()
    again = post(client, path, shown, confirm="something else")
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert HIDDEN.search(page).group(1) == "1"
    assert 'href="/en/privacy?version=1"' in page
    assert post(client, path, page).status_code == 303
    assert accepted(user) == [1]
