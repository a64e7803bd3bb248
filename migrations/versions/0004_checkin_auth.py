"""checkin-auth: server-side sessions (sign-out ends a copied cookie); search keys

- user_session: one row per signed-in session (services in symposium/auth/services.py).
- person.search_key: folded names/organisation/email of speakers (services/search.py), filled
  here for existing rows; registration.search_text recomputed with the new folding (spaces after
  عبد/أبو/بن/ال…, Arabic-Indic digits, hyphens).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = '0003'
branch_labels = None
depends_on = None


_registration = sa.table(
    "registration",
    sa.column("id", sa.Integer),
    sa.column("full_name", sa.String),
    sa.column("email", sa.String),
    sa.column("search_text", sa.Text),
    sa.column("anonymised_at", sa.DateTime),
)
_person = sa.table(
    "person",
    sa.column("id", sa.Integer),
    sa.column("name", sa.JSON),
    sa.column("organisation", sa.JSON),
    sa.column("email", sa.String),
    sa.column("search_key", sa.Text),
)


def _fill_search_keys() -> None:
    from types import SimpleNamespace

    from symposium.services.search import person_key, search_text

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_registration.c.id, _registration.c.full_name, _registration.c.email).where(
            _registration.c.anonymised_at.is_(None)
        )
    ).all()
    for row in rows:
        bind.execute(
            _registration.update()
            .where(_registration.c.id == row.id)
            .values(search_text=search_text(row.full_name, row.email))
        )
    people = bind.execute(
        sa.select(_person.c.id, _person.c.name, _person.c.organisation, _person.c.email)
    ).all()
    for row in people:
        person = SimpleNamespace(name=row.name, organisation=row.organisation, email=row.email)
        bind.execute(
            _person.update().where(_person.c.id == row.id).values(search_key=person_key(person))
        )


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_user_session_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_session_key_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))
    _fill_search_keys()
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_event_search", ["event_id", "search_text", "full_name"], unique=False
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_event_search")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("search_key")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
