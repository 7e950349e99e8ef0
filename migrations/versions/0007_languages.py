"""languages: the language of customer messages and conversations, and of canned responses

messages.language: what the network said (X's `lang`) or what ingest detected (app/ingest/language.py)
for customer messages; conversations.language: that of the latest customer message that had one;
canned_responses.language: the language a saved reply is written in (None: any). A shortcut is then
unique per language ("/thanks" in English and in Russian), no longer across all of them.

Existing rows keep no language (not known); downgrading renames the shortcuts that only differ by
language ("thanks" in ru becomes "thanks-ru") so that the single-language constraint holds again.

Revision ID: 0007_languages
Revises: 0006_user_locale
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_languages'
down_revision = '0006_user_locale'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('canned_responses') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.drop_constraint('uq_canned_responses_shortcut', type_='unique')
        batch_op.create_unique_constraint('uq_canned_responses_shortcut_language', ['shortcut', 'language'])


def downgrade():
    # Every shortcut but the first of its name (language-less first, then by id) takes its language as a suffix.
    canned = sa.table('canned_responses', sa.column('id', sa.Integer), sa.column('shortcut', sa.String),
                      sa.column('language', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(canned.c.id, canned.c.shortcut, canned.c.language)
                        .order_by(canned.c.language.is_not(None), canned.c.language, canned.c.id)).all()
    taken = set()
    for row_id, shortcut, language in rows:
        name = shortcut
        if name.lower() in taken:
            suffix = f"-{language or row_id}"
            name = shortcut[:32 - len(suffix)] + suffix
            n = 2
            while name.lower() in taken:
                suffix = f"-{language or row_id}{n}"
                name, n = shortcut[:32 - len(suffix)] + suffix, n + 1
            conn.execute(canned.update().where(canned.c.id == row_id).values(shortcut=name))
        taken.add(name.lower())
    with op.batch_alter_table('canned_responses') as batch_op:
        batch_op.drop_constraint('uq_canned_responses_shortcut_language', type_='unique')
        batch_op.create_unique_constraint('uq_canned_responses_shortcut', ['shortcut'])
        batch_op.drop_column('language')
    with op.batch_alter_table('conversations') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('messages') as batch_op:
        batch_op.drop_column('language')
