"""CLI commands: personal API tokens.

flask --app symposium token create EMAIL --scope read|write [--name NAME] [--event SLUG] [--expires DAYS]
flask --app symposium token list EMAIL
flask --app symposium token revoke ID
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..i18n import language
from . import event_or_fail

token_cli = AppGroup("token", help="Personal API tokens.")


def _user_or_fail(email: str):
    from ..models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no account with the email {email!r}")
    return user


@token_cli.command("create")
@click.argument("email")
@click.option("--scope", type=click.Choice(["read", "write"]), required=True)
@click.option("--name", default="cli", show_default=True, help="A name to recognise it by.")
@click.option("--event", "slug", default=None, help="Limit the token to one event.")
@click.option("--expires", "days", type=click.IntRange(1, 3650), default=None, help="Days.")
def create_command(email, scope, name, slug, days):
    """Create a token for the account EMAIL; the token is printed once, never stored."""
    from ..services.api_tokens import TokenError, create_token

    user = _user_or_fail(email)
    event = event_or_fail(slug) if slug else None
    try:
        with language("en"):  # operators' messages in English
            created = create_token(db.session, user, name, scope, event=event, expires_in_days=days)
        db.session.commit()
    except TokenError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    token = created.token
    click.echo(created.secret)
    limits = f" for {event.slug}" if event else ""
    expiry = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
    click.echo(f"token {token.id} ({scope}{limits}{expiry}): shown once, keep it safe", err=True)


@token_cli.command("list")
@click.argument("email")
def list_command(email):
    """The tokens of the account EMAIL (never their secrets)."""
    from ..services.api_tokens import user_tokens

    for token in user_tokens(db.session, _user_or_fail(email)):
        state = "revoked" if token.revoked_at else "active"
        click.echo(
            "\t".join(
                [
                    str(token.id),
                    token.prefix + "…",
                    token.name,
                    token.scope,
                    token.event.slug if token.event else "*",
                    token.expires_at.isoformat() if token.expires_at else "",
                    token.last_used_at.isoformat() if token.last_used_at else "",
                    state,
                ]
            )
        )


@token_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
def revoke_command(token_id):
    """Revoke token ID: it stops working at once."""
    from ..models import ApiToken
    from ..services.api_tokens import revoke_token

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    revoke_token(db.session, token)
    db.session.commit()
    click.echo(f"token {token_id} revoked")


def register(app: Flask) -> None:
    app.cli.add_command(token_cli)
