"""CLI commands: registrations and the email outbox.

flask --app symposium registration list SLUG [--status waitlisted]
flask --app symposium registration fill-seats SLUG     # promote from the waiting list
flask --app symposium mail send-pending                # deliver the outbox now
flask --app symposium mail status
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from . import event_or_fail

registration_cli = AppGroup("registration", help="Attendee registrations.")
mail_cli = AppGroup("mail", help="The email outbox.")


@registration_cli.command("list")
@click.argument("slug")
@click.option("--status", type=click.Choice(["confirmed", "waitlisted", "cancelled"]), default=None)
def list_command(slug, status):
    """List the registrations of an event (tab-separated)."""
    from ..models import Registration
    from ..services.registration import waitlist_position

    event = event_or_fail(slug)
    query = select(Registration).where(Registration.event_id == event.id)
    if status:
        query = query.where(Registration.status == status)
    rows = db.session.scalars(
        query.order_by(Registration.status, Registration.waitlist_seq, Registration.id)
    ).all()
    for r in rows:
        position = waitlist_position(db.session, r)
        click.echo(
            "\t".join(
                [
                    r.status,
                    str(position or ""),
                    r.full_name,
                    r.email,
                    r.created_at.isoformat(),
                    r.checked_in_at.isoformat() if r.checked_in_at else "",
                ]
            )
        )
    capacity = event.capacity if event.capacity is not None else "∞"
    from ..services.registration import confirmed_total

    confirmed = confirmed_total(db.session, event)
    click.echo(f"{len(rows)} registrations; confirmed {confirmed} of {capacity}")


@registration_cli.command("fill-seats")
@click.argument("slug")
def fill_seats_command(slug):
    """Promote people from the waiting list while seats are free (e.g. after raising capacity)."""
    from ..services.registration import fill_free_seats, lock_event

    event = event_or_fail(slug)
    lock_event(db.session, event)
    promoted = fill_free_seats(db.session, event)
    db.session.commit()
    click.echo(f"promoted {len(promoted)}")


@mail_cli.command("send-pending")
def send_pending_command():
    """Render owed emails and deliver the outbox now (e.g. from cron). Emails that cannot be
    rendered or sent are marked failed (see ``mail status``); the others still go."""
    from ..services.mail import sweep

    rendered, sent = sweep.run()
    click.echo(f"rendered {rendered}, sent {sent}")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@mail_cli.command("status")
@click.option(
    "--failed",
    "show_failed",
    default=10,
    show_default=True,
    help="List this many of the latest failed emails with their reason.",
)
def status_command(show_failed):
    """Count the outbox emails by status, with the age of the oldest one still to send."""
    from ..models import OutboxEmail
    from ..services.mail import queue_status

    status = queue_status(db.session)
    for name, count in status["counts"].items():
        click.echo(f"{name}\t{count}")
    click.echo(f"oldest pending\t{_age(status['oldest_pending_age_seconds'])}")
    click.echo(f"to render\t{status['notices_to_render']}")
    click.echo(f"oldest to render\t{_age(status['oldest_notice_age_seconds'])}")
    if show_failed and status["counts"]["failed"]:
        rows = db.session.execute(
            select(OutboxEmail.id, OutboxEmail.kind, OutboxEmail.recipient, OutboxEmail.last_error)
            .where(OutboxEmail.status == "failed")
            .order_by(OutboxEmail.id.desc())
            .limit(show_failed)
        ).all()
        for row in rows:
            click.echo(f"failed #{row.id}\t{row.kind or ''}\t{row.recipient}\t{row.last_error}")


def register(app: Flask) -> None:
    """Add this area's commands to ``flask --app symposium``."""
    app.cli.add_command(registration_cli)
    app.cli.add_command(mail_cli)
