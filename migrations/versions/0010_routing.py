"""routing: moderation state and triage on messages, rules, teams, priority reasons and spike alerts

messages: sentiment and intent (triage), moderation (visible/hidden/deleted on the network), liked, a pending
network action a rule asked for, the last refusal, and the rule behind an automatic first answer.
conversations: the owning team, why it ranks high, an SLA policy a rule chose, and an SLA exemption.
contacts: tags, and when a rule last answered them automatically. teams (members, owned accounts, languages),
rules and their hits, alerts.

Revision ID: 0010_routing
Revises: 0009_instagram
Create Date: 2026-12-03 17:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_routing'
down_revision = '0009_instagram'
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('auto_assign', sa.String(length=16), nullable=True),
        sa.Column('last_assigned_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.Column('updated_at', UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(['last_assigned_user_id'], ['users.id'],
                                name=op.f('fk_teams_last_assigned_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('name', name=op.f('uq_teams_name')),
    )
    op.create_table(
        'team_members',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members')),
    )
    op.create_index(op.f('ix_team_members_user_id'), 'team_members', ['user_id'])
    op.create_table(
        'team_accounts',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_accounts_team_id_teams'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'],
                                name=op.f('fk_team_accounts_account_id_social_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'account_id', name=op.f('pk_team_accounts')),
    )
    op.create_index(op.f('ix_team_accounts_account_id'), 'team_accounts', ['account_id'])
    op.create_table(
        'rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('conditions', sa.JSON(), nullable=False),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.Column('stop', sa.Boolean(), nullable=False),
        sa.Column('hit_count', sa.BigInteger(), nullable=False),
        sa.Column('last_hit_at', UTC_DATETIME, nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.Column('updated_at', UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rules_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rules')),
    )
    op.create_index('ix_rules_position', 'rules', ['position', 'id'])
    op.create_table(
        'alerts',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('observed', sa.Float(), nullable=False),
        sa.Column('baseline', sa.Float(), nullable=False),
        sa.Column('window_start', UTC_DATETIME, nullable=False),
        sa.Column('window_end', UTC_DATETIME, nullable=False),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.Column('ended_at', UTC_DATETIME, nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('volume', 'negative_share')", name=op.f('ck_alerts_kind')),
        sa.CheckConstraint("state IN ('open', 'ended')", name=op.f('ck_alerts_state')),
        sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], name=op.f('fk_alerts_account_id_social_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    )
    op.create_index('uq_alerts_open', 'alerts', ['account_id', 'kind'], unique=True,
                    sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
    op.create_index('ix_alerts_created', 'alerts', ['created_at'])

    with op.batch_alter_table('contacts') as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('last_auto_reply_at', UTC_DATETIME, nullable=True))
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority_reasons', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('sla_policy_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sla_exempt', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_conversations_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_conversations_sla_policy_id_sla_policies'), 'sla_policies',
                                    ['sla_policy_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_conversations_team_status', ['team_id', 'status'])
        batch_op.create_index('ix_conversations_status_priority_breach', ['status', 'priority', 'sla_breach_at', 'id'])
        batch_op.create_index('ix_conversations_status_priority_last', ['status', 'priority', 'last_message_at', 'id'])
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('sentiment', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('intent', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('moderation', sa.String(length=16), server_default='visible', nullable=False))
        batch_op.add_column(sa.Column('liked', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('moderation_pending', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('moderation_error_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('moderated_at', UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column('automatic_rule_id', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('moderation', "moderation IN ('visible', 'hidden', 'deleted')")
        batch_op.create_foreign_key(batch_op.f('fk_messages_automatic_rule_id_rules'), 'rules', ['automatic_rule_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_messages_moderation_pending', ['id'],
                              sqlite_where=sa.text('moderation_pending IS NOT NULL'),
                              postgresql_where=sa.text('moderation_pending IS NOT NULL'))
        batch_op.create_index('ix_messages_account_created', ['account_id', 'created_at'])
    op.create_table(
        'rule_hits',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=False),
        sa.Column('message_id', BIG_ID, nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('actions', sa.JSON(), nullable=False),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(['rule_id'], ['rules.id'], name=op.f('fk_rule_hits_rule_id_rules'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_rule_hits_message_id_messages'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_rule_hits_conversation_id_conversations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_hits')),
        sa.UniqueConstraint('rule_id', 'message_id', name=op.f('uq_rule_hits_rule_id_message_id')),
    )
    op.create_index('ix_rule_hits_message', 'rule_hits', ['message_id'])


def downgrade():
    op.drop_index('ix_rule_hits_message', table_name='rule_hits')
    op.drop_table('rule_hits')
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_index('ix_messages_account_created')
        batch_op.drop_index('ix_messages_moderation_pending')
        batch_op.drop_constraint(batch_op.f('fk_messages_automatic_rule_id_rules'), type_='foreignkey')
        batch_op.drop_constraint('moderation', type_='check')
        for column in ('automatic_rule_id', 'moderated_at', 'moderation_error_code', 'moderation_pending', 'liked',
                       'moderation', 'intent', 'sentiment'):
            batch_op.drop_column(column)
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.drop_index('ix_conversations_status_priority_last')
        batch_op.drop_index('ix_conversations_status_priority_breach')
        batch_op.drop_index('ix_conversations_team_status')
        batch_op.drop_constraint(batch_op.f('fk_conversations_sla_policy_id_sla_policies'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_conversations_team_id_teams'), type_='foreignkey')
        for column in ('sla_exempt', 'sla_policy_id', 'priority_reasons', 'team_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_column('last_auto_reply_at')
        batch_op.drop_column('tags')
    op.drop_index('ix_alerts_created', table_name='alerts')
    op.drop_index('uq_alerts_open', table_name='alerts')
    op.drop_table('alerts')
    op.drop_index('ix_rules_position', table_name='rules')
    op.drop_table('rules')
    op.drop_index(op.f('ix_team_accounts_account_id'), table_name='team_accounts')
    op.drop_table('team_accounts')
    op.drop_index(op.f('ix_team_members_user_id'), table_name='team_members')
    op.drop_table('team_members')
    op.drop_table('teams')
