"""Privacy by design: the versioned privacy notice, consent records, keyed hashes of addresses,
and what a coordinator can find, export and erase about one e-mail address.

The retention purge is in ``retention.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm.attributes import set_committed_value

from manifesto.access.accounts import is_invited, normalise_email, use_token
from manifesto.core.emails import canonical_email
from manifesto.core.keyed import keyed_hash
from manifesto.extensions import db
from manifesto.models import (
    AuditEvent,
    ConsentAction,
    ConsentMethod,
    ConsentRecord,
    OutboxMessage,
    PrivacyNotice,
    Signatory,
    Signature,
    SignatureStatus,
    SignatureToken,
    User,
    UserToken,
    utcnow,
)
from manifesto.signatures import signing, texts, transitions

BUILTIN_VERSION = 1  # the text shipped with the app; coordinators publish 2, 3, …

# --- keyed hashes ---------------------------------------------------------------------------


def subject_reference(email: str) -> str:
    """A short keyed hash of an e-mail address: the audit log names a data subject by it, so
    that a later request about the same address can be matched without storing it."""
    return keyed_hash(canonical_email(email), "subject")[:16]


# --- the notice -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    language: str
    version: int
    body: str  # Markdown
    published_at: datetime | None  # None: the text shipped with the app

    @property
    def html(self) -> Markup:
        return Markup(texts._markdown().render(self.body))

    @property
    def sha256(self) -> str:
        return texts.text_sha256(self.body)


def _days(setting: str) -> int:
    return current_app.config[setting]


def builtin_notice(language: str) -> str:
    """The notice shipped with the app, in Markdown, from the translation catalogs. It states
    the retention periods as configured."""
    email = current_app.config["CONTACT_EMAIL"]
    with force_locale(language):
        parts = [
            _("Supporting a political manifesto can reveal your opinions. We collect as little as we can, publish only what you agree to publish, and let you withdraw at any time."),
            "## " + _("Who is responsible for your data"),
            _("The coordinators of the Citizen Focus Action Cluster run this site and decide how your data is used. You can reach them at %(email)s.", email=email),
            "## " + _("What we collect when you sign"),
            "\n".join("- " + item for item in (
                _("for an organisation: its name, type, country, city and, if you give it, its website;"),
                _("for a mayor: the city, the country and the mayor’s name; for a delegate, also the delegate’s name and role and the mandate to sign;"),
                _("for everyone: a contact name and an e-mail address, the themes you would prioritise, the version and language of the text you signed, and when you signed and confirmed;"),
                _("a record of your consent: which version of this notice you accepted, in which language, when and how; and, if you withdraw, when and how;"),
                _("a keyed hash of your internet address (see “Security and abuse”)."),
            )),
            "## " + _("What we publish"),
            _("Only if you agree to be listed: the name of the organisation or city, its type, its city and country, and the mayor’s name. Contact names and e-mail addresses are never published. Without your agreement, your signature appears only in the totals, which name nobody."),
            "## " + _("Why, and on what legal basis"),
            _("We use your data to record your support for the Manifesto, to confirm it by e-mail, to check a mayor’s mandate and to tell you about the campaign’s progress. The legal basis is your consent (Article 6(1)(a) and Article 9(2)(a) of the General Data Protection Regulation). You can withdraw your consent at any time; this does not affect what was done before."),
            "## " + _("Who sees your data"),
            _("The campaign’s coordinators. Ambassador Cities see only how many signatures their outreach brought, never who signed. We do not sell or share your data, and the site loads nothing from other sites: no analytics, no advertising, no tracking."),
            "## " + _("Accounts"),
            _("Coordinators and Ambassador Cities have accounts. For them we keep the name, e-mail address, role, city, preferred language, a hash of the password (never the password itself), the last login, and the consent to this notice. Every coordinator action on personal data or on what the public sees (verifying, rejecting, exporting, erasing, publishing, inviting, deactivating, moving a city in the selection) is written to an audit log with the coordinator’s e-mail address; the log is never edited."),
            "## " + _("Security and abuse"),
            _("We never store your internet (IP) address. To spot abuse, we keep with your signature a keyed hash of it (a code from which the address cannot be recovered without our secret key) and erase it after %(days)d days. Rate limits count attempts under the same kind of code. Our logs mask e-mail addresses, internet addresses and the secret links we send.", days=_days("IP_HASH_RETENTION_DAYS")),
            "## " + _("How long we keep your data"),
            "\n".join("- " + item for item in (
                _("Confirmed and verified signatures: until you withdraw them."),
                _("Signatures never confirmed, with their links: erased %(days)d days after signing.", days=_days("RETENTION_UNCONFIRMED_DAYS")),
                _("Withdrawn signatures: your contact details are erased at once; %(days)d days later the rest is reduced to an anonymous count (kind of signatory, country, language and dates).", days=_days("RETENTION_CLOSED_DAYS")),
                _("Rejected signatures: %(days)d days after the rejection, reduced to an anonymous count (kind of signatory, country, language, themes and dates).", days=_days("RETENTION_CLOSED_DAYS")),
                _("E-mails we send: their address and text are erased once sent, and the record that one was sent %(days)d days later; a message that could not be delivered is erased %(days)d days after it was written.", days=_days("RETENTION_EMAIL_DAYS")),
                _("Accounts: erased %(days)d days after they are deactivated.", days=_days("RETENTION_DEACTIVATED_ACCOUNT_DAYS")),
            )),
            "## " + _("Cookies"),
            _("The site sets one cookie, needed for security: it protects the forms and, if you have an account, keeps you logged in. It expires when you close the browser or, once you have logged in, after %(minutes)d minutes without activity or when you log out.", minutes=int(current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() // 60)),
            "## " + _("Your rights"),
            _("You may see the data we hold about you, correct it, download it, have it erased, and withdraw your signature. The link in your confirmation e-mail opens your signature’s own page, where you can download your data and withdraw. You can also write to %(email)s. You may also complain to the data protection authority of your country.", email=email),
            "## " + _("Changes to this notice"),
            _("When this notice changes, a new version is published here; each signature keeps the version that was accepted, and earlier versions stay readable on this page."),
        ]
    return texts.normalise_text("\n\n".join(parts))


def _row_notice(row: PrivacyNotice) -> Notice:
    return Notice(row.language, row.version, row.body, row.published_at)


def current_notice(language: str) -> Notice:
    row = db.session.scalar(
        sa.select(PrivacyNotice)
        .where(PrivacyNotice.language == language)
        .order_by(PrivacyNotice.version.desc())
        .limit(1)
    )
    if row is None:
        return Notice(language, BUILTIN_VERSION, builtin_notice(language), None)
    return _row_notice(row)


# Read on every signature: kept per process for CURRENT_VERSION_TTL seconds (at once in the
# process that publishes), as the Manifesto's current version is.
CURRENT_VERSION_TTL = 2.0
_CURRENT = "manifesto_privacy_notice_versions"


def current_version(language: str) -> int:
    """The number of the notice in force in ``language``."""
    cache = current_app.extensions.setdefault(_CURRENT, {})
    now = time.monotonic()
    cached = cache.get(language)
    if cached is not None and cached[1] > now:
        return cached[0]
    number = db.session.scalar(
        sa.select(sa.func.max(PrivacyNotice.version)).where(PrivacyNotice.language == language)
    ) or BUILTIN_VERSION
    cache[language] = (number, now + CURRENT_VERSION_TTL)
    return number


def shown_version(language: str, number: int | None) -> int:
    """The version of the notice in ``language`` that a form says it showed, if there is one;
    else the one in force (a form that does not say which, or names one that does not exist,
    is taken to have shown the notice in force, as before forms carried the number).

    Versions are numbered 1, 2, … in each language with no gaps, so only a number newer than
    this process has seen in the last ``CURRENT_VERSION_TTL`` seconds costs a query."""
    current = current_version(language)
    if number is None or number < BUILTIN_VERSION:
        return current
    if number <= current:
        return number
    published = db.session.scalar(sa.select(PrivacyNotice.id).where(
        PrivacyNotice.language == language, PrivacyNotice.version == number))
    return number if published is not None else current


def notice(language: str, version: int) -> Notice | None:
    if version == BUILTIN_VERSION:
        return Notice(language, BUILTIN_VERSION, builtin_notice(language), None)
    row = db.session.scalar(
        sa.select(PrivacyNotice).where(
            PrivacyNotice.language == language, PrivacyNotice.version == version
        )
    )
    return _row_notice(row) if row else None


def versions(language: str) -> list[tuple[int, datetime | None]]:
    """(version, published) for every version in ``language``, newest first."""
    rows = db.session.execute(
        sa.select(PrivacyNotice.version, PrivacyNotice.published_at)
        .where(PrivacyNotice.language == language)
        .order_by(PrivacyNotice.version.desc())
    ).all()
    return [(v, at) for v, at in rows] + [(BUILTIN_VERSION, None)]


def publish_notice(language: str, body: str, user: User) -> int:
    """Publish ``body`` as the next version in ``language``; returns its number."""
    body = texts.normalise_text(body)
    current_app.extensions.pop(_CURRENT, None)
    number = current_version(language) + 1
    db.session.add(PrivacyNotice(language=language, version=number, body=body,
                                 sha256=texts.text_sha256(body), published_by_id=user.id))
    db.session.flush()
    current_app.extensions.pop(_CURRENT, None)
    return number


# --- consent records --------------------------------------------------------------------------

_INSERT_CONSENT = sa.insert(ConsentRecord.__table__)


def record_consent(*, action: ConsentAction, method: ConsentMethod, language: str,
                   version: int, signature_id: int | None = None, user_id: int | None = None,
                   at: datetime | None = None) -> None:
    db.session.connection().execute(_INSERT_CONSENT, {
        "signature_id": signature_id, "user_id": user_id, "action": action, "method": method,
        "notice_language": language, "notice_version": version, "at": at or utcnow(),
    })


def choose_password_from_link(token: UserToken, password: str, language: str,
                              shown_notice: int | None = None) -> bool:
    """Set the password from a secret link (``accounts.use_token``); False if the link was used
    meanwhile. A first password, from the invitation or from "Forgot your password?" alike,
    is where the person agrees to the notice: its consent is recorded with it, against the
    version the form showed (``shown_notice``; see ``shown_version``). The caller asked for
    that consent (the form of a first password has the box)."""
    first = is_invited(token.user)
    if not use_token(token, password):
        return False
    if first:
        record_consent(action=ConsentAction.GIVEN, method=ConsentMethod.PASSWORD_FORM,
                       language=language, version=shown_version(language, shown_notice),
                       user_id=token.user.id)
    return True


def withdraw_signature(signature: Signature, method: ConsentMethod) -> bool:
    """Withdraw a signature (``signing.withdraw``) and record the consent withdrawn, against
    the notice the signatory accepted. False (and nothing recorded) if a simultaneous request
    withdrew it first. Withdrawn from the signatory's own page, a last e-mail says it is done
    (not when a coordinator erases everything about an address)."""
    if not signing.withdraw(signature, tell_signer=method == ConsentMethod.OWN_PAGE):
        return False
    given = db.session.execute(
        sa.select(ConsentRecord.notice_language, ConsentRecord.notice_version)
        .where(ConsentRecord.signature_id == signature.id,
               ConsentRecord.action == ConsentAction.GIVEN)
        .order_by(ConsentRecord.id.desc()).limit(1)
    ).first()
    language, version = given or (signature.language, BUILTIN_VERSION)
    record_consent(action=ConsentAction.WITHDRAWN, method=method, language=language,
                   version=version, signature_id=signature.id)
    return True


def consent_history(*, signature_id: int | None = None, user_id: int | None = None) -> list[dict]:
    column = ConsentRecord.signature_id if signature_id is not None else ConsentRecord.user_id
    rows = db.session.scalars(
        sa.select(ConsentRecord).where(column == (signature_id if signature_id is not None
                                                  else user_id)).order_by(ConsentRecord.id)
    )
    return [
        {"action": r.action.value, "method": r.method.value, "notice_language": r.notice_language,
         "notice_version": r.notice_version, "at": r.at.isoformat()}
        for r in rows
    ]


# --- erasing what identifies a signatory -------------------------------------------------------

ERASED_ON_ANONYMISING = (*signing.ERASED_ON_WITHDRAWAL, "organisation_name")


def anonymise(signature: Signature) -> bool:
    """Reduce a withdrawn or rejected signature to an anonymous entry of the counts: kind,
    status, country, language, version and dates stay (the counters and the dashboard's
    statistics are built from them); names, addresses, links, e-mails and hashes go.

    A compare-and-set on ``erased_at``: False if a simultaneous purge or request did it."""
    table = Signature.__table__
    values = {"rejection_reason": None, "submission_key": None, "ip_hash": None,
              "duplicate_key": None, "erased_at": utcnow()}
    done = db.session.execute(
        sa.update(table).where(table.c.id == signature.id, table.c.erased_at.is_(None),
                               table.c.status.in_((SignatureStatus.WITHDRAWN,
                                                   SignatureStatus.REJECTED)))
        .values(**values)
    ).rowcount
    if not done:
        return False
    for name, value in values.items():
        set_committed_value(signature, name, value)
    signatory = signature.signatory
    others_live = db.session.scalar(
        sa.select(sa.func.count()).select_from(Signature).where(
            Signature.signatory_id == signatory.id, Signature.id != signature.id,
            Signature.erased_at.is_(None),
        )
    )
    if not others_live:
        for name in ERASED_ON_ANONYMISING:
            setattr(signatory, name, None)
        signatory.city = ""
        signatory.name_folded = ""
        signatory.listed_publicly = False
    db.session.execute(sa.delete(SignatureToken).where(SignatureToken.signature_id == signature.id))
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.signature_id == signature.id))
    return True


def erase_unconfirmed(signature: Signature) -> bool:
    """Delete a signature that was never confirmed, with its links, e-mails and signatory.

    A compare-and-set (``transitions.erase``): False, and nothing done, if the signature was
    confirmed (or erased) by a simultaneous request."""
    signatory_id = signature.signatory_id
    # Found before the row goes (deleting it sets their signature_id to NULL).
    emails = list(db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.signature_id == signature.id)))
    if transitions.erase(signature, allowed=(SignatureStatus.PENDING,)) is None:
        return False
    if emails:
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(emails)))
    remaining = db.session.scalar(
        sa.select(sa.func.count()).select_from(Signature).where(Signature.signatory_id == signatory_id)
    )
    if not remaining:
        db.session.execute(sa.delete(Signatory).where(Signatory.id == signatory_id))
    db.session.expunge(signature)
    return True


# --- the rights of the data subject ----------------------------------------------------------


@dataclass
class Subject:
    """Everything held about one e-mail address."""

    email: str
    signatures: list[Signature] = field(default_factory=list)
    accounts: list[User] = field(default_factory=list)
    emails: list[OutboxMessage] = field(default_factory=list)  # not tied to a signature above
    audit_events: int = 0  # actions this address took as a coordinator

    @property
    def empty(self) -> bool:
        return not (self.signatures or self.accounts or self.emails or self.audit_events)


def find_subject(email: str) -> Subject:
    canonical = canonical_email(email)
    plain = normalise_email(email)
    subject = Subject(email=email)
    subject.signatures = list(db.session.scalars(
        sa.select(Signature).join(Signature.signatory)
        .where(Signatory.email_canonical == canonical)  # (indexed; covers any letter case)
        .order_by(Signature.id)
    ))
    subject.accounts = list(db.session.scalars(
        sa.select(User).where(sa.func.lower(User.email) == plain).order_by(User.id)
    ))
    ids = [s.id for s in subject.signatures]
    subject.emails = list(db.session.scalars(
        sa.select(OutboxMessage)
        .where(sa.func.lower(OutboxMessage.to_address) == plain,
               sa.or_(OutboxMessage.signature_id.is_(None), OutboxMessage.signature_id.not_in(ids)))
        .order_by(OutboxMessage.id)
    ))
    subject.audit_events = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent)
        .where(sa.func.lower(AuditEvent.user_email) == plain)
    ) or 0
    return subject


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_subject(subject: Subject) -> dict:
    return {
        "email": subject.email,
        "exported_at": utcnow().isoformat(),
        "signatures": [
            {**signing.export(s), "erased_at": _iso(s.erased_at)}
            for s in subject.signatures
        ],
        "accounts": [
            {
                "name": u.name, "email": u.email, "role": u.role.value,
                "ambassador_city": u.ambassador_city.name if u.ambassador_city else None,
                "language": u.locale, "active": u.active, "created_at": _iso(u.created_at),
                "last_login_at": _iso(u.last_login_at), "deactivated_at": _iso(u.deactivated_at),
                "consent": consent_history(user_id=u.id),
            }
            for u in subject.accounts
        ],
        "emails": [
            {"kind": m.kind, "subject": m.subject, "language": m.language, "to": m.to_address,
             "queued_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
            for m in subject.emails
        ],
        "audit_events_as_coordinator": subject.audit_events,
    }


@dataclass
class Erased:
    signatures: int = 0
    accounts: int = 0
    emails: int = 0
    kept_self: bool = False  # the coordinator's own account is never erased from here


def erase_subject(subject: Subject, by: User) -> Erased:
    """Withdraw and anonymise every signature, delete every account but the coordinator's own
    and every e-mail to the address. The audit log keeps what coordinators did (with their
    address), as the notice says."""
    done = Erased()
    for signature in subject.signatures:
        if signature.status == SignatureStatus.PENDING and erase_unconfirmed(signature):
            done.signatures += 1
            continue
        if signature.status not in (SignatureStatus.WITHDRAWN, SignatureStatus.REJECTED):
            withdraw_signature(signature, ConsentMethod.COORDINATOR)  # (or someone else did)
        anonymise(signature)
        done.signatures += 1
    for message in subject.emails:
        db.session.delete(message)
        done.emails += 1
    for user in subject.accounts:
        if user.id == by.id:
            done.kept_self = True
            continue
        db.session.delete(user)
        done.accounts += 1
    db.session.flush()
    return done
