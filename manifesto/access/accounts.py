"""User accounts: invitations, secret links to set a password, password rules, throttling.

Routes stay thin and call these. Nothing here commits: the caller commits, so a change and
the e-mail it causes (``outbox.enqueue``) go in together.

Secret links carry a random token (``secrets.token_urlsafe(32)``); only its SHA-256 is
stored. A user has at most one working link: a new one makes the earlier ones expire.
Login attempts and reset requests are counted in the database (``throttle``), before the
password is checked or the e-mail written, so every worker sees the same counts.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn.matching import RANKED_DICTIONARIES

from manifesto.access.passwords import hash_password, needs_rehash, verify_password
from manifesto.core import throttle
from manifesto.core.keyed import keyed_hash
from manifesto.core.urls import absolute_url
from manifesto.extensions import db
from manifesto.mail import notify
from manifesto.models import AmbassadorCity, Role, User, UserToken, UserTokenPurpose, utcnow

log = logging.getLogger(__name__)

INVITE_VALID_FOR = timedelta(days=7)
RESET_VALID_FOR = timedelta(hours=1)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_SCORE = 3  # zxcvbn: 0 (too guessable) … 4 (very unguessable)

ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinator"),
    Role.AMBASSADOR: _l("Ambassador"),
}

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# Words anyone would try first against this site's accounts.
_SITE_WORDS = ["manifesto", "inclusive", "smart", "cities", "smartcities", "ambassador",
               "coordinator", "eip-scc"]


# --- Users -----------------------------------------------------------------------------------


def normalise_email(address: str) -> str:
    return (address or "").strip().lower()


def user_by_email(address: str) -> User | None:
    """The account with this address, whatever its case."""
    email = normalise_email(address)
    if not email:
        return None
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))


def city_team(city_id: int) -> list[User]:
    """The accounts of an ambassador city's team, by name (deactivated ones too)."""
    return list(db.session.scalars(
        sa.select(User).where(User.ambassador_city_id == city_id).order_by(User.name)))


def home_url(user: User) -> str:
    """Where the user lands after logging in, in their own language."""
    if user.role == Role.COORDINATOR:
        return url_for("coordinate.review", lang_code=user.locale)
    if user.ambassador_city_id is not None:
        return url_for("ambassador.home", lang_code=user.locale)
    return url_for("auth.account", lang_code=user.locale)


def is_invited(user: User) -> bool:
    """Invited and has not chosen a password yet."""
    return user.password_hash is None


def invite(
    *,
    name: str,
    email: str,
    role: Role,
    city: AmbassadorCity | None,
    locale: str,
    invited_by: User,
) -> User:
    """Create the account (no password yet) and queue the invitation in the invitee's language.

    The caller has checked that the address is free (``user_by_email``); a race ends in an
    IntegrityError at flush.
    """
    user = User(
        name=name,
        email=email.strip(),
        role=role,
        ambassador_city=city if role == Role.AMBASSADOR else None,
        locale=locale,
        password_hash=None,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    send_invitation(user, invited_by)
    return user


def send_invitation(user: User, invited_by: User) -> None:
    """A new invitation link (earlier ones stop working) and its e-mail."""
    token = issue_token(user, UserTokenPurpose.INVITE)
    city = user.ambassador_city
    _send(
        "invite",
        user,
        lambda: _("You are invited to the team of the Inclusive Smart Cities Manifesto"),
        link=set_password_url(user, token),
        inviter=invited_by.name,
        city_name=city.name if city else None,
    )


def deactivate(user: User) -> None:
    """The account can no longer log in; its sessions and links stop working at once."""
    user.active = False
    user.deactivated_at = utcnow()
    end_sessions(user)
    expire_tokens(user)


def end_sessions(user: User) -> None:
    """Every session of this user ends, in every browser: the nonce is part of the id in the
    session cookie (``User.get_id``), so a cookie made before, or a copy of it, is anonymous
    from now on. Called at logout, on a new password and on deactivation."""
    user.session_nonce = secrets.token_hex(8)


def reactivate(user: User) -> None:
    user.active = True
    user.deactivated_at = None


def set_password(user: User, password: str) -> None:
    """A new password: every other session ends and no open link works any more."""
    user.password_hash = hash_password(password)
    end_sessions(user)
    expire_tokens(user)


def open_invitation_expiry(users: list[User]) -> dict[int, datetime]:
    """For invited users, when their latest link (invitation or reset) expires (id -> datetime)."""
    ids = [u.id for u in users if is_invited(u)]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(UserToken.user_id, sa.func.max(UserToken.expires_at))
        .where(
            UserToken.user_id.in_(ids),
            UserToken.used_at.is_(None),
        )
        .group_by(UserToken.user_id)
    ).all()
    return {user_id: expires for user_id, expires in rows if expires is not None}


