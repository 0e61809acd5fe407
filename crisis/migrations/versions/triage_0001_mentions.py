"""Triage: mentions (unique per platform and id), their matches, spike alerts.

Revision ID: triage_0001
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = "triage_0001"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=40), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('brand', sa.String(length=120), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=True),
    sa.Column('author_followers', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('own_account', sa.Boolean(), nullable=False),
    sa.Column('thread_id', sa.String(length=200), nullable=True),
    sa.Column('in_reply_to', sa.String(length=200), nullable=True),
    sa.Column('sentiment', sa.String(length=8), nullable=True),
    sa.Column('ingested_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mention')),
    sa.UniqueConstraint('source_id', 'platform', name=op.f('uq_mention_source_id'))
    )
    op.create_index(op.f('ix_mention_created_at'), 'mention', ['created_at'], unique=False)
    op.create_table('mention_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mention_id', sa.Integer(), nullable=False),
    sa.Column('playbook_id', sa.String(length=64), nullable=False),
    sa.Column('brand', sa.String(length=120), nullable=True),
    sa.Column('phrase', sa.Text(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('span_start', sa.Integer(), nullable=False),
    sa.Column('span_end', sa.Integer(), nullable=False),
    sa.Column('created_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sentiment', sa.String(length=8), nullable=True),
    sa.Column('thread_key', sa.String(length=200), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_mention_match_incident_id_incident')),
    sa.ForeignKeyConstraint(['mention_id'], ['mention.id'], name=op.f('fk_mention_match_mention_id_mention')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mention_match'))
    )
    op.create_index('ix_mention_match_brand_playbook_created', 'mention_match', ['brand', 'playbook_id', 'created_at'], unique=False)
    op.create_index('ix_mention_match_incident_created', 'mention_match', ['incident_id', 'created_at'], unique=False)
    op.create_index('ix_mention_match_incident_thread', 'mention_match', ['incident_id', 'thread_key'], unique=False)
    op.create_index('ix_mention_match_incident_phrase', 'mention_match', ['incident_id', 'phrase'], unique=False)
    op.create_index(op.f('ix_mention_match_mention_id'), 'mention_match', ['mention_id'], unique=False)
    op.create_table('spike_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand', sa.String(length=120), nullable=True),
    sa.Column('playbook_id', sa.String(length=64), nullable=False),
    sa.Column('hour_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('crisis', sa.Boolean(), nullable=False),
    sa.Column('raised_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_spike_alert_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spike_alert'))
    )


def downgrade() -> None:
    op.drop_table('spike_alert')
    op.drop_index(op.f('ix_mention_match_mention_id'), table_name='mention_match')
    op.drop_index('ix_mention_match_incident_phrase', table_name='mention_match')
    op.drop_index('ix_mention_match_incident_thread', table_name='mention_match')
    op.drop_index('ix_mention_match_incident_created', table_name='mention_match')
    op.drop_index('ix_mention_match_brand_playbook_created', table_name='mention_match')
    op.drop_table('mention_match')
    op.drop_index(op.f('ix_mention_created_at'), table_name='mention')
    op.drop_table('mention')
