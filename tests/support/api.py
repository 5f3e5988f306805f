"""Helpers for the API's tests: a small campaign with something of every kind to hide, and a
check of an answer against the schema the OpenAPI document gives for it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from manifesto.extensions import db
from manifesto.models import (
    BestPractice,
    BestPracticeStatus,
    OrganisationType,
    OutreachActivity,
    PipelineStage,
    Role,
    SignatoryKind,
    SignatureStatus,
    Target,
    TargetMetric,
    TargetScope,
    public_name,
    utcnow,
)
from manifesto.signatures import signing, transitions
from manifesto.signatures.counts import rebuild_signature_counts
from tests.support import factories

ORG, MAYOR, DELEGATE = SignatoryKind.ORGANISATION, SignatoryKind.MAYOR, SignatoryKind.DELEGATE
PENDING, CONFIRMED, VERIFIED = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED,
                                SignatureStatus.VERIFIED)
DOC_URI = "urn:manifesto:api:v1"
FORMULA = '=HYPERLINK("http://evil.example","click")'


# --- the schema check ----------------------------------------------------------------------------


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_schema(doc: dict, rule: str, status: int, media: str) -> dict:
    """A schema that points into ``doc`` at the one documented for this answer, so its
    ``#/components/...`` references resolve against the document."""
    responses = doc["paths"][rule]["get"]["responses"]
    assert str(status) in responses, f"{rule} does not document a {status} answer"
    parts = ("paths", rule, "get", "responses", str(status))
    spec = responses[str(status)]
    if "$ref" in spec:  # "#/components/responses/BadRequest"
        parts = tuple(spec["$ref"].removeprefix("#/").split("/"))
        spec = doc
        for part in parts:
            spec = spec[part]
    assert media in spec["content"], f"{rule} {status} does not document {media}"
    return {"$ref": DOC_URI + "#" + _pointer(*parts, "content", media, "schema")}


def validator(doc: dict, schema: dict) -> Draft202012Validator:
    registry = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator(schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_against_openapi(doc: dict, response) -> None:
    """The answer is what the document says this path gives with this status."""
    path = response.request.path
    assert path.startswith("/api/v1/")
    rule = path.removeprefix("/api/v1")
    schema = response_schema(doc, rule, response.status_code, response.mimetype)
    body = response.get_data()  # read whole: a streamed download ends its request
    if response.mimetype == "application/json":
        validator(doc, schema).validate(response.get_json())
    else:
        assert body


def error_parameter(response) -> str | None:
    return response.get_json()["error"].get("parameter")


# --- a campaign ----------------------------------------------------------------------------------


def signature(kind=ORG, status=CONFIRMED, country="FR", language="en", *, listed=True,
              flagged=False, name=None, themes=(), organisation_type=None, created=None):
    """A signature whose place on the public list is decided by the signing code's own rule
    (``transitions.refresh_public``), not set by hand: what the list shows is what it would."""
    made = factories.signature(kind=kind, status=status, country=country, language=language)
    who = made.signatory
    who.listed_publicly = listed
    if name is not None:
        if kind == ORG:
            who.organisation_name = name
        else:
            who.city = name
    who.organisation_type = organisation_type
    who.name_folded = signing.fold(public_name(who))
    who.themes = list(themes)
    made.flagged = flagged
    if created is not None:
        made.created_at = created
        if status in (CONFIRMED, VERIFIED):
            made.confirmed_at = created
        if status == VERIFIED:
            made.verified_at = created
    transitions.refresh_public(made)
    db.session.commit()
    return made


@dataclass
class Campaign:
    listed: list = field(default_factory=list)  # newest first, as the list shows them
    hidden: list = field(default_factory=list)  # counted or not, never on the list
    secrets: list[str] = field(default_factory=list)  # strings no answer may contain
    cities: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)


