"""CLI commands: attendance import, certificate generation (with a progress bar), ZIP."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from . import event_or_fail

attendance_cli = AppGroup("attendance", help="Attendance recorded elsewhere.")
certificates_cli = AppGroup("certificates", help="Certificates of attendance and participation.")


@attendance_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def attendance_import_command(slug: str, file: Path):
    """Mark the registrations listed in FILE (CSV with an "email" column) as attended."""
    from ..services.attendance import AttendanceImportError, import_attendance

    event = event_or_fail(slug)
    try:
        result = import_attendance(db.session, event, file.read_bytes())
    except AttendanceImportError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    db.session.commit()
    click.echo(f"rows read: {result.rows}")
    click.echo(f"marked attended: {len(result.marked)}")
    click.echo(f"already attended: {len(result.already)}")
    click.echo(f"unknown: {len(result.unknown)}")
    for email in result.unknown:
        click.echo(f"  unknown: {email}")
    click.echo(f"not confirmed: {len(result.not_confirmed)}")
    for email, status in result.not_confirmed:
        click.echo(f"  {status}: {email}")


@certificates_cli.command("generate")
@click.argument("slug")
@click.option("--batch-size", default=50, show_default=True, help="Certificates per layout.")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker processes (default: PDF_WORKERS, one per CPU, for 200+ certificates).",
)
@click.option(
    "--before-start",
    is_flag=True,
    help="Issue even though the event has not started (asks to confirm; audited).",
)
def generate_command(slug: str, batch_size: int, workers: int | None, before_start: bool):
    """Issue and render every pending certificate of the event (progress bar).

    Refused before the event starts, unless --before-start is given and confirmed."""
    from ..services import certificates as certs

    event = event_or_fail(slug)
    allow_early = False
    try:
        certs.ensure_started(db.session, event)
    except certs.TooEarly as exc:
        if not before_start:
            raise click.ClickException(exc.message + " (--before-start to override)")
        click.confirm(f"{exc.message} Issue the certificates now anyway?", abort=True)
        allow_early = True
    total = len(certs.pending_holders(db.session, event)) + sum(
        1 for c in certs.event_certificates(db.session, event) if not certs.has_file(c)
    )
    if not total:
        click.echo("nothing to generate: every eligible holder has a certificate")
        return
    with click.progressbar(length=total, label="certificates") as bar:

        def progress(n: int) -> None:
            db.session.commit()
            bar.update(n)

        result = certs.generate_all(
            db.session,
            event,
            batch_size=max(1, batch_size),
            on_batch=progress,
            workers=workers,
            allow_early=allow_early,
        )
    db.session.commit()
    click.echo(f"issued {result.created}, rendered {result.rendered}")


@certificates_cli.command("zip")
@click.argument("slug")
@click.argument("output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def zip_command(slug: str, output: Path):
    """Write a ZIP of all valid certificates of the event to OUTPUT."""
    from ..services import certificates as certs

    event = event_or_fail(slug)
    with output.open("wb") as fh:
        count = certs.write_zip(db.session, event, fh)
    db.session.commit()
    click.echo(f"{count} certificates written to {output}")


def register(app: Flask) -> None:
    """Add this area's commands to ``flask --app symposium``."""
    app.cli.add_command(attendance_cli)
    app.cli.add_command(certificates_cli)
