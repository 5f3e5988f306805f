"""duplicate key: the duplicate rule held by the database. A standing signature (pending,
confirmed or verified) carries a hash of its e-mail address and of the organisation or city it
is for (``signing.duplicate_key``), under a partial unique index: of simultaneous identical
signatures one insert wins.

Existing rows: every standing signature gets its key, in the order they were made (by id).
Where a live database already holds duplicates (made by simultaneous clicks before this
index), the earliest keeps the key and the later ones are left as they are, standing and
counted, but without a key: nothing is deleted or uncounted by a migration, and a coordinator
can still see them side by side on the review page (same city) or reject them. They no longer
block anything: a new signature is compared with the earliest. The number left without a key
is printed.

Revision ID: 0008_duplicate_key
Revises: 0007_privacy
Create Date: 2026-12-03 11:50:00

"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_duplicate_key'
down_revision = '0007_privacy'
branch_labels = None
depends_on = None

LIVE = "duplicate_key IS NOT NULL AND status IN ('pending', 'confirmed', 'verified')"
BATCH = 5_000


def _key(kind, country, name_folded, email_canonical):
    """As ``manifesto.signatures.signing.duplicate_key`` computes it (copied: a migration stays as it was
    written whatever the code becomes)."""
    if not email_canonical:
        return None
    group = "mayor" if kind in ("mayor", "delegate") else "organisation"
    text = "\x1f".join((group, country, name_folded or "", email_canonical))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def upgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_key', sa.String(length=32), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT signature.id, signatory.kind, signatory.country, signatory.name_folded, "
        "signatory.email_canonical FROM signature "
        "JOIN signatory ON signatory.id = signature.signatory_id "
        "WHERE signature.status IN ('pending', 'confirmed', 'verified') "
        "ORDER BY signature.id"
    ))
    seen, updates, left = set(), [], 0
    for row in rows:
        key = _key(*row[1:])
        if key is None:
            continue
        if key in seen:
            left += 1
            continue
        seen.add(key)
        updates.append({"id": row[0], "key": key})
    statement = sa.text("UPDATE signature SET duplicate_key = :key WHERE id = :id")
    for start in range(0, len(updates), BATCH):
        bind.execute(statement, updates[start:start + BATCH])
    if left:
        print(f"0008_duplicate_key: {left} duplicate signature(s) kept without a key "
              "(the earliest of each keeps it)")

    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index('uq_signature_duplicate_key', ['duplicate_key'], unique=True,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index('uq_signature_duplicate_key', sqlite_where=sa.text(LIVE),
                            postgresql_where=sa.text(LIVE))
        batch_op.drop_column('duplicate_key')
