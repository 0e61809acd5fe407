"""On-call: the pagings that walk an escalation policy; the person paged and the last attempt on each notification.

Revision ID: oncall_0001
Revises: 0002
Create Date: 2026-11-22 00:42:38.635983
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = 'oncall_0001'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('paging',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.String(length=64), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_paging_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paging'))
    )
    with op.batch_alter_table('paging', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paging_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_paging_status_next_at', ['status', 'next_at'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', crisis.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('person_id')

    with op.batch_alter_table('paging', schema=None) as batch_op:
        batch_op.drop_index('ix_paging_status_next_at')
        batch_op.drop_index(batch_op.f('ix_paging_incident_id'))

    op.drop_table('paging')