# --- Secret links -----------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user: User, purpose: UserTokenPurpose) -> str:
    """A new single-use link for ``user``; earlier open links stop working."""
    expire_tokens(user)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = INVITE_VALID_FOR if purpose == UserTokenPurpose.INVITE else RESET_VALID_FOR
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    return raw


def expire_tokens(user: User) -> None:
    """Every open link of this user expires now (a newer one, a deactivation, a new password)."""
    now = utcnow()
    db.session.execute(
        sa.update(UserToken)
        .where(
            UserToken.user_id == user.id,
            UserToken.used_at.is_(None),
            UserToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def set_password_url(user: User, raw_token: str) -> str:
    return absolute_url("auth.set_password", lang_code=user.locale, token=raw_token)


class LinkProblem(enum.StrEnum):
    UNKNOWN = "unknown"  # never issued, mistyped, or its account is deactivated
    USED = "used"
    EXPIRED = "expired"  # too old, or replaced by a newer link


def check_token(raw: str) -> tuple[UserToken | None, LinkProblem | None]:
    """The token for a link, or why it does not work."""
    if not raw or not _TOKEN_SHAPE.match(raw):
        return None, LinkProblem.UNKNOWN
    token = db.session.scalar(sa.select(UserToken).where(UserToken.token_hash == hash_token(raw)))
    if token is None or not token.user.active:
        return None, LinkProblem.UNKNOWN
    if token.used_at is not None:
        return token, LinkProblem.USED
    if token.expires_at <= utcnow():
        return token, LinkProblem.EXPIRED
    return token, None


def use_token(token: UserToken, password: str) -> bool:
    """Set the password from a link; False if the link was used meanwhile (a double submit)."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(UserToken)
        .where(UserToken.id == token.id, UserToken.used_at.is_(None), UserToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    user = token.user
    set_password(user, password)
    user.last_login_at = now
    return True


# --- Password rules ----------------------------------------------------------------------------


def _personal_words(email: str | None, name: str | None) -> list[str]:
    """Parts of the person's address and name that must not be in their password."""
    words = []
    local = normalise_email(email or "").partition("@")[0]
    if len(local) >= 4:
        words.append(local)
    if name:
        folded = name.casefold()
        compact = re.sub(r"\W+", "", folded)
        if len(compact) >= 4:
            words.append(compact)
        words += [part for part in re.split(r"\W+", folded) if len(part) >= 4]
    return words


def password_problem(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """Why this password is refused (translated), or None when it is good enough."""
    if not password:
        return _("Choose a password.")
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_PASSWORD_LENGTH)
    folded = password.casefold()
    squeezed = re.sub(r"\W+", "", folded)
    for word in _personal_words(email, name):
        if word in folded or word in squeezed:
            return _("Do not use your name or your e-mail address in your password.")
    if folded in RANKED_DICTIONARIES["passwords"]:
        return _("This is one of the most common passwords. Choose another one.")
    user_inputs = [*_personal_words(email, name), *_SITE_WORDS]
    if email:
        user_inputs.append(normalise_email(email))
    # zxcvbn refuses more than 72 characters; the first 72 of a longer one are judged.
    if zxcvbn(password[:72], user_inputs=user_inputs)["score"] < MIN_PASSWORD_SCORE:
        return _("This password is too easy to guess. Try a longer one, for example a few "
                 "unrelated words with a number or a sign between them.")
    return None


# --- Logging in, with throttling --------------------------------------------------------------


_DUMMY_HASHES: dict[tuple, str] = {}


def spend_password_time(password: str) -> None:
    """Verify against a hash that never matches: the time a real check would take."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hash_password(secrets.token_hex(16))
    verify_password(_DUMMY_HASHES[key], password)


def _account_key(email: str) -> str:
    """Limits count an address's attempts under a keyed hash of it, not the address."""
    return keyed_hash(normalise_email(email)[:254], "account")


def _account_client_key(email: str, client: str) -> str:
    """The account and the client together, as one keyed hash."""
    return keyed_hash(f"{normalise_email(email)[:254]}\n{client}", "account client")


def _login_limits(email: str, client: str) -> list[tuple[str, str]]:
    """In the order they are counted: a client's own limits first, so that what it is refused
    does not count against the account for everyone else."""
    return [
        ("LOGIN_RATE_LIMIT_PER_IP", client),
        ("LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_IP", _account_client_key(email, client)),
        ("LOGIN_RATE_LIMIT_PER_ACCOUNT", _account_key(email)),
    ]


def _claim_login_attempt(email: str, client: str) -> int:
    """Count this attempt to log in as ``email``, from ``client`` (``keyed.client_hash`` of
    the requesting address), *before* its password is checked.

    Returns 0 when the password may be checked now, else the seconds to wait: the attempt is
    refused without a check. Counted and committed at once in the database, so that however
    many attempts arrive together, from however many workers, no more than the limit are
    checked. A success takes its attempt back (``_forget_login_attempts``).
    """
    return throttle.claim(_login_limits(email, client))


def _forget_login_attempts(email: str, client: str) -> None:
    """After a success: the account and client's count starts afresh, and the attempt is taken
    back from the wider counts (they count failures). In the caller's transaction."""
    per_ip, per_account_and_ip, per_account = _login_limits(email, client)
    throttle.forget(*per_account_and_ip)
    throttle.refund(*per_account)
    throttle.refund(*per_ip)


@dataclass(frozen=True)
class LoginResult:
    """What a password check came to: ``user`` when the password is right (else None), or,
    when the attempt was refused before any check, the seconds to wait (``wait_seconds``)."""

    user: User | None = None
    wait_seconds: int = 0


def _throttled(email: str, password: str, client: str, check) -> LoginResult:
    """The one login throttle: count the attempt first (``_claim_login_attempt``); refused, it
    spends a check's time and is not checked; otherwise ``check()`` says who it is."""
    wait = _claim_login_attempt(email, client)
    if wait:
        spend_password_time(password)  # not checked, whoever it is, but as slow as a check
        return LoginResult(wait_seconds=wait)
    return LoginResult(user=check())


def attempt_login(email: str, password: str, client: str) -> LoginResult:
    """Log in as ``email`` with ``password``, from ``client`` (``keyed.client_hash`` of the
    requesting address), within the limits on attempts. The user is the active account with
    that address and password; a success takes its attempt back. An unknown address takes as
    long as a known one. The attempt's count is committed at once; the caller commits the
    rest (the time of the login)."""
    return _throttled(email, password, client, lambda: _authenticate(email, password, client))


def check_current_password(user: User, password: str, client: str) -> LoginResult:
    """For changing a password: the logged-in user's current one, counted and limited as an
    attempt to log in to the account, so a stolen session cannot try passwords any faster."""

    def check() -> User | None:
        if verify_password(user.password_hash, password):
            _forget_login_attempts(user.email, client)
            return user
        return None

    return _throttled(user.email, password, client, check)


def _authenticate(email: str, password: str, client: str) -> User | None:
    """The active user with this address and password, or None.

    The caller has counted the attempt (``_claim_login_attempt``); a success takes it back.
    Always verifies one argon2 hash, so an unknown address takes as long as a known one.
    """
    user = user_by_email(email)
    if user is None or user.password_hash is None:
        spend_password_time(password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    _forget_login_attempts(email, client)
    return user


# --- Password reset ---------------------------------------------------------------------------


def _reset_allowed(email: str, client: str) -> bool:
    """Counted first, in the database: of simultaneous requests, only the limit's worth pass."""
    return not throttle.claim([
        ("RESET_RATE_LIMIT_PER_IP", client),
        ("RESET_RATE_LIMIT_PER_ADDRESS", _account_key(email)),
    ])


def request_reset(email: str, client: str) -> None:
    """Queue a reset link if an active account has this address; otherwise do nothing.

    The caller gives the same answer either way. Beyond the limits, nothing is sent.
    """
    if not _reset_allowed(email, client):
        return
    user = user_by_email(email)
    if user is None or not user.active:
        return
    token = issue_token(user, UserTokenPurpose.RESET)
    first = is_invited(user)
    _send(
        "reset",
        user,
        (lambda: _("Choose your password for the Inclusive Smart Cities Manifesto")) if first
        else (lambda: _("Choose a new password for the Inclusive Smart Cities Manifesto")),
        link=set_password_url(user, token),
        first_password=first,
    )


# --- E-mails ------------------------------------------------------------------------------------


def _send(kind: str, user: User, subject_fn, **context) -> None:
    """Write ``templates/email/<kind>.txt`` in the user's language and queue it."""
    language = user.locale if user.locale in current_app.config["LANGUAGES"] else "en"
    notify.message(kind, user.email, language, subject_fn, user=user, **context).queue()
