"""Builders for the outreach-log tests: a city with its ambassador, logged in; activities."""

from __future__ import annotations

from datetime import date
from itertools import count

from manifesto.extensions import db
from manifesto.models import ActivityType, OutreachActivity, PipelineStage, Role
from tests.support import factories
from tests.support.auth import AuthActions

_seq = count(1)


def city(**values):
    values.setdefault("stage", PipelineStage.AMBASSADOR)
    return factories.ambassador_city(**values)


def ambassador(client, of=None, **city_values):
    """A city (or ``of``) and its ambassador, logged in on ``client``: (city, user)."""
    own = of or city(**city_values)
    user = factories.user(role=Role.AMBASSADOR, ambassador_city=own)
    AuthActions(client).login_as(user)
    return own, user


def activity(of, **values) -> OutreachActivity:
    n = next(_seq)
    values.setdefault("date", date(2024, 5, 1))
    values.setdefault("type", ActivityType.WORKSHOP)
    values.setdefault("title", f"Activity {n}")
    values.setdefault("language", "en")
    values.setdefault("referral_code", f"act-{n}-{of.id}")
    obj = OutreachActivity(ambassador_city_id=of.id, **values)
    db.session.add(obj)
    db.session.commit()
    return obj


def attribute(signature, of=None, activity=None):
    """Attribute a factory-made signature to a city (and an activity), as a link would."""
    signature.ambassador_city_id = (of or activity.ambassador_city).id
    signature.outreach_activity_id = activity.id if activity is not None else None
    db.session.commit()
    return signature


GOOD = {
    "date": "2024-05-01",
    "type": "workshop",
    "title": "Co-design workshop with the metropolis",
    "description": "Forty people, six municipalities.",
    "language": "pt",
    "audience_reached": "40",
    "mayors_engaged": "2",
    "organisations_engaged": "6",
    "evidence_url": "https://example.org/workshop",
}
