"""CLI command ``seed-demo``: the bundled demo events, created once and then left alone.

``make run`` calls it every time. An event that exists already is never touched (the
organisers' edits, added sessions and registrations stay); ``--reset SLUG`` brings one back to
the bundled file, and refuses while it has registrations or certificates unless ``--force``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session as OrmSession

from ..extensions import db
from ..models import (
    Certificate,
    Event,
    Person,
    Registration,
    Room,
    Session,
    SessionRegistration,
    user_event,
)
from .events import _import_file, _load

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@dataclass(frozen=True)
class DemoFile:
    path: Path
    data: dict
    slug: str


def demo_files(directory: Path = DEMO_DIR) -> list[DemoFile]:
    files = []
    for path in sorted(directory.glob("*.json")):
        data = _load(path)
        if not isinstance(data, dict) or not isinstance(data.get("slug"), str):
            raise click.ClickException(f"{path}: no slug")
        files.append(DemoFile(path, data, data["slug"]))
    if not files:
        raise click.ClickException(f"no demo file in {directory}")
    return files


def is_unchanged(event: Event, demo: DemoFile) -> bool:
    """True when the event still is exactly the bundled file (its canonical export)."""
    from ..services.interchange import dumps, export_event

    return dumps(export_event(event)) == demo.path.read_text(encoding="utf-8")


# What a reset deletes, in the order it is reported
_COUNTED = (
    ("registration", "registrations", Registration, Registration.event_id),
    ("certificate", "certificates", Certificate, Certificate.event_id),
    ("session", "sessions", Session, Session.event_id),
    ("speaker", "speakers", Person, Person.event_id),
    ("room", "rooms", Room, Room.event_id),
)


def reset_counts(session: OrmSession, event: Event) -> dict[str, int]:
    """Rows of ``event`` that a reset deletes, by kind (plural name)."""
    counts = {
        plural: session.scalar(select(func.count()).select_from(model).where(column == event.id))
        for _singular, plural, model, column in _COUNTED
    }
    counts["sign-ups"] = session.scalar(
        select(func.count(SessionRegistration.id))
        .join(Session, Session.id == SessionRegistration.session_id)
        .where(Session.event_id == event.id)
    )
    return counts


def describe(counts: dict[str, int]) -> str:
    names = {plural: singular for singular, plural, _m, _c in _COUNTED}
    names["sign-ups"] = "sign-up"
    parts = [f"{n} {plural if n != 1 else names[plural]}" for plural, n in counts.items() if n]
    return ", ".join(parts) if parts else "no sessions, speakers or registrations"


def delete_event(session: OrmSession, event: Event) -> list[int]:
    """Delete ``event`` and everything that belongs to it (the foreign keys cascade); returns
    the ids of the accounts that were assigned to it."""
    users = list(
        session.scalars(select(user_event.c.user_id).where(user_event.c.event_id == event.id))
    )
    session.execute(delete(Event).where(Event.id == event.id))
    session.expunge_all()
    return users


def _reset(demo: DemoFile, force: bool) -> None:
    from ..services.events import find_event

    event = find_event(db.session, demo.slug)
    if event is None:
        slug, status = _import_file(demo.path, demo.data)
        _seed_materials(slug)
        click.echo(f"{slug}: {status}")
        _seed_feedback(slug)
        return
    counts = reset_counts(db.session, event)
    kept = counts["registrations"] or counts["certificates"]
    if kept and not force:
        db.session.rollback()
        raise click.ClickException(
            f"{demo.slug} has {describe({k: counts[k] for k in ('registrations', 'certificates')})}; "
            f"a reset deletes them with the event ({describe(counts)}). Nothing changed. "
            "Add --force to delete them."
        )
    click.echo(f"{demo.slug}: deleting the event and {describe(counts)}")
    users = delete_event(db.session, event)
    slug, status = _import_file(demo.path, demo.data)  # commits the delete with the import
    _seed_materials(slug)
    event = find_event(db.session, slug)
    if users:
        db.session.execute(
            insert(user_event), [{"user_id": u, "event_id": event.id} for u in users]
        )
        db.session.commit()
    _seed_feedback(slug)
    click.echo(f"{slug}: restored from {demo.path.name}")


def _seed_feedback(slug: str) -> None:
    """The sample questionnaire of a freshly imported demo event (services/feedback/demo.py)."""
    from ..services.events import find_event
    from ..services.feedback.demo import seed_demo_feedback

    event = find_event(db.session, slug)
    if event is not None:
        seed_demo_feedback(db.session, event)
        db.session.commit()


def _seed_materials(slug: str) -> None:
    """What the bundled file does not carry: the sample slides (services/materials)."""
    from ..services.events import find_event
    from ..services.materials import seed_demo_materials

    event = find_event(db.session, slug)
    if event is not None and seed_demo_materials(db.session, event) is not None:
        db.session.commit()


@click.command("seed-demo")
@click.option(
    "--reset", "reset_slug", metavar="SLUG", help="Bring this demo event back to the bundled file."
)
@click.option(
    "--force", is_flag=True, help="With --reset: also delete its registrations and certificates."
)
@with_appcontext
def seed_demo_command(reset_slug: str | None, force: bool):
    """Create the bundled demo events that do not exist yet; existing events are left as they are."""
    from ..services.events import find_event

    files = demo_files()
    if reset_slug is not None:
        demo = next((f for f in files if f.slug == reset_slug), None)
        if demo is None:
            bundled = ", ".join(f.slug for f in files)
            raise click.ClickException(f"no bundled demo event {reset_slug!r} (bundled: {bundled})")
        _reset(demo, force)
        return
    if force:
        raise click.ClickException("--force goes with --reset SLUG")
    for demo in files:
        event = find_event(db.session, demo.slug)
        if event is None:
            slug, status = _import_file(demo.path, demo.data)
            _seed_materials(slug)
            click.echo(f"{slug}: {status}")
            _seed_feedback(slug)
        elif is_unchanged(event, demo):
            click.echo(f"{demo.slug}: already up to date")
        else:
            click.echo(
                f"{demo.slug}: exists and was changed since it was seeded; left as it is "
                f"(flask --app symposium seed-demo --reset {demo.slug} restores the bundled demo)"
            )
    db.session.rollback()  # only reads were left open


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
