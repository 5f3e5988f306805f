"""The outreach log without HTTP: deleting an activity (``outreach.delete``). An ambassador
deletes only their own city's activities; the signatures its link brought stay with the city.
The pages: tests/web/ambassador/test_activities.py."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from manifesto.cities import outreach
from manifesto.extensions import db
from manifesto.models import OutreachActivity, Role, Signature
from tests.support import factories
from tests.support.outreach import activity, attribute, city


def ambassador_of(own):
    return factories.user(role=Role.AMBASSADOR, ambassador_city=own)


def activities() -> list[int]:
    return list(db.session.scalars(sa.select(OutreachActivity.id).order_by(OutreachActivity.id)))


def test_an_ambassador_deletes_their_citys_activity_and_its_signatures_stay(app):
    own = city()
    made = activity(own)
    made_id = made.id
    signature = attribute(factories.signature(), activity=made)
    assert outreach.delete(made, ambassador_of(own))
    db.session.commit()
    assert activities() == []
    db.session.expire_all()
    signature = db.session.get(Signature, signature.id)
    assert (signature.ambassador_city_id, signature.outreach_activity_id) == (own.id, None)
    assert db.session.get(OutreachActivity, made_id) is None


@pytest.mark.parametrize("who", ["another city's ambassador", "a coordinator"])
def test_no_one_else_deletes_a_citys_activity(app, who):
    own = city()
    made = activity(own)
    other = (ambassador_of(city()) if who == "another city's ambassador"
             else factories.user(role=Role.COORDINATOR))
    assert not outreach.delete(made, other)
    db.session.commit()
    assert activities() == [made.id]


def test_an_activity_deleted_meanwhile_is_not_deleted_twice(app):
    own = city()
    user = ambassador_of(own)
    made = db.session.get(OutreachActivity, activity(own).id)  # as this request read it
    with db.engine.begin() as connection:  # another request of the city's team, first
        connection.execute(sa.delete(OutreachActivity).where(OutreachActivity.id == made.id))
    assert not outreach.delete(made, user)
