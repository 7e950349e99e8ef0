"""user locale and time zone: each user reads Carebox in their own language and time zone

Both are empty for existing users, who keep following their browser's Accept-Language and the
workspace default (CAREBOX_DEFAULT_LOCALE, CAREBOX_DEFAULT_TIMEZONE).

Revision ID: 0006_user_locale
Revises: 0005_user_sessions
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_user_locale'
down_revision = '0005_user_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('locale')
