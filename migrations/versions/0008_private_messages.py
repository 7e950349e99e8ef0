"""private messages: move to DM, per-channel SLA policies, DM health, human-agent tag, DM acceptance

conversations.moved_to_id: a public conversation that moved to DM links to its private one.
messages.send_as: how an outbound message goes out when it is not a plain reply on its conversation's
channel ("private_reply": a Facebook Private Reply to the comment in in_reply_to_external_id;
"human_agent": a Messenger message tagged HUMAN_AGENT, past the 24-hour window); messages.delivery_error_code: the
refusal the composer explains (app.connectors.base.REFUSALS), beside the network's words in delivery_error.
sla_policies.channel: the channel kind a policy is meant for ('any', 'public', 'private'); the default policy of a
channel kind is the one marked default for it. social_accounts.private_sla_policy_id: the policy of the
account's private conversations (None: the default private policy, else the account's own policy).
social_accounts.rate_limits: each endpoint's budget as the network's headers last said
({"dm_lookup": {"limit", "remaining", "reset_at"}, ...}); human_agent_enabled: the account has
Messenger's human-agent permission. contacts.accepts_dms: X's receives_your_dm (None: not known).

Revision ID: 0008_private_messages
Revises: 0007_languages
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_private_messages'
down_revision = '0007_languages'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.add_column(sa.Column('moved_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_conversations_moved_to_id_conversations', 'conversations', ['moved_to_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index('ix_conversations_moved_to', ['moved_to_id'])
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('send_as', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('delivery_error_code', sa.String(length=40), nullable=True))
    with op.batch_alter_table('sla_policies') as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='any'))
        batch_op.create_check_constraint('channel', "channel IN ('any', 'public', 'private')")
        batch_op.drop_index('uq_sla_policies_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
        batch_op.create_index('uq_sla_policies_default', ['is_default', 'channel'], unique=True,
                              sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
    with op.batch_alter_table('social_accounts') as batch_op:
        batch_op.add_column(sa.Column('private_sla_policy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_social_accounts_private_sla_policy_id_sla_policies', 'sla_policies',
                                    ['private_sla_policy_id'], ['id'], ondelete='SET NULL')
        batch_op.add_column(sa.Column('rate_limits', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('human_agent_enabled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.add_column(sa.Column('accepts_dms', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_column('accepts_dms')
    with op.batch_alter_table('social_accounts') as batch_op:
        batch_op.drop_constraint('fk_social_accounts_private_sla_policy_id_sla_policies', type_='foreignkey')
        batch_op.drop_column('private_sla_policy_id')
        batch_op.drop_column('rate_limits')
        batch_op.drop_column('human_agent_enabled')
    # Only one default may remain: the one for any channel, else the oldest.
    policies = sa.table('sla_policies', sa.column('id', sa.Integer), sa.column('is_default', sa.Boolean),
                        sa.column('channel', sa.String))
    conn = op.get_bind()
    defaults = conn.execute(sa.select(policies.c.id).where(policies.c.is_default)
                            .order_by(policies.c.channel != 'any', policies.c.id)).scalars().all()
    for policy_id in defaults[1:]:
        conn.execute(policies.update().where(policies.c.id == policy_id).values(is_default=False))
    with op.batch_alter_table('sla_policies') as batch_op:
        batch_op.drop_index('uq_sla_policies_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
        batch_op.drop_constraint('channel', type_='check')
        batch_op.drop_column('channel')
        batch_op.create_index('uq_sla_policies_default', ['is_default'], unique=True,
                              sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_column('send_as')
        batch_op.drop_column('delivery_error_code')
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.drop_index('ix_conversations_moved_to')
        batch_op.drop_constraint('fk_conversations_moved_to_id_conversations', type_='foreignkey')
        batch_op.drop_column('moved_to_id')
