"""E-mails, written in their reader's language and queued in the outbox: ``message`` writes
any of them (the signatories' below, the accounts' in ``accounts``).

Every message to a signatory carries the link to their own page. Links are absolute URLs on
``SITE_URL`` (``urls``), so nothing here needs a request: the CLI and scripts write the same
e-mails. Nothing here sends anything: ``outbox.enqueue`` adds a row to the current transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from limits import RateLimitItemPerDay

from manifesto.core import throttle
from manifesto.core.emails import recipient_hash
from manifesto.core.i18n import country_name
from manifesto.core.urls import absolute_url
from manifesto.extensions import db
from manifesto.mail import outbox
from manifesto.models import OutboxMessage, Signature, public_name, utcnow

# E-mails that anyone can cause by typing an address into the sign or "new link" form: the
# cap on e-mails to one address counts these, whatever signature they are about.
SIGNING_KINDS = ("confirm", "already_signed")
CAP_PERIOD = timedelta(hours=24)
_CAP_LOCK = "sign_emails_lock"  # the attempt counter whose row locks one address


@dataclass(frozen=True)
class Message:
    """One e-mail, rendered and ready for the outbox."""

    kind: str
    to_address: str
    subject: str
    body_text: str
    language: str

    def queue(self, signature_id: int | None = None) -> None:
        outbox.enqueue(
            kind=self.kind,
            to_address=self.to_address,
            subject=self.subject,
            body_text=self.body_text,
            language=self.language,
            signature_id=signature_id,
        )


def message(kind: str, to_address: str, language: str, subject_fn, **context) -> Message:
    """E-mail ``kind`` to ``to_address``: ``templates/email/<kind>.txt`` and ``subject_fn()``,
    both in ``language`` whatever the page's (someone else's action may cause it), with the
    site's name and contact address and ``context``. No link to a signatory's own page unless
    ``context`` gives its ``manage_url``."""
    context.setdefault("manage_url", None)
    with force_locale(language):
        body = render_template(
            f"email/{kind}.txt",
            site_name=current_app.config["SITE_NAME"],
            contact_email=current_app.config["CONTACT_EMAIL"],
            **context,
        )
        subject = subject_fn()
    return Message(kind, to_address, subject, body, language)


def _message(kind: str, who, language: str, subject_fn, **context) -> Message | None:
    """E-mail ``kind`` for ``who`` (a Signatory, or the SignRequest that creates one), or None
    if there is no address to write to (a withdrawn signature)."""
    address = who.contact_email
    if not address:
        return None
    if context.get("manage_token"):
        context["manage_url"] = absolute_url(
            "sign.my_signature", lang_code=language, token=context.pop("manage_token"))
    return message(kind, address, language, subject_fn, signatory=who,
                   public_name=public_name(who), country=country_name(who.country, language),
                   **context)


def within_cap(address: str) -> bool:
    """Whether one more e-mail from signing may go to ``address`` now: fewer than
    ``SIGN_EMAILS_PER_ADDRESS_PER_DAY`` went to it (its canonical form) in the last 24 hours.

    Counted on the outbox, in the database, so every worker sees the same figure. First the
    address is locked until the end of the transaction (its attempt counter's row is written:
    a row lock on PostgreSQL, the write lock on SQLite), so that of simultaneous requests for
    one address each counts the e-mails the ones before it queued. The caller queues the
    e-mail, if any, in the same transaction.
    """
    cap = current_app.config["SIGN_EMAILS_PER_ADDRESS_PER_DAY"]
    key = recipient_hash(address)
    throttle.hit(db.session.connection(), _CAP_LOCK, key, RateLimitItemPerDay(cap))
    sent = db.session.connection().execute(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.recipient_hash == key,
            OutboxMessage.created_at > utcnow() - CAP_PERIOD,
            OutboxMessage.kind.in_(SIGNING_KINDS),
        )
    ).scalar_one()
    return sent < cap


def _queue(message: Message | None, signature_id: int) -> None:
    if message is not None:
        message.queue(signature_id)


def confirm(who, confirm_token: str, manage_token: str, language: str) -> Message | None:
    """The confirmation e-mail; the caller queues it once the signature has its id."""
    confirm_url = absolute_url("sign.confirm", lang_code=language, token=confirm_token)
    return _message(
        "confirm",
        who,
        language,
        lambda: _("Please confirm your signature of the Inclusive Smart Cities Manifesto"),
        confirm_url=confirm_url,
        manage_token=manage_token,
    )


def already_signed(signature: Signature, manage_token: str, language: str) -> None:
    _queue(
        _message(
            "already_signed",
            signature.signatory,
            language,
            lambda: _("You have already signed the Inclusive Smart Cities Manifesto"),
            manage_token=manage_token,
            signature=signature,
        ),
        signature.id,
    )


def withdrawn(who, at: datetime, language: str) -> Message | None:
    """"Your signature is withdrawn": written before the address is erased, queued after."""
    return _message(
        "withdrawn",
        who,
        language,
        lambda: _("Your signature of the Manifesto is withdrawn"),
        withdrawn_at=at,
        sign_url=absolute_url("sign.sign", lang_code=language),
    )


@dataclass(frozen=True)
class OwnLink:
    """One signature in the "your links" e-mail: what it is for, how it stands, its link."""

    name: str
    city: str
    country: str
    status: object  # SignatureStatus
    url: str


def own_links(address: str, links: list[tuple[Signature, str]], language: str) -> None:
    """"Lost your link?": the own page of every signature in ``links`` (with its raw link)."""
    entries = [
        OwnLink(public_name(s.signatory), s.signatory.city,
                country_name(s.signatory.country, language), s.status,
                absolute_url("sign.my_signature", lang_code=language, token=raw))
        for s, raw in links
    ]
    message(
        "own_links",
        address,
        language,
        lambda: ngettext("%(num)d signature of the Manifesto: the link to its page",
                         "%(num)d signatures of the Manifesto: the links to their pages",
                         len(entries)),
        links=entries,
    ).queue(links[0][0].id if len(links) == 1 else None)


def verified(signature: Signature, manage_token: str) -> None:
    _queue(
        _message(
            "verified",
            signature.signatory,
            signature.language,
            lambda: _("Your signature of the Manifesto has been verified"),
            manage_token=manage_token,
        ),
        signature.id,
    )


def rejected(signature: Signature, reason: str) -> None:
    _queue(
        _message(
            "rejected",
            signature.signatory,
            signature.language,
            lambda: _("Your signature of the Manifesto could not be verified"),
            reason=reason,
        ),
        signature.id,
    )
