"""conversations carry their channel kind: public (mentions, comments) or private (direct messages)

A customer has at most one unresolved conversation per account and channel, so their public thread
and their direct messages are two conversations side by side.

Revision ID: 0003_conversation_channel
Revises: 0002_partial_indexes
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_conversation_channel'
down_revision = '0002_partial_indexes'
branch_labels = None
depends_on = None

UNRESOLVED = {'sqlite_where': sa.text("status != 'resolved'"), 'postgresql_where': sa.text("status != 'resolved'")}


def upgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='public'))
        batch_op.create_check_constraint('channel', "channel IN ('public', 'private')")
        batch_op.drop_index('uq_conversations_unresolved', **UNRESOLVED)
        batch_op.create_index('uq_conversations_unresolved', ['account_id', 'contact_id', 'channel'], unique=True,
                              **UNRESOLVED)


def downgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('uq_conversations_unresolved', **UNRESOLVED)
        batch_op.create_index('uq_conversations_unresolved', ['account_id', 'contact_id'], unique=True, **UNRESOLVED)
        batch_op.drop_constraint('channel', type_='check')
        batch_op.drop_column('channel')
