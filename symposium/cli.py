"""Flask CLI commands: ``flask --app symposium ...``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db

user_cli = AppGroup("user", help="Manage staff accounts.")

MIN_PASSWORD_LENGTH = 10  # as create_user and the password forms require


def _checked_email(email: str) -> str:
    """The address, trimmed, or a click error saying what is wrong (before any password
    prompt)."""
    from email_validator import EmailNotValidError, validate_email

    from .auth.services import find_user

    email = email.strip()
    if not email:
        raise click.ClickException(
            "the email address is empty: flask --app symposium user create you@example.org"
        )
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.ClickException(f"{email!r} is not a valid email address: {exc}")
    if find_user(db.session, email) is not None:
        raise click.ClickException(f"a user with the email {email} already exists")
    return email


def _check_password_length(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters; nothing created"
        )


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "organiser", "checkin"]), default="organiser")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--event",
    "event_slugs",
    multiple=True,
    help="Assign an event (repeatable): organisers manage it, check-in staff check in there.",
)
def create_user_command(email, role, display_name, password_stdin, event_slugs):
    """Create a user; the password is asked for, or read from standard input."""
    from .auth.services import AccountError, create_user
    from .models import Event

    email = _checked_email(email)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        _check_password_length(password)
    else:
        password = click.prompt("Password", hide_input=True)
        _check_password_length(password)  # before the second prompt, not after it
        again = click.prompt("Repeat for confirmation", hide_input=True)
        if again != password:
            raise click.ClickException("the two passwords differ; nothing created")
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
            if event not in user.events:
                user.events.append(event)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    click.echo(f"created {role} {user.email}")
    if role == "checkin":
        for event in user.events:
            if not event.is_published:
                click.echo(f"note: {event.slug} is a draft: check-in opens there once published")
        if not user.events:
            click.echo("note: no --event given: this check-in account sees no event")


def register_cli(app: Flask) -> None:
    from .commands import certificates, demo, events, jobs, registration, tokens

    app.cli.add_command(user_cli)
    events.register(app)
    demo.register(app)
    registration.register(app)
    certificates.register(app)
    tokens.register(app)
    jobs.register(app)
