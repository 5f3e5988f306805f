"""Signing, as the campaign's rules say it happens, with no web framework in sight.

Every change of a signature's status is a compare-and-set (``transitions.change``): of
simultaneous requests for the same change one wins, and only the winner moves the public
counters and the public list, writes the audit entry and queues the e-mail, in the same
transaction. The duplicate rule is held by a unique index (``Signature.duplicate_key``).
E-mails are written to the outbox by ``notify``; callers commit.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from manifesto.access import audit
from manifesto.core.emails import canonical_email
from manifesto.extensions import db
from manifesto.mail import notify
from manifesto.models import (
    ConsentAction,
    ConsentMethod,
    ConsentRecord,
    OrganisationType,
    OutboxMessage,
    OutboxStatus,
    Signatory,
    SignatoryKind,
    SignatoryTheme,
    Signature,
    SignatureStatus,
    SignatureToken,
    Theme,
    TokenPurpose,
    User,
    public_name,
    utcnow,
)
from manifesto.signatures import abuse, counts, transitions
from manifesto.signatures.counts import MAYOR_KINDS
from manifesto.signatures.texts import VersionRef

CONFIRM_TOKEN_LIFETIME = timedelta(days=7)
MAX_SIGNER_EMAILS = 5  # per signature: the first message, new links, "you already signed"
# A flagged signature (any reason) is held: no e-mail goes to the address that was typed until
# a coordinator clears the flag; the signer is told it is under review. Beyond the cap on
# e-mails to one address (notify.within_cap), a new signature is flagged for this reason.
EMAIL_CAP_FLAG = "email_cap"

# Signing is the busiest write: its rows go in with Core statements built once (the ORM's
# unit of work cost more CPU than everything else in the request).
_INSERT_SIGNATORY = sa.insert(Signatory.__table__)
_INSERT_THEMES = sa.insert(SignatoryTheme.__table__)
_INSERT_SIGNATURE = sa.insert(Signature.__table__)
_INSERT_TOKEN = sa.insert(SignatureToken.__table__)
_INSERT_CONSENT = sa.insert(ConsentRecord.__table__)


def fold(text: str | None) -> str:
    """Case-folded, NFKC, single spaces: 'Câmara  Municipal' and 'câmara municipal' match."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())[:200]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token(signature_id: int, purpose: TokenPurpose, raw: str | None = None) -> str:
    """Store a link's secret (a fresh one unless ``raw`` is given); only its hash is kept."""
    raw = raw or secrets.token_urlsafe(32)
    expires = utcnow() + CONFIRM_TOKEN_LIFETIME if purpose == TokenPurpose.CONFIRM else None
    db.session.connection().execute(
        _INSERT_TOKEN,
        {
            "signature_id": signature_id,
            "purpose": purpose,
            "token_hash": hash_token(raw),
            "expires_at": expires,
        },
    )
    return raw


def find_token(raw: str, purpose: TokenPurpose) -> SignatureToken | None:
    if not raw or len(raw) > 100:
        return None
    return db.session.scalar(
        sa.select(SignatureToken).where(
            SignatureToken.token_hash == hash_token(raw), SignatureToken.purpose == purpose
        )
    )


def manage_link_signature(raw: str) -> Signature | None:
    """The signature a signatory's own link opens, unless it was withdrawn."""
    token = find_token(raw, TokenPurpose.MANAGE)
    if token is None or token.signature.status == SignatureStatus.WITHDRAWN:
        return None
    return token.signature


def withdrawn_on(raw: str) -> datetime | None:
    """When the signature behind this own link was withdrawn; None if the link is unknown or
    its signature stands. The trace is the link's hash and the withdrawn signature's date,
    neither of them personal data; the retention purge (``privacy.anonymise``) deletes the
    link's hash, after which the link is simply unknown."""
    token = find_token(raw, TokenPurpose.MANAGE)
    if token is None or token.signature.status != SignatureStatus.WITHDRAWN:
        return None
    return token.signature.withdrawn_at


def duplicate_key(kind: SignatoryKind, country: str, name_folded: str,
                  email_canonical: str | None) -> str | None:
    """What the duplicate rule compares, hashed into one short column that a unique index can
    hold: the e-mail address, and the organisation or the city's mayor (a mayor and a delegate
    of the same city are the same). None without an address (withdrawn, erased). The address is
    in the signatory's row anyway; the hash is erased with it."""
    if not email_canonical:
        return None
    group = "mayor" if kind in MAYOR_KINDS else "organisation"
    text = "\x1f".join((group, country, name_folded, email_canonical))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# --- signing ---------------------------------------------------------------------------------


