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
from sqlalchemy import func, select

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
    click.echo(f"{len(rows)} registrations; confirmed {event.confirmed_count} of {capacity}")


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
    """Deliver the emails waiting in the outbox (those due now)."""
    from ..services.mail import deliver_pending
    from ..services.notifications import process_pending

    rendered = process_pending()
    sent = deliver_pending()
    click.echo(f"rendered {rendered}, sent {sent}")


@mail_cli.command("status")
def status_command():
    """Count the outbox emails by status."""
    from ..models import OutboxEmail

    rows = db.session.execute(
        select(OutboxEmail.status, func.count(OutboxEmail.id)).group_by(OutboxEmail.status)
    ).all()
    for status, count in sorted(rows):
        click.echo(f"{status}\t{count}")


def register(app: Flask) -> None:
    """Add this area's commands to ``flask --app symposium``."""
    app.cli.add_command(registration_cli)
    app.cli.add_command(mail_cli)
