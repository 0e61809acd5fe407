"""Drills: a removed schedule is kept, signed (who removed it, when), so that the history says why drills stopped.

Revision ID: drill_0002
Revises: drill_0001
Create Date: 2026-11-29 21:10:00
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = 'drill_0002'
down_revision = 'drill_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('drill_schedule') as batch:
        batch.add_column(sa.Column('removed_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('removed_at', crisis.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('drill_schedule') as batch:
        batch.drop_column('removed_at')
        batch.drop_column('removed_by')
