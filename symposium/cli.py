"""Flask CLI commands: ``flask --app symposium ...``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db

user_cli = AppGroup("user", help="Manage staff accounts.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "organiser", "checkin"]), default="organiser")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--event", "event_slugs", multiple=True, help="Assign an event (organisers).")
def create_user_command(email, role, display_name, password_stdin, event_slugs):
    """Create a user; the password is asked for, or read from standard input."""
    from .auth.services import AccountError, create_user
    from .models import Event

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    from .i18n import language
    from .services.textcheck import LIMITS, email_problem, text_problem

    with language("en"):
        problems = [
            f"{label}: {problem}"
            for label, problem in (
                ("email", email_problem(email)),
                ("--name", text_problem(display_name, max_length=LIMITS["name"])),
            )
            if problem
        ]
    if problems:
        raise click.ClickException("; ".join(problems))
    try:
        with language("en"):  # operators' messages in English
            user = create_user(db.session, email, password, role, display_name)
        for slug in event_slugs:
            event = db.session.scalar(db.select(Event).where(Event.slug == slug))
            if event is None:
                raise AccountError(f"unknown event: {slug}")
            user.events.append(event)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    click.echo(f"created {role} {user.email}")


def register_cli(app: Flask) -> None:
    from .commands import certificates, events, registration

    app.cli.add_command(user_cli)
    events.register(app)
    registration.register(app)
    certificates.register(app)
