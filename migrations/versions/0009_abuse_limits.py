"""abuse limits: attempt counters in the database (login and password-reset throttling, the
lock of the cap on signing e-mails per address), and a keyed hash of each e-mail's recipient
kept on the outbox row after the address is erased, so the e-mails one address received in the
last 24 hours can be counted.

Existing outbox rows get no hash (their addresses may be erased already): the cap counts from
the upgrade on.

Revision ID: 0009_abuse_limits
Revises: 0008_duplicate_key
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_abuse_limits'
down_revision = '0008_duplicate_key'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attempt_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('limit_name', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('resets_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_counter')),
    sa.UniqueConstraint('limit_name', 'key', name=op.f('uq_attempt_counter_limit_name_key'))
    )
    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_counter_resets_at'), ['resets_at'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_hash', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_outbox_message_recipient', ['recipient_hash', 'created_at'], unique=False, sqlite_where=sa.text('recipient_hash IS NOT NULL'), postgresql_where=sa.text('recipient_hash IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_recipient', sqlite_where=sa.text('recipient_hash IS NOT NULL'), postgresql_where=sa.text('recipient_hash IS NOT NULL'))
        batch_op.drop_column('recipient_hash')

    with op.batch_alter_table('attempt_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_counter_resets_at'))

    op.drop_table('attempt_counter')
