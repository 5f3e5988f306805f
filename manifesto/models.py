"""The domain's core tables.

Names follow the campaign's words: a *signatory* (who signs: an organisation, a mayor, or a
delegate signing for a mayor) makes a *signature* (one act of signing a given *manifesto
version*, with a status); *ambassador cities* log *outreach activities*; *targets* are the
published, dated goals. ``SignatureCount`` holds the counts public pages read, so no page
counts signature rows per request.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import orm as so

from manifesto.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes on every database (SQLite would hand back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """Store an enum as its value in a plain string column, on SQLite and PostgreSQL alike."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    AMBASSADOR = "ambassador"


class SignatoryKind(enum.StrEnum):
    ORGANISATION = "organisation"
    MAYOR = "mayor"
    DELEGATE = "delegate"  # signs for a mayor, with a mandate


class OrganisationType(enum.StrEnum):
    PUBLIC_AUTHORITY = "public_authority"
    COMPANY = "company"
    NGO = "ngo"  # NGO or civil society
    UNIVERSITY = "university"  # university or research
    CITIZENS_GROUP = "citizens_group"
    OTHER = "other"


class SignatureStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the e-mail confirmation
    CONFIRMED = "confirmed"
    VERIFIED = "verified"  # a coordinator checked the mayor's mandate
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Theme(enum.StrEnum):
    """What a signatory would prioritise; the sign form offers these, the list filters by them."""

    MOBILITY = "mobility"
    ENERGY = "energy"
    DIGITAL_INCLUSION = "digital_inclusion"
    DATA_PRIVACY = "data_privacy"
    PARTICIPATION = "participation"  # participation and participatory budgeting
    PUBLIC_SERVICES = "public_services"
    ACCESSIBILITY = "accessibility"
    SKILLS = "skills"  # digital skills and education
    HOUSING = "housing"
    ENVIRONMENT = "environment"


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"  # single use, expires
    MANAGE = "manage"  # the signatory's own page; valid until withdrawal


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class PipelineStage(enum.StrEnum):
    CANDIDATE = "candidate"
    INTERVIEWED = "interviewed"
    AMBASSADOR = "ambassador"
    ALUMNI = "alumni"


class ActivityType(enum.StrEnum):
    INTERVIEW = "interview"
    EVENT = "event"
    WORKSHOP = "workshop"
    WEBINAR = "webinar"
    MAYOR_MEETING = "mayor_meeting"
    MEDIA = "media"
    NEWSLETTER = "newsletter"  # newsletter or social media
    TRANSLATION = "translation"
    OTHER = "other"


class UserTokenPurpose(enum.StrEnum):
    INVITE = "invite"  # set a first password
    RESET = "reset"  # choose a new password


