"""SignForm turns what was posted into what signing.submit takes (SignForm.to_request)."""

from __future__ import annotations

import pytest

from manifesto.models import OrganisationType, SignatoryKind
from manifesto.signatures import texts
from manifesto.web.sign.forms import SignForm
from tests.support import factories
from tests.support.signing import MAYOR, ORGANISATION


def posted(app, fields: dict) -> SignForm:
    with app.test_request_context("/en/sign", method="POST", data=fields):
        form = SignForm(meta={"csrf": False})
        assert form.validate(), form.errors
        return form


def request_of(form: SignForm, **overrides):
    values = dict(language="en", version=texts.signable_version("en"), notice_version=2,
                  client="hash", referral=(None, None), flag_reasons=[])
    return form.to_request(**{**values, **overrides})


@pytest.fixture
def site(app):
    factories.manifesto()
    return app


def test_the_request_carries_the_form_and_what_the_caller_adds(site):
    form = posted(site, {**ORGANISATION, "submission_key": "k" * 32})
    req = request_of(form, referral=(7, 9), flag_reasons=["too_fast"], notice_version=3)
    assert req.kind == SignatoryKind.ORGANISATION
    assert req.organisation_name == "Université de Lyon"
    assert req.organisation_type == OrganisationType.UNIVERSITY
    assert req.themes == ["mobility", "data_privacy"] and req.listed_publicly is True
    assert (req.ambassador_city_id, req.outreach_activity_id) == (7, 9)
    assert req.flag_reasons == ["too_fast"] and req.ip_hash == "hash"
    assert (req.language, req.version.number, req.privacy_notice_version) == ("en", 1, 3)
    assert req.submission_key == "k" * 32
    assert req.website is None and req.mayor_name is None


def test_only_an_organisation_has_a_type(site):
    req = request_of(posted(site, {**MAYOR, "organisation_type": "university"}))
    assert req.kind == SignatoryKind.MAYOR and req.organisation_type is None


@pytest.mark.parametrize("key", ["", "short", "has spaces in it but is long", "é" * 20])
def test_a_submission_key_the_form_did_not_carry_is_replaced_by_a_new_one(site, key):
    first = request_of(posted(site, {**ORGANISATION, "submission_key": key}))
    second = request_of(posted(site, {**ORGANISATION, "submission_key": key}))
    assert first.submission_key != key and len(first.submission_key) >= 16
    assert first.submission_key != second.submission_key


@pytest.mark.parametrize("manifesto, notice, expected", [
    ("3", "2", (3, 2)),
    ("", None, (None, None)),
    ("abc", "0", (None, None)),
    ("-1", str(2**31), (None, None)),
])
def test_the_versions_the_page_showed(site, manifesto, notice, expected):
    fields = {**ORGANISATION, "version_number": manifesto}
    if notice is not None:
        fields["privacy_notice_version"] = notice
    assert posted(site, fields).shown_versions() == expected
