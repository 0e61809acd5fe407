"""On-call: every distinct roster read (applied or broken) and the heartbeat of tick.

Revision ID: oncall_0002
Revises: oncall_0001
Create Date: 2026-11-29 15:45:00
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = 'oncall_0002'
down_revision = 'oncall_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roster_load',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('first_seen_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_seen_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_load'))
    )
    with op.batch_alter_table('roster_load', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_load_sha256'), ['sha256'], unique=False)
    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )


def downgrade() -> None:
    op.drop_table('heartbeat')
    with op.batch_alter_table('roster_load', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_load_sha256'))
    op.drop_table('roster_load')