class ConsentAction(enum.StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class ConsentMethod(enum.StrEnum):
    """How consent was given or withdrawn."""

    SIGN_FORM = "sign_form"  # ticked the box on the sign form
    PASSWORD_FORM = "password_form"  # ticked the box when choosing a first password
    OWN_PAGE = "own_page"  # the button on the signatory's own page
    COORDINATOR = "coordinator"  # a coordinator, at the person's written request
    IMPORTED = "imported"  # recorded before consent records existed (migration 0007)


class BestPracticeStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # written by an ambassador, waiting for a coordinator
    PUBLISHED = "published"


class TargetMetric(enum.StrEnum):
    MAYORS_SIGNED = "mayors_signed"  # mayors or delegates, verified
    ORGANISATIONS_SIGNED = "organisations_signed"
    ALL_SIGNATURES = "all_signatures"
    AMBASSADOR_CITIES = "ambassador_cities"
    ACTIVITIES = "activities"
    PEOPLE_REACHED = "people_reached"
    MAYORS_ENGAGED = "mayors_engaged"


class TargetScope(enum.StrEnum):
    ALL = "all"
    COUNTRY = "country"
    AMBASSADOR_CITY = "ambassador_city"


class TargetStatus(enum.StrEnum):
    """How a target stands today; worked out by ``targets.evaluate``, never stored.

    Until the deadline has passed: achieved (reached already), on track or behind. After it:
    met (reached by the deadline) or missed."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MET = "met"
    MISSED = "missed"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    # None until the invited person sets a password.
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    role: so.Mapped[Role] = so.mapped_column(str_enum(Role))
    ambassador_city_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ambassador_city.id", ondelete="SET NULL"), index=True
    )
    locale: so.Mapped[str] = so.mapped_column(sa.String(5), default="en")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    deactivated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Part of the id in the session cookie: changing it (new password, deactivation) ends
    # every session of this user at once.
    session_nonce: so.Mapped[str] = so.mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(8), server_default=""
    )

    ambassador_city: so.Mapped[AmbassadorCity | None] = so.relationship(back_populates="users")
    consents: so.Mapped[list[ConsentRecord]] = so.relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ConsentRecord.id"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class ManifestoVersion(db.Model):
    """One published text of the Manifesto in one language; a version number spans languages."""

    __tablename__ = "manifesto_version"
    __table_args__ = (sa.UniqueConstraint("number", "language"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[int]
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)  # Markdown, without raw HTML
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )


class Signatory(db.Model):
    """Who signs. Contact name and e-mail are never published."""

    __tablename__ = "signatory"
    # With the id, PostgreSQL answers "is this signatory in that country?" from the index
    # alone (SQLite's indexes carry the rowid anyway).
    __table_args__ = (sa.Index("ix_signatory_country", "country", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[SignatoryKind] = so.mapped_column(str_enum(SignatoryKind))
    organisation_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    organisation_type: so.Mapped[OrganisationType | None] = so.mapped_column(
        str_enum(OrganisationType)
    )
    country: so.Mapped[str] = so.mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    city: so.Mapped[str] = so.mapped_column(sa.String(120))
    website: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    mayor_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    delegate_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    delegate_role: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    mandate: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Contact details are erased (set to None) when the signatory withdraws.
    contact_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    contact_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    # Lower-cased, +tags and provider-ignored dots removed: finds the same person twice.
    email_canonical: so.Mapped[str | None] = so.mapped_column(sa.String(254), index=True)
    # The public name (organisation or city) case-folded: duplicate checks and name search.
    name_folded: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    listed_publicly: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    signatures: so.WriteOnlyMapped[Signature] = so.relationship(back_populates="signatory")
    theme_rows: so.Mapped[list[SignatoryTheme]] = so.relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SignatoryTheme.theme"
    )

    @property
    def themes(self) -> list[Theme]:
        return [row.theme for row in self.theme_rows]

    @themes.setter
    def themes(self, values) -> None:
        self.theme_rows = [SignatoryTheme(theme=Theme(v)) for v in dict.fromkeys(values)]

    @property
    def display_name(self) -> str:
        return public_name(self)


def public_name(who) -> str:
    """The name a signatory is listed, searched and written to under: the organisation's, or
    for a mayor (or a delegate signing for one) the city's. ``who`` is anything with ``kind``,
    ``organisation_name`` and ``city``: a ``Signatory``, the sign form's ``SignRequest``, a row
    of the public list."""
    if who.kind == SignatoryKind.ORGANISATION:
        return who.organisation_name or ""
    return who.city


class SignatoryTheme(db.Model):
    __tablename__ = "signatory_theme"
    __table_args__ = (sa.Index("ix_signatory_theme_theme", "theme", "signatory_id"),)

    signatory_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("signatory.id", ondelete="CASCADE"), primary_key=True
    )
    theme: so.Mapped[Theme] = so.mapped_column(str_enum(Theme, 30), primary_key=True)


# The statuses in which a signature stands, as SQL on its own columns (the partial unique index).
DUPLICATE_KEY_LIVE = "duplicate_key IS NOT NULL AND status IN ('pending', 'confirmed', 'verified')"


class Signature(db.Model):
    """One act of signing, bound to the exact text (version, language, hash) that was signed."""

    __tablename__ = "signature"
    __table_args__ = (
        sa.Index("ix_signature_public_since", "public_since", "id"),
        # The dashboard counts the flagged signatures made in a period (and finds their
        # signatories, for a country) from the index alone.
        sa.Index("ix_signature_flagged_status_created_at", "flagged", "status", "created_at",
                 "signatory_id"),
        # Most signatures came through no city's or activity's link: indexing only those that
        # did keeps these indexes small and tells the planners (SQLite's statistics average
        # over every row) that a lookup by city or activity finds few rows.
        sa.Index("ix_signature_ambassador_city_id", "ambassador_city_id",
                 sqlite_where=sa.text("ambassador_city_id IS NOT NULL"),
                 postgresql_where=sa.text("ambassador_city_id IS NOT NULL")),
        sa.Index("ix_signature_outreach_activity_id", "outreach_activity_id",
                 sqlite_where=sa.text("outreach_activity_id IS NOT NULL"),
                 postgresql_where=sa.text("outreach_activity_id IS NOT NULL")),
        # Abuse review (other signatures from the same address) and the purge of old hashes.
        sa.Index("ix_signature_ip_hash", "ip_hash", "created_at",
                 sqlite_where=sa.text("ip_hash IS NOT NULL"),
                 postgresql_where=sa.text("ip_hash IS NOT NULL")),
        # The duplicate rule, held by the database: one standing signature per e-mail address
        # and organisation (or city's mayor). Of simultaneous identical signatures, one insert
        # wins; the others fail here and are answered as duplicates (``signing.submit``).
        sa.Index("uq_signature_duplicate_key", "duplicate_key", unique=True,
                 sqlite_where=sa.text(DUPLICATE_KEY_LIVE),
                 postgresql_where=sa.text(DUPLICATE_KEY_LIVE)),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    signatory_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("signatory.id", ondelete="CASCADE"), index=True
    )
    manifesto_version_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("manifesto_version.id", ondelete="RESTRICT")
    )
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    text_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    status: so.Mapped[SignatureStatus] = so.mapped_column(
        str_enum(SignatureStatus), default=SignatureStatus.PENDING, index=True
    )
    privacy_notice_version: so.Mapped[str] = so.mapped_column(sa.String(20))
    ambassador_city_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ambassador_city.id", ondelete="SET NULL")
    )
    outreach_activity_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("outreach_activity.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    verified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    verified_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    rejected_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    rejection_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The random key the sign form carried: a retried or double-clicked POST finds this row.
    submission_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # Held for a coordinator (honeypot, too fast, rate limit, e-mail cap): not counted or listed,
    # and no e-mail sent to the address typed, until cleared.
    flagged: so.Mapped[bool] = so.mapped_column(default=False)
    flag_reasons: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # E-mails the signer's own actions caused (sign, resend, sign again): capped.
    signer_emails_sent: so.Mapped[int] = so.mapped_column(default=0)
    # A keyed hash (HMAC) of the address the form came from: abuse review only; erased after
    # IP_HASH_RETENTION_DAYS by ``privacy purge``. The address itself is never stored.
    ip_hash: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # When what identified the signatory was erased (retention or a data-subject request): the
    # row is then an anonymous entry of the counts (kind, status, country, language, dates).
    erased_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set while the signature is on the public list (counted, consented, not flagged).
    public_since: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # While the signature stands (pending, confirmed, verified): a keyed hash of who signed for
    # what (``signing.duplicate_key``); erased when it is withdrawn, rejected or erased.
    duplicate_key: so.Mapped[str | None] = so.mapped_column(sa.String(32))

    signatory: so.Mapped[Signatory] = so.relationship(back_populates="signatures")
    manifesto_version: so.Mapped[ManifestoVersion] = so.relationship()
    ambassador_city: so.Mapped[AmbassadorCity | None] = so.relationship()
    outreach_activity: so.Mapped[OutreachActivity | None] = so.relationship()
    consents: so.Mapped[list[ConsentRecord]] = so.relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ConsentRecord.id"
    )


class SignatureCount(db.Model):
    """Signatures per (kind, status, country), kept current by the code that changes a status."""

    __tablename__ = "signature_count"

    kind: so.Mapped[SignatoryKind] = so.mapped_column(str_enum(SignatoryKind), primary_key=True)
    status: so.Mapped[SignatureStatus] = so.mapped_column(
        str_enum(SignatureStatus), primary_key=True
    )
    country: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class SignatureCountDay(db.Model):
    """How much each counter moved on one day (UTC). Summed up to a day, these rows give every
    counter as it stood at the end of that day: the count history, burn-up charts and paces."""

    __tablename__ = "signature_count_day"

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    kind: so.Mapped[SignatoryKind] = so.mapped_column(str_enum(SignatoryKind), primary_key=True)
    status: so.Mapped[SignatureStatus] = so.mapped_column(
        str_enum(SignatureStatus), primary_key=True
    )
    country: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    delta: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class SignatureTotalDay(db.Model):
    """``signature_count_day`` summed over the countries: the campaign-wide history reads a
    few thousand rows instead of one per country and day. Kept by ``counts.adjust``."""

    __tablename__ = "signature_total_day"

    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    kind: so.Mapped[SignatoryKind] = so.mapped_column(str_enum(SignatoryKind), primary_key=True)
    status: so.Mapped[SignatureStatus] = so.mapped_column(
        str_enum(SignatureStatus), primary_key=True
    )
    delta: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class DashboardStat(db.Model):
    """Signatures by the UTC day (or month) they were made and where they stand now, counted
    by facet: the coordinators' dashboard sums a few hundred of these rows for any date range
    and country instead of reading a million signatures.

    Each live signature is counted, under its current ``kind`` and ``status``:

    - in ``facet`` "language" (``value``: the language of signing) and "theme" (one row per
      theme prioritised; withdrawn signatures are left out, their themes are erased), both for
      its ``country`` and for all countries (``country`` "");
    - in ``facet`` "country" (``value``: its country), for all countries only;

    each at two spans: "d", the day it was made, and "m", that month (``day`` is then
    the first of the month), so a long range reads whole months and only its ragged ends by
    day. Flagged signatures are left out, as in the counters. ``counts.adjust_stats`` keeps it
    in the same transaction as the status change.
    """

    __tablename__ = "dashboard_stat"

    span: so.Mapped[str] = so.mapped_column(sa.String(1), primary_key=True)
    country: so.Mapped[str] = so.mapped_column(sa.String(2), primary_key=True)
    facet: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(primary_key=True)
    value: so.Mapped[str] = so.mapped_column(sa.String(30), primary_key=True)
    kind: so.Mapped[SignatoryKind] = so.mapped_column(str_enum(SignatoryKind), primary_key=True)
    status: so.Mapped[SignatureStatus] = so.mapped_column(
        str_enum(SignatureStatus), primary_key=True
    )
    count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class SignatureToken(db.Model):
    """A secret link for one signature; only the SHA-256 of the token is stored."""

    __tablename__ = "signature_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    signature_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("signature.id", ondelete="CASCADE"), index=True
    )
    purpose: so.Mapped[TokenPurpose] = so.mapped_column(str_enum(TokenPurpose))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    signature: so.Mapped[Signature] = so.relationship()


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as the change that caused it; a worker sends it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # The e-mails one address received lately: the cap on signing e-mails counts these.
        sa.Index("ix_outbox_message_recipient", "recipient_hash", "created_at",
                 sqlite_where=sa.text("recipient_hash IS NOT NULL"),
                 postgresql_where=sa.text("recipient_hash IS NOT NULL")),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))  # e.g. "confirm", "verified"
    signature_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("signature.id", ondelete="SET NULL"), index=True
    )
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    # Recipient and body are erased once the message is sent or the signatory withdraws.
    to_address: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    # A keyed hash of the canonical recipient (``keyed.keyed_hash``): it outlives the address,
    # so the e-mails an address was sent can still be counted once they are sent.
    recipient_hash: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    body_text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    message_id: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    status: so.Mapped[OutboxStatus] = so.mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # A worker that claims a message holds it until this time; another may take it after.
    claimed_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class AttemptCounter(db.Model):
    """How many attempts one key (a keyed hash: of an account, an address of origin, an e-mail
    recipient) made under one limit, in a window that ends at ``resets_at``.

    Counted in the database so that every worker of the server sees the same count; one
    statement adds an attempt and returns the new count (``throttle.hit``).
    """

    __tablename__ = "attempt_counter"
    __table_args__ = (sa.UniqueConstraint("limit_name", "key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    limit_name: so.Mapped[str] = so.mapped_column(sa.String(40))
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    hits: so.Mapped[int] = so.mapped_column(default=0)
    resets_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)


class AmbassadorCity(db.Model):
    __tablename__ = "ambassador_city"
    __table_args__ = (sa.UniqueConstraint("name", "country"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    country: so.Mapped[str] = so.mapped_column(sa.String(2))
    stage: so.Mapped[PipelineStage] = so.mapped_column(
        str_enum(PipelineStage), default=PipelineStage.CANDIDATE, index=True
    )
    interview_date: so.Mapped[date | None]
    interviewer: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    interview_notes: so.Mapped[str | None] = so.mapped_column(sa.Text)  # private
    commitment_date: so.Mapped[date | None]
    commitment_statement: so.Mapped[str | None] = so.mapped_column(sa.Text)
    languages: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    countries: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    referral_code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    users: so.Mapped[list[User]] = so.relationship(back_populates="ambassador_city")
    activities: so.WriteOnlyMapped[OutreachActivity] = so.relationship(
        back_populates="ambassador_city", passive_deletes=True
    )


class OutreachActivity(db.Model):
    __tablename__ = "outreach_activity"
    __table_args__ = (
        sa.CheckConstraint(
            "audience_reached >= 0 AND mayors_engaged >= 0 AND organisations_engaged >= 0",
            name="non_negative_counts",
        ),
        # Covers the dashboard's sums by city and type over a date range (read from the index
        # alone) and every lookup by city.
        sa.Index("ix_outreach_activity_city_type_date", "ambassador_city_id", "type", "date",
                 "audience_reached", "mayors_engaged", "organisations_engaged"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ambassador_city_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ambassador_city.id", ondelete="CASCADE")
    )
    date: so.Mapped[date] = so.mapped_column(index=True)
    type: so.Mapped[ActivityType] = so.mapped_column(str_enum(ActivityType))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    audience_reached: so.Mapped[int] = so.mapped_column(default=0)
    mayors_engaged: so.Mapped[int] = so.mapped_column(default=0)
    organisations_engaged: so.Mapped[int] = so.mapped_column(default=0)
    evidence_url: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    # The activity's own referral link: signatures through it count for the activity too.
    referral_code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    ambassador_city: so.Mapped[AmbassadorCity] = so.relationship(back_populates="activities")


class Target(db.Model):
    __tablename__ = "target"
    __table_args__ = (
        sa.CheckConstraint("value > 0", name="positive_value"),
        sa.CheckConstraint("deadline > start_date", name="deadline_after_start"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    metric: so.Mapped[TargetMetric] = so.mapped_column(str_enum(TargetMetric, 30))
    scope: so.Mapped[TargetScope] = so.mapped_column(
        str_enum(TargetScope), default=TargetScope.ALL
    )
    scope_country: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    scope_ambassador_city_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ambassador_city.id", ondelete="CASCADE"), index=True
    )
    value: so.Mapped[int]
    start_date: so.Mapped[date]
    deadline: so.Mapped[date]
    titles: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)  # language -> title
    published: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    scope_ambassador_city: so.Mapped[AmbassadorCity | None] = so.relationship()

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("en") or ""


class UserToken(db.Model):
    """A single-use link to set a password (invitation or reset); only its hash is stored."""

    __tablename__ = "user_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    purpose: so.Mapped[UserTokenPurpose] = so.mapped_column(str_enum(UserTokenPurpose))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


class PipelineEvent(db.Model):
    """One move of a city through the selection pipeline: who moved it, when, from where."""

    __tablename__ = "pipeline_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ambassador_city_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ambassador_city.id", ondelete="CASCADE"), index=True
    )
    from_stage: so.Mapped[PipelineStage | None] = so.mapped_column(str_enum(PipelineStage))
    to_stage: so.Mapped[PipelineStage] = so.mapped_column(str_enum(PipelineStage))
    by_user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    by_user: so.Mapped[User | None] = so.relationship()


class BestPractice(db.Model):
    """What worked for an ambassador city, public once a coordinator publishes it."""

    __tablename__ = "best_practice"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ambassador_city_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("ambassador_city.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    summary: so.Mapped[str] = so.mapped_column(sa.Text)
    theme: so.Mapped[Theme] = so.mapped_column(str_enum(Theme, 30), index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    url: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    status: so.Mapped[BestPracticeStatus] = so.mapped_column(
        str_enum(BestPracticeStatus), default=BestPracticeStatus.SUBMITTED, index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    published_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    ambassador_city: so.Mapped[AmbassadorCity] = so.relationship()
    author: so.Mapped[User | None] = so.relationship(foreign_keys=[author_id])


class AuditEvent(db.Model):
    """Something a coordinator did that touches personal data or what the public sees: who,
    what, when. Rows are only ever added (no page or command edits them)."""

    __tablename__ = "audit_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # Kept when the account is erased: the log must still say who it was.
    user_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    action: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    # What it was about, without personal data of third parties: e.g. the filters of an export
    # and the number of rows.
    detail: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    user: so.Mapped[User | None] = so.relationship()


class PrivacyNotice(db.Model):
    """A version of the privacy notice in one language, published by a coordinator.

    Version 1 of every language is the text shipped with the app (``privacy.builtin_notice``);
    rows hold the versions coordinators publish after it, numbered per language."""

    __tablename__ = "privacy_notice"
    __table_args__ = (sa.UniqueConstraint("language", "version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    version: so.Mapped[int]
    body: so.Mapped[str] = so.mapped_column(sa.Text)  # Markdown, without raw HTML
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    published_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )


class ConsentRecord(db.Model):
    """Consent to the privacy notice given or withdrawn: for a signature or an account, which
    notice (language and version), when, and how. Rows are only ever added."""

    __tablename__ = "consent_record"
    __table_args__ = (
        sa.CheckConstraint("(signature_id IS NULL) <> (user_id IS NULL)", name="one_subject"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    signature_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("signature.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    action: so.Mapped[ConsentAction] = so.mapped_column(str_enum(ConsentAction))
    method: so.Mapped[ConsentMethod] = so.mapped_column(str_enum(ConsentMethod))
    notice_language: so.Mapped[str] = so.mapped_column(sa.String(5))
    notice_version: so.Mapped[int]
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
