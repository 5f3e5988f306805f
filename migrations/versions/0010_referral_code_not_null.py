"""referral code not null: every outreach activity has its referral link.

0003 added ``outreach_activity.referral_code`` as nullable, and the ambassador's pages gave a
code to activities logged before then when they were read (a write on every GET). Here every
activity still without a code gets one (16 URL-safe characters, unused by any activity or
city, as ``manifesto.cities.referrals`` makes them), and the column becomes NOT NULL.

On SQLite the column changes by copying the table. With foreign keys on (the app's
connections), dropping the old copy sets ``signature.outreach_activity_id`` to NULL (its
ON DELETE SET NULL): the attributions are read first and put back after.

Revision ID: 0010_referral_code_not_null
Revises: 0009_abuse_limits
Create Date: 2026-12-10 12:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_referral_code_not_null'
down_revision = '0009_abuse_limits'
branch_labels = None
depends_on = None

BATCH = 5_000


def _code():
    """As ``manifesto.cities.referrals`` makes them (copied: a migration stays as it was written)."""
    return secrets.token_urlsafe(12)[:16]


def _taken(bind, codes):
    """The ones of ``codes`` an activity or a city already has."""
    taken = set()
    for table in ("outreach_activity", "ambassador_city"):
        statement = sa.text(f"SELECT referral_code FROM {table} WHERE referral_code IN :codes"
                            ).bindparams(sa.bindparam("codes", expanding=True))
        taken |= set(bind.execute(statement, {"codes": list(codes)}).scalars())
    return taken


def _give_codes(bind):
    missing = list(bind.execute(sa.text(
        "SELECT id FROM outreach_activity WHERE referral_code IS NULL ORDER BY id")).scalars())
    statement = sa.text("UPDATE outreach_activity SET referral_code = :code WHERE id = :id")
    for start in range(0, len(missing), BATCH):
        ids = missing[start:start + BATCH]
        codes = set()
        while len(codes) < len(ids):
            wanted = {_code() for _ in range(len(ids) - len(codes))} - codes
            codes |= wanted - _taken(bind, wanted)
        bind.execute(statement, [{"id": i, "code": c} for i, c in zip(ids, sorted(codes))])
    if missing:
        print(f"0010_referral_code_not_null: gave a referral code to {len(missing)} "
              "activity(ies) logged without one")


def _set_nullable(bind, nullable):
    attributed = []
    if bind.dialect.name == "sqlite":
        attributed = [dict(row._mapping) for row in bind.execute(sa.text(
            "SELECT id, outreach_activity_id FROM signature "
            "WHERE outreach_activity_id IS NOT NULL"))]
    with op.batch_alter_table('outreach_activity', schema=None) as batch_op:
        batch_op.alter_column('referral_code', existing_type=sa.String(length=32),
                              nullable=nullable)
    statement = sa.text("UPDATE signature SET outreach_activity_id = :outreach_activity_id "
                        "WHERE id = :id")
    for start in range(0, len(attributed), BATCH):
        bind.execute(statement, attributed[start:start + BATCH])


def upgrade():
    bind = op.get_bind()
    _give_codes(bind)
    _set_nullable(bind, False)


def downgrade():
    _set_nullable(op.get_bind(), True)