def campaign() -> Campaign:
    """Signatories of every kind, some listed and some not; two ambassador cities (one of
    them alumni) and a candidate; practices, activities and targets, published or not."""
    factories.manifesto()
    world = Campaign()
    day = lambda d: datetime(2026, 3, d, 12, tzinfo=UTC)  # noqa: E731
    world.listed = [
        signature(ORG, CONFIRMED, "FR", "fr", name="Ville Ouverte", themes=["mobility", "energy"],
                  organisation_type=OrganisationType.NGO, created=day(1)),
        signature(ORG, VERIFIED, "DE", "de", name=FORMULA, themes=["energy"],
                  organisation_type=OrganisationType.COMPANY, created=day(2)),
        signature(MAYOR, VERIFIED, "IT", "it", name="Bologna", themes=["housing"],
                  created=day(3)),
        signature(DELEGATE, VERIFIED, "PT", "pt", name="Évora", created=day(4)),
    ]
    # Counted, but did not agree to be listed.
    unlisted = signature(ORG, CONFIRMED, "FR", "en", listed=False, name="Quiet Cooperative",
                         created=day(5))
    # Agreed, but not counted (yet): pending e-mail, a mayor not verified, a flagged one.
    pending = signature(ORG, PENDING, "ES", "es", name="Pending Society", created=day(6))
    unverified = signature(MAYOR, CONFIRMED, "ES", "es", name="Toledo", created=day(7))
    flagged = signature(ORG, CONFIRMED, "FR", "fr", flagged=True, name="Flagged Fabrik",
                        created=day(8))
    world.hidden = [unlisted, pending, unverified, flagged]
    # The list is newest first: give each listed one its own moment.
    for n, made in enumerate(world.listed):
        made.public_since = datetime(2026, 4, 1 + n, 9, tzinfo=UTC)
    world.listed.reverse()
    delegate = world.listed[0].signatory
    delegate.delegate_name, delegate.delegate_role = "Delegate Dana Secret", "Chief of staff"
    delegate.mandate = "Mandate text that stays private"
    world.listed[-1].signatory.website = "https://private-website.example"
    for made in world.listed + world.hidden:
        who = made.signatory
        world.secrets += [who.contact_email, who.contact_name]
        if who.mayor_name:
            world.secrets.append(who.mayor_name)
    world.secrets += [delegate.delegate_name, delegate.delegate_role, delegate.mandate,
                      "private-website.example"]
    for made in world.hidden:
        world.secrets.append(public_name(made.signatory))

    ghent = factories.ambassador_city(
        name="Ghent", country="BE", stage=PipelineStage.AMBASSADOR,
        interview_notes="Interview notes: private", interviewer="Secret Interviewer",
        commitment_date=date(2026, 2, 1), commitment_statement="We commit to bring ten mayors.",
        languages=["nl", "fr"], countries=["BE", "NL"], referral_code="ghent-secret-code")
    lisbon = factories.ambassador_city(
        name="Lisbon", country="PT", stage=PipelineStage.ALUMNI,
        commitment_date=date(2025, 1, 10), commitment_statement="Obrigado.",
        languages=["pt"], countries=["PT"], referral_code="lisbon-secret-code")
    candidate = factories.ambassador_city(name="Candidate Town", country="AT",
                                          stage=PipelineStage.CANDIDATE,
                                          referral_code="candidate-secret-code")
    world.cities = {"ghent": ghent, "lisbon": lisbon, "candidate": candidate}
    world.secrets += ["Interview notes: private", "Secret Interviewer", "ghent-secret-code",
                      "lisbon-secret-code", "Candidate Town", "candidate-secret-code"]
    account = factories.user(role=Role.AMBASSADOR, ambassador_city=ghent,
                             email="ambassador.account@example.net", name="Account Holder")
    world.secrets += [account.email, account.name]
    db.session.add_all([
        OutreachActivity(ambassador_city_id=ghent.id, date=date(2026, 3, 2), type="workshop",
                         title="Workshop", language="nl", audience_reached=40,
                         mayors_engaged=2, organisations_engaged=5, referral_code="act-1"),
        OutreachActivity(ambassador_city_id=ghent.id, date=date(2026, 3, 9), type="event",
                         title="Event", language="fr", audience_reached=100,
                         mayors_engaged=1, organisations_engaged=0, referral_code="act-2"),
        BestPractice(ambassador_city_id=ghent.id, title="Mayors' breakfast", summary="It works.",
                     theme="participation", language="en", url="https://ghent.example/bp",
                     status=BestPracticeStatus.PUBLISHED, published_at=utcnow()),
        BestPractice(ambassador_city_id=ghent.id, title="Draft idea not published",
                     summary="Not yet.", theme="mobility", language="nl"),
    ])
    world.secrets.append("Draft idea not published")
    world.targets = {
        "world": Target(metric=TargetMetric.ORGANISATIONS_SIGNED, scope=TargetScope.ALL,
                        value=10, start_date=date(2026, 1, 1), deadline=date(2026, 12, 31),
                        titles={"en": "Ten organisations", "fr": "Dix organisations",
                                "ru": "Десять организаций"}, published=True),
        "ghent": Target(metric=TargetMetric.ACTIVITIES, scope=TargetScope.AMBASSADOR_CITY,
                        scope_ambassador_city_id=ghent.id, value=2,
                        start_date=date(2026, 1, 1), deadline=date(2026, 6, 30),
                        titles={"en": "Two activities"}, published=True),
        "italy": Target(metric=TargetMetric.MAYORS_SIGNED, scope=TargetScope.COUNTRY,
                        scope_country="IT", value=5, start_date=date(2026, 1, 1),
                        deadline=date(2027, 6, 30), titles={"en": "Five Italian mayors"},
                        published=True),
        "hidden": Target(metric=TargetMetric.ALL_SIGNATURES, scope=TargetScope.ALL, value=99,
                         start_date=date(2026, 1, 1), deadline=date(2026, 12, 31),
                         titles={"en": "Unpublished goal"}, published=False),
        "candidate": Target(metric=TargetMetric.ACTIVITIES, scope=TargetScope.AMBASSADOR_CITY,
                            scope_ambassador_city_id=candidate.id, value=3,
                            start_date=date(2026, 1, 1), deadline=date(2026, 12, 31),
                            titles={"en": "Candidate's goal"}, published=True),
    }
    db.session.add_all(world.targets.values())
    world.secrets += ["Unpublished goal", "Candidate's goal"]
    rebuild_signature_counts()
    db.session.commit()
    return world


def stat_values(html: str) -> list[int]:
    """The figures of the home page's counts, in the page's order."""
    return [int(v.replace(",", "")) for v in
            re.findall(r'<span class="stat-value">([\d,]+)</span>', html)]
