"""Driving the sign flow as a browser would: the form, its hidden fields, the e-mails."""

from __future__ import annotations

import html
import re
import time
from unittest import mock

import sqlalchemy as sa

from manifesto.extensions import db
from manifesto.models import OutboxMessage, Signature
from manifesto.signatures import abuse

HIDDEN = re.compile(r'<input id="(\w+)" name="(\w+)" type="hidden" value="([^"]*)"')


def form_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for _id, name, value in HIDDEN.findall(page)}


ORGANISATION = {
    "kind": "organisation",
    "organisation_name": "Université de Lyon",
    "organisation_type": "university",
    "city": "Lyon",
    "country": "FR",
    "contact_name": "Marie Dupont",
    "contact_email": "marie.dupont@univ-lyon.example",
    "themes": ["mobility", "data_privacy"],
    "consent_privacy": "y",
    "listed_publicly": "y",
}
MAYOR = {
    "kind": "mayor",
    "mayor_name": "Carlos Moedas",
    "city": "Lisboa",
    "country": "PT",
    "contact_name": "Gabinete do Presidente",
    "contact_email": "gabinete@cm-lisboa.example",
    "themes": ["participation"],
    "consent_privacy": "y",
    "listed_publicly": "y",
}
DELEGATE = {
    "kind": "delegate",
    "mayor_name": "Dieter Reiter",
    "delegate_name": "Laura Dornheim",
    "delegate_role": "CDO der Landeshauptstadt",
    "mandate": "Vollmacht des Oberbürgermeisters vom 1. März, Stadtratsbeschluss 20-26/V 1234.",
    "city": "München",
    "country": "DE",
    "contact_name": "Laura Dornheim",
    "contact_email": "laura.dornheim@muenchen.example",
    "consent_privacy": "y",
    "listed_publicly": "y",
}


def started_stamp(seconds_ago: int = 60) -> str:
    """The sign form's hidden ``started`` field as the app writes it when it shows the form
    (``abuse.form_started_stamp``), had it shown the form ``seconds_ago`` seconds ago: a
    person takes that long to fill it in."""
    shown = time.time() - seconds_ago
    with mock.patch.object(time, "time", lambda: shown):
        return abuse.form_started_stamp()


def sign(client, lang: str = "en", seconds_ago: int = 60, **fields):
    """GET the form, fill it in like a person (who took ``seconds_ago`` seconds), POST it."""
    page = client.get(f"/{lang}/sign").get_data(as_text=True)
    data = form_fields(page)
    data["started"] = started_stamp(seconds_ago)
    data.update(fields)
    return client.post(f"/{lang}/sign", data=data)


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def link(message: OutboxMessage, path: str) -> str:
    """The path of the first link in the message that goes to ``/<lang>/<path>/``."""
    match = re.search(r"http://localhost(/\w\w/" + path + r"/[\w-]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def signatures() -> list[Signature]:
    return list(db.session.scalars(sa.select(Signature).order_by(Signature.id)))
