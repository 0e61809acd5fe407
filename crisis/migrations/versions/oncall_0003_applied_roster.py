"""On-call: the hash-chained log of rosters applied to the database (`crisis oncall apply`).

Revision ID: oncall_0003
Revises: oncall_0002
Create Date: 2026-11-29 18:00:00
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = 'oncall_0003'
down_revision = 'oncall_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('applied_roster',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('applied_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_by', sa.String(length=120), nullable=False),
    sa.Column('os_user', sa.String(length=120), nullable=True),
    sa.Column('db_user', sa.String(length=120), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('seal', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_applied_roster'))
    )


def downgrade() -> None:
    op.drop_table('applied_roster')
