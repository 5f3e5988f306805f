"""A signature's change of status as a compare-and-set that exactly one request wins.

Every transition (confirm, verify, reject, clear a flag, withdraw; erasing an unconfirmed
signature is ``erase``) is one statement on the signature row::

    UPDATE signature SET status = :new, … WHERE id = :id AND status = :seen AND flagged = :seen

Only when it changed the row does the caller's request move the counters (``counts.move``),
and only then do the callers write the audit entry and queue the e-mail, in the same
transaction. Of simultaneous requests for the same change one wins; on PostgreSQL the others
wait for its row lock and then find the row changed; on SQLite writers take turns. The others
get ``None`` and answer what a second click deserves.

What was seen is read afresh from the row (not from the ORM object, which may be stale): if
the row moved on between that read and the update but still allows the transition (a
signature verified while its signatory withdraws it), the read and the update are tried again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from manifesto.extensions import db
from manifesto.models import Signature, SignatureStatus, utcnow
from manifesto.signatures import counts

ATTEMPTS = 5  # the row moved on but still allows the change: read and try again


@dataclass(frozen=True)
class Won:
    """What the row was before the change that this request made."""

    status: SignatureStatus
    flagged: bool


_TABLE = Signature.__table__
_SEEN = sa.select(_TABLE.c.status, _TABLE.c.flagged).where(_TABLE.c.id == sa.bindparam("id"))


def _seen(signature_id: int):
    return db.session.connection().execute(_SEEN, {"id": signature_id}).first()


def _counted_key(signature: Signature, status: SignatureStatus, flagged: bool):
    if flagged:
        return None
    return (signature.signatory.kind, status, signature.signatory.country)


def _listed(signature: Signature, status: SignatureStatus, flagged: bool) -> bool:
    return (not flagged and signature.signatory.listed_publicly
            and counts.is_counted(signature.signatory.kind, status))


def refresh_public(signature: Signature) -> None:
    """Set ``public_since`` on an object by the rule ``change`` applies to the row (for rows
    made outside a transition: factories, imports)."""
    if not _listed(signature, signature.status, signature.flagged):
        signature.public_since = None
    elif signature.public_since is None:
        signature.public_since = utcnow()


def _made(signature: Signature) -> date:
    return (signature.created_at or utcnow()).date()


def change(signature: Signature, *, allowed: Iterable[SignatureStatus],
           if_flagged: bool | None = None, **values) -> Won | None:
    """Set ``values`` on the signature's row if its status is one of ``allowed`` (and its flag
    is ``if_flagged``, unless None), as a compare-and-set. The request that changed the row moves
    the counters and the public list and gets what the row was; any other gets None."""
    allowed = frozenset(allowed)
    for _attempt in range(ATTEMPTS):
        seen = _seen(signature.id)
        if seen is None or seen.status not in allowed or (
                if_flagged is not None and bool(seen.flagged) != if_flagged):
            return None
        before_status, before_flagged = SignatureStatus(seen.status), bool(seen.flagged)
        after_status = values.get("status", before_status)
        after_flagged = values.get("flagged", before_flagged)
        row = dict(values)
        if not _listed(signature, after_status, after_flagged):
            row["public_since"] = None
        elif not _listed(signature, before_status, before_flagged):
            row["public_since"] = utcnow()
        changed = db.session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id == signature.id, _TABLE.c.status == before_status,
                   _TABLE.c.flagged == before_flagged)
            .values(**row)
        ).rowcount
        if changed != 1:
            continue  # another request changed the row since it was read
        for name, value in row.items():
            set_committed_value(signature, name, value)  # the object shows the row as it is
        _move_counters(signature, _counted_key(signature, before_status, before_flagged),
                       _counted_key(signature, after_status, after_flagged))
        return Won(before_status, before_flagged)
    return None


def _move_counters(signature: Signature, before, after) -> None:
    if before == after:
        return
    themes = signature.signatory.themes
    if before is not None:
        counts.move(*before, _made(signature), signature.language, themes, -1)
    if after is not None:
        counts.move(*after, _made(signature), signature.language, themes, +1)


def erase(signature: Signature, *, allowed: Iterable[SignatureStatus]) -> Won | None:
    """Delete the signature's row if its status is one of ``allowed``, as a compare-and-set:
    the request that deleted it takes it out of the counters and gets what it was."""
    allowed = frozenset(allowed)
    for _attempt in range(ATTEMPTS):
        seen = _seen(signature.id)
        if seen is None or seen.status not in allowed:
            return None
        status, flagged = SignatureStatus(seen.status), bool(seen.flagged)
        key = _counted_key(signature, status, flagged)
        themes = list(signature.signatory.themes)  # read before the row goes
        deleted = db.session.execute(
            sa.delete(_TABLE).where(_TABLE.c.id == signature.id, _TABLE.c.status == status,
                                    _TABLE.c.flagged == flagged)
        ).rowcount
        if deleted != 1:
            continue
        if key is not None:
            counts.move(*key, _made(signature), signature.language, themes, -1)
        return Won(status, flagged)
    return None


# --- the same rule for other rows: pipeline stages, targets, best practices, activities --------


def compare_and_set(obj, expected: dict, **values) -> bool:
    """Set ``values`` on ``obj``'s row if its columns still hold ``expected`` (what the caller
    read when it decided), in one statement: of simultaneous requests one changes the row, the
    others get False and change nothing. The object then shows the row as it is."""
    table = type(obj).__table__
    changed = db.session.execute(
        sa.update(table)
        .where(table.c.id == obj.id, *(table.c[name] == value for name, value in expected.items()))
        .values(**values)
    ).rowcount
    if changed != 1:
        return False
    for name, value in values.items():
        set_committed_value(obj, name, value)
    return True


def compare_and_delete(obj, expected: dict) -> bool:
    """Delete ``obj``'s row if its columns still hold ``expected``; True for the one request
    that deleted it (the others find it gone, or changed, and delete nothing)."""
    table = type(obj).__table__
    deleted = db.session.execute(
        sa.delete(table)
        .where(table.c.id == obj.id, *(table.c[name] == value for name, value in expected.items()))
    ).rowcount
    if deleted != 1:
        return False
    db.session.expunge(obj)  # gone from the database: the session forgets it too
    return True
