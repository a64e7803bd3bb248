"""CLI command groups, one module per area; each has ``register(app)``."""

from __future__ import annotations

import click

from ..extensions import db


def event_or_fail(slug: str):
    """The event with this slug; a click error (exit status 1) if there is none."""
    from ..services.events import find_event

    event = find_event(db.session, slug)
    if event is None:
        raise click.ClickException(f"unknown event: {slug}")
    return event
