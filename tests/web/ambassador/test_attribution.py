"""Signatures through a referral link are attributed: a city's link to the city, an activity's
link to the activity and its city; only ambassador cities attribute."""

from __future__ import annotations

import html
import re

import pytest

from manifesto.cities.referrals import attribute
from manifesto.models import PipelineStage
from tests.support import factories
from tests.support.outreach import activity, ambassador, city
from tests.support.signing import MAYOR, ORGANISATION, form_fields, sign, signatures


@pytest.fixture
def client(app):
    factories.manifesto()
    return app.test_client()


def text(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(page).split())


def test_the_sign_page_carries_the_code_in_its_form(client):
    fields = form_fields(client.get("/en/sign?ref=lisbon-code").get_data(as_text=True))
    assert fields["ref"] == "lisbon-code"


def test_a_signature_through_a_citys_link_is_attributed_to_the_city(client):
    own = city(referral_code="lisbon-code")
    assert sign(client, "pt", ref="lisbon-code", **MAYOR).status_code == 303
    [signature] = signatures()
    assert (signature.ambassador_city_id, signature.outreach_activity_id) == (own.id, None)


def test_a_signature_through_an_activitys_link_is_attributed_to_both(client):
    own = city()
    made = activity(own, referral_code="activity-code")
    assert sign(client, "en", ref="activity-code", **ORGANISATION).status_code == 303
    [signature] = signatures()
    assert (signature.ambassador_city_id, signature.outreach_activity_id) == (own.id, made.id)


@pytest.mark.parametrize("stage", [PipelineStage.CANDIDATE, PipelineStage.INTERVIEWED,
                                   PipelineStage.ALUMNI])
def test_cities_that_are_not_ambassadors_do_not_attribute(client, stage):
    other = city(referral_code="city-code", stage=stage)
    activity(other, referral_code="its-activity")
    assert sign(client, "en", ref="city-code", **ORGANISATION).status_code == 303
    assert sign(client, "en", ref="its-activity", **MAYOR).status_code == 303
    assert [(s.ambassador_city_id, s.outreach_activity_id) for s in signatures()] == [
        (None, None), (None, None)]


@pytest.mark.parametrize("code", ["no-such-code", "x" * 33, ""])
def test_unknown_codes_attribute_nothing_and_signing_still_works(client, code):
    city(referral_code="lisbon-code")
    assert sign(client, "en", ref=code, **ORGANISATION).status_code == 303
    [signature] = signatures()
    assert (signature.ambassador_city_id, signature.outreach_activity_id) == (None, None)


def test_attribute_returns_the_city_and_the_activity(app):
    own = city(referral_code="c-code")
    made = activity(own, referral_code="a-code")
    assert attribute("c-code") == (own.id, None)
    assert attribute("a-code") == (own.id, made.id)
    assert attribute(None) == (None, None)


def test_the_ambassador_sees_what_their_links_brought(client, app):
    own = city(referral_code="lisbon-code")
    made = activity(own, referral_code="activity-code", title="Workshop in Sintra")
    sign(client, "en", ref="lisbon-code", **ORGANISATION)
    sign(client, "en", ref="activity-code", **MAYOR)
    city(referral_code="bologna-code")  # another city's signature is not in these counts
    sign(client, "en", ref="bologna-code", **{**ORGANISATION, "contact_email": "x@y.example"})
    assert [s.outreach_activity_id for s in signatures()] == [None, made.id, None]

    viewer = app.test_client()
    ambassador(viewer, of=own)
    page = text(viewer.get("/en/ambassador/"))
    assert "2 signatures through your links, 0 of them counted." in page
    assert "1 came through the links of your activities." in page
    assert "Waiting for e-mail confirmation 2" in page
    assert "Organisation 1" in page and "Mayor 1" in page
    assert ORGANISATION["contact_email"] not in page and MAYOR["mayor_name"] not in page
    log_page = viewer.get("/en/ambassador/activities").get_data(as_text=True)
    row = log_page[log_page.index("Workshop in Sintra"):]
    assert re.search(r'<td class="num">1</td>\s*<td>\s*<label', row)