@dataclass
class SignRequest:
    """What the sign form collected, already validated and stripped."""

    kind: SignatoryKind
    country: str
    city: str
    contact_name: str
    contact_email: str
    language: str
    version: VersionRef
    privacy_notice_version: int  # of the notice in ``language`` that was shown and accepted
    submission_key: str
    organisation_name: str | None = None
    organisation_type: OrganisationType | None = None
    website: str | None = None
    mayor_name: str | None = None
    delegate_name: str | None = None
    delegate_role: str | None = None
    mandate: str | None = None
    themes: list[str] = field(default_factory=list)
    listed_publicly: bool = False
    flag_reasons: list[str] = field(default_factory=list)
    ambassador_city_id: int | None = None
    outreach_activity_id: int | None = None  # with ambassador_city_id: the activity's city
    ip_hash: str | None = None  # keyed hash of the address the form came from


class SignOutcome(enum.StrEnum):
    CREATED = "created"
    REPLAYED = "replayed"  # the same form was posted again (double click, retry)
    DUPLICATE = "duplicate"  # this e-mail already signed for this organisation or city


_SIGNATURE = Signature.__table__
_SIGNATORY = Signatory.__table__
_KEY_TAKEN = sa.select(_SIGNATURE.c.id).where(
    _SIGNATURE.c.submission_key == sa.bindparam("key")
)
_LIVE_DUPLICATE = (
    sa.select(_SIGNATURE.c.id)
    .join(_SIGNATORY, _SIGNATORY.c.id == _SIGNATURE.c.signatory_id)
    .where(
        _SIGNATORY.c.email_canonical == sa.bindparam("email"),
        _SIGNATORY.c.kind.in_(sa.bindparam("kinds", expanding=True)),
        _SIGNATORY.c.country == sa.bindparam("country"),
        _SIGNATORY.c.name_folded == sa.bindparam("name"),
        _SIGNATURE.c.status.in_(counts.LIVE_STATUSES),
    )
    .order_by(_SIGNATURE.c.id)
    .limit(1)
)


def submission_key_taken(key: str) -> int | None:
    """The id of the signature this form (its submission key) already made, if any."""
    return db.session.connection().execute(_KEY_TAKEN, {"key": key}).scalar()


def find_duplicate(req: SignRequest) -> Signature | None:
    """A live signature by the same e-mail for the same organisation, or the same city's mayor."""
    kinds = MAYOR_KINDS if req.kind in MAYOR_KINDS else (SignatoryKind.ORGANISATION,)
    found = db.session.connection().execute(
        _LIVE_DUPLICATE,
        {
            "email": canonical_email(req.contact_email),
            "kinds": [k.value for k in kinds],
            "country": req.country,
            "name": fold(public_name(req)),
        },
    ).scalar()
    return db.session.get(Signature, found) if found is not None else None


SUBMIT_ATTEMPTS = 3


def submit(req: SignRequest) -> tuple[SignOutcome, int]:
    """Record a signature (or recognise a repeat) and queue the e-mail that says what happened.

    Returns what happened and the id of the signature concerned. The checks before the insert
    answer the usual repeats; simultaneous ones are stopped by the database (the unique
    submission key and the unique ``duplicate_key`` of standing signatures): the insert that
    loses rolls its transaction back and is answered as the check would have answered it.
    This must therefore be the first write of its transaction (the sign form's).
    """
    for _attempt in range(SUBMIT_ATTEMPTS):
        existing = submission_key_taken(req.submission_key)
        if existing is not None:
            return SignOutcome.REPLAYED, existing
        duplicate = find_duplicate(req)
        if duplicate is not None:
            _answer_duplicate(duplicate, req.language)
            return SignOutcome.DUPLICATE, duplicate.id
        try:
            return SignOutcome.CREATED, _create(req)
        except IntegrityError:
            # Another request inserted the same form or the same signatory meanwhile and
            # committed first: its row is now visible to the checks above.
            db.session.rollback()
    raise RuntimeError("a signature kept conflicting with one that could not be found")


def _answer_duplicate(duplicate: Signature, language: str) -> None:
    """Someone signs again what they already signed: a new link if it waits for confirmation,
    else "you already signed" with their own link, within the caps on e-mails (per signature
    and per address). A flagged signature is held: nothing is sent until a coordinator clears
    it."""
    if duplicate.flagged:
        return
    if duplicate.status == SignatureStatus.PENDING:
        send_confirmation(duplicate, language=language)
    elif notify.within_cap(duplicate.signatory.contact_email) and _count_signer_email(duplicate):
        notify.already_signed(duplicate, new_token(duplicate.id, TokenPurpose.MANAGE), language)


