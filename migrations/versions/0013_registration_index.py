"""registration: drop the index on event_id alone

Every registration INSERT maintained it, and the unique (event_id, email_normalized) index and
(event_id, status, waitlist_seq) already serve every lookup by event (leftmost column).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 22:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_event_id'))


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_event_id'), ['event_id'], unique=False)
