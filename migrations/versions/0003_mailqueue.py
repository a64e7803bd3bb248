"""mail queue: stable Message-ID and run claims on the outbox, bulk-email unsubscriptions

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows keep NULL: their Message-ID is already inside the stored message, and no
    # run holds them (a "sending" row without a claim is due again when its lease ends)
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))
    op.create_table(
        "email_unsubscribe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email_normalized", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_email_unsubscribe_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_unsubscribe")),
        sa.UniqueConstraint(
            "event_id",
            "email_normalized",
            name=op.f("uq_email_unsubscribe_event_id_email_normalized"),
        ),
    )


def downgrade():
    op.drop_table("email_unsubscribe")
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("message_id")