def _count_signer_email(signature: Signature) -> bool:
    """Count one more e-mail to the signer if the cap allows it, atomically: of simultaneous
    requests, only as many as the cap leaves room for get True."""
    table = Signature.__table__
    counted = db.session.execute(
        sa.update(table)
        .where(table.c.id == signature.id, table.c.signer_emails_sent < MAX_SIGNER_EMAILS)
        .values(signer_emails_sent=table.c.signer_emails_sent + 1)
    ).rowcount
    if counted:
        db.session.expire(signature, ["signer_emails_sent"])
    return bool(counted)


def _create(req: SignRequest) -> int:
    # Everything that takes time happens before the first write: on SQLite the write lock is
    # held from the first write to the commit, and other workers wait for it.
    reasons = set(req.flag_reasons)
    send = not reasons  # a flagged signature is held: no e-mail until a coordinator clears it
    if send:
        confirm_token, manage_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        message = notify.confirm(req, confirm_token, manage_token, req.language)
        # The first write (it locks the address until the commit): beyond the cap on e-mails
        # to this address, the signature is taken in but held, and nothing is sent.
        if not notify.within_cap(req.contact_email):
            reasons.add(EMAIL_CAP_FLAG)
            send = False
    flagged = bool(reasons)
    themes = list(dict.fromkeys(Theme(t) for t in req.themes))
    now = utcnow()
    connection = db.session.connection()
    organisation = req.kind == SignatoryKind.ORGANISATION
    mayor = req.kind in MAYOR_KINDS
    delegate = req.kind == SignatoryKind.DELEGATE
    email_canonical = canonical_email(req.contact_email)
    signatory_id = connection.execute(
        _INSERT_SIGNATORY,
        {
            "kind": req.kind,
            "organisation_name": req.organisation_name if organisation else None,
            "organisation_type": req.organisation_type if organisation else None,
            "country": req.country,
            "city": req.city,
            "website": req.website if organisation else None,
            "mayor_name": req.mayor_name if mayor else None,
            "delegate_name": req.delegate_name if delegate else None,
            "delegate_role": req.delegate_role if delegate else None,
            "mandate": req.mandate if delegate else None,
            "contact_name": req.contact_name,
            "contact_email": req.contact_email,
            "email_canonical": email_canonical,
            "name_folded": fold(public_name(req)),
            "listed_publicly": req.listed_publicly,
        },
    ).inserted_primary_key[0]
    if themes:
        connection.execute(
            _INSERT_THEMES, [{"signatory_id": signatory_id, "theme": t} for t in themes]
        )
    signature_id = connection.execute(
        _INSERT_SIGNATURE,
        {
            "signatory_id": signatory_id,
            "manifesto_version_id": req.version.id,
            "language": req.language,
            "text_sha256": req.version.sha256,
            "status": SignatureStatus.PENDING,
            "privacy_notice_version": str(req.privacy_notice_version),
            "ip_hash": req.ip_hash,
            "submission_key": req.submission_key,
            "flagged": flagged,
            "flag_reasons": ",".join(sorted(reasons)) or None,
            "ambassador_city_id": req.ambassador_city_id,
            "outreach_activity_id": req.outreach_activity_id,
            "signer_emails_sent": 1 if send else 0,
            "created_at": now,
            "duplicate_key": duplicate_key(req.kind, req.country, fold(public_name(req)),
                                           email_canonical),
        },
    ).inserted_primary_key[0]
    connection.execute(_INSERT_CONSENT, {
        "signature_id": signature_id, "action": ConsentAction.GIVEN,
        "method": ConsentMethod.SIGN_FORM, "notice_language": req.language,
        "notice_version": req.privacy_notice_version, "at": now,
    })
    if send:
        new_token(signature_id, TokenPurpose.CONFIRM, confirm_token)
        new_token(signature_id, TokenPurpose.MANAGE, manage_token)
        if message is not None:
            message.queue(signature_id)
    # Last, just before the commit: on PostgreSQL every signature of the same kind and country
    # updates the same counter row, and holds its lock until the commit.
    if not flagged:
        counts.move(req.kind, SignatureStatus.PENDING, req.country, now.date(), req.language,
                    themes, +1)
    return signature_id


