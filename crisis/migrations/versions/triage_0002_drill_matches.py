"""Triage: a drill's mention matches carry is_drill, so that the real volume watch never counts them.

Revision ID: triage_0002
Revises: triage_0001
Create Date: 2026-11-29 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'triage_0002'
down_revision = 'triage_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mention_match') as batch:
        batch.add_column(sa.Column('is_drill', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('mention_match') as batch:
        batch.drop_column('is_drill')
