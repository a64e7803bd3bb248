"""session revision and revised_at (SEQUENCE and LAST-MODIFIED of calendar entries)

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-29 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(), nullable=True))
    # Existing sessions: last revised when their event was last changed
    op.execute(
        "UPDATE session SET revised_at = "
        "(SELECT event.updated_at FROM event WHERE event.id = session.event_id)"
    )
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.alter_column('revised_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.drop_column('revised_at')
        batch_op.drop_column('revision')
