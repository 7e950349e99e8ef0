"""instagram: Instagram accounts, the posts and media public threads hang off, and push follow-ups

social_accounts.network may be 'instagram' (a professional account linked to a Facebook Page, using the
Page's token). posts: the post or media a public message hangs off (caption, permalink, thumbnail, owner),
shown as context above its thread; messages.post_external_id links a message to it. push_followups: reads a
push receiver left to do when a webhook carries only ids (an Instagram mention; a comment on a media whose
details Carebox lacks), done right after the push, else by the next poll.

Downgrading removes Instagram accounts (and, by cascade, their conversations): the old schema cannot hold them.

Revision ID: 0009_instagram
Revises: 0008_private_messages
Create Date: 2026-12-03 13:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_instagram'
down_revision = '0008_private_messages'
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('social_accounts') as batch_op:
        batch_op.drop_constraint('network', type_='check')
        batch_op.create_check_constraint('network', "network IN ('twitter', 'facebook', 'instagram', 'custom')")
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('post_external_id', sa.String(length=128), nullable=True))
    op.create_table(
        'posts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('network', sa.String(length=16), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=False),
        sa.Column('caption', sa.Text(), nullable=True),
        sa.Column('permalink', sa.String(length=500), nullable=True),
        sa.Column('thumbnail_url', sa.String(length=1000), nullable=True),
        sa.Column('media_type', sa.String(length=24), nullable=True),
        sa.Column('product_type', sa.String(length=16), nullable=True),
        sa.Column('owner_handle', sa.String(length=120), nullable=True),
        sa.Column('owned', sa.Boolean(), nullable=False),
        sa.Column('comments_count', sa.Integer(), nullable=True),
        sa.Column('posted_at', UTC_DATETIME, nullable=True),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.Column('updated_at', UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'], name=op.f('fk_posts_account_id_social_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
        sa.UniqueConstraint('network', 'external_id', name=op.f('uq_posts_network_external_id')),
    )
    op.create_table(
        'push_followups',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('external_id', sa.String(length=128), nullable=False),
        sa.Column('media_id', sa.String(length=128), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', UTC_DATETIME, nullable=False),
        sa.Column('next_attempt_at', UTC_DATETIME, nullable=False),
        sa.CheckConstraint("kind IN ('mentioned_comment', 'mentioned_media', 'media')", name=op.f('ck_push_followups_kind')),
        sa.ForeignKeyConstraint(['account_id'], ['social_accounts.id'],
                                name=op.f('fk_push_followups_account_id_social_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_followups')),
        sa.UniqueConstraint('account_id', 'kind', 'external_id', name=op.f('uq_push_followups_account_id_kind_external_id')),
    )
    op.create_index('ix_push_followups_due', 'push_followups', ['account_id', 'next_attempt_at'])


def downgrade():
    op.drop_index('ix_push_followups_due', table_name='push_followups')
    op.drop_table('push_followups')
    op.drop_table('posts')
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_column('post_external_id')
    accounts = sa.table('social_accounts', sa.column('network', sa.String))
    op.get_bind().execute(accounts.delete().where(accounts.c.network == 'instagram'))
    with op.batch_alter_table('social_accounts') as batch_op:
        batch_op.drop_constraint('network', type_='check')
        batch_op.create_check_constraint('network', "network IN ('twitter', 'facebook', 'custom')")
