"""dashboard indexes: the flagged signatures made in a period are counted from one index
(flagged, status, created_at, signatory_id) instead of reading every flagged row; the sums of activities by
city and type over a date range are read from one covering index, which also serves every
lookup by city (it replaces the index on ambassador_city_id alone). The indexes of signatures
by city and by activity keep only the rows that came through a link: SQLite's statistics
average over every row, and the million without a city made a lookup by city look like a scan.
The index of signatories by country carries their id, for PostgreSQL's index-only scans.

Revision ID: 0006_dashboard_indexes
Revises: 0005_dashboard_stats
Create Date: 2026-11-21 10:52:32.309279

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_dashboard_indexes'
down_revision = '0005_dashboard_stats'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_outreach_activity_ambassador_city_id', table_name='outreach_activity')
    op.create_index('ix_outreach_activity_city_type_date', 'outreach_activity',
                    ['ambassador_city_id', 'type', 'date', 'audience_reached', 'mayors_engaged',
                     'organisations_engaged'])
    op.drop_index('ix_signature_flagged', table_name='signature')
    op.create_index('ix_signature_flagged_status_created_at', 'signature',
                    ['flagged', 'status', 'created_at', 'signatory_id'])
    op.drop_index('ix_signatory_country', table_name='signatory')
    op.create_index('ix_signatory_country', 'signatory', ['country', 'id'])
    for column in ('ambassador_city_id', 'outreach_activity_id'):
        op.drop_index(f'ix_signature_{column}', table_name='signature')
        op.create_index(f'ix_signature_{column}', 'signature', [column],
                        sqlite_where=sa.text(f'{column} IS NOT NULL'),
                        postgresql_where=sa.text(f'{column} IS NOT NULL'))


def downgrade():
    op.drop_index('ix_signatory_country', table_name='signatory')
    op.create_index('ix_signatory_country', 'signatory', ['country'])
    for column in ('ambassador_city_id', 'outreach_activity_id'):
        op.drop_index(f'ix_signature_{column}', table_name='signature')
        op.create_index(f'ix_signature_{column}', 'signature', [column])
    op.drop_index('ix_signature_flagged_status_created_at', table_name='signature')
    op.create_index('ix_signature_flagged', 'signature', ['flagged'])
    op.drop_index('ix_outreach_activity_city_type_date', table_name='outreach_activity')
    op.create_index('ix_outreach_activity_ambassador_city_id', 'outreach_activity',
                    ['ambassador_city_id'])