def send_confirmation(
    signature: Signature, language: str | None = None, *, capped: bool = True
) -> bool:
    """Queue a confirmation link (and the signatory's own link), within the e-mail caps: per
    signature (``MAX_SIGNER_EMAILS``, counted atomically) and, unless ``capped`` is False (a
    coordinator's decision), per address (``notify.within_cap``)."""
    if capped and not notify.within_cap(signature.signatory.contact_email):
        return False
    if not _count_signer_email(signature):
        return False
    _queue_confirmation(signature, language)
    return True


def _queue_confirmation(signature: Signature, language: str | None = None) -> None:
    message = notify.confirm(
        signature.signatory,
        new_token(signature.id, TokenPurpose.CONFIRM),
        new_token(signature.id, TokenPurpose.MANAGE),
        language or signature.language,
    )
    if message is not None:
        message.queue(signature.id)


def resend_confirmations(address: str, language: str) -> int:
    """New links for every signature by this address still waiting for confirmation, except
    flagged ones (held until a coordinator clears them)."""
    pending = db.session.scalars(
        sa.select(Signature)
        .join(Signature.signatory)
        .where(
            Signatory.email_canonical == canonical_email(address),
            Signature.status == SignatureStatus.PENDING,
            Signature.flagged.is_(False),
        )
        .order_by(Signature.id)
    ).all()
    sent = 0
    for signature in pending:
        sent += send_confirmation(signature, language)
    return sent


def send_own_links(address: str, language: str, client: str) -> int:
    """"Lost your link?": one e-mail, in ``language``, with a fresh link to the own page of
    each signature made with this address (its canonical form) that still has one: standing
    or rejected, and not yet anonymised. A flagged signature is left out, as every e-mail to
    its address waits until a coordinator clears it: otherwise a bot that signed with
    someone's address could have this form write to them. Returns how many links went; the
    caller answers the same whatever it is.

    Older links stay valid, as when confirming or signing again gives a new one: a link that
    is lost is not in anyone's hands, and withdrawing still closes all of them. Beyond the
    limits per address and per client (``abuse.own_links_allowed``), nothing is sent. The
    e-mail goes to the address as the signatory typed it when signing (the first one). The
    limits are counted in a transaction of their own: call this before any write of yours."""
    if not abuse.own_links_allowed(address, client):
        return 0
    found = db.session.scalars(
        sa.select(Signature)
        .join(Signature.signatory)
        .where(
            Signatory.email_canonical == canonical_email(address),
            Signatory.contact_email.is_not(None),
            Signature.erased_at.is_(None),
            Signature.status.in_((*counts.LIVE_STATUSES, SignatureStatus.REJECTED)),
            Signature.flagged.is_(False),
        )
        .order_by(Signature.id)
    ).all()
    if not found:
        return 0
    links = [(signature, new_token(signature.id, TokenPurpose.MANAGE)) for signature in found]
    notify.own_links(found[0].signatory.contact_email, links, language)
    return len(links)


def held_for_review(signature_id: int) -> bool:
    """Whether this signature is flagged, so that its signer is told it is under review."""
    return bool(db.session.scalar(sa.select(Signature.flagged).where(Signature.id == signature_id)))


