"""Replies: statements and notices of an incident, from draft to published.

Revision ID: replies_0001
Revises: 0002
Create Date: 2026-11-22 01:10:00
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = 'replies_0001'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=True),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('template_path', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('drafted_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_why', sa.Text(), nullable=True),
    sa.Column('published_by', sa.String(length=120), nullable=True),
    sa.Column('published_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_via', sa.String(length=10), nullable=True),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_reply_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply')),
    sa.UniqueConstraint('incident_id', 'number', name=op.f('uq_reply_incident_id'))
    )
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_incident_id'))

    op.drop_table('reply')
