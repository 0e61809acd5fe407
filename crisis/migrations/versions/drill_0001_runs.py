"""Drills: the live exercises run in the workspace, and their schedules.

Revision ID: drill_0001
Revises: 0002
Create Date: 2026-11-29 15:55:00
"""

from alembic import op
import sqlalchemy as sa
import crisis.db


revision = 'drill_0001'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drill_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.String(length=64), nullable=False),
    sa.Column('cron', sa.String(length=120), nullable=True),
    sa.Column('every_s', sa.Integer(), nullable=True),
    sa.Column('window', sa.String(length=120), nullable=True),
    sa.Column('unannounced', sa.Boolean(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('facilitator', sa.String(length=120), nullable=False),
    sa.Column('since', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_due_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_schedule'))
    )
    op.create_table('drill_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.String(length=64), nullable=False),
    sa.Column('facilitator', sa.String(length=120), nullable=False),
    sa.Column('speed', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', crisis.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fired', sa.JSON(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('ingested_s', sa.Integer(), nullable=False),
    sa.Column('incident_ref', sa.String(length=20), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('due_at', crisis.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['schedule_id'], ['drill_schedule.id'], name=op.f('fk_drill_run_schedule_id_drill_schedule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_run')),
    sa.UniqueConstraint('schedule_id', 'due_at', name=op.f('uq_drill_run_schedule_id'))
    )


def downgrade() -> None:
    op.drop_table('drill_run')
    op.drop_table('drill_schedule')