class ConfirmResult(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # the link was used, or the signature is past pending
    EXPIRED = "expired"
    INVALID = "invalid"


def check_confirm_token(raw: str) -> tuple[ConfirmResult, SignatureToken | None]:
    """What the confirmation link would do, without doing it (GET shows a button)."""
    token = find_token(raw, TokenPurpose.CONFIRM)
    if token is None or token.signature.status in (
        SignatureStatus.WITHDRAWN,
        SignatureStatus.REJECTED,
    ):
        return ConfirmResult.INVALID, None
    if token.used_at is not None or token.signature.status != SignatureStatus.PENDING:
        return ConfirmResult.ALREADY, token
    if token.expires_at is not None and token.expires_at < utcnow():
        return ConfirmResult.EXPIRED, token
    return ConfirmResult.CONFIRMED, token


def confirm(raw: str) -> tuple[ConfirmResult, str | None]:
    """Confirm the signature a confirmation link is for. Returns what happened and, when this
    click confirmed it, a fresh link to the signatory's own page (its raw MANAGE token): the
    page they land on. The caller commits (or rolls back when nothing was confirmed)."""
    result, token = check_confirm_token(raw)
    if result != ConfirmResult.CONFIRMED:
        return result, None
    # Claim the token atomically: of two simultaneous clicks, one confirms.
    claimed = db.session.execute(
        sa.update(SignatureToken)
        .where(SignatureToken.id == token.id, SignatureToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return ConfirmResult.ALREADY, None
    # And the signature: its other links (a new one was asked for) may be used at the same time.
    signature = token.signature
    won = transitions.change(signature, allowed=(SignatureStatus.PENDING,),
                             status=SignatureStatus.CONFIRMED, confirmed_at=utcnow())
    if won is None:
        return ConfirmResult.ALREADY, None
    return ConfirmResult.CONFIRMED, new_token(signature.id, TokenPurpose.MANAGE)


# --- coordinators -----------------------------------------------------------------------------


class Decision(enum.StrEnum):
    """What a coordinator's click on a signature did."""

    DONE = "done"
    ALREADY = "already"  # another click (theirs or a colleague's) did it first
    NOT_NOW = "not_now"  # the signature is not in a state this decision applies to


def _decided(won: transitions.Won | None, signature: Signature, already) -> Decision:
    if won is not None:
        return Decision.DONE
    db.session.expire(signature)  # read the row as the winner left it
    return Decision.ALREADY if already(signature) else Decision.NOT_NOW


def verify(signature: Signature, coordinator: User) -> Decision:
    """A mayor's or delegate's mandate checked: counted, listed, told so.

    Only a confirmed signature that is not flagged can be verified, as its row says at the
    moment of the change (the compare-and-set checks both): any other is refused as NOT_NOW
    (ALREADY if it is verified), and nothing changes."""
    won = transitions.change(
        signature, allowed=(SignatureStatus.CONFIRMED,), if_flagged=False,
        status=SignatureStatus.VERIFIED, verified_at=utcnow(), verified_by_id=coordinator.id,
    )
    if won is not None:
        audit.record(coordinator, audit.VERIFY, signature=signature.id)
        notify.verified(signature, new_token(signature.id, TokenPurpose.MANAGE))
    return _decided(won, signature, lambda s: s.status == SignatureStatus.VERIFIED)


def reject(signature: Signature, coordinator: User, reason: str) -> Decision:
    won = transitions.change(
        signature, allowed=counts.LIVE_STATUSES,
        status=SignatureStatus.REJECTED, rejected_at=utcnow(), rejection_reason=reason,
        verified_by_id=coordinator.id, duplicate_key=None,
    )
    if won is not None:
        audit.record(coordinator, audit.REJECT, signature=signature.id)
        if signature.signer_emails_sent > 0:  # the person knows they signed: tell them why
            notify.rejected(signature, reason)
    return _decided(won, signature, lambda s: s.status == SignatureStatus.REJECTED)


def clear_flag(signature: Signature, coordinator: User) -> Decision:
    """The signature is treated like any other. Of simultaneous clicks, one wins: it moves the
    counters, writes the audit entry and, for a signature still waiting for confirmation, sends
    the confirmation e-mail held back since it was flagged."""
    won = transitions.change(signature, allowed=counts.LIVE_STATUSES, if_flagged=True,
                             flagged=False)
    if won is not None:
        audit.record(coordinator, audit.CLEAR_FLAG, signature=signature.id)
        if won.status == SignatureStatus.PENDING:
            _send_held_confirmation(signature)
    return _decided(won, signature,
                    lambda s: not s.flagged and s.status in counts.LIVE_STATUSES)


def _send_held_confirmation(signature: Signature) -> None:
    """The confirmation held back while the signature was flagged, once (only if none was ever
    sent), whatever the cap on e-mails to its address, since a coordinator decided. Claimed in
    the database, so that it goes once whatever else runs at the same time."""
    claimed = db.session.execute(
        sa.update(Signature)
        .where(Signature.id == signature.id, Signature.signer_emails_sent == 0)
        .values(signer_emails_sent=1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        set_committed_value(signature, "signer_emails_sent", 1)
        _queue_confirmation(signature)


def review_queue() -> tuple[list[Signature], list[Signature]]:
    """(mandates to verify, flagged signatures), oldest first."""
    mandates = db.session.scalars(
        sa.select(Signature)
        .join(Signature.signatory)
        .where(
            Signatory.kind.in_(MAYOR_KINDS),
            Signature.status == SignatureStatus.CONFIRMED,
            Signature.flagged.is_(False),
        )
        .order_by(Signature.confirmed_at, Signature.id)
    ).all()
    flagged = db.session.scalars(
        sa.select(Signature)
        .where(Signature.flagged == sa.true(), Signature.status.in_(counts.LIVE_STATUSES))
        .order_by(Signature.created_at, Signature.id)
    ).all()
    return list(mandates), list(flagged)


def same_address_count(signature: Signature) -> int:
    """Other signatures from the same address (by its keyed hash) while hashes are kept."""
    if not signature.ip_hash:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Signature)
        .where(Signature.ip_hash == signature.ip_hash, Signature.id != signature.id)
    ) or 0


def same_city_signatures(signature: Signature) -> list[Signature]:
    """Other live mayor or delegate signatures for the same city: a coordinator checks these."""
    return list(
        db.session.scalars(
            sa.select(Signature)
            .join(Signature.signatory)
            .where(
                Signature.id != signature.id,
                Signatory.kind.in_(MAYOR_KINDS),
                Signatory.country == signature.signatory.country,
                Signatory.name_folded == signature.signatory.name_folded,
                Signature.status.in_(counts.LIVE_STATUSES),
            )
        )
    )


# --- the signatory's own rights ---------------------------------------------------------------

ERASED_ON_WITHDRAWAL = (
    "contact_name",
    "contact_email",
    "email_canonical",
    "mayor_name",
    "delegate_name",
    "delegate_role",
    "mandate",
    "website",
)


def withdraw(signature: Signature, *, tell_signer: bool = False) -> bool:
    """Off the list and out of the counts; personal data erased; the audit facts stay.

    Kept: kind, organisation name or city, country, version, language, text hash, dates; and
    the hashes of the signatory's own links, which now answer that the signature was withdrawn
    and when (``withdrawn_on``; its confirmation links go). With ``tell_signer``, a last e-mail
    to the address being erased says it is done, in the language of the signature. False if
    the signature was no longer standing (withdrawn by a simultaneous request).
    """
    now = utcnow()
    won = transitions.change(signature, allowed=counts.LIVE_STATUSES,
                             status=SignatureStatus.WITHDRAWN, withdrawn_at=now,
                             rejection_reason=None, submission_key=None, duplicate_key=None)
    if won is None:
        return False
    signatory = signature.signatory
    # Written while the address and names are still there; queued once the old e-mails are.
    goodbye = notify.withdrawn(signatory, now, signature.language) if tell_signer else None
    for name in ERASED_ON_WITHDRAWAL:
        setattr(signatory, name, None)
    signatory.listed_publicly = False
    signatory.themes = []
    db.session.execute(sa.delete(SignatureToken).where(
        SignatureToken.signature_id == signature.id,
        SignatureToken.purpose != TokenPurpose.MANAGE))
    db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.signature_id == signature.id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.signature_id == signature.id)
        .values(to_address=None, body_text=None)
    )
    if goodbye is not None:
        goodbye.queue(signature.id)  # the purge of withdrawn signatures deletes it with them
    return True


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(signature: Signature) -> dict:
    """Everything stored about this signature and its signatory, for "download my data"."""
    s, who = signature, signature.signatory
    emails = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.signature_id == s.id)
        .order_by(OutboxMessage.id)
    )
    return {
        "signatory": {
            "kind": who.kind.value,
            "organisation_name": who.organisation_name,
            "organisation_type": who.organisation_type.value if who.organisation_type else None,
            "country": who.country,
            "city": who.city,
            "website": who.website,
            "mayor_name": who.mayor_name,
            "delegate_name": who.delegate_name,
            "delegate_role": who.delegate_role,
            "mandate": who.mandate,
            "contact_name": who.contact_name,
            "contact_email": who.contact_email,
            "themes": [t.value for t in who.themes],
            "listed_publicly": who.listed_publicly,
            "created_at": _iso(who.created_at),
        },
        "signature": {
            "status": s.status.value,
            "manifesto_version": s.manifesto_version.number,
            "language": s.language,
            "text_sha256": s.text_sha256,
            "privacy_notice_version": s.privacy_notice_version,
            "created_at": _iso(s.created_at),
            "confirmed_at": _iso(s.confirmed_at),
            "verified_at": _iso(s.verified_at),
            "rejected_at": _iso(s.rejected_at),
            "rejection_reason": s.rejection_reason,
            "listed_since": _iso(s.public_since),
            "address_hash": s.ip_hash,
        },
        "consent": [
            {"action": c.action.value, "method": c.method.value,
             "notice_language": c.notice_language, "notice_version": c.notice_version,
             "at": _iso(c.at)}
            for c in s.consents
        ],
        "emails": [
            {
                "kind": m.kind,
                "subject": m.subject,
                "language": m.language,
                "to": m.to_address,
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in emails
        ],
    }
