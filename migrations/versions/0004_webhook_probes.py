"""webhook endpoints probe on their own schedule

An unavailable endpoint is probed on a short, growing interval (webhook_endpoints.failed_probes counts the
unavailable answers in a row). Each delivery keeps its Standard Webhooks retry slot apart from the moment it
may next be sent (webhook_deliveries.retry_due_at), so a probe made before that slot does not use up a retry;
the attempt log marks such attempts (webhook_attempts.probe).

Revision ID: 0004_webhook_probes
Revises: 0003_conversation_channel
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_webhook_probes'
down_revision = '0003_conversation_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('webhook_endpoints', sa.Column('failed_probes', sa.Integer(), server_default='0', nullable=False))
    op.add_column('webhook_deliveries', sa.Column('retry_due_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('webhook_attempts', sa.Column('probe', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild would drop and recreate the tables, and with
    # foreign keys on, dropping webhook_deliveries would cascade to the attempt log.
    op.drop_column('webhook_attempts', 'probe')
    op.drop_column('webhook_deliveries', 'retry_due_at')
    op.drop_column('webhook_endpoints', 'failed_probes')
