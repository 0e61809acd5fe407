"""The incident engine: incidents, timeline, facts, checklist marks, deadlines, reviews.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 00:19:36.692785
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('playbook_version',
    sa.Column('version', sa.String(length=12), nullable=False),
    sa.Column('playbook_id', sa.String(length=64), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('first_used_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_playbook_version'))
    )
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('playbook_id', sa.String(length=64), nullable=False),
    sa.Column('playbook_version', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('brand', sa.String(length=120), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('severity', sa.String(length=4), nullable=False),
    sa.Column('level', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=120), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('is_drill', sa.Boolean(), nullable=False),
    sa.Column('opened_by', sa.String(length=120), nullable=False),
    sa.Column('opened_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['playbook_version'], ['playbook_version.version'], name=op.f('fk_incident_playbook_version_playbook_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('number', name=op.f('uq_incident_number'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_playbook_id'), ['playbook_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_state'), ['state'], unique=False)

    op.create_table('checklist_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('done_by', sa.String(length=120), nullable=False),
    sa.Column('done_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_checklist_mark_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_mark')),
    sa.UniqueConstraint('incident_id', 'step_id', 'item_id', name=op.f('uq_checklist_mark_incident_id'))
    )
    op.create_table('deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=True),
    sa.Column('armed_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('closed_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_deadline_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline'))
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_event_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('incident_id', 'seq', name=op.f('uq_event_incident_id'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_incident_id'), ['incident_id'], unique=False)

    op.create_table('fact_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.String(length=120), nullable=False),
    sa.Column('set_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_fact_answer_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fact_answer')),
    sa.UniqueConstraint('incident_id', 'fact_id', name=op.f('uq_fact_answer_incident_id'))
    )
    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('what_gained', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_review_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_review_incident_id'))
    )
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_follow_up_review_id_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up'))
    )


def downgrade() -> None:
    op.drop_table('follow_up')
    op.drop_table('review')
    op.drop_table('fact_answer')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_incident_id'))

    op.drop_table('event')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_status_due_at')

    op.drop_table('deadline')
    op.drop_table('checklist_mark')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_state'))
        batch_op.drop_index(batch_op.f('ix_incident_playbook_id'))

    op.drop_table('incident')
    op.drop_table('playbook_version')
